//! The partner inbox in the portal (policy §4.3.2, §4.4.1; SPEC B5, B6): the messages sent to
//! the user's own partner, reading one records the read, and confirming is one tap. Another
//! partner's message is simply not found.

use super::PageResult;
use super::ctx;
use super::{Page, PageForm};
use super::{body_html, render};
use crate::AppState;
use crate::extract::Pairs;
use crate::extract::id;
use axum::Router;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use liaison_app::inbox as app;
use minijinja::Value;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/inbox", get(list))
        .route("/portal/inbox/{mid}", get(show))
        .route("/portal/inbox/{mid}/ack", post(ack))
        .route("/portal/inbox/{mid}/reply", post(reply))
}

/// §4.4.1: a question about a message goes to the responsible staff as a thread.
async fn reply(Path(mid): Path<String>, PageForm(state, _, s, form): PageForm) -> PageResult {
    let mid = id(&mid)?;
    let body = form.get("body").unwrap_or("");
    liaison_app::thread::reply_to_message(&state.db, &s.actor, mid, body).await?;
    Ok(Redirect::to(&format!("/portal/inbox/{mid}?replied=1#reply")).into_response())
}

async fn list(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    const LIMIT: i64 = 50;
    let before = p.get("before").and_then(|b| Uuid::parse_str(b).ok());
    let (items, counts) = app::list(&state.db, &s.actor, before, LIMIT).await?;
    let next_before = (items.len() as i64 == LIMIT)
        .then(|| items.last().map(|m| m.message_id))
        .flatten();
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "portal/inbox.html",
        ctx! {
            nav => "inbox",
            items => items,
            next_before => next_before,
            inbox_counts => counts,
            now => state.db.now(),
        },
    ))
}

async fn show(Page(state, headers, s): Page, Path(mid): Path<String>, q: Pairs) -> PageResult {
    let mid = id(&mid)?;
    let m = app::open(&state.db, &s.actor, mid).await?;
    let attachments = app::attachments(&state.db, &s.actor, mid).await?;
    let counts = app::counts(&state.db, &s.actor).await?;
    // The partner's questions on this message and the company's answers (issue 9).
    let threads = liaison_app::thread::on_message(&state.db, &s.actor, mid).await?;
    for t in &threads {
        liaison_app::notify::seen(&state.db, &s.actor, &format!("/portal/questions/{}", t.id))
            .await?;
    }
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "portal/message.html",
        ctx! {
            nav => "inbox",
            m => m.item,
            body_html => Value::from_safe_string(body_html(&m.body)),
            copy_code => m.copy_code,
            attachments => attachments,
            inbox_counts => counts,
            now => state.db.now(),
            replied => q.get("replied").is_some(),
            threads => threads,
        },
    ))
}

/// "Confirm receipt": one form, one tap; after the deadline it is recorded as late.
async fn ack(Path(mid): Path<String>, PageForm(state, _, s, _): PageForm) -> PageResult {
    let mid = id(&mid)?;
    app::acknowledge(&state.db, &state.acks, &s.actor, mid).await?;
    Ok(Redirect::to(&format!("/portal/inbox/{mid}#ack")).into_response())
}
