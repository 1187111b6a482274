//! The tamper-evident audit log (SPEC G5, policy §7.2.1). Every mutation appends a row in the
//! same transaction; each row carries the SHA-256 of the previous row and of its own canonical
//! content, and `audit_head` holds the last sequence number and hash, so that an edited,
//! deleted, reordered or cut-off row breaks the chain where it happened.

use crate::query::sqlite_time;
use crate::{Backend, Db, Q, Result, Tx, q, sha256_hex};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, by whom, to what.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub actor_id: Option<Uuid>,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<Uuid>,
    pub partner_id: Option<Uuid>,
    pub detail: serde_json::Value,
}

impl<'a> Entry<'a> {
    /// `action` on `entity` by `actor`, with `detail`; not about one partner.
    pub fn new(
        actor: Option<Uuid>,
        action: &'a str,
        entity: &'a str,
        entity_id: Option<Uuid>,
        detail: serde_json::Value,
    ) -> Self {
        Self {
            actor_id: actor,
            action,
            entity,
            entity_id,
            partner_id: None,
            detail,
        }
    }

    /// `action` on the `entity` `id` by the user `actor`: the common case of `new`.
    pub fn by(
        actor: Uuid,
        action: &'a str,
        entity: &'a str,
        id: Uuid,
        detail: serde_json::Value,
    ) -> Self {
        Self::new(Some(actor), action, entity, Some(id), detail)
    }

    /// The same, about `partner` when there is one.
    pub fn about(mut self, partner: Option<Uuid>) -> Self {
        self.partner_id = partner;
        self
    }

    /// The same, about `partner` (its history shows it).
    pub fn of_partner(mut self, partner: Uuid) -> Self {
        self.partner_id = Some(partner);
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    pub partner_id: Option<Uuid>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

from_row!(AuditRow; seq: i64, at: time, actor_id: opt_uuid, actor_name: opt_text, action: text,
    entity: text, entity_id: opt_uuid, partner_id: opt_uuid, detail: text, prev_hash: text,
    hash: text);

fn opt(u: Option<Uuid>) -> String {
    u.map(|u| u.to_string()).unwrap_or_default()
}

/// The hash of a row: SHA-256 over the previous hash and every field, one per line.
#[allow(clippy::too_many_arguments)]
pub fn row_hash(
    prev_hash: &str,
    seq: i64,
    at: &DateTime<Utc>,
    actor_id: Option<Uuid>,
    action: &str,
    entity: &str,
    entity_id: Option<Uuid>,
    partner_id: Option<Uuid>,
    detail: &str,
) -> String {
    let canonical = format!(
        "{prev_hash}\n{seq}\n{}\n{}\n{action}\n{entity}\n{}\n{}\n{detail}",
        sqlite_time(at),
        opt(actor_id),
        opt(entity_id),
        opt(partner_id),
    );
    sha256_hex(canonical.as_bytes())
}

struct Head {
    seq: i64,
    hash: String,
}

from_row!(Head; seq: i64, hash: text);

/// Appends one row inside `tx`. See `append_many`.
pub async fn append(tx: &mut Tx, at: DateTime<Utc>, e: Entry<'_>) -> Result<i64> {
    append_many(tx, at, vec![e]).await
}

/// Appends rows inside `tx`, in multi-row statements. On PostgreSQL the head row is locked so
/// concurrent transactions take their turn; SQLite has one writer already. Returns the last seq.
pub async fn append_many(tx: &mut Tx, at: DateTime<Utc>, entries: Vec<Entry<'_>>) -> Result<i64> {
    append_timed(tx, entries.into_iter().map(|e| (at, e)).collect()).await
}

/// Appends rows each stamped with its own time (changes written together, each at the time
/// it was made: the ticket writer's group commits). Returns the last seq.
pub async fn append_timed(tx: &mut Tx, entries: Vec<(DateTime<Utc>, Entry<'_>)>) -> Result<i64> {
    let head: Head = tx
        .fetch_one(match tx.backend() {
            Backend::Sqlite => q("SELECT seq, hash FROM audit_head WHERE id = 1"),
            Backend::Postgres => q("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"),
        })
        .await?;
    let (mut seq, mut prev) = (head.seq, head.hash);
    for chunk in entries.chunks(400) {
        let mut query = Q::dynamic(format!(
            "INSERT INTO audit_log (seq, at, actor_id, action, entity, entity_id, partner_id, detail, prev_hash, hash) VALUES {}",
            crate::query::values_sql(10, chunk.len())
        ));
        for (at, e) in chunk {
            seq += 1;
            let detail = e.detail.to_string();
            let hash = row_hash(
                &prev,
                seq,
                at,
                e.actor_id,
                e.action,
                e.entity,
                e.entity_id,
                e.partner_id,
                &detail,
            );
            query = query
                .bind(seq)
                .bind(*at)
                .bind(e.actor_id)
                .bind(e.action)
                .bind(e.entity)
                .bind(e.entity_id)
                .bind(e.partner_id)
                .bind(detail)
                .bind(prev)
                .bind(hash.clone());
            prev = hash;
        }
        tx.execute(query).await?;
    }
    tx.execute(
        q("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(prev),
    )
    .await?;
    Ok(seq)
}

const SELECT: &str =
    "SELECT a.seq, a.at, a.actor_id, u.name AS actor_name, a.action, a.entity, a.entity_id,
        a.partner_id, a.detail, a.prev_hash, a.hash
   FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id";

/// Newest first; `before` is the last seq of the previous page.
pub async fn list(
    db: &Db,
    partner_id: Option<Uuid>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRow>> {
    let mut query = Q::dynamic(format!("{SELECT} WHERE 1 = 1"));
    query.and_some("a.partner_id =", partner_id);
    query.and_some("a.seq <", before);
    query.order_limit("a.seq DESC", limit);
    let mut rows: Vec<AuditRow> = db.fetch_all(query).await?;
    name_contacts(db, &mut rows).await?;
    Ok(rows)
}

/// Entries with no user but a contact in their detail (a confirmation through a one-click
/// link) name that contact as the one who acted (issue 9), not "the system".
async fn name_contacts(db: &Db, rows: &mut [AuditRow]) -> Result<()> {
    for r in rows.iter_mut().filter(|r| r.actor_id.is_none()) {
        let contact = serde_json::from_str::<serde_json::Value>(&r.detail)
            .ok()
            .and_then(|d| {
                d.get("contact_id")
                    .and_then(|c| c.as_str())
                    .map(str::to_string)
            })
            .and_then(|c| Uuid::parse_str(&c).ok());
        if let Some(c) = contact {
            let name: Option<ContactName> = db
                .fetch_optional(q("SELECT name FROM contacts WHERE id = $1").bind(c))
                .await?;
            r.actor_name = name.map(|n| n.0);
        }
    }
    Ok(())
}

struct ContactName(String);
impl crate::FromDbRow for ContactName {
    fn from_row<R: crate::RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self(r.text("name")?))
    }
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Verdict {
    Intact {
        rows: i64,
        head: String,
    },
    /// The first row (by position in the chain) that does not fit, and why.
    Broken {
        seq: i64,
        reason: String,
    },
}

/// Walks the whole chain in order, in pages, and checks every link.
pub async fn verify(db: &Db) -> Result<Verdict> {
    let mut prev_hash = GENESIS.to_string();
    let mut expected_seq = 1i64;
    let mut rows = 0i64;
    // Rows numbered before 1 are read too: a forged "oldest" row must not be skipped.
    let mut after = i64::MIN;
    loop {
        let page: Vec<AuditRow> = db
            .fetch_all(
                Q::dynamic(format!(
                    "{SELECT} WHERE a.seq > $1 ORDER BY a.seq LIMIT 5000"
                ))
                .bind(after),
            )
            .await?;
        let done = page.len() < 5000;
        for r in page {
            if r.seq < expected_seq {
                return Ok(Verdict::Broken {
                    seq: r.seq,
                    reason: format!(
                        "row {} lies before the start of the chain: it was inserted",
                        r.seq
                    ),
                });
            }
            if r.seq != expected_seq {
                return Ok(Verdict::Broken {
                    seq: expected_seq,
                    reason: format!("row {expected_seq} is missing (next row is {})", r.seq),
                });
            }
            if r.prev_hash != prev_hash {
                return Ok(Verdict::Broken {
                    seq: r.seq,
                    reason: format!(
                        "row {} does not follow the row before it (deleted, inserted or reordered rows)",
                        r.seq
                    ),
                });
            }
            let h = row_hash(
                &r.prev_hash,
                r.seq,
                &r.at,
                r.actor_id,
                &r.action,
                &r.entity,
                r.entity_id,
                r.partner_id,
                &r.detail,
            );
            if h != r.hash {
                return Ok(Verdict::Broken {
                    seq: r.seq,
                    reason: format!(
                        "row {} was edited: its content does not match its hash",
                        r.seq
                    ),
                });
            }
            prev_hash = r.hash;
            expected_seq += 1;
            rows += 1;
        }
        after = expected_seq - 1;
        if done {
            break;
        }
    }
    let head: Head = db
        .fetch_one(q("SELECT seq, hash FROM audit_head WHERE id = 1"))
        .await?;
    if head.seq != rows || head.hash != prev_hash {
        return Ok(Verdict::Broken {
            seq: rows + 1,
            reason: format!(
                "the chain ends at row {rows} but its head says row {}: rows were cut off the end",
                head.seq
            ),
        });
    }
    Ok(Verdict::Intact {
        rows,
        head: prev_hash,
    })
}

/// Records an event that changes nothing else (an export, a read of classified content) in a
/// transaction of its own.
pub async fn record(db: &Db, e: Entry<'_>) -> Result<i64> {
    let mut tx = db.begin().await?;
    let seq = append(&mut tx, db.now(), e).await?;
    tx.commit().await?;
    Ok(seq)
}
