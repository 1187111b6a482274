//! Replies and the closed loop (policy §4.4, §4.1.2; SPEC B4, B7): a partner replies to a
//! message or opens a thread; the responsible staff answer and close. Partner users see only
//! their own partner's threads; staff see those assigned to them, and channel management,
//! executives and admins see all. Anything else is 404.

use super::partner::created_at;
use super::{ApiJson, Pairs};
use crate::auth::{ApiUser, Session};
use crate::{AppError, AppResult, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use liaison_core::Permission;
use liaison_db::thread::{self as repo, Thread, ThreadState, ThreadView};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

fn id(s: &str) -> AppResult<Uuid> {
    Uuid::parse_str(s).map_err(|_| AppError::NotFound)
}

/// Partner users (their inbox) and company users (the console) take part in threads.
fn participant(s: &Session) -> AppResult<()> {
    if s.actor.is_partner() {
        s.require(Permission::UseInbox)
    } else {
        s.require(Permission::UseConsole)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PostBody {
    pub body: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ThreadInput {
    pub subject: String,
    pub body: String,
    pub category: String,
}

/// `POST /api/v1/inbox/{message_id}/replies`: 201 with a new thread, 200 when the reply joins
/// the partner's unclosed thread on that message.
pub async fn reply_to_message(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(mid): Path<String>,
    ApiJson(body): ApiJson<PostBody>,
) -> AppResult<Response> {
    s.require(Permission::UseInbox)?;
    let (t, created) = repo::reply_to_message(&state.db, &s.actor, id(&mid)?, &body.body).await?;
    Ok(if created {
        created_at(format!("/api/v1/threads/{}", t.id), json!(t))
    } else {
        Json(t).into_response()
    })
}

pub async fn create(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiJson(body): ApiJson<ThreadInput>,
) -> AppResult<Response> {
    s.require(Permission::UseInbox)?;
    let t = repo::open_thread(
        &state.db,
        &s.actor,
        &body.subject,
        &body.body,
        &body.category,
    )
    .await?;
    Ok(created_at(format!("/api/v1/threads/{}", t.id), json!(t)))
}

pub async fn list(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    p: Pairs,
) -> AppResult<Json<serde_json::Value>> {
    participant(&s)?;
    let l = p.list(50)?;
    let view = match p.get("view").unwrap_or("all") {
        "" | "all" => ThreadView::All,
        "mine" => ThreadView::Mine,
        _ => return Err(AppError::invalid("view", "must be mine or all")),
    };
    let st = match p.get("state").filter(|v| !v.is_empty()) {
        Some(v) => Some(ThreadState::parse(v).map_err(|m| AppError::invalid("state", m))?),
        None => None,
    };
    let before = match l.cursor.as_deref() {
        Some(c) => Some(
            Uuid::parse_str(c)
                .map_err(|_| AppError::invalid("cursor", "is not a cursor this list gave out"))?,
        ),
        None => None,
    };
    let items = repo::list_threads(&state.db, &s.actor, view, st, before, l.limit).await?;
    let next = (items.len() as i64 == l.limit)
        .then(|| items.last().map(|t| t.id.to_string()))
        .flatten();
    let counts = repo::counts(&state.db, &s.actor, view).await?;
    Ok(Json(
        json!({"items": items, "next_cursor": next, "counts": counts}),
    ))
}

pub async fn show(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(tid): Path<String>,
) -> AppResult<Json<Thread>> {
    participant(&s)?;
    Ok(Json(
        repo::find_thread(&state.db, &s.actor, id(&tid)?).await?,
    ))
}

pub async fn reply(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(tid): Path<String>,
    ApiJson(body): ApiJson<PostBody>,
) -> AppResult<Json<Thread>> {
    participant(&s)?;
    Ok(Json(
        repo::reply(&state.db, &s.actor, id(&tid)?, &body.body).await?,
    ))
}

pub async fn close(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(tid): Path<String>,
) -> AppResult<Json<Thread>> {
    participant(&s)?;
    Ok(Json(repo::close(&state.db, &s.actor, id(&tid)?).await?))
}
