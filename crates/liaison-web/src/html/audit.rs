//! The audit log page (policy §7.2.1; admins): every change and every read of classified content.

use super::Page;
use super::PageResult;
use super::ctx;
use super::render;
use crate::AppState;
use crate::extract::Pairs;
use axum::Router;
use axum::routing::get;
use liaison_core::Permission;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/audit", get(audit))
}

async fn audit(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    s.require(Permission::ReadAudit)?;
    let before = p.get("before").and_then(|b| b.parse::<i64>().ok());
    let rows = liaison_db::audit::list(&state.db, None, before, 100).await?;
    // Verifying walks the whole chain: on request only.
    let verdict = if p.get("verify").is_some() {
        Some(liaison_db::audit::verify(&state.db).await?)
    } else {
        None
    };
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "audit/list.html",
        ctx! {
            nav => "audit",
            rows => rows.clone(),
            next_before => (rows.len() == 100).then(|| rows.last().map(|r| r.seq)).flatten(),
            verdict => verdict,
        },
    ))
}
