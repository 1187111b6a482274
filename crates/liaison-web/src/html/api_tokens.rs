//! API tokens' pages (SPEC H2): in the console on the partner's page and its own page (channel
//! management, admins), in the portal under "API access" (the partner admin). A new token is
//! shown once, with a copy button; lists never show it. The service layer decides who may.

use super::{Page, PageForm, PageResult, ctx, form_errors, mark_invalid, render, viewer_zone};
use crate::AppState;
use crate::auth::Session;
use crate::extract::{Pairs, id};
use axum::Router;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::{Duration, NaiveDate, TimeZone};
use liaison_app::api_token::{self as app, TokenInput, TokenView};
use liaison_core::FieldErrors;
use liaison_core::api_token::{DEFAULT_DAYS, TokenScope};
use liaison_core::validate::Msg;
use liaison_db::partner::Partner;
use serde::Serialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console/partners/{id}/api-tokens",
            get(console_page).post(console_create),
        )
        .route(
            "/console/partners/{id}/api-tokens/{tid}/revoke",
            post(console_revoke),
        )
        .route("/portal/api-tokens", get(portal_page).post(portal_create))
        .route("/portal/api-tokens/{tid}/revoke", post(portal_revoke))
}

/// The token form as typed, shown again with its errors.
#[derive(Debug, Default, Serialize)]
pub(super) struct TokenForm {
    name: String,
    scopes: Vec<String>,
    /// The last day it works (YYYY-MM-DD, the viewer's zone).
    expires_on: String,
}

pub(super) fn scope_names() -> Vec<&'static str> {
    TokenScope::ALL.iter().map(|s| s.as_str()).collect()
}

/// An empty form: a year from today.
pub(super) fn blank_form(state: &AppState, s: &Session) -> TokenForm {
    let zone = viewer_zone(state, Some(&s.user));
    let last_day = (state.db.now() + Duration::days(DEFAULT_DAYS))
        .with_timezone(&zone)
        .date_naive();
    TokenForm {
        expires_on: last_day.format("%Y-%m-%d").to_string(),
        ..Default::default()
    }
}

/// The console's partner page lists its tokens for those who manage them (channel management,
/// admins); `None` for everyone else.
pub(super) async fn for_partner_page(
    state: &AppState,
    s: &Session,
    partner: Uuid,
) -> Result<Option<Vec<TokenView>>, crate::AppError> {
    if s.actor.is_partner() || !s.actor.can(liaison_core::Permission::ManageApiTokens) {
        return Ok(None);
    }
    Ok(Some(
        app::list(&state.db, &s.actor, Some(partner), None, 200).await?,
    ))
}

/// The last day typed, as the instant it ends (the next midnight in the viewer's zone).
fn expiry_of(state: &AppState, s: &Session, day: &str) -> Result<Option<String>, Msg> {
    if day.is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|_| Msg::new("validate.date").arg("value", day))?;
    let zone = viewer_zone(state, Some(&s.user));
    let next = d
        .succ_opt()
        .and_then(|n| n.and_hms_opt(0, 0, 0))
        .and_then(|n| zone.from_local_datetime(&n).earliest())
        .ok_or_else(|| Msg::new("validate.date").arg("value", day))?;
    Ok(Some(next.with_timezone(&chrono::Utc).to_rfc3339()))
}

async fn token_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    partner: &Partner,
    form: TokenForm,
    errors: Option<&FieldErrors>,
) -> PageResult {
    let tokens = app::list(&state.db, &s.actor, Some(partner.id), None, 200).await?;
    let base = if s.actor.is_partner() {
        "/portal/api-tokens".to_string()
    } else {
        format!("/console/partners/{}/api-tokens", partner.id)
    };
    let mut r = render(
        state,
        headers,
        Some(s),
        "api_token/page.html",
        ctx! {
            nav => if s.actor.is_partner() { "api_tokens" } else { "partners" },
            partner => partner,
            tokens => tokens,
            token_base => base,
            token_scopes => scope_names(),
            token_form => form,
            token_errors => form_errors(errors),
            api_base => crate::respond::public_base(state, headers),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

async fn create_for(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    partner: &Partner,
    p: &Pairs,
    back: String,
) -> PageResult {
    let typed = TokenForm {
        name: p.text("name"),
        scopes: p.all("scopes"),
        expires_on: p.text("expires_on"),
    };
    let expires_at = match expiry_of(state, s, &typed.expires_on) {
        Ok(e) => e,
        Err(m) => {
            let e = FieldErrors::single("expires_at", m);
            return token_page(state, headers, s, partner, typed, Some(&e)).await;
        }
    };
    let input = TokenInput {
        partner_id: Some(partner.id),
        name: Some(typed.name.clone()),
        scopes: Some(typed.scopes.clone()),
        expires_at,
    };
    match app::create(&state.db, &s.actor, &input).await {
        Ok(created) => Ok(render(
            state,
            headers,
            Some(s),
            "api_token/created.html",
            ctx! {
                nav => if s.actor.is_partner() { "api_tokens" } else { "partners" },
                created => created,
                back => back,
            },
        )),
        Err(liaison_app::Error::Invalid(e)) => {
            token_page(state, headers, s, partner, typed, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A token of `partner`, else not found (a token id under another partner's path).
async fn revoke_for(
    state: &AppState,
    s: &Session,
    partner: Uuid,
    tid: &str,
) -> Result<(), super::PageError> {
    let tid: Uuid = id(tid)?;
    let t = app::show(&state.db, &s.actor, tid).await?;
    if t.token.partner_id != partner {
        return Err(crate::AppError::NotFound.into());
    }
    app::revoke(&state.db, &s.actor, tid).await?;
    Ok(())
}

async fn console_partner(
    state: &AppState,
    s: &Session,
    pid: &str,
) -> Result<Partner, crate::AppError> {
    Ok(liaison_db::partner::find_partner(&state.db, s.actor.scope(), id(pid)?).await?)
}

async fn console_page(Path(pid): Path<String>, Page(state, headers, s): Page) -> PageResult {
    let partner = console_partner(&state, &s, &pid).await?;
    let form = blank_form(&state, &s);
    token_page(&state, &headers, &s, &partner, form, None).await
}

async fn console_create(
    Path(pid): Path<String>,
    PageForm(state, headers, s, p): PageForm,
) -> PageResult {
    let partner = console_partner(&state, &s, &pid).await?;
    let back = format!("/console/partners/{}#api-tokens", partner.id);
    create_for(&state, &headers, &s, &partner, &p, back).await
}

async fn console_revoke(
    Path((pid, tid)): Path<(String, String)>,
    PageForm(state, _, s, _): PageForm,
) -> PageResult {
    let partner = console_partner(&state, &s, &pid).await?;
    revoke_for(&state, &s, partner.id, &tid).await?;
    Ok(Redirect::to(&format!("/console/partners/{}#api-tokens", partner.id)).into_response())
}

async fn portal_partner(state: &AppState, s: &Session) -> Result<Partner, crate::AppError> {
    let pid = s.actor.scope().partner().ok_or(crate::AppError::NotFound)?;
    Ok(liaison_db::partner::find_partner(&state.db, s.actor.scope(), pid).await?)
}

async fn portal_page(Page(state, headers, s): Page) -> PageResult {
    let partner = portal_partner(&state, &s).await?;
    let form = blank_form(&state, &s);
    token_page(&state, &headers, &s, &partner, form, None).await
}

async fn portal_create(PageForm(state, headers, s, p): PageForm) -> PageResult {
    let partner = portal_partner(&state, &s).await?;
    create_for(
        &state,
        &headers,
        &s,
        &partner,
        &p,
        "/portal/api-tokens".into(),
    )
    .await
}

async fn portal_revoke(Path(tid): Path<String>, PageForm(state, _, s, _): PageForm) -> PageResult {
    let partner = portal_partner(&state, &s).await?;
    revoke_for(&state, &s, partner.id, &tid).await?;
    Ok(Redirect::to("/portal/api-tokens").into_response())
}
