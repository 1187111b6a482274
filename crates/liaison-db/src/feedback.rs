//! Product feedback (policy §3.2.3, SPEC D6): customer needs and improvement suggestions a
//! partner submits per product, R&D's triage state and answer, and merges of similar items
//! (the target counts each asking partner once). Partner scoping is the caller's `Scope`;
//! who may triage is decided by the service layer.

use crate::audit::Entry;
use crate::notify::NewNotification;
use crate::{Db, DbError, Q, Result, q};
use chrono::{DateTime, Utc};
use liaison_core::Scope;
use liaison_core::product::{FeedbackKind, FeedbackState, FeedbackText};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Feedback {
    pub id: Uuid,
    pub product_id: Uuid,
    pub product_code: String,
    pub product_name: String,
    pub partner_id: Uuid,
    pub partner_code: String,
    pub partner_name: String,
    pub author_id: Uuid,
    pub author_name: Option<String>,
    pub kind: FeedbackKind,
    pub description: String,
    pub customer_impact: String,
    pub state: FeedbackState,
    /// R&D's answer, which the partner sees.
    pub answer: Option<String>,
    /// The item this one was merged into (a similar request counted there).
    pub merged_into: Option<Uuid>,
    /// Distinct partners asking: this item's and those merged into it.
    pub votes: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

from_row!(Feedback; id: uuid, product_id: uuid, product_code: text, product_name: text,
    partner_id: uuid, partner_code: text, partner_name: text, author_id: uuid,
    author_name: opt_text, kind: text => crate::query::parsed(FeedbackKind::parse),
    description: text, customer_impact: text,
    state: text => crate::query::parsed(FeedbackState::parse), answer: opt_text,
    merged_into: opt_uuid, votes: i64, version: i64, created_at: time, updated_at: time);

const SELECT: &str = "SELECT f.id, f.product_id, p.code AS product_code, p.name_zh AS product_name,
    f.partner_id, pa.code AS partner_code, pa.name AS partner_name, f.author_id,
    u.name AS author_name, f.kind, f.description, f.customer_impact, f.state, f.answer,
    f.merged_into,
    (SELECT COUNT(DISTINCT v.partner_id) FROM feedback v WHERE v.id = f.id OR v.merged_into = f.id) AS votes,
    f.version, f.created_at, f.updated_at
    FROM feedback f JOIN products p ON p.id = f.product_id JOIN partners pa ON pa.id = f.partner_id
    LEFT JOIN users u ON u.id = f.author_id";

/// The queue's filters.
#[derive(Debug, Clone, Default)]
pub struct FeedbackFilter {
    pub state: Option<FeedbackState>,
    pub kind: Option<FeedbackKind>,
    pub product: Option<Uuid>,
    /// Items merged into others are left out unless asked for.
    pub include_merged: bool,
}

pub async fn find_feedback(db: &Db, id: Uuid) -> Result<Feedback> {
    db.fetch_one(Q::dynamic(format!("{SELECT} WHERE f.id = $1")).bind(id))
        .await
}

/// Items in `scope` (a partner: its own), newest first, keyset-paged by id.
pub async fn list_feedback(
    db: &Db,
    scope: Scope,
    f: &FeedbackFilter,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Feedback>> {
    let mut query = Q::dynamic(format!("{SELECT} WHERE 1 = 1"));
    match scope {
        Scope::All => {}
        Scope::Partner(p) => query.and("f.partner_id =", p),
        Scope::Nothing => return Ok(Vec::new()),
    }
    query.and_some("f.state =", f.state.map(|s| s.as_str().to_string()));
    query.and_some("f.kind =", f.kind.map(|s| s.as_str().to_string()));
    query.and_some("f.product_id =", f.product);
    if !f.include_merged {
        query.push_sql(" AND f.merged_into IS NULL");
    }
    query.and_some("f.id <", before);
    query.order_limit("f.id DESC", limit);
    db.fetch_all(query).await
}

/// Items merged into `id`.
pub async fn list_merged(db: &Db, id: Uuid) -> Result<Vec<Feedback>> {
    db.fetch_all(Q::dynamic(format!("{SELECT} WHERE f.merged_into = $1 ORDER BY f.id")).bind(id))
        .await
}

/// A new item from `partner`'s user `author`, state `new`; `notes` tell R&D.
#[allow(clippy::too_many_arguments)]
pub async fn insert_feedback(
    db: &Db,
    id: Uuid,
    author: Uuid,
    partner: Uuid,
    product: Uuid,
    kind: FeedbackKind,
    text: &FeedbackText,
    notes: &[NewNotification],
) -> Result<Feedback> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(
        q("INSERT INTO feedback (id, product_id, partner_id, author_id, kind, description, customer_impact,
              state, version, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'new', 1, $8, $8)")
        .bind(id)
        .bind(product)
        .bind(partner)
        .bind(author)
        .bind(kind.as_str())
        .bind(text.description.as_str())
        .bind(text.customer_impact.as_str())
        .bind(now),
    )
    .await?;
    crate::notify::insert(&mut tx, now, notes).await?;
    tx.commit_audited(
        now,
        Entry::by(
            author,
            "feedback.create",
            "feedback",
            id,
            json!({"product_id": product, "kind": kind}),
        )
        .of_partner(partner),
    )
    .await?;
    find_feedback(db, id).await
}

/// R&D's triage: the state and answer of `current` and of every item merged into it (their
/// partners asked the same), and `notes` to the partners told, in one transaction. A change
/// since `version` was read is a conflict.
pub async fn update_triage(
    db: &Db,
    actor: Uuid,
    current: &Feedback,
    state: FeedbackState,
    answer: Option<&str>,
    version: i64,
    notes: &[NewNotification],
) -> Result<Feedback> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_versioned(
        q("UPDATE feedback SET state = $1, answer = $2, answered_by = $3, version = version + 1, updated_at = $4
           WHERE id = $5 AND version = $6")
        .bind(state.as_str())
        .bind(answer.map(str::to_string))
        .bind(actor)
        .bind(now)
        .bind(current.id)
        .bind(version),
        "the feedback was changed by someone else; reload it",
    )
    .await?;
    tx.execute(
        q("UPDATE feedback SET state = $1, answer = $2, answered_by = $3, version = version + 1, updated_at = $4
           WHERE merged_into = $5")
        .bind(state.as_str())
        .bind(answer.map(str::to_string))
        .bind(actor)
        .bind(now)
        .bind(current.id),
    )
    .await?;
    crate::notify::insert(&mut tx, now, notes).await?;
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            "feedback.triage",
            "feedback",
            current.id,
            json!({"from": current.state, "to": state, "answered": answer.is_some()}),
        )
        .of_partner(current.partner_id),
    )
    .await?;
    find_feedback(db, current.id).await
}

/// Merges `source` (and what was merged into it) into `target`: they take its state and
/// answer, and count as votes there.
pub async fn merge_feedback(
    db: &Db,
    actor: Uuid,
    source: &Feedback,
    target: &Feedback,
) -> Result<Feedback> {
    if source.id == target.id || target.merged_into.is_some() {
        return Err(DbError::Conflict("cannot merge into that item".into()));
    }
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(
        q("UPDATE feedback SET merged_into = $1, state = $2, answer = $3, version = version + 1, updated_at = $4
           WHERE id = $5 OR merged_into = $5")
        .bind(target.id)
        .bind(target.state.as_str())
        .bind(target.answer.clone())
        .bind(now)
        .bind(source.id),
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            "feedback.merge",
            "feedback",
            source.id,
            json!({"into": target.id}),
        )
        .of_partner(source.partner_id),
    )
    .await?;
    find_feedback(db, target.id).await
}

struct Author(Uuid, Uuid);
from_row!(Author(author_id: uuid, id: uuid));

/// Who submitted `id` or an item merged into it, with their item: the partners' people to
/// tell of an answer, each pointed at their own item.
pub async fn authors(db: &Db, id: Uuid) -> Result<Vec<(Uuid, Uuid)>> {
    let rows: Vec<Author> = db
        .fetch_all(
            q("SELECT author_id, id FROM feedback WHERE id = $1 OR merged_into = $1 ORDER BY id")
                .bind(id),
        )
        .await?;
    Ok(rows.into_iter().map(|a| (a.0, a.1)).collect())
}
