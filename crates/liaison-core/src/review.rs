//! The Channel Communication Request Form and its review chain (policy §4.1.1, §4.2, §3.1.2;
//! SPEC B1-B3). Pure rules: which steps a request needs, who may decide a step, and what each
//! decision does to the request's state. Storage and dispatch live elsewhere.

use crate::policy::Actor;
use crate::role::Role;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::str_enum;

str_enum!(
    /// SPEC B1: what a communication is about.
    Category { Policy = "policy", Product = "product", Data = "data", Problem = "problem", Meeting = "meeting", Other = "other" }
);
str_enum!(Importance { Normal = "normal", Important = "important", Major = "major" });
str_enum!(Urgency { Normal = "normal", Urgent = "urgent" });
str_enum!(
    /// SPEC G1, policy §7: ordered from least to most sensitive.
    Classification { Public = "public", Internal = "internal", Confidential = "confidential", Secret = "secret" }
);
str_enum!(
    /// Where a request stands.
    RequestState {
        Draft = "draft",
        PendingDeptHead = "pending_dept_head",
        PendingChannelReview = "pending_channel_review",
        PendingExecutive = "pending_executive",
        Approved = "approved",
        Dispatched = "dispatched",
        Rejected = "rejected",
        Returned = "returned",
        Withdrawn = "withdrawn",
    }
);
str_enum!(
    /// The review steps, in the order the policy sets them.
    Step { DeptHead = "dept_head", ChannelReview = "channel_review", Executive = "executive" }
);
str_enum!(Decision { Approve = "approve", Reject = "reject", Return = "return" });

impl Classification {
    pub fn needs_nda(self) -> bool {
        matches!(self, Classification::Confidential | Classification::Secret)
    }
}

impl Step {
    pub fn pending_state(self) -> RequestState {
        match self {
            Step::DeptHead => RequestState::PendingDeptHead,
            Step::ChannelReview => RequestState::PendingChannelReview,
            Step::Executive => RequestState::PendingExecutive,
        }
    }
}

impl RequestState {
    /// The step a request in this state waits for.
    pub fn step(self) -> Option<Step> {
        match self {
            RequestState::PendingDeptHead => Some(Step::DeptHead),
            RequestState::PendingChannelReview => Some(Step::ChannelReview),
            RequestState::PendingExecutive => Some(Step::Executive),
            _ => None,
        }
    }
    /// The requester may still change the content.
    pub fn editable(self) -> bool {
        matches!(self, RequestState::Draft | RequestState::Returned)
    }
}

/// What decides a request's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainFacts {
    /// The requester heads their own department (§4.1.1 review is then already theirs).
    pub requester_is_dept_head: bool,
    pub importance: Importance,
    pub classification: Classification,
    /// A policy change announced with less notice than the setting (§3.1.2).
    pub short_notice_policy_change: bool,
}

/// §4.1.1, §4.2.2, §3.1.2: department head, then channel management, then an executive when
/// the communication is major, secret, or a short-notice policy change.
pub fn steps(f: ChainFacts) -> Vec<Step> {
    let mut s = Vec::with_capacity(3);
    if !f.requester_is_dept_head {
        s.push(Step::DeptHead);
    }
    s.push(Step::ChannelReview);
    if f.importance == Importance::Major
        || f.classification == Classification::Secret
        || f.short_notice_policy_change
    {
        s.push(Step::Executive);
    }
    s
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("the request is {0}, not waiting for a review")]
    NotPending(RequestState),
    #[error("nobody decides on their own request")]
    OwnRequest,
    #[error("only {0} may decide this step")]
    NotEligible(&'static str),
    #[error("a comment is required to {0}")]
    CommentRequired(Decision),
    #[error("the request is {0}; only a draft or returned request can be {1}")]
    NotEditable(RequestState, &'static str),
    #[error("only the requester can {0} it")]
    NotRequester(&'static str),
}

impl ReviewError {
    /// The message for a person, in their language.
    pub fn msg(&self) -> crate::validate::Msg {
        use crate::validate::Msg;
        match self {
            ReviewError::NotPending(s) => {
                Msg::new("review.error.not_pending").arg_code("state", "state", s.as_str())
            }
            ReviewError::OwnRequest => Msg::new("review.error.own_request"),
            ReviewError::NotEligible(who) => Msg::new("review.error.not_eligible").arg("who", who),
            ReviewError::CommentRequired(d) => Msg::new("review.error.comment_required").arg_code(
                "decision",
                "decision",
                d.as_str(),
            ),
            ReviewError::NotEditable(s, verb) => Msg::new("review.error.not_editable")
                .arg_code("state", "state", s.as_str())
                .arg("verb", verb),
            ReviewError::NotRequester(verb) => {
                Msg::new("review.error.not_requester").arg("verb", verb)
            }
        }
    }
}

/// Who is asking for a decision, about whose request.
pub struct DecisionContext<'a> {
    pub actor: &'a Actor,
    pub requester_id: Uuid,
    pub requester_department: Option<Uuid>,
}

/// Whether `ctx.actor` may decide `step`: the head of the requester's department, a channel
/// manager, an executive; never the requester.
pub fn may_decide(ctx: &DecisionContext<'_>, step: Step) -> Result<(), ReviewError> {
    if ctx.actor.user_id == ctx.requester_id {
        return Err(ReviewError::OwnRequest);
    }
    let roles = &ctx.actor.roles;
    let ok = match step {
        Step::DeptHead => {
            roles.has(Role::DeptHead)
                && ctx.requester_department.is_some()
                && ctx.actor.department_id == ctx.requester_department
        }
        Step::ChannelReview => roles.has(Role::ChannelManager),
        Step::Executive => roles.has(Role::Executive),
    };
    if ok {
        Ok(())
    } else {
        Err(ReviewError::NotEligible(match step {
            Step::DeptHead => "the head of the requester's department",
            Step::ChannelReview => "channel management",
            Step::Executive => "an executive",
        }))
    }
}

/// The state after `decision` on a request in `state` whose chain is `chain`.
pub fn decide(
    state: RequestState,
    chain: &[Step],
    decision: Decision,
    comment: &str,
) -> Result<RequestState, ReviewError> {
    let Some(step) = state.step() else {
        return Err(ReviewError::NotPending(state));
    };
    if decision != Decision::Approve && comment.trim().is_empty() {
        return Err(ReviewError::CommentRequired(decision));
    }
    Ok(match decision {
        Decision::Reject => RequestState::Rejected,
        Decision::Return => RequestState::Returned,
        Decision::Approve => {
            let next = chain.iter().skip_while(|s| **s != step).nth(1);
            next.map_or(RequestState::Approved, |s| s.pending_state())
        }
    })
}

/// A submitted request starts at its first step.
pub fn submitted_state(chain: &[Step]) -> RequestState {
    chain
        .first()
        .map_or(RequestState::Approved, |s| s.pending_state())
}

/// Whether a policy change gives less notice than `notice_days` (§3.1.2).
pub fn short_notice(
    category: Category,
    effective_at: Option<DateTime<Utc>>,
    announced: DateTime<Utc>,
    notice_days: i64,
) -> bool {
    category == Category::Policy
        && effective_at.is_some_and(|e| e - announced < Duration::days(notice_days))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::Roles;

    fn facts(head: bool, importance: Importance, classification: Classification) -> ChainFacts {
        ChainFacts {
            requester_is_dept_head: head,
            importance,
            classification,
            short_notice_policy_change: false,
        }
    }

    fn actor(roles: &str, dept: Option<Uuid>) -> Actor {
        Actor {
            user_id: Uuid::now_v7(),
            roles: Roles::parse_list(roles).expect("roles"),
            partner_id: None,
            department_id: dept,
        }
    }

    #[test]
    fn the_chain_follows_section_4() {
        use Step::*;
        assert_eq!(
            steps(facts(false, Importance::Normal, Classification::Internal)),
            vec![DeptHead, ChannelReview]
        );
        // A department head's own request skips the first step.
        assert_eq!(
            steps(facts(true, Importance::Important, Classification::Public)),
            vec![ChannelReview]
        );
        // §4.2.2: major or secret needs senior leadership.
        assert_eq!(
            steps(facts(false, Importance::Major, Classification::Internal)),
            vec![DeptHead, ChannelReview, Executive]
        );
        assert_eq!(
            steps(facts(true, Importance::Normal, Classification::Secret)),
            vec![ChannelReview, Executive]
        );
        // §3.1.2: a short-notice policy change too.
        let mut f = facts(false, Importance::Normal, Classification::Public);
        f.short_notice_policy_change = true;
        assert_eq!(steps(f).last(), Some(&Executive));
    }

    #[test]
    fn decisions_move_the_request_along_its_chain() {
        let chain = steps(facts(false, Importance::Major, Classification::Internal));
        let s = submitted_state(&chain);
        assert_eq!(s, RequestState::PendingDeptHead);
        let s = decide(s, &chain, Decision::Approve, "").expect("approve");
        assert_eq!(s, RequestState::PendingChannelReview);
        let s = decide(s, &chain, Decision::Approve, "").expect("approve");
        assert_eq!(s, RequestState::PendingExecutive);
        assert_eq!(
            decide(s, &chain, Decision::Approve, "ok"),
            Ok(RequestState::Approved)
        );
        assert_eq!(
            decide(s, &chain, Decision::Reject, "no"),
            Ok(RequestState::Rejected)
        );
        assert_eq!(
            decide(s, &chain, Decision::Return, "fix the date"),
            Ok(RequestState::Returned)
        );
        assert_eq!(
            decide(s, &chain, Decision::Return, " "),
            Err(ReviewError::CommentRequired(Decision::Return))
        );
        assert_eq!(
            decide(RequestState::Approved, &chain, Decision::Approve, ""),
            Err(ReviewError::NotPending(RequestState::Approved))
        );
    }

    #[test]
    fn nobody_decides_on_their_own_request_and_heads_review_only_their_department() {
        let dept = Uuid::now_v7();
        let head = actor("dept_head,staff", Some(dept));
        let own = DecisionContext {
            actor: &head,
            requester_id: head.user_id,
            requester_department: Some(dept),
        };
        assert_eq!(
            may_decide(&own, Step::DeptHead),
            Err(ReviewError::OwnRequest)
        );
        let staff_request = DecisionContext {
            actor: &head,
            requester_id: Uuid::now_v7(),
            requester_department: Some(dept),
        };
        assert!(may_decide(&staff_request, Step::DeptHead).is_ok());
        assert!(may_decide(&staff_request, Step::ChannelReview).is_err());
        let other_head = actor("dept_head", Some(Uuid::now_v7()));
        let ctx = DecisionContext {
            actor: &other_head,
            requester_id: Uuid::now_v7(),
            requester_department: Some(dept),
        };
        assert!(may_decide(&ctx, Step::DeptHead).is_err());
        let exec = actor("executive", None);
        let ctx = DecisionContext {
            actor: &exec,
            requester_id: Uuid::now_v7(),
            requester_department: Some(dept),
        };
        assert!(may_decide(&ctx, Step::Executive).is_ok());
        assert!(may_decide(&ctx, Step::ChannelReview).is_err());
    }

    #[test]
    fn short_notice_is_only_for_policy_changes() {
        let now = Utc::now();
        assert!(short_notice(
            Category::Policy,
            Some(now + Duration::days(13)),
            now,
            14
        ));
        assert!(!short_notice(
            Category::Policy,
            Some(now + Duration::days(14)),
            now,
            14
        ));
        assert!(!short_notice(
            Category::Product,
            Some(now + Duration::days(1)),
            now,
            14
        ));
        assert!(!short_notice(Category::Policy, None, now, 14));
    }
}
