//! Partners' questions and the company's answers (policy §4.1.2, §4.4.1, §4.4.2; SPEC B4). A
//! partner user asks about a message or opens a thread of its own; staff answer and close.
//! Which threads a caller sees is the storage query's partner scope; who may start one is
//! decided here.

pub use crate::Error;
use crate::Result;
use liaison_core::access::{Access, ItemKind};
use liaison_core::ids::{MessageId, ThreadId};
use liaison_core::review::Classification;
use liaison_core::{Actor, Object, Permission, authorize};
use liaison_db::Db;
use liaison_db::thread::{self as repo, Counts, Thread, ThreadState, ThreadView};
use uuid::Uuid;

/// The caller's partner: only partner users start threads (§4.4.1); one whose account lost its
/// partner finds nothing.
fn own_partner(actor: &Actor) -> Result<Uuid> {
    authorize(actor, Permission::UseInbox, &Object::default())?;
    actor.scope().partner().ok_or(Error::NotFound)
}

/// A reply to a message delivered to the caller's partner: joins the partner's unclosed thread
/// on it or starts one with the message's requester. Whether the thread is new.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, message = %message))]
pub async fn reply_to_message(
    db: &Db,
    actor: &Actor,
    message: MessageId,
    body: &str,
) -> Result<(Thread, bool)> {
    let partner = own_partner(actor)?;
    let at = crate::notify::email_time(db, false).await?;
    Ok(repo::reply_to_message(db, actor, partner, message.into(), body, at).await?)
}

/// A thread the partner opens itself; it lands with the partner's channel manager.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn open(
    db: &Db,
    actor: &Actor,
    subject: &str,
    body: &str,
    category: &str,
) -> Result<Thread> {
    let partner = own_partner(actor)?;
    let at = crate::notify::email_time(db, false).await?;
    Ok(repo::open_thread(db, actor, partner, subject, body, category, at).await?)
}

/// Threads the caller may see: a partner its own, staff those assigned to them or (channel
/// management, leadership, admins) all.
pub async fn list(
    db: &Db,
    actor: &Actor,
    state: Option<ThreadState>,
    view: ThreadView,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Thread>> {
    gate(actor)?;
    // A secret message's threads are not listed outside its circle (§7.2.2); the next rows
    // are read so a page is never short for it.
    let read = |before| async move {
        Ok(repo::list_threads(db, actor, view, state, before, limit).await?)
    };
    let keep = |rows: Vec<Thread>| async move {
        let mut kept = Vec::with_capacity(rows.len());
        for t in rows {
            let secret = classification(&t) == Classification::Secret;
            if !secret || access(db, actor, &t).await? != Access::Hidden {
                kept.push(t);
            }
        }
        Ok(kept)
    };
    crate::access::kept_page((limit, before), |t: &Thread| t.id, read, keep).await
}

fn classification(t: &Thread) -> Classification {
    Classification::parse(&t.classification).unwrap_or(Classification::Internal)
}

/// How much of a thread `actor` sees (§7.2.2): a thread on a confidential or secret message
/// is known as the message's request is (its requester, reviewers and access list), and by
/// the staff member it is assigned to; the partner reads its own. Outside: a secret one does
/// not exist, a confidential one shows its subject only.
async fn access(db: &Db, actor: &Actor, t: &Thread) -> Result<Access> {
    if actor.is_partner()
        || classification(t) < Classification::Confidential
        || t.assignee_id == Some(actor.user_id)
    {
        return Ok(Access::Full);
    }
    match t.request_id {
        Some(r) => crate::access::access_to(db, actor, ItemKind::Request, r).await,
        None => Ok(Access::Hidden),
    }
}

/// `t` as `actor` may read it: hidden → not found; title only → no posts.
async fn screened(db: &Db, actor: &Actor, mut t: Thread) -> Result<Thread> {
    match access(db, actor, &t).await? {
        Access::Full => Ok(t),
        Access::TitleOnly => {
            t.posts = None;
            Ok(t)
        }
        Access::Hidden => Err(Error::NotFound),
    }
}

/// Answering or closing needs the whole read (§7.2.2).
async fn must_know(db: &Db, actor: &Actor, id: Uuid) -> Result<()> {
    let t = repo::find_thread(db, actor, id).await?;
    match access(db, actor, &t).await? {
        Access::Full => Ok(()),
        Access::TitleOnly => Err(Error::Forbidden),
        Access::Hidden => Err(Error::NotFound),
    }
}

pub async fn counts(db: &Db, actor: &Actor, view: ThreadView) -> Result<Counts> {
    gate(actor)?;
    let mut c = repo::counts(db, actor, view).await?;
    // §7.2.2: what the list leaves out is not counted either.
    if !actor.is_partner() {
        for t in repo::secret_threads(db, actor, view).await? {
            if access(db, actor, &t).await? == Access::Hidden {
                let n = match t.state {
                    ThreadState::Open => &mut c.open,
                    ThreadState::Answered => &mut c.answered,
                    ThreadState::Closed => &mut c.closed,
                };
                *n -= 1;
            }
        }
    }
    Ok(c)
}

/// Partner users through the inbox, staff through the console.
fn gate(actor: &Actor) -> Result<()> {
    let p = if actor.is_partner() {
        Permission::UseInbox
    } else {
        Permission::UseConsole
    };
    Ok(authorize(actor, p, &Object::default())?)
}

/// The caller's threads on a message with their posts (the partner sees its own).
pub async fn on_message(db: &Db, actor: &Actor, message: MessageId) -> Result<Vec<Thread>> {
    gate(actor)?;
    Ok(repo::on_message(db, actor, message.into()).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, thread = %id))]
pub async fn show(db: &Db, actor: &Actor, id: ThreadId) -> Result<Thread> {
    gate(actor)?;
    let t = repo::find_thread(db, actor, id.into()).await?;
    screened(db, actor, t).await
}

/// A post: staff answer the thread, the partner's reply (re)opens it. The other side is told
/// (`liaison_core::notify::told_of_post`).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, thread = %id))]
pub async fn reply(db: &Db, actor: &Actor, id: ThreadId, body: &str) -> Result<Thread> {
    gate(actor)?;
    must_know(db, actor, id.into()).await?;
    let at = crate::notify::email_time(db, false).await?;
    Ok(repo::reply(db, actor, id.into(), body, at).await?)
}

/// Closes a thread (staff, or the partner its own).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, thread = %id))]
pub async fn close(db: &Db, actor: &Actor, id: ThreadId) -> Result<Thread> {
    gate(actor)?;
    must_know(db, actor, id.into()).await?;
    Ok(repo::close(db, actor, id.into()).await?)
}
