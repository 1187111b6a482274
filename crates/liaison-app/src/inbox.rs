//! The partner inbox (policy §4.3.2, §4.4.1; SPEC B5, B6): a partner user sees only its own
//! partner's messages; opening one records the read, confirming is one call (group-committed by
//! the `AckWriter`), late after the deadline.

pub use crate::Error;
use crate::Result;
use liaison_core::ids::{AttachmentId, MessageId};
use liaison_core::{Actor, Object, Permission, authorize};
use liaison_db::Db;
use liaison_db::attachment::Attachment;
use liaison_db::inbox::{self as repo, AckWriter, Counts, InboxItem, Message};
use uuid::Uuid;

/// The caller's partner: only partner users have an inbox; one whose account lost its partner
/// finds nothing.
pub fn partner(actor: &Actor) -> Result<Uuid> {
    authorize(actor, Permission::UseInbox, &Object::default())?;
    actor.scope().partner().ok_or(Error::NotFound)
}

/// A page of the partner's messages, newest first, with its unread and to-confirm counts.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(
    db: &Db,
    actor: &Actor,
    before: Option<Uuid>,
    limit: i64,
) -> Result<(Vec<InboxItem>, Counts)> {
    let pid = partner(actor)?;
    let items = repo::list_inbox(db, pid, before, limit).await?;
    Ok((items, repo::counts(db, pid).await?))
}

pub async fn counts(db: &Db, actor: &Actor) -> Result<Counts> {
    Ok(repo::counts(db, partner(actor)?).await?)
}

/// Opens a message, recording the read (§4.3.2); another partner's message is not found.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, message = %message))]
pub async fn open(db: &Db, actor: &Actor, message: MessageId) -> Result<Message> {
    let pid = partner(actor)?;
    not_recalled(db, pid, message.into()).await?;
    let mut m = repo::open_message(db, actor.user_id, pid, message.into()).await?;
    if crate::leaks::marked(&m.item.classification) {
        // §7.3: the reader's own copy, marked for their delivery, with its code for the page.
        let contact = liaison_db::user::find_user(db, actor.user_id)
            .await?
            .and_then(|u| u.contact_id);
        if let Some(d) =
            liaison_db::incidents::seed_delivery(db, m.item.message_id, pid, contact).await?
        {
            if !m.body.is_empty() {
                m.body = crate::leaks::copy_of_delivery(db, d, &m.body)?;
            }
            m.copy_code = Some(crate::leaks::screen_code(db, d)?);
        }
    }
    Ok(m)
}

/// A copy a leak incident recalled (§7.3) is gone for its partner.
async fn not_recalled(db: &Db, partner: Uuid, message: Uuid) -> Result<()> {
    if liaison_db::incidents::recalled(db, message, partner).await? {
        return Err(Error::Gone("gone.recalled".into()));
    }
    Ok(())
}

/// Of a page of the partner's messages, those a leak incident recalled.
pub async fn recalled(db: &Db, actor: &Actor, messages: &[Uuid]) -> Result<Vec<Uuid>> {
    let pid = partner(actor)?;
    Ok(liaison_db::incidents::recalled_among(db, pid, messages).await?)
}

/// Confirms receipt in the portal (§4.3.2), credited to the user.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, message = %message))]
pub async fn acknowledge(
    db: &Db,
    acks: &AckWriter,
    actor: &Actor,
    message: MessageId,
) -> Result<InboxItem> {
    let pid = partner(actor)?;
    Ok(acks
        .acknowledge(db, Some(actor.user_id), pid, message.into(), "portal")
        .await?)
}

/// The request behind a message delivered to the caller's partner.
pub async fn request_of(db: &Db, actor: &Actor, message: MessageId) -> Result<Uuid> {
    let pid = partner(actor)?;
    not_recalled(db, pid, message.into()).await?;
    Ok(repo::request_of(db, pid, message.into()).await?)
}

pub async fn attachments(db: &Db, actor: &Actor, message: MessageId) -> Result<Vec<Attachment>> {
    let rid = request_of(db, actor, message).await?;
    Ok(liaison_db::attachment::list_attachments(db, rid).await?)
}

pub async fn attachment(
    db: &Db,
    actor: &Actor,
    message: MessageId,
    id: AttachmentId,
) -> Result<(Attachment, Vec<u8>)> {
    let pid = partner(actor)?;
    let rid = request_of(db, actor, message).await?;
    let (a, bytes) = liaison_db::attachment::read_attachment(db, rid, id.into()).await?;
    let item = repo::find_for(db, pid, message.into()).await?;
    if !crate::leaks::marked(&item.classification) {
        return Ok((a, bytes));
    }
    // §7.3: the reader's own copy, marked for their delivery.
    let contact = liaison_db::user::find_user(db, actor.user_id)
        .await?
        .and_then(|u| u.contact_id);
    let delivery = liaison_db::incidents::seed_delivery(db, message.into(), pid, contact).await?;
    let bytes =
        crate::leaks::file_copy(db, actor, &item.classification, delivery, &a, bytes).await?;
    Ok((a, bytes))
}
