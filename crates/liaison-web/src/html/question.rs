//! "我的提问" in the portal (policy §4.1.2, §4.4.1, §4.4.2; issue 9): a partner user's
//! questions, open and answered, with the answers; a new question not tied to a message; each
//! question linked to the message it is about, and back.

use super::{Page, PageForm, PageResult, ctx, mark_invalid, render};
use crate::extract::{Pairs, id};
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use liaison_app::thread as app;
use liaison_db::thread::ThreadView;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/questions", get(list).post(create))
        .route("/portal/questions/{id}", get(show))
        .route("/portal/questions/{id}/reply", post(reply))
}

async fn list_page(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    s: &crate::auth::Session,
    form: Option<(&Pairs, &liaison_core::FieldErrors)>,
) -> PageResult {
    let items = app::list(&state.db, &s.actor, None, ThreadView::All, None, 200).await?;
    let (open, done): (Vec<_>, Vec<_>) = items
        .into_iter()
        .partition(|t| t.state == liaison_db::thread::ThreadState::Open);
    let mut resp = render(
        state,
        headers,
        Some(s),
        "portal/questions.html",
        ctx! {
            nav => "questions",
            open => open,
            done => done,
            subject => form.map(|(p, _)| p.text("subject")),
            body => form.map(|(p, _)| p.text("body")),
            category => form.map(|(p, _)| p.text("category")),
            errors => super::form_errors(form.map(|(_, e)| e)),
            categories => liaison_core::review::Category::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        },
    );
    mark_invalid(&mut resp, form.is_some());
    Ok(resp)
}

async fn list(Page(state, headers, s): Page) -> PageResult {
    list_page(&state, &headers, &s, None).await
}

/// A new question to the company, not about a message: it lands with the partner's channel
/// manager, who is told (issue 9).
async fn create(PageForm(state, headers, s, form): PageForm) -> PageResult {
    match app::open(
        &state.db,
        &s.actor,
        &form.text("subject"),
        form.get("body").unwrap_or(""),
        &form.text("category"),
    )
    .await
    {
        Ok(t) => Ok(Redirect::to(&format!("/portal/questions/{}?asked=1", t.id)).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            list_page(&state, &headers, &s, Some((&form, &e))).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn show(Page(state, headers, s): Page, Path(tid): Path<String>, q: Pairs) -> PageResult {
    let t = app::show(&state.db, &s.actor, id(&tid)?).await?;
    liaison_app::notify::seen(&state.db, &s.actor, &format!("/portal/questions/{}", t.id)).await?;
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "portal/question.html",
        ctx! { nav => "questions", thread => t, asked => q.get("asked").is_some(), replied => q.get("replied").is_some() },
    ))
}

async fn reply(Path(tid): Path<String>, PageForm(state, _, s, form): PageForm) -> PageResult {
    let tid = id(&tid)?;
    let body = form.get("body").unwrap_or("");
    if body.trim().is_empty() {
        return Err(AppError::invalid(
            "body",
            liaison_core::validate::Msg::new("validate.required"),
        )
        .into());
    }
    app::reply(&state.db, &s.actor, tid, body).await?;
    Ok(Redirect::to(&format!("/portal/questions/{tid}?replied=1#posts")).into_response())
}
