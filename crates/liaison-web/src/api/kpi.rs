//! Evaluation (policy §6; issue 16): the four indicators, their drill-down, a partner's
//! relationship index, scorecards and their export, business impact, and the settings. Who
//! may read what is `liaison_app::kpi`'s (a partner user: only its own relationship index).

use crate::auth::Api;
use crate::extract::{ApiJson, Pairs, kpi_days};
use crate::respond::download;
use crate::{AppError, AppResult};
use axum::Json;
use axum::response::Response;
use liaison_app::import::ExportFormat;
use liaison_app::kpi::{self as app, DrillQuery, Level};
use liaison_core::kpi::{GroupBy, Indicator, Period};
use liaison_core::validate::Msg;
use liaison_db::settings::EvaluationSettings;
use uuid::Uuid;

fn get<'a>(p: &'a Pairs, k: &str) -> Option<&'a str> {
    p.get(k).map(str::trim).filter(|v| !v.is_empty())
}

fn group_by(p: &Pairs) -> AppResult<GroupBy> {
    get(p, "group_by")
        .map(GroupBy::parse)
        .transpose()
        .map_err(|m| AppError::invalid("group_by", m))
        .map(|g| g.unwrap_or(GroupBy::Department))
}

/// `GET /api/v1/kpis?from=&to=&group_by=`.
pub async fn report(Api(state, s): Api, p: Pairs) -> AppResult<Json<app::Report>> {
    let d = kpi_days(&p, &state.db)?;
    let g = group_by(&p)?;
    Ok(Json(app::report(&state.db, &s.actor, d, g).await?))
}

/// `GET /api/v1/kpis/drilldown?indicator=&from=&to=&group_by=&key=&misses=&limit=&cursor=`.
pub async fn drilldown(Api(state, s): Api, p: Pairs) -> AppResult<Json<app::Drill>> {
    let indicator = get(&p, "indicator")
        .map(Indicator::parse)
        .transpose()
        .map_err(|m| AppError::invalid("indicator", m))?
        .ok_or_else(|| AppError::invalid("indicator", Msg::new("validate.required")))?;
    let d = kpi_days(&p, &state.db)?;
    let group = match get(&p, "key") {
        Some(k) => Some((group_by(&p)?, k.to_string())),
        None => None,
    };
    let misses = match get(&p, "misses") {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(other) => {
            return Err(AppError::invalid(
                "misses",
                Msg::one_of(other, &["true", "false"]),
            ));
        }
    };
    let l = p.list(50)?;
    let after = l
        .cursor
        .as_deref()
        .map(Uuid::parse_str)
        .transpose()
        .map_err(|_| AppError::invalid("cursor", Msg::new("validate.invalid")))?;
    let q = DrillQuery {
        indicator,
        days: d,
        group,
        misses,
        after,
        limit: l.limit,
    };
    Ok(Json(app::drilldown(&state.db, &s.actor, &q).await?))
}

/// `GET /api/v1/relationship-index?partner=&from=&to=`: a partner user's own partner by
/// default (and only that one).
pub async fn relationship(Api(state, s): Api, p: Pairs) -> AppResult<Json<app::RelationshipView>> {
    let partner = match get(&p, "partner") {
        Some(v) => Uuid::parse_str(v).map_err(|_| AppError::NotFound)?,
        None => s
            .actor
            .partner_id
            .ok_or_else(|| AppError::invalid("partner", Msg::new("validate.required")))?,
    };
    let d = kpi_days(&p, &state.db)?;
    Ok(Json(
        app::relationship(&state.db, &s.actor, partner, d).await?,
    ))
}

fn period_level(p: &Pairs, db: &liaison_db::Db) -> AppResult<(Period, Level)> {
    let period = match get(p, "period") {
        Some(v) => Period::parse(v).map_err(|m| AppError::invalid("period", m))?,
        None => app::this_month(db),
    };
    let level = get(p, "level")
        .map(Level::parse)
        .transpose()
        .map_err(|m| AppError::invalid("level", m))?
        .unwrap_or(Level::Department);
    Ok((period, level))
}

/// `GET /api/v1/scorecards?period=2026-Q3&level=department|person`.
pub async fn scorecards(Api(state, s): Api, p: Pairs) -> AppResult<Json<app::Scorecard>> {
    let (period, level) = period_level(&p, &state.db)?;
    Ok(Json(
        app::scorecards(&state.db, &s.actor, period, level).await?,
    ))
}

/// `GET /api/v1/scorecards/export?period=&level=&format=csv|xlsx&labels=`.
pub async fn export_scorecards(
    Api(state, s): Api,
    p: Pairs,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    let (period, level) = period_level(&p, &state.db)?;
    let format = ExportFormat::parse(p.get("format"))?;
    let labels = super::partner::export_labels(&headers, &p)?;
    Ok(download(
        app::export_scorecards(&state.db, &s.actor, period, level, format, labels).await?,
    ))
}

/// `GET /api/v1/kpis/settings`.
pub async fn settings(Api(state, s): Api) -> AppResult<Json<EvaluationSettings>> {
    Ok(Json(app::settings(&state.db, &s.actor).await?))
}

/// `PUT /api/v1/kpis/settings` (admins).
pub async fn update_settings(
    Api(state, s): Api,
    ApiJson(body): ApiJson<EvaluationSettings>,
) -> AppResult<Json<EvaluationSettings>> {
    Ok(Json(
        app::update_settings(&state.db, &s.actor, &body).await?,
    ))
}

/// `partner` or `region` (exactly one) for a business-impact chart.
pub fn whose(p: &Pairs) -> AppResult<liaison_db::kpi::Whose> {
    let get = |k: &str| p.get(k).map(str::trim).filter(|v| !v.is_empty());
    match (get("partner"), get("region")) {
        (Some(id), None) => Uuid::parse_str(id)
            .map(liaison_db::kpi::Whose::Partner)
            .map_err(|_| AppError::NotFound),
        (None, Some(r)) if r.chars().count() <= 100 => {
            Ok(liaison_db::kpi::Whose::Region(r.to_string()))
        }
        (None, Some(_)) => Err(AppError::invalid(
            "region",
            Msg::new("validate.max_chars").arg("max", 100),
        )),
        _ => Err(AppError::invalid(
            "partner",
            Msg::new("validate.kpi_partner_or_region"),
        )),
    }
}

/// `GET /api/v1/business-impact?partner=|region=&to=&months=`.
pub async fn impact(Api(state, s): Api, p: Pairs) -> AppResult<Json<app::Impact>> {
    let w = whose(&p)?;
    let d = kpi_days(&p, &state.db)?;
    let months = match get(&p, "months") {
        None => 12,
        Some(m) => m
            .parse::<u32>()
            .ok()
            .filter(|m| (3..=36).contains(m))
            .ok_or_else(|| {
                AppError::invalid(
                    "months",
                    Msg::new("validate.number_range")
                        .arg("min", 3)
                        .arg("max", 36),
                )
            })?,
    };
    Ok(Json(
        app::impact(&state.db, &s.actor, w, d.to, months).await?,
    ))
}
