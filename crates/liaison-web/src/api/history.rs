//! A partner's communication record and search (SPEC B10).

use crate::auth::Api;
use crate::extract::Pairs;
use crate::{AppError, AppResult};
use axum::Json;
use axum::extract::Path;
use liaison_core::Permission;
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

pub async fn search(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    let q = p.get("q").map(str::trim).unwrap_or("");
    if q.is_empty() || q.chars().count() > 100 {
        return Err(AppError::invalid(
            "q",
            "give 1 to 100 characters to search for",
        ));
    }
    let partner = if s.actor.is_partner() {
        Some(s.actor.scope().partner().ok_or(AppError::NotFound)?)
    } else {
        s.require(Permission::ReadAllRequests)?;
        None
    };
    let l = p.list(50)?;
    let items = history::search(&state.db, q, partner, l.limit).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}
