//! The delivery engine's API (policy §2.1, §4.3.2, §4.4.1, §5.3.2; SPEC B5, B6, B9, H3): the
//! receipts board's actions (remind unconfirmed now, send dead deliveries again), IM robots of
//! partners and contacts, the working-hours calendar, delivery settings, outbound event
//! endpoints and their jobs, and the one-click confirmation link.

use super::partner::created_at;
use super::{ApiJson, Pairs};
use crate::auth::ApiUser;
use crate::{AppError, AppResult, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use liaison_channels::robot::{RobotKind, redact_url, validate_url};
use liaison_core::Permission;
use liaison_db::delivery::{DeliverySettings, DeliverySettingsPatch};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

fn id(s: &str) -> AppResult<Uuid> {
    Uuid::parse_str(s).map_err(|_| AppError::NotFound)
}

/// The message of a dispatched request the caller may see.
async fn message_of(
    state: &AppState,
    s: &crate::auth::Session,
    rid: &str,
) -> AppResult<(liaison_db::request::Request, Uuid)> {
    let r = super::request::load(state, s, rid).await?;
    let m = r
        .message_id
        .ok_or_else(|| AppError::invalid("request", "the request has not been sent yet"))?;
    Ok((r, m))
}

/// §4.4.1: remind every recipient who has not confirmed, now (within their working hours).
pub async fn remind(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(rid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let (r, m) = message_of(&state, &s, &rid).await?;
    if r.requester_id != s.user.id {
        s.require(Permission::ManageDeliveries)?;
    }
    let n = liaison_db::delivery::remind_now(&state.db, s.user.id, m).await?;
    Ok(Json(json!({"reminders": n})))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RetryBody {
    /// One delivery; without it every dead delivery of the message.
    pub delivery_id: Option<Uuid>,
}

/// Sends dead deliveries again from a fresh attempt count (channel management).
pub async fn retry(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(rid): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<serde_json::Value>> {
    let (_, m) = message_of(&state, &s, &rid).await?;
    s.require(Permission::ManageDeliveries)?;
    // The body is optional: empty means every dead delivery.
    let only = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<RetryBody>(&body)
            .map_err(|e| AppError::BadRequest(format!("the body is not a RetryBody: {e}")))?
            .delivery_id
    };
    let n = liaison_db::delivery::retry(&state.db, s.user.id, m, only).await?;
    Ok(Json(json!({"queued": n})))
}

pub async fn settings(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
) -> AppResult<Json<DeliverySettings>> {
    s.require(Permission::ReadDirectory)?;
    Ok(Json(liaison_db::delivery::settings(&state.db).await?))
}

pub async fn update_settings(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiJson(body): ApiJson<DeliverySettingsPatch>,
) -> AppResult<Json<DeliverySettings>> {
    s.require(Permission::AdminUsers)?;
    Ok(Json(
        liaison_db::delivery::update_settings(&state.db, s.user.id, &body).await?,
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RobotBody {
    pub kind: Option<String>,
    pub url: Option<String>,
    pub secret: Option<String>,
    pub label: Option<String>,
    pub contact_id: Option<Uuid>,
}

/// Parses a robot at the edge: platform, URL rules, optional secret and label.
pub fn parse_robot(
    b: &RobotBody,
) -> Result<liaison_db::robot::NewRobot, liaison_core::FieldErrors> {
    let mut e = liaison_core::FieldErrors::new();
    let kind = match b.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => {
            e.add("kind", "choose wecom, dingtalk, feishu, slack or webhook");
            None
        }
        Some(k) => match RobotKind::parse(k) {
            Ok(k) => Some(k),
            Err(m) => {
                e.add("kind", m);
                None
            }
        },
    };
    let url = b.url.as_deref().map(str::trim).unwrap_or("").to_string();
    if url.is_empty() {
        e.add("url", "the robot's webhook URL is required");
    } else if let Err(m) = validate_url(&url) {
        e.add("url", m);
    }
    let secret = b
        .secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from);
    if secret.as_ref().is_some_and(|s| s.len() > 200) {
        e.add("secret", "must be at most 200 characters");
    }
    if matches!(kind, Some(RobotKind::Webhook)) && secret.is_none() {
        e.add(
            "secret",
            "a generic webhook needs a secret: its requests are signed with it",
        );
    }
    let label = b.label.as_deref().map(str::trim).unwrap_or("").to_string();
    if label.chars().count() > 60 {
        e.add("label", "must be at most 60 characters");
    }
    match kind {
        Some(k) if e.is_empty() => Ok(liaison_db::robot::NewRobot {
            kind: k.as_str().to_string(),
            label: if label.is_empty() {
                k.as_str().to_string()
            } else {
                label
            },
            url_hint: redact_url(&url),
            url,
            secret,
            contact_id: b.contact_id,
        }),
        _ => Err(e),
    }
}

async fn partner_for_robots(
    state: &AppState,
    s: &crate::auth::Session,
    pid: &str,
) -> AppResult<Uuid> {
    s.require(Permission::WritePartners)?;
    let p = liaison_db::partner::find_partner(&state.db, s.actor.scope(), id(pid)?).await?;
    Ok(p.id)
}

pub async fn list_robots(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(pid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let p = partner_for_robots(&state, &s, &pid).await?;
    let items = liaison_db::robot::list_robots(&state.db, p).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn create_robot(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(pid): Path<String>,
    ApiJson(body): ApiJson<RobotBody>,
) -> AppResult<Response> {
    let p = partner_for_robots(&state, &s, &pid).await?;
    let new = parse_robot(&body).map_err(AppError::Invalid)?;
    let r = liaison_db::robot::insert_robot(&state.db, s.user.id, p, &new).await?;
    Ok(created_at(
        format!("/api/v1/partners/{p}/robots/{}", r.id),
        json!(r),
    ))
}

pub async fn delete_robot(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path((pid, rid)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let p = partner_for_robots(&state, &s, &pid).await?;
    liaison_db::robot::delete_robot(&state.db, s.user.id, p, id(&rid)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A `year` query value: absent or empty is none, else a year from 2000 to 2100.
pub(crate) fn parse_year(v: Option<&str>) -> AppResult<Option<i32>> {
    match v.filter(|y| !y.is_empty()) {
        Some(y) => Ok(Some(
            y.parse::<i32>()
                .ok()
                .filter(|y| (2000..=2100).contains(y))
                .ok_or_else(|| AppError::invalid("year", "must be a year such as 2026"))?,
        )),
        None => Ok(None),
    }
}

/// A calendar date in a path, written YYYY-MM-DD.
pub(crate) fn parse_date(date: &str) -> AppResult<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| AppError::invalid("date", "must be a date written YYYY-MM-DD"))
}

pub async fn calendar(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    p: Pairs,
) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ReadDirectory)?;
    let year = parse_year(p.get("year"))?;
    let items = liaison_db::calendar::list_days(&state.db, year).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DayBody {
    pub kind: String,
    pub name: String,
}

pub async fn put_day(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(date): Path<String>,
    ApiJson(body): ApiJson<DayBody>,
) -> AppResult<Json<liaison_core::calendar::CalendarDay>> {
    s.require(Permission::ManageCalendar)?;
    let day = liaison_db::calendar::parse_day(&date, &body.kind, &body.name)
        .map_err(AppError::Invalid)?;
    Ok(Json(
        liaison_db::calendar::upsert_day(&state.db, s.user.id, &day).await?,
    ))
}

pub async fn delete_day(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(date): Path<String>,
) -> AppResult<StatusCode> {
    s.require(Permission::ManageCalendar)?;
    let d = parse_date(&date)?;
    liaison_db::calendar::delete_day(&state.db, s.user.id, d).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EndpointBody {
    pub url: Option<String>,
    pub secret: Option<String>,
    pub events: Vec<String>,
}

pub async fn list_endpoints(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ManageIntegrations)?;
    let items = liaison_db::events::list_endpoints(&state.db).await?;
    Ok(Json(
        json!({"items": items, "next_cursor": null, "event_types": liaison_db::events::EVENT_TYPES}),
    ))
}

pub async fn create_endpoint(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiJson(body): ApiJson<EndpointBody>,
) -> AppResult<Response> {
    s.require(Permission::ManageIntegrations)?;
    let new = parse_endpoint(&body).map_err(AppError::Invalid)?;
    let ep = liaison_db::events::insert_endpoint(&state.db, s.user.id, &new).await?;
    Ok(created_at(
        format!("/api/v1/event-endpoints/{}", ep.id),
        json!(ep),
    ))
}

/// Parses an event endpoint at the edge: an HTTPS URL (or http to loopback), a signing secret
/// of at least 16 characters, and the events it subscribes to (none means all).
pub(crate) fn parse_endpoint(
    body: &EndpointBody,
) -> Result<liaison_db::events::NewEndpoint, liaison_core::FieldErrors> {
    let mut e = liaison_core::FieldErrors::new();
    let url = body.url.as_deref().map(str::trim).unwrap_or("").to_string();
    if url.is_empty() {
        e.add("url", "the endpoint's HTTPS URL is required");
    } else if let Err(m) = validate_url(&url) {
        e.add("url", m);
    }
    let secret = body
        .secret
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    if secret.len() < 16 {
        e.add(
            "secret",
            "a signing secret of at least 16 characters is required",
        );
    }
    let events = match liaison_db::events::parse_events(&body.events) {
        Ok(v) => v,
        Err(fe) => {
            for f in fe.0.iter() {
                e.add(f.field.clone(), f.message.clone());
            }
            Vec::new()
        }
    };
    if !e.is_empty() {
        return Err(e);
    }
    Ok(liaison_db::events::NewEndpoint {
        url_hint: redact_url(&url),
        url,
        secret,
        events,
    })
}

pub async fn delete_endpoint(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(eid): Path<String>,
) -> AppResult<StatusCode> {
    s.require(Permission::ManageIntegrations)?;
    liaison_db::events::delete_endpoint(&state.db, s.user.id, id(&eid)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The job states a list can be filtered by.
pub(crate) const JOB_STATES: &[&str] = &["queued", "failed", "done", "dead"];

/// A `state` filter for jobs: absent or empty is none.
pub(crate) fn parse_job_state(v: Option<&str>) -> AppResult<Option<&str>> {
    match v.filter(|v| !v.is_empty()) {
        Some(st) if !JOB_STATES.contains(&st) => Err(AppError::invalid(
            "state",
            "must be queued, failed, done or dead",
        )),
        other => Ok(other),
    }
}

pub async fn list_jobs(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    p: Pairs,
) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ManageIntegrations)?;
    let state_f = parse_job_state(p.get("state"))?;
    let l = p.list(100)?;
    let items = liaison_db::job::list_jobs(
        &state.db,
        p.get("kind").filter(|v| !v.is_empty()),
        state_f,
        l.limit,
    )
    .await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn retry_job(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(jid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ManageIntegrations)?;
    let n = liaison_db::job::retry_jobs(&state.db, &[id(&jid)?]).await?;
    if n == 0 {
        return Err(AppError::invalid("job", "only a dead job can be run again"));
    }
    Ok(Json(json!({"queued": n})))
}

/// The message behind a one-click link, as JSON (no login; the link is the credential).
pub async fn link_show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let delivery = verify_link(&state, &token)?;
    let (_, m) = liaison_db::inbox::open_by_link(&state.db, delivery).await?;
    Ok(Json(json!(m)))
}

/// One tap: confirms the delivery's message for its partner (§4.3.2). Confidential and secret
/// messages need a login and are confirmed in the portal.
pub async fn link_ack(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let delivery = verify_link(&state, &token)?;
    let item = ack_by_link(&state, delivery).await?;
    Ok((StatusCode::OK, Json(json!(item))).into_response())
}

pub(crate) fn verify_link(state: &AppState, token: &str) -> AppResult<Uuid> {
    let cipher = state
        .db
        .cipher()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    liaison_db::link::verify(cipher, token, state.db.now()).map_err(|e| match e {
        liaison_db::link::LinkError::Invalid => AppError::NotFound,
        liaison_db::link::LinkError::Expired => AppError::Gone(e.to_string()),
    })
}

pub(crate) async fn ack_by_link(
    state: &AppState,
    delivery: Uuid,
) -> AppResult<liaison_db::inbox::InboxItem> {
    let d = liaison_db::delivery::find_delivery(&state.db, delivery).await?;
    let item = liaison_db::inbox::find_item(&state.db, d.partner_id, d.message_id).await?;
    if !matches!(item.classification.as_str(), "public" | "internal") {
        return Err(AppError::Denied(
            "this message is confidential: log in to the partner portal to read and confirm it"
                .into(),
        ));
    }
    Ok(state
        .acks
        .acknowledge(&state.db, None, d.partner_id, d.message_id, &d.channel)
        .await?)
}
