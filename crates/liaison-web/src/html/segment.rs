//! The segments page (SPEC A4): saved audience filters, their member counts, create and delete.

use super::PageResult;
use super::ctx;
use super::{Page, PageForm};
use super::{form_errors, mark_invalid, render};
use crate::AppState;
use crate::auth::Session;
use axum::Router;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use liaison_core::partner::PartnerKind;
use liaison_core::{FieldErrors, Permission};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/segments", get(segments).post(create_segment))
        .route(
            "/console/segments/{id}/delete",
            axum::routing::post(delete_segment),
        )
}

async fn delete_segment(Path(id): Path<String>, PageForm(state, _, s, _): PageForm) -> PageResult {
    liaison_app::segment::delete(&state.db, &s.actor, crate::extract::id(&id)?).await?;
    Ok(Redirect::to("/console/segments").into_response())
}

async fn segments(Page(state, headers, s): Page) -> PageResult {
    segments_page(&state, &headers, &s, None, None).await
}

async fn segments_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    input: Option<&HashMap<String, String>>,
    errors: Option<&FieldErrors>,
) -> PageResult {
    let rows: Vec<_> = liaison_app::segment::list_with_members(&state.db, &s.actor)
        .await?
        .into_iter()
        .map(|(seg, n)| ctx! { segment => seg, members => n })
        .collect();
    let mut r = render(
        state,
        headers,
        Some(s),
        "segment/list.html",
        ctx! {
            nav => "segments",
            segments => rows,
            kinds => PartnerKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            can_write_segments => s.actor.can(Permission::WriteSegments),
            form => input,
            errors => form_errors(errors),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

async fn create_segment(PageForm(state, headers, s, p): PageForm) -> PageResult {
    let filter = crate::extract::partner_filter(&state, &p, s.actor.is_partner()).await?;
    let input = liaison_db::segment::SegmentInput {
        name: p.get("name").map(str::to_string),
        description: p.get("description").map(str::to_string),
        filter: Some(filter),
    };
    match liaison_app::segment::create(&state.db, &s.actor, &input).await {
        Ok(_) => Ok(Redirect::to("/console/segments").into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            let map: HashMap<String, String> = p.0.iter().cloned().collect();
            segments_page(&state, &headers, &s, Some(&map), Some(&e)).await
        }
        Err(liaison_app::Error::Conflict(m)) => {
            let map: HashMap<String, String> = p.0.iter().cloned().collect();
            segments_page(
                &state,
                &headers,
                &s,
                Some(&map),
                Some(&FieldErrors::single("name", m)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
