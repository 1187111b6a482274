//! Admin-edited settings. The review pre-check's sensitive terms (§4.2.1) and the policy-change
//! notice period (§3.1.2, default 14 days) live here, with defaults until changed.

use crate::audit::Entry;
use crate::{Db, DbError, Result, q};
use liaison_core::FieldErrors;
use liaison_core::precheck::ReviewSettings;
use liaison_core::review::Step;
use liaison_core::validate::Msg;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const REVIEW: &str = "review";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReviewSettingsView {
    pub policy_notice_days: i64,
    pub sensitive_terms: Vec<String>,
    /// Steps (dept_head, channel_review, executive) that need every eligible reviewer.
    #[serde(default)]
    pub need_all_steps: Vec<String>,
    /// §3.1.2, the policy library: days of notice per kind of policy (market, sales, product,
    /// other; 30 when not set).
    #[serde(default)]
    pub policy_kind_notice_days: std::collections::BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewSettingsPatch {
    pub policy_notice_days: Option<i64>,
    pub sensitive_terms: Option<Vec<String>>,
    pub need_all_steps: Option<Vec<String>>,
    pub policy_kind_notice_days: Option<std::collections::BTreeMap<String, i64>>,
}

struct Value(String);
from_row!(Value(value: text));

/// The setting stored under `key`; `None` when there is none or it no longer reads as a `T`
/// (its defaults apply then).
pub(crate) async fn load<T: DeserializeOwned>(db: &Db, key: &str) -> Result<Option<T>> {
    let stored: Option<Value> = db
        .fetch_optional(q("SELECT value FROM settings WHERE key = $1").bind(key))
        .await?;
    Ok(stored.and_then(|v| serde_json::from_str(&v.0).ok()))
}

/// Stores `value` under `key` for `actor`, with the audit entry `action` and its `detail`.
pub(crate) async fn store<T: Serialize>(
    db: &Db,
    actor: Uuid,
    key: &str,
    value: &T,
    action: &str,
    detail: serde_json::Value,
) -> Result<()> {
    let text = serde_json::to_string(value).map_err(|e| DbError::Config(e.to_string()))?;
    db.write_one(
        |now| {
            q("INSERT INTO settings (key, value, updated_by, updated_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by,
                                               updated_at = excluded.updated_at")
            .bind(key)
            .bind(text)
            .bind(actor)
            .bind(now)
        },
        Entry::new(Some(actor), action, "settings", None, detail),
    )
    .await?;
    Ok(())
}

pub async fn review(db: &Db) -> Result<ReviewSettings> {
    Ok(match load::<ReviewSettingsView>(db, REVIEW).await? {
        Some(v) => ReviewSettings {
            policy_notice_days: v.policy_notice_days,
            sensitive_terms: v.sensitive_terms,
            need_all_steps: v
                .need_all_steps
                .iter()
                .filter_map(|s| Step::parse(s).ok())
                .collect(),
            policy_kind_notice_days: v.policy_kind_notice_days,
        },
        None => ReviewSettings::default(),
    })
}

pub async fn update_review(
    db: &Db,
    actor: Uuid,
    patch: &ReviewSettingsPatch,
) -> Result<ReviewSettingsView> {
    let current = review(db).await?;
    let mut e = FieldErrors::new();
    let days = patch
        .policy_notice_days
        .unwrap_or(current.policy_notice_days);
    if !(1..=365).contains(&days) {
        e.add(
            "policy_notice_days",
            Msg::new("validate.number_range")
                .arg("min", 1)
                .arg("max", 365),
        );
    }
    let mut terms: Vec<String> = Vec::new();
    for t in patch
        .sensitive_terms
        .clone()
        .unwrap_or(current.sensitive_terms)
    {
        let t = t.trim().to_string();
        if t.is_empty() || terms.contains(&t) {
            continue;
        }
        if t.chars().count() > 50 {
            e.add(
                "sensitive_terms",
                Msg::new("validate.term_too_long")
                    .arg("term", &t)
                    .arg("max", 50),
            );
        }
        terms.push(t);
    }
    let mut need_all = Vec::new();
    let given = match &patch.need_all_steps {
        Some(v) => v.clone(),
        None => current
            .need_all_steps
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
    };
    for st in given {
        match Step::parse(&st) {
            Ok(step) if !need_all.contains(&step.as_str().to_string()) => {
                need_all.push(step.as_str().to_string())
            }
            Ok(_) => {}
            Err(m) => e.add("need_all_steps", m),
        }
    }
    let mut kind_days = current.policy_kind_notice_days.clone();
    for (kind, days) in patch.policy_kind_notice_days.clone().unwrap_or_default() {
        let field = format!("policy_kind_notice_days.{kind}");
        match liaison_core::policies::PolicyKind::parse(&kind) {
            Err(m) => e.add(field, m),
            Ok(_) if !(1..=365).contains(&days) => e.add(
                field,
                Msg::new("validate.number_range")
                    .arg("min", 1)
                    .arg("max", 365),
            ),
            Ok(k) => {
                kind_days.insert(k.as_str().to_string(), days);
            }
        }
    }
    if terms.len() > 500 {
        e.add(
            "sensitive_terms",
            Msg::new("validate.max_values").arg("max", 500),
        );
    }
    if !e.is_empty() {
        return Err(DbError::Invalid(e));
    }
    let view = ReviewSettingsView {
        policy_notice_days: days,
        sensitive_terms: terms,
        need_all_steps: need_all,
        policy_kind_notice_days: kind_days,
    };
    let detail = serde_json::json!({"review": &view});
    store(db, actor, REVIEW, &view, "settings.update", detail).await?;
    Ok(view)
}

const LAUNCHES: &str = "launches";

/// The launch calendar's settings (§3.2.2): how many days ahead partners are told of a launch.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LaunchSettings {
    pub launch_notice_days: i64,
}

impl Default for LaunchSettings {
    fn default() -> Self {
        LaunchSettings {
            launch_notice_days: 14,
        }
    }
}

pub async fn launches(db: &Db) -> Result<LaunchSettings> {
    Ok(load::<LaunchSettings>(db, LAUNCHES)
        .await?
        .unwrap_or_default())
}

pub async fn update_launches(db: &Db, actor: Uuid, s: &LaunchSettings) -> Result<LaunchSettings> {
    if !(1..=365).contains(&s.launch_notice_days) {
        return Err(DbError::Invalid(FieldErrors::single(
            "launch_notice_days",
            Msg::new("validate.number_range")
                .arg("min", 1)
                .arg("max", 365),
        )));
    }
    let detail = serde_json::json!({"launches": s});
    store(db, actor, LAUNCHES, s, "settings.update", detail).await?;
    Ok(s.clone())
}

const SECURITY: &str = "security";

/// Account security's setting (§7.2.3): whether the second factor required of admins and
/// executives is only asked for (`remind`, the default) or enforced.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    pub totp_mode: liaison_core::totp::TotpMode,
}

pub async fn security(db: &Db) -> Result<SecuritySettings> {
    Ok(load::<SecuritySettings>(db, SECURITY)
        .await?
        .unwrap_or_default())
}

pub async fn update_security(
    db: &Db,
    actor: Uuid,
    s: &SecuritySettings,
) -> Result<SecuritySettings> {
    let detail = serde_json::json!({"totp_mode": s.totp_mode});
    store(db, actor, SECURITY, s, "settings.security", detail).await?;
    Ok(s.clone())
}

const EVALUATION: &str = "evaluation";

/// The evaluation's settings (§6; issue 16): the working hours within which a delivery with no
/// deadline must be read (F2), the relationship index's weights (F4) and the scorecards'
/// weights and thresholds (F7).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct EvaluationSettings {
    pub timeliness_hours: i64,
    pub relationship: liaison_core::kpi::RelationshipWeights,
    pub scorecard: liaison_core::kpi::ScoreWeights,
}

impl Default for EvaluationSettings {
    fn default() -> Self {
        EvaluationSettings {
            timeliness_hours: 16,
            relationship: Default::default(),
            scorecard: Default::default(),
        }
    }
}

pub async fn evaluation(db: &Db) -> Result<EvaluationSettings> {
    Ok(load::<EvaluationSettings>(db, EVALUATION)
        .await?
        .unwrap_or_default())
}

/// Changes them (every out-of-range field named at once); audited as `settings.update`.
pub async fn update_evaluation(
    db: &Db,
    actor: Uuid,
    s: &EvaluationSettings,
) -> Result<EvaluationSettings> {
    let mut e = FieldErrors::new();
    let mut range = |field: &str, v: i64, min: i64, max: i64| {
        if !(min..=max).contains(&v) {
            e.add(
                field,
                Msg::new("validate.number_range")
                    .arg("min", min)
                    .arg("max", max),
            );
        }
    };
    range("timeliness_hours", s.timeliness_hours, 1, 200);
    let r = &s.relationship;
    for (f, v) in [
        ("relationship.acknowledgement", r.acknowledgement),
        ("relationship.attendance", r.attendance),
        ("relationship.data_punctuality", r.data_punctuality),
        ("relationship.data_accuracy", r.data_accuracy),
        ("relationship.initiative", r.initiative),
        ("relationship.willingness", r.willingness),
        ("relationship.nps", r.nps),
        ("scorecard.accuracy", s.scorecard.accuracy),
        ("scorecard.timeliness", s.scorecard.timeliness),
        ("scorecard.satisfaction", s.scorecard.satisfaction),
        ("scorecard.commend_from", s.scorecard.commend_from),
        ("scorecard.improve_below", s.scorecard.improve_below),
    ] {
        range(f, v, 0, 100);
    }
    range(
        "relationship.initiative_target",
        r.initiative_target,
        1,
        1000,
    );
    range(
        "scorecard.min_deliveries",
        s.scorecard.min_deliveries,
        1,
        100_000,
    );
    if !e.is_empty() {
        return Err(DbError::Invalid(e));
    }
    let detail = serde_json::json!({"evaluation": s});
    store(db, actor, EVALUATION, s, "settings.update", detail).await?;
    Ok(s.clone())
}
