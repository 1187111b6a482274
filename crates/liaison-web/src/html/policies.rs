//! The policy library's pages (issue 11; policy §3.1). Console: the library, a policy with its
//! versions, what each changed and a form for the next one, and the acknowledgement matrix.
//! Portal: "Policies in force" and "Coming into force" with the partner's acknowledgement,
//! a version with what it changed, one tap to acknowledge, and the version in force on a date.

use super::PageResult;
use super::ctx;
use super::{Page, PageForm};
use super::{body_html, form_errors, mark_invalid, render};
use crate::AppState;
use crate::auth::Session;
use crate::extract::{Pairs, id};
use axum::Router;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::{NaiveDate, TimeZone};
use liaison_app::policies as app;
use liaison_core::FieldErrors;
use liaison_core::access::ItemKind;
use liaison_core::diff::{Op, Paragraph};
use liaison_core::policies::{PolicyInput, PolicyKind, VersionInput, VersionState};
use liaison_core::request::Audience;
use minijinja::Value;
use std::collections::HashMap;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/policies", get(library).post(create_policy))
        .route("/console/policies/{id}", get(policy_page))
        .route("/console/policies/{id}/versions", post(create_version))
        .route("/console/policies/{id}/acknowledgements", get(matrix_page))
        .route(
            "/console/policies/{id}/versions/{n}/faqs",
            post(publish_faq),
        )
        .route("/portal/policies", get(portal_library))
        .route("/portal/policies/{id}", get(portal_policy))
        .route("/portal/policies/{id}/versions/{n}/ack", post(portal_ack))
}

/// A diff as HTML: kept paragraphs plain, added ones in `<ins>`, removed in `<del>`, and
/// inside a changed one each changed word marked. Escaped here; the template shows it as is.
fn diff_html(paragraphs: &[Paragraph]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\n', "<br>")
    };
    let mut out = String::new();
    for p in paragraphs {
        let class = match p.op {
            Op::Equal => "diff-same",
            Op::Insert => "diff-added",
            Op::Delete => "diff-removed",
            Op::Change => "diff-changed",
        };
        out.push_str(&format!("<p class=\"{class}\">"));
        for s in &p.spans {
            match s.op {
                Op::Insert => out.push_str(&format!("<ins>{}</ins>", esc(&s.text))),
                Op::Delete => out.push_str(&format!("<del>{}</del>", esc(&s.text))),
                _ => out.push_str(&esc(&s.text)),
            }
        }
        out.push_str("</p>");
    }
    out
}

async fn library(Page(state, headers, s): Page) -> PageResult {
    library_page(&state, &headers, &s, None, None).await
}

async fn library_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    input: Option<&HashMap<String, String>>,
    errors: Option<&FieldErrors>,
) -> PageResult {
    let policies = app::list(&state.db, &s.actor, None).await?;
    let departments = liaison_app::user::departments(&state.db, &s.actor).await?;
    let mut r = render(
        state,
        headers,
        Some(s),
        "policy/list.html",
        ctx! {
            nav => "policies",
            policies => policies,
            kinds => PolicyKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            departments => departments,
            form => input,
            errors => form_errors(errors),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

/// Partner codes typed in a form (spaces, commas, 、), resolved to ids.
async fn partner_ids(state: &AppState, text: &str) -> Result<Vec<Uuid>, FieldErrors> {
    let mut ids = Vec::new();
    let mut e = FieldErrors::new();
    for code in text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '、' || c == '，')
        .filter(|c| !c.is_empty())
    {
        match liaison_db::partner::resolve_partner_ref(&state.db, code).await {
            Ok(Some(id)) => ids.push(id),
            _ => e.add(
                "partners",
                liaison_core::validate::Msg::new("validate.no_partner").arg("value", code),
            ),
        }
    }
    if e.is_empty() { Ok(ids) } else { Err(e) }
}

async fn create_policy(PageForm(state, headers, s, p): PageForm) -> PageResult {
    let map: HashMap<String, String> = p.0.iter().cloned().collect();
    let partners = match partner_ids(&state, &p.text("partners")).await {
        Ok(ids) => ids,
        Err(e) => return library_page(&state, &headers, &s, Some(&map), Some(&e)).await,
    };
    let input = PolicyInput {
        kind: p.get("kind").map(str::to_string),
        title: p.get("title").map(str::to_string),
        title_en: p.get("title_en").map(str::to_string),
        owner_department_id: p
            .get("owner_department_id")
            .and_then(|d| Uuid::parse_str(d).ok()),
        audience: Some(Audience {
            all: p.get("audience") == Some("all"),
            partners,
            ..Default::default()
        }),
    };
    match app::create(&state.db, &s.actor, &input).await {
        Ok(policy) => Ok(Redirect::to(&format!("/console/policies/{}", policy.id)).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            library_page(&state, &headers, &s, Some(&map), Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn policy_page(
    Page(state, headers, s): Page,
    Path(pid): Path<String>,
    q: Pairs,
) -> PageResult {
    show_policy(&state, &headers, &s, id(&pid)?, &q, None, None).await
}

#[allow(clippy::too_many_arguments)]
async fn show_policy(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    pid: Uuid,
    q: &Pairs,
    input: Option<&HashMap<String, String>>,
    errors: Option<&FieldErrors>,
) -> PageResult {
    let view = app::get(&state.db, &s.actor, pid).await?;
    // The version shown: `?v=n`, else the newest.
    let shown = q
        .get("v")
        .and_then(|v| v.parse::<i64>().ok())
        .or_else(|| view.versions.last().map(|v| v.n));
    let version = view.versions.iter().find(|v| Some(v.n) == shown).cloned();
    let diff = match &version {
        Some(v) if v.n > 1 && !v.restricted => {
            match app::diff(&state.db, &s.actor, pid, v.n, None).await {
                Ok(d) => Some(d),
                // The version before is one the reader sees the title of only (§7.2.2).
                Err(liaison_app::Error::Forbidden) => None,
                Err(e) => return Err(e.into()),
            }
        }
        _ => None,
    };
    // §7.2.2: a title-only reader may ask; the author keeps the version's access list.
    let access = match &version {
        Some(v) if v.classification.needs_nda() => {
            liaison_app::access::panel(&state.db, &s.actor, ItemKind::PolicyVersion, v.id).await?
        }
        _ => None,
    };
    let notice = app::notice_days(&state.db, view.policy.kind).await?;
    let mut r = render(
        state,
        headers,
        Some(s),
        "policy/show.html",
        ctx! {
            nav => "policies",
            p => view,
            version => version,
            body_html => version.as_ref().map(|v| Value::from_safe_string(body_html(&v.body))),
            diff_html => diff.as_ref().map(|d| Value::from_safe_string(diff_html(&d.paragraphs))),
            diff => diff,
            notice_days => notice,
            form => input,
            errors => form_errors(errors),
            access => access,
            asked => q.get("asked").is_some(),
            access_saved => q.get("access_saved").is_some(),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

/// A date typed as YYYY-MM-DD, read as the start of that day in the company's zone.
fn day_start(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let d = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    let zone = liaison_core::calendar::COMPANY_ZONE;
    zone.from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
}

async fn create_version(
    Path(pid): Path<String>,
    PageForm(state, headers, s, p): PageForm,
) -> PageResult {
    let pid = id(&pid)?;
    let map: HashMap<String, String> = p.0.iter().cloned().collect();
    let mut e = FieldErrors::new();
    let effective_at = match p
        .get("effective_at")
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        None => None,
        Some(v) => match day_start(v) {
            Some(t) => Some(t),
            None => {
                e.add(
                    "effective_at",
                    liaison_core::validate::Msg::new("validate.date").arg("value", v),
                );
                None
            }
        },
    };
    let input = VersionInput {
        body: p.get("body").map(str::to_string),
        effective_at,
        change_reason: p.get("change_reason").map(str::to_string),
        impact: p.get("impact").map(str::to_string),
        important: Some(p.get("important").is_some()),
        ack_due_at: None,
        classification: p.get("classification").map(str::to_string),
    };
    let result = if e.is_empty() {
        app::create_version(&state.db, &s.actor, pid, &input).await
    } else {
        Err(liaison_app::Error::Invalid(e))
    };
    match result {
        Ok(v) => match v.request_id {
            // The author goes on to the announcement request to check and submit it.
            Some(rid) => Ok(Redirect::to(&format!("/console/requests/{rid}")).into_response()),
            None => Ok(Redirect::to(&format!("/console/policies/{pid}?v={}", v.n)).into_response()),
        },
        Err(liaison_app::Error::Invalid(e)) => {
            show_policy(
                &state,
                &headers,
                &s,
                pid,
                &Pairs(Vec::new()),
                Some(&map),
                Some(&e),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// §3.1.1: an answer published on a version for its whole audience.
async fn publish_faq(
    Path((pid, n)): Path<(String, String)>,
    PageForm(state, headers, s, p): PageForm,
) -> PageResult {
    let pid = id(&pid)?;
    let n: i64 = n.parse().map_err(|_| crate::AppError::NotFound)?;
    match app::publish_faq(
        &state.db,
        &s.actor,
        pid,
        n,
        p.get("question").unwrap_or(""),
        p.get("answer").unwrap_or(""),
        None,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/console/policies/{pid}?v={n}#faqs")).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            let map: HashMap<String, String> = p.0.iter().cloned().collect();
            let q = Pairs(vec![("v".into(), n.to_string())]);
            show_policy(&state, &headers, &s, pid, &q, Some(&map), Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn matrix_page(
    Page(state, headers, s): Page,
    Path(pid): Path<String>,
    q: Pairs,
) -> PageResult {
    let pid = id(&pid)?;
    let view = app::get(&state.db, &s.actor, pid).await?;
    let m = app::matrix(&state.db, &s.actor, pid, q.get("after"), 50).await?;
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "policy/matrix.html",
        ctx! {
            nav => "policies",
            p => view,
            m => m,
        },
    ))
}

async fn portal_library(Page(state, headers, s): Page) -> PageResult {
    let policies = app::list(&state.db, &s.actor, None).await?;
    // In force now (with the version's acknowledgement), and announced but not yet in force.
    let in_force: Vec<_> = policies
        .iter()
        .filter_map(|p| {
            let v = p.versions.iter().find(|v| Some(v.n) == p.in_force)?;
            Some(ctx! { p => p.policy, v => v })
        })
        .collect();
    let coming: Vec<_> = policies
        .iter()
        .flat_map(|p| {
            p.versions
                .iter()
                .filter(|v| v.state == VersionState::Scheduled)
                .map(move |v| ctx! { p => p.policy, v => v })
        })
        .collect();
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "policy/portal_list.html",
        ctx! {
            nav => "policies",
            in_force => in_force,
            coming => coming,
        },
    ))
}

async fn portal_policy(
    Page(state, headers, s): Page,
    Path(pid): Path<String>,
    q: Pairs,
) -> PageResult {
    let pid = id(&pid)?;
    let view = app::get(&state.db, &s.actor, pid).await?;
    // `?at=YYYY-MM-DD`: the version in force that day; `?v=n`: that version; else the one in
    // force now, or the newest sent.
    let at = q.get("at").filter(|a| !a.trim().is_empty());
    let at_version = match at.and_then(day_start) {
        Some(t) => view
            .in_force_on(t + chrono::Duration::days(1) - chrono::Duration::seconds(1))
            .map(|v| v.n)
            .or(Some(0)),
        None => None,
    };
    let shown = at_version
        .or_else(|| q.get("v").and_then(|v| v.parse::<i64>().ok()))
        .or(view.in_force)
        .or_else(|| view.versions.last().map(|v| v.n));
    let version = view.versions.iter().find(|v| Some(v.n) == shown).cloned();
    let diff = match &version {
        Some(v) if view.versions.iter().any(|o| o.n == v.n - 1) => {
            Some(app::diff(&state.db, &s.actor, pid, v.n, None).await?)
        }
        _ => None,
    };
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "policy/portal_show.html",
        ctx! {
            nav => "policies",
            p => view,
            version => version,
            body_html => version.as_ref().map(|v| Value::from_safe_string(body_html(&v.body))),
            diff_html => diff.as_ref().map(|d| Value::from_safe_string(diff_html(&d.paragraphs))),
            diff => diff,
            at => at,
            none_on_date => at_version == Some(0),
            now => state.db.now(),
        },
    ))
}

/// §3.1.1: one tap acknowledges the version (its message's confirmation in the ledger).
async fn portal_ack(
    Path((pid, n)): Path<(String, String)>,
    PageForm(state, _, s, _): PageForm,
) -> PageResult {
    let pid = id(&pid)?;
    let n: i64 = n.parse().map_err(|_| crate::AppError::NotFound)?;
    let v = app::version(&state.db, &s.actor, pid, n).await?;
    let Some(message) = v.message_id else {
        return Err(crate::AppError::NotFound.into());
    };
    liaison_app::inbox::acknowledge(&state.db, &state.acks, &s.actor, message.into()).await?;
    Ok(Redirect::to(&format!("/portal/policies/{pid}?v={n}#ack")).into_response())
}
