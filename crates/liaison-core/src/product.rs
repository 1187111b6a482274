//! Product information (policy §3.2; SPEC D4–D6): what a catalogue entry holds and who may see
//! it (§3.2.1), when partners must be told of a launch (§3.2.2), and how product feedback moves
//! through R&D's triage (§3.2.3). Pure rules only: the rows live in `liaison-db::product`,
//! `launch` and `feedback`; the operations (who may, notifications) in `liaison-app`.

use crate::partner::PartnerKind;
use crate::str_enum;
use crate::validate::{FieldErrors, Msg, optional_text, required_text};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

str_enum!(
    /// §3.2.1: where a product stands in its life.
    ProductStatus { Planned = "planned", Launched = "launched", Discontinued = "discontinued" }
);

str_enum!(
    /// The type of a technical parameter's value: numbers are checked as numbers.
    ParamType { Number = "number", Text = "text", Boolean = "boolean" }
);

str_enum!(
    /// §3.2.3: what a partner's feedback is.
    FeedbackKind { CustomerNeed = "customer_need", Improvement = "improvement" }
);

str_enum!(
    /// §3.2.3: R&D's triage of a feedback item, which the partner sees.
    FeedbackState { New = "new", UnderReview = "under_review", Planned = "planned", Declined = "declined", Shipped = "shipped" }
);

/// A technical parameter as typed: `{"name": "额定功率", "value": "1.5", "unit": "kW",
/// "type": "number"}`. The value may also be sent as a JSON number or boolean.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ParamInput {
    pub name: Option<String>,
    pub value: Option<serde_json::Value>,
    pub unit: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A checked technical parameter (§3.2.1: parameters precise enough to present to customers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    pub value: String,
    #[serde(default)]
    pub unit: String,
    #[serde(rename = "type")]
    pub kind: ParamType,
}

/// At most this many parameters a product.
pub const MAX_PARAMS: usize = 100;

/// Checks parameter rows; errors name the row (`parameters[2].value`). A number must read as a
/// finite decimal (`1.5`, `-20`, `3e3`), a boolean as `true` or `false`.
pub fn parse_params(rows: &[ParamInput]) -> Result<Vec<Param>, FieldErrors> {
    let mut e = FieldErrors::new();
    if rows.len() > MAX_PARAMS {
        e.add(
            "parameters",
            Msg::new("validate.max_values").arg("max", MAX_PARAMS),
        );
        return Err(e);
    }
    let mut out = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let f = |k: &str| format!("parameters[{i}].{k}");
        let name = e.take(
            &f("name"),
            required_text(r.name.as_deref().unwrap_or(""), 100),
        );
        let kind = match r.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            None => Some(ParamType::Text),
            Some(k) => e.take(&f("type"), ParamType::parse(k)),
        };
        let raw = match &r.value {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(s)) => s.trim().to_string(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(serde_json::Value::Bool(b)) => b.to_string(),
            Some(_) => {
                e.add(f("value"), Msg::new("validate.invalid"));
                continue;
            }
        };
        let unit = e
            .take(
                &f("unit"),
                optional_text(r.unit.as_deref().unwrap_or(""), 20),
            )
            .flatten()
            .unwrap_or_default();
        let value = match kind {
            _ if raw.is_empty() => {
                e.required(f("value"));
                None
            }
            Some(ParamType::Number) => match parse_number(&raw) {
                Some(_) => Some(raw),
                None => {
                    e.add(f("value"), Msg::new("validate.number"));
                    None
                }
            },
            Some(ParamType::Boolean) => match raw.to_lowercase().as_str() {
                "true" | "false" => Some(raw.to_lowercase()),
                _ => {
                    e.add(f("value"), Msg::one_of(&raw, &["true", "false"]));
                    None
                }
            },
            Some(ParamType::Text) => e.take(&f("value"), required_text(&raw, 200)),
            None => None,
        };
        if let (Some(name), Some(value), Some(kind)) = (name, value, kind) {
            out.push(Param {
                name,
                value,
                unit,
                kind,
            });
        }
    }
    if e.is_empty() { Ok(out) } else { Err(e) }
}

/// A number as a parameter holds it: a finite decimal; `NaN`, `inf` and thousands separators
/// are not numbers to a customer comparing datasheets.
pub fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Who sees a product (§3.2.1): partners of these kinds, tiers and segments. An empty list
/// does not narrow; a partner must match every list that is given (a distributor of tier A
/// for `{kinds: [distributor], tiers: [A]}`), and one segment of the segment list. All empty
/// is every partner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Visibility {
    pub kinds: Vec<PartnerKind>,
    pub tiers: Vec<String>,
    pub segments: Vec<Uuid>,
}

impl Visibility {
    pub fn is_everyone(&self) -> bool {
        self.kinds.is_empty() && self.tiers.is_empty() && self.segments.is_empty()
    }

    /// §3.2.1: whether a partner of `kind` and `tier`, member of `segments`, may see it.
    pub fn admits(&self, kind: PartnerKind, tier: &str, segments: &[Uuid]) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&kind))
            && (self.tiers.is_empty() || self.tiers.iter().any(|t| t.eq_ignore_ascii_case(tier)))
            && (self.segments.is_empty() || self.segments.iter().any(|s| segments.contains(s)))
    }

    /// Bounds from outside: at most 50 values a list, tiers of at most 20 characters.
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        for (field, n) in [
            ("visibility.kinds", self.kinds.len()),
            ("visibility.tiers", self.tiers.len()),
            ("visibility.segments", self.segments.len()),
        ] {
            if n > 50 {
                e.add(field, Msg::new("validate.max_values").arg("max", 50));
            }
        }
        if self
            .tiers
            .iter()
            .any(|t| t.trim().is_empty() || t.chars().count() > 20)
        {
            e.add(
                "visibility.tiers",
                Msg::new("validate.value_max_chars").arg("max", 20),
            );
        }
        if e.is_empty() { Ok(()) } else { Err(e) }
    }
}

/// A product code: 2 to 40 of A-Z, 0-9, `-`, `_` and `.`, upper-cased (`LX-MC150`).
pub fn parse_code(s: &str) -> Result<String, Msg> {
    let c = s.trim().to_uppercase();
    if c.len() < 2 || c.len() > 40 {
        return Err(Msg::new("validate.code_length"));
    }
    if !c
        .chars()
        .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'))
    {
        return Err(Msg::new("validate.code_chars"));
    }
    Ok(c)
}

// ---- launches (§3.2.2) ----

/// Days before the notice date the announcement is drafted: time for its review chain.
pub const DRAFT_LEAD_DAYS: i64 = 7;
/// Days before the notice date the owner is warned that no announcement was submitted.
pub const WARN_DAYS: i64 = 3;

/// §3.2.2: the last day partners can be told of a launch on `launch_on` and still have
/// `notice_days` to prepare their marketing.
pub fn notice_date(launch_on: NaiveDate, notice_days: i64) -> NaiveDate {
    launch_on - Duration::days(notice_days.max(0))
}

/// What the launch sweep does for one launch today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchStep {
    /// Draft the announcement request (none exists yet).
    Draft,
    /// Warn the owner: the notice date is near and the announcement is not submitted.
    Warn,
}

/// §3.2.2: the announcement is drafted [`DRAFT_LEAD_DAYS`] before the notice date (so its
/// review can finish in time), and the owner is warned once from [`WARN_DAYS`] before it while
/// the announcement is still unsubmitted. Nothing is done for a launch that has passed.
pub fn launch_step(
    today: NaiveDate,
    launch_on: NaiveDate,
    notice_days: i64,
    drafted: bool,
    submitted: bool,
    warned: bool,
) -> Option<LaunchStep> {
    if today > launch_on {
        return None;
    }
    let notice = notice_date(launch_on, notice_days);
    if !drafted {
        return (today >= notice - Duration::days(DRAFT_LEAD_DAYS)).then_some(LaunchStep::Draft);
    }
    (!submitted && !warned && today >= notice - Duration::days(WARN_DAYS))
        .then_some(LaunchStep::Warn)
}

// ---- feedback (§3.2.3) ----

/// §3.2.3: the triage R&D may apply. A new item is reviewed, planned or declined; a planned
/// one ships or is declined (or goes back to review); a declined one can be reviewed again; a
/// shipped one is done. Keeping the state while changing the answer is always allowed.
pub fn may_move(from: FeedbackState, to: FeedbackState) -> bool {
    use FeedbackState::*;
    from == to
        || matches!(
            (from, to),
            (New, UnderReview | Planned | Declined)
                | (UnderReview, Planned | Declined | Shipped)
                | (Planned, Shipped | Declined | UnderReview)
                | (Declined, UnderReview)
        )
}

/// A feedback item as a partner writes it (§3.2.3).
pub struct FeedbackText {
    pub description: String,
    pub customer_impact: String,
}

/// Checks a partner's description (required) and customer impact (optional) as typed.
pub fn parse_feedback_text(
    description: &str,
    customer_impact: &str,
) -> Result<FeedbackText, FieldErrors> {
    let mut e = FieldErrors::new();
    let description = e.take("description", required_text(description, 5000));
    let impact = e
        .take("customer_impact", optional_text(customer_impact, 2000))
        .map(Option::unwrap_or_default);
    match (description, impact) {
        (Some(description), Some(customer_impact)) if e.is_empty() => Ok(FeedbackText {
            description,
            customer_impact,
        }),
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, value: serde_json::Value, kind: &str) -> ParamInput {
        ParamInput {
            name: Some(name.into()),
            value: Some(value),
            unit: Some("kW".into()),
            kind: Some(kind.into()),
        }
    }

    /// §3.2.1: numeric parameters are numbers, so customers can compare them.
    #[test]
    fn number_parameters_must_be_numbers() {
        let ok = parse_params(&[
            p("额定功率", serde_json::json!("1.5"), "number"),
            p("重量", serde_json::json!(12), "number"),
            p("防护等级", serde_json::json!("IP65"), "text"),
            p("带显示屏", serde_json::json!(true), "boolean"),
        ])
        .expect("valid");
        assert_eq!(ok[0].value, "1.5");
        assert_eq!(ok[1].value, "12");
        assert_eq!(ok[3].value, "true");
        let bad = parse_params(&[
            p("额定功率", serde_json::json!("1,5"), "number"),
            p("转速", serde_json::json!("NaN"), "number"),
            p("", serde_json::json!("1"), "kind"),
        ])
        .expect_err("invalid");
        for f in [
            "parameters[0].value",
            "parameters[1].value",
            "parameters[2].name",
            "parameters[2].type",
        ] {
            assert!(bad.get(f).is_some(), "{f}: {bad:?}");
        }
        assert_eq!(parse_number(" 3e3 "), Some(3000.0));
        assert_eq!(parse_number("inf"), None);
    }

    /// §3.2.1: every given dimension narrows; none given is every partner.
    #[test]
    fn visibility_narrows_by_kind_tier_and_segment() {
        let seg = Uuid::now_v7();
        assert!(Visibility::default().admits(PartnerKind::Store, "C", &[]));
        let v = Visibility {
            kinds: vec![PartnerKind::Distributor],
            tiers: vec!["A".into()],
            segments: vec![],
        };
        assert!(v.admits(PartnerKind::Distributor, "a", &[]));
        assert!(!v.admits(PartnerKind::Distributor, "B", &[]));
        assert!(!v.admits(PartnerKind::Agent, "A", &[]));
        let s = Visibility {
            segments: vec![seg],
            ..Default::default()
        };
        assert!(s.admits(PartnerKind::Agent, "B", &[seg]));
        assert!(!s.admits(PartnerKind::Agent, "B", &[Uuid::now_v7()]));
    }

    /// §3.2.2: drafted a week before the notice date, warned three days before it, once.
    #[test]
    fn a_launch_is_drafted_ahead_of_its_notice_date_and_the_owner_warned() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let launch = d("2027-03-01");
        assert_eq!(notice_date(launch, 14), d("2027-02-15"));
        assert_eq!(
            launch_step(d("2027-02-07"), launch, 14, false, false, false),
            None
        );
        assert_eq!(
            launch_step(d("2027-02-08"), launch, 14, false, false, false),
            Some(LaunchStep::Draft)
        );
        assert_eq!(
            launch_step(d("2027-02-11"), launch, 14, true, false, false),
            None
        );
        assert_eq!(
            launch_step(d("2027-02-12"), launch, 14, true, false, false),
            Some(LaunchStep::Warn)
        );
        assert_eq!(
            launch_step(d("2027-02-12"), launch, 14, true, true, false),
            None
        );
        assert_eq!(
            launch_step(d("2027-02-13"), launch, 14, true, false, true),
            None,
            "warned once"
        );
        assert_eq!(
            launch_step(d("2027-03-02"), launch, 14, false, false, false),
            None
        );
    }

    /// §3.2.3: triage moves forward; shipped is final.
    #[test]
    fn feedback_triage_moves_forward_and_shipped_is_final() {
        use FeedbackState::*;
        assert!(may_move(New, UnderReview));
        assert!(may_move(UnderReview, Planned));
        assert!(may_move(Planned, Shipped));
        assert!(may_move(Declined, UnderReview));
        assert!(may_move(Shipped, Shipped), "an answer may still change");
        assert!(!may_move(Shipped, New));
        assert!(!may_move(UnderReview, New));
        for s in FeedbackState::ALL {
            assert_eq!(FeedbackState::parse(s.as_str()), Ok(*s));
        }
    }

    #[test]
    fn codes_are_upper_case() {
        assert_eq!(parse_code(" lx-mc150 ").as_deref(), Ok("LX-MC150"));
        assert!(parse_code("电机").is_err());
        assert!(parse_feedback_text("", "").is_err());
        assert!(parse_feedback_text("客户需要更长的质保", "").is_ok());
    }
}
