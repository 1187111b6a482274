//! The NDA register (policy §7.1.2; issue 9): every agreement with how it stands (valid,
//! expiring within 30 days, expired), recording one with its signed document, and the
//! document itself. Admins and channel management record; company users read.

use super::{Page, PageResult, ctx, mark_invalid, render};
use crate::extract::{Pairs, id};
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::{Multipart, Path};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use liaison_app::nda as app;
use liaison_core::Permission;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/ndas", get(list).post(create))
        .route("/console/ndas/{id}/document", get(document))
}

/// A `datetime-local` or date value read as a day in the company's zone (00:00 there).
fn day(v: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let v = v.trim();
    let date = chrono::NaiveDate::parse_from_str(v.get(..10).unwrap_or(v), "%Y-%m-%d").ok()?;
    date.and_hms_opt(0, 0, 0)?
        .and_local_timezone(liaison_core::calendar::COMPANY_ZONE)
        .single()
        .map(|t| t.with_timezone(&chrono::Utc))
}

async fn page(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    s: &crate::auth::Session,
    p: &Pairs,
    form: Option<(&[(String, String)], &liaison_core::FieldErrors)>,
) -> PageResult {
    let partner = p.get("partner").filter(|v| !v.is_empty());
    let items = app::list(&state.db, &s.actor, partner).await?;
    let now = state.db.now();
    let rows: Vec<_> = items
        .iter()
        .map(|n| ctx! { n => n, standing => app::standing(n, now) })
        .collect();
    let expiring = items
        .iter()
        .filter(|n| app::standing(n, now) == "expiring")
        .count();
    let value = |k: &str| {
        form.and_then(|(f, _)| f.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()))
            .unwrap_or_default()
    };
    let mut resp = render(
        state,
        headers,
        Some(s),
        "partner/ndas.html",
        ctx! {
            nav => "ndas",
            rows => rows,
            expiring => expiring,
            partner_filter => partner.unwrap_or(""),
            can_write => s.actor.can(Permission::WritePartners),
            f_partner => value("partner"),
            f_signed => value("signed_at"),
            f_expires => value("expires_at"),
            errors => super::form_errors(form.map(|(_, e)| e)),
            saved => p.get("saved").is_some(),
        },
    );
    mark_invalid(&mut resp, form.is_some());
    Ok(resp)
}

async fn list(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    s.require(Permission::ReadPartners)?;
    page(&state, &headers, &s, &p, None).await
}

/// Records an agreement and files its signed document (one multipart form, CSRF checked).
async fn create(Page(state, headers, s): Page, mut mp: Multipart) -> PageResult {
    let mut fields: Vec<(String, String)> = Vec::new();
    let (mut file, mut name) = (Vec::new(), String::new());
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("the upload could not be read: {e}")))?
    {
        let key = field.name().unwrap_or("").to_string();
        if key == "file" {
            name = field.file_name().unwrap_or("").to_string();
            file = field
                .bytes()
                .await
                .map_err(|e| AppError::BadRequest(format!("the upload could not be read: {e}")))?
                .to_vec();
        } else {
            fields.push((key, field.text().await.unwrap_or_default()));
        }
    }
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    s.check_csrf(get("_csrf"))?;
    let mut errors = liaison_core::FieldErrors::new();
    let signed = day(get("signed_at"));
    let expires = day(get("expires_at"));
    if signed.is_none() {
        errors.add(
            "signed_at",
            liaison_core::validate::Msg::new("validate.required"),
        );
    }
    if expires.is_none() {
        errors.add(
            "expires_at",
            liaison_core::validate::Msg::new("validate.required"),
        );
    }
    let input = liaison_db::nda::NdaInput {
        partner: Some(get("partner").trim().to_string()),
        signed_at: signed,
        expires_at: expires,
        document: (!name.is_empty()).then(|| name.clone()),
        ..Default::default()
    };
    let result = if errors.is_empty() {
        app::record(&state.db, &s.actor, &input).await
    } else {
        Err(liaison_app::Error::Invalid(errors))
    };
    let nda = match result {
        Ok(n) => n,
        Err(liaison_app::Error::Invalid(e)) => {
            return page(
                &state,
                &headers,
                &s,
                &Pairs(Vec::new()),
                Some((&fields, &e)),
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    if !file.is_empty()
        && let Err(e) = app::attach_document(&state.db, &s.actor, nda.id, &name, &file).await
    {
        return match e {
            liaison_app::Error::Invalid(e) => {
                page(
                    &state,
                    &headers,
                    &s,
                    &Pairs(Vec::new()),
                    Some((&fields, &e)),
                )
                .await
            }
            e => Err(e.into()),
        };
    }
    Ok(Redirect::to("/console/ndas?saved=1").into_response())
}

async fn document(Page(state, _, s): Page, Path(nid): Path<String>) -> PageResult {
    let (name, ct, bytes) = app::document(&state.db, &s.actor, id(&nid)?).await?;
    Ok(crate::respond::named_file(&name, &ct, bytes))
}
