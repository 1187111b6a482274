//! The partner inbox (policy §4.3.2, §4.4.1; SPEC B5, B6): only the caller's own partner's
//! messages; reading is recorded, confirmation is one call.

use crate::auth::{Api, Session};
use crate::extract::Pairs;
use crate::{AppError, AppResult};
use axum::Json;
use axum::extract::Path;
use liaison_core::Permission;
use liaison_db::inbox;
use serde_json::json;
use uuid::Uuid;

fn partner(s: &Session) -> AppResult<Uuid> {
    s.require(Permission::UseInbox)?;
    s.actor.scope().partner().ok_or(AppError::NotFound)
}

pub async fn list(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    let pid = partner(&s)?;
    let l = p.list(50)?;
    let before = match l.cursor.as_deref() {
        Some(c) => Some(
            Uuid::parse_str(c)
                .map_err(|_| AppError::invalid("cursor", "is not a cursor this list gave out"))?,
        ),
        None => None,
    };
    let items = inbox::list_inbox(&state.db, pid, before, l.limit).await?;
    let next = (items.len() as i64 == l.limit)
        .then(|| items.last().map(|m| m.message_id.to_string()))
        .flatten();
    let counts = inbox::counts(&state.db, pid).await?;
    Ok(Json(
        json!({"items": items, "next_cursor": next, "counts": counts}),
    ))
}

pub async fn show(Api(state, s): Api, Path(mid): Path<String>) -> AppResult<Json<inbox::Message>> {
    let pid = partner(&s)?;
    let mid = Uuid::parse_str(&mid).map_err(|_| AppError::NotFound)?;
    Ok(Json(
        inbox::open_message(&state.db, s.user.id, pid, mid).await?,
    ))
}

pub async fn ack(Api(state, s): Api, Path(mid): Path<String>) -> AppResult<Json<inbox::InboxItem>> {
    let pid = partner(&s)?;
    let mid = Uuid::parse_str(&mid).map_err(|_| AppError::NotFound)?;
    Ok(Json(
        state
            .acks
            .acknowledge(&state.db, Some(s.user.id), pid, mid, "portal")
            .await?,
    ))
}

pub async fn attachments(
    Api(state, s): Api,
    Path(mid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let pid = partner(&s)?;
    let mid = Uuid::parse_str(&mid).map_err(|_| AppError::NotFound)?;
    let rid = inbox::request_of(&state.db, pid, mid).await?;
    Ok(Json(
        json!({"items": liaison_db::attachment::list_attachments(&state.db, rid).await?, "next_cursor": null}),
    ))
}

pub async fn attachment(
    Api(state, s): Api,
    Path((mid, aid)): Path<(String, String)>,
) -> AppResult<axum::response::Response> {
    let pid = partner(&s)?;
    let mid = Uuid::parse_str(&mid).map_err(|_| AppError::NotFound)?;
    let aid = Uuid::parse_str(&aid).map_err(|_| AppError::NotFound)?;
    let rid = inbox::request_of(&state.db, pid, mid).await?;
    let (a, bytes) = liaison_db::attachment::read_attachment(&state.db, rid, aid).await?;
    Ok(crate::respond::file_response(a, bytes))
}
