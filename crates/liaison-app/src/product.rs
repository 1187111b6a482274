//! The product catalogue (policy §3.2.1, SPEC D4): everyone reads it, a partner user only the
//! products whose visibility admits its partner (the rest do not exist for it: 404); R&D,
//! channel management and admins keep it. Documents (datasheets, manuals) go with a product.

pub use crate::Error;
use crate::Result;
use liaison_core::product::Visibility;
use liaison_core::{Actor, Object, Permission, Scope, authorize};
use liaison_db::Db;
use liaison_db::product::{
    self as repo, PartnerAudience, Product, ProductDocument, ProductFilter, ProductInput,
};
use std::collections::HashSet;
use uuid::Uuid;

/// What narrows the catalogue for `actor`: `None` for company users (they see it all), the
/// partner's kind, tier and segments for a partner user.
async fn audience(db: &Db, actor: &Actor) -> Result<Option<PartnerAudience>> {
    match actor.scope() {
        Scope::All => Ok(None),
        Scope::Partner(p) => Ok(Some(repo::partner_audience(db, p).await?)),
        Scope::Nothing => Err(Error::NotFound),
    }
}

/// The catalogue as `actor` may see it (§3.2.1).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(db: &Db, actor: &Actor, filter: &ProductFilter) -> Result<Vec<Product>> {
    authorize(actor, Permission::ReadProducts, &Object::default())?;
    if actor.scope() == Scope::Nothing {
        return Ok(Vec::new());
    }
    let items = repo::list_products(db, filter).await?;
    Ok(match audience(db, actor).await? {
        None => items,
        Some(a) => items
            .into_iter()
            .filter(|p| a.admits(&p.visibility))
            .collect(),
    })
}

/// One page of the catalogue as `actor` may see it: `limit` products from position `offset`,
/// and whether more follow. Company users' pages come from the database; a partner's are cut
/// from the products visible to it.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn page(
    db: &Db,
    actor: &Actor,
    filter: &ProductFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Product>, bool)> {
    authorize(actor, Permission::ReadProducts, &Object::default())?;
    let mut items = if actor.scope() == Scope::All {
        repo::list_products_page(db, filter, offset, limit + 1).await?
    } else {
        list(db, actor, filter)
            .await?
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit + 1).unwrap_or(usize::MAX))
            .collect()
    };
    let more = items.len() as i64 > limit;
    items.truncate(usize::try_from(limit).unwrap_or(0));
    Ok((items, more))
}

pub async fn categories(db: &Db, actor: &Actor) -> Result<Vec<String>> {
    authorize(actor, Permission::ReadProducts, &Object::default())?;
    Ok(repo::list_categories(db).await?)
}

/// Whether `actor` may see a product with this visibility (company users always).
pub async fn may_see(db: &Db, actor: &Actor, v: &Visibility) -> Result<bool> {
    if actor.scope() == Scope::Nothing {
        return Ok(false);
    }
    Ok(match audience(db, actor).await? {
        None => true,
        Some(a) => a.admits(v),
    })
}

/// One product; for a partner user only when it is visible to its partner (else 404).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, product = %id))]
pub async fn show(db: &Db, actor: &Actor, id: Uuid) -> Result<Product> {
    authorize(actor, Permission::ReadProducts, &Object::default())?;
    let p = repo::find_product(db, id).await?;
    if !may_see(db, actor, &p.visibility).await? {
        return Err(Error::NotFound);
    }
    Ok(p)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create(db: &Db, actor: &Actor, input: &ProductInput) -> Result<Product> {
    authorize(actor, Permission::WriteProducts, &Object::default())?;
    Ok(repo::insert_product(db, actor.user_id, input).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, product = %id))]
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    patch: &ProductInput,
    version: Option<i64>,
) -> Result<Product> {
    show(db, actor, id).await?;
    authorize(actor, Permission::WriteProducts, &Object::default())?;
    Ok(repo::update_product(db, actor.user_id, id, patch, version).await?)
}

/// A product's documents, for those who may see the product.
pub async fn documents(db: &Db, actor: &Actor, id: Uuid) -> Result<Vec<ProductDocument>> {
    show(db, actor, id).await?;
    Ok(repo::list_documents(db, id).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, product = %id))]
pub async fn attach(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    filename: &str,
    bytes: &[u8],
) -> Result<ProductDocument> {
    show(db, actor, id).await?;
    authorize(actor, Permission::WriteProducts, &Object::default())?;
    Ok(repo::insert_document(db, actor.user_id, id, filename, bytes).await?)
}

pub async fn document(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    doc: Uuid,
) -> Result<(ProductDocument, Vec<u8>)> {
    show(db, actor, id).await?;
    Ok(repo::read_document(db, id, doc).await?)
}

/// The partners a product is visible to (a launch's audience, §3.2.2), by code.
pub async fn visible_partners(db: &Db, v: &Visibility) -> Result<Vec<Uuid>> {
    use liaison_core::partner::{PartnerFilter, PartnerKind};
    let mut members: HashSet<Uuid> = HashSet::new();
    for s in &v.segments {
        match liaison_db::segment::find_segment(db, *s).await {
            Ok(seg) => members.extend(
                liaison_db::partner::list_all_partners(db, Scope::All, &seg.filter)
                    .await?
                    .into_iter()
                    .map(|p| p.id),
            ),
            Err(liaison_db::DbError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let all =
        liaison_db::partner::list_all_partners(db, Scope::All, &PartnerFilter::default()).await?;
    Ok(all
        .into_iter()
        .filter(|p| {
            let kind = PartnerKind::parse(&p.kind).unwrap_or(PartnerKind::Other);
            let segs: Vec<Uuid> = v
                .segments
                .iter()
                .copied()
                .filter(|_| members.contains(&p.id))
                .collect();
            v.admits(kind, &p.tier, &segs)
        })
        .map(|p| p.id)
        .collect())
}
