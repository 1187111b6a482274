//! Product feedback's pages (policy §3.2.3): R&D's queue with filters, an item with its
//! triage form (state and the answer the partner sees) and merging into a similar item; in the
//! portal "my feedback" (the partner's own items with their state and answer) and the form to
//! submit a customer need or an improvement suggestion.

use super::{Page, PageForm, PageResult, ctx, mark_invalid, render};
use crate::extract::{Pairs, id};
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use liaison_app::feedback::{self as app, FeedbackInput, TriageInput};
use liaison_core::product::{FeedbackKind, FeedbackState};
use liaison_core::{FieldErrors, Permission};
use liaison_db::feedback::FeedbackFilter;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/feedback", get(queue))
        .route("/console/feedback/{id}", get(console_show))
        .route("/console/feedback/{id}/triage", post(triage))
        .route("/console/feedback/{id}/merge", post(merge))
        .route("/portal/feedback", get(mine).post(submit))
        .route("/portal/feedback/{id}", get(portal_show))
}

fn states() -> Vec<&'static str> {
    FeedbackState::ALL.iter().map(|k| k.as_str()).collect()
}

fn kinds() -> Vec<&'static str> {
    FeedbackKind::ALL.iter().map(|k| k.as_str()).collect()
}

async fn queue(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let get = |k: &str| Some(p.text(k)).filter(|v| !v.is_empty());
    let filter = FeedbackFilter {
        state: get("state")
            .map(|v| FeedbackState::parse(&v))
            .transpose()
            .map_err(|m| AppError::invalid("state", m))?,
        kind: get("kind")
            .map(|v| FeedbackKind::parse(&v))
            .transpose()
            .map_err(|m| AppError::invalid("kind", m))?,
        product: get("product").and_then(|v| Uuid::parse_str(&v).ok()),
        include_merged: false,
    };
    let items = app::list(&state.db, &s.actor, &filter, None, 200).await?;
    let products = liaison_app::product::list(&state.db, &s.actor, &Default::default()).await?;
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "feedback/queue.html",
        ctx! {
            nav => "feedback",
            items => items,
            products => products,
            states => states(),
            kinds => kinds(),
            f_state => p.text("state"),
            f_kind => p.text("kind"),
            f_product => p.text("product"),
        },
    ))
}

async fn show_page(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    s: &crate::auth::Session,
    fid: Uuid,
    template: &str,
    errors: Option<&FieldErrors>,
    q: &Pairs,
) -> PageResult {
    let f = app::show(&state.db, &s.actor, fid).await?;
    let link = if s.actor.is_partner() {
        format!("/portal/feedback/{fid}")
    } else {
        format!("/console/feedback/{fid}")
    };
    liaison_app::notify::seen(&state.db, &s.actor, &link).await?;
    let triage = s.actor.can(Permission::TriageFeedback);
    let (merged, similar) = if triage {
        let merged = app::merged(&state.db, &s.actor, fid).await?;
        let similar: Vec<_> = app::list(
            &state.db,
            &s.actor,
            &FeedbackFilter {
                product: Some(f.product_id),
                ..Default::default()
            },
            None,
            200,
        )
        .await?
        .into_iter()
        .filter(|x| x.id != f.id)
        .collect();
        (merged, similar)
    } else {
        (Vec::new(), Vec::new())
    };
    let mut resp = render(
        state,
        headers,
        Some(s),
        template,
        ctx! {
            nav => "feedback",
            f => f,
            merged => merged,
            similar => similar,
            can_triage => triage,
            states => states(),
            errors => super::form_errors(errors),
            saved => q.get("saved").is_some(),
        },
    );
    mark_invalid(&mut resp, errors.is_some());
    Ok(resp)
}

async fn console_show(
    Page(state, headers, s): Page,
    Path(fid): Path<String>,
    q: Pairs,
) -> PageResult {
    show_page(
        &state,
        &headers,
        &s,
        id(&fid)?,
        "feedback/show.html",
        None,
        &q,
    )
    .await
}

async fn portal_show(
    Page(state, headers, s): Page,
    Path(fid): Path<String>,
    q: Pairs,
) -> PageResult {
    show_page(
        &state,
        &headers,
        &s,
        id(&fid)?,
        "portal/feedback_item.html",
        None,
        &q,
    )
    .await
}

async fn triage(
    Path(fid): Path<String>,
    PageForm(state, headers, s, form): PageForm,
) -> PageResult {
    let fid: Uuid = id(&fid)?;
    let input = TriageInput {
        state: Some(form.text("state")),
        answer: Some(form.get("answer").unwrap_or("").to_string()),
    };
    let version = form.get("version").and_then(|v| v.parse().ok());
    match app::triage(&state.db, &s.actor, fid, &input, version).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/feedback/{fid}?saved=1")).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            show_page(
                &state,
                &headers,
                &s,
                fid,
                "feedback/show.html",
                Some(&e),
                &Pairs(Vec::new()),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn merge(Path(fid): Path<String>, PageForm(state, headers, s, form): PageForm) -> PageResult {
    let fid: Uuid = id(&fid)?;
    let Ok(into) = Uuid::parse_str(&form.text("into")) else {
        let e = FieldErrors::single(
            "into",
            liaison_core::validate::Msg::new("validate.required"),
        );
        return show_page(
            &state,
            &headers,
            &s,
            fid,
            "feedback/show.html",
            Some(&e),
            &Pairs(Vec::new()),
        )
        .await;
    };
    match app::merge(&state.db, &s.actor, fid, into).await {
        Ok(t) => Ok(Redirect::to(&format!("/console/feedback/{}?saved=1", t.id)).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            show_page(
                &state,
                &headers,
                &s,
                fid,
                "feedback/show.html",
                Some(&e),
                &Pairs(Vec::new()),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn mine_page(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    s: &crate::auth::Session,
    p: &Pairs,
    form: Option<(&Pairs, &FieldErrors)>,
) -> PageResult {
    let items = app::list(
        &state.db,
        &s.actor,
        &FeedbackFilter {
            include_merged: true,
            ..Default::default()
        },
        None,
        200,
    )
    .await?;
    let products = liaison_app::product::list(&state.db, &s.actor, &Default::default()).await?;
    let value = |k: &str| form.map(|(f, _)| f.text(k)).unwrap_or_default();
    let chosen = match form {
        Some(_) => value("product_id"),
        None => p.text("product"),
    };
    let mut resp = render(
        state,
        headers,
        Some(s),
        "portal/feedback.html",
        ctx! {
            nav => "feedback",
            items => items,
            products => products,
            kinds => kinds(),
            f_product => chosen,
            f_kind => value("kind"),
            f_description => value("description"),
            f_impact => value("customer_impact"),
            errors => super::form_errors(form.map(|(_, e)| e)),
            sent => p.get("sent").is_some(),
        },
    );
    mark_invalid(&mut resp, form.is_some());
    Ok(resp)
}

async fn mine(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    mine_page(&state, &headers, &s, &p, None).await
}

async fn submit(PageForm(state, headers, s, form): PageForm) -> PageResult {
    let input = FeedbackInput {
        product_id: Uuid::parse_str(&form.text("product_id")).ok(),
        kind: Some(form.text("kind")),
        description: Some(form.get("description").unwrap_or("").to_string()),
        customer_impact: Some(form.get("customer_impact").unwrap_or("").to_string()),
    };
    match app::submit(&state.db, &s.actor, &input).await {
        Ok(f) => Ok(Redirect::to(&format!("/portal/feedback/{}?saved=1", f.id)).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            mine_page(&state, &headers, &s, &Pairs(Vec::new()), Some((&form, &e))).await
        }
        Err(e) => Err(e.into()),
    }
}
