//! The compliance pre-check shown to the channel reviewer (§4.2.1, §1.3.1, §3.1.2, §7.2.2; SPEC
//! B3) and the review settings it reads. Pure: the words to flag and the notice period are
//! settings an admin edits (stored by `liaison_db::settings`).

use crate::request::RequestForm;
use crate::review::{self, Classification, Step};
use chrono::{DateTime, Utc};

/// Settings the review needs.
#[derive(Debug, Clone)]
pub struct ReviewSettings {
    /// §3.1.2: a policy change announced with fewer days' notice needs an executive.
    pub policy_notice_days: i64,
    /// Words the compliance pre-check flags (§4.2.1).
    pub sensitive_terms: Vec<String>,
    /// Steps that need every eligible reviewer's approval rather than any one's.
    pub need_all_steps: Vec<Step>,
}

impl Default for ReviewSettings {
    fn default() -> Self {
        Self {
            policy_notice_days: 14,
            sensitive_terms: [
                "绝密",
                "内部价",
                "底价",
                "保证收益",
                "返现",
                "internal price",
                "guaranteed return",
                "kickback",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            need_all_steps: Vec::new(),
        }
    }
}

/// The automatic pre-check shown to the channel reviewer (§4.2.1, §1.3.1, SPEC B3).
pub fn precheck(
    form: &RequestForm,
    settings: &ReviewSettings,
    now: DateTime<Utc>,
    segment_count: usize,
) -> Vec<String> {
    let mut f = Vec::new();
    let text = format!("{}\n{}\n{}", form.title, form.purpose, form.body).to_lowercase();
    for t in &settings.sensitive_terms {
        if !t.is_empty() && text.contains(&t.to_lowercase()) {
            f.push(format!("sensitive term: {t}"));
        }
    }
    for vague in ["待定", "大概", "可能会", "tbd", "to be confirmed"] {
        if text.contains(vague) {
            f.push(format!("vague wording: {vague}"));
        }
    }
    if form.purpose.trim().is_empty() {
        f.push("missing purpose".into());
    }

    let sounds_confidential = ["保密", "机密", "confidential", "价格", "price"]
        .iter()
        .any(|w| text.contains(w));
    if sounds_confidential && form.classification < Classification::Confidential {
        f.push(format!(
            "classification {} may be too low for this content",
            form.classification
        ));
    }
    if form.classification.needs_nda() && segment_count > 0 {
        f.push(
            "confidential content addressed to a segment: check the circle of recipients (§7.2.2)"
                .into(),
        );
    }
    if review::short_notice(
        form.category,
        form.effective_at,
        now,
        settings.policy_notice_days,
    ) {
        f.push(format!(
            "policy change announced less than {} days before it takes effect: needs executive approval (§3.1.2)",
            settings.policy_notice_days
        ));
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::RequestInput;

    fn form(title: &str, body: &str) -> RequestForm {
        let input: RequestInput = serde_json::from_value(serde_json::json!({
            "title": title, "purpose": "告知", "body": body,
        }))
        .expect("input");
        input.parse(false, Utc::now()).expect("form")
    }

    /// §4.2.1: sensitive terms and vague wording are flagged for the compliance reviewer.
    #[test]
    fn sensitive_terms_and_vague_wording_are_flagged() {
        let f = form("渠道通知", "本季度底价待定");
        let found = precheck(&f, &ReviewSettings::default(), Utc::now(), 0);
        assert!(
            found.iter().any(|x| x == "sensitive term: 底价"),
            "{found:?}"
        );
        assert!(
            found.iter().any(|x| x == "vague wording: 待定"),
            "{found:?}"
        );
        let clean = precheck(
            &form("渠道通知", "新品上市"),
            &ReviewSettings::default(),
            Utc::now(),
            0,
        );
        assert!(clean.is_empty(), "{clean:?}");
    }
}
