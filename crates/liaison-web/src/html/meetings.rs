//! Meetings' pages (policy §2.1.3, §5.1, §5.3.1; issue 14). Console: the meetings list,
//! planning and editing one with a "check time" preview of its clashes, the meeting with its
//! answers, invitation, cancellation and minutes (decisions, attendance, action items), the
//! cadence per period with series planning, the action items, and the settings with business
//! dates. Portal: the partner's meetings with one-tap answers and its action items. Public: the
//! one-click answer link of the invitation mail. The account page's calendar feed is posted
//! here. Every decision is the service layer's (`liaison_app::meetings`).

use super::{Page, PageForm, PageResult, body_html, ctx, form_errors, mark_invalid, render};
use crate::auth::Session;
use crate::extract::{Pairs, id};
use crate::{AppError, AppResult, AppState};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, Utc};
use liaison_app::meetings::{
    self as app, ActionInput, AttendanceInput, BusinessDateInput, MeetingInput, MinutesInput,
    SeriesInput,
};
use liaison_core::access::ItemKind;
use liaison_core::meetings::{
    Clash, MeetingKind, MeetingSettings, MeetingState, Rsvp, RsvpVia, TaskStatus,
};
use liaison_core::partner::Lang;
use liaison_core::review::Classification;
use liaison_core::validate::Msg;
use liaison_core::{FieldErrors, Permission};
use liaison_db::meetings::{Invitees, Meeting, MeetingFilter, Task};
use liaison_i18n::{t, tr};
use minijinja::Value;
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/meetings", get(console_list).post(create))
        .route("/console/meetings/new", get(new_form))
        .route("/console/meetings/{id}", get(console_show))
        .route(
            "/console/meetings/{id}/edit",
            get(edit_form).post(save_edit),
        )
        .route("/console/meetings/{id}/invite", post(invite))
        .route("/console/meetings/{id}/cancel", post(cancel))
        .route("/console/meetings/{id}/minutes", post(minutes))
        .route("/console/meetings/{id}/rsvp", post(console_rsvp))
        .route("/console/cadence", get(cadence))
        .route("/console/cadence/series", post(series))
        .route("/console/tasks", get(console_tasks))
        .route("/console/tasks/{id}", post(console_task_set))
        .route(
            "/console/settings/meetings",
            get(settings_show).post(settings_save),
        )
        .route("/console/settings/meetings/dates", post(date_add))
        .route(
            "/console/settings/meetings/dates/{id}/delete",
            post(date_remove),
        )
        .route("/portal/meetings", get(portal_list))
        .route("/portal/meetings/{id}", get(portal_show))
        .route("/portal/meetings/{id}/rsvp", post(portal_rsvp))
        .route("/portal/tasks", get(portal_tasks))
        .route("/portal/tasks/{id}", post(portal_task_set))
        .route("/account/calendar-feed", post(feed_post))
        .route("/rsvp/{token}", get(rsvp_link))
        .route("/rsvp/{token}/{response}", get(rsvp_link_answer))
}

fn lang_of(headers: &HeaderMap, s: &Session) -> Lang {
    crate::auth::page_lang(headers, Some(&s.user))
}

fn codes<T: Copy>(all: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| f(*v)).collect()
}

fn kinds() -> Vec<&'static str> {
    codes(MeetingKind::ALL, MeetingKind::as_str)
}

fn regular_kinds() -> Vec<&'static str> {
    codes(MeetingKind::REGULAR, MeetingKind::as_str)
}

/// The values a form was posted with, to show it again as typed.
fn typed(p: &Pairs) -> HashMap<String, String> {
    p.0.iter()
        .filter(|(k, _)| k != "_csrf")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A textarea's text with the browser's CRLF line ends as LF (the service takes `\n` only).
fn lf(v: &str) -> String {
    v.replace("\r\n", "\n").replace('\r', "\n")
}

/// A time as a `datetime-local` input shows it, in `zone`.
fn local_input(t: DateTime<Utc>, zone: &str) -> String {
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

/// A clash in words, in the page's language.
#[derive(Serialize)]
struct ClashView {
    kind: &'static str,
    warning: bool,
    text: String,
    meeting_id: Option<Uuid>,
}

fn clash_views(lang: Lang, clashes: &[Clash]) -> Vec<ClashView> {
    clashes
        .iter()
        .map(|c| {
            let partners = if c.partners.is_empty() {
                t(lang, "meeting_page.clash_everyone").to_string()
            } else {
                c.partners.join(", ")
            };
            let key = format!("meeting_page.clash.{}", c.kind.as_str());
            ClashView {
                kind: c.kind.as_str(),
                warning: c.is_warning(),
                text: tr(
                    lang,
                    &key,
                    &[
                        ("title", c.title.clone()),
                        ("date", c.on.format("%Y-%m-%d").to_string()),
                        ("partners", partners),
                    ],
                ),
                meeting_id: c.meeting_id,
            }
        })
        .collect()
}

fn page_error(e: liaison_app::Error) -> AppError {
    e.into()
}

// ---------------------------------------------------------------------------------------------
// The console's list

#[derive(Serialize)]
struct ListRow {
    m: Meeting,
    invited: i64,
    accepted: i64,
    declined: i64,
    tentative: i64,
}

async fn rows(state: &AppState, items: Vec<Meeting>) -> AppResult<Vec<ListRow>> {
    let mut out = Vec::new();
    for m in items {
        let a = liaison_db::meetings::answers(&state.db, m.id).await?;
        out.push(ListRow {
            invited: a.invited,
            accepted: a.accepted,
            declined: a.declined,
            tentative: a.tentative,
            m,
        });
    }
    Ok(out)
}

async fn console_list(Page(state, headers, s): Page) -> PageResult {
    let now = state.db.now();
    let mut upcoming = app::list(
        &state.db,
        &s.actor,
        MeetingFilter {
            from: Some(now - Duration::hours(12)),
            ..Default::default()
        },
        false,
        100,
    )
    .await?;
    upcoming.retain(|m| m.ends_at >= now);
    let mut recent = app::list(
        &state.db,
        &s.actor,
        MeetingFilter {
            to: Some(now),
            ..Default::default()
        },
        false,
        30,
    )
    .await?;
    recent.retain(|m| m.ends_at < now);
    let upcoming = rows(&state, upcoming).await?;
    let recent = rows(&state, recent).await?;
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "meeting/list.html",
        ctx! {
            nav => "meetings",
            upcoming => upcoming,
            recent => recent,
            can_plan => s.actor.can(Permission::PlanMeetings),
            can_manage => s.actor.can(Permission::ManageMeetings),
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// Planning and editing

/// What the form needs besides the typed values.
async fn form_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    meeting: Option<&Meeting>,
    v: &HashMap<String, String>,
    errors: Option<&FieldErrors>,
    clashes: Option<Vec<Clash>>,
) -> PageResult {
    let lang = lang_of(headers, s);
    let segments: Vec<_> = match liaison_app::segment::list_with_members(&state.db, &s.actor).await
    {
        Ok(list) => list
            .into_iter()
            .map(|(g, n)| ctx! { id => g.id.to_string(), name => g.name, members => n })
            .collect(),
        Err(liaison_app::Error::Forbidden) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let staff: Vec<_> = liaison_db::user::list_users(&state.db)
        .await?
        .into_iter()
        .filter(|u| u.active && u.partner_id.is_none() && !u.roles.is_partner())
        .map(|u| ctx! { id => u.id.to_string(), name => u.name, email => u.email })
        .collect();
    let chosen_segments: Vec<String> = v
        .get("segments_list")
        .map(|x| x.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let chosen_users: Vec<String> = v
        .get("users_list")
        .map(|x| x.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let zones = [
        "Asia/Shanghai",
        "Asia/Hong_Kong",
        "Asia/Taipei",
        "Asia/Singapore",
        "Asia/Tokyo",
        "Europe/Berlin",
        "Europe/London",
        "America/New_York",
        "UTC",
    ];
    let mut r = render(
        state,
        headers,
        Some(s),
        "meeting/form.html",
        ctx! {
            nav => "meetings",
            meeting => meeting,
            v => v,
            kinds => kinds(),
            classifications => codes(Classification::ALL, Classification::as_str),
            zones => zones,
            segments => segments,
            staff => staff,
            chosen_segments => chosen_segments,
            chosen_users => chosen_users,
            checked => clashes.is_some(),
            clashes => clashes.as_deref().map(|c| clash_views(lang, c)),
            errors => form_errors(errors),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

async fn new_form(Page(state, headers, s): Page) -> PageResult {
    s.require(Permission::PlanMeetings)?;
    let mut v = HashMap::new();
    v.insert("timezone".to_string(), "Asia/Shanghai".to_string());
    v.insert("classification".to_string(), "internal".to_string());
    form_page(&state, &headers, &s, None, &v, None, None).await
}

/// The partner codes of these ids, comma-separated.
async fn codes_of(state: &AppState, ids: &[Uuid]) -> AppResult<String> {
    let mut out = Vec::new();
    for id in ids {
        match liaison_db::partner::find_partner(&state.db, liaison_core::Scope::All, *id).await {
            Ok(p) => out.push(p.code),
            Err(liaison_db::DbError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out.join(", "))
}

async fn edit_form(Page(state, headers, s): Page, Path(mid): Path<String>) -> PageResult {
    s.require(Permission::PlanMeetings)?;
    let view = app::show(&state.db, &s.actor, id(&mid)?).await?;
    let m = &view.meeting;
    let mut v = HashMap::new();
    v.insert("kind".into(), m.kind.as_str().to_string());
    v.insert("title".into(), m.title.clone());
    v.insert("starts_at".into(), local_input(m.starts_at, &m.timezone));
    v.insert("ends_at".into(), local_input(m.ends_at, &m.timezone));
    v.insert("timezone".into(), m.timezone.clone());
    v.insert("place".into(), m.place.clone().unwrap_or_default());
    v.insert("video_url".into(), m.video_url.clone().unwrap_or_default());
    v.insert("agenda".into(), m.agenda.clone());
    v.insert(
        "classification".into(),
        m.classification.as_str().to_string(),
    );
    v.insert(
        "partners".into(),
        codes_of(&state, &m.invitees.partners).await?,
    );
    let join = |ids: &[Uuid]| {
        ids.iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    v.insert("segments_list".into(), join(&m.invitees.segments));
    v.insert("users_list".into(), join(&m.invitees.users));
    form_page(&state, &headers, &s, Some(m), &v, None, None).await
}

/// The form as the service reads it, and what the page could not read (unknown codes).
async fn meeting_input(
    state: &AppState,
    form: &Pairs,
    keep_contacts: Vec<Uuid>,
) -> AppResult<(MeetingInput, FieldErrors)> {
    let (partners, mut e) =
        liaison_app::request::resolve_partner_codes(&state.db, "partners", &form.text("partners"))
            .await?;
    let mut segments = Vec::new();
    for sid in form.all("segments") {
        match Uuid::parse_str(&sid) {
            Ok(id) => segments.push(id),
            Err(_) => e.add("segments", Msg::new("validate.no_segment")),
        }
    }
    let mut users = Vec::new();
    for uid in form.all("users") {
        match Uuid::parse_str(&uid) {
            Ok(id) => users.push(id),
            Err(_) => e.add("users", Msg::new("validate.invalid")),
        }
    }
    let text = |k: &str| Some(form.get(k).unwrap_or("").to_string());
    let input = MeetingInput {
        kind: text("kind"),
        title: text("title"),
        starts_at: text("starts_at"),
        ends_at: text("ends_at"),
        timezone: text("timezone"),
        place: text("place"),
        video_url: text("video_url"),
        generate_video: Some(matches!(
            form.get("generate_video"),
            Some("on" | "1" | "true")
        )),
        agenda: Some(lf(form.get("agenda").unwrap_or(""))),
        chair_id: None,
        classification: text("classification"),
        invitees: Some(Invitees {
            partners,
            segments,
            contacts: keep_contacts,
            users,
        }),
    };
    Ok((input, e))
}

/// The typed values of a posted form, with the multiple choices kept for the form again.
fn typed_meeting(form: &Pairs) -> HashMap<String, String> {
    let mut v = typed(form);
    v.insert("segments_list".into(), form.all("segments").join(","));
    v.insert("users_list".into(), form.all("users").join(","));
    v
}

/// Saves (or, with `op=check`, only checks) a meeting posted from the form.
async fn post_meeting(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    existing: Option<&Meeting>,
    form: &Pairs,
) -> PageResult {
    s.require(Permission::PlanMeetings)?;
    let keep = existing
        .map(|m| m.invitees.contacts.clone())
        .unwrap_or_default();
    let (input, bad) = meeting_input(state, form, keep).await?;
    let v = typed_meeting(form);
    let except = existing.map(|m| m.id);
    if !bad.is_empty() {
        return form_page(state, headers, s, existing, &v, Some(&bad), None).await;
    }
    if form.get("op") == Some("check") {
        return match app::check(&state.db, &s.actor, &input, except).await {
            Ok(clashes) => form_page(state, headers, s, existing, &v, None, Some(clashes)).await,
            Err(liaison_app::Error::Invalid(e)) => {
                form_page(state, headers, s, existing, &v, Some(&e), None).await
            }
            Err(e) => Err(e.into()),
        };
    }
    let saved = match existing {
        None => app::create(&state.db, &s.actor, &input).await,
        // The version the form was read at: a change made meanwhile is a conflict, not lost.
        Some(m) => {
            let version = form.text("version").parse::<i64>().ok();
            app::update(&state.db, &s.actor, m.id, version, &input).await
        }
    };
    match saved {
        Ok(m) => Ok(Redirect::to(&format!("/console/meetings/{}?saved=1", m.id)).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            form_page(state, headers, s, existing, &v, Some(&e), None).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn create(PageForm(state, headers, s, form): PageForm) -> PageResult {
    post_meeting(&state, &headers, &s, None, &form).await
}

async fn save_edit(
    Path(mid): Path<String>,
    PageForm(state, headers, s, form): PageForm,
) -> PageResult {
    s.require(Permission::PlanMeetings)?;
    let view = app::show(&state.db, &s.actor, id(&mid)?).await?;
    post_meeting(&state, &headers, &s, Some(&view.meeting), &form).await
}

// ---------------------------------------------------------------------------------------------
// One meeting (console)

/// A form of the meeting page shown again: as typed, and what is wrong.
struct Posted<'a> {
    values: HashMap<String, String>,
    errors: &'a FieldErrors,
}

const ACTION_ROWS: usize = 5;

async fn show_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    mid: Uuid,
    posted: Option<Posted<'_>>,
    q: &Pairs,
) -> PageResult {
    let view = app::show(&state.db, &s.actor, mid).await?;
    liaison_app::notify::seen(&state.db, &s.actor, &format!("/console/meetings/{mid}")).await?;
    let lang = lang_of(headers, s);
    let m = &view.meeting;
    let now = state.db.now();
    let staff: Vec<_> = liaison_db::user::list_users(&state.db)
        .await?
        .into_iter()
        .filter(|u| u.active && u.partner_id.is_none() && !u.roles.is_partner())
        .map(|u| ctx! { id => u.id.to_string(), name => u.name })
        .collect();
    let contacts: Vec<_> = view
        .attendees
        .iter()
        .filter(|a| a.contact_id.is_some() && !a.removed)
        .map(|a| {
            ctx! {
                id => a.contact_id.map(|c| c.to_string()),
                name => a.name,
                partner => a.partner_code,
            }
        })
        .collect();
    let may_change = !view.restricted
        && (m.chair_id == s.user.id
            || m.created_by == s.user.id
            || s.actor.can(Permission::ManageMeetings));
    // §7.2.2: a title-only reader may ask; the organiser keeps the access list.
    let access = if m.classification.needs_nda() {
        liaison_app::access::panel(&state.db, &s.actor, ItemKind::Meeting, mid).await?
    } else {
        None
    };
    let (values, errors) = match &posted {
        Some(p) => (p.values.clone(), Some(p.errors)),
        None => (HashMap::new(), None),
    };
    let mut r = render(
        state,
        headers,
        Some(s),
        "meeting/show.html",
        ctx! {
            nav => "meetings",
            m => m,
            agenda_html => Value::from_safe_string(body_html(&m.agenda)),
            minutes_html => Value::from_safe_string(body_html(m.minutes.as_deref().unwrap_or(""))),
            attendees => view.attendees,
            answers => view.answers,
            tasks => view.tasks,
            mine => view.mine,
            clashes => clash_views(lang, &view.clashes),
            may_change => may_change,
            is_open => m.state.is_open(),
            begun => m.starts_at <= now,
            can_invite => m.state.is_open() && m.ends_at > now,
            minutes_open => m.state != MeetingState::Cancelled && m.starts_at <= now,
            staff => staff,
            contacts => contacts,
            action_rows => (0..ACTION_ROWS).collect::<Vec<_>>(),
            v => values,
            errors => form_errors(errors),
            saved => q.get("saved").is_some(),
            done => q.text("done"),
            access => access,
            asked => q.get("asked").is_some(),
            access_saved => q.get("access_saved").is_some(),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

async fn console_show(
    Page(state, headers, s): Page,
    Path(mid): Path<String>,
    q: Pairs,
) -> PageResult {
    show_page(&state, &headers, &s, id(&mid)?, None, &q).await
}

async fn invite(Path(mid): Path<String>, PageForm(state, _h, s, _f): PageForm) -> PageResult {
    let m = app::invite(&state.db, &s.actor, id(&mid)?).await?;
    Ok(Redirect::to(&format!("/console/meetings/{}?done=invited", m.id)).into_response())
}

async fn cancel(Path(mid): Path<String>, PageForm(state, _h, s, _f): PageForm) -> PageResult {
    let m = app::cancel(&state.db, &s.actor, id(&mid)?).await?;
    Ok(Redirect::to(&format!("/console/meetings/{}?done=cancelled", m.id)).into_response())
}

/// The minutes form as the service reads it: decisions one per line, a checkbox per
/// attendee, and the action item rows that have anything typed.
fn minutes_input(form: &Pairs, attendees: &[Uuid]) -> MinutesInput {
    let present: Vec<String> = form.all("attended");
    let decisions = form
        .get("decisions")
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let mut action_items = Vec::new();
    for i in 0..ACTION_ROWS {
        let title = form.text(&format!("ai_title_{i}"));
        let owner = form.text(&format!("ai_owner_{i}"));
        let due = form.text(&format!("ai_due_{i}"));
        if title.is_empty() && owner.is_empty() && due.is_empty() {
            continue;
        }
        let (mut owner_user_id, mut owner_contact_id) = (None, None);
        if let Some(u) = owner.strip_prefix("u:") {
            owner_user_id = Some(Uuid::parse_str(u).unwrap_or(Uuid::nil()));
        } else if let Some(c) = owner.strip_prefix("c:") {
            owner_contact_id = Some(Uuid::parse_str(c).unwrap_or(Uuid::nil()));
        }
        action_items.push((
            i,
            ActionInput {
                title,
                owner_user_id,
                owner_contact_id,
                due_on: due,
            },
        ));
    }
    MinutesInput {
        minutes: Some(lf(form.get("minutes").unwrap_or(""))),
        decisions,
        attendance: attendees
            .iter()
            .map(|a| AttendanceInput {
                attendee_id: Some(*a),
                attended: present.iter().any(|p| *p == a.to_string()),
            })
            .collect(),
        action_items: action_items.into_iter().map(|(_, a)| a).collect(),
    }
}

/// The rows typed (`ai_*_<row>`) mapped to the service's item indexes, so an error of
/// `action_items[1].title` is shown beside the row it came from.
fn row_of_items(form: &Pairs) -> Vec<usize> {
    (0..ACTION_ROWS)
        .filter(|i| {
            ["ai_title_", "ai_owner_", "ai_due_"]
                .iter()
                .any(|k| !form.text(&format!("{k}{i}")).is_empty())
        })
        .collect()
}

async fn minutes(
    Path(mid): Path<String>,
    PageForm(state, headers, s, form): PageForm,
) -> PageResult {
    let mid: Uuid = id(&mid)?;
    let view = app::show(&state.db, &s.actor, mid).await?;
    let ids: Vec<Uuid> = view.attendees.iter().map(|a| a.id).collect();
    let input = minutes_input(&form, &ids);
    match app::record_minutes(&state.db, &s.actor, mid, &input).await {
        Ok(m) => Ok(Redirect::to(&format!("/console/meetings/{}?done=held", m.id)).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            // `action_items[n].field` → the form's `ai_field_<row>`.
            let rows = row_of_items(&form);
            let mut out = FieldErrors::new();
            for f in e.0 {
                let field = match f.field.strip_prefix("action_items[") {
                    Some(rest) => {
                        let (n, name) = rest.split_once("].").unwrap_or((rest, "title"));
                        let row = n
                            .parse::<usize>()
                            .ok()
                            .and_then(|n| rows.get(n).copied())
                            .unwrap_or(0);
                        let name = match name {
                            "owner_user_id" | "owner_contact_id" => "owner",
                            "due_on" => "due",
                            other => other,
                        };
                        format!("ai_{name}_{row}")
                    }
                    None => f.field,
                };
                out.add(field, f.msg);
            }
            let posted = Posted {
                values: typed(&form),
                errors: &out,
            };
            show_page(&state, &headers, &s, mid, Some(posted), &Pairs(Vec::new())).await
        }
        Err(e) => Err(page_error(e).into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Cadence

async fn cadence(Page(state, headers, s): Page, q: Pairs) -> PageResult {
    s.require(Permission::PlanMeetings)?;
    let this_year =
        chrono::Datelike::year(&state.db.now().with_timezone(&chrono_tz::Asia::Shanghai));
    let year = match q.get("year").map(str::trim).filter(|y| !y.is_empty()) {
        None => this_year,
        Some(y) => y.parse::<i32>().map_err(|_| {
            AppError::invalid(
                "year",
                Msg::new("validate.number_range")
                    .arg("min", 2000)
                    .arg("max", 2100),
            )
        })?,
    };
    cadence_page(&state, &headers, &s, year, None, None).await
}

async fn cadence_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    year: i32,
    posted: Option<HashMap<String, String>>,
    errors: Option<&FieldErrors>,
) -> PageResult {
    let rows = app::cadence(&state.db, &s.actor, year).await?;
    let segments: Vec<_> = match liaison_app::segment::list_with_members(&state.db, &s.actor).await
    {
        Ok(list) => list
            .into_iter()
            .map(|(g, n)| ctx! { id => g.id.to_string(), name => g.name, members => n })
            .collect(),
        Err(liaison_app::Error::Forbidden) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let mut v = posted.unwrap_or_default();
    v.entry("year".into()).or_insert_with(|| year.to_string());
    let mut r = render(
        state,
        headers,
        Some(s),
        "meeting/cadence.html",
        ctx! {
            nav => "meetings",
            year => year,
            rows => rows,
            kinds => regular_kinds(),
            segments => segments,
            can_manage => s.actor.can(Permission::ManageMeetings),
            v => v,
            errors => form_errors(errors),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

async fn series(PageForm(state, headers, s, form): PageForm) -> PageResult {
    s.require(Permission::ManageMeetings)?;
    let (partners, mut bad) =
        liaison_app::request::resolve_partner_codes(&state.db, "partners", &form.text("partners"))
            .await?;
    let mut segments = Vec::new();
    for sid in form.all("segments") {
        match Uuid::parse_str(&sid) {
            Ok(id) => segments.push(id),
            Err(_) => bad.add("segments", Msg::new("validate.no_segment")),
        }
    }
    let year_text = form.text("year");
    let year = year_text.parse::<i32>().unwrap_or(0);
    let shown_year = if (2000..=2100).contains(&year) {
        year
    } else {
        chrono::Datelike::year(&state.db.now().with_timezone(&chrono_tz::Asia::Shanghai))
    };
    let input = SeriesInput {
        kind: form.text("kind"),
        year,
        title: form.text("title"),
        invitees: Invitees {
            partners,
            segments,
            ..Default::default()
        },
    };
    let result = if bad.is_empty() {
        app::plan_series(&state.db, &s.actor, &input).await
    } else {
        Err(liaison_app::Error::Invalid(bad))
    };
    match result {
        Ok(made) => Ok(Redirect::to(&format!(
            "/console/cadence?year={shown_year}&planned={}",
            made.len()
        ))
        .into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            cadence_page(
                &state,
                &headers,
                &s,
                shown_year,
                Some(typed(&form)),
                Some(&e),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Tasks

fn overdue(t: &Task, today: chrono::NaiveDate) -> bool {
    t.status == TaskStatus::Open && t.due_on < today
}

#[derive(Serialize)]
struct TaskRow<'a> {
    t: &'a Task,
    overdue: bool,
    /// Whether the reader may tick it.
    may_tick: bool,
}

async fn console_tasks(Page(state, headers, s): Page, q: Pairs) -> PageResult {
    let all = matches!(q.get("all"), Some("1" | "true" | "on"));
    let items = app::tasks(&state.db, &s.actor, None, all).await?;
    let today = state
        .db
        .now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let manage = s.actor.can(Permission::ManageMeetings);
    let rows: Vec<TaskRow> = items
        .iter()
        .map(|t| TaskRow {
            t,
            overdue: overdue(t, today),
            may_tick: manage || t.owner_user_id == Some(s.user.id) || t.created_by == s.user.id,
        })
        .collect();
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "meeting/tasks.html",
        ctx! {
            nav => "tasks",
            rows => rows,
            all => all && manage,
            can_manage => manage,
        },
    ))
}

fn task_status(form: &Pairs) -> Result<TaskStatus, AppError> {
    let v = form.text("status");
    let v = if v.is_empty() { "done".to_string() } else { v };
    TaskStatus::parse(&v).map_err(|m| AppError::invalid("status", m))
}

async fn console_task_set(
    Path(tid): Path<String>,
    PageForm(state, _h, s, form): PageForm,
) -> PageResult {
    let status = task_status(&form)?;
    app::set_task(&state.db, &s.actor, id(&tid)?, status).await?;
    let back = if form.get("all") == Some("1") {
        "/console/tasks?all=1"
    } else {
        "/console/tasks"
    };
    Ok(Redirect::to(back).into_response())
}

async fn portal_tasks(Page(state, headers, s): Page) -> PageResult {
    let items = app::tasks(&state.db, &s.actor, None, false).await?;
    let today = state
        .db
        .now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let rows: Vec<TaskRow> = items
        .iter()
        .map(|t| TaskRow {
            t,
            overdue: overdue(t, today),
            may_tick: t.owner_contact_id.is_some(),
        })
        .collect();
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "meeting/portal_tasks.html",
        ctx! { nav => "tasks", rows => rows },
    ))
}

async fn portal_task_set(
    Path(tid): Path<String>,
    PageForm(state, _h, s, form): PageForm,
) -> PageResult {
    let status = task_status(&form)?;
    app::set_task(&state.db, &s.actor, id(&tid)?, status).await?;
    Ok(Redirect::to("/portal/tasks?saved=1").into_response())
}

// ---------------------------------------------------------------------------------------------
// Settings and business dates

async fn settings_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    values: Option<HashMap<String, String>>,
    errors: Option<&FieldErrors>,
    saved: bool,
) -> PageResult {
    s.require(Permission::ManageMeetings)?;
    let current = app::settings(&state.db, &s.actor).await?;
    let dates = app::business_dates(&state.db, &s.actor).await?;
    let v = match values {
        Some(v) => v,
        None => {
            let mut v = HashMap::new();
            for k in MeetingKind::ALL {
                v.insert(
                    format!("notice_{}", k.as_str()),
                    current.notice_days(*k).to_string(),
                );
            }
            for k in MeetingKind::REGULAR {
                v.insert(
                    format!("cadence_{}", k.as_str()),
                    current.required(*k).to_string(),
                );
            }
            for (tier, months) in &current.visit_months {
                v.insert(format!("visit_{tier}"), months.to_string());
            }
            v.insert(
                "video_url_template".into(),
                current.video_url_template.clone().unwrap_or_default(),
            );
            v
        }
    };
    let mut tiers: Vec<String> = current.visit_months.keys().cloned().collect();
    for t in ["A", "B", "C"] {
        if !tiers.iter().any(|x| x == t) {
            tiers.push(t.to_string());
        }
    }
    tiers.sort();
    let mut r = render(
        state,
        headers,
        Some(s),
        "meeting/settings.html",
        ctx! {
            nav => "meeting_settings",
            kinds => kinds(),
            regular => regular_kinds(),
            tiers => tiers,
            v => v,
            dates => dates,
            errors => form_errors(errors),
            saved => saved,
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

async fn settings_show(Page(state, headers, s): Page, q: Pairs) -> PageResult {
    settings_page(&state, &headers, &s, None, None, q.get("saved").is_some()).await
}

async fn settings_save(PageForm(state, headers, s, form): PageForm) -> PageResult {
    s.require(Permission::ManageMeetings)?;
    let current = app::settings(&state.db, &s.actor).await?;
    let mut e = FieldErrors::new();
    let mut next = MeetingSettings {
        notice_days: Default::default(),
        cadence: Default::default(),
        visit_months: Default::default(),
        video_url_template: None,
    };
    let number = |e: &mut FieldErrors, field: String, key: &str| -> Option<i64> {
        let v = form.text(key);
        match v.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                e.add(field, Msg::new("validate.number").arg("value", v.as_str()));
                None
            }
        }
    };
    for k in MeetingKind::ALL {
        let key = format!("notice_{}", k.as_str());
        if let Some(n) = number(&mut e, format!("notice_days.{}", k.as_str()), &key) {
            next.notice_days.insert(*k, n);
        }
    }
    for k in MeetingKind::REGULAR {
        let key = format!("cadence_{}", k.as_str());
        if let Some(n) = number(&mut e, format!("cadence.{}", k.as_str()), &key) {
            next.cadence.insert(*k, n);
        }
    }
    let mut tiers: Vec<String> = current.visit_months.keys().cloned().collect();
    for t in ["A", "B", "C"] {
        if !tiers.iter().any(|x| x == t) {
            tiers.push(t.to_string());
        }
    }
    for tier in tiers {
        let key = format!("visit_{tier}");
        if form.text(&key).is_empty() {
            continue;
        }
        if let Some(n) = number(&mut e, format!("visit_months.{tier}"), &key) {
            next.visit_months.insert(tier, n);
        }
    }
    let template = form.text("video_url_template");
    next.video_url_template = (!template.is_empty()).then_some(template);
    let result = if e.is_empty() {
        app::update_settings(&state.db, &s.actor, &next).await
    } else {
        Err(liaison_app::Error::Invalid(e))
    };
    match result {
        Ok(_) => Ok(Redirect::to("/console/settings/meetings?saved=1").into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            // `notice_days.monthly` → the input `notice_monthly`.
            let mut out = FieldErrors::new();
            for f in e.0 {
                let field = f
                    .field
                    .replacen("notice_days.", "notice_", 1)
                    .replacen("cadence.", "cadence_", 1)
                    .replacen("visit_months.", "visit_", 1);
                out.add(field, f.msg);
            }
            settings_page(&state, &headers, &s, Some(typed(&form)), Some(&out), false).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn date_add(PageForm(state, headers, s, form): PageForm) -> PageResult {
    let input = BusinessDateInput {
        on: form.text("on"),
        title: form.text("date_title"),
    };
    match app::add_business_date(&state.db, &s.actor, &input).await {
        Ok(_) => {
            Ok(Redirect::to("/console/settings/meetings?saved=1#business-dates").into_response())
        }
        Err(liaison_app::Error::Invalid(e)) => {
            let mut out = FieldErrors::new();
            for f in e.0 {
                let field = if f.field == "title" {
                    "date_title".to_string()
                } else {
                    f.field
                };
                out.add(field, f.msg);
            }
            let mut v = typed(&form);
            let current = app::settings(&state.db, &s.actor).await?;
            for k in MeetingKind::ALL {
                v.insert(
                    format!("notice_{}", k.as_str()),
                    current.notice_days(*k).to_string(),
                );
            }
            for k in MeetingKind::REGULAR {
                v.insert(
                    format!("cadence_{}", k.as_str()),
                    current.required(*k).to_string(),
                );
            }
            for (tier, months) in &current.visit_months {
                v.insert(format!("visit_{tier}"), months.to_string());
            }
            v.insert(
                "video_url_template".into(),
                current.video_url_template.clone().unwrap_or_default(),
            );
            settings_page(&state, &headers, &s, Some(v), Some(&out), false).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn date_remove(Path(did): Path<String>, PageForm(state, _h, s, _f): PageForm) -> PageResult {
    app::remove_business_date(&state.db, &s.actor, id(&did)?).await?;
    Ok(Redirect::to("/console/settings/meetings?saved=1#business-dates").into_response())
}

// ---------------------------------------------------------------------------------------------
// Portal

async fn portal_list(Page(state, headers, s): Page) -> PageResult {
    let items = app::list(&state.db, &s.actor, MeetingFilter::default(), false, 200).await?;
    let now = state.db.now();
    let (mut upcoming, past): (Vec<Meeting>, Vec<Meeting>) = items
        .into_iter()
        .partition(|m| m.ends_at >= now && m.state == MeetingState::Invited);
    upcoming.sort_by_key(|m| m.starts_at);
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "meeting/portal_list.html",
        ctx! { nav => "meetings", upcoming => upcoming, past => past },
    ))
}

async fn portal_show(
    Page(state, headers, s): Page,
    Path(mid): Path<String>,
    q: Pairs,
) -> PageResult {
    let mid: Uuid = id(&mid)?;
    let view = app::show(&state.db, &s.actor, mid).await?;
    liaison_app::notify::seen(&state.db, &s.actor, &format!("/portal/meetings/{mid}")).await?;
    let now = state.db.now();
    let m = &view.meeting;
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "meeting/portal_show.html",
        ctx! {
            nav => "meetings",
            m => m,
            agenda_html => Value::from_safe_string(body_html(&m.agenda)),
            minutes_html => Value::from_safe_string(body_html(m.minutes.as_deref().unwrap_or(""))),
            mine => view.mine,
            tasks => view.tasks,
            answerable => m.state == MeetingState::Invited && m.ends_at > now,
            saved => q.get("saved").is_some(),
        },
    ))
}

fn rsvp_of(v: &str) -> Result<Rsvp, AppError> {
    match Rsvp::parse(v.trim()) {
        Ok(r) if r != Rsvp::NeedsAction => Ok(r),
        _ => Err(AppError::invalid("response", Msg::new("validate.invalid"))),
    }
}

async fn portal_rsvp(
    Path(mid): Path<String>,
    PageForm(state, _h, s, form): PageForm,
) -> PageResult {
    let response = rsvp_of(&form.text("response"))?;
    let mid: Uuid = id(&mid)?;
    app::rsvp(&state.db, &s.actor, mid, response, RsvpVia::Portal).await?;
    Ok(Redirect::to(&format!("/portal/meetings/{mid}?saved=1")).into_response())
}

/// Invited staff answer on the console's meeting page.
async fn console_rsvp(
    Path(mid): Path<String>,
    PageForm(state, _h, s, form): PageForm,
) -> PageResult {
    let response = rsvp_of(&form.text("response"))?;
    let mid: Uuid = id(&mid)?;
    app::rsvp(&state.db, &s.actor, mid, response, RsvpVia::Console).await?;
    Ok(Redirect::to(&format!("/console/meetings/{mid}?saved=1")).into_response())
}

// ---------------------------------------------------------------------------------------------
// The calendar feed (account page)

/// The account page's "my calendar feed": the addresses of the live feed, if any (reading
/// one never creates one).
pub async fn feed_view(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
) -> AppResult<Option<(String, String)>> {
    if liaison_db::meetings::live_feed(&state.db, s.user.id)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let token = app::feed_token(&state.db, &s.actor, false).await?;
    let (https, webcal) = crate::respond::feed_addresses(state, headers, &token);
    Ok(Some((webcal, https)))
}

async fn feed_post(PageForm(state, _h, s, form): PageForm) -> PageResult {
    match form.text("op").as_str() {
        "revoke" => app::revoke_feed(&state.db, &s.actor).await?,
        "renew" => {
            app::feed_token(&state.db, &s.actor, true).await?;
        }
        _ => {
            app::feed_token(&state.db, &s.actor, false).await?;
        }
    }
    Ok(Redirect::to("/account?feed=1#calendar-feed").into_response())
}

// ---------------------------------------------------------------------------------------------
// The one-click answer link (public)

async fn rsvp_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    link_page(&state, &headers, &token, None).await
}

async fn rsvp_link_answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((token, response)): Path<(String, String)>,
) -> Response {
    match rsvp_of(&response) {
        Ok(r) => link_page(&state, &headers, &token, Some(r)).await,
        Err(_) => super::not_found_page(&state, &headers, "/rsvp", None),
    }
}

async fn link_page(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    response: Option<Rsvp>,
) -> Response {
    let mut answered = response;
    let mut result = app::rsvp_by_link(&state.db, token, response).await;
    // A meeting that takes no answers now (cancelled, held): the page says so, without one.
    if response.is_some()
        && matches!(
            result,
            Err(liaison_app::Error::Gone(_) | liaison_app::Error::Conflict(_))
        )
        && let Ok(view) = app::rsvp_by_link(&state.db, token, None).await
    {
        answered = None;
        result = Ok(view);
    }
    match result {
        Ok(view) => {
            let m = &view.meeting;
            render(
                state,
                headers,
                None,
                "meeting/rsvp.html",
                ctx! {
                    is_partner => true,
                    m => m,
                    attendee => view.attendee,
                    token => token,
                    answered => answered.map(|r| r.as_str()),
                    answerable => m.state == MeetingState::Invited,
                },
            )
        }
        Err(e) => {
            let e = AppError::from(e);
            let status = e.status();
            if !matches!(status, StatusCode::NOT_FOUND | StatusCode::GONE) {
                return super::error_page(state, headers, None, &e);
            }
            let mut r = render(
                state,
                headers,
                None,
                "meeting/rsvp_invalid.html",
                ctx! { is_partner => true, expired => status == StatusCode::GONE },
            );
            *r.status_mut() = status;
            r
        }
    }
}
