//! Site visits and phone calls (policy §2.2.2, §2.2.3; issue 14). Staff plan visits, report
//! them (findings, problems, action items) and log calls with their follow-ups; a call may
//! carry out a message's phone delivery (marked done) and raise a ticket on the partner's
//! behalf. Partner users read their own partner's visits and calls, never a visit's
//! `problems` (company-internal, cleared here), and another partner's are 404. Who is overdue
//! a visit is `liaison_core::meetings::visit_due` on each partner's last reported visit; the
//! sweep tells the partner's channel manager once per partner and due day.

pub use crate::Error;
use crate::Result;
use chrono::{DateTime, NaiveDate, Utc};
use liaison_core::calendar::COMPANY_ZONE;
use liaison_core::meetings::{CallDirection, MeetingSettings, TaskSource, VisitState, visit_due};
use liaison_core::notify::NotifyKind;
use liaison_core::tickets::TicketVia;
use liaison_core::validate::Msg;
use liaison_core::{Actor, FieldErrors, Object, Permission, authorize};
use liaison_db::Db;
use liaison_db::meetings::{NewTask, Task, TaskFilter};
use liaison_db::notify::NewNotification;
use liaison_db::offline::{
    self as repo, Call, CallFilter, NewCall, PartnerVisits, Visit, VisitFile, VisitFilter,
    VisitPlan, VisitReport,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

const MAX_PURPOSE: usize = 500;
const MAX_TEXT: usize = 10_000;
const MAX_TITLE: usize = 200;
/// At most this many action items or follow-ups at once.
const MAX_TASKS: usize = 50;

/// Today in the company's zone.
pub fn today(db: &Db) -> NaiveDate {
    db.now().with_timezone(&COMPANY_ZONE).date_naive()
}

// ---- Input ----

/// `POST /api/v1/visits` and the plan fields of a PATCH.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VisitInput {
    pub partner_id: Option<Uuid>,
    pub planned_on: Option<String>,
    pub purpose: Option<String>,
    /// The staff member who goes; the one planning when not given.
    pub visitor_id: Option<Uuid>,
}

/// An action item or follow-up: owned by a staff user or one of the partner's contacts (the
/// one writing when neither is given), due on a day.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskInput {
    pub title: Option<String>,
    pub owner_user_id: Option<Uuid>,
    pub owner_contact_id: Option<Uuid>,
    pub due_on: Option<String>,
}

/// A visit's report (§2.2.2).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportInput {
    pub visited_on: Option<String>,
    pub findings: Option<String>,
    /// Company-internal: never shown to the partner.
    pub problems: Option<String>,
    pub actions: Vec<TaskInput>,
}

/// `PATCH /api/v1/visits/{id}`: a report, a cancellation (`state: cancelled`) or new plan
/// fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VisitPatch {
    pub report: Option<ReportInput>,
    pub state: Option<String>,
    pub planned_on: Option<String>,
    pub purpose: Option<String>,
    pub visitor_id: Option<Uuid>,
}

/// The ticket a call raises (§3.4.1, on the partner's behalf, via phone).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallTicket {
    pub kind: Option<String>,
    pub priority: Option<String>,
    pub subject: Option<String>,
    pub description: Option<String>,
}

/// `POST /api/v1/calls` (§2.2.3).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallInput {
    pub partner_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    /// RFC 3339; now when not given.
    pub at: Option<String>,
    pub direction: Option<String>,
    pub duration_minutes: Option<i64>,
    pub summary: Option<String>,
    /// The phone delivery of a message this call carried out.
    pub delivery_id: Option<Uuid>,
    pub follow_ups: Vec<TaskInput>,
    pub ticket: Option<CallTicket>,
}

fn text(
    e: &mut FieldErrors,
    field: &str,
    v: &Option<String>,
    max: usize,
    required: bool,
) -> String {
    let v = v.as_deref().map(str::trim).unwrap_or("");
    if v.is_empty() {
        if required {
            e.required(field);
        }
        return String::new();
    }
    if v.chars().count() > max {
        e.add(field, Msg::new("validate.max_chars").arg("max", max as i64));
    }
    v.to_string()
}

fn day(e: &mut FieldErrors, field: &str, v: &Option<String>) -> Option<NaiveDate> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            e.required(field);
            None
        }
        Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) if (2000..=2100).contains(&chrono::Datelike::year(&d)) => Some(d),
            _ => {
                e.add(field, Msg::new("validate.date").arg("value", s));
                None
            }
        },
    }
}

/// A staff user who may own work or visit: active and not a partner's login.
async fn staff_user(db: &Db, id: Uuid) -> Result<bool> {
    Ok(liaison_db::user::find_user(db, id)
        .await?
        .is_some_and(|u| u.active && !u.roles.is_partner()))
}

async fn contact_of(db: &Db, partner: Uuid, contact: Uuid) -> Result<bool> {
    match liaison_db::partner::find_contact(db, liaison_core::Scope::All, partner, contact).await {
        Ok(_) => Ok(true),
        Err(liaison_db::DbError::NotFound) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

/// Checks action items against the partner, every error at once under `field.N.name`.
async fn tasks(
    db: &Db,
    actor: &Actor,
    e: &mut FieldErrors,
    field: &str,
    source: TaskSource,
    partner: Uuid,
    items: &[TaskInput],
) -> Result<Vec<NewTask>> {
    if items.len() > MAX_TASKS {
        e.add(
            field,
            Msg::new("validate.max_values").arg("max", MAX_TASKS as i64),
        );
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (i, t) in items.iter().enumerate() {
        let f = |n: &str| format!("{field}.{i}.{n}");
        let title = text(e, &f("title"), &t.title, MAX_TITLE, true);
        let due = day(e, &f("due_on"), &t.due_on);
        let (owner_user, owner_contact) = match (t.owner_user_id, t.owner_contact_id) {
            (Some(_), Some(_)) => {
                e.add(f("owner_contact_id"), Msg::new("offline.one_owner"));
                (None, None)
            }
            (Some(u), None) => {
                if !staff_user(db, u).await? {
                    e.add(f("owner_user_id"), Msg::new("validate.invalid"));
                }
                (Some(u), None)
            }
            (None, Some(c)) => {
                if !contact_of(db, partner, c).await? {
                    e.add(f("owner_contact_id"), Msg::new("validate.invalid"));
                }
                (None, Some(c))
            }
            (None, None) => (Some(actor.user_id), None),
        };
        if let Some(due_on) = due {
            out.push(NewTask {
                source,
                meeting_id: None,
                visit_id: None,
                call_id: None,
                partner_id: Some(partner),
                title,
                owner_user_id: owner_user,
                owner_contact_id: owner_contact,
                due_on,
            });
        }
    }
    Ok(out)
}

/// The partner an input names, when it exists (every error at once: a missing one is
/// recorded, not returned).
async fn partner_of(db: &Db, e: &mut FieldErrors, id: Option<Uuid>) -> Result<Option<Uuid>> {
    let Some(p) = id else {
        e.required("partner_id");
        return Ok(None);
    };
    match liaison_db::partner::find_partner(db, liaison_core::Scope::All, p).await {
        Ok(p) => Ok(Some(p.id)),
        Err(liaison_db::DbError::NotFound) => {
            e.add("partner_id", Msg::new("validate.invalid"));
            Ok(None)
        }
        Err(other) => Err(other.into()),
    }
}

/// What a partner's user may read of a visit: never its problems.
fn for_reader(actor: &Actor, mut v: Visit) -> Visit {
    if actor.is_partner() {
        v.problems = None;
    }
    v
}

// ---- Visits ----

/// Visits `actor` may see (a partner user: its own partner's only).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list_visits(
    db: &Db,
    actor: &Actor,
    mut f: VisitFilter,
    limit: i64,
) -> Result<Vec<Visit>> {
    let object = match (actor.scope().partner(), f.partner) {
        (Some(own), _) => Object::partner(f.partner.unwrap_or(own)),
        (None, Some(p)) => Object::partner(p),
        (None, None) => Object::default(),
    };
    authorize(actor, Permission::ReadOffline, &object)?;
    if let Some(own) = actor.scope().partner() {
        f.partner = Some(own);
    } else if actor.is_partner() {
        return Err(Error::NotFound);
    }
    Ok(repo::list_visits(db, &f, limit)
        .await?
        .into_iter()
        .map(|v| for_reader(actor, v))
        .collect())
}

/// One visit with its photos and action items.
#[derive(Debug, Clone, Serialize)]
pub struct VisitPage {
    #[serde(flatten)]
    pub visit: Visit,
    pub files: Vec<VisitFile>,
    pub tasks: Vec<Task>,
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, visit = %id))]
pub async fn show_visit(db: &Db, actor: &Actor, id: Uuid) -> Result<VisitPage> {
    let v = repo::find_visit(db, id).await?;
    authorize(
        actor,
        Permission::ReadOffline,
        &Object::partner(v.partner_id),
    )?;
    let files = repo::list_visit_files(db, id).await?;
    let tasks = liaison_db::meetings::list_tasks(
        db,
        &TaskFilter {
            visit: Some(id),
            ..Default::default()
        },
        MAX_TASKS as i64 * 4,
    )
    .await?;
    Ok(VisitPage {
        visit: for_reader(actor, v),
        files,
        tasks,
    })
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create_visit(db: &Db, actor: &Actor, input: &VisitInput) -> Result<Visit> {
    authorize(actor, Permission::LogOffline, &Object::default())?;
    let mut e = FieldErrors::new();
    let partner = partner_of(db, &mut e, input.partner_id).await?;
    let planned_on = day(&mut e, "planned_on", &input.planned_on);
    let purpose = text(&mut e, "purpose", &input.purpose, MAX_PURPOSE, true);
    let visitor = input.visitor_id.unwrap_or(actor.user_id);
    if !staff_user(db, visitor).await? {
        e.add("visitor_id", Msg::new("validate.invalid"));
    }
    match (partner, planned_on) {
        (Some(partner_id), Some(planned_on)) if e.is_empty() => {
            authorize(actor, Permission::LogOffline, &Object::partner(partner_id))?;
            Ok(repo::insert_visit(
                db,
                actor.user_id,
                &VisitPlan {
                    partner_id,
                    visitor_id: visitor,
                    planned_on,
                    purpose,
                },
            )
            .await?)
        }
        _ => Err(Error::Invalid(e)),
    }
}

/// A report, a cancellation or a new plan (one of them).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, visit = %id))]
pub async fn update_visit(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    patch: &VisitPatch,
    version: Option<i64>,
) -> Result<Visit> {
    let before = repo::find_visit(db, id).await?;
    authorize(
        actor,
        Permission::LogOffline,
        &Object::partner(before.partner_id),
    )?;
    if version.is_some_and(|v| v != before.version) {
        return Err(Error::Conflict("the visit was changed meanwhile".into()));
    }
    let plan_given =
        patch.planned_on.is_some() || patch.purpose.is_some() || patch.visitor_id.is_some();
    let mut e = FieldErrors::new();
    if let Some(r) = &patch.report {
        if patch.state.is_some() || plan_given {
            e.add("report", Msg::new("offline.one_change"));
            return Err(Error::Invalid(e));
        }
        if before.state != VisitState::Planned {
            e.add("report", Msg::new("offline.not_planned"));
            return Err(Error::Invalid(e));
        }
        let visited_on = day(&mut e, "report.visited_on", &r.visited_on);
        if visited_on.is_some_and(|d| d > today(db)) {
            e.add("report.visited_on", Msg::new("offline.in_future"));
        }
        let findings = text(&mut e, "report.findings", &r.findings, MAX_TEXT, true);
        let problems = text(&mut e, "report.problems", &r.problems, MAX_TEXT, false);
        let mut actions = tasks(
            db,
            actor,
            &mut e,
            "report.actions",
            TaskSource::Visit,
            before.partner_id,
            &r.actions,
        )
        .await?;
        for t in &mut actions {
            t.visit_id = Some(id);
        }
        return match visited_on {
            Some(visited_on) if e.is_empty() => Ok(repo::report_visit(
                db,
                actor.user_id,
                &before,
                &VisitReport {
                    visited_on,
                    findings,
                    problems,
                    actions,
                },
            )
            .await?),
            _ => Err(Error::Invalid(e)),
        };
    }
    if let Some(s) = patch.state.as_deref() {
        if plan_given {
            e.add("state", Msg::new("offline.one_change"));
            return Err(Error::Invalid(e));
        }
        if s != "cancelled" {
            return Err(Error::invalid("state", Msg::one_of(s, &["cancelled"])));
        }
        if before.state != VisitState::Planned {
            return Err(Error::invalid("state", Msg::new("offline.not_planned")));
        }
        return Ok(repo::cancel_visit(db, actor.user_id, &before).await?);
    }
    if !plan_given {
        return Err(Error::invalid("report", Msg::new("validate.required")));
    }
    if before.state != VisitState::Planned {
        return Err(Error::invalid(
            "planned_on",
            Msg::new("offline.not_planned"),
        ));
    }
    let planned_on = match &patch.planned_on {
        Some(_) => day(&mut e, "planned_on", &patch.planned_on),
        None => Some(before.planned_on),
    };
    let purpose = match &patch.purpose {
        Some(_) => text(&mut e, "purpose", &patch.purpose, MAX_PURPOSE, true),
        None => before.purpose.clone(),
    };
    let visitor = patch.visitor_id.unwrap_or(before.visitor_id);
    if patch.visitor_id.is_some() && !staff_user(db, visitor).await? {
        e.add("visitor_id", Msg::new("validate.invalid"));
    }
    match planned_on {
        Some(planned_on) if e.is_empty() => Ok(repo::update_visit(
            db,
            actor.user_id,
            &before,
            &VisitPlan {
                partner_id: before.partner_id,
                visitor_id: visitor,
                planned_on,
                purpose,
            },
        )
        .await?),
        _ => Err(Error::Invalid(e)),
    }
}

/// The largest photo a visit takes.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

#[tracing::instrument(skip_all, fields(user = %actor.user_id, visit = %id))]
pub async fn add_file(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    filename: &str,
    bytes: &[u8],
) -> Result<VisitFile> {
    let v = repo::find_visit(db, id).await?;
    authorize(
        actor,
        Permission::LogOffline,
        &Object::partner(v.partner_id),
    )?;
    if bytes.is_empty() {
        return Err(Error::invalid("file", Msg::new("validate.required")));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Error::TooLarge("a visit's file is at most 10 MiB".into()));
    }
    Ok(repo::insert_visit_file(db, actor.user_id, id, filename, bytes).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, visit = %id))]
pub async fn read_file(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    file: Uuid,
) -> Result<(VisitFile, Vec<u8>)> {
    let v = repo::find_visit(db, id).await?;
    authorize(
        actor,
        Permission::ReadOffline,
        &Object::partner(v.partner_id),
    )?;
    Ok(repo::read_visit_file(db, id, file).await?)
}

/// A partner overdue a visit (§2.2.2).
#[derive(Debug, Clone, Serialize)]
pub struct Overdue {
    #[serde(flatten)]
    pub partner: PartnerVisits,
    pub due_on: NaiveDate,
    pub days_overdue: i64,
}

/// §2.2.2: the partners whose due day (by tier, from their last reported visit, or from the
/// day they became a partner when never visited) is before `today`, by tier then due day.
pub fn overdue_of(
    rows: Vec<PartnerVisits>,
    settings: &MeetingSettings,
    today: NaiveDate,
) -> Vec<Overdue> {
    let mut out: Vec<Overdue> = rows
        .into_iter()
        .filter_map(|p| {
            let since = p.partner_since.with_timezone(&COMPANY_ZONE).date_naive();
            let due = visit_due(
                Some(p.last_visit.unwrap_or(since)),
                &p.tier,
                settings,
                today,
            );
            (due < today).then(|| Overdue {
                days_overdue: (today - due).num_days(),
                due_on: due,
                partner: p,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (
            a.partner.tier.as_str(),
            a.due_on,
            a.partner.partner_code.as_str(),
        )
            .cmp(&(
                b.partner.tier.as_str(),
                b.due_on,
                b.partner.partner_code.as_str(),
            ))
    });
    out
}

/// The partners overdue a visit (staff only: it lists every partner).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn overdue(db: &Db, actor: &Actor) -> Result<Vec<Overdue>> {
    authorize(actor, Permission::LogOffline, &Object::default())?;
    let settings = liaison_db::meetings::settings(db).await?;
    Ok(overdue_of(
        repo::last_visits(db, None).await?,
        &settings,
        today(db),
    ))
}

/// §2.2.2: tells each overdue partner's channel manager, once per partner and due day.
/// Returns how many were told. Run by the worker's sweeps.
#[tracing::instrument(skip_all)]
pub async fn visit_sweep(db: &Db) -> Result<usize> {
    let settings = liaison_db::meetings::settings(db).await?;
    let email_at = crate::notify::email_time(db, false).await?;
    let mut told = 0;
    for o in overdue_of(repo::last_visits(db, None).await?, &settings, today(db)) {
        let Some(owner) = o.partner.owner_id else {
            continue;
        };
        let note = NewNotification {
            user_id: owner,
            kind: NotifyKind::VisitOverdue,
            args: json!({"partner": o.partner.partner_name, "due": o.due_on.format("%Y-%m-%d").to_string()}),
            link: "/console/visits".into(),
            urgent: false,
            email_at: Some(email_at),
        };
        if repo::claim_visit_warning(db, o.partner.partner_id, o.due_on, &[note]).await? {
            told += 1;
        }
    }
    Ok(told)
}

// ---- Calls ----

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list_calls(
    db: &Db,
    actor: &Actor,
    mut f: CallFilter,
    limit: i64,
) -> Result<Vec<Call>> {
    let object = match (actor.scope().partner(), f.partner) {
        (Some(own), _) => Object::partner(f.partner.unwrap_or(own)),
        (None, Some(p)) => Object::partner(p),
        (None, None) => Object::default(),
    };
    authorize(actor, Permission::ReadOffline, &object)?;
    if let Some(own) = actor.scope().partner() {
        f.partner = Some(own);
    } else if actor.is_partner() {
        return Err(Error::NotFound);
    }
    Ok(repo::list_calls(db, &f, limit).await?)
}

/// One call with its follow-ups.
#[derive(Debug, Clone, Serialize)]
pub struct CallPage {
    #[serde(flatten)]
    pub call: Call,
    pub follow_ups: Vec<Task>,
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, call = %id))]
pub async fn show_call(db: &Db, actor: &Actor, id: Uuid) -> Result<CallPage> {
    let c = repo::find_call(db, id).await?;
    authorize(
        actor,
        Permission::ReadOffline,
        &Object::partner(c.partner_id),
    )?;
    let follow_ups = liaison_db::meetings::list_tasks(
        db,
        &TaskFilter {
            call: Some(id),
            ..Default::default()
        },
        MAX_TASKS as i64 * 4,
    )
    .await?;
    Ok(CallPage {
        call: c,
        follow_ups,
    })
}

/// Logs a call (§2.2.3): its follow-ups become tasks; a phone delivery it carried out is
/// marked done; a ticket it raises is created on the partner's behalf (via phone) first and
/// linked.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create_call(db: &Db, actor: &Actor, input: &CallInput) -> Result<CallPage> {
    authorize(actor, Permission::LogOffline, &Object::default())?;
    let mut e = FieldErrors::new();
    let partner = partner_of(db, &mut e, input.partner_id).await?;
    if let (Some(p), Some(c)) = (partner, input.contact_id)
        && !contact_of(db, p, c).await?
    {
        e.add("contact_id", Msg::new("validate.invalid"));
    }
    let now = db.now();
    let at: Option<DateTime<Utc>> = match input.at.as_deref().map(str::trim) {
        None | Some("") => Some(now),
        Some(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) if t.with_timezone(&Utc) <= now + chrono::Duration::minutes(5) => {
                Some(t.with_timezone(&Utc))
            }
            Ok(_) => {
                e.add("at", Msg::new("offline.in_future"));
                None
            }
            Err(_) => {
                e.add("at", Msg::new("validate.datetime"));
                None
            }
        },
    };
    let direction = match input.direction.as_deref() {
        None => {
            e.required("direction");
            None
        }
        Some(d) => e.take("direction", CallDirection::parse(d)),
    };
    let duration = input.duration_minutes.unwrap_or(0);
    if !(0..=600).contains(&duration) {
        e.add(
            "duration_minutes",
            Msg::new("validate.number_range")
                .arg("min", 0i64)
                .arg("max", 600i64),
        );
    }
    let summary = text(&mut e, "summary", &input.summary, MAX_TEXT, true);
    let follow_ups = match partner {
        Some(p) => {
            tasks(
                db,
                actor,
                &mut e,
                "follow_ups",
                TaskSource::Call,
                p,
                &input.follow_ups,
            )
            .await?
        }
        None => Vec::new(),
    };
    if let (Some(p), Some(d)) = (partner, input.delivery_id)
        && !repo::phone_delivery_open(db, p, d).await?
    {
        e.add("delivery_id", Msg::new("offline.not_phone_delivery"));
    }
    let ticket_input = input.ticket.as_ref().map(|t| crate::tickets::TicketInput {
        kind: t.kind.clone(),
        priority: t.priority.clone(),
        subject: t.subject.clone(),
        description: t.description.clone(),
        partner_id: partner,
        via: Some("phone".into()),
        ..Default::default()
    });
    let (Some(partner_id), Some(at), Some(direction)) = (partner, at, direction) else {
        return Err(Error::Invalid(e));
    };
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    authorize(actor, Permission::LogOffline, &Object::partner(partner_id))?;
    let ticket_id = match ticket_input {
        Some(t) => {
            match crate::tickets::create(db, actor, &t, Vec::new(), TicketVia::Phone).await {
                Ok(t) => Some(t.id),
                Err(Error::Invalid(te)) => {
                    let mut e = FieldErrors::new();
                    for f in te.0 {
                        e.add(format!("ticket.{}", f.field), f.msg);
                    }
                    return Err(Error::Invalid(e));
                }
                Err(other) => return Err(other),
            }
        }
        None => None,
    };
    let call = repo::insert_call(
        db,
        actor.user_id,
        &NewCall {
            partner_id,
            contact_id: input.contact_id,
            at,
            direction,
            duration_minutes: duration,
            summary,
            delivery_id: input.delivery_id,
            ticket_id,
        },
        &follow_ups,
    )
    .await?;
    show_call(db, actor, call.id).await
}
