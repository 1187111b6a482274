//! Console pages of the communication loop (policy §4.1-§4.3, §6.1.2; SPEC B1-B3, B5): the
//! Channel Communication Request Form, the request with its review chain and history, the
//! reviewer's decision, and after dispatch the receipts board with its exports.

use super::PageResult;
use super::ctx;
use super::{Page, PageForm};
use super::{body_html, form_errors, mark_invalid, render, viewer_zone};
use crate::auth::Session;
use crate::extract::Pairs;
use crate::{AppError, AppResult, AppState};
use axum::Router;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use liaison_app::request as app;
use liaison_core::partner::Channel;
use liaison_core::request::{Audience, RequestInput};
use liaison_core::review::{
    self, Category, Classification, Decision, DecisionContext, Importance, Urgency,
};
use liaison_core::validate::Msg;
use liaison_core::{FieldErrors, Permission, Scope};
use liaison_db::DbError;
use liaison_db::request::{self as repo, Request, RequestView};
use minijinja::Value;
use serde::Serialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/requests", get(list).post(create))
        .route("/console/requests/new", get(new_form))
        .route("/console/requests/{id}", get(show).post(update))
        .route("/console/requests/{id}/edit", get(edit_form))
        .route("/console/requests/{id}/submit", post(submit))
        .route("/console/requests/{id}/withdraw", post(withdraw))
        .route("/console/requests/{id}/review", post(review))
        .route("/console/requests/{id}/export", get(export))
        .route("/console/requests/{id}/remind", post(remind))
        .route("/console/requests/{id}/retry", post(retry))
}

/// How many receipts one page of the board shows.
const RECEIPTS_PAGE: i64 = 200;

/// A request the caller may read, by the id in its path.
async fn load(state: &AppState, s: &Session, id: &str) -> AppResult<Request> {
    Ok(app::load(&state.db, &s.actor, crate::extract::id(id)?).await?)
}

fn names<T: Copy>(all: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| f(*v)).collect()
}

// ---------------------------------------------------------------------------------------------
// The form

/// The form as the page shows it: text as typed, times as `datetime-local` values in
/// Asia/Shanghai, partners as codes.
#[derive(Debug, Clone, Default, Serialize)]
struct FormView {
    title: String,
    purpose: String,
    body: String,
    category: String,
    channels: Vec<String>,
    partners: String,
    /// Every active partner (a policy for all, issue 11).
    audience_all: bool,
    segments: Vec<String>,
    importance: String,
    urgency: String,
    classification: String,
    ack_required: bool,
    ack_due_at: String,
    send_at: String,
    effective_at: String,
    change_reason: String,
    impact: String,
}

const TIME_FIELDS: [&str; 3] = ["ack_due_at", "send_at", "effective_at"];

fn local_input(t: Option<DateTime<Utc>>, zone: chrono_tz::Tz) -> String {
    t.map(|t| t.with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// A `datetime-local` value (`2027-01-01T09:00`, seconds optional) read in the viewer's zone.
fn parse_local(v: &str, zone: chrono_tz::Tz) -> Result<Option<DateTime<Utc>>, Msg> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let naive = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M"))
        .map_err(|_| Msg::new("validate.datetime"))?;
    zone.from_local_datetime(&naive)
        .single()
        .map(|t| Some(t.with_timezone(&Utc)))
        .ok_or_else(|| Msg::new("validate.datetime"))
}

impl FormView {
    fn defaults() -> Self {
        Self {
            category: "product".into(),
            importance: "normal".into(),
            urgency: "normal".into(),
            classification: "internal".into(),
            ..Default::default()
        }
    }

    fn from_pairs(p: &Pairs) -> Self {
        let text = |k: &str| p.get(k).unwrap_or("").to_string();
        let trimmed = |k: &str| p.get(k).unwrap_or("").trim().to_string();
        Self {
            title: trimmed("title"),
            purpose: text("purpose"),
            body: text("body"),
            category: trimmed("category"),
            channels: p.all("channels"),
            partners: trimmed("partners"),
            audience_all: matches!(p.get("audience_all"), Some("true" | "on" | "1")),
            segments: p.all("segments"),
            importance: trimmed("importance"),
            urgency: trimmed("urgency"),
            classification: trimmed("classification"),
            ack_required: matches!(p.get("ack_required"), Some("true" | "on" | "1")),
            ack_due_at: trimmed("ack_due_at"),
            send_at: trimmed("send_at"),
            effective_at: trimmed("effective_at"),
            change_reason: text("change_reason"),
            impact: text("impact"),
        }
    }

    async fn from_request(state: &AppState, r: &Request, zone: chrono_tz::Tz) -> AppResult<Self> {
        let f = &r.form;
        let audience = f.audience.clone().unwrap_or_default();
        let codes = partner_codes(state, &audience.partners, usize::MAX).await?;
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        Ok(Self {
            title: s(&f.title),
            purpose: s(&f.purpose),
            body: s(&f.body),
            category: s(&f.category),
            channels: f.channels.clone().unwrap_or_default(),
            partners: codes.join(", "),
            audience_all: audience.all,
            segments: audience.segments.iter().map(Uuid::to_string).collect(),
            importance: s(&f.importance),
            urgency: s(&f.urgency),
            classification: s(&f.classification),
            ack_required: f.ack_required.unwrap_or(false),
            ack_due_at: local_input(f.ack_due_at, zone),
            send_at: local_input(f.send_at, zone),
            effective_at: local_input(f.effective_at, zone),
            change_reason: s(&f.change_reason),
            impact: s(&f.impact),
        })
    }

    /// The typed input, and what could not be read: unknown partner codes, bad times.
    async fn to_input(
        &self,
        state: &AppState,
        keep_contacts: Vec<Uuid>,
        zone: chrono_tz::Tz,
    ) -> AppResult<(RequestInput, FieldErrors)> {
        let (partners, mut e) =
            app::resolve_partner_codes(&state.db, "partners", &self.partners).await?;
        let mut segments = Vec::new();
        for sid in &self.segments {
            match Uuid::parse_str(sid) {
                Ok(id) => segments.push(id),
                Err(_) => e.add("segments", Msg::new("validate.no_segment")),
            }
        }
        let mut times = [None; 3];
        for (slot, (name, value)) in times.iter_mut().zip(TIME_FIELDS.iter().zip([
            &self.ack_due_at,
            &self.send_at,
            &self.effective_at,
        ])) {
            *slot = e.take(name, parse_local(value, zone)).flatten();
        }
        let [ack_due_at, send_at, effective_at] = times;
        let text = |v: &String| Some(v.clone());
        let input = RequestInput {
            title: text(&self.title),
            purpose: text(&self.purpose),
            body: text(&self.body),
            category: text(&self.category),
            channels: Some(self.channels.clone()),
            audience: Some(Audience {
                all: self.audience_all,
                partners,
                segments,
                contacts: keep_contacts,
            }),
            importance: text(&self.importance),
            urgency: text(&self.urgency),
            classification: text(&self.classification),
            ack_required: Some(self.ack_required),
            ack_due_at,
            send_at,
            effective_at,
            change_reason: text(&self.change_reason),
            impact: text(&self.impact),
            corrects: None,
        };
        Ok((input, e))
    }
}

/// Codes of the partners with these ids (at most `max`), in order.
async fn partner_codes(state: &AppState, ids: &[Uuid], max: usize) -> AppResult<Vec<String>> {
    let mut out = Vec::new();
    for id in ids.iter().take(max) {
        match liaison_db::partner::find_partner(&state.db, Scope::All, *id).await {
            Ok(p) => out.push(p.code),
            Err(DbError::NotFound) => out.push(id.to_string()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

async fn form_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    request: Option<&Request>,
    f: &FormView,
    errors: Option<&FieldErrors>,
) -> PageResult {
    // Each segment with how many partners it reaches now (issue 9).
    let segments: Vec<_> = liaison_app::segment::list_with_members(&state.db, &s.actor)
        .await?
        .into_iter()
        .map(|(g, n)| ctx! { id => g.id, name => g.name, members => n })
        .collect();
    let channels: Vec<&str> = Channel::ALL
        .iter()
        .filter(|c| **c != Channel::Portal)
        .map(|c| c.as_str())
        .collect();
    let mut r = render(
        state,
        headers,
        Some(s),
        "request/form.html",
        ctx! {
            nav => "requests",
            request_id => request.map(|r| r.id),
            version => request.map(|r| r.version),
            f => f,
            categories => names(Category::ALL, Category::as_str),
            importances => names(Importance::ALL, Importance::as_str),
            urgencies => names(Urgency::ALL, Urgency::as_str),
            classifications => names(Classification::ALL, Classification::as_str),
            channels => channels,
            segments => segments,
            errors => form_errors(errors),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

async fn new_form(Page(state, headers, s): Page) -> PageResult {
    s.require(Permission::CreateRequests)?;
    form_page(&state, &headers, &s, None, &FormView::defaults(), None).await
}

async fn edit_form(Page(state, headers, s): Page, Path(id): Path<String>) -> PageResult {
    let r = load(&state, &s, &id).await?;
    if r.requester_id != s.user.id {
        return Err(AppError::Forbidden.into());
    }
    if !r.state.editable() {
        return Ok(Redirect::to(&format!("/console/requests/{}", r.id)).into_response());
    }
    let f = FormView::from_request(&state, &r, viewer_zone(&state, Some(&s.user))).await?;
    form_page(&state, &headers, &s, Some(&r), &f, None).await
}

/// Everything wrong with the form at once: what could not be read (unknown partner codes, bad
/// times) and the form's own checks, those of a submission when "Save and submit" was pressed
/// (an empty form names title, purpose, body and audience together).
async fn all_errors(
    state: &AppState,
    p: &Pairs,
    input: &RequestInput,
    read: FieldErrors,
) -> AppResult<FieldErrors> {
    let submitting = p.get("then") == Some("submit");
    Ok(app::check(&state.db, input, submitting, read).await?)
}

/// After saving: "Save and submit" submits the draft at once; a submission the form does not
/// pass comes back as the edit form of the saved draft, with the reasons.
async fn then_submit(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    p: &Pairs,
    saved: Request,
    f: &FormView,
) -> PageResult {
    if p.get("then") != Some("submit") {
        return Ok(Redirect::to(&format!("/console/requests/{}", saved.id)).into_response());
    }
    match app::submit(&state.db, &s.actor, saved.id.into()).await {
        Ok(r) => Ok(Redirect::to(&format!("/console/requests/{}", r.id)).into_response()),
        Err(app::Error::Invalid(e)) => {
            form_page(state, headers, s, Some(&saved), f, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn create(PageForm(state, headers, s, p): PageForm) -> PageResult {
    s.require(Permission::CreateRequests)?;
    let f = FormView::from_pairs(&p);
    let (input, read) = f
        .to_input(&state, Vec::new(), viewer_zone(&state, Some(&s.user)))
        .await?;
    let e = all_errors(&state, &p, &input, read).await?;
    if !e.is_empty() {
        return form_page(&state, &headers, &s, None, &f, Some(&e)).await;
    }
    match app::create(&state.db, &s.actor, &input).await {
        Ok(r) => then_submit(&state, &headers, &s, &p, r, &f).await,
        Err(app::Error::Invalid(e)) => form_page(&state, &headers, &s, None, &f, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}

async fn update(Path(id): Path<String>, PageForm(state, headers, s, p): PageForm) -> PageResult {
    let current = load(&state, &s, &id).await?;
    let f = FormView::from_pairs(&p);
    // Contacts addressed through the API are not on the form: keep them.
    let contacts = current
        .form
        .audience
        .as_ref()
        .map(|a| a.contacts.clone())
        .unwrap_or_default();
    let (input, read) = f
        .to_input(&state, contacts, viewer_zone(&state, Some(&s.user)))
        .await?;
    let e = all_errors(&state, &p, &input, read).await?;
    if !e.is_empty() {
        return form_page(&state, &headers, &s, Some(&current), &f, Some(&e)).await;
    }
    let version = p.get("version").and_then(|v| v.parse::<i64>().ok());
    match app::update(&state.db, &s.actor, current.id.into(), input, version).await {
        Ok(r) => then_submit(&state, &headers, &s, &p, r, &f).await,
        Err(app::Error::Invalid(e)) => {
            form_page(&state, &headers, &s, Some(&current), &f, Some(&e)).await
        }
        Err(app::Error::Conflict(m)) => {
            let e = FieldErrors::single("version", m);
            form_page(&state, &headers, &s, Some(&current), &f, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Lists

async fn list(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    s.require(Permission::CreateRequests)?;
    let to_review = repo::list_requests(&state.db, &s.actor, RequestView::ToReview, None, 100)
        .await?
        .len();
    // With no tab chosen, a reviewer with requests waiting opens on them (issue 9).
    let chosen = match p.get("view").unwrap_or("") {
        "" if to_review > 0 => "to_review",
        v => v,
    };
    let (view, name) = match chosen {
        "to_review" => (RequestView::ToReview, "to_review"),
        "all" => {
            s.require(Permission::ReadAllRequests)?;
            (RequestView::All, "all")
        }
        _ => (RequestView::Mine, "mine"),
    };
    let before = p.get("before").and_then(|b| Uuid::parse_str(b).ok());
    const LIMIT: i64 = 50;
    let items = repo::list_requests(&state.db, &s.actor, view, before, LIMIT).await?;
    let next_before = (items.len() as i64 == LIMIT)
        .then(|| items.last().map(|r| r.id))
        .flatten();
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "request/list.html",
        ctx! {
            nav => "requests",
            view => name,
            items => items,
            next_before => next_before,
            to_review_count => to_review,
            can_read_all_requests => s.actor.can(Permission::ReadAllRequests),
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// One request

#[derive(Serialize)]
struct ChainStep {
    step: &'static str,
    /// approved | returned | rejected | current | waiting
    status: &'static str,
}

fn chain_view(r: &Request) -> Vec<ChainStep> {
    let current = r.state.step();
    r.chain
        .iter()
        .map(|step| {
            // Decisions of the latest submission only: a returned and resubmitted request
            // starts its chain again.
            let decided = r
                .reviews
                .iter()
                .filter(|v| v.step == step.as_str())
                .rfind(|v| r.submitted_at.is_none_or(|t| v.created_at >= t));
            let status = match decided.map(|v| v.decision.as_str()) {
                Some("approve") => "approved",
                Some("return") => "returned",
                Some("reject") => "rejected",
                _ if current == Some(*step) => "current",
                _ => "waiting",
            };
            ChainStep {
                step: step.as_str(),
                status,
            }
        })
        .collect()
}

async fn show_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    r: &Request,
    p: &Pairs,
    errors: Option<&FieldErrors>,
) -> PageResult {
    let is_requester = r.requester_id == s.user.id;
    // §7.2.2: a title-only reader may ask; the requester names who else may read it in full.
    let classified = matches!(
        r.form.classification.as_deref(),
        Some("confidential" | "secret")
    );
    let access = if classified {
        liaison_app::access::panel(
            &state.db,
            &s.actor,
            liaison_core::access::ItemKind::Request,
            r.id,
        )
        .await?
    } else {
        None
    };
    let can_decide = r.state.step().is_some_and(|step| {
        review::may_decide(
            &DecisionContext {
                actor: &s.actor,
                requester_id: r.requester_id,
                requester_department: r.department_id,
            },
            step,
        )
        .is_ok()
    });
    let audience = r.form.audience.clone().unwrap_or_default();
    const SHOWN: usize = 100;
    let partner_codes = partner_codes(state, &audience.partners, SHOWN).await?;
    let all_segments = liaison_app::segment::list_with_members(&state.db, &s.actor).await?;
    let segment_names: Vec<Value> = audience
        .segments
        .iter()
        .map(|id| match all_segments.iter().find(|(g, _)| g.id == *id) {
            Some((g, n)) => ctx! { name => g.name, members => n },
            None => ctx! { name => id.to_string() },
        })
        .collect();
    let attachments = if r.restricted {
        Vec::new()
    } else {
        liaison_db::attachment::list_attachments(&state.db, r.id).await?
    };
    // Who the audience reaches, and who lacks an NDA, while it can still change (issue 9).
    let coverage = if r.message_id.is_none() && (r.state.editable() || r.state.step().is_some()) {
        app::coverage(&state.db, &s.actor, r.id.into()).await?
    } else {
        None
    };
    liaison_app::notify::seen(&state.db, &s.actor, &format!("/console/requests/{}", r.id)).await?;
    let unconfirmed = p.get("unconfirmed") == Some("true");
    let (summary, deliveries, next_after) = match r.message_id {
        Some(m) => {
            let after = p.get("after").and_then(|a| Uuid::parse_str(a).ok());
            let rows =
                liaison_db::inbox::deliveries(&state.db, m, unconfirmed, after, RECEIPTS_PAGE)
                    .await?;
            let next = (rows.len() as i64 == RECEIPTS_PAGE)
                .then(|| rows.last().map(|d| d.id))
                .flatten();
            (
                Some(liaison_db::inbox::summary(&state.db, m).await?),
                rows,
                next,
            )
        }
        None => (None, Vec::new(), None),
    };
    // The board's actions (§4.4.1): the requester and channel management remind; channel
    // management sends failed and dead deliveries again. The handlers check again.
    let can_retry = s.actor.can(Permission::ManageDeliveries);
    let can_remind = r.form.ack_required.unwrap_or(false) && (is_requester || can_retry);
    let notice = match (
        p.get("done"),
        p.get("n").and_then(|n| n.parse::<u64>().ok()),
    ) {
        (Some(d @ ("reminded" | "retried")), Some(n)) => Some(ctx! { kind => d, n => n }),
        _ => None,
    };
    let mut resp = render(
        state,
        headers,
        Some(s),
        "request/show.html",
        ctx! {
            nav => "requests",
            r => r,
            body_html => Value::from_safe_string(body_html(r.form.body.as_deref().unwrap_or(""))),
            chain => chain_view(r),
            partner_codes => partner_codes,
            more_partners => audience.partners.len().saturating_sub(SHOWN),
            segment_names => segment_names,
            contact_count => audience.contacts.len(),
            attachments => attachments,
            is_requester => is_requester,
            can_edit => is_requester && r.state.editable(),
            can_withdraw => is_requester && (r.state.editable() || r.state.step().is_some()),
            can_decide => can_decide,
            summary => summary,
            coverage => coverage,
            can_write_nda => s.actor.can(Permission::WritePartners),
            deliveries => deliveries,
            next_after => next_after,
            unconfirmed => unconfirmed,
            can_remind => can_remind,
            can_retry => can_retry,
            notice => notice,
            errors => form_errors(errors),
            access => access,
            asked => p.get("asked").is_some(),
            access_saved => p.get("access_saved").is_some(),
        },
    );
    mark_invalid(&mut resp, errors.is_some());
    Ok(resp)
}

async fn show(Page(state, headers, s): Page, Path(id): Path<String>, p: Pairs) -> PageResult {
    let r = load(&state, &s, &id).await?;
    show_page(&state, &headers, &s, &r, &p, None).await
}

/// A state change from the request page: done, back to the page; refused with reasons, the
/// page again with them (422); not allowed, a 403 page.
async fn act<F>(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    r: &Request,
    result: F,
) -> PageResult
where
    F: Future<Output = Result<Request, app::Error>>,
{
    match result.await {
        Ok(r) => Ok(Redirect::to(&format!("/console/requests/{}", r.id)).into_response()),
        Err(app::Error::Invalid(e)) => {
            let fresh = app::load(&state.db, &s.actor, r.id.into()).await?;
            show_page(state, headers, s, &fresh, &Pairs(Vec::new()), Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn submit(Path(id): Path<String>, PageForm(state, headers, s, _): PageForm) -> PageResult {
    let r = load(&state, &s, &id).await?;
    act(
        &state,
        &headers,
        &s,
        &r,
        app::submit(&state.db, &s.actor, r.id.into()),
    )
    .await
}

async fn withdraw(Path(id): Path<String>, PageForm(state, headers, s, _): PageForm) -> PageResult {
    let r = load(&state, &s, &id).await?;
    act(
        &state,
        &headers,
        &s,
        &r,
        app::withdraw(&state.db, &s.actor, r.id.into()),
    )
    .await
}

/// Approve, return or reject the current step, with a comment (required for the last two).
async fn review(Path(id): Path<String>, PageForm(state, headers, s, p): PageForm) -> PageResult {
    let r = load(&state, &s, &id).await?;
    let decision = Decision::parse(p.get("decision").unwrap_or(""))
        .map_err(|m| AppError::invalid("decision", m))?;
    let comment = p.get("comment").unwrap_or("").to_string();
    let covered_only = p.get("send_to_covered_only") == Some("true");
    act(
        &state,
        &headers,
        &s,
        &r,
        app::decide_with(
            &state.db,
            &s.actor,
            r.id.into(),
            decision,
            &comment,
            covered_only,
        ),
    )
    .await
}

/// The receipts board as CSV (UTF-8 with BOM) or XLSX; `unconfirmed=true` lists only who has
/// not confirmed. Headings and values are in the page's language unless `labels=codes`. Every
/// export is recorded in the audit log.
async fn export(Page(state, headers, s): Page, Path(id): Path<String>, p: Pairs) -> PageResult {
    use liaison_app::import::{ExportFormat, Labels};
    let format = ExportFormat::parse(p.get("format"))?;
    let unconfirmed = p.get("unconfirmed") == Some("true");
    let lang = crate::auth::page_lang(&headers, Some(&s.user));
    let file = liaison_app::import::export_deliveries(
        &state.db,
        &s.actor,
        crate::extract::id(&id)?,
        unconfirmed,
        format,
        Labels::parse(p.get("labels"), Labels::In(lang))?,
    )
    .await?;
    Ok(crate::respond::download(file))
}

/// The message of a dispatched request, for the board's actions.
fn message_of(r: &Request) -> AppResult<Uuid> {
    r.message_id
        .ok_or_else(|| AppError::invalid("request", Msg::new("validate.not_sent_yet")))
}

/// A board action's outcome: back to the board with a notice, or the page with the reason.
async fn board_result(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    r: &Request,
    done: &str,
    result: Result<u64, DbError>,
) -> PageResult {
    match result {
        Ok(n) => Ok(Redirect::to(&format!(
            "/console/requests/{}?done={done}&n={n}#receipts",
            r.id
        ))
        .into_response()),
        Err(DbError::Invalid(e)) => {
            show_page(state, headers, s, r, &Pairs(Vec::new()), Some(&e)).await
        }
        // Too soon to remind again: said on the board, not on an error page.
        Err(DbError::Conflict(m)) => {
            let e = FieldErrors::single("receipts", m);
            show_page(state, headers, s, r, &Pairs(Vec::new()), Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// "Remind unconfirmed now" (§4.4.1): the requester or channel management.
async fn remind(Path(id): Path<String>, PageForm(state, headers, s, _): PageForm) -> PageResult {
    let r = load(&state, &s, &id).await?;
    let m = message_of(&r)?;
    if r.requester_id != s.user.id {
        s.require(Permission::ManageDeliveries)?;
    }
    let result = liaison_db::delivery::remind_now(&state.db, s.user.id, m).await;
    board_result(&state, &headers, &s, &r, "reminded", result).await
}

/// Sends one failed or dead delivery again (`delivery_id`), or every dead one of the message
/// (channel management).
async fn retry(Path(id): Path<String>, PageForm(state, headers, s, p): PageForm) -> PageResult {
    let r = load(&state, &s, &id).await?;
    let m = message_of(&r)?;
    s.require(Permission::ManageDeliveries)?;
    let only =
        match p
            .get("delivery_id")
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            None => None,
            Some(d) => Some(Uuid::parse_str(d).map_err(|_| {
                AppError::invalid("delivery_id", Msg::new("validate.not_a_delivery"))
            })?),
        };
    let result = liaison_db::delivery::retry(&state.db, s.user.id, m, only).await;
    board_result(&state, &headers, &s, &r, "retried", result).await
}
