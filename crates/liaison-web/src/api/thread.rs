//! Replies and the closed loop (policy §4.4, §4.1.2; SPEC B4, B7): a partner replies to a
//! message or opens a thread; the responsible staff answer and close. Partner users see only
//! their own partner's threads; staff see those assigned to them, and channel management,
//! executives and admins see all. Anything else is 404.

use crate::auth::Api;
use crate::extract::id;
use crate::extract::{ApiJson, Pairs};
use crate::respond::created_at;
use crate::{AppError, AppResult};
use axum::Json;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use liaison_app::thread as app;
use liaison_db::thread::{Thread, ThreadState, ThreadView};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostBody {
    pub body: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThreadInput {
    pub subject: String,
    pub body: String,
    pub category: String,
}

/// `POST /api/v1/inbox/{message_id}/replies`: 201 with a new thread, 200 when the reply joins
/// the partner's unclosed thread on that message.
pub async fn reply_to_message(
    Api(state, s): Api,
    Path(mid): Path<String>,
    ApiJson(body): ApiJson<PostBody>,
) -> AppResult<Response> {
    let (t, created) = app::reply_to_message(&state.db, &s.actor, id(&mid)?, &body.body).await?;
    Ok(if created {
        created_at(format!("/api/v1/threads/{}", t.id), json!(t))
    } else {
        Json(t).into_response()
    })
}

pub async fn create(
    Api(state, s): Api,
    ApiJson(body): ApiJson<ThreadInput>,
) -> AppResult<Response> {
    let t = app::open(
        &state.db,
        &s.actor,
        &body.subject,
        &body.body,
        &body.category,
    )
    .await?;
    Ok(created_at(format!("/api/v1/threads/{}", t.id), json!(t)))
}

pub async fn list(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    let l = p.list(50)?;
    let view = match p.get("view").unwrap_or("all") {
        "" | "all" => ThreadView::All,
        "mine" => ThreadView::Mine,
        other => {
            return Err(AppError::invalid(
                "view",
                liaison_core::validate::Msg::one_of(other, &["mine", "all"]),
            ));
        }
    };
    let st = match p.get("state").filter(|v| !v.is_empty()) {
        Some(v) => Some(ThreadState::parse(v).map_err(|m| AppError::invalid("state", m))?),
        None => None,
    };
    let items = app::list(&state.db, &s.actor, st, view, l.id_cursor()?, l.limit).await?;
    let next = l.next(&items, |t| t.id.to_string());
    let counts = app::counts(&state.db, &s.actor, view).await?;
    Ok(Json(
        json!({"items": items, "next_cursor": next, "counts": counts}),
    ))
}

pub async fn show(Api(state, s): Api, Path(tid): Path<String>) -> AppResult<Json<Thread>> {
    Ok(Json(app::show(&state.db, &s.actor, id(&tid)?).await?))
}

pub async fn reply(
    Api(state, s): Api,
    Path(tid): Path<String>,
    ApiJson(body): ApiJson<PostBody>,
) -> AppResult<Json<Thread>> {
    Ok(Json(
        app::reply(&state.db, &s.actor, id(&tid)?, &body.body).await?,
    ))
}

pub async fn close(Api(state, s): Api, Path(tid): Path<String>) -> AppResult<Json<Thread>> {
    Ok(Json(app::close(&state.db, &s.actor, id(&tid)?).await?))
}
