//! The compliance pre-check shown to the channel reviewer (§4.2.1, §1.3.1, §3.1.2, §7.2.2; SPEC
//! B3) and the review settings it reads. Pure: the words to flag and the notice period are
//! settings an admin edits (stored by `liaison_db::settings`).

use crate::request::RequestForm;
use crate::review::{self, Classification, Step};
use crate::validate::Msg;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Settings the review needs.
#[derive(Debug, Clone)]
pub struct ReviewSettings {
    /// §3.1.2: a policy change announced with fewer days' notice needs an executive.
    pub policy_notice_days: i64,
    /// Words the compliance pre-check flags (§4.2.1).
    pub sensitive_terms: Vec<String>,
    /// Steps that need every eligible reviewer's approval rather than any one's.
    pub need_all_steps: Vec<Step>,
    /// §3.1.2 for the policy library (issue 11): the notice an important change of each kind
    /// of policy needs, in days; a kind not named needs `policies::DEFAULT_NOTICE_DAYS`.
    pub policy_kind_notice_days: std::collections::BTreeMap<String, i64>,
}

impl ReviewSettings {
    /// The notice days a kind of policy asks for (§3.1.2).
    pub fn notice_days_for(&self, kind: crate::policies::PolicyKind) -> i64 {
        self.policy_kind_notice_days
            .get(kind.as_str())
            .copied()
            .unwrap_or(crate::policies::DEFAULT_NOTICE_DAYS)
    }
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
            policy_kind_notice_days: Default::default(),
        }
    }
}

/// One pre-check finding: a stable `code` and its arguments, shown to a person through the
/// catalogue key `precheck.<code>` in their language (§4.2.1). Stored as JSON with the
/// request; rows written before findings had codes hold plain English strings, which
/// [`Finding::from_legacy`] reads back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: String,
    /// Arguments by name: text, or a number such as `count`.
    #[serde(flatten)]
    pub args: serde_json::Map<String, serde_json::Value>,
}

/// Codes of the findings. `nda_missing` (with `count`: recipients without a valid NDA, §7.1.2)
/// is computed from the audience at submission, outside this pure function.
pub mod code {
    pub const SENSITIVE_TERM: &str = "sensitive_term";
    pub const VAGUE_WORDING: &str = "vague_wording";
    pub const MISSING_PURPOSE: &str = "missing_purpose";
    pub const CLASSIFICATION_LOW: &str = "classification_low";
    pub const CONFIDENTIAL_TO_SEGMENT: &str = "confidential_to_segment";
    pub const SHORT_NOTICE: &str = "short_notice";
    pub const NDA_MISSING: &str = "nda_missing";
    /// `count` recipients will not get `channel` for `reason` (issue 10).
    pub const CHANNEL_SKIPPED: &str = "channel_skipped";
    /// A stored finding whose text could not be read as one of the codes: shown as it is.
    pub const TEXT: &str = "text";
}

impl Finding {
    pub fn new(code: &str) -> Self {
        Finding {
            code: code.to_string(),
            args: serde_json::Map::new(),
        }
    }
    pub fn arg(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.args.insert(name.to_string(), value.into());
        self
    }
    /// §7.1.2: `count` recipients have no valid NDA for confidential or secret content.
    pub fn nda_missing(count: usize) -> Self {
        Finding::new(code::NDA_MISSING).arg("count", count)
    }
    /// `count` recipients will not get the requested `channel`, for `reason` (`not_preferred`,
    /// `no_email`, `no_phone`, `no_robot`): no channel is dropped without saying so.
    pub fn channel_skipped(channel: &str, reason: &str, count: i64) -> Self {
        Finding::new(code::CHANNEL_SKIPPED)
            .arg("channel", channel)
            .arg("reason", reason)
            .arg("count", count)
    }
    /// The message for a person: `precheck.<code>` with the arguments (a classification by its
    /// name in the reader's language).
    pub fn msg(&self) -> Msg {
        if self.code == code::TEXT {
            return Msg::plain(self.text_arg("text"));
        }
        let mut m = Msg::dynamic(format!("precheck.{}", self.code));
        for (name, v) in &self.args {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            m = match name.as_str() {
                "classification" => m.arg_code("classification", "classification", &text),
                "term" => m.arg("term", text),
                "wording" => m.arg("wording", text),
                "days" => m.arg("days", text),
                "count" => m.arg("count", text),
                "channel" => m.arg_code("channel", "channel", &text),
                "reason" => m.arg_code("reason", "channel_skip", &text),
                _ => m.arg("value", text),
            };
        }
        m
    }
    fn text_arg(&self, name: &str) -> String {
        match self.args.get(name) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        }
    }
    /// A finding stored as English text before findings had codes.
    pub fn from_legacy(s: &str) -> Self {
        if let Some(t) = s.strip_prefix("sensitive term: ") {
            return Finding::new(code::SENSITIVE_TERM).arg("term", t);
        }
        if let Some(t) = s.strip_prefix("vague wording: ") {
            return Finding::new(code::VAGUE_WORDING).arg("wording", t);
        }
        if s == "missing purpose" {
            return Finding::new(code::MISSING_PURPOSE);
        }
        if let Some(c) = s
            .strip_prefix("classification ")
            .and_then(|r| r.strip_suffix(" may be too low for this content"))
            && Classification::parse(c).is_ok()
        {
            return Finding::new(code::CLASSIFICATION_LOW).arg("classification", c);
        }
        if s.starts_with("confidential content addressed to a segment") {
            return Finding::new(code::CONFIDENTIAL_TO_SEGMENT);
        }
        if let Some(d) = s
            .strip_prefix("policy change announced less than ")
            .and_then(|r| r.split_once(' '))
            .and_then(|(d, _)| d.parse::<i64>().ok())
        {
            return Finding::new(code::SHORT_NOTICE).arg("days", d);
        }
        Finding::new(code::TEXT).arg("text", s)
    }
}

/// Reads a finding as stored: `{code, ...args}`, or the plain text of an older row.
impl<'de> Deserialize<'de> for Finding {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Text(String),
            Coded {
                code: String,
                #[serde(flatten)]
                args: serde_json::Map<String, serde_json::Value>,
            },
        }
        Ok(match Stored::deserialize(d)? {
            Stored::Text(s) => Finding::from_legacy(&s),
            Stored::Coded { code, mut args } => {
                // A `message` written beside the code is a rendering, not an argument.
                args.remove("message");
                Finding { code, args }
            }
        })
    }
}

impl fmt::Display for Finding {
    /// English, for logs and the audit detail.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.msg().fmt(f)
    }
}

/// The automatic pre-check shown to the channel reviewer (§4.2.1, §1.3.1, SPEC B3).
pub fn precheck(
    form: &RequestForm,
    settings: &ReviewSettings,
    now: DateTime<Utc>,
    segment_count: usize,
) -> Vec<Finding> {
    let mut f = Vec::new();
    let text = format!("{}\n{}\n{}", form.title, form.purpose, form.body).to_lowercase();
    for t in &settings.sensitive_terms {
        if !t.is_empty() && text.contains(&t.to_lowercase()) {
            f.push(Finding::new(code::SENSITIVE_TERM).arg("term", t.as_str()));
        }
    }
    for vague in ["待定", "大概", "可能会", "tbd", "to be confirmed"] {
        if text.contains(vague) {
            f.push(Finding::new(code::VAGUE_WORDING).arg("wording", vague));
        }
    }
    if form.purpose.trim().is_empty() {
        f.push(Finding::new(code::MISSING_PURPOSE));
    }

    let sounds_confidential = ["保密", "机密", "confidential", "价格", "price"]
        .iter()
        .any(|w| text.contains(w));
    if sounds_confidential && form.classification < Classification::Confidential {
        f.push(
            Finding::new(code::CLASSIFICATION_LOW)
                .arg("classification", form.classification.as_str()),
        );
    }
    if form.classification.needs_nda() && segment_count > 0 {
        // §7.2.2: check the circle of recipients.
        f.push(Finding::new(code::CONFIDENTIAL_TO_SEGMENT));
    }
    if review::short_notice(
        form.category,
        form.effective_at,
        now,
        settings.policy_notice_days,
    ) {
        // §3.1.2: needs executive approval.
        f.push(Finding::new(code::SHORT_NOTICE).arg("days", settings.policy_notice_days));
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
        let shown: Vec<String> = found.iter().map(|x| x.to_string()).collect();
        assert!(
            shown.iter().any(|x| x == "sensitive term: 底价"),
            "{shown:?}"
        );
        assert!(
            shown.iter().any(|x| x == "vague wording: 待定"),
            "{shown:?}"
        );
        assert!(
            found
                .iter()
                .any(|x| x.code == code::SENSITIVE_TERM && x.args["term"] == "底价")
        );
        let clean = precheck(
            &form("渠道通知", "新品上市"),
            &ReviewSettings::default(),
            Utc::now(),
            0,
        );
        assert!(clean.is_empty(), "{clean:?}");
    }

    /// Rows stored before findings had codes still load, and read as the codes they were.
    #[test]
    fn stored_findings_of_old_rows_still_load() {
        let old: Vec<Finding> = serde_json::from_str(
            r#"["sensitive term: 底价", "classification internal may be too low for this content", "policy change announced less than 14 days before it takes effect: needs executive approval (§3.1.2)", "something else"]"#,
        )
        .expect("old findings");
        let codes: Vec<&str> = old.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                code::SENSITIVE_TERM,
                code::CLASSIFICATION_LOW,
                code::SHORT_NOTICE,
                code::TEXT
            ]
        );
        assert_eq!(old[3].to_string(), "something else");
        let new = vec![Finding::nda_missing(2)];
        let stored = serde_json::to_string(&new).expect("json");
        assert_eq!(stored, r#"[{"code":"nda_missing","count":2}]"#);
        let back: Vec<Finding> = serde_json::from_str(&stored).expect("back");
        assert_eq!(back, new);
        assert!(
            back[0]
                .msg()
                .render(crate::partner::Lang::ZhCn)
                .contains('2'),
            "{}",
            back[0].msg().render(crate::partner::Lang::ZhCn)
        );
    }
}
