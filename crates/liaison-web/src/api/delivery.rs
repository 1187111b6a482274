//! The delivery engine's API (policy §2.1, §4.3.2, §4.4.1, §5.3.2; SPEC B5, B6, B9, H3): the
//! receipts board's actions (remind unconfirmed now, send dead deliveries again), IM robots of
//! partners and contacts, the working-hours calendar, delivery settings, outbound event
//! endpoints and their jobs, and the one-click confirmation link.

use crate::auth::Api;
use crate::extract::id;
use crate::{AppError, AppResult};
use axum::Json;
use axum::extract::Path;
use liaison_core::Permission;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// §4.4.1: remind every recipient who has not confirmed, now (within their working hours).
pub async fn remind(
    Api(state, s): Api,
    Path(rid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let (r, m) = liaison_app::request::message_of(&state.db, &s.actor, id(&rid)?).await?;
    liaison_core::authorize(
        &s.actor,
        Permission::ManageDeliveries,
        &liaison_core::Object::owned(r.requester_id, r.department_id),
    )?;
    let n = liaison_db::delivery::remind_now(&state.db, s.user.id, uuid::Uuid::from(m)).await?;
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
    Api(state, s): Api,
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
    let n = liaison_db::delivery::retry(&state.db, s.user.id, uuid::Uuid::from(m), only).await?;
    Ok(Json(json!({"queued": n})))
}
