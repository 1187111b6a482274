//! The delivery engine's API (policy §2.1, §4.3.2, §4.4.1, §5.3.2; SPEC B5, B6, B9, H3): the
//! receipts board's actions (remind unconfirmed now, send dead deliveries again), IM robots of
//! partners and contacts, the working-hours calendar, delivery settings, outbound event
//! endpoints and their jobs, and the one-click confirmation link.

use crate::auth::Api;
use crate::extract::id;
use crate::extract::{ApiJson, Pairs};
use crate::respond::created_at;
use crate::{AppError, AppResult, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use liaison_app::ack;
use liaison_app::calendar::{parse_date, parse_year};
use liaison_app::event::{EndpointBody, parse_endpoint, parse_job_state};
use liaison_app::robot::{RobotBody, parse_robot};
use liaison_core::Permission;
use liaison_db::delivery::{DeliverySettings, DeliverySettingsPatch};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// §4.4.1: remind every recipient who has not confirmed, now (within their working hours).
pub async fn remind(
    Api { state, s }: Api,
    Path(rid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let (r, m) = liaison_app::request::message_of(&state.db, &s.actor, id(&rid)?).await?;
    liaison_core::authorize(
        &s.actor,
        Permission::ManageDeliveries,
        &liaison_core::Object::owned(r.requester_id, r.department_id),
    )?;
    let n = liaison_db::delivery::remind_now(&state.db, s.user.id, m).await?;
    Ok(Json(json!({"reminders": n})))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryBody {
    /// One delivery; without it every dead delivery of the message.
    pub delivery_id: Option<Uuid>,
}

/// Sends dead deliveries again from a fresh attempt count (channel management).
pub async fn retry(
    Api { state, s }: Api,
    Path(rid): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<serde_json::Value>> {
    let (_, m) = liaison_app::request::message_of(&state.db, &s.actor, id(&rid)?).await?;
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

pub async fn settings(Api { state, s }: Api) -> AppResult<Json<DeliverySettings>> {
    s.require(Permission::ReadDirectory)?;
    Ok(Json(liaison_db::delivery::settings(&state.db).await?))
}

pub async fn update_settings(
    Api { state, s }: Api,
    ApiJson(body): ApiJson<DeliverySettingsPatch>,
) -> AppResult<Json<DeliverySettings>> {
    s.require(Permission::AdminUsers)?;
    Ok(Json(
        liaison_db::delivery::update_settings(&state.db, s.user.id, &body).await?,
    ))
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
    Api { state, s }: Api,
    Path(pid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let p = partner_for_robots(&state, &s, &pid).await?;
    let items = liaison_db::robot::list_robots(&state.db, p).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn create_robot(
    Api { state, s }: Api,
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
    Api { state, s }: Api,
    Path((pid, rid)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let p = partner_for_robots(&state, &s, &pid).await?;
    liaison_db::robot::delete_robot(&state.db, s.user.id, p, id(&rid)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn calendar(Api { state, s }: Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ReadDirectory)?;
    let year = parse_year(p.get("year"))?;
    let items = liaison_db::calendar::list_days(&state.db, year).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DayBody {
    pub kind: String,
    pub name: String,
}

pub async fn put_day(
    Api { state, s }: Api,
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

pub async fn delete_day(Api { state, s }: Api, Path(date): Path<String>) -> AppResult<StatusCode> {
    s.require(Permission::ManageCalendar)?;
    let d = parse_date(&date)?;
    liaison_db::calendar::delete_day(&state.db, s.user.id, d).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_endpoints(Api { state, s }: Api) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ManageIntegrations)?;
    let items = liaison_db::events::list_endpoints(&state.db).await?;
    Ok(Json(
        json!({"items": items, "next_cursor": null, "event_types": liaison_db::events::EVENT_TYPES}),
    ))
}

pub async fn create_endpoint(
    Api { state, s }: Api,
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

pub async fn delete_endpoint(
    Api { state, s }: Api,
    Path(eid): Path<String>,
) -> AppResult<StatusCode> {
    s.require(Permission::ManageIntegrations)?;
    liaison_db::events::delete_endpoint(&state.db, s.user.id, id(&eid)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_jobs(Api { state, s }: Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
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
    Api { state, s }: Api,
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
    let delivery = ack::verify_link(&state.db, &token)?;
    let (_, m) = liaison_db::inbox::open_by_link(&state.db, delivery).await?;
    Ok(Json(json!(m)))
}

/// One tap: confirms the delivery's message for its partner (§4.3.2). Confidential and secret
/// messages need a login and are confirmed in the portal.
pub async fn link_ack(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let delivery = ack::verify_link(&state.db, &token)?;
    let item = ack::ack_by_link(&state.db, &state.acks, delivery).await?;
    Ok((StatusCode::OK, Json(json!(item))).into_response())
}
