//! One-click confirmation links (policy §4.3.2): no login, the signed link is the credential.

use crate::{AppResult, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use liaison_app::ack;
use serde_json::json;

/// The message behind a one-click link, as JSON (no login; the link is the credential).
pub async fn link_show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let delivery = ack::verify_link(&state.db, &token).await?;
    let (_, m) = liaison_db::inbox::open_by_link(&state.db, delivery).await?;
    Ok(Json(json!(m)))
}

/// One tap: confirms the delivery's message for its partner (§4.3.2). Confidential and secret
/// messages need a login and are confirmed in the portal.
pub async fn link_ack(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let delivery = ack::verify_link(&state.db, &token).await?;
    let item = ack::ack_by_link(&state.db, &state.acks, delivery).await?;
    Ok((StatusCode::OK, Json(json!(item))).into_response())
}
