//! Leak incidents (policy §7.3; SPEC G7): a leak is stopped at once, reported to senior
//! leadership, investigated and dealt with under the NDA and the law.
//!
//! An incident is reported (by anyone on the staff, from a leak trace or by hand), contained
//! (the suspected recipients' portal copies recalled, their one-click links expired, their
//! partner's robots paused until their secrets are rotated), investigated (cause, responsible
//! party, evidence, the NDA that applies) and closed with the actions taken. Leadership is told
//! at the report, through every channel they have. Only leadership (executives) and the head
//! of channel management read incidents; a reporter reads what they reported.
//!
//! What lives elsewhere: storage in `liaison_db::incidents`, containment and the notices in
//! `liaison_app::incidents`.

use crate::role::Role;
use crate::validate::Msg;
use crate::{Actor, FieldErrors, str_enum};
use uuid::Uuid;

str_enum!(
    /// An incident's state (§7.3).
    IncidentState {
        Reported = "reported",
        Contained = "contained",
        Investigating = "investigating",
        Closed = "closed",
    }
);

str_enum!(
    /// An entry on an incident's timeline.
    EventKind {
        Reported = "reported",
        Contained = "contained",
        Notified = "notified",
        Note = "note",
        Investigation = "investigation",
        Closed = "closed",
    }
);

str_enum!(
    /// How serious a leak is.
    Severity { Low = "low", Medium = "medium", High = "high", Critical = "critical" }
);

impl IncidentState {
    /// The moves §7.3 allows: containment first when there is something to contain, then the
    /// investigation, then closure; a closed incident stays closed.
    pub fn may_become(self, next: IncidentState) -> bool {
        use IncidentState::*;
        matches!(
            (self, next),
            (Reported, Contained)
                | (Reported, Investigating)
                | (Contained, Investigating)
                | (Reported | Contained | Investigating, Closed)
        )
    }
}

/// Who reads incidents: leadership and the head of channel management, and the reporter
/// their own.
pub fn may_read(actor: &Actor, heads_channel: bool, reporter: Option<Uuid>) -> bool {
    !actor.is_partner()
        && (actor.roles.has(Role::Executive)
            || heads_channel
            || reporter.is_some_and(|r| r == actor.user_id))
}

/// Who contains, investigates and closes: leadership and the head of channel management.
pub fn may_handle(actor: &Actor, heads_channel: bool) -> bool {
    !actor.is_partner() && (actor.roles.has(Role::Executive) || heads_channel)
}

/// What closing needs (§7.3): the cause, who was responsible and what was done.
pub fn check_close(cause: &str, responsible: &str, actions: &str) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::new();
    for (field, value) in [
        ("cause", cause),
        ("responsible", responsible),
        ("actions", actions),
    ] {
        if value.trim().is_empty() {
            e.add(
                field,
                Msg::new("incident.close_needs").arg_code("field", "incident", field),
            );
        }
    }
    if e.is_empty() { Ok(()) } else { Err(e) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Roles;

    #[test]
    fn an_incident_is_contained_investigated_and_closed_and_stays_closed() {
        use IncidentState::*;
        assert!(Reported.may_become(Contained));
        assert!(Contained.may_become(Investigating));
        assert!(Investigating.may_become(Closed));
        assert!(!Closed.may_become(Investigating));
        assert!(!Investigating.may_become(Contained));
        assert!(!Contained.may_become(Reported));
    }

    #[test]
    fn only_leadership_the_channel_head_and_the_reporter_read_it() {
        let a = |roles: &str, id: u128| Actor {
            user_id: Uuid::from_u128(id),
            roles: Roles::parse_list(roles).expect("roles"),
            partner_id: None,
            department_id: None,
        };
        assert!(may_read(&a("executive", 1), false, None));
        assert!(may_read(&a("channel_manager", 2), true, None));
        assert!(!may_read(&a("admin", 3), false, None), "§7.3: not admins");
        assert!(!may_read(&a("channel_manager", 4), false, None));
        assert!(may_read(&a("staff", 5), false, Some(Uuid::from_u128(5))));
        assert!(!may_handle(&a("staff", 5), false));
    }

    #[test]
    fn closing_names_what_is_missing() {
        let e = check_close("", "the partner's sales assistant", " ").expect_err("missing");
        assert!(e.get("cause").is_some());
        assert!(e.get("actions").is_some());
        assert!(e.get("responsible").is_none());
    }
}
