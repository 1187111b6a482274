//! The roles of SPEC A3/G8, and R&D's (§3.2.3). A user may hold several; partner_user is never combined with a
//! company role (a partner's contact is not company staff). `partner_admin` is a role within a
//! partner (SPEC H2): held only beside partner_user, it adds the right to manage that partner's
//! API tokens and nothing else (`policy::allows`).

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
    /// A partner user who manages its own partner's API tokens (SPEC H2); always held with
    /// `PartnerUser`.
    PartnerAdmin,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::ChannelManager,
        Role::DeptHead,
        Role::Executive,
        Role::Staff,
        Role::Rd,
        Role::PartnerUser,
        Role::PartnerAdmin,
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
            Role::PartnerAdmin => "partner_admin",
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
                        "partner_admin",
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
        // A partner's side (partner_user, with partner_admin or not) never mixes with a
        // company role; partner_admin is a role *within* a partner, so it needs partner_user.
        let partner_side = roles
            .iter()
            .filter(|r| matches!(r, Role::PartnerUser | Role::PartnerAdmin))
            .count();
        if roles.contains(&Role::PartnerUser) && roles.len() > partner_side {
            return Err(crate::validate::Msg::new("validate.partner_user_alone"));
        }
        if roles.contains(&Role::PartnerAdmin) && !roles.contains(&Role::PartnerUser) {
            return Err(crate::validate::Msg::new(
                "validate.partner_admin_needs_partner_user",
            ));
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

    /// SPEC H2: partner_admin is a role within a partner, held beside partner_user only.
    #[test]
    fn partner_admin_is_held_only_with_partner_user() {
        let r = Roles::parse_list("partner_admin,partner_user").expect("valid");
        assert!(r.is_partner());
        assert!(r.has(Role::PartnerAdmin));
        assert_eq!(r.to_list(), "partner_user,partner_admin");
        assert!(Roles::parse_list("partner_admin").is_err());
        assert!(Roles::parse_list("partner_admin,staff").is_err());
        assert!(Roles::parse_list("partner_admin,partner_user,channel_manager").is_err());
    }
}
