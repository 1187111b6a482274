//! The partner portal: a partner user's own company, its contacts and what is on record, with
//! the inbox counts (the inbox itself is `inbox.rs`). Every query is scoped to the user's
//! partner (SPEC G4).

use super::Page;
use super::ctx;
use super::{error_page, render};
use crate::{AppError, AppState};
use axum::Router;
use axum::response::Response;
use axum::routing::get;
use liaison_core::Permission;
use liaison_db::partner as repo;

pub fn router() -> Router<AppState> {
    Router::new().route("/portal", get(home))
}

async fn home(Page(state, headers, s): Page) -> Response {
    let result = async {
        s.require(Permission::UsePortal)?;
        let id = s.actor.scope().partner().ok_or(AppError::NotFound)?;
        let partner = repo::find_partner(&state.db, s.actor.scope(), id).await?;
        let contacts = repo::list_contacts(&state.db, s.actor.scope(), id).await?;
        let counts = super::inbox::counts(&state, id).await?;
        Ok::<_, AppError>(render(
            &state,
            &headers,
            Some(&s),
            "portal/home.html",
            ctx! { nav => "portal", partner => partner, contacts => contacts, inbox_counts => counts },
        ))
    }
    .await;
    result.unwrap_or_else(|e| error_page(&state, &headers, Some(&s), &e))
}
