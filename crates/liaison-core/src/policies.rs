//! The policy library (policy §3.1; SPEC D1–D3): market, sales and product policies with
//! versions, each announced through the request form and its review chain (category `policy`)
//! before it takes force. Pure rules: a version's state at a moment, which version is in
//! force on a date, how much notice a change gave, and a partner's acknowledgement cell.
//! Storage, the request flow and dispatch live elsewhere; what changed is `crate::diff`.

use crate::request::Audience;
use crate::review::{Classification, RequestState};
use crate::str_enum;
use crate::validate::{FieldErrors, Msg, optional_text, required_text};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

str_enum!(
    /// §3.1.1: what a policy governs.
    PolicyKind { Market = "market", Sales = "sales", Product = "product", Other = "other" }
);
str_enum!(
    /// Where a version stands: written, in review, approved and announced but not yet in force,
    /// in force, replaced by a later version in force, or never to take force.
    VersionState {
        Draft = "draft",
        InReview = "in_review",
        Scheduled = "scheduled",
        InForce = "in_force",
        Superseded = "superseded",
        Withdrawn = "withdrawn",
    }
);
str_enum!(
    /// §3.1.1: one partner's acknowledgement of one version.
    AckCell { Acknowledged = "acknowledged", Pending = "pending", Overdue = "overdue", NotSent = "not_sent" }
);

/// What decides a version's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionFacts {
    /// The state of the request that publishes the version.
    pub request: RequestState,
    /// When its announcement went out (the message's dispatch).
    pub announced_at: Option<DateTime<Utc>>,
    pub effective_at: Option<DateTime<Utc>>,
    /// Taken back after approval, before it took force.
    pub withdrawn: bool,
}

impl VersionFacts {
    /// §3.1.2: a version takes force at its effective date, and never before it was announced.
    pub fn in_force_from(&self) -> Option<DateTime<Utc>> {
        if self.withdrawn {
            return None;
        }
        let announced = self.announced_at?;
        Some(self.effective_at.map_or(announced, |e| e.max(announced)))
    }
}

/// The version in force at `at` among one policy's versions (in version order): of those that
/// had taken force by then, the one that took force last (a later number wins a tie).
pub fn in_force_at(versions: &[VersionFacts], at: DateTime<Utc>) -> Option<usize> {
    versions
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.in_force_from().filter(|f| *f <= at).map(|f| (f, i)))
        .max()
        .map(|(_, i)| i)
}

/// Each version's state at `now` (same order as given).
pub fn states(versions: &[VersionFacts], now: DateTime<Utc>) -> Vec<VersionState> {
    let current = in_force_at(versions, now);
    versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if v.withdrawn {
                return VersionState::Withdrawn;
            }
            match v.request {
                RequestState::Draft | RequestState::Returned => VersionState::Draft,
                RequestState::PendingDeptHead
                | RequestState::PendingChannelReview
                | RequestState::PendingExecutive => VersionState::InReview,
                RequestState::Rejected | RequestState::Withdrawn => VersionState::Withdrawn,
                RequestState::Approved | RequestState::Dispatched => match v.in_force_from() {
                    Some(_) if current == Some(i) => VersionState::InForce,
                    Some(f) if f <= now => VersionState::Superseded,
                    _ => VersionState::Scheduled,
                },
            }
        })
        .collect()
}

/// Whole days of notice between the announcement and the effective date (§3.1.2); negative
/// when the date had passed.
pub fn notice_days(announced: DateTime<Utc>, effective: DateTime<Utc>) -> i64 {
    (effective - announced).num_days()
}

/// §3.1.2: an important change announced with less than `min_days` of notice needs an
/// executive's approval and is flagged.
pub fn short_notice(
    important: bool,
    announced: DateTime<Utc>,
    effective: Option<DateTime<Utc>>,
    min_days: i64,
) -> bool {
    important && effective.is_some_and(|e| e - announced < Duration::days(min_days))
}

/// One partner's cell for one version: whether it was sent the version, confirmed it, and if
/// not whether the confirmation deadline has passed.
pub fn ack_cell(
    sent: bool,
    acked: bool,
    due: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> AckCell {
    match (sent, acked) {
        (false, _) => AckCell::NotSent,
        (true, true) => AckCell::Acknowledged,
        (true, false) if due.is_some_and(|d| d < now) => AckCell::Overdue,
        (true, false) => AckCell::Pending,
    }
}

/// The default notice a policy kind asks for (§3.1.2; SPEC D2: 30 days).
pub const DEFAULT_NOTICE_DAYS: i64 = 30;

/// A policy as typed (POST creates, PATCH overlays).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyInput {
    pub kind: Option<String>,
    pub title: Option<String>,
    pub title_en: Option<String>,
    pub owner_department_id: Option<Uuid>,
    /// `{"all": true}`, or partners and segments.
    pub audience: Option<Audience>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyForm {
    pub kind: PolicyKind,
    pub title: String,
    pub title_en: Option<String>,
    pub owner_department_id: Option<Uuid>,
    pub audience: Audience,
}

impl PolicyInput {
    /// Every field checked at once; the audience names partners or segments (never single
    /// contacts: a policy is for partners, §3.1.1) or all.
    pub fn parse(&self) -> Result<PolicyForm, FieldErrors> {
        let mut e = FieldErrors::new();
        let kind = match self.kind.as_deref() {
            None => {
                e.required("kind");
                None
            }
            Some(k) => e.take("kind", PolicyKind::parse(k)),
        };
        let title = e.take(
            "title",
            required_text(self.title.as_deref().unwrap_or(""), 200),
        );
        let title_en = e
            .take(
                "title_en",
                optional_text(self.title_en.as_deref().unwrap_or(""), 200),
            )
            .flatten();
        let audience = self.audience.clone().unwrap_or_default();
        if !audience.contacts.is_empty() {
            e.add("audience.contacts", Msg::new("policy.error.no_contacts"));
        }
        if audience.is_empty() {
            e.required("audience");
        }
        match (kind, title) {
            (Some(kind), Some(title)) if e.is_empty() => Ok(PolicyForm {
                kind,
                title,
                title_en,
                owner_department_id: self.owner_department_id,
                audience,
            }),
            _ => Err(e),
        }
    }

    /// `patch` over this input: the fields it has replace these.
    pub fn overlay(mut self, patch: PolicyInput) -> Self {
        if patch.kind.is_some() {
            self.kind = patch.kind;
        }
        if patch.title.is_some() {
            self.title = patch.title;
        }
        if patch.title_en.is_some() {
            self.title_en = patch.title_en;
        }
        if patch.owner_department_id.is_some() {
            self.owner_department_id = patch.owner_department_id;
        }
        if patch.audience.is_some() {
            self.audience = patch.audience;
        }
        self
    }
}

impl PolicyForm {
    pub fn to_input(&self) -> PolicyInput {
        PolicyInput {
            kind: Some(self.kind.as_str().to_string()),
            title: Some(self.title.clone()),
            title_en: self.title_en.clone(),
            owner_department_id: self.owner_department_id,
            audience: Some(self.audience.clone()),
        }
    }
}

/// A version as typed: its text, when it takes force, and for a change why and what it does
/// (§3.1.2).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VersionInput {
    /// Markdown.
    pub body: Option<String>,
    pub effective_at: Option<DateTime<Utc>>,
    pub change_reason: Option<String>,
    pub impact: Option<String>,
    /// An important change needs the notice period (default true).
    pub important: Option<bool>,
    /// When partners must have acknowledged it (default: the effective date, or three days
    /// from now if that is sooner).
    pub ack_due_at: Option<DateTime<Utc>>,
    /// `public`, `internal` (the default), `confidential` or `secret`: a confidential or
    /// secret version is read in full only by those who need to know (§7.2.2), and its
    /// announcement carries the same classification.
    pub classification: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionForm {
    pub body: String,
    pub effective_at: DateTime<Utc>,
    pub change_reason: Option<String>,
    pub impact: Option<String>,
    pub important: bool,
    pub ack_due_at: DateTime<Utc>,
    pub classification: Classification,
}

impl VersionInput {
    /// `change`: the version replaces an earlier one, so its reason and impact are required
    /// (§3.1.2).
    pub fn parse(&self, change: bool, now: DateTime<Utc>) -> Result<VersionForm, FieldErrors> {
        let mut e = FieldErrors::new();
        let body = match self.body.as_deref().unwrap_or("") {
            b if b.trim().is_empty() => {
                e.required("body");
                None
            }
            b if b.chars().count() > 100_000 => {
                e.add("body", Msg::new("validate.max_chars").arg("max", "100,000"));
                None
            }
            b => Some(b.to_string()),
        };
        if self.effective_at.is_none() {
            e.required("effective_at");
        }
        let mut text = |field: &str, v: &Option<String>| {
            let r = if change {
                required_text(v.as_deref().unwrap_or(""), 2000).map(Some)
            } else {
                optional_text(v.as_deref().unwrap_or(""), 2000)
            };
            e.take(field, r).flatten()
        };
        let change_reason = text("change_reason", &self.change_reason);
        let impact = text("impact", &self.impact);
        let ack_due_at = match (self.ack_due_at, self.effective_at) {
            (Some(d), _) if d <= now => {
                e.add("ack_due_at", Msg::new("validate.in_future"));
                None
            }
            (Some(d), _) => Some(d),
            (None, Some(eff)) => Some(eff.max(now + Duration::days(3))),
            (None, None) => None,
        };
        let classification = match self.classification.as_deref().map(str::trim) {
            None | Some("") => Some(Classification::Internal),
            Some(c) => e.take("classification", Classification::parse(c)),
        };
        match (body, self.effective_at, ack_due_at, classification) {
            (Some(body), Some(effective_at), Some(ack_due_at), Some(classification))
                if e.is_empty() =>
            {
                Ok(VersionForm {
                    body,
                    effective_at,
                    change_reason,
                    impact,
                    important: self.important.unwrap_or(true),
                    ack_due_at,
                    classification,
                })
            }
            _ => Err(e),
        }
    }

    pub fn overlay(mut self, patch: VersionInput) -> Self {
        if patch.body.is_some() {
            self.body = patch.body;
        }
        if patch.effective_at.is_some() {
            self.effective_at = patch.effective_at;
        }
        if patch.change_reason.is_some() {
            self.change_reason = patch.change_reason;
        }
        if patch.impact.is_some() {
            self.impact = patch.impact;
        }
        if patch.important.is_some() {
            self.important = patch.important;
        }
        if patch.ack_due_at.is_some() {
            self.ack_due_at = patch.ack_due_at;
        }
        if patch.classification.is_some() {
            self.classification = patch.classification;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, d, 0, 0, 0)
            .single()
            .expect("a date")
    }

    fn sent(announced: u32, effective: u32) -> VersionFacts {
        VersionFacts {
            request: RequestState::Dispatched,
            announced_at: Some(day(announced)),
            effective_at: Some(day(effective)),
            withdrawn: false,
        }
    }

    #[test]
    fn a_version_goes_from_draft_to_in_force_and_is_superseded_at_the_next_ones_date() {
        let draft = VersionFacts {
            request: RequestState::Draft,
            announced_at: None,
            effective_at: Some(day(20)),
            withdrawn: false,
        };
        let review = VersionFacts {
            request: RequestState::PendingChannelReview,
            ..draft
        };
        use VersionState::*;
        assert_eq!(states(&[sent(1, 5), draft], day(6)), vec![InForce, Draft]);
        assert_eq!(
            states(&[sent(1, 5), review], day(6)),
            vec![InForce, InReview]
        );
        let v2 = sent(6, 20);
        assert_eq!(states(&[sent(1, 5), v2], day(10)), vec![InForce, Scheduled]);
        assert_eq!(
            states(&[sent(1, 5), v2], day(20)),
            vec![Superseded, InForce]
        );
        // Before the first took force, nothing is.
        assert_eq!(states(&[sent(1, 5)], day(3)), vec![Scheduled]);
        assert_eq!(in_force_at(&[sent(1, 5), v2], day(4)), None);
        assert_eq!(in_force_at(&[sent(1, 5), v2], day(19)), Some(0));
    }

    #[test]
    fn a_version_is_never_in_force_before_it_was_announced() {
        // Effective on the 3rd, announced on the 9th: in force from the 9th.
        let late = sent(9, 3);
        assert_eq!(late.in_force_from(), Some(day(9)));
        assert_eq!(states(&[late], day(5)), vec![VersionState::Scheduled]);
        assert_eq!(states(&[late], day(9)), vec![VersionState::InForce]);
        let approved_not_sent = VersionFacts {
            request: RequestState::Approved,
            announced_at: None,
            effective_at: Some(day(2)),
            withdrawn: false,
        };
        assert_eq!(
            states(&[approved_not_sent], day(20)),
            vec![VersionState::Scheduled]
        );
    }

    #[test]
    fn withdrawn_and_rejected_versions_never_take_force() {
        let mut v2 = sent(6, 8);
        v2.withdrawn = true;
        assert_eq!(
            states(&[sent(1, 5), v2], day(10)),
            vec![VersionState::InForce, VersionState::Withdrawn]
        );
        let rejected = VersionFacts {
            request: RequestState::Rejected,
            announced_at: None,
            effective_at: Some(day(8)),
            withdrawn: false,
        };
        assert_eq!(states(&[rejected], day(10)), vec![VersionState::Withdrawn]);
    }

    #[test]
    fn short_notice_is_an_important_change_with_fewer_days_than_the_setting() {
        assert!(short_notice(true, day(1), Some(day(20)), 30));
        assert!(!short_notice(true, day(1), Some(day(31)), 30));
        assert!(!short_notice(false, day(1), Some(day(2)), 30));
        assert_eq!(notice_days(day(1), day(31)), 30);
    }

    #[test]
    fn the_acknowledgement_cell() {
        assert_eq!(ack_cell(false, false, None, day(1)), AckCell::NotSent);
        assert_eq!(
            ack_cell(true, true, Some(day(1)), day(9)),
            AckCell::Acknowledged
        );
        assert_eq!(
            ack_cell(true, false, Some(day(5)), day(9)),
            AckCell::Overdue
        );
        assert_eq!(
            ack_cell(true, false, Some(day(10)), day(9)),
            AckCell::Pending
        );
    }
}
