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
    Router::new()
        .route("/ack/{token}", get(show).post(confirm))
        .route("/rate/{token}", get(rate_page).post(rate))
}

/// The one-click page to confirm a resolved ticket and rate it (§3.4.2, §6.1.3), opened from
/// the e-mail: the resolution, five stars and a comment, no password. The link is signed for
/// this ticket only and lasts through the confirmation window.
async fn rate_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    q: crate::extract::Pairs,
) -> Response {
    rate_view(&state, &headers, &token, &q, None).await
}

async fn rate_view(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    q: &crate::extract::Pairs,
    errors: Option<&liaison_core::FieldErrors>,
) -> Response {
    let r: AppResult<Response> = async {
        let (t, _) = liaison_app::tickets::by_link(&state.db, token).await?;
        let open = !t.classification.needs_nda();
        let resolution_html = Value::from_safe_string(if open {
            body_html(t.resolution.as_deref().unwrap_or(""))
        } else {
            String::new()
        });
        let score = q
            .get("score")
            .and_then(|s| s.parse::<i64>().ok())
            .filter(|s| (1..=5).contains(s))
            .unwrap_or(0);
        let mut resp = render(
            state,
            headers,
            None,
            "portal/rate.html",
            ctx! {
                is_partner => true,
                ticket => t,
                open => open,
                resolution_html => resolution_html,
                token => token,
                score => score,
                done => q.get("done").is_some(),
                errors => super::form_errors(errors),
            },
        );
        super::mark_invalid(&mut resp, errors.is_some());
        Ok(resp)
    }
    .await;
    r.unwrap_or_else(|e| link_error(state, headers, &e))
}

#[derive(serde::Deserialize)]
struct RateForm {
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
}

async fn rate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    axum::Form(form): axum::Form<RateForm>,
) -> Response {
    let input = liaison_app::tickets::RateInput {
        score: form.score.trim().parse::<i64>().ok().or(Some(0)),
        comment: Some(form.comment),
    };
    match liaison_app::tickets::rate_by_link(&state.db, &token, &input).await {
        Ok(_) => Redirect::to(&format!("/rate/{token}?done=1")).into_response(),
        Err(liaison_app::Error::Invalid(e)) => {
            let q = crate::extract::Pairs(Vec::new());
            rate_view(&state, &headers, &token, &q, Some(&e)).await
        }
        Err(e) => link_error(&state, &headers, &AppError::from(e)),
    }
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    q: crate::extract::Pairs,
) -> Response {
    let r: AppResult<Response> = async {
        let delivery = verify_link(&state.db, &token).await?;
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
        let delivery = verify_link(&state.db, &token).await?;
        ack_by_link(&state.db, &state.acks, delivery).await?;
        Ok(Redirect::to(&format!("/ack/{token}?done=1")).into_response())
    }
    .await;
    r.unwrap_or_else(|e| link_error(&state, &headers, &e))
}
