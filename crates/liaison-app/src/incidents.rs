//! Leak incidents (policy §7.3; SPEC G7): report → containment at once → leadership told at
//! once through every channel they have (the bell, and e-mail now, whatever the hour) →
//! investigation (cause, responsible party, evidence, the NDA that applies) → actions and
//! closure. Each step is a timeline entry and an audit entry. Only leadership and the head of
//! channel management read and handle incidents; a reporter reads their own.

use crate::{Error, Result};
use liaison_core::incidents::{self as rules, IncidentState, Severity};
use liaison_core::notify::NotifyKind;
use liaison_core::validate::Msg;
use liaison_core::{Actor, FieldErrors, Object, Permission, Role, authorize};
use liaison_db::Db;
use liaison_db::incidents::{
    self as repo, Change, Contained, Event, Incident, NewIncident, Suspect,
};
use liaison_db::notify::NewNotification;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// Whether `user` heads a department that has channel managers (the head of channel
/// management).
pub async fn heads_channel(db: &Db, user: Uuid) -> Result<bool> {
    let users = liaison_db::user::list_users(db).await?;
    let depts = liaison_db::user::list_departments(db).await?;
    Ok(heads(&users, &depts, user))
}

fn heads(
    users: &[liaison_db::user::User],
    depts: &[liaison_db::user::Department],
    user: Uuid,
) -> bool {
    depts.iter().any(|d| {
        d.head_user_id == Some(user)
            && users.iter().any(|u| {
                u.active && u.department_id == Some(d.id) && u.roles.has(Role::ChannelManager)
            })
    })
}

/// Senior leadership and the head of channel management: who is told of a leak at once.
pub async fn leadership(db: &Db) -> Result<Vec<Uuid>> {
    let users = liaison_db::user::list_users(db).await?;
    let depts = liaison_db::user::list_departments(db).await?;
    Ok(users
        .iter()
        .filter(|u| u.active && (u.roles.has(Role::Executive) || heads(&users, &depts, u.id)))
        .map(|u| u.id)
        .collect())
}

/// What a report holds (from a trace or by hand).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Report {
    pub title: String,
    pub severity: Option<String>,
    pub message_id: Option<Uuid>,
    pub description: String,
    pub leaked_text: String,
    pub suspects: Vec<Suspect>,
}

/// §7.3: anyone on the staff reports a leak; leadership is told at once.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn report(db: &Db, actor: &Actor, r: &Report) -> Result<Incident> {
    authorize(actor, Permission::ReportIncidents, &Object::default())?;
    let mut e = FieldErrors::new();
    let title = r.title.trim();
    if title.is_empty() {
        e.add("title", Msg::new("validate.required"));
    } else if title.chars().count() > 200 {
        e.add("title", Msg::new("validate.too_long").arg("max", 200));
    }
    let severity = match r.severity.as_deref() {
        None | Some("") => Severity::High,
        Some(s) => match Severity::parse(s) {
            Ok(s) => s,
            Err(m) => {
                e.add("severity", m);
                Severity::High
            }
        },
    };
    if r.description.trim().is_empty() && r.leaked_text.trim().is_empty() {
        e.add("description", Msg::new("incident.describe"));
    }
    for (field, text, max) in [
        ("description", &r.description, 20_000),
        ("leaked_text", &r.leaked_text, 50_000),
    ] {
        if text.chars().count() > max {
            e.add(field, Msg::new("validate.too_long").arg("max", max));
        }
    }
    if r.suspects.len() > 100 {
        e.add("suspects", Msg::new("validate.too_long").arg("max", 100));
    }
    if let Some(m) = r.message_id
        && !liaison_db::request::message_exists(db, m).await?
    {
        e.add("message_id", Msg::new("incident.no_message"));
    }
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    let email_at = Some(crate::notify::email_time(db, true).await?);
    let tell = leadership(db)
        .await?
        .into_iter()
        .map(|u| NewNotification {
            user_id: u,
            kind: NotifyKind::IncidentReported,
            args: json!({"title": title}),
            link: String::new(),
            urgent: true,
            email_at,
        })
        .collect();
    let mut incident = repo::insert(
        db,
        actor.user_id,
        NewIncident {
            title,
            severity,
            message_id: r.message_id,
            description: r.description.trim(),
            leaked_text: r.leaked_text.trim(),
            suspects: &r.suspects,
            tell,
        },
    )
    .await?;
    incident
        .suspects
        .sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(incident)
}

/// One incident and its timeline, for those who may read it (others: not found).
pub async fn show(db: &Db, actor: &Actor, id: Uuid) -> Result<(Incident, Vec<Event>)> {
    authorize(actor, Permission::ReportIncidents, &Object::default())?;
    let i = repo::find(db, id).await?;
    let head = heads_channel(db, actor.user_id).await?;
    if !rules::may_read(actor, head, Some(i.reported_by)) {
        return Err(Error::NotFound);
    }
    let events = repo::events(db, id).await?;
    liaison_db::audit::record(
        db,
        liaison_db::audit::Entry::by(actor.user_id, "incident.read", "incident", id, json!({})),
    )
    .await?;
    Ok((i, events))
}

/// Incidents the actor may read: all for leadership and the channel head, else their own
/// reports.
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<Incident>> {
    authorize(actor, Permission::ReportIncidents, &Object::default())?;
    let all = rules::may_handle(actor, heads_channel(db, actor.user_id).await?);
    Ok(repo::list(db, (!all).then_some(actor.user_id), 200).await?)
}

/// Whether the actor handles incidents (contain, investigate, close).
pub async fn may_handle(db: &Db, actor: &Actor) -> Result<bool> {
    Ok(rules::may_handle(
        actor,
        heads_channel(db, actor.user_id).await?,
    ))
}

async fn load_handled(db: &Db, actor: &Actor, id: Uuid) -> Result<Incident> {
    authorize(actor, Permission::ReportIncidents, &Object::default())?;
    let i = repo::find(db, id).await?;
    let head = heads_channel(db, actor.user_id).await?;
    if !rules::may_read(actor, head, Some(i.reported_by)) {
        return Err(Error::NotFound);
    }
    if !rules::may_handle(actor, head) {
        return Err(Error::Forbidden);
    }
    Ok(i)
}

/// §7.3 containment, at once: the suspects' portal copies of the message are recalled (the
/// inbox shows them withdrawn and refuses to open them), their one-click links stop working,
/// and their partners' robots are paused until new secrets are saved.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, incident = %id))]
pub async fn contain(db: &Db, actor: &Actor, id: Uuid) -> Result<(Incident, Contained)> {
    let i = load_handled(db, actor, id).await?;
    if !i.state.may_become(IncidentState::Contained) {
        return Err(Error::Conflict(format!(
            "an incident that is {} cannot be contained again",
            i.state.as_str()
        )));
    }
    let mut copies: Vec<(Uuid, Uuid)> = Vec::new();
    let mut partners: Vec<Uuid> = Vec::new();
    for s in &i.suspects {
        if let Some(m) = i.message_id
            && !copies.contains(&(m, s.partner_id))
        {
            copies.push((m, s.partner_id));
        }
        if !partners.contains(&s.partner_id) {
            partners.push(s.partner_id);
        }
    }
    let done = repo::contain(db, actor.user_id, &i, &copies, &partners).await?;
    Ok((repo::find(db, id).await?, done))
}

/// The investigation and closure (§7.3).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Patch {
    pub cause: Option<String>,
    pub responsible: Option<String>,
    pub nda_id: Option<Uuid>,
    pub actions: Option<String>,
    pub state: Option<String>,
    pub note: Option<String>,
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, incident = %id))]
pub async fn update(db: &Db, actor: &Actor, id: Uuid, p: &Patch) -> Result<Incident> {
    let i = load_handled(db, actor, id).await?;
    if i.state == IncidentState::Closed {
        return Err(Error::Conflict("the incident is closed".into()));
    }
    let mut e = FieldErrors::new();
    let state = match p.state.as_deref() {
        None | Some("") => i.state,
        Some(s) => match IncidentState::parse(s) {
            Ok(s) if s == i.state || i.state.may_become(s) => s,
            Ok(s) => {
                e.add(
                    "state",
                    Msg::new("incident.bad_move")
                        .arg("from", i.state.as_str())
                        .arg("to", s.as_str()),
                );
                i.state
            }
            Err(m) => {
                e.add("state", m);
                i.state
            }
        },
    };
    let pick = |v: &Option<String>, old: &str| v.as_deref().unwrap_or(old).trim().to_string();
    let cause = pick(&p.cause, &i.cause);
    let responsible = pick(&p.responsible, &i.responsible);
    let actions = pick(&p.actions, &i.actions);
    let note = p.note.as_deref().unwrap_or("").trim().to_string();
    for (field, text) in [
        ("cause", &cause),
        ("responsible", &responsible),
        ("actions", &actions),
        ("note", &note),
    ] {
        if text.chars().count() > 20_000 {
            e.add(field, Msg::new("validate.too_long").arg("max", 20_000));
        }
    }
    if state == IncidentState::Closed
        && let Err(missing) = rules::check_close(&cause, &responsible, &actions)
    {
        e.0.extend(missing.0);
    }
    let nda_id = p.nda_id.or(i.nda_id);
    if let Some(n) = p.nda_id {
        let known = liaison_db::nda::list_ndas(db, liaison_core::Scope::All, None)
            .await?
            .iter()
            .any(|x| x.id == n);
        if !known {
            e.add("nda_id", Msg::new("incident.no_nda"));
        }
    }
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    Ok(repo::update(
        db,
        actor.user_id,
        &i,
        Change {
            cause: &cause,
            responsible: &responsible,
            nda_id,
            actions: &actions,
            state,
            note: &note,
        },
    )
    .await?)
}
