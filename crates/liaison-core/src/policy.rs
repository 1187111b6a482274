//! Who may do what, decided here and nowhere else (DESIGN security model). Handlers ask
//! `actor.can(Permission::X)`; queries for partner users are scoped by `actor.scope()`.

use crate::role::{Role, Roles};
use serde::Serialize;
use uuid::Uuid;

/// Everything a permission check can be about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// See partners and contacts (partner users: only their own, through `Scope`).
    ReadPartners,
    /// Create and edit partners, contacts and NDAs of the registry (§1.2).
    WritePartners,
    /// Bulk import (SPEC A5).
    ImportPartners,
    /// Bulk export: an export of the whole registry is itself audited (§7.2.1).
    ExportPartners,
    ReadSegments,
    WriteSegments,
    /// The staff directory and departments (needed to pick an owner or a reviewer).
    ReadDirectory,
    /// Users, departments, roles (SPEC A3).
    AdminUsers,
    /// Read the audit log (§7.2.1).
    ReadAudit,
    /// Use the staff console at all.
    UseConsole,
    /// Use the partner portal.
    UsePortal,
    /// Fill in request forms (§4.1.1): any company employee.
    CreateRequests,
    /// See every request and its receipts (channel management, leadership, admins).
    ReadAllRequests,
    /// Read, confirm and answer messages in the partner inbox (§4.3.2, §4.4.1).
    UseInbox,
    /// See and answer every partner thread, not only those assigned to oneself (§4.4.2):
    /// channel management, leadership, admins.
    ReadAllThreads,
    /// Send dead deliveries again and remind unconfirmed recipients now (§4.4.1): channel
    /// management and admins (a requester may remind on their own request).
    ManageDeliveries,
    /// Edit the working-hours calendar of public holidays and make-up days (§5.3.2).
    ManageCalendar,
    /// Register outbound event endpoints and see background jobs (SPEC H3): admins.
    ManageIntegrations,
}

/// Which partners a query may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Partner(Uuid),
    /// A partner user whose account lost its partner: sees nothing.
    Nothing,
}

impl Scope {
    pub fn allows(&self, partner_id: Uuid) -> bool {
        match self {
            Scope::All => true,
            Scope::Partner(p) => *p == partner_id,
            Scope::Nothing => false,
        }
    }
    pub fn partner(&self) -> Option<Uuid> {
        match self {
            Scope::Partner(p) => Some(*p),
            _ => None,
        }
    }
}

/// The authenticated user a request acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub user_id: Uuid,
    pub roles: Roles,
    pub partner_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
}

impl Actor {
    pub fn can(&self, p: Permission) -> bool {
        allows(&self.roles, p)
    }

    pub fn scope(&self) -> Scope {
        if self.roles.is_partner() {
            self.partner_id.map_or(Scope::Nothing, Scope::Partner)
        } else {
            Scope::All
        }
    }

    pub fn is_partner(&self) -> bool {
        self.roles.is_partner()
    }
}

/// The permission table. Company roles see the registry (they address communications to it);
/// only admins and channel management change it (§4.2.1 makes channel management its owner).
pub fn allows(roles: &Roles, p: Permission) -> bool {
    use Permission::*;
    use Role::*;
    roles.iter().any(|r| match p {
        ReadPartners | ReadSegments => true,
        UsePortal => r == PartnerUser,
        UseConsole | ReadDirectory => r != PartnerUser,
        WritePartners | ImportPartners | WriteSegments => matches!(r, Admin | ChannelManager),
        ExportPartners => matches!(r, Admin | ChannelManager | DeptHead | Executive),
        AdminUsers | ReadAudit => r == Admin,
        CreateRequests => r != PartnerUser,
        ReadAllRequests => matches!(r, Admin | ChannelManager | Executive),
        UseInbox => r == PartnerUser,
        ReadAllThreads => matches!(r, Admin | ChannelManager | Executive),
        ManageDeliveries | ManageCalendar => matches!(r, Admin | ChannelManager),
        ManageIntegrations => r == Admin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(roles: &str, partner: Option<Uuid>) -> Actor {
        Actor {
            user_id: Uuid::nil(),
            roles: Roles::parse_list(roles).expect("roles"),
            partner_id: partner,
            department_id: None,
        }
    }

    #[test]
    fn only_admin_and_channel_management_change_the_registry() {
        for (roles, can) in [
            ("admin", true),
            ("channel_manager", true),
            ("dept_head", false),
            ("executive", false),
            ("staff", false),
            ("partner_user", false),
        ] {
            assert_eq!(
                actor(roles, None).can(Permission::WritePartners),
                can,
                "{roles}"
            );
        }
    }

    #[test]
    fn a_partner_user_is_scoped_to_its_partner() {
        let p = Uuid::now_v7();
        let a = actor("partner_user", Some(p));
        assert_eq!(a.scope(), Scope::Partner(p));
        assert!(a.scope().allows(p));
        assert!(!a.scope().allows(Uuid::now_v7()));
        assert!(!a.can(Permission::UseConsole));
        assert!(a.can(Permission::UsePortal));
        assert_eq!(actor("partner_user", None).scope(), Scope::Nothing);
        assert_eq!(actor("staff", None).scope(), Scope::All);
    }

    #[test]
    fn several_roles_add_up() {
        let a = actor("staff,dept_head", None);
        assert!(a.can(Permission::ExportPartners));
        assert!(!a.can(Permission::AdminUsers));
    }
}
