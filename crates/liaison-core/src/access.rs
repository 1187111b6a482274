//! Need-to-know (policy §7.2.2; SPEC G4): who may read a confidential or secret item in full.
//!
//! The usual rules decide first whether someone may see an item at all (`authorize`). For a
//! confidential or secret item, that is not enough: only its circle reads it in full, namely its
//! owners (a request's requester; a ticket's assignee and its partner's channel manager; a
//! meeting's organiser; a submission's channel manager; a policy version's author), those who
//! know it by their part in it (reviewers who decided a step, and those who may decide the
//! step it waits for; a meeting's staff attendees), and the named people and roles on its
//! access list. Everyone else on the staff, admins included, sees a confidential item's title
//! only, and a secret item not at all. Partner users see their own partner's items as the usual
//! rules say: the access list restricts staff. Asking for access is a request the owner grants
//! or refuses; a grant puts the person on the list.
//!
//! What lives elsewhere: the lists and requests are stored by `liaison_db::access`, reads are
//! audited by the service (`liaison_app::access`).

use crate::review::Classification;
use crate::role::Role;
use crate::{Actor, str_enum};
use uuid::Uuid;

str_enum!(
    /// What kind of item an access list or request is about.
    ItemKind {
        Request = "request",
        Ticket = "ticket",
        Meeting = "meeting",
        Submission = "submission",
        PolicyVersion = "policy_version",
    }
);

str_enum!(
    /// An access request's life: asked, then granted or refused by the item's owner.
    AccessState { Requested = "requested", Granted = "granted", Refused = "refused" }
);

/// How much of an item someone may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Everything.
    Full,
    /// Its title and that it exists; the body, attachments and answers are withheld.
    TitleOnly,
    /// Nothing: as if it did not exist.
    Hidden,
}

/// The people who know an item.
#[derive(Debug, Clone, Default)]
pub struct Circle {
    /// Those who answer for the item: they keep its access list; the first decides requests.
    pub owners: Vec<Uuid>,
    /// Those who know it by their part in it: reviewers who decided a step, staff attendees.
    pub reviewers: Vec<Uuid>,
    /// The actor may decide the step the item waits for (they must read what they approve).
    pub reviewing_now: bool,
    /// Named people on the access list.
    pub users: Vec<Uuid>,
    /// Roles on the access list: everyone holding one of them.
    pub roles: Vec<Role>,
    /// Who decides access requests when the item has no owner (a confidential ticket without
    /// an assignee whose partner has no channel manager): the head of channel management
    /// (§7.2.2: an item one sees the title of can always be asked for). Deciding does not
    /// put them in the circle.
    pub fallback: Option<Uuid>,
}

impl Circle {
    pub fn holds(&self, actor: &Actor) -> bool {
        self.owners.contains(&actor.user_id)
            || self.reviewing_now
            || self.reviewers.contains(&actor.user_id)
            || self.users.contains(&actor.user_id)
            || self.roles.iter().any(|r| actor.roles.has(*r))
    }

    /// The owner asked for access: the first owner, else the fallback (`None` when the item
    /// has neither).
    pub fn decider(&self) -> Option<Uuid> {
        self.owners.first().copied().or(self.fallback)
    }

    /// Whether `actor` keeps the item's access list (§7.2.2: its owners name who else knows).
    pub fn keeps_list(&self, actor: &Actor) -> bool {
        self.owners.contains(&actor.user_id)
    }
}

/// §7.2.2: how much of an item of `classification` someone who may otherwise see it sees. A
/// partner user reads their own partner's items as before (the list restricts staff).
pub fn access(actor: &Actor, classification: Classification, circle: &Circle) -> Access {
    access_known(actor, classification, circle.holds(actor))
}

/// §7.2.2 where whether `actor` is in the circle (`known`) was decided elsewhere: a partner's
/// figures of a data set outside one submission (trends, anomalies, totals), whose circle is
/// read in SQL over many partners at once (`liaison_app::data`).
pub fn access_known(actor: &Actor, classification: Classification, known: bool) -> Access {
    if classification < Classification::Confidential || actor.is_partner() || known {
        Access::Full
    } else if classification == Classification::Secret {
        Access::Hidden
    } else {
        Access::TitleOnly
    }
}

/// Whether `actor` may ask for access: someone outside the circle of a confidential item they
/// can see the title of (a secret item is not known to exist, so it cannot be asked for).
pub fn may_ask(actor: &Actor, classification: Classification, circle: &Circle) -> bool {
    access(actor, classification, circle) == Access::TitleOnly
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Roles;

    fn actor(id: u128, roles: &str) -> Actor {
        Actor {
            user_id: Uuid::from_u128(id),
            roles: Roles::parse_list(roles).expect("roles"),
            partner_id: None,
            department_id: None,
        }
    }

    #[test]
    fn outside_the_circle_an_admin_sees_a_confidential_title_only_and_no_secret_at_all() {
        let circle = Circle {
            owners: vec![Uuid::from_u128(1)],
            ..Default::default()
        };
        let admin = actor(9, "admin");
        assert_eq!(
            access(&admin, Classification::Confidential, &circle),
            Access::TitleOnly
        );
        assert_eq!(
            access(&admin, Classification::Secret, &circle),
            Access::Hidden
        );
        assert_eq!(
            access(&admin, Classification::Internal, &circle),
            Access::Full
        );
        assert!(may_ask(&admin, Classification::Confidential, &circle));
        assert!(!may_ask(&admin, Classification::Secret, &circle));
    }

    #[test]
    fn the_owner_reviewers_named_people_and_listed_roles_read_in_full() {
        let mut circle = Circle {
            owners: vec![Uuid::from_u128(1)],
            reviewers: vec![Uuid::from_u128(2)],
            users: vec![Uuid::from_u128(3)],
            roles: vec![Role::Executive],
            ..Default::default()
        };
        for a in [
            actor(1, "staff"),
            actor(2, "channel_manager"),
            actor(3, "staff"),
            actor(4, "executive"),
        ] {
            assert_eq!(access(&a, Classification::Secret, &circle), Access::Full);
        }
        let reviewer = actor(5, "channel_manager");
        assert_eq!(
            access(&reviewer, Classification::Secret, &circle),
            Access::Hidden
        );
        circle.reviewing_now = true;
        assert_eq!(
            access(&reviewer, Classification::Secret, &circle),
            Access::Full
        );
    }

    #[test]
    fn a_partner_user_reads_their_own_items_the_list_restricts_staff() {
        let circle = Circle {
            owners: vec![Uuid::from_u128(1)],
            ..Default::default()
        };
        let p = actor(7, "partner_user");
        assert_eq!(access(&p, Classification::Secret, &circle), Access::Full);
        assert!(!circle.keeps_list(&p));
    }

    #[test]
    fn every_owner_keeps_the_list_and_the_first_decides() {
        let circle = Circle {
            owners: vec![Uuid::from_u128(1), Uuid::from_u128(2)],
            ..Default::default()
        };
        assert!(circle.keeps_list(&actor(2, "channel_manager")));
        assert!(!circle.keeps_list(&actor(3, "admin")));
        assert_eq!(circle.decider(), Some(Uuid::from_u128(1)));
        assert_eq!(Circle::default().decider(), None);
    }

    #[test]
    fn without_an_owner_the_fallback_decides_but_does_not_read() {
        let head = actor(5, "dept_head,channel_manager");
        let circle = Circle {
            fallback: Some(head.user_id),
            ..Default::default()
        };
        assert_eq!(circle.decider(), Some(head.user_id));
        assert!(!circle.keeps_list(&head));
        assert_eq!(
            access(&head, Classification::Confidential, &circle),
            Access::TitleOnly
        );
        let owned = Circle {
            owners: vec![Uuid::from_u128(1)],
            fallback: Some(head.user_id),
            ..Default::default()
        };
        assert_eq!(owned.decider(), Some(Uuid::from_u128(1)));
    }
}
