//! One-click confirmation links (policy §4.3.2): a signed link is the credential for a public
//! or internal message; confidential and secret messages are confirmed only after a login
//! (§7.2.1).

use crate::{Error, Result};
use liaison_db::Db;
use liaison_db::inbox::{AckWriter, InboxItem};
use uuid::Uuid;

/// The delivery a link was made for; a forged link is not found, an old one is gone, and so
/// is one whose copy a leak incident recalled (§7.3).
pub async fn verify_link(db: &Db, token: &str) -> Result<Uuid> {
    let cipher = db.cipher().map_err(|e| Error::Internal(e.to_string()))?;
    let delivery = liaison_db::link::verify(cipher, token, db.now()).map_err(|e| match e {
        liaison_db::link::LinkError::Invalid => Error::NotFound,
        liaison_db::link::LinkError::Expired => Error::Gone(e.to_string()),
    })?;
    if liaison_db::incidents::delivery_recalled(db, delivery).await? {
        return Err(Error::Gone("gone.link_recalled".into()));
    }
    Ok(delivery)
}

/// Confirms the delivery's message for its partner, through the group-committing writer.
#[tracing::instrument(skip_all, fields(delivery = %delivery))]
pub async fn ack_by_link(db: &Db, acks: &AckWriter, delivery: Uuid) -> Result<InboxItem> {
    let d = liaison_db::delivery::find_delivery(db, delivery).await?;
    let item = liaison_db::inbox::find_item(db, d.partner_id, d.message_id).await?;
    if !matches!(item.classification.as_str(), "public" | "internal") {
        return Err(Error::Denied(
            "this message is confidential: log in to the partner portal to read and confirm it"
                .into(),
        ));
    }
    Ok(acks
        .acknowledge_as(
            db,
            None,
            Some(d.contact_id),
            d.partner_id,
            d.message_id,
            &d.channel,
        )
        .await?)
}
