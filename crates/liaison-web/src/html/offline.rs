//! Site visits' and call logs' pages (policy §2.2.2, §2.2.3; issue 14). Console: the visits
//! board (overdue partners by tier, the plan, recent reports), planning a visit, one visit with
//! its report form (findings, internal problems, action items) and photo upload, usable on a
//! phone; recent calls, logging a call (with follow-ups and an optional ticket) and one call.
//! Portal: the partner's own visits and their reports, without the internal problems (the
//! service never hands them out). Every decision is `liaison_app::offline`'s.

use super::{Page, PageForm, PageResult, ctx, form_errors, mark_invalid, render};
use crate::auth::Session;
use crate::extract::{Pairs, id};
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::{Multipart, Path};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use liaison_app::offline::{
    self as app, CallInput, CallTicket, ReportInput, TaskInput, VisitInput, VisitPatch,
};
use liaison_core::validate::Msg;
use liaison_core::{FieldErrors, Permission};
use liaison_db::offline::{CallFilter, VisitFilter};
use std::collections::HashMap;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/visits", get(board).post(create_visit))
        .route("/console/visits/new", get(new_visit))
        .route("/console/visits/{id}", get(show_visit))
        .route("/console/visits/{id}/report", post(report))
        .route("/console/visits/{id}/cancel", post(cancel))
        .route("/console/visits/{id}/files", post(upload))
        .route("/console/visits/{id}/files/{file}", get(file))
        .route("/console/calls", get(calls).post(create_call))
        .route("/console/calls/new", get(new_call))
        .route("/console/calls/{id}", get(show_call))
        .route("/portal/visits", get(portal_visits))
}

/// How many action item rows a report form offers (empty ones are skipped).
const ACTION_ROWS: usize = 3;

fn opt(form: &Pairs, k: &str) -> Option<String> {
    Some(form.text(k)).filter(|v| !v.is_empty())
}

async fn partner_ref(
    state: &AppState,
    bad: &mut FieldErrors,
    code: &str,
) -> Result<Option<Uuid>, AppError> {
    match code.trim() {
        "" => {
            bad.required("partner_id");
            Ok(None)
        }
        c => match liaison_db::partner::resolve_partner_ref(&state.db, c).await? {
            Some(p) => Ok(Some(p)),
            None => {
                bad.add(
                    "partner_id",
                    Msg::new("validate.no_partner").arg("value", c),
                );
                Ok(None)
            }
        },
    }
}

/// Rows of action items typed into a form (`{prefix}_title_N`, `_due_N`, `_owner_N`, where the
/// owner is `u:<id>` or `c:<id>`, empty for the writer); blank rows are skipped.
fn task_rows(form: &Pairs, prefix: &str) -> Vec<TaskInput> {
    (0..ACTION_ROWS)
        .filter_map(|i| {
            let title = form.text(&format!("{prefix}_title_{i}"));
            let due = form.text(&format!("{prefix}_due_{i}"));
            if title.is_empty() && due.is_empty() {
                return None;
            }
            let owner = form.text(&format!("{prefix}_owner_{i}"));
            let (u, c) = match owner.split_once(':') {
                Some(("u", v)) => (Uuid::parse_str(v).ok(), None),
                Some(("c", v)) => (None, Uuid::parse_str(v).ok()),
                _ => (None, None),
            };
            Some(TaskInput {
                title: Some(title),
                owner_user_id: u,
                owner_contact_id: c,
                due_on: Some(due),
            })
        })
        .collect()
}

fn typed(form: &Pairs) -> HashMap<String, String> {
    form.0
        .iter()
        .filter(|(k, _)| k != "_csrf")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

async fn partners(
    state: &AppState,
    s: &Session,
) -> Result<Vec<liaison_db::partner::Partner>, AppError> {
    Ok(liaison_app::partner::list(
        &state.db,
        &s.actor,
        &Default::default(),
        Default::default(),
        None,
        500,
    )
    .await?
    .items)
}

// ---- Visits ----

async fn board(Page(state, headers, s): Page) -> PageResult {
    let overdue = app::overdue(&state.db, &s.actor).await?;
    let planned = app::list_visits(
        &state.db,
        &s.actor,
        VisitFilter {
            state: Some(liaison_core::meetings::VisitState::Planned),
            ..Default::default()
        },
        100,
    )
    .await?;
    let recent = app::list_visits(
        &state.db,
        &s.actor,
        VisitFilter {
            state: Some(liaison_core::meetings::VisitState::Done),
            newest_first: true,
            ..Default::default()
        },
        20,
    )
    .await?;
    let today = app::today(&state.db);
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "visit/list.html",
        ctx! { nav => "visits", overdue => overdue, planned => planned, recent => recent, today => today },
    ))
}

async fn new_visit(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    s.require(Permission::LogOffline)?;
    let mut v = HashMap::new();
    v.insert("partner_id".to_string(), p.text("partner"));
    visit_form(&state, &headers, &s, v, None).await
}

async fn visit_form(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    v: HashMap<String, String>,
    errors: Option<&FieldErrors>,
) -> PageResult {
    let partners = partners(state, s).await?;
    let mut r = render(
        state,
        headers,
        Some(s),
        "visit/new.html",
        ctx! { nav => "visits", v => v, partners => partners, errors => form_errors(errors) },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

async fn create_visit(PageForm(state, headers, s, form): PageForm) -> PageResult {
    s.require(Permission::LogOffline)?;
    let mut bad = FieldErrors::new();
    let partner = partner_ref(&state, &mut bad, &form.text("partner_id")).await?;
    let input = VisitInput {
        partner_id: partner,
        planned_on: opt(&form, "planned_on"),
        purpose: opt(&form, "purpose"),
        visitor_id: None,
    };
    let result = match app::create_visit(&state.db, &s.actor, &input).await {
        Err(liaison_app::Error::Invalid(mut e)) => {
            if partner.is_none() {
                e.0.retain(|f| f.field != "partner_id");
                e.extend(bad);
            }
            Err(liaison_app::Error::Invalid(e))
        }
        other => other,
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/console/visits/{}?saved=1", v.id)).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            visit_form(&state, &headers, &s, typed(&form), Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn visit_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    vid: Uuid,
    v: HashMap<String, String>,
    errors: Option<&FieldErrors>,
    saved: bool,
) -> PageResult {
    let page = app::show_visit(&state.db, &s.actor, vid).await?;
    let contacts =
        liaison_db::partner::list_contacts(&state.db, s.actor.scope(), page.visit.partner_id)
            .await?;
    let may_log = s.actor.can(Permission::LogOffline);
    let mut r = render(
        state,
        headers,
        Some(s),
        "visit/show.html",
        ctx! {
            nav => "visits", page => page, contacts => contacts, may_log => may_log,
            rows => (0..ACTION_ROWS).collect::<Vec<_>>(), v => v, errors => form_errors(errors),
            saved => saved, today => app::today(&state.db),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

async fn show_visit(
    Page(state, headers, s): Page,
    Path(vid): Path<String>,
    p: Pairs,
) -> PageResult {
    visit_page(
        &state,
        &headers,
        &s,
        id(&vid)?,
        HashMap::new(),
        None,
        p.get("saved").is_some(),
    )
    .await
}

async fn report(
    Path(vid): Path<String>,
    PageForm(state, headers, s, form): PageForm,
) -> PageResult {
    let vid: Uuid = id(&vid)?;
    let patch = VisitPatch {
        report: Some(ReportInput {
            visited_on: opt(&form, "visited_on"),
            findings: opt(&form, "findings"),
            problems: opt(&form, "problems"),
            actions: task_rows(&form, "action"),
        }),
        ..Default::default()
    };
    let version = form.text("version").parse::<i64>().ok();
    match app::update_visit(&state.db, &s.actor, vid, &patch, version).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/visits/{vid}?saved=1")).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            // The report's fields are named without their `report.` prefix on the form.
            let mut shown = FieldErrors::new();
            for f in e.0 {
                let field = f.field.trim_start_matches("report.").to_string();
                shown.add(field, f.msg);
            }
            visit_page(&state, &headers, &s, vid, typed(&form), Some(&shown), false).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn cancel(
    Path(vid): Path<String>,
    PageForm(state, _headers, s, form): PageForm,
) -> PageResult {
    let vid: Uuid = id(&vid)?;
    let patch = VisitPatch {
        state: Some("cancelled".into()),
        ..Default::default()
    };
    let version = form.text("version").parse::<i64>().ok();
    app::update_visit(&state.db, &s.actor, vid, &patch, version).await?;
    Ok(Redirect::to(&format!("/console/visits/{vid}?saved=1")).into_response())
}

async fn upload(
    Page(state, headers, s): Page,
    Path(vid): Path<String>,
    mut mp: Multipart,
) -> PageResult {
    let vid: Uuid = id(&vid)?;
    let bad = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("the upload could not be read: {e}"))
    };
    let mut fields = Vec::new();
    let mut photo: Option<(String, Vec<u8>)> = None;
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "photo" {
            let filename = field
                .file_name()
                .unwrap_or("")
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            let bytes = field.bytes().await.map_err(bad)?.to_vec();
            crate::extract::check_text("photo", &filename)?;
            photo = Some((filename, bytes));
        } else {
            fields.push((name, field.text().await.map_err(bad)?));
        }
    }
    let form = Pairs::checked(fields)?;
    s.check_csrf(form.get("_csrf").unwrap_or(""))?;
    let (filename, bytes) = photo.unwrap_or_default();
    match app::add_file(&state.db, &s.actor, vid, &filename, &bytes).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/visits/{vid}?saved=1")).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            let mut shown = FieldErrors::new();
            for f in e.0 {
                shown.add("photo", f.msg);
            }
            visit_page(
                &state,
                &headers,
                &s,
                vid,
                HashMap::new(),
                Some(&shown),
                false,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn file(
    Page(state, _headers, s): Page,
    Path((vid, fid)): Path<(String, String)>,
) -> PageResult {
    let (f, bytes) = app::read_file(&state.db, &s.actor, id(&vid)?, id(&fid)?).await?;
    Ok(crate::respond::named_file(
        &f.filename,
        &f.content_type,
        bytes,
    ))
}

async fn portal_visits(Page(state, headers, s): Page) -> PageResult {
    if !s.actor.is_partner() {
        return Err(AppError::Forbidden.into());
    }
    let visits = app::list_visits(
        &state.db,
        &s.actor,
        VisitFilter {
            newest_first: true,
            ..Default::default()
        },
        100,
    )
    .await?;
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "visit/portal.html",
        ctx! { nav => "visits", visits => visits },
    ))
}

// ---- Calls ----

async fn calls(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    s.require(Permission::LogOffline)?;
    let partner = match p.get("partner").map(str::trim).filter(|v| !v.is_empty()) {
        Some(r) => Some(
            liaison_db::partner::resolve_partner_ref(&state.db, r)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let items = app::list_calls(
        &state.db,
        &s.actor,
        CallFilter {
            partner,
            ..Default::default()
        },
        100,
    )
    .await?;
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "call/list.html",
        ctx! { nav => "calls", items => items },
    ))
}

async fn new_call(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    s.require(Permission::LogOffline)?;
    let mut v = HashMap::new();
    v.insert("partner_id".to_string(), p.text("partner"));
    v.insert("direction".to_string(), "outbound".to_string());
    v.insert("duration_minutes".to_string(), "5".to_string());
    call_form(&state, &headers, &s, v, None).await
}

async fn call_form(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    v: HashMap<String, String>,
    errors: Option<&FieldErrors>,
) -> PageResult {
    let partners = partners(state, s).await?;
    // The contacts of the partner chosen (when one is), to pick the person called.
    let contacts = match liaison_db::partner::resolve_partner_ref(
        &state.db,
        v.get("partner_id").map_or("", String::as_str),
    )
    .await?
    {
        Some(p) => liaison_db::partner::list_contacts(&state.db, s.actor.scope(), p)
            .await
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let kinds: Vec<&str> = liaison_core::tickets::TicketKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    let priorities: Vec<&str> = liaison_core::tickets::TicketPriority::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    let mut r = render(
        state,
        headers,
        Some(s),
        "call/new.html",
        ctx! {
            nav => "calls", v => v, partners => partners, contacts => contacts,
            rows => (0..ACTION_ROWS).collect::<Vec<_>>(), kinds => kinds, priorities => priorities,
            errors => form_errors(errors),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

async fn create_call(PageForm(state, headers, s, form): PageForm) -> PageResult {
    s.require(Permission::LogOffline)?;
    let mut bad = FieldErrors::new();
    let partner = partner_ref(&state, &mut bad, &form.text("partner_id")).await?;
    // The form's local time, in the company's zone.
    let at = match form.text("at").as_str() {
        "" => None,
        t => Some(
            chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M")
                .ok()
                .and_then(|n| {
                    n.and_local_timezone(liaison_core::calendar::COMPANY_ZONE)
                        .earliest()
                })
                .map_or_else(|| t.to_string(), |z| z.to_rfc3339()),
        ),
    };
    let ticket = (!form.text("ticket_subject").is_empty()).then(|| CallTicket {
        kind: opt(&form, "ticket_kind"),
        priority: opt(&form, "ticket_priority"),
        subject: opt(&form, "ticket_subject"),
        description: opt(&form, "ticket_description"),
    });
    let duration = match form.text("duration_minutes").as_str() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                bad.add("duration_minutes", Msg::new("validate.whole_number"));
                None
            }
        },
    };
    let input = CallInput {
        partner_id: partner,
        contact_id: form.get("contact_id").and_then(|c| Uuid::parse_str(c).ok()),
        at,
        direction: opt(&form, "direction"),
        duration_minutes: duration,
        summary: opt(&form, "summary"),
        delivery_id: None,
        follow_ups: task_rows(&form, "follow"),
        ticket,
    };
    let result = match app::create_call(&state.db, &s.actor, &input).await {
        Err(liaison_app::Error::Invalid(mut e)) => {
            if partner.is_none() {
                e.0.retain(|f| f.field != "partner_id");
            }
            e.extend(bad);
            Err(liaison_app::Error::Invalid(e))
        }
        Ok(_) if !bad.is_empty() => Err(liaison_app::Error::Invalid(bad)),
        other => other,
    };
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/console/calls/{}?saved=1", c.call.id)).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            let mut shown = FieldErrors::new();
            for f in e.0 {
                let field = f.field.replace("ticket.", "ticket_");
                shown.add(field, f.msg);
            }
            call_form(&state, &headers, &s, typed(&form), Some(&shown)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn show_call(Page(state, headers, s): Page, Path(cid): Path<String>, p: Pairs) -> PageResult {
    let page = app::show_call(&state.db, &s.actor, id(&cid)?).await?;
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "call/show.html",
        ctx! { nav => "calls", page => page, saved => p.get("saved").is_some() },
    ))
}
