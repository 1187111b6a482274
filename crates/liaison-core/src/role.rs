//! The roles of SPEC A3/G8, and R&D's (§3.2.3). A user may hold several; partner_user is never combined with a
//! company role (a partner's contact is not company staff).

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    ChannelManager,
    DeptHead,
    Executive,
    Staff,
    /// R&D (§3.2.3): triages partners' product feedback and keeps the catalogue.
    Rd,
    PartnerUser,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::ChannelManager,
        Role::DeptHead,
        Role::Executive,
        Role::Staff,
        Role::Rd,
        Role::PartnerUser,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ChannelManager => "channel_manager",
            Role::DeptHead => "dept_head",
            Role::Executive => "executive",
            Role::Staff => "staff",
            Role::Rd => "rd",
            Role::PartnerUser => "partner_user",
        }
    }

    pub fn parse(s: &str) -> Result<Self, crate::validate::Msg> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                crate::validate::Msg::one_of(
                    s,
                    &[
                        "admin",
                        "channel_manager",
                        "dept_head",
                        "executive",
                        "staff",
                        "rd",
                        "partner_user",
                    ],
                )
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-empty set of roles, stored as a comma-separated list.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Roles(Vec<Role>);

impl Roles {
    pub fn new(mut roles: Vec<Role>) -> Result<Self, crate::validate::Msg> {
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            return Err(crate::validate::Msg::new("validate.roles_required"));
        }
        if roles.contains(&Role::PartnerUser) && roles.len() > 1 {
            return Err(crate::validate::Msg::new("validate.partner_user_alone"));
        }
        Ok(Self(roles))
    }
    pub fn one(role: Role) -> Self {
        Self(vec![role])
    }
    /// Parses `admin,staff` (as stored, or as typed on the command line).
    pub fn parse_list(s: &str) -> Result<Self, crate::validate::Msg> {
        let roles = s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(Role::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(roles)
    }
    pub fn has(&self, role: Role) -> bool {
        self.0.contains(&role)
    }
    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }
    pub fn is_partner(&self) -> bool {
        self.has(Role::PartnerUser)
    }
    pub fn to_list(&self) -> String {
        self.0
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_dedup() {
        let r = Roles::parse_list("staff, dept_head,staff").expect("valid");
        assert_eq!(r.to_list(), "dept_head,staff");
        assert!(Roles::parse_list("").is_err());
        assert!(Roles::parse_list("boss").is_err());
        assert!(Roles::parse_list("partner_user,staff").is_err());
    }
}
