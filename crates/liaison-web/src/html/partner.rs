//! The partner registry's pages (SPEC A1, A2, A5): list, filter, search, page, export, create,
//! edit, one partner with its contacts, robots and history, and import.

use super::PageResult;
use super::ctx;
use super::{Page, PageForm};
use super::{form_errors, mark_invalid, render};
use crate::auth::Session;
use crate::extract::Pairs;
use crate::{AppError, AppResult, AppState};
use axum::Router;
use axum::extract::{Multipart, Path};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use liaison_app::import;
use liaison_app::partner as app;
use liaison_core::partner::{ContactInput, PartnerInput, PartnerKind, PartnerStatus};
use liaison_core::{FieldErrors, Permission};
use liaison_db::partner::{self as repo, PartnerSort};
use minijinja::Value;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::to("/console/partners") }),
        )
        .route("/console/partners", get(list).post(create))
        .route("/console/partners/new", get(new_form))
        .route(
            "/console/partners/import",
            get(import_form).post(import_submit),
        )
        .route("/console/partners/export", get(export))
        .route("/console/partners/{id}", get(show).post(update))
        .route("/console/partners/{id}/edit", get(edit_form))
        .route(
            "/console/partners/{id}/contacts",
            axum::routing::post(add_contact),
        )
        .route(
            "/console/partners/{id}/contacts/{cid}",
            axum::routing::post(update_contact),
        )
        .route(
            "/console/partners/{id}/contacts/{cid}/edit",
            get(edit_contact),
        )
        .route(
            "/console/partners/{id}/contacts/{cid}/delete",
            axum::routing::post(delete_contact),
        )
        .route(
            "/console/partners/{id}/contacts/{cid}/portal",
            axum::routing::post(grant_portal),
        )
}

/// Issue 9: gives a contact a portal login (or links the partner's login with their e-mail)
/// and shows the one-time password once, on the partner page.
async fn grant_portal(
    Path((id, cid)): Path<(String, String)>,
    PageForm(state, headers, s, _): PageForm,
) -> PageResult {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let cid = Uuid::parse_str(&cid).map_err(|_| AppError::NotFound)?;
    let (user, password) =
        app::grant_portal_login(&state.db, &s.actor, id.into(), cid.into()).await?;
    let partner = app::show(&state.db, &s.actor, id.into()).await?;
    partner_page(
        &state,
        &headers,
        &s,
        &partner,
        PartnerForms {
            granted: Some(Granted {
                name: user.name,
                email: user.email,
                password,
            }),
            ..Default::default()
        },
    )
    .await
}

fn form_value(form: &Pairs, k: &str) -> Option<String> {
    form.get(k).map(|v| v.trim().to_string())
}

async fn list(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let l = p.list(50)?;
    let sort = PartnerSort::parse(p.get("sort").unwrap_or(""))
        .map_err(|m| AppError::invalid("sort", m))?;
    let f = crate::extract::partner_filter(&state, &p, s.actor.is_partner()).await?;
    let page = repo::list_partners(
        &state.db,
        s.actor.scope(),
        &f,
        sort,
        l.cursor.as_deref(),
        l.limit,
    )
    .await?;
    let total = repo::count_partners(&state.db, s.actor.scope(), &f).await?;
    let segments = liaison_db::segment::list_segments(&state.db).await?;
    let regions = repo::distinct_values(&state.db, "region").await?;
    let tiers = repo::distinct_values(&state.db, "tier").await?;
    // The query string without the cursor, to build "next page" and export links.
    let base: Vec<(String, String)> = p.0.iter().filter(|(k, _)| k != "cursor").cloned().collect();
    let base_qs = serde_urlencoded::to_string(&base).unwrap_or_default();
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "partner/list.html",
        ctx! {
            nav => "partners",
            partners => page.items,
            next_cursor => page.next_cursor,
            total => total,
            q => p.get("q").unwrap_or(""),
            kind => p.get("kind").unwrap_or(""),
            region => p.get("region").unwrap_or(""),
            tier => p.get("tier").unwrap_or(""),
            status => p.get("status").unwrap_or(""),
            segment => p.get("segment").unwrap_or(""),
            sort => sort.as_str(),
            kinds => PartnerKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            statuses => PartnerStatus::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            regions => regions,
            tiers => tiers,
            segments => segments,
            base_qs => base_qs,
        },
    ))
}

async fn show(Page(state, headers, s): Page, Path(id): Path<String>) -> PageResult {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let partner = app::show(&state.db, &s.actor, id.into()).await?;
    partner_page(&state, &headers, &s, &partner, PartnerForms::default()).await
}

/// A form of the partner page shown again: what was typed and the field errors.
pub(super) struct Retyped<'a, T> {
    pub input: &'a T,
    pub errors: &'a FieldErrors,
}

/// The forms of the partner page that can come back with errors (at most one at a time).
#[derive(Default)]
pub(super) struct PartnerForms<'a> {
    pub contact: Option<Retyped<'a, ContactInput>>,
    pub robot: Option<Retyped<'a, super::robot::RobotForm>>,
    /// A portal login just given to a contact, with its one-time password when one was made.
    pub granted: Option<Granted>,
}

#[derive(serde::Serialize)]
pub(super) struct Granted {
    name: String,
    email: String,
    password: Option<String>,
}

/// One partner with contacts, history and, for those who manage partners, its IM robots
/// (§2.1.2); a form shown again with errors answers 422.
pub(super) async fn partner_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    partner: &repo::Partner,
    forms: PartnerForms<'_>,
) -> PageResult {
    let contacts = app::contacts(&state.db, &s.actor, partner.id.into()).await?;
    let history = liaison_db::audit::list(&state.db, Some(partner.id), None, 100).await?;
    let robots = if s.actor.can(Permission::WritePartners) {
        Some(liaison_db::robot::list_robots(&state.db, partner.id).await?)
    } else {
        None
    };
    // A partner's API tokens (SPEC H2), for channel management and admins.
    let tokens = super::api_tokens::for_partner_page(state, s, partner.id).await?;
    let invalid = forms.contact.is_some() || forms.robot.is_some();
    // Which contacts have a portal login (issue 9: portal users are people too).
    let logins: std::collections::HashMap<String, String> =
        if s.actor.can(Permission::WritePartners) {
            app::portal_logins(&state.db, &s.actor, partner.id.into())
                .await?
                .into_iter()
                .filter(|u| u.active)
                .filter_map(|u| u.contact_id.map(|c| (c.to_string(), u.email)))
                .collect()
        } else {
            Default::default()
        };
    let mut r = render(
        state,
        headers,
        Some(s),
        "partner/show.html",
        ctx! {
            nav => "partners", partner => partner, contacts => contacts, history => history,
            contact => forms.contact.as_ref().map(|f| f.input),
            errors => form_errors(forms.contact.as_ref().map(|f| f.errors)),
            robots => robots,
            robot_kinds => liaison_channels::robot::RobotKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            robot => forms.robot.as_ref().map(|f| f.input),
            robot_errors => form_errors(forms.robot.as_ref().map(|f| f.errors)),
            logins => logins,
            granted => forms.granted,
            tokens => tokens,
            token_base => format!("/console/partners/{}/api-tokens", partner.id),
            token_scopes => super::api_tokens::scope_names(),
            token_form => super::api_tokens::blank_form(state, s),
        },
    );
    mark_invalid(&mut r, invalid);
    Ok(r)
}

async fn form_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    partner_id: Option<Uuid>,
    input: &PartnerInput,
    version: Option<i64>,
    errors: Option<&FieldErrors>,
) -> PageResult {
    s.require(Permission::WritePartners)?;
    let managers = liaison_db::user::list_possible_owners(&state.db).await?;
    let mut r = render(
        state,
        headers,
        Some(s),
        "partner/form.html",
        ctx! {
            nav => "partners",
            partner_id => partner_id,
            version => version,
            p => input,
            tags => input.tags.clone().unwrap_or_default().join(", "),
            kinds => PartnerKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            statuses => PartnerStatus::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            managers => managers,
            errors => form_errors(errors),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

async fn new_form(Page(state, headers, s): Page) -> PageResult {
    let input = PartnerInput {
        status: Some("active".into()),
        timezone: Some("Asia/Shanghai".into()),
        working_days: Some("1-5".into()),
        working_hours: Some("09:00-18:00".into()),
        ..Default::default()
    };
    form_page(&state, &headers, &s, None, &input, None, None).await
}

async fn edit_form(Page(state, headers, s): Page, Path(id): Path<String>) -> PageResult {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let partner = app::show(&state.db, &s.actor, id.into()).await?;
    form_page(
        &state,
        &headers,
        &s,
        Some(id),
        &partner.to_input(),
        Some(partner.version),
        None,
    )
    .await
}

fn ids(id: &str, cid: &str) -> AppResult<(Uuid, Uuid)> {
    let p = |s: &str| Uuid::parse_str(s).map_err(|_| AppError::NotFound);
    Ok((p(id)?, p(cid)?))
}

fn contact_input(form: &Pairs) -> ContactInput {
    ContactInput {
        name: form_value(form, "name"),
        email: form_value(form, "email"),
        phone: form_value(form, "phone"),
        title: form_value(form, "title"),
        im_webhook: form_value(form, "im_webhook"),
        preferred_channels: form_value(form, "preferred_channels").map(|c| vec![c]),
        lang: form_value(form, "lang"),
    }
}

async fn contact_form(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    partner: &repo::Partner,
    cid: Uuid,
    input: &ContactInput,
    errors: Option<&FieldErrors>,
) -> Response {
    let mut r = render(
        state,
        headers,
        Some(s),
        "partner/contact_form.html",
        ctx! {
            nav => "partners", partner => partner, contact_id => cid, c => input,
            errors => form_errors(errors),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    r
}

async fn edit_contact(
    Page(state, headers, s): Page,
    Path((id, cid)): Path<(String, String)>,
) -> PageResult {
    let (id, cid) = ids(&id, &cid)?;
    let contact = app::contact(&state.db, &s.actor, id.into(), cid.into()).await?;
    s.require(Permission::WritePartners)?;
    let partner = app::show(&state.db, &s.actor, id.into()).await?;
    Ok(contact_form(
        &state,
        &headers,
        &s,
        &partner,
        cid,
        &contact.to_input(),
        None,
    )
    .await)
}

async fn update_contact(
    Path((id, cid)): Path<(String, String)>,
    PageForm(state, headers, s, form): PageForm,
) -> PageResult {
    let (id, cid) = ids(&id, &cid)?;
    let input = contact_input(&form);
    match app::update_contact(&state.db, &s.actor, id.into(), cid.into(), input.clone()).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/partners/{id}#contacts")).into_response()),
        Err(app::Error::Invalid(e)) => {
            let partner = app::show(&state.db, &s.actor, id.into()).await?;
            Ok(contact_form(&state, &headers, &s, &partner, cid, &input, Some(&e)).await)
        }
        Err(e) => Err(e.into()),
    }
}

async fn delete_contact(
    Path((id, cid)): Path<(String, String)>,
    PageForm(state, _, s, _): PageForm,
) -> PageResult {
    let (id, cid) = ids(&id, &cid)?;
    app::delete_contact(&state.db, &s.actor, id.into(), cid.into()).await?;
    Ok(Redirect::to(&format!("/console/partners/{id}#contacts")).into_response())
}

fn partner_input(form: &Pairs) -> PartnerInput {
    PartnerInput {
        code: form_value(form, "code"),
        name: form_value(form, "name"),
        kind: form_value(form, "kind"),
        region: form_value(form, "region"),
        tier: form_value(form, "tier"),
        status: form_value(form, "status"),
        owner: form_value(form, "owner"),
        timezone: form_value(form, "timezone"),
        working_days: form_value(form, "working_days"),
        working_hours: form_value(form, "working_hours"),
        tags: form_value(form, "tags").map(|t| vec![t]),
        notes: form_value(form, "notes"),
    }
}

async fn create(PageForm(state, headers, s, form): PageForm) -> PageResult {
    save_partner(&state, &headers, &s, None, &form).await
}

async fn update(Path(id): Path<String>, PageForm(state, headers, s, form): PageForm) -> PageResult {
    let id = crate::extract::id(&id)?;
    save_partner(&state, &headers, &s, Some(id), &form).await
}

/// Creates (`id` none) or updates a partner from the form; invalid input, a taken code or a
/// stale version shows the form again with the message beside the field.
async fn save_partner(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    id: Option<Uuid>,
    form: &Pairs,
) -> PageResult {
    let input = partner_input(form);
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok());
    let saved = match id {
        None => app::create(&state.db, &s.actor, input.clone()).await,
        // The form shows every field: what it sends replaces the record.
        Some(id) => app::update(&state.db, &s.actor, id.into(), input.clone(), version).await,
    };
    let errors = match saved {
        Ok(p) => return Ok(Redirect::to(&format!("/console/partners/{}", p.id)).into_response()),
        Err(app::Error::Invalid(e)) => e,
        Err(app::Error::Conflict(m)) => {
            let field = if m.starts_with("code") {
                "code"
            } else {
                "version"
            };
            FieldErrors::single(field, m)
        }
        Err(e) => return Err(e.into()),
    };
    form_page(state, headers, s, id, &input, version, Some(&errors)).await
}

async fn add_contact(
    Path(id): Path<String>,
    PageForm(state, headers, s, form): PageForm,
) -> PageResult {
    let id = crate::extract::id(&id)?;
    let input = contact_input(&form);
    match app::add_contact(&state.db, &s.actor, id, input.clone()).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/partners/{id}#contacts")).into_response()),
        Err(app::Error::Invalid(e)) => {
            let partner = app::show(&state.db, &s.actor, id).await?;
            let forms = PartnerForms {
                contact: Some(Retyped {
                    input: &input,
                    errors: &e,
                }),
                ..Default::default()
            };
            partner_page(&state, &headers, &s, &partner, forms).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn import_form(Page(state, headers, s): Page) -> PageResult {
    s.require(Permission::ImportPartners)?;
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "partner/import.html",
        ctx! { nav => "import", outcome => Value::UNDEFINED, errors => Value::UNDEFINED },
    ))
}

async fn import_submit(Page(state, headers, s): Page, mut mp: Multipart) -> PageResult {
    s.require(Permission::ImportPartners)?;
    let (mut csrf, mut what, mut dry, mut file, mut name) = (
        String::new(),
        String::from("partners"),
        false,
        Vec::new(),
        None,
    );
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("the upload could not be read: {e}")))?
    {
        match field.name().unwrap_or("") {
            "_csrf" => csrf = field.text().await.unwrap_or_default(),
            "what" => what = field.text().await.unwrap_or_default(),
            "dry_run" => dry = true,
            "file" => {
                name = field.file_name().map(str::to_string);
                file = field
                    .bytes()
                    .await
                    .map_err(|e| {
                        AppError::BadRequest(format!("the upload could not be read: {e}"))
                    })?
                    .to_vec();
            }
            _ => {}
        }
    }
    s.check_csrf(&csrf)?;
    let lang = crate::auth::page_lang(&headers, Some(&s.user));
    let result = if what == "contacts" {
        import::import_contacts(&state.db, &s.actor, lang, name.as_deref(), &file, dry).await
    } else {
        import::import_partners(&state.db, &s.actor, lang, name.as_deref(), &file, dry).await
    };
    let (outcome, errors, status) = match result {
        Ok(o) => (Some(o), None, axum::http::StatusCode::OK),
        Err(liaison_app::Error::InvalidRows(rows)) => (
            None,
            Some(rows),
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(liaison_app::Error::Invalid(f)) => (
            None,
            Some(
                f.0.into_iter()
                    .map(|e| liaison_core::validate::RowError {
                        row: 0,
                        field: e.field,
                        message: e.message,
                    })
                    .collect(),
            ),
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return Err(e.into()),
    };
    let mut r = render(
        &state,
        &headers,
        Some(&s),
        "partner/import.html",
        ctx! { nav => "import", outcome => outcome, errors => errors, what => what, filename => name },
    );
    *r.status_mut() = status;
    Ok(r)
}

/// The partner list (or its contacts) as a file; people get their language's headings and
/// values unless `labels=codes` asks for the codes.
async fn export(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let f = crate::extract::partner_filter(&state, &p, s.actor.is_partner()).await?;
    let format = import::ExportFormat::parse(p.get("format"))?;
    let lang = crate::auth::page_lang(&headers, Some(&s.user));
    let labels = import::Labels::parse(p.get("labels"), import::Labels::In(lang))?;
    let file = if p.get("what") == Some("contacts") {
        import::export_contacts(&state.db, &s.actor, &f, format, labels).await?
    } else {
        import::export_partners(&state.db, &s.actor, &f, format, labels).await?
    };
    Ok(crate::respond::download(file))
}
