//! Problem tickets' pages (policy §3.4; issue 12). Console: the queue (tabs with counts,
//! filters, a keyset page), raising a ticket from a phone call, the ticket with its timeline,
//! SLA clocks, files and forms (reply or internal note, assign, resolve, merge, watch), the
//! root-cause report with bar charts drawn here as SVG, and the admin's SLA, routing and
//! taxonomy settings. Portal: "my problems", raising one with photos from a phone, and the
//! ticket's public timeline with replying, confirming with a rating and reopening. Every
//! decision is the service layer's (`liaison_app::tickets`); internal notes and their files
//! never reach the partner's pages because the service never hands them out.

use super::{Page, PageForm, PageResult, body_html, ctx, form_errors, mark_invalid, render};
use crate::auth::Session;
use crate::extract::{Pairs, id};
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::{Multipart, Path};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, Utc};
use liaison_app::tickets::{
    self as app, AssignInput, MergeInput, Queue, RateInput, ReopenInput, ReplyInput, ResolveInput,
    RootCauseInput, RouteInput, TicketInput,
};
use liaison_core::access::ItemKind;
use liaison_core::partner::Lang;
use liaison_core::tickets::{
    EventKind, SlaClock, SlaTarget, TicketKind, TicketPriority, TicketSettings, TicketState,
    TicketVia,
};
use liaison_core::validate::Msg;
use liaison_core::{FieldErrors, Permission};
use liaison_db::tickets::{Event, RootCause, Ticket, TicketFile, TicketFilter};
use liaison_i18n::{t, tr};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/tickets", get(queue).post(console_create))
        .route("/console/tickets/new", get(console_new))
        .route("/console/tickets/{id}", get(show))
        .route("/console/tickets/{id}/reply", post(console_reply))
        .route("/console/tickets/{id}/assign", post(assign))
        .route("/console/tickets/{id}/resolve", post(resolve))
        .route("/console/tickets/{id}/merge", post(merge))
        .route("/console/tickets/{id}/watch", post(watch))
        .route("/console/tickets/{id}/reopen", post(console_reopen))
        .route("/console/tickets/{id}/files/{file}", get(file))
        .route("/console/ticket-reports", get(report))
        .route(
            "/console/settings/tickets",
            get(settings_show).post(settings_save),
        )
        .route("/console/settings/tickets/routes", post(routes_save))
        .route("/console/settings/tickets/causes", post(cause_save))
        .route("/portal/tickets", get(portal_list).post(portal_create))
        .route("/portal/tickets/new", get(portal_new))
        .route("/portal/tickets/{id}", get(show))
        .route("/portal/tickets/{id}/reply", post(portal_reply))
        .route("/portal/tickets/{id}/rate", post(rate))
        .route("/portal/tickets/{id}/reopen", post(portal_reopen))
        .route("/portal/tickets/{id}/files/{file}", get(file))
}

/// How many tickets one page of a list shows.
const PAGE: i64 = 25;

fn lang_of(headers: &HeaderMap, s: &Session) -> Lang {
    crate::auth::page_lang(headers, Some(&s.user))
}

fn codes<T: Copy>(all: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| f(*v)).collect()
}

fn kinds() -> Vec<&'static str> {
    codes(TicketKind::ALL, TicketKind::as_str)
}

fn priorities() -> Vec<&'static str> {
    codes(TicketPriority::ALL, TicketPriority::as_str)
}

fn states() -> Vec<&'static str> {
    codes(TicketState::ALL, TicketState::as_str)
}

/// A checkbox as a form sends it.
fn checked(p: &Pairs, k: &str) -> bool {
    matches!(p.get(k), Some("on" | "true" | "1"))
}

/// The errors of one file (`files[2]`) shown beside the file inputs, as `files`.
fn files_as_one(e: FieldErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    for f in e.0 {
        let field = if f.field.starts_with("files") {
            "files".to_string()
        } else {
            f.field
        };
        out.add(field, f.msg);
    }
    out
}

/// The values a form was posted with, to show it again as typed.
fn typed(p: &Pairs) -> HashMap<String, String> {
    p.0.iter()
        .filter(|(k, _)| k != "_csrf")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Times left

/// "2 h 10 min", "35 min", or with whole days "3 d 4 h" (wall-clock spans only: a working day
/// is not 24 hours).
fn span(lang: Lang, minutes: i64, days: bool) -> String {
    let m = minutes.abs();
    let n = |v: i64| v.to_string();
    if days && m >= 24 * 60 {
        tr(
            lang,
            "ticket_page.span_dh",
            &[("d", n(m / (24 * 60))), ("h", n(m / 60 % 24))],
        )
    } else if m >= 60 {
        tr(
            lang,
            "ticket_page.span_hm",
            &[("h", n(m / 60)), ("m", n(m % 60))],
        )
    } else {
        tr(lang, "ticket_page.span_m", &[("m", n(m))])
    }
}

/// "2 h 10 min left" or "overdue 35 min".
fn left_text(lang: Lang, minutes: i64, days: bool) -> String {
    let time = span(lang, minutes, days);
    if minutes >= 0 {
        tr(lang, "ticket_page.left", &[("time", time)])
    } else {
        tr(lang, "ticket_page.overdue", &[("time", time)])
    }
}

/// The earlier of a ticket's running due times.
fn next_due(t: &Ticket) -> Option<DateTime<Utc>> {
    [t.first_response_due_at, t.resolution_due_at]
        .into_iter()
        .flatten()
        .min()
}

/// One row of the queue: the ticket and its next due time as a person reads it.
#[derive(Serialize)]
struct Row<'a> {
    t: &'a Ticket,
    due: Option<DateTime<Utc>>,
    due_text: String,
    overdue: bool,
}

fn rows(lang: Lang, items: &[Ticket], now: DateTime<Utc>) -> Vec<Row<'_>> {
    items
        .iter()
        .map(|t| {
            let due = next_due(t);
            let minutes = due.map(|d| (d - now).num_minutes());
            Row {
                t,
                due,
                due_text: minutes
                    .map(|m| left_text(lang, m, true))
                    .unwrap_or_default(),
                overdue: minutes.is_some_and(|m| m < 0),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The queue

const QUEUES: [(Queue, &str); 5] = [
    (Queue::Mine, "mine"),
    (Queue::Department, "department"),
    (Queue::Unassigned, "unassigned"),
    (Queue::BreachingSoon, "breaching"),
    (Queue::All, "all"),
];

fn queue_code(q: Queue) -> &'static str {
    QUEUES
        .iter()
        .find(|(x, _)| *x == q)
        .map_or("all", |(_, c)| c)
}

/// An optional filter value of a list, parsed (a bad one is a 422 naming it).
fn filter_value<T>(
    p: &Pairs,
    k: &str,
    parse: fn(&str) -> Result<T, Msg>,
) -> Result<Option<T>, AppError> {
    match p.get(k).map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse(v).map(Some).map_err(|m| AppError::invalid(k, m)),
    }
}

/// `/console/tickets`: one tab of the queue, newest first, 25 at a time. The tab's counts
/// and the page are the only queries (10,000 tickets must stay fast).
async fn queue(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    s.require(Permission::WorkTickets)?;
    let counts = app::queue_counts(&state.db, &s.actor).await?;
    // "All" has no count (it would read every ticket).
    let counted = |q: Queue| counts.iter().find(|(x, _)| *x == q).map(|c| c.1);
    let count = |q: Queue| counted(q).unwrap_or(0);
    // Someone with tickets of their own starts on them.
    let tab = match p.get("queue").map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Queue::parse(v).map_err(|m| AppError::invalid("queue", m))?,
        None if count(Queue::Mine) > 0 => Queue::Mine,
        None => Queue::All,
    };
    let mut filter = app::queue_filter(&state.db, &s.actor, tab).await?;
    filter.state = filter_value(&p, "state", TicketState::parse)?;
    filter.priority = filter_value(&p, "priority", TicketPriority::parse)?;
    filter.kind = filter_value(&p, "kind", TicketKind::parse)?;
    let l = p.list(PAGE)?;
    let items = app::list(&state.db, &s.actor, &filter, l.id_cursor()?, l.limit).await?;
    let next = l.next(&items, |t| t.id.to_string());
    let lang = lang_of(&headers, &s);
    let now = state.db.now();
    let mut base: Vec<(String, String)> = vec![("queue".into(), queue_code(tab).into())];
    for k in ["state", "priority", "kind"] {
        if let Some(v) = p.get(k).filter(|v| !v.trim().is_empty()) {
            base.push((k.into(), v.trim().into()));
        }
    }
    let tabs: Vec<_> = QUEUES
        .iter()
        .map(|(q, c)| ctx! { code => c, count => counted(*q), on => *q == tab })
        .collect();
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "ticket/queue.html",
        ctx! {
            nav => "tickets",
            rows => rows(lang, &items, now),
            tabs => tabs,
            tab => queue_code(tab),
            states => states(),
            kinds => kinds(),
            priorities => priorities(),
            f_state => p.text("state"),
            f_priority => p.text("priority"),
            f_kind => p.text("kind"),
            next_cursor => next,
            base_qs => serde_urlencoded::to_string(&base).unwrap_or_default(),
            can_report => s.actor.can(Permission::ReadTicketReports),
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// Raising a ticket

/// The console's form: staff raise a ticket on a partner's behalf, by default from a call.
async fn console_new(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    s.require(Permission::WorkTickets)?;
    let mut v = HashMap::new();
    v.insert("partner_id".to_string(), p.text("partner"));
    new_page(&state, &headers, &s, v, None).await
}

async fn new_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    mut v: HashMap<String, String>,
    errors: Option<&FieldErrors>,
) -> PageResult {
    let staff = !s.actor.is_partner();
    let products = liaison_app::product::list(&state.db, &s.actor, &Default::default()).await?;
    v.entry("priority".into())
        .or_insert_with(|| "normal".into());
    let partners = if staff {
        v.entry("via".into()).or_insert_with(|| "phone".into());
        match liaison_app::partner::list(
            &state.db,
            &s.actor,
            &Default::default(),
            Default::default(),
            None,
            500,
        )
        .await
        {
            Ok(page) => page.items,
            Err(liaison_app::Error::Forbidden) => Vec::new(),
            Err(e) => return Err(e.into()),
        }
    } else {
        Vec::new()
    };
    let mut r = render(
        state,
        headers,
        Some(s),
        if staff {
            "ticket/new.html"
        } else {
            "ticket/portal_new.html"
        },
        ctx! {
            nav => "tickets",
            v => v,
            kinds => kinds(),
            priorities => priorities(),
            vias => ["phone", "email", "console"],
            products => products,
            partners => partners,
            errors => form_errors(errors),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

fn ticket_input(form: &Pairs) -> TicketInput {
    let opt = |k: &str| Some(form.get(k).unwrap_or("").to_string());
    TicketInput {
        kind: Some(form.text("kind")).filter(|k| !k.is_empty()),
        priority: Some(form.text("priority")),
        subject: opt("subject"),
        description: opt("description"),
        // A product not chosen is none; a value that is not an id cannot be one it may see.
        product_id: match form.text("product_id").as_str() {
            "" => None,
            v => Some(Uuid::parse_str(v).unwrap_or(Uuid::nil())),
        },
        product_text: opt("product_text"),
        partner_id: None,
        classification: None,
        via: None,
    }
}

async fn console_create(Page(state, headers, s): Page, mp: Multipart) -> PageResult {
    s.require(Permission::WorkTickets)?;
    let (form, files) = super::multipart_form(&s, mp, "files").await?;
    let mut input = ticket_input(&form);
    input.via = Some(form.text("via")).filter(|v| !v.is_empty());
    let code = form.text("partner_id");
    let mut bad = FieldErrors::new();
    match code.as_str() {
        "" => bad.required("partner_id"),
        c => match liaison_db::partner::resolve_partner_ref(&state.db, c).await? {
            Some(p) => input.partner_id = Some(p),
            None => bad.add(
                "partner_id",
                Msg::new("validate.no_partner").arg("value", c),
            ),
        },
    }
    let result = if bad.is_empty() {
        app::create(&state.db, &s.actor, &input, files, TicketVia::Console).await
    } else {
        Err(liaison_app::Error::Invalid(bad))
    };
    match result {
        Ok(t) => Ok(Redirect::to(&format!("/console/tickets/{}?saved=1", t.id)).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            new_page(&state, &headers, &s, typed(&form), Some(&files_as_one(e))).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn portal_new(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let mut v = HashMap::new();
    v.insert("product_id".to_string(), p.text("product"));
    new_page(&state, &headers, &s, v, None).await
}

async fn portal_create(Page(state, headers, s): Page, mp: Multipart) -> PageResult {
    let (form, files) = super::multipart_form(&s, mp, "files").await?;
    let input = ticket_input(&form);
    match app::create(&state.db, &s.actor, &input, files, TicketVia::Portal).await {
        Ok(t) => Ok(Redirect::to(&format!("/portal/tickets/{}?saved=1", t.id)).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            new_page(&state, &headers, &s, typed(&form), Some(&files_as_one(e))).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// One ticket

/// A timeline entry as the page shows it.
#[derive(Serialize)]
struct EventView<'a> {
    e: &'a Event,
    /// What happened, in the page's language.
    what: String,
    /// The ticket another one was merged into or from.
    link: Option<String>,
    body_html: Option<String>,
    files: Vec<&'a TicketFile>,
    score: Option<i64>,
}

/// A root cause's name in `lang` (its code when the taxonomy no longer has it).
fn cause_name(lang: Lang, causes: &[RootCause], code: &str) -> String {
    match causes.iter().find(|c| c.code == code) {
        Some(c) if lang == Lang::En && !c.name_en.is_empty() => c.name_en.clone(),
        Some(c) => c.name_zh.clone(),
        None => code.to_string(),
    }
}

/// The labels the timeline needs: people's and departments' names, and the causes.
struct Names {
    people: HashMap<Uuid, String>,
    departments: HashMap<Uuid, String>,
    causes: Vec<RootCause>,
}

fn event_views<'a>(
    lang: Lang,
    events: &'a [Event],
    files: &'a [TicketFile],
    names: &Names,
    base: &str,
) -> Vec<EventView<'a>> {
    let text =
        |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let id_of = |v: &serde_json::Value, k: &str| text(v, k).and_then(|s| Uuid::parse_str(&s).ok());
    let dash = || "—".to_string();
    events
        .iter()
        .map(|e| {
            let d = &e.detail;
            let mut link = None;
            let what = match e.kind {
                EventKind::Created => {
                    let via = e.via.map_or("portal", |v| v.as_str());
                    tr(
                        lang,
                        "ticket_page.ev.created",
                        &[("via", t(lang, &format!("ticket.via.{via}")).to_string())],
                    )
                }
                EventKind::Reply if e.from_partner => {
                    t(lang, "ticket_page.ev.partner_reply").into()
                }
                EventKind::Reply
                    if d.get("waiting_partner").and_then(|w| w.as_bool()) == Some(true) =>
                {
                    t(lang, "ticket_page.ev.reply_wait").into()
                }
                EventKind::Reply => t(lang, "ticket_page.ev.reply").into(),
                EventKind::Note => t(lang, "ticket_page.ev.note").into(),
                EventKind::State => match text(d, "to").as_deref() {
                    Some("resolved") => tr(
                        lang,
                        "ticket_page.ev.resolved",
                        &[(
                            "cause",
                            text(d, "root_cause")
                                .map(|c| cause_name(lang, &names.causes, &c))
                                .unwrap_or_else(dash),
                        )],
                    ),
                    Some("closed") if d.get("auto").is_some() => {
                        t(lang, "ticket_page.ev.auto_closed").into()
                    }
                    Some(to) => tr(
                        lang,
                        "ticket_page.ev.state",
                        &[("state", t(lang, &format!("ticket.state.{to}")).to_string())],
                    ),
                    None => t(lang, "ticket_page.ev.changed").into(),
                },
                EventKind::Assign => tr(
                    lang,
                    "ticket_page.ev.assign",
                    &[
                        (
                            "person",
                            id_of(d, "assignee_id")
                                .and_then(|u| names.people.get(&u).cloned())
                                .unwrap_or_else(dash),
                        ),
                        (
                            "department",
                            id_of(d, "department_id")
                                .and_then(|u| names.departments.get(&u).cloned())
                                .unwrap_or_else(dash),
                        ),
                        (
                            "priority",
                            text(d, "priority")
                                .map(|p| t(lang, &format!("ticket.priority.{p}")).to_string())
                                .unwrap_or_else(dash),
                        ),
                    ],
                ),
                EventKind::Merge => {
                    let subject = text(d, "subject").unwrap_or_default();
                    if let Some(into) = id_of(d, "into") {
                        link = Some(format!("{base}/{into}"));
                        tr(lang, "ticket_page.ev.merged_into", &[("subject", subject)])
                    } else {
                        link = id_of(d, "from").map(|f| format!("{base}/{f}"));
                        tr(lang, "ticket_page.ev.merged_from", &[("subject", subject)])
                    }
                }
                EventKind::Rating => t(lang, "ticket_page.ev.rating").into(),
                EventKind::Breach => tr(
                    lang,
                    "ticket_page.ev.breach",
                    &[(
                        "clock",
                        text(d, "clock")
                            .map(|c| t(lang, &format!("ticket.clock.{c}")).to_string())
                            .unwrap_or_else(dash),
                    )],
                ),
                EventKind::Reopen => t(lang, "ticket_page.ev.reopen").into(),
            };
            EventView {
                e,
                what,
                link,
                body_html: e.body.as_deref().map(body_html).filter(|h| !h.is_empty()),
                files: files.iter().filter(|f| f.event_id == Some(e.id)).collect(),
                score: (e.kind == EventKind::Rating)
                    .then(|| d.get("score").and_then(|s| s.as_i64()))
                    .flatten(),
            }
        })
        .collect()
}

/// One SLA clock on the console's page.
#[derive(Serialize)]
struct ClockView {
    clock: &'static str,
    due: Option<DateTime<Utc>>,
    left_text: String,
    overdue: bool,
    /// When the clock ran out, if it did.
    breached: Option<DateTime<Utc>>,
    /// When it stopped (the first answer, the resolution).
    done_at: Option<DateTime<Utc>>,
    paused_since: Option<DateTime<Utc>>,
}

fn clock_views(lang: Lang, page: &app::TicketPage) -> Vec<ClockView> {
    let t = &page.ticket;
    [
        (
            SlaClock::FirstResponse,
            t.first_response_due_at,
            page.first_response_left,
            t.first_response_at,
            None,
        ),
        (
            SlaClock::Resolution,
            t.resolution_due_at,
            page.resolution_left,
            t.resolved_at,
            t.paused_at,
        ),
    ]
    .into_iter()
    .map(|(clock, due, left, done_at, paused)| ClockView {
        clock: clock.as_str(),
        due,
        left_text: left.map(|m| left_text(lang, m, false)).unwrap_or_default(),
        overdue: left.is_some_and(|m| m < 0),
        breached: t
            .breached
            .iter()
            .find(|b| b.clock == clock)
            .map(|b| b.due_at),
        done_at,
        paused_since: paused,
    })
    .collect()
}

/// A form of the ticket page shown again: which one, as typed, and what is wrong.
struct Posted<'a> {
    form: &'static str,
    values: HashMap<String, String>,
    errors: &'a FieldErrors,
}

async fn show_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    tid: Uuid,
    posted: Option<Posted<'_>>,
    saved: bool,
) -> PageResult {
    let page = app::page(&state.db, &s.actor, tid).await?;
    let partner = s.actor.is_partner();
    let base = if partner {
        "/portal/tickets"
    } else {
        "/console/tickets"
    };
    liaison_app::notify::seen(&state.db, &s.actor, &format!("{base}/{tid}")).await?;
    let lang = lang_of(headers, s);
    let causes = app::root_causes(&state.db, &s.actor).await?;
    let (people, departments, candidates) = if partner {
        (Vec::new(), Vec::new(), Vec::new())
    } else {
        let people: Vec<_> = liaison_db::user::list_users(&state.db)
            .await?
            .into_iter()
            .filter(|u| u.active && u.partner_id.is_none())
            .collect();
        let departments = liaison_app::user::departments(&state.db, &s.actor).await?;
        // Merging: the partner's other tickets still being worked.
        let filter = TicketFilter {
            partner: Some(page.ticket.partner_id),
            active: true,
            ..Default::default()
        };
        let candidates: Vec<Ticket> = app::list(&state.db, &s.actor, &filter, None, 50)
            .await?
            .into_iter()
            .filter(|x| x.id != tid)
            .collect();
        (people, departments, candidates)
    };
    let names = Names {
        people: people.iter().map(|u| (u.id, u.name.clone())).collect(),
        departments: departments
            .iter()
            .map(|d| {
                let name = match (&d.name_en, lang) {
                    (Some(en), Lang::En) if !en.is_empty() => en.clone(),
                    _ => d.name.clone(),
                };
                (d.id, name)
            })
            .collect(),
        causes,
    };
    let events = event_views(lang, &page.events, &page.files, &names, base);
    let t = &page.ticket;
    // §7.2.2: a title-only reader may ask; the ticket's owners keep its access list.
    let access = if t.classification.needs_nda() {
        liaison_app::access::panel(&state.db, &s.actor, ItemKind::Ticket, tid).await?
    } else {
        None
    };
    let watching = page.watchers.iter().any(|(u, _)| *u == s.user.id);
    let active_causes: Vec<_> = names
        .causes
        .iter()
        .filter(|c| c.active)
        .map(|c| ctx! { code => c.code, name => cause_name(lang, &names.causes, &c.code) })
        .collect();
    let (form, values, errors) = match &posted {
        Some(p) => (p.form, p.values.clone(), Some(p.errors)),
        None => ("", HashMap::new(), None),
    };
    let mut r = render(
        state,
        headers,
        Some(s),
        if partner {
            "ticket/portal_show.html"
        } else {
            "ticket/show.html"
        },
        ctx! {
            nav => "tickets",
            tk => t,
            description_html => body_html(&t.description),
            resolution_html => t.resolution.as_deref().map(body_html),
            root_cause => t.root_cause.as_deref().map(|c| cause_name(lang, &names.causes, c)),
            events => events,
            files => page.files,
            clocks => clock_views(lang, &page),
            watchers => page.watchers,
            watching => watching,
            may_reopen => page.may_reopen,
            people => people,
            departments => departments,
            causes => active_causes,
            candidates => candidates,
            priorities => priorities(),
            posted => form,
            v => values,
            errors => form_errors(errors),
            saved => saved,
            base => base,
            stars => [5, 4, 3, 2, 1],
            access => access,
            access_saved => saved,
        },
    );
    mark_invalid(&mut r, posted.is_some());
    Ok(r)
}

/// The ticket's page, in the console or the portal (`show_page` picks the template by who
/// asks).
async fn show(Page(state, headers, s): Page, Path(tid): Path<String>, q: Pairs) -> PageResult {
    show_page(
        &state,
        &headers,
        &s,
        id(&tid)?,
        None,
        q.get("saved").is_some(),
    )
    .await
}

/// After a change: the ticket again with its notice, or the form as typed with its errors.
async fn after(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    tid: Uuid,
    form: &'static str,
    typed_in: &Pairs,
    result: liaison_app::Result<Ticket>,
) -> PageResult {
    let base = if s.actor.is_partner() {
        "/portal/tickets"
    } else {
        "/console/tickets"
    };
    match result {
        Ok(t) => Ok(Redirect::to(&format!("{base}/{}?saved=1", t.id)).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            let e = files_as_one(e);
            let posted = Posted {
                form,
                values: typed(typed_in),
                errors: &e,
            };
            show_page(state, headers, s, tid, Some(posted), false).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn reply_to(
    state: AppState,
    headers: HeaderMap,
    s: Session,
    tid: String,
    mp: Multipart,
    via: TicketVia,
) -> PageResult {
    let tid: Uuid = id(&tid)?;
    let (form, files) = super::multipart_form(&s, mp, "files").await?;
    // Two buttons: the public reply and the internal note (a note never waits for anyone).
    let internal = form.get("action") == Some("note");
    let input = ReplyInput {
        body: Some(form.get("body").unwrap_or("").to_string()),
        internal,
        waiting_partner: !internal && checked(&form, "waiting_partner"),
    };
    let result = app::reply(&state.db, &s.actor, tid, &input, files, via).await;
    after(&state, &headers, &s, tid, "reply", &form, result).await
}

async fn console_reply(
    Page(state, headers, s): Page,
    Path(tid): Path<String>,
    mp: Multipart,
) -> PageResult {
    reply_to(state, headers, s, tid, mp, TicketVia::Console).await
}

async fn portal_reply(
    Page(state, headers, s): Page,
    Path(tid): Path<String>,
    mp: Multipart,
) -> PageResult {
    reply_to(state, headers, s, tid, mp, TicketVia::Portal).await
}

/// An id chosen in a select: none when empty; a tampered value is an id no one has.
fn chosen(p: &Pairs, k: &str) -> Option<Uuid> {
    match p.text(k).as_str() {
        "" => None,
        v => Some(Uuid::parse_str(v).unwrap_or(Uuid::nil())),
    }
}

async fn assign(
    Path(tid): Path<String>,
    PageForm(state, headers, s, form): PageForm,
) -> PageResult {
    let tid: Uuid = id(&tid)?;
    let input = AssignInput {
        assignee_id: chosen(&form, "assignee_id"),
        department_id: chosen(&form, "department_id"),
        priority: Some(form.text("priority")).filter(|p| !p.is_empty()),
    };
    let result = app::assign(&state.db, &s.actor, tid, &input).await;
    after(&state, &headers, &s, tid, "assign", &form, result).await
}

async fn resolve(
    Path(tid): Path<String>,
    PageForm(state, headers, s, form): PageForm,
) -> PageResult {
    let tid: Uuid = id(&tid)?;
    let input = ResolveInput {
        resolution: Some(form.get("resolution").unwrap_or("").to_string()),
        root_cause: Some(form.text("root_cause")),
    };
    let result = app::resolve(&state.db, &s.actor, tid, &input).await;
    after(&state, &headers, &s, tid, "resolve", &form, result).await
}

/// Merging into a ticket picked from the partner's open ones, or typed (its id or its link).
async fn merge(Path(tid): Path<String>, PageForm(state, headers, s, form): PageForm) -> PageResult {
    let tid: Uuid = id(&tid)?;
    let typed_id = form.text("into_id");
    let raw = if typed_id.is_empty() {
        form.text("into")
    } else {
        typed_id
    };
    let last = raw.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let result = match (raw.is_empty(), Uuid::parse_str(last)) {
        (true, _) => Err(liaison_app::Error::invalid(
            "into",
            Msg::new("validate.required"),
        )),
        (false, Err(_)) => Err(liaison_app::Error::invalid(
            "into",
            Msg::new("validate.invalid"),
        )),
        (false, Ok(into)) => app::merge(&state.db, &s.actor, tid, &MergeInput { into: Some(into) })
            .await
            .map(|_| into),
    };
    match result {
        // On to the ticket that survives, which now tells of the duplicate.
        Ok(into) => Ok(Redirect::to(&format!("/console/tickets/{into}?saved=1")).into_response()),
        Err(e) => after(&state, &headers, &s, tid, "merge", &form, Err(e)).await,
    }
}

async fn watch(Path(tid): Path<String>, PageForm(state, headers, s, form): PageForm) -> PageResult {
    let tid: Uuid = id(&tid)?;
    let result = app::watch(&state.db, &s.actor, tid).await;
    after(&state, &headers, &s, tid, "watch", &form, result).await
}

async fn reopen(
    state: AppState,
    headers: HeaderMap,
    s: Session,
    tid: String,
    form: Pairs,
) -> PageResult {
    let tid: Uuid = id(&tid)?;
    let input = ReopenInput {
        reason: Some(form.get("reason").unwrap_or("").to_string()),
    };
    let result = app::reopen(&state.db, &s.actor, tid, &input).await;
    after(&state, &headers, &s, tid, "reopen", &form, result).await
}

async fn console_reopen(
    Path(tid): Path<String>,
    PageForm(state, headers, s, form): PageForm,
) -> PageResult {
    reopen(state, headers, s, tid, form).await
}

async fn portal_reopen(
    Path(tid): Path<String>,
    PageForm(state, headers, s, form): PageForm,
) -> PageResult {
    reopen(state, headers, s, tid, form).await
}

/// §6.1.3: the partner confirms the resolution with 1 to 5 stars and a comment.
async fn rate(Path(tid): Path<String>, PageForm(state, headers, s, form): PageForm) -> PageResult {
    let tid: Uuid = id(&tid)?;
    let score = match form.text("score").as_str() {
        "" => None,
        // Not a number: out of the range, which the message states.
        v => Some(v.parse::<i64>().unwrap_or(0)),
    };
    let input = RateInput {
        score,
        comment: Some(form.get("comment").unwrap_or("").to_string()),
    };
    let result = app::rate(&state.db, &s.actor, tid, &input).await;
    after(&state, &headers, &s, tid, "rate", &form, result).await
}

/// A file of a ticket (pages use the session): one on an internal note is not found for a
/// partner, which the service decides.
async fn file(Page(state, _, s): Page, Path((tid, fid)): Path<(String, String)>) -> PageResult {
    let (meta, bytes) = app::file(&state.db, &s.actor, id(&tid)?, id(&fid)?).await?;
    Ok(crate::respond::named_file(
        &meta.filename,
        &meta.content_type,
        bytes,
    ))
}

// ---------------------------------------------------------------------------------------------
// The portal's list

/// `/portal/tickets` "我的问题": the partner's tickets, newest first, as cards.
async fn portal_list(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    if !s.actor.is_partner() {
        return Err(AppError::Forbidden.into());
    }
    let filter = TicketFilter {
        include_merged: true,
        ..Default::default()
    };
    let l = p.list(PAGE)?;
    let items = app::list(&state.db, &s.actor, &filter, l.id_cursor()?, l.limit).await?;
    let next = l.next(&items, |t| t.id.to_string());
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "ticket/portal_list.html",
        ctx! { nav => "tickets", items => items, next_cursor => next },
    ))
}

// ---------------------------------------------------------------------------------------------
// The root-cause report

/// One bar of a chart: its label, the value shown and the bar's length in the chart's units.
#[derive(Serialize)]
struct Bar {
    label: String,
    shown: String,
    width: f64,
}

/// A horizontal bar chart, drawn by `ticket/_bars.html` as inline SVG.
#[derive(Serialize)]
struct Chart {
    bars: Vec<Bar>,
    width: f64,
    height: i64,
}

/// The chart's drawing width (its `viewBox`); the longest bar leaves room for its value.
const CHART_W: f64 = 300.0;
const BAR_MAX: f64 = 240.0;
const _: () = assert!(BAR_MAX < CHART_W);

/// How many Chinese characters a label line holds (Latin letters and digits take about half).
const LABEL_EMS: f64 = 22.0;

/// A label cut to the drawing's width, with an ellipsis.
fn clip_label(label: &str, ems: f64) -> String {
    let width = |c: char| if c.is_ascii() { 0.55 } else { 1.0 };
    if label.chars().map(width).sum::<f64>() <= ems {
        return label.to_string();
    }
    let mut used = 1.0;
    let mut out = String::new();
    for c in label.chars() {
        used += width(c);
        if used > ems {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

fn chart(items: Vec<(String, f64, String)>) -> Chart {
    let max = items.iter().map(|i| i.1).fold(0.0_f64, f64::max);
    let bars: Vec<Bar> = items
        .into_iter()
        .map(|(label, value, shown)| {
            let label = clip_label(&label, LABEL_EMS);
            Bar {
                label,
                shown,
                width: if max > 0.0 {
                    ((value / max) * BAR_MAX).max(if value > 0.0 { 2.0 } else { 0.0 })
                } else {
                    0.0
                },
            }
        })
        .collect();
    Chart {
        width: CHART_W,
        height: bars.len() as i64 * 38 + 4,
        bars,
    }
}

fn count_chart(counts: &[liaison_db::tickets::Count], label: impl Fn(&str) -> String) -> Chart {
    chart(
        counts
            .iter()
            .map(|c| (label(&c.key), c.count as f64, c.count.to_string()))
            .collect(),
    )
}

/// A section of the report: its rows (label and count) and their chart.
#[derive(Serialize)]
struct Section {
    key: &'static str,
    rows: Vec<(String, i64)>,
    chart: Chart,
}

fn section(
    key: &'static str,
    counts: &[liaison_db::tickets::Count],
    label: impl Fn(&str) -> String,
) -> Section {
    Section {
        key,
        rows: counts.iter().map(|c| (label(&c.key), c.count)).collect(),
        chart: count_chart(counts, label),
    }
}

/// A day of the company's calendar as a date input shows it.
fn day_of(t: DateTime<Utc>) -> String {
    t.with_timezone(&liaison_core::calendar::COMPANY_ZONE)
        .format("%Y-%m-%d")
        .to_string()
}

fn percent(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// `/console/ticket-reports`: the root-cause report of a period (default the last 30 days),
/// with its charts and the downloads of the same figures.
async fn report(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    s.require(Permission::ReadTicketReports)?;
    let lang = lang_of(&headers, &s);
    let now = state.db.now();
    let (from, to, result) = match crate::extract::period(&p, now) {
        Ok((from, to)) => (from, to, app::report(&state.db, &s.actor, from, to).await),
        Err(AppError::Invalid(e)) => (
            now - Duration::days(30),
            now,
            Err(liaison_app::Error::Invalid(e)),
        ),
        Err(e) => return Err(e.into()),
    };
    let (report, errors) = match result {
        Ok(r) => (Some(r), None),
        Err(liaison_app::Error::Invalid(e)) => (None, Some(e)),
        Err(e) => return Err(e.into()),
    };
    let causes = app::root_causes(&state.db, &s.actor).await?;
    let none = |k: &str| t(lang, &format!("ticket_page.report.none_{k}")).to_string();
    let f_from = Some(p.text("from"))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| day_of(from));
    let f_to = Some(p.text("to"))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| day_of(to - Duration::seconds(1)));
    let view = report.as_ref().map(|r| {
        let cause = |k: &str| {
            if k.is_empty() {
                none("cause")
            } else {
                cause_name(lang, &causes, k)
            }
        };
        let or_none = |what: &'static str| {
            let none = none(what);
            move |k: &str| if k.is_empty() { none.clone() } else { k.to_string() }
        };
        let code = |prefix: &'static str| move |k: &str| t(lang, &format!("{prefix}.{k}")).to_string();
        let sections = vec![
            section("cause", &r.by_cause, cause),
            section("kind", &r.by_kind, code("ticket.kind")),
            section("priority", &r.by_priority, code("ticket.priority")),
            section("product", &r.by_product, or_none("product")),
            section("department", &r.by_department, or_none("department")),
            section("region", &r.by_region, or_none("region")),
        ];
        // The trend: the two periods before and this one, raised, and by cause.
        let mut periods: Vec<(String, i64)> = r
            .trend
            .iter()
            .map(|p| {
                (
                    format!("{} – {}", day_of(p.from), day_of(p.to - Duration::seconds(1))),
                    p.raised,
                )
            })
            .collect();
        periods.push((
            t(lang, "ticket_page.report.this_period").to_string(),
            r.totals.raised,
        ));
        let trend_chart = chart(
            periods
                .iter()
                .map(|(l, n)| (l.clone(), *n as f64, n.to_string()))
                .collect(),
        );
        let mut trend_causes: Vec<String> = r.by_cause.iter().map(|c| c.key.clone()).collect();
        for p in &r.trend {
            for c in &p.by_cause {
                if !trend_causes.contains(&c.key) {
                    trend_causes.push(c.key.clone());
                }
            }
        }
        let of = |list: &[liaison_db::tickets::Count], k: &str| {
            list.iter().find(|c| c.key == k).map_or(0, |c| c.count)
        };
        let trend_rows: Vec<(String, Vec<i64>)> = trend_causes
            .iter()
            .map(|k| {
                let mut n: Vec<i64> = r.trend.iter().map(|p| of(&p.by_cause, k)).collect();
                n.push(of(&r.by_cause, k));
                (cause(k), n)
            })
            .collect();
        let sla: Vec<_> = r
            .sla
            .iter()
            .map(|l| {
                let met = if l.tickets > 0 {
                    (l.tickets - l.breached) as f64 / l.tickets as f64
                } else {
                    1.0
                };
                ctx! {
                    department => or_none("department")(&l.department),
                    tickets => l.tickets, breached => l.breached,
                    first => l.first_response_breaches, resolution => l.resolution_breaches,
                    met => percent(met), met_value => met,
                }
            })
            .collect();
        let sla_chart = chart(
            r.sla
                .iter()
                .map(|l| {
                    let met = if l.tickets > 0 {
                        (l.tickets - l.breached) as f64 / l.tickets as f64
                    } else {
                        1.0
                    };
                    (or_none("department")(&l.department), met, percent(met))
                })
                .collect(),
        );
        let recurrences: Vec<_> = r
            .recurrences
            .iter()
            .map(|x| ctx! { product => x.product, cause => cause(&x.root_cause), tickets => x.tickets, first_at => x.first_at, last_at => x.last_at })
            .collect();
        ctx! {
            totals => r.totals,
            mean => r.satisfaction_mean.map(|m| format!("{m:.1}")),
            satisfied => r.satisfied_share.map(percent),
            sections => sections,
            periods => periods,
            trend_chart => trend_chart,
            trend_heads => periods.iter().map(|p| p.0.clone()).collect::<Vec<_>>(),
            trend_rows => trend_rows,
            sla => sla,
            sla_chart => sla_chart,
            recurrences => recurrences,
        }
    });
    let qs = serde_urlencoded::to_string([("from", f_from.as_str()), ("to", f_to.as_str())])
        .unwrap_or_default();
    let mut r = render(
        &state,
        &headers,
        Some(&s),
        "ticket/report.html",
        ctx! {
            nav => "tickets",
            r => view,
            f_from => f_from,
            f_to => f_to,
            qs => qs,
            errors => form_errors(errors.as_ref()),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

// ---------------------------------------------------------------------------------------------
// Settings (admins)

/// Minutes as people type them in hours: `4` (hours), `1.5`, or with a unit (`90 min`,
/// `2 h`, `30分钟`, `2小时`).
fn parse_minutes(v: &str) -> Result<i64, Msg> {
    let s = v.trim().to_lowercase();
    let (number, per) = ["分钟", "分", "minutes", "minute", "mins", "min", "m"]
        .iter()
        .find_map(|u| s.strip_suffix(u).map(|n| (n.trim().to_string(), 1.0)))
        .or_else(|| {
            ["小时", "hours", "hour", "hrs", "hr", "h"]
                .iter()
                .find_map(|u| s.strip_suffix(u).map(|n| (n.trim().to_string(), 60.0)))
        })
        .unwrap_or((s.clone(), 60.0));
    match number.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok((n * per).round() as i64),
        _ => Err(Msg::new("validate.number")),
    }
}

/// Minutes shown as hours: whole and quarter hours as a number, anything else in minutes.
fn hours_text(lang: Lang, minutes: i64) -> String {
    if minutes % 60 == 0 {
        (minutes / 60).to_string()
    } else if minutes % 15 == 0 {
        format!("{}", minutes as f64 / 60.0)
    } else {
        tr(
            lang,
            "ticket_page.settings.minutes_value",
            &[("m", minutes.to_string())],
        )
    }
}

/// The settings form's values: as stored, or as typed.
#[derive(Serialize, Default)]
struct SettingsForm {
    /// Per priority: the first-response and resolution targets as typed (hours).
    sla: Vec<(String, String, String)>,
    auto_close_days: String,
    reopen_days: String,
    warn_minutes: String,
}

/// A routing rule's row as the form shows it.
#[derive(Serialize, Default, Clone)]
struct RouteRow {
    kind: String,
    product_category: String,
    region: String,
    department_id: String,
    assignee_id: String,
    remove: bool,
}

/// A cause's form shown again: which (`new` or the code) and as typed.
struct CauseForm<'a> {
    which: String,
    values: HashMap<String, String>,
    errors: &'a FieldErrors,
}

/// What the settings page shows again after a failed save.
#[derive(Default)]
struct SettingsAgain<'a> {
    settings: Option<(SettingsForm, &'a FieldErrors)>,
    routes: Option<(Vec<RouteRow>, &'a FieldErrors)>,
    cause: Option<CauseForm<'a>>,
}

async fn settings_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    again: SettingsAgain<'_>,
    saved: Option<String>,
    blank_rows: usize,
) -> PageResult {
    s.require(Permission::ManageTickets)?;
    let lang = lang_of(headers, s);
    let current = app::settings(&state.db, &s.actor).await?;
    let settings_errors = again.settings.as_ref().map(|(_, e)| *e);
    let form = match again.settings {
        Some((f, _)) => f,
        None => SettingsForm {
            sla: TicketPriority::ALL
                .iter()
                .map(|p| {
                    let target = current.target(*p);
                    (
                        p.as_str().to_string(),
                        hours_text(lang, target.first_response_minutes),
                        hours_text(lang, target.resolution_minutes),
                    )
                })
                .collect(),
            auto_close_days: current.auto_close_days.to_string(),
            reopen_days: current.reopen_days.to_string(),
            warn_minutes: current.warn_minutes.to_string(),
        },
    };
    let routes_errors = again.routes.as_ref().map(|(_, e)| *e);
    let mut rows = match again.routes {
        Some((rows, _)) => rows,
        None => app::routes(&state.db, &s.actor)
            .await?
            .into_iter()
            .map(|r| RouteRow {
                kind: r.kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
                product_category: r.product_category.unwrap_or_default(),
                region: r.region.unwrap_or_default(),
                department_id: r.department_id.to_string(),
                assignee_id: r.assignee_id.map(|a| a.to_string()).unwrap_or_default(),
                remove: false,
            })
            .collect(),
    };
    rows.extend(std::iter::repeat_n(
        RouteRow::default(),
        blank_rows.clamp(1, 20),
    ));
    let causes = app::root_causes(&state.db, &s.actor).await?;
    let people: Vec<_> = liaison_db::user::list_users(&state.db)
        .await?
        .into_iter()
        .filter(|u| u.active && u.partner_id.is_none())
        .collect();
    let departments = liaison_app::user::departments(&state.db, &s.actor).await?;
    let categories = liaison_app::product::categories(&state.db, &s.actor).await?;
    let (cause_which, cause_values, cause_errors) = match &again.cause {
        Some(c) => (c.which.clone(), c.values.clone(), Some(c.errors)),
        None => (String::new(), HashMap::new(), None),
    };
    let invalid = settings_errors.is_some() || routes_errors.is_some() || cause_errors.is_some();
    let mut r = render(
        state,
        headers,
        Some(s),
        "ticket/settings.html",
        ctx! {
            nav => "ticket_settings",
            f => form,
            rows => rows,
            row_count => rows.len(),
            kinds => kinds(),
            causes => causes,
            people => people,
            departments => departments,
            categories => categories,
            saved => saved,
            errors => form_errors(settings_errors),
            route_errors => form_errors(routes_errors),
            cause_which => cause_which,
            cv => cause_values,
            cause_errors => form_errors(cause_errors),
        },
    );
    mark_invalid(&mut r, invalid);
    Ok(r)
}

fn saved_part(p: &Pairs) -> Option<String> {
    p.get("saved")
        .filter(|v| matches!(*v, "settings" | "routes" | "causes"))
        .map(str::to_string)
}

async fn settings_show(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let blank = p.text("rows").parse::<usize>().unwrap_or(1);
    settings_page(
        &state,
        &headers,
        &s,
        SettingsAgain::default(),
        saved_part(&p),
        blank,
    )
    .await
}

async fn settings_save(PageForm(state, headers, s, p): PageForm) -> PageResult {
    s.require(Permission::ManageTickets)?;
    let mut e = FieldErrors::new();
    let mut sla = std::collections::BTreeMap::new();
    let mut typed_sla = Vec::new();
    for pr in TicketPriority::ALL {
        let code = pr.as_str();
        let first = p.text(&format!("first_{code}"));
        let resolution = p.text(&format!("resolution_{code}"));
        let f = e.take(
            &format!("sla.{code}.first_response_minutes"),
            parse_minutes(&first),
        );
        let r = e.take(
            &format!("sla.{code}.resolution_minutes"),
            parse_minutes(&resolution),
        );
        if let (Some(f), Some(r)) = (f, r) {
            sla.insert(
                code.to_string(),
                SlaTarget {
                    first_response_minutes: f,
                    resolution_minutes: r,
                },
            );
        }
        typed_sla.push((code.to_string(), first, resolution));
    }
    let whole = |k: &str, e: &mut FieldErrors| -> i64 {
        match p.text(k).parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                e.add(k, Msg::new("validate.whole_number"));
                0
            }
        }
    };
    let settings = TicketSettings {
        sla,
        auto_close_days: whole("auto_close_days", &mut e),
        reopen_days: whole("reopen_days", &mut e),
        warn_minutes: whole("warn_minutes", &mut e),
    };
    let form = SettingsForm {
        sla: typed_sla,
        auto_close_days: p.text("auto_close_days"),
        reopen_days: p.text("reopen_days"),
        warn_minutes: p.text("warn_minutes"),
    };
    let result = if e.is_empty() {
        app::update_settings(&state.db, &s.actor, &settings).await
    } else {
        Err(liaison_app::Error::Invalid(e))
    };
    match result {
        Ok(_) => Ok(Redirect::to("/console/settings/tickets?saved=settings").into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            let again = SettingsAgain {
                settings: Some((form, &e)),
                ..Default::default()
            };
            settings_page(&state, &headers, &s, again, None, 1).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Saves the routing rules: every row of the form in order, without the rows marked for
/// removal and the empty new ones. Errors name the form's row (`rules[3].department_id`).
async fn routes_save(PageForm(state, headers, s, p): PageForm) -> PageResult {
    s.require(Permission::ManageTickets)?;
    let count = p.text("rows").parse::<usize>().unwrap_or(0).min(250);
    let mut rows = Vec::new();
    let mut input = Vec::new();
    // The form's row of each rule sent.
    let mut row_of = Vec::new();
    for i in 0..count {
        let f = |k: &str| p.text(&format!("rules[{i}].{k}"));
        let row = RouteRow {
            kind: f("kind"),
            product_category: f("product_category"),
            region: f("region"),
            department_id: f("department_id"),
            assignee_id: f("assignee_id"),
            remove: checked(&p, &format!("rules[{i}].remove")),
        };
        let empty = row.kind.is_empty()
            && row.product_category.is_empty()
            && row.region.is_empty()
            && row.department_id.is_empty()
            && row.assignee_id.is_empty();
        if !row.remove && !empty {
            let id = |v: &str| match v {
                "" => None,
                v => Some(Uuid::parse_str(v).unwrap_or(Uuid::nil())),
            };
            input.push(RouteInput {
                kind: Some(row.kind.clone()),
                product_category: Some(row.product_category.clone()),
                region: Some(row.region.clone()),
                department_id: id(&row.department_id),
                assignee_id: id(&row.assignee_id),
            });
            row_of.push(i);
        }
        rows.push(row);
    }
    match app::update_routes(&state.db, &s.actor, &input).await {
        Ok(_) => Ok(Redirect::to("/console/settings/tickets?saved=routes#routes").into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            let mut mapped = FieldErrors::new();
            for f in e.0 {
                let field = f
                    .field
                    .strip_prefix("rules[")
                    .and_then(|rest| rest.split_once(']'))
                    .and_then(|(n, rest)| {
                        let n: usize = n.parse().ok()?;
                        Some(format!("rules[{}]{rest}", row_of.get(n)?))
                    })
                    .unwrap_or(f.field);
                mapped.add(field, f.msg);
            }
            // The form shows its rows as typed; no extra empty one.
            let again = SettingsAgain {
                routes: Some((rows, &mapped)),
                ..Default::default()
            };
            settings_page(&state, &headers, &s, again, None, 0).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Adds a root cause, or renames or retires one (the taxonomy keeps every code: resolved
/// tickets name them).
async fn cause_save(PageForm(state, headers, s, p): PageForm) -> PageResult {
    s.require(Permission::ManageTickets)?;
    let which = p.text("which");
    let input = RootCauseInput {
        code: Some(if which == "new" {
            p.text("code")
        } else {
            which.clone()
        }),
        name: Some(p.text("name")),
        name_en: Some(p.text("name_en")),
        active: Some(which == "new" || checked(&p, "active")),
    };
    match app::save_root_cause(&state.db, &s.actor, &input).await {
        Ok(_) => Ok(Redirect::to("/console/settings/tickets?saved=causes#causes").into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            let again = SettingsAgain {
                cause: Some(CauseForm {
                    which,
                    values: typed(&p),
                    errors: &e,
                }),
                ..Default::default()
            };
            settings_page(&state, &headers, &s, again, None, 1).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sla_targets_are_typed_in_hours_or_with_a_unit() {
        assert_eq!(parse_minutes("4"), Ok(240));
        assert_eq!(parse_minutes("1.5"), Ok(90));
        assert_eq!(parse_minutes(" 90 min"), Ok(90));
        assert_eq!(parse_minutes("30分钟"), Ok(30));
        assert_eq!(parse_minutes("2小时"), Ok(120));
        assert_eq!(parse_minutes("2 h"), Ok(120));
        assert!(parse_minutes("soon").is_err());
        assert!(parse_minutes("").is_err());
        assert_eq!(hours_text(Lang::En, 240), "4");
        assert_eq!(hours_text(Lang::En, 90), "1.5");
        assert_eq!(parse_minutes(&hours_text(Lang::En, 100)), Ok(100));
        assert_eq!(parse_minutes(&hours_text(Lang::ZhCn, 100)), Ok(100));
    }

    #[test]
    fn time_left_reads_in_hours_and_minutes() {
        assert_eq!(left_text(Lang::En, 130, true), "2 h 10 min left");
        assert_eq!(left_text(Lang::En, -35, true), "overdue 35 min");
        assert_eq!(
            left_text(Lang::En, 3 * 24 * 60 + 4 * 60, true),
            "3 d 4 h left"
        );
        assert_eq!(left_text(Lang::En, 27 * 60, false), "27 h 0 min left");
        assert!(left_text(Lang::ZhCn, 130, true).contains("2 小时 10 分钟"));
    }

    #[test]
    fn charts_scale_to_the_largest_value() {
        let c = chart(vec![
            ("产品缺陷".into(), 10.0, "10".into()),
            ("物流".into(), 5.0, "5".into()),
            ("其他".into(), 0.0, "0".into()),
        ]);
        assert_eq!(c.bars[0].width, BAR_MAX);
        assert_eq!(c.bars[1].width, BAR_MAX / 2.0);
        assert_eq!(c.bars[2].width, 0.0);
        assert_eq!(c.height, 3 * 38 + 4);
        assert_eq!(
            clip_label("2026-09-06 – 2026-10-06", LABEL_EMS),
            "2026-09-06 – 2026-10-06"
        );
        let long = clip_label(&"变频器".repeat(10), LABEL_EMS);
        assert!(long.ends_with('…') && long.chars().count() <= 22, "{long}");
    }
}
