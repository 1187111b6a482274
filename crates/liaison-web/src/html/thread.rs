//! Staff pages for partners' questions (policy §4.4.2, §4.1.2; SPEC B4, B7): the threads
//! assigned to me or, for channel management, all of them; answer and close.

use super::PageResult;
use super::{Page, PageForm};
use super::{ctx, render};
use crate::extract::Pairs;
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use liaison_db::thread::{ThreadState, ThreadView};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/threads", get(list))
        .route("/console/threads/{id}", get(show))
        .route("/console/threads/{id}/reply", post(reply))
        .route("/console/threads/{id}/close", post(close))
}

fn id(s: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(s).map_err(|_| AppError::NotFound)
}

async fn list(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let view = if p.get("view") == Some("all") {
        ThreadView::All
    } else {
        ThreadView::Mine
    };
    let filter = match p.get("state").filter(|v| !v.is_empty()) {
        Some(v) => Some(ThreadState::parse(v).map_err(|m| AppError::invalid("state", m))?),
        None => None,
    };
    let items = liaison_app::thread::list(&state.db, &s.actor, filter, view, None, 200).await?;
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "thread/list.html",
        ctx! {
            nav => "threads",
            threads => items,
            view => if view == ThreadView::All { "all" } else { "mine" },
            state_filter => p.get("state").unwrap_or(""),
        },
    ))
}

async fn show(Page(state, headers, s): Page, Path(tid): Path<String>) -> PageResult {
    let t = liaison_app::thread::show(&state.db, &s.actor, liaison_core::ids::ThreadId(id(&tid)?))
        .await?;
    liaison_app::notify::seen(&state.db, &s.actor, &format!("/console/threads/{}", t.id)).await?;
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "thread/show.html",
        ctx! { nav => "threads", thread => t },
    ))
}

async fn reply(Path(tid): Path<String>, PageForm(state, _, s, form): PageForm) -> PageResult {
    let tid = id(&tid)?;
    liaison_app::thread::reply(
        &state.db,
        &s.actor,
        tid.into(),
        form.get("body").unwrap_or(""),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/threads/{tid}")).into_response())
}

async fn close(Path(tid): Path<String>, PageForm(state, _, s, _): PageForm) -> PageResult {
    let tid = id(&tid)?;
    liaison_app::thread::close(&state.db, &s.actor, tid.into()).await?;
    Ok(Redirect::to(&format!("/console/threads/{tid}")).into_response())
}
