//! The partner registry (policy §1.2, §4.2.1; SPEC A1, A2): partners and their contacts.
//! Company users read the registry (they address communications to it); only admins and
//! channel management change it. A partner user reads only its own partner and never changes
//! it: another partner's records do not exist for it (404).

pub use crate::Error;
use crate::Result;
use liaison_core::ids::{ContactId, PartnerId};
use liaison_core::partner::{ContactInput, PartnerFilter, PartnerInput};
use liaison_core::{Actor, Object, Permission, authorize};
use liaison_db::Db;
use liaison_db::audit::AuditRow;
use liaison_db::partner::{self as repo, Contact, Page, Partner, PartnerSort};

/// The partner, if the actor may read it.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, partner = %id))]
pub async fn show(db: &Db, actor: &Actor, id: PartnerId) -> Result<Partner> {
    authorize(actor, Permission::ReadPartners, &Object::partner(id.into()))?;
    Ok(repo::find_partner(db, actor.scope(), id.into()).await?)
}

/// A page of the partners the actor may read, filtered and sorted.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: &PartnerFilter,
    sort: PartnerSort,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Page<Partner>> {
    authorize(actor, Permission::ReadPartners, &Object::default())?;
    Ok(repo::list_partners(db, actor.scope(), filter, sort, cursor, limit).await?)
}

/// A partner the actor may change: read access first (others get a 404), then the role (403).
async fn writable(db: &Db, actor: &Actor, id: PartnerId) -> Result<Partner> {
    let p = show(db, actor, id).await?;
    authorize(
        actor,
        Permission::WritePartners,
        &Object::partner(id.into()),
    )?;
    Ok(p)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create(db: &Db, actor: &Actor, input: PartnerInput) -> Result<Partner> {
    authorize(actor, Permission::WritePartners, &Object::default())?;
    let p = input.parse()?;
    Ok(repo::insert_partner(db, actor.user_id, &p).await?)
}

/// Changes the given fields; `version` guards against a lost update.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, partner = %id))]
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: PartnerId,
    patch: PartnerInput,
    version: Option<i64>,
) -> Result<Partner> {
    let current = writable(db, actor, id).await?;
    let p = current.to_input().overlay(patch).parse()?;
    Ok(repo::update_partner(db, actor.user_id, id.into(), &p, version).await?)
}

/// The partner's audit history, newest first (§7.2.1): company users only.
pub async fn history(
    db: &Db,
    actor: &Actor,
    id: PartnerId,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRow>> {
    show(db, actor, id).await?;
    authorize(actor, Permission::UseConsole, &Object::default())?;
    Ok(liaison_db::audit::list(db, Some(id.into()), before, limit).await?)
}

pub async fn contacts(db: &Db, actor: &Actor, partner: PartnerId) -> Result<Vec<Contact>> {
    authorize(
        actor,
        Permission::ReadPartners,
        &Object::partner(partner.into()),
    )?;
    Ok(repo::list_contacts(db, actor.scope(), partner.into()).await?)
}

pub async fn contact(db: &Db, actor: &Actor, partner: PartnerId, id: ContactId) -> Result<Contact> {
    authorize(
        actor,
        Permission::ReadPartners,
        &Object::partner(partner.into()),
    )?;
    Ok(repo::find_contact(db, actor.scope(), partner.into(), id.into()).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, partner = %partner))]
pub async fn add_contact(
    db: &Db,
    actor: &Actor,
    partner: PartnerId,
    input: ContactInput,
) -> Result<Contact> {
    writable(db, actor, partner).await?;
    let c = input.parse()?;
    Ok(repo::insert_contact(db, actor.user_id, partner.into(), &c).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, partner = %partner, contact = %id))]
pub async fn update_contact(
    db: &Db,
    actor: &Actor,
    partner: PartnerId,
    id: ContactId,
    patch: ContactInput,
) -> Result<Contact> {
    let current = contact(db, actor, partner, id).await?;
    authorize(
        actor,
        Permission::WritePartners,
        &Object::partner(partner.into()),
    )?;
    let c = current.to_input().overlay(patch).parse()?;
    Ok(repo::update_contact(db, actor.user_id, partner.into(), id.into(), &c).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, partner = %partner, contact = %id))]
pub async fn delete_contact(
    db: &Db,
    actor: &Actor,
    partner: PartnerId,
    id: ContactId,
) -> Result<()> {
    contact(db, actor, partner, id).await?;
    authorize(
        actor,
        Permission::WritePartners,
        &Object::partner(partner.into()),
    )?;
    Ok(repo::delete_contact(db, actor.user_id, partner.into(), id.into()).await?)
}
