//! The console's search page (SPEC B10): one box for partners, contacts, messages and threads,
//! ranked hits with their matches marked. What the user may search is decided by
//! `liaison_core::search::searchable`, as for the API.

use super::{Page, PageResult, ctx, render};
use crate::extract::Pairs;
use crate::{AppError, AppState};
use axum::Router;
use axum::routing::get;
use liaison_core::search::segments;
use liaison_db::search::{Hit, Kind};
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/search", get(list))
}

/// A hit as the template shows it: title and snippet as (text, is_match) runs, which the
/// template wraps in `<mark>` with everything escaped.
#[derive(Serialize)]
struct HitView {
    kind: Kind,
    /// Where the hit leads: `/console/{section}/{target}` (built in the template, whose
    /// escaping would mangle a whole path).
    section: &'static str,
    target: Option<uuid::Uuid>,
    title: Vec<(String, bool)>,
    snippet: Vec<(String, bool)>,
    at: chrono::DateTime<chrono::Utc>,
}

fn view(h: &Hit, request: Option<uuid::Uuid>) -> HitView {
    let (section, target) = match h.kind {
        Kind::Partner => ("partners", Some(h.id)),
        Kind::Contact => ("partners", h.partner_id),
        Kind::Thread => ("threads", Some(h.id)),
        Kind::Message => ("requests", request),
        Kind::Product => ("products", Some(h.id)),
        Kind::Ticket => ("tickets", Some(h.id)),
        Kind::Meeting => ("meetings", Some(h.id)),
        Kind::Visit => ("visits", Some(h.id)),
        Kind::Call => ("calls", Some(h.id)),
    };
    HitView {
        kind: h.kind,
        section,
        target,
        title: segments(&h.title, &h.title_highlights),
        snippet: segments(&h.snippet, &h.snippet_highlights),
        at: h.at,
    }
}

async fn list(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let q: String = p.get("q").unwrap_or("").trim().chars().take(100).collect();
    let hits = if q.is_empty() {
        // An empty box shows the page; whether the user may search at all is still checked.
        liaison_core::search::searchable(&s.actor).ok_or(AppError::Forbidden)?;
        Vec::new()
    } else {
        liaison_app::search::search(&state.db, &s.actor, &q, 50).await?
    };
    let requests = liaison_app::search::requests_of(&state.db, &hits).await?;
    let hits: Vec<HitView> = hits
        .iter()
        .map(|h| view(h, requests.get(&h.id).copied()))
        .collect();
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "search/list.html",
        ctx! { nav => "search", q => q, hits => hits },
    ))
}
