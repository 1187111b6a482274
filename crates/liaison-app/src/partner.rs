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

/// A contact's portal login, if it has one (issue 9: portal users are people too).
pub async fn portal_logins(
    db: &Db,
    actor: &Actor,
    partner: PartnerId,
) -> Result<Vec<liaison_db::user::User>> {
    authorize(
        actor,
        Permission::WritePartners,
        &Object::partner(partner.into()),
    )?;
    Ok(liaison_db::user::portal_logins(db, partner.into()).await?)
}

/// Gives a contact a portal login (issue 9): links the partner's existing login with the
/// contact's e-mail, or creates one with a one-time password the caller shows once. Returns
/// the login and the password when one was created.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, partner = %partner, contact = %id))]
pub async fn grant_portal_login(
    db: &Db,
    actor: &Actor,
    partner: PartnerId,
    id: ContactId,
) -> Result<(liaison_db::user::User, Option<String>)> {
    let c = contact(db, actor, partner, id).await?;
    authorize(
        actor,
        Permission::WritePartners,
        &Object::partner(partner.into()),
    )?;
    let Some(email) = c.email.clone().filter(|e| !e.trim().is_empty()) else {
        return Err(Error::invalid(
            "email",
            liaison_core::validate::Msg::new("validate.portal_needs_email"),
        ));
    };
    let logins = liaison_db::user::portal_logins(db, partner.into()).await?;
    if let Some(u) = logins.iter().find(|u| u.contact_id == Some(c.id)) {
        return Ok((u.clone(), None));
    }
    let existing = liaison_db::user::list_users(db)
        .await?
        .into_iter()
        .find(|u| u.email.eq_ignore_ascii_case(email.trim()));
    let (user, password) = match existing {
        Some(u) if u.partner_id == Some(c.partner_id) => (u, None),
        Some(_) => {
            return Err(Error::Conflict(
                "another account already uses this contact's e-mail address".into(),
            ));
        }
        None => {
            let password = liaison_db::random_token()?
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(14)
                .collect::<String>();
            let u = liaison_db::user::insert_user(
                db,
                Some(actor.user_id),
                &liaison_db::user::UserInput {
                    email: email.trim().to_string(),
                    name: c.name.clone(),
                    password: password.clone(),
                    roles: vec!["partner_user".into()],
                    partner: Some(c.partner_code.clone()),
                    lang: Some(c.lang.clone()),
                    ..Default::default()
                },
            )
            .await?;
            (u, Some(password))
        }
    };
    liaison_db::user::set_contact(db, Some(actor.user_id), user.id, Some(c.id), c.partner_id)
        .await?;
    let user = liaison_db::user::find_user(db, user.id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((user, password))
}
