//! A partner's communication record and search (SPEC B10).

use crate::AppResult;
use crate::auth::Api;
use crate::extract::Pairs;
use axum::Json;
use axum::extract::Path;
use liaison_db::history;
use serde_json::json;

pub async fn timeline(
    Api(state, s): Api,
    Path(id): Path<String>,
    p: Pairs,
) -> AppResult<Json<serde_json::Value>> {
    let id = crate::extract::id(&id)?;
    liaison_app::partner::show(&state.db, &s.actor, id).await?;
    let l = p.list(50)?;
    let items =
        history::timeline(&state.db, uuid::Uuid::from(id), l.time_cursor()?, l.limit).await?;
    let next = l.next(&items, |e| e.at.to_rfc3339());
    Ok(Json(json!({"items": items, "next_cursor": next})))
}

/// Ranked hits of every kind the user may see (SPEC B10), each with its snippet and the
/// character ranges to highlight.
pub async fn search(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    let q = p.get("q").unwrap_or("");
    let l = p.list(20)?;
    let items = liaison_app::search::search(&state.db, &s.actor, q, l.limit.min(100)).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}
