//! The partner inbox (policy §4.3.2, §4.4.1; SPEC B5, B6): only the caller's own partner's
//! messages; reading is recorded, confirmation is one call.

use crate::AppResult;
use crate::auth::Api;
use crate::extract::{Pairs, id};
use axum::Json;
use axum::extract::Path;
use liaison_app::inbox as app;
use liaison_db::inbox::{InboxItem, Message};
use serde_json::json;

pub async fn list(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    let l = p.list(50)?;
    let (items, counts) = app::list(&state.db, &s.actor, l.id_cursor()?, l.limit).await?;
    let next = l.next(&items, |m| m.message_id.to_string());
    Ok(Json(
        json!({"items": items, "next_cursor": next, "counts": counts}),
    ))
}

pub async fn show(Api(state, s): Api, Path(mid): Path<String>) -> AppResult<Json<Message>> {
    Ok(Json(app::open(&state.db, &s.actor, id(&mid)?).await?))
}

pub async fn ack(Api(state, s): Api, Path(mid): Path<String>) -> AppResult<Json<InboxItem>> {
    let item = app::acknowledge(&state.db, &state.acks, &s.actor, id(&mid)?).await?;
    Ok(Json(item))
}

pub async fn attachments(
    Api(state, s): Api,
    Path(mid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let items = app::attachments(&state.db, &s.actor, id(&mid)?).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn attachment(
    Api(state, s): Api,
    Path((mid, aid)): Path<(String, String)>,
) -> AppResult<axum::response::Response> {
    let (a, bytes) = app::attachment(&state.db, &s.actor, id(&mid)?, id(&aid)?).await?;
    Ok(crate::respond::file_response(a, bytes))
}
