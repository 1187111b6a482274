//! Segments: saved audience filters (SPEC A4). Company roles read them; admins and channel
//! management write them. Partner users learn nothing of them (404): a segment describes other
//! partners.

pub use crate::Error;
use crate::Result;
use liaison_core::{Actor, Object, Permission, Scope, authorize};
use liaison_db::Db;
use liaison_db::partner::{self as partners, Page, Partner, PartnerSort};
use liaison_db::segment::{self as repo, Segment, SegmentInput};
use uuid::Uuid;

/// Partner users are refused as `Hidden` (404) by `authorize` itself.
fn readable(actor: &Actor) -> Result<()> {
    Ok(authorize(
        actor,
        Permission::ReadSegments,
        &Object::default(),
    )?)
}

fn writable(actor: &Actor) -> Result<()> {
    readable(actor)?;
    Ok(authorize(
        actor,
        Permission::WriteSegments,
        &Object::default(),
    )?)
}

pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<Segment>> {
    readable(actor)?;
    Ok(repo::list_segments(db).await?)
}

/// Every segment with how many partners it addresses now (the segments page).
pub async fn list_with_members(db: &Db, actor: &Actor) -> Result<Vec<(Segment, i64)>> {
    let mut rows = Vec::new();
    for segment in list(db, actor).await? {
        let members = partners::count_partners(db, Scope::All, &segment.filter).await?;
        rows.push((segment, members));
    }
    Ok(rows)
}

/// The segment and how many partners it addresses now.
pub async fn show(db: &Db, actor: &Actor, id: Uuid) -> Result<(Segment, i64)> {
    readable(actor)?;
    let segment = repo::find_segment(db, id).await?;
    let members = partners::count_partners(db, Scope::All, &segment.filter).await?;
    Ok((segment, members))
}

/// A page of the partners the segment addresses now, by code.
pub async fn members(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Page<Partner>> {
    readable(actor)?;
    let segment = repo::find_segment(db, id).await?;
    let f = &segment.filter;
    Ok(partners::list_partners(db, Scope::All, f, PartnerSort::Code, cursor, limit).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create(db: &Db, actor: &Actor, input: &SegmentInput) -> Result<Segment> {
    writable(actor)?;
    Ok(repo::insert_segment(db, actor.user_id, input).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, segment = %id))]
pub async fn update(db: &Db, actor: &Actor, id: Uuid, input: &SegmentInput) -> Result<Segment> {
    writable(actor)?;
    Ok(repo::update_segment(db, actor.user_id, id, input).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, segment = %id))]
pub async fn delete(db: &Db, actor: &Actor, id: Uuid) -> Result<()> {
    writable(actor)?;
    Ok(repo::delete_segment(db, actor.user_id, id).await?)
}
