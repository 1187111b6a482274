//! Need-to-know (policy §7.2.2; SPEC G4): a confidential or secret request (and the message it
//! sends, and its attachments) is read in full only by its circle: its requester, its
//! reviewers, and the people and roles on its access list. Everyone else who may otherwise see
//! it, admins included, gets its title only (confidential) or nothing (secret). Asking for
//! access is a logged request its owner grants or refuses. Every read of such an item is in the
//! audit chain, whole or title only.

use crate::{Error, Result};
use liaison_core::access::{self as rules, Access, AccessState, Circle, ItemKind};
use liaison_core::notify::NotifyKind;
use liaison_core::review::{self, Classification, DecisionContext};
use liaison_core::validate::Msg;
use liaison_core::{Actor, Object, Permission, Role, authorize};
use liaison_db::Db;
use liaison_db::access::{self as repo, AccessList, AccessRequest, NewRequest};
use liaison_db::notify::NewNotification;
use liaison_db::request::Request;
use serde_json::json;
use uuid::Uuid;

/// A request's classification, as its form says (internal when it does not say).
pub fn classification(r: &Request) -> Classification {
    r.form
        .classification
        .as_deref()
        .and_then(|c| Classification::parse(c).ok())
        .unwrap_or(Classification::Internal)
}

async fn circle(db: &Db, actor: &Actor, r: &Request) -> Result<Circle> {
    let list = repo::list(db, ItemKind::Request, r.id).await?;
    let reviewing_now = r.state.step().is_some_and(|step| {
        review::may_decide(
            &DecisionContext {
                actor,
                requester_id: r.requester_id,
                requester_department: r.department_id,
            },
            step,
        )
        .is_ok()
    });
    Ok(Circle {
        owner: r.requester_id,
        reviewers: r.reviews.iter().map(|v| v.reviewer_id).collect(),
        reviewing_now,
        users: list.users.iter().map(|u| u.id).collect(),
        roles: list.roles,
    })
}

/// How much of a request the actor (who passed `authorize`) sees.
pub async fn of_request(db: &Db, actor: &Actor, r: &Request) -> Result<Access> {
    let c = classification(r);
    if c < Classification::Confidential {
        return Ok(Access::Full);
    }
    Ok(rules::access(actor, c, &circle(db, actor, r).await?))
}

/// Applies need-to-know to a request just read: hidden → not found; title only → the form
/// withheld (its title and classification kept) and `restricted` set. `audit`: record the
/// read (§7.2.2); lists do not, opening one does.
pub async fn screen(db: &Db, actor: &Actor, mut r: Request, audit: bool) -> Result<Request> {
    let c = classification(&r);
    if c < Classification::Confidential {
        return Ok(r);
    }
    let access = rules::access(actor, c, &circle(db, actor, &r).await?);
    if audit && access != Access::Hidden {
        repo::record_read(
            db,
            actor.user_id,
            ItemKind::Request,
            r.id,
            c.as_str(),
            access == Access::Full,
        )
        .await?;
    }
    match access {
        Access::Full => Ok(r),
        Access::Hidden => Err(Error::NotFound),
        Access::TitleOnly => {
            r.form = liaison_core::request::RequestInput {
                title: r.form.title.clone(),
                classification: r.form.classification.clone(),
                ..Default::default()
            };
            r.findings.clear();
            r.held_back.clear();
            r.restricted = true;
            Ok(r)
        }
    }
}

/// A request's access list (anyone who reads it whole may see who else does).
pub async fn list_of_request(db: &Db, actor: &Actor, id: Uuid) -> Result<AccessList> {
    let r = crate::request::load(db, actor, id.into()).await?;
    if r.restricted {
        return Err(Error::Forbidden);
    }
    Ok(repo::list(db, ItemKind::Request, id).await?)
}

/// The requester names who else may know (§7.2.2): staff users and roles (not partners).
pub async fn set_request_list(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    users: &[Uuid],
    roles: &[Role],
) -> Result<AccessList> {
    let r = crate::request::load(db, actor, id.into()).await?;
    authorize(
        actor,
        Permission::EditRequest,
        &Object::owned(r.requester_id, r.department_id),
    )?;
    let mut e = liaison_core::FieldErrors::new();
    for (i, u) in users.iter().enumerate() {
        match liaison_db::user::find_user(db, *u).await? {
            Some(user) if user.active && !user.roles.is_partner() => {}
            _ => e.add(
                format!("users[{i}]"),
                Msg::new("access.not_staff").arg("value", u.to_string()),
            ),
        }
    }
    if roles.contains(&Role::PartnerUser) {
        e.add(
            "roles",
            Msg::new("access.not_staff").arg("value", "partner_user"),
        );
    }
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    let mut users = users.to_vec();
    users.sort_unstable();
    users.dedup();
    let mut roles = roles.to_vec();
    roles.sort_unstable();
    roles.dedup();
    repo::set_list(db, actor.user_id, ItemKind::Request, id, &users, &roles).await?;
    Ok(repo::list(db, ItemKind::Request, id).await?)
}

/// Asks the owner of an item one sees the title of for access (§7.2.2); the owner is told.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, item = %item))]
pub async fn ask(
    db: &Db,
    actor: &Actor,
    kind: ItemKind,
    item: Uuid,
    reason: &str,
) -> Result<AccessRequest> {
    let ItemKind::Request = kind;
    let r = crate::request::load(db, actor, item.into()).await?;
    if !r.restricted {
        return Err(Error::Conflict("you may already read it".into()));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid("reason", Msg::new("access.reason_required")));
    }
    if reason.chars().count() > 2000 {
        return Err(Error::invalid(
            "reason",
            Msg::new("validate.too_long").arg("max", 2000),
        ));
    }
    if repo::pending_for(db, kind, item, actor.user_id).await? {
        return Err(Error::Conflict(
            "you already asked; the owner has not decided yet".into(),
        ));
    }
    let name = liaison_db::user::find_user(db, actor.user_id)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let title = r.title.clone();
    let tell = vec![NewNotification {
        user_id: r.requester_id,
        kind: NotifyKind::AccessRequested,
        args: json!({"title": title, "name": name}),
        link: "/console/access-requests".into(),
        urgent: false,
        email_at: Some(crate::notify::email_time(db, false).await?),
    }];
    Ok(repo::insert_request(
        db,
        actor.user_id,
        NewRequest {
            kind,
            item,
            title: &title,
            owner: r.requester_id,
            reason,
            tell,
        },
    )
    .await?)
}

/// The owner's decision; the asker is told. Only the owner decides: the asker gets 403,
/// anyone else 404.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, access_request = %id))]
pub async fn decide(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    grant: bool,
    note: &str,
) -> Result<AccessRequest> {
    let r = find(db, actor, id).await?;
    if r.owner_id != actor.user_id {
        return Err(Error::Forbidden);
    }
    if r.state != AccessState::Requested {
        return Err(Error::Conflict("this request was already decided".into()));
    }
    let tell = vec![NewNotification {
        user_id: r.user_id,
        kind: NotifyKind::AccessDecided,
        args: json!({"title": r.item_title, "state": if grant { "granted" } else { "refused" }}),
        link: format!("/console/requests/{}", r.item_id),
        urgent: false,
        email_at: Some(crate::notify::email_time(db, false).await?),
    }];
    Ok(repo::decide(db, actor.user_id, &r, grant, note.trim(), &tell).await?)
}

/// One access request: its asker's and its owner's only.
pub async fn find(db: &Db, actor: &Actor, id: Uuid) -> Result<AccessRequest> {
    authorize(actor, Permission::UseConsole, &Object::default())?;
    let r = repo::find_request(db, id).await?;
    if r.user_id != actor.user_id && r.owner_id != actor.user_id {
        return Err(Error::NotFound);
    }
    Ok(r)
}

/// The requests the actor made and those waiting for their decision.
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<AccessRequest>> {
    authorize(actor, Permission::UseConsole, &Object::default())?;
    Ok(repo::list_requests(db, actor.user_id, 200).await?)
}
