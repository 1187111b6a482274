//! The partner portal: a partner user's own company, its contacts and what is on record, with
//! the inbox counts (the inbox itself is `inbox.rs`). Every query is scoped to the user's
//! partner (SPEC G4).

use super::Page;
use super::PageResult;
use super::ctx;
use super::render;
use crate::{AppError, AppState};
use axum::Router;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/portal", get(home))
}

async fn home(Page(state, headers, s): Page) -> PageResult {
    let id = s.actor.scope().partner().ok_or(AppError::NotFound)?;
    let partner = liaison_app::partner::show(&state.db, &s.actor, id.into()).await?;
    let contacts = liaison_app::partner::contacts(&state.db, &s.actor, id.into()).await?;
    let counts = liaison_app::inbox::counts(&state.db, &s.actor).await?;
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "portal/home.html",
        ctx! { nav => "portal", partner => partner, contacts => contacts, inbox_counts => counts },
    ))
}
