//! Everyone told what waits for them (issue 9; policy §4.2.1, §4.4.1, §4.4.2): who is told of
//! what, when the e-mail may go (the company's working hours unless urgent, §5.3.2), and the
//! person's own list, read marks and e-mail choices.

pub use crate::Error;
use crate::Result;
use chrono::{DateTime, Utc};
use liaison_core::notify::NotifyKind;
use liaison_core::partner::WorkingHours;
use liaison_core::review::{self, DecisionContext, Step};
use liaison_core::{Actor, Object, Permission, authorize};
use liaison_db::Db;
use liaison_db::notify::{self as repo, NewNotification, Notification};
use liaison_db::request::Request;
use serde_json::json;
use uuid::Uuid;

/// When a notification's e-mail may go: now when urgent or inside the company's working hours,
/// else at the start of the next working period (§5.3.2).
pub async fn email_time(db: &Db, urgent: bool) -> Result<DateTime<Utc>> {
    let cal = liaison_db::calendar::load(db).await?;
    Ok(liaison_core::calendar::send_time(
        db.now(),
        liaison_core::calendar::COMPANY_ZONE,
        &WorkingHours::default(),
        &cal,
        urgent,
    ))
}

/// Active people who may decide `step` of `r` (§4.2.1): the ones to tell it waits for them.
pub async fn reviewers(db: &Db, r: &Request, step: Step) -> Result<Vec<Uuid>> {
    Ok(liaison_db::user::list_users(db)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| u.actor())
        .filter(|a| {
            review::may_decide(
                &DecisionContext {
                    actor: a,
                    requester_id: r.requester_id,
                    requester_department: r.department_id,
                },
                step,
            )
            .is_ok()
        })
        .map(|a| a.user_id)
        .collect())
}

/// One notification per person in `users` about request `r`.
pub async fn about_request(
    db: &Db,
    users: &[Uuid],
    kind: NotifyKind,
    r: &Request,
    extra: serde_json::Value,
) -> Result<Vec<NewNotification>> {
    let urgent = r.form.urgency.as_deref() == Some("urgent");
    let at = email_time(db, urgent).await?;
    let mut args =
        json!({"title": r.title, "requester": r.requester_name.clone().unwrap_or_default()});
    if let (Some(a), serde_json::Value::Object(e)) = (args.as_object_mut(), extra) {
        a.extend(e);
    }
    Ok(users
        .iter()
        .map(|u| NewNotification {
            user_id: *u,
            kind,
            args: args.clone(),
            link: format!("/console/requests/{}", r.id),
            urgent,
            email_at: (!kind.has_own_email()).then_some(at),
        })
        .collect())
}

/// A notification as a person reads it: its title in their language.
#[derive(Debug, Clone, serde::Serialize)]
pub struct View {
    pub id: Uuid,
    pub kind: NotifyKind,
    pub title: String,
    pub link: String,
    pub urgent: bool,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl View {
    pub fn of(n: &Notification, lang: liaison_core::partner::Lang) -> Self {
        View {
            id: n.id,
            kind: n.kind,
            title: liaison_core::notify::title(lang, n.kind, &n.args),
            link: n.link.clone(),
            urgent: n.urgent,
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

/// The caller's notifications, newest first.
pub async fn list(
    db: &Db,
    actor: &Actor,
    unread_only: bool,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Notification>> {
    authorize(actor, Permission::ReadOwnNotifications, &Object::default())?;
    Ok(repo::list(db, actor.user_id, unread_only, before, limit).await?)
}

pub async fn unread_count(db: &Db, actor: &Actor) -> Result<i64> {
    authorize(actor, Permission::ReadOwnNotifications, &Object::default())?;
    Ok(repo::unread_count(db, actor.user_id).await?)
}

/// Marks one of the caller's notifications read (another person's is not found).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, notification = %id))]
pub async fn mark_read(db: &Db, actor: &Actor, id: Uuid) -> Result<Notification> {
    authorize(actor, Permission::ReadOwnNotifications, &Object::default())?;
    repo::find(db, actor.user_id, id).await?;
    repo::mark_read(db, actor.user_id, Some(id)).await?;
    Ok(repo::find(db, actor.user_id, id).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn mark_all_read(db: &Db, actor: &Actor) -> Result<u64> {
    authorize(actor, Permission::ReadOwnNotifications, &Object::default())?;
    Ok(repo::mark_read(db, actor.user_id, None).await?)
}

/// Opening a page reads the caller's notifications that lead to it.
pub async fn seen(db: &Db, actor: &Actor, link: &str) -> Result<()> {
    repo::mark_read_by_link(db, actor.user_id, link).await?;
    Ok(())
}

/// The caller's e-mail choice per kind they can receive.
pub async fn email_choices(db: &Db, actor: &Actor) -> Result<Vec<(NotifyKind, bool)>> {
    authorize(actor, Permission::ReadOwnNotifications, &Object::default())?;
    let off = repo::email_off(db, actor.user_id).await?;
    Ok(NotifyKind::choosable(actor.is_partner())
        .into_iter()
        .map(|k| (k, !off.contains(&k)))
        .collect())
}

/// Sets the caller's e-mail choices; kinds they cannot receive are refused.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn set_email_choices(
    db: &Db,
    actor: &Actor,
    choices: &[(NotifyKind, bool)],
) -> Result<()> {
    authorize(actor, Permission::ReadOwnNotifications, &Object::default())?;
    let allowed = NotifyKind::choosable(actor.is_partner());
    if let Some((k, _)) = choices.iter().find(|(k, _)| !allowed.contains(k)) {
        return Err(Error::invalid(
            "kind",
            liaison_core::validate::Msg::new("validate.notify_kind").arg("value", k),
        ));
    }
    Ok(repo::set_email(db, actor.user_id, choices).await?)
}
