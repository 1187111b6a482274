//! The Channel Communication Request Form (policy §4.1.1, SPEC B1) as typed, and the checks a
//! request must pass to be submitted. Drafts may be incomplete; submission may not.

use crate::partner::Channel;
use crate::review::{Category, Classification, Importance, Urgency};
use crate::validate::{FieldErrors, Msg, optional_text, required_text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who a request addresses: every active partner, or partners (all their contacts),
/// segments, single contacts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Audience {
    /// Every active partner (a policy for all, §3.1.1).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
    pub partners: Vec<Uuid>,
    pub segments: Vec<Uuid>,
    pub contacts: Vec<Uuid>,
}

impl Audience {
    pub fn is_empty(&self) -> bool {
        !self.all
            && self.partners.is_empty()
            && self.segments.is_empty()
            && self.contacts.is_empty()
    }
}

/// The form as typed (POST creates, PATCH overlays).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestInput {
    pub title: Option<String>,
    pub purpose: Option<String>,
    pub body: Option<String>,
    pub category: Option<String>,
    pub channels: Option<Vec<String>>,
    pub audience: Option<Audience>,
    pub importance: Option<String>,
    pub urgency: Option<String>,
    pub classification: Option<String>,
    pub ack_required: Option<bool>,
    pub ack_due_at: Option<DateTime<Utc>>,
    pub send_at: Option<DateTime<Utc>>,
    pub effective_at: Option<DateTime<Utc>>,
    pub change_reason: Option<String>,
    pub impact: Option<String>,
    /// The message this request corrects (§1.3.1).
    pub corrects: Option<Uuid>,
}

/// A checked request form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestForm {
    pub title: String,
    pub purpose: String,
    pub body: String,
    pub category: Category,
    pub channels: Vec<Channel>,
    pub audience: Audience,
    pub importance: Importance,
    pub urgency: Urgency,
    pub classification: Classification,
    pub ack_required: bool,
    pub ack_due_at: Option<DateTime<Utc>>,
    pub send_at: Option<DateTime<Utc>>,
    pub effective_at: Option<DateTime<Utc>>,
    pub change_reason: Option<String>,
    pub impact: Option<String>,
    pub corrects: Option<Uuid>,
}

impl RequestInput {
    pub fn overlay(mut self, patch: RequestInput) -> Self {
        macro_rules! take {
            ($($f:ident),*) => { $( if patch.$f.is_some() { self.$f = patch.$f; } )* };
        }
        take!(
            title,
            purpose,
            body,
            category,
            channels,
            audience,
            importance,
            urgency,
            classification,
            ack_required,
            ack_due_at,
            send_at,
            effective_at,
            change_reason,
            impact,
            corrects
        );
        self
    }

    /// Checks the form. With `complete` (submission), every part the policy asks for must be
    /// there: purpose, content, audience, and for a policy change its reason, impact and
    /// effective date (§3.1.2).
    pub fn parse(&self, complete: bool, now: DateTime<Utc>) -> Result<RequestForm, FieldErrors> {
        let mut e = FieldErrors::new();
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        let title = e.take("title", required_text(&s(&self.title), 200));
        let purpose = if complete {
            e.take("purpose", required_text(&s(&self.purpose), 2000))
        } else {
            e.take("purpose", optional_text(&s(&self.purpose), 2000))
                .map(Option::unwrap_or_default)
        };
        let body = match self.body.as_deref().unwrap_or("") {
            b if b.chars().count() > 100_000 => {
                e.add("body", Msg::new("validate.max_chars").arg("max", "100,000"));
                None
            }
            b if complete && b.trim().is_empty() => {
                e.required("body");
                None
            }
            b => Some(b.to_string()),
        };
        let or = |v: &Option<String>, default: &'static str| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .unwrap_or(default)
                .to_string()
        };
        let category = e.take("category", Category::parse(&or(&self.category, "other")));
        let importance = e.take(
            "importance",
            Importance::parse(&or(&self.importance, "normal")),
        );
        let urgency = e.take("urgency", Urgency::parse(&or(&self.urgency, "normal")));
        let classification = e.take(
            "classification",
            Classification::parse(&or(&self.classification, "internal")),
        );
        let mut channels = vec![Channel::Portal];
        for c in self
            .channels
            .iter()
            .flatten()
            .flat_map(|c| crate::partner::split_list(c))
        {
            if let Some(ch) = e.take("channels", Channel::parse(&c))
                && !channels.contains(&ch)
            {
                channels.push(ch);
            }
        }
        let audience = self.audience.clone().unwrap_or_default();
        // A correction goes to the recipients of the message it corrects (§1.3.1).
        if complete && audience.is_empty() && self.corrects.is_none() {
            e.add("audience", Msg::new("validate.audience_required"));
        }
        if audience.partners.len() + audience.segments.len() + audience.contacts.len() > 10_000 {
            e.add("audience", Msg::new("validate.audience_too_large"));
        }
        let ack_required = self.ack_required.unwrap_or(false);
        if ack_required && complete && self.ack_due_at.is_none() {
            e.add("ack_due_at", Msg::new("validate.ack_due_required"));
        }
        if let Some(due) = self.ack_due_at
            && complete
            && due <= now
        {
            e.add("ack_due_at", Msg::new("validate.in_future"));
        }
        if let (Some(due), Some(send)) = (self.ack_due_at, self.send_at)
            && due <= send
        {
            e.add("ack_due_at", Msg::new("validate.ack_due_after_send"));
        }
        let change_reason = e
            .take(
                "change_reason",
                optional_text(&s(&self.change_reason), 5000),
            )
            .flatten();
        let impact = e
            .take("impact", optional_text(&s(&self.impact), 5000))
            .flatten();
        if complete && category == Some(Category::Policy) {
            // §3.1.2: an important policy change states its reason, impact and effective date.
            if self.effective_at.is_none() {
                e.add("effective_at", Msg::new("validate.policy_effective_at"));
            }
            if change_reason.is_none() {
                e.add("change_reason", Msg::new("validate.policy_reason"));
            }
            if impact.is_none() {
                e.add("impact", Msg::new("validate.policy_impact"));
            }
        }
        if !e.is_empty() {
            return Err(e);
        }
        match (
            title,
            purpose,
            body,
            category,
            importance,
            urgency,
            classification,
        ) {
            (
                Some(title),
                Some(purpose),
                Some(body),
                Some(category),
                Some(importance),
                Some(urgency),
                Some(classification),
            ) => Ok(RequestForm {
                title,
                purpose,
                body,
                category,
                channels,
                audience,
                importance,
                urgency,
                classification,
                ack_required,
                ack_due_at: self.ack_due_at,
                send_at: self.send_at,
                effective_at: self.effective_at,
                change_reason,
                impact,
                corrects: self.corrects,
            }),
            _ => Err(FieldErrors::single("request", Msg::new("validate.invalid"))),
        }
    }
}

impl RequestForm {
    pub fn to_input(&self) -> RequestInput {
        RequestInput {
            title: Some(self.title.clone()),
            purpose: Some(self.purpose.clone()),
            body: Some(self.body.clone()),
            category: Some(self.category.as_str().into()),
            channels: Some(
                self.channels
                    .iter()
                    .map(|c| c.as_str().to_string())
                    .collect(),
            ),
            audience: Some(self.audience.clone()),
            importance: Some(self.importance.as_str().into()),
            urgency: Some(self.urgency.as_str().into()),
            classification: Some(self.classification.as_str().into()),
            ack_required: Some(self.ack_required),
            ack_due_at: self.ack_due_at,
            send_at: self.send_at,
            effective_at: self.effective_at,
            change_reason: self.change_reason.clone(),
            impact: self.impact.clone(),
            corrects: self.corrects,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn base() -> RequestInput {
        RequestInput {
            title: Some("2027 年度返利政策调整".into()),
            purpose: Some("告知经销商新返利规则".into()),
            body: Some("自 2027 年 1 月 1 日起……".into()),
            category: Some("product".into()),
            audience: Some(Audience {
                partners: vec![Uuid::now_v7()],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_draft_may_be_incomplete_but_a_submission_may_not() {
        let now = Utc::now();
        let draft = RequestInput {
            title: Some("草稿".into()),
            ..Default::default()
        };
        assert!(draft.parse(false, now).is_ok());
        let e = draft.parse(true, now).expect_err("incomplete");
        for f in ["purpose", "body", "audience"] {
            assert!(e.for_field(f).is_some(), "{f}: {e}");
        }
        let form = base().parse(true, now).expect("complete");
        assert_eq!(
            form.channels,
            vec![Channel::Portal],
            "the portal inbox is always a channel"
        );
        assert_eq!(form.classification, Classification::Internal);
    }

    #[test]
    fn a_policy_change_states_reason_impact_and_effective_date() {
        // §3.1.2
        let now = Utc::now();
        let mut i = base();
        i.category = Some("policy".into());
        let e = i.parse(true, now).expect_err("missing");
        for f in ["effective_at", "change_reason", "impact"] {
            assert!(e.for_field(f).is_some(), "{f}");
        }
        i.effective_at = Some(now + Duration::days(30));
        i.change_reason = Some("原材料成本上涨".into());
        i.impact = Some("返利比例由 3% 调整为 2.5%".into());
        assert!(i.parse(true, now).is_ok());
    }

    #[test]
    fn a_confirmation_needs_a_future_deadline() {
        let now = Utc::now();
        let mut i = base();
        i.ack_required = Some(true);
        assert!(
            i.parse(true, now)
                .expect_err("no due")
                .for_field("ack_due_at")
                .is_some()
        );
        i.ack_due_at = Some(now - Duration::hours(1));
        assert!(i.parse(true, now).is_err());
        i.ack_due_at = Some(now + Duration::days(3));
        assert!(i.parse(true, now).is_ok());
    }
}
