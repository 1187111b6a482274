//! The one-click confirmation page (policy §4.3.2): the signed link in an e-mail or IM card
//! opens the message on a phone-sized page and confirms it with one tap, no password. Public
//! and internal messages only; a confidential one asks the partner to log in (§7.2.1).

use super::{body_html, ctx, error_page, render};
use crate::{AppError, AppResult, AppState};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use liaison_app::ack::{ack_by_link, verify_link};
use minijinja::Value;

pub fn router() -> Router<AppState> {
    Router::new().route("/ack/{token}", get(show).post(confirm))
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    q: crate::extract::Pairs,
) -> Response {
    let r: AppResult<Response> = async {
        let delivery = verify_link(&state.db, &token)?;
        let (_, m) = liaison_db::inbox::open_by_link(&state.db, delivery).await?;
        let open = matches!(m.item.classification.as_str(), "public" | "internal");
        Ok(render(
            &state,
            &headers,
            None,
            "portal/ack.html",
            ctx! {
                // A partner's page: the portal's look and name, with or without a login.
                is_partner => true,
                m => m.item,
                open => open,
                body_html => Value::from_safe_string(if open { body_html(&m.body) } else { String::new() }),
                token => token,
                done => q.get("done").is_some(),
                now => state.db.now(),
            },
        ))
    }
    .await;
    r.unwrap_or_else(|e| link_error(&state, &headers, &e))
}

/// A link that was altered, points at nothing, or has expired: the partner's own page, in
/// their language, saying so and offering the portal (issue 9) — not the console's 404.
fn link_error(state: &AppState, headers: &HeaderMap, e: &AppError) -> Response {
    let status = e.status();
    if !matches!(status, StatusCode::NOT_FOUND | StatusCode::GONE) {
        return error_page(state, headers, None, e);
    }
    let mut r = render(
        state,
        headers,
        None,
        "portal/link_invalid.html",
        ctx! { is_partner => true, expired => status == StatusCode::GONE },
    );
    *r.status_mut() = status;
    r
}

async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let r: AppResult<Response> = async {
        let delivery = verify_link(&state.db, &token)?;
        ack_by_link(&state.db, &state.acks, delivery).await?;
        Ok(Redirect::to(&format!("/ack/{token}?done=1")).into_response())
    }
    .await;
    r.unwrap_or_else(|e| link_error(&state, &headers, &e))
}
