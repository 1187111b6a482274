//! Meetings, action items, the cadence and calendar feeds (policy §2.1.3, §5.1, §5.3.1). A
//! partner user sees only the meetings its partner is invited to and its partner's tasks;
//! anything else is 404.

use crate::auth::Api;
use crate::extract::{ApiJson, Pairs, Versioned, id};
use crate::respond::created_at;
use crate::{AppError, AppResult, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use liaison_app::meetings::{
    self as app, BusinessDateInput, MeetingInput, MinutesInput, SeriesInput,
};
use liaison_core::calendar::COMPANY_ZONE;
use liaison_core::meetings::{
    MeetingKind, MeetingSettings, MeetingState, Rsvp, RsvpVia, TaskStatus,
};
use liaison_core::validate::Msg;
use liaison_db::meetings::MeetingFilter;
use serde::Deserialize;
use serde_json::{Value, json};

fn get<'a>(p: &'a Pairs, k: &str) -> Option<&'a str> {
    p.get(k).map(str::trim).filter(|v| !v.is_empty())
}

/// A day (`YYYY-MM-DD`, the company's zone) or an RFC 3339 time.
fn instant(field: &str, v: &str, end: bool) -> AppResult<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, Msg::new("validate.date").arg("value", v)))?;
    let d = if end { d.succ_opt().unwrap_or(d) } else { d };
    COMPANY_ZONE
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| AppError::invalid(field, Msg::new("validate.date").arg("value", v)))
}

/// `GET /api/v1/meetings`: `from`/`to` (days or times), `kind`, `state`, `mine=true`.
pub async fn list(Api(state, s): Api, p: Pairs) -> AppResult<Json<Value>> {
    let l = p.list(50)?;
    let filter = MeetingFilter {
        from: get(&p, "from")
            .map(|v| instant("from", v, false))
            .transpose()?,
        to: get(&p, "to").map(|v| instant("to", v, true)).transpose()?,
        kind: get(&p, "kind")
            .map(MeetingKind::parse)
            .transpose()
            .map_err(|m| AppError::invalid("kind", m))?,
        state: get(&p, "state")
            .map(MeetingState::parse)
            .transpose()
            .map_err(|m| AppError::invalid("state", m))?,
        ..Default::default()
    };
    let mine = match get(&p, "mine") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(AppError::invalid(
                "mine",
                Msg::one_of(other, &["true", "false"]),
            ));
        }
    };
    let items = app::list(&state.db, &s.actor, filter, mine, l.limit).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn create(
    Api(state, s): Api,
    ApiJson(body): ApiJson<MeetingInput>,
) -> AppResult<Response> {
    let m = app::create(&state.db, &s.actor, &body).await?;
    let view = app::show(&state.db, &s.actor, m.id).await?;
    Ok(created_at(
        format!("/api/v1/meetings/{}", m.id),
        json!(view),
    ))
}

pub async fn show(Api(state, s): Api, Path(mid): Path<String>) -> AppResult<Json<Value>> {
    Ok(Json(json!(
        app::show(&state.db, &s.actor, id(&mid)?).await?
    )))
}

pub async fn update(
    Api(state, s): Api,
    Path(mid): Path<String>,
    body: Versioned<MeetingInput>,
) -> AppResult<Json<Value>> {
    let mid = id(&mid)?;
    app::update(&state.db, &s.actor, mid, body.version, &body.fields).await?;
    Ok(Json(json!(app::show(&state.db, &s.actor, mid).await?)))
}

/// `POST /api/v1/meetings/check`: the clashes of a proposal, nothing saved.
pub async fn check(
    Api(state, s): Api,
    ApiJson(body): ApiJson<MeetingInput>,
) -> AppResult<Json<Value>> {
    let clashes = app::check(&state.db, &s.actor, &body, None).await?;
    Ok(Json(json!({"items": clashes})))
}

pub async fn invite(Api(state, s): Api, Path(mid): Path<String>) -> AppResult<Json<Value>> {
    let mid = id(&mid)?;
    app::invite(&state.db, &s.actor, mid).await?;
    Ok(Json(json!(app::show(&state.db, &s.actor, mid).await?)))
}

pub async fn cancel(Api(state, s): Api, Path(mid): Path<String>) -> AppResult<Json<Value>> {
    let mid = id(&mid)?;
    app::cancel(&state.db, &s.actor, mid).await?;
    Ok(Json(json!(app::show(&state.db, &s.actor, mid).await?)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RsvpBody {
    response: String,
}

pub async fn rsvp(
    Api(state, s): Api,
    Path(mid): Path<String>,
    ApiJson(body): ApiJson<RsvpBody>,
) -> AppResult<Json<Value>> {
    let r = match Rsvp::parse(body.response.trim()) {
        Ok(r) if r != Rsvp::NeedsAction => r,
        _ => {
            return Err(AppError::invalid(
                "response",
                Msg::one_of(body.response.trim(), &["accepted", "declined", "tentative"]),
            ));
        }
    };
    let a = app::rsvp(&state.db, &s.actor, id(&mid)?, r, RsvpVia::Api).await?;
    Ok(Json(json!(a)))
}

pub async fn minutes(
    Api(state, s): Api,
    Path(mid): Path<String>,
    ApiJson(body): ApiJson<MinutesInput>,
) -> AppResult<Json<Value>> {
    let mid = id(&mid)?;
    app::record_minutes(&state.db, &s.actor, mid, &body).await?;
    Ok(Json(json!(app::show(&state.db, &s.actor, mid).await?)))
}

fn calendar(text: String, filename: &str) -> Response {
    let mut r = text.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// `GET /api/v1/meetings/{id}/ics`: the meeting for one's calendar.
pub async fn ics(Api(state, s): Api, Path(mid): Path<String>) -> AppResult<Response> {
    let text = app::ics(&state.db, &s.actor, id(&mid)?).await?;
    Ok(calendar(text, "meeting.ics"))
}

/// `GET /api/v1/cadence?year=`: §5.1 per kind and period.
pub async fn cadence(Api(state, s): Api, p: Pairs) -> AppResult<Json<Value>> {
    let year = match get(&p, "year") {
        None => state
            .db
            .now()
            .with_timezone(&COMPANY_ZONE)
            .format("%Y")
            .to_string()
            .parse()
            .unwrap_or(2026),
        Some(y) => y.parse::<i32>().map_err(|_| {
            AppError::invalid(
                "year",
                Msg::new("validate.number_range")
                    .arg("min", 2000)
                    .arg("max", 2100),
            )
        })?,
    };
    let items = app::cadence(&state.db, &s.actor, year).await?;
    Ok(Json(json!({"year": year, "items": items})))
}

pub async fn plan_series(
    Api(state, s): Api,
    ApiJson(body): ApiJson<SeriesInput>,
) -> AppResult<Response> {
    let made = app::plan_series(&state.db, &s.actor, &body).await?;
    Ok(created_at(
        "/api/v1/meetings".into(),
        json!({"items": made}),
    ))
}

pub async fn settings(Api(state, s): Api) -> AppResult<Json<MeetingSettings>> {
    Ok(Json(app::settings(&state.db, &s.actor).await?))
}

pub async fn update_settings(
    Api(state, s): Api,
    ApiJson(body): ApiJson<MeetingSettings>,
) -> AppResult<Json<MeetingSettings>> {
    Ok(Json(
        app::update_settings(&state.db, &s.actor, &body).await?,
    ))
}

pub async fn business_dates(Api(state, s): Api) -> AppResult<Json<Value>> {
    Ok(Json(
        json!({"items": app::business_dates(&state.db, &s.actor).await?}),
    ))
}

pub async fn add_business_date(
    Api(state, s): Api,
    ApiJson(body): ApiJson<BusinessDateInput>,
) -> AppResult<Response> {
    let d = app::add_business_date(&state.db, &s.actor, &body).await?;
    Ok(created_at("/api/v1/business-dates".into(), json!(d)))
}

pub async fn remove_business_date(
    Api(state, s): Api,
    Path(bid): Path<String>,
) -> AppResult<Response> {
    app::remove_business_date(&state.db, &s.actor, id(&bid)?).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/tasks`: `status`, `all=true` (channel management: everyone's).
pub async fn tasks(Api(state, s): Api, p: Pairs) -> AppResult<Json<Value>> {
    let status = get(&p, "status")
        .map(TaskStatus::parse)
        .transpose()
        .map_err(|m| AppError::invalid("status", m))?;
    let all = match get(&p, "all") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(AppError::invalid(
                "all",
                Msg::one_of(other, &["true", "false"]),
            ));
        }
    };
    let items = app::tasks(&state.db, &s.actor, status, all).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    status: String,
}

pub async fn update_task(
    Api(state, s): Api,
    Path(tid): Path<String>,
    ApiJson(body): ApiJson<TaskPatch>,
) -> AppResult<Json<Value>> {
    let status =
        TaskStatus::parse(body.status.trim()).map_err(|m| AppError::invalid("status", m))?;
    Ok(Json(json!(
        app::set_task(&state.db, &s.actor, id(&tid)?, status).await?
    )))
}

/// The feed's `https://…/calendar/TOKEN.ics` and `webcal://` addresses.
fn feed_view(state: &AppState, headers: &axum::http::HeaderMap, token: &str) -> Value {
    let (url, webcal) = crate::respond::feed_addresses(state, headers, token);
    json!({"url": url, "webcal": webcal})
}

/// `GET /api/v1/calendar-feed`: one's private feed address (made on first ask).
pub async fn feed(Api(state, s): Api, headers: axum::http::HeaderMap) -> AppResult<Json<Value>> {
    let token = app::feed_token(&state.db, &s.actor, false).await?;
    Ok(Json(feed_view(&state, &headers, &token)))
}

/// `POST /api/v1/calendar-feed`: a new address; the old one answers 404 from now on.
pub async fn renew_feed(
    Api(state, s): Api,
    headers: axum::http::HeaderMap,
) -> AppResult<Json<Value>> {
    let token = app::feed_token(&state.db, &s.actor, true).await?;
    Ok(Json(feed_view(&state, &headers, &token)))
}

/// `DELETE /api/v1/calendar-feed`: stop the feed.
pub async fn revoke_feed(Api(state, s): Api) -> AppResult<Response> {
    app::revoke_feed(&state.db, &s.actor).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// `GET /calendar/{token}.ics`: the private feed (no login: the token is the key); an unknown
/// or revoked token is 404.
pub async fn public_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> AppResult<Response> {
    let token = file.strip_suffix(".ics").unwrap_or(&file);
    let text = app::feed(&state.db, token).await?;
    Ok(calendar(text, "liaison.ics"))
}
