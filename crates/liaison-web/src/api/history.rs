//! A partner's communication record and search (SPEC B10).

use super::Pairs;
use crate::auth::ApiUser;
use crate::{AppError, AppResult, AppState};
use axum::Json;
use axum::extract::{Path, State};
use liaison_core::Permission;
use liaison_db::{history, search};
use serde_json::json;
use uuid::Uuid;

pub async fn timeline(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
    p: Pairs,
) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ReadPartners)?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    liaison_db::partner::find_partner(&state.db, s.actor.scope(), id).await?;
    let l = p.list(50)?;
    let before = match l.cursor.as_deref() {
        Some(c) => Some(
            chrono::DateTime::parse_from_rfc3339(c)
                .map_err(|_| AppError::invalid("cursor", "is not a cursor this list gave out"))?
                .with_timezone(&chrono::Utc),
        ),
        None => None,
    };
    let items = history::timeline(&state.db, id, before, l.limit).await?;
    let next = (items.len() as i64 == l.limit)
        .then(|| items.last().map(|e| e.at.to_rfc3339()))
        .flatten();
    Ok(Json(json!({"items": items, "next_cursor": next})))
}

/// Ranked hits of every kind the user may see (SPEC B10), each with its snippet and the
/// character ranges to highlight.
pub async fn search(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    p: Pairs,
) -> AppResult<Json<serde_json::Value>> {
    let q = p.get("q").map(str::trim).unwrap_or("");
    if q.is_empty() || q.chars().count() > 100 {
        return Err(AppError::invalid(
            "q",
            "give 1 to 100 characters to search for",
        ));
    }
    let (scope, kinds) = liaison_core::search::searchable(&s.actor).ok_or(AppError::Forbidden)?;
    let l = p.list(20)?;
    let items = search::search(&state.db, q, scope, &kinds, l.limit.min(100)).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}
