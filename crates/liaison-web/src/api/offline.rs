//! Site visits and call logs (policy §2.2.2, §2.2.3; issue 14): staff plan, report and cancel
//! visits, add photos, log calls; a partner user reads its own partner's (never a visit's
//! `problems`), another partner's are 404, and writing is 403 for partner users.

use crate::auth::Api;
use crate::extract::{ApiJson, Pairs, Versioned, id};
use crate::respond::{created_at, named_file};
use crate::{AppError, AppResult};
use axum::Json;
use axum::extract::Path;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use liaison_app::offline::{self as app, CallInput, VisitInput, VisitPatch};
use liaison_core::calendar::COMPANY_ZONE;
use liaison_core::meetings::VisitState;
use liaison_core::validate::Msg;
use liaison_db::offline::{CallFilter, VisitFilter};
use serde_json::{Value, json};

fn get<'a>(p: &'a Pairs, k: &str) -> Option<&'a str> {
    p.get(k).map(str::trim).filter(|v| !v.is_empty())
}

fn uuid_of(p: &Pairs, k: &str) -> AppResult<Option<uuid::Uuid>> {
    get(p, k)
        .map(|v| {
            uuid::Uuid::parse_str(v).map_err(|_| AppError::invalid(k, Msg::new("validate.invalid")))
        })
        .transpose()
}

fn day_of(p: &Pairs, k: &str) -> AppResult<Option<NaiveDate>> {
    get(p, k)
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| AppError::invalid(k, Msg::new("validate.date").arg("value", v)))
        })
        .transpose()
}

/// A day (YYYY-MM-DD, its start in the company's zone) or an RFC 3339 time.
fn time_of(p: &Pairs, k: &str, end: bool) -> AppResult<Option<DateTime<Utc>>> {
    let Some(v) = get(p, k) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    let d = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| AppError::invalid(k, Msg::new("validate.date").arg("value", v)))?;
    let d = if end { d.succ_opt().unwrap_or(d) } else { d };
    Ok(Some(
        d.and_time(chrono::NaiveTime::MIN)
            .and_local_timezone(COMPANY_ZONE)
            .earliest()
            .map_or_else(
                || d.and_time(chrono::NaiveTime::MIN).and_utc(),
                |t| t.with_timezone(&Utc),
            ),
    ))
}

/// `GET /api/v1/visits`: `partner`, `state`, `visitor`, `from`, `to`; `overdue=true` answers
/// the partners overdue a visit instead (staff).
pub async fn list_visits(Api(state, s): Api, p: Pairs) -> AppResult<Json<Value>> {
    let l = p.list(100)?;
    match get(&p, "overdue") {
        None | Some("false") => {}
        Some("true") => {
            let items = app::overdue(&state.db, &s.actor).await?;
            return Ok(Json(json!({"items": items, "next_cursor": null})));
        }
        Some(other) => {
            return Err(AppError::invalid(
                "overdue",
                Msg::one_of(other, &["true", "false"]),
            ));
        }
    }
    let f = VisitFilter {
        partner: uuid_of(&p, "partner")?,
        visitor: uuid_of(&p, "visitor")?,
        state: get(&p, "state")
            .map(VisitState::parse)
            .transpose()
            .map_err(|m| AppError::invalid("state", m))?,
        from: day_of(&p, "from")?,
        to: day_of(&p, "to")?,
        newest_first: false,
    };
    let items = app::list_visits(&state.db, &s.actor, f, l.limit).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn create_visit(
    Api(state, s): Api,
    ApiJson(body): ApiJson<VisitInput>,
) -> AppResult<Response> {
    let v = app::create_visit(&state.db, &s.actor, &body).await?;
    Ok(created_at(format!("/api/v1/visits/{}", v.id), json!(v)))
}

pub async fn show_visit(
    Api(state, s): Api,
    Path(vid): Path<String>,
) -> AppResult<Json<app::VisitPage>> {
    Ok(Json(app::show_visit(&state.db, &s.actor, id(&vid)?).await?))
}

pub async fn update_visit(
    Api(state, s): Api,
    Path(vid): Path<String>,
    body: Versioned<VisitPatch>,
) -> AppResult<Json<app::VisitPage>> {
    let vid = id(&vid)?;
    app::update_visit(&state.db, &s.actor, vid, &body.fields, body.version).await?;
    Ok(Json(app::show_visit(&state.db, &s.actor, vid).await?))
}

pub async fn add_file(
    Api(state, s): Api,
    Path(vid): Path<String>,
    p: Pairs,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let f = app::add_file(
        &state.db,
        &s.actor,
        id(&vid)?,
        p.get("filename").unwrap_or(""),
        &body,
    )
    .await?;
    Ok(created_at(
        format!("/api/v1/visits/{vid}/files/{}", f.id),
        json!(f),
    ))
}

pub async fn file(
    Api(state, s): Api,
    Path((vid, fid)): Path<(String, String)>,
) -> AppResult<Response> {
    let (f, bytes) = app::read_file(&state.db, &s.actor, id(&vid)?, id(&fid)?).await?;
    Ok(named_file(&f.filename, &f.content_type, bytes))
}

/// `GET /api/v1/calls`: `partner`, `from`, `to` (days or RFC 3339 times), newest first.
pub async fn list_calls(Api(state, s): Api, p: Pairs) -> AppResult<Json<Value>> {
    let l = p.list(100)?;
    let f = CallFilter {
        partner: uuid_of(&p, "partner")?,
        user: None,
        from: time_of(&p, "from", false)?,
        to: time_of(&p, "to", true)?,
    };
    let items = app::list_calls(&state.db, &s.actor, f, l.limit).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn create_call(
    Api(state, s): Api,
    ApiJson(body): ApiJson<CallInput>,
) -> AppResult<Response> {
    let c = app::create_call(&state.db, &s.actor, &body).await?;
    Ok(created_at(format!("/api/v1/calls/{}", c.call.id), json!(c)))
}

pub async fn show_call(
    Api(state, s): Api,
    Path(cid): Path<String>,
) -> AppResult<Json<app::CallPage>> {
    Ok(Json(app::show_call(&state.db, &s.actor, id(&cid)?).await?))
}
