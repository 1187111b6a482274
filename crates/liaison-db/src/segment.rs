//! Segments: saved audience filters (SPEC A4) that communications are addressed to.

use crate::audit::Entry;
use crate::{Db, DbError, Q, Result, q};
use chrono::{DateTime, Utc};
use liaison_core::FieldErrors;
use liaison_core::partner::PartnerFilter;
use liaison_core::validate::Msg;
use liaison_core::validate::{optional_text, required_text};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub filter: PartnerFilter,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

from_row!(Segment; id: uuid, name: text, description: opt_text, filter: text => crate::query::json,
    created_at: time, updated_at: time);

/// A segment as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SegmentInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub filter: Option<PartnerFilter>,
}

struct Valid {
    name: String,
    description: Option<String>,
    filter: PartnerFilter,
}

fn parse(input: &SegmentInput) -> Result<Valid> {
    let mut e = FieldErrors::new();
    let name = e.take(
        "name",
        required_text(input.name.as_deref().unwrap_or(""), 100),
    );
    let description = e
        .take(
            "description",
            optional_text(input.description.as_deref().unwrap_or(""), 500),
        )
        .flatten();
    let filter = input.filter.clone().unwrap_or_default();
    if let Err(bad) = filter.check() {
        for f in bad.0 {
            e.add(format!("filter.{}", f.field), f.msg);
        }
    }
    if filter.is_empty() {
        e.add("filter", Msg::new("validate.segment_condition"));
    }
    match name {
        Some(name) if e.is_empty() => Ok(Valid {
            name,
            description,
            filter,
        }),
        _ => Err(DbError::Invalid(e)),
    }
}

const SELECT: &str = "SELECT id, name, description, filter, created_at, updated_at FROM segments";

pub async fn list_segments(db: &Db) -> Result<Vec<Segment>> {
    db.fetch_all(Q::dynamic(format!("{SELECT} ORDER BY name")))
        .await
}

pub async fn find_segment(db: &Db, id: Uuid) -> Result<Segment> {
    db.fetch_one(Q::dynamic(format!("{SELECT} WHERE id = $1")).bind(id))
        .await
}

pub async fn insert_segment(db: &Db, actor: Uuid, input: &SegmentInput) -> Result<Segment> {
    let v = parse(input)?;
    let id = Uuid::now_v7();
    save(db, actor, id, &v, "segment.create", |filter, now| {
        q("INSERT INTO segments (id, name, description, filter, created_by, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $6)")
        .bind(id)
        .bind(v.name.as_str())
        .bind(v.description.clone())
        .bind(filter)
        .bind(actor)
        .bind(now)
    })
    .await
}

pub async fn update_segment(
    db: &Db,
    actor: Uuid,
    id: Uuid,
    patch: &SegmentInput,
) -> Result<Segment> {
    let old = find_segment(db, id).await?;
    let merged = SegmentInput {
        name: patch.name.clone().or(Some(old.name)),
        description: patch.description.clone().or(old.description),
        filter: patch.filter.clone().or(Some(old.filter)),
    };
    let v = parse(&merged)?;
    save(db, actor, id, &v, "segment.update", |filter, now| {
        q("UPDATE segments SET name = $1, description = $2, filter = $3, updated_at = $4 WHERE id = $5")
            .bind(v.name.as_str())
            .bind(v.description.clone())
            .bind(filter)
            .bind(now)
            .bind(id)
    })
    .await
}

/// Writes the checked segment `v` with `statement` (given the filter as stored, and the time)
/// and the audit entry `action`; a name another segment has is a conflict.
async fn save(
    db: &Db,
    actor: Uuid,
    id: Uuid,
    v: &Valid,
    action: &str,
    statement: impl FnOnce(String, DateTime<Utc>) -> Q,
) -> Result<Segment> {
    let filter = serde_json::to_string(&v.filter).map_err(|e| DbError::Config(e.to_string()))?;
    let detail = json!({"name": v.name, "filter": v.filter});
    db.write_one(
        |now| statement(filter, now),
        Entry::by(actor, action, "segment", id, detail),
    )
    .await
    .map_err(|e| e.conflict_on("name", &v.name))?;
    find_segment(db, id).await
}

pub async fn delete_segment(db: &Db, actor: Uuid, id: Uuid) -> Result<()> {
    db.write_one(
        |_| q("DELETE FROM segments WHERE id = $1").bind(id),
        Entry::by(actor, "segment.delete", "segment", id, json!({})),
    )
    .await?;
    Ok(())
}
