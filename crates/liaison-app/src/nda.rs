//! The NDA register (policy §7.1.2; SPEC G2): company users read it, admins and channel
//! management record agreements, a partner user sees only its own partner's agreements.

pub use crate::Error;
use crate::Result;
use liaison_core::{Actor, Object, Permission, authorize};
use liaison_db::Db;
use liaison_db::nda::{self as repo, Nda, NdaInput};

/// The agreements the actor may see; `partner` (a code or an id) narrows them to one partner.
pub async fn list(db: &Db, actor: &Actor, partner: Option<&str>) -> Result<Vec<Nda>> {
    authorize(actor, Permission::ReadPartners, &Object::default())?;
    let partner = match partner.filter(|v| !v.is_empty()) {
        Some(r) => Some(
            liaison_db::partner::resolve_partner_ref(db, r)
                .await?
                .ok_or_else(|| {
                    Error::invalid(
                        "partner",
                        liaison_core::validate::Msg::new("validate.no_partner").arg("value", r),
                    )
                })?,
        ),
        None => None,
    };
    Ok(repo::list_ndas(db, actor.scope(), partner).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn record(db: &Db, actor: &Actor, input: &NdaInput) -> Result<Nda> {
    authorize(actor, Permission::WritePartners, &Object::default())?;
    Ok(repo::insert_nda(db, actor.user_id, input).await?)
}

/// Files the signed document of an agreement (admins and channel management).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, nda = %id))]
pub async fn attach_document(
    db: &Db,
    actor: &Actor,
    id: uuid::Uuid,
    filename: &str,
    bytes: &[u8],
) -> Result<Nda> {
    authorize(actor, Permission::WritePartners, &Object::default())?;
    Ok(repo::attach_document(db, actor.user_id, id, filename, bytes).await?)
}

/// The signed document, for those who may see the agreement (a partner user its own).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, nda = %id))]
pub async fn document(db: &Db, actor: &Actor, id: uuid::Uuid) -> Result<(String, String, Vec<u8>)> {
    authorize(actor, Permission::ReadPartners, &Object::default())?;
    Ok(repo::read_document(db, actor.scope(), id).await?)
}

/// How an agreement stands on `at` (§7.1.2): valid, expiring within 30 days, expired, or not
/// yet in force.
pub fn standing(n: &Nda, at: chrono::DateTime<chrono::Utc>) -> &'static str {
    if n.signed_at > at {
        "pending"
    } else if n.expires_at <= at {
        "expired"
    } else if n.expires_at <= at + chrono::Duration::days(30) {
        "expiring"
    } else {
        "valid"
    }
}
