//! Leak incidents (policy §7.3; SPEC G7) and what containment changes: portal copies recalled
//! (`recalls`), robots to rotate. Every text of an incident is sealed at rest (description,
//! leaked text, cause, responsible party, actions, timeline bodies): an incident is itself
//! confidential. The rules (states, who reads) are `liaison_core::incidents`.

use crate::audit::Entry;
use crate::notify::NewNotification;
use crate::{Db, FromDbRow, Q, Result, RowExt, Tx, q};
use chrono::{DateTime, Utc};
use liaison_core::incidents::{EventKind, IncidentState, Severity};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// A suspected recipient copy, as the trace named it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Suspect {
    pub delivery_id: Uuid,
    pub partner_id: Uuid,
    pub contact_id: Uuid,
    pub score: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    pub id: Uuid,
    pub title: String,
    pub severity: Severity,
    pub state: IncidentState,
    pub reported_by: Uuid,
    pub reporter_name: String,
    pub reported_at: DateTime<Utc>,
    pub message_id: Option<Uuid>,
    pub message_title: Option<String>,
    pub description: String,
    pub leaked_text: String,
    pub suspects: Vec<Suspect>,
    pub cause: String,
    pub responsible: String,
    pub nda_id: Option<Uuid>,
    pub actions: String,
    pub contained_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl FromDbRow for Incident {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        let bad = |e: liaison_core::validate::Msg| sqlx::Error::Decode(e.key().to_string().into());
        Ok(Incident {
            id: r.uuid("id")?,
            title: r.text("title")?,
            severity: Severity::parse(&r.text("severity")?).map_err(bad)?,
            state: IncidentState::parse(&r.text("state")?).map_err(bad)?,
            reported_by: r.uuid("reported_by")?,
            reporter_name: r.text("reporter_name")?,
            reported_at: r.time("reported_at")?,
            message_id: r.opt_uuid("message_id")?,
            message_title: r.opt_text("message_title")?,
            description: r.text("description")?,
            leaked_text: r.text("leaked_text")?,
            suspects: crate::query::json(r.text("suspects")?)?,
            cause: r.text("cause")?,
            responsible: r.text("responsible")?,
            nda_id: r.opt_uuid("nda_id")?,
            actions: r.text("actions")?,
            contained_at: r.opt_time("contained_at")?,
            closed_at: r.opt_time("closed_at")?,
            version: r.i64("version")?,
            updated_at: r.time("updated_at")?,
        })
    }
}

const SELECT: &str = "SELECT i.id, i.title, i.severity, i.state, i.reported_by,
        u.name AS reporter_name, i.reported_at, i.message_id, m.title AS message_title,
        i.description, i.leaked_text, i.suspects, i.cause, i.responsible, i.nda_id, i.actions,
        i.contained_at, i.closed_at, i.version, i.updated_at
   FROM incidents i JOIN users u ON u.id = i.reported_by
   LEFT JOIN messages m ON m.id = i.message_id";

/// The sealed texts of an incident.
const SEALED: [&str; 5] = [
    "description",
    "leaked_text",
    "cause",
    "responsible",
    "actions",
];

fn open(db: &Db, mut i: Incident) -> Result<Incident> {
    let id = i.id;
    for (col, value) in [
        ("description", &mut i.description),
        ("leaked_text", &mut i.leaked_text),
        ("cause", &mut i.cause),
        ("responsible", &mut i.responsible),
        ("actions", &mut i.actions),
    ] {
        if !value.is_empty() {
            *value = db.open(&format!("incidents:{col}"), id, value)?;
        }
    }
    Ok(i)
}

fn seal(db: &Db, col: &str, id: Uuid, value: &str) -> Result<String> {
    debug_assert!(SEALED.contains(&col));
    if value.is_empty() {
        Ok(String::new())
    } else {
        db.seal(&format!("incidents:{col}"), id, value)
    }
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub user_id: Option<Uuid>,
    pub user_name: Option<String>,
    pub kind: EventKind,
    pub body: String,
    pub detail: serde_json::Value,
}

impl FromDbRow for Event {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Event {
            id: r.uuid("id")?,
            at: r.time("at")?,
            user_id: r.opt_uuid("user_id")?,
            user_name: r.opt_text("user_name")?,
            kind: EventKind::parse(&r.text("kind")?)
                .map_err(|e| sqlx::Error::Decode(e.key().to_string().into()))?,
            body: r.text("body")?,
            detail: crate::query::json(r.text("detail")?)?,
        })
    }
}

/// A timeline entry: what happened, its text (sealed) and its facts.
struct NewEvent<'a> {
    kind: EventKind,
    body: &'a str,
    detail: serde_json::Value,
}

async fn add_event(
    tx: &mut Tx,
    db: &Db,
    incident: Uuid,
    at: DateTime<Utc>,
    user: Option<Uuid>,
    e: NewEvent<'_>,
) -> Result<()> {
    let NewEvent { kind, body, detail } = e;
    let id = Uuid::now_v7();
    let body = if body.is_empty() {
        String::new()
    } else {
        db.seal("incident_events:body", id, body)?
    };
    tx.execute(
        q(
            "INSERT INTO incident_events (id, incident_id, at, user_id, kind, body, detail)
           VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(incident)
        .bind(at)
        .bind(user)
        .bind(kind.as_str())
        .bind(body)
        .bind(detail.to_string()),
    )
    .await?;
    Ok(())
}

/// What a report holds.
pub struct NewIncident<'a> {
    pub title: &'a str,
    pub severity: Severity,
    pub message_id: Option<Uuid>,
    pub description: &'a str,
    pub leaked_text: &'a str,
    pub suspects: &'a [Suspect],
    /// Leadership, told at once (§7.3).
    pub tell: Vec<NewNotification>,
}

/// Records a report, its first timeline entries (reported; leadership notified) and the
/// notices, in one transaction.
pub async fn insert(db: &Db, actor: Uuid, n: NewIncident<'_>) -> Result<Incident> {
    let id = Uuid::now_v7();
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(
        q(
            "INSERT INTO incidents (id, title, severity, state, reported_by, reported_at,
                message_id, description, leaked_text, suspects, cause, responsible, actions,
                version, updated_at)
           VALUES ($1, $2, $3, 'reported', $4, $5, $6, $7, $8, $9, '', '', '', 1, $5)",
        )
        .bind(id)
        .bind(n.title)
        .bind(n.severity.as_str())
        .bind(actor)
        .bind(now)
        .bind(n.message_id)
        .bind(seal(db, "description", id, n.description)?)
        .bind(seal(db, "leaked_text", id, n.leaked_text)?)
        .bind(serde_json::to_string(n.suspects).unwrap_or_else(|_| "[]".into())),
    )
    .await?;
    add_event(
        &mut tx,
        db,
        id,
        now,
        Some(actor),
        NewEvent {
            kind: EventKind::Reported,
            body: "",
            detail: json!({"suspects": n.suspects.len()}),
        },
    )
    .await?;
    let tell: Vec<NewNotification> = n
        .tell
        .into_iter()
        .map(|mut t| {
            if t.link.is_empty() {
                t.link = format!("/console/incidents/{id}");
            }
            t
        })
        .collect();
    crate::notify::insert(&mut tx, now, &tell).await?;
    let told: Vec<Uuid> = tell.iter().map(|t| t.user_id).collect();
    add_event(
        &mut tx,
        db,
        id,
        now,
        None,
        NewEvent {
            kind: EventKind::Notified,
            body: "",
            detail: json!({"people": told}),
        },
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            "incident.reported",
            "incident",
            id,
            json!({"severity": n.severity.as_str(), "suspects": n.suspects.len(), "told": told.len()}),
        ),
    )
    .await?;
    find(db, id).await
}

pub async fn find(db: &Db, id: Uuid) -> Result<Incident> {
    let i = db
        .fetch_one(Q::dynamic(format!("{SELECT} WHERE i.id = $1")).bind(id))
        .await?;
    open(db, i)
}

/// Incidents newest first; `reporter`: only those this person reported.
pub async fn list(db: &Db, reporter: Option<Uuid>, limit: i64) -> Result<Vec<Incident>> {
    let mut query = Q::dynamic(format!("{SELECT} WHERE 1 = 1"));
    query.and_some("i.reported_by =", reporter);
    query.order_limit("i.reported_at DESC, i.id DESC", limit);
    let rows: Vec<Incident> = db.fetch_all(query).await?;
    rows.into_iter().map(|i| open(db, i)).collect()
}

pub async fn events(db: &Db, incident: Uuid) -> Result<Vec<Event>> {
    let rows: Vec<Event> = db
        .fetch_all(
            q(
                "SELECT e.id, e.at, e.user_id, u.name AS user_name, e.kind, e.body, e.detail
                 FROM incident_events e LEFT JOIN users u ON u.id = e.user_id
                WHERE e.incident_id = $1 ORDER BY e.at, e.id",
            )
            .bind(incident),
        )
        .await?;
    rows.into_iter()
        .map(|mut e| {
            if !e.body.is_empty() {
                e.body = db.open("incident_events:body", e.id, &e.body)?;
            }
            Ok(e)
        })
        .collect()
}

/// What containment did.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Contained {
    /// Portal copies (a message at a partner) taken back.
    pub recalled: u64,
    /// One-click links of those copies' deliveries that no longer work.
    pub links_expired: u64,
    /// Robots paused until their secrets are rotated.
    pub robots_to_rotate: u64,
}

/// §7.3 containment, in one transaction: the suspects' portal copies of the message are
/// recalled (which also ends their one-click links), their partners' robots are paused until
/// a new secret is saved, and the incident becomes contained.
pub async fn contain(
    db: &Db,
    actor: Uuid,
    current: &Incident,
    copies: &[(Uuid, Uuid)],
    robot_partners: &[Uuid],
) -> Result<Contained> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_versioned(
        q(
            "UPDATE incidents SET state = 'contained', contained_at = $1, updated_at = $1,
                version = version + 1
            WHERE id = $2 AND version = $3",
        )
        .bind(now)
        .bind(current.id)
        .bind(current.version),
        "the incident was changed meanwhile",
    )
    .await?;
    let mut done = Contained::default();
    for (message, partner) in copies {
        done.recalled += tx
            .execute(
                q("INSERT INTO recalls (message_id, partner_id, incident_id, recalled_by, recalled_at)
                   SELECT $1, $2, $3, $4, $5
                    WHERE NOT EXISTS (SELECT 1 FROM recalls WHERE message_id = $1 AND partner_id = $2)")
                .bind(*message)
                .bind(*partner)
                .bind(current.id)
                .bind(actor)
                .bind(now),
            )
            .await?;
        let links: i64 = tx
            .fetch_one(
                q("SELECT COUNT(*) FROM deliveries WHERE message_id = $1 AND partner_id = $2")
                    .bind(*message)
                    .bind(*partner),
            )
            .await?;
        done.links_expired += u64::try_from(links).unwrap_or(0);
    }
    if !robot_partners.is_empty() {
        let mut query = Q::dynamic(String::new());
        let at = query.arg(now);
        let until = query.arg((now + chrono::Duration::days(3650)).timestamp_millis());
        let list = query.in_list(robot_partners.iter().copied());
        let query = query.replace_sql(format!(
            "UPDATE robots SET rotate_since = {at}, paused_until = {until}
              WHERE partner_id IN {list} AND rotate_since IS NULL"
        ));
        done.robots_to_rotate = tx.execute(query).await?;
    }
    add_event(
        &mut tx,
        db,
        current.id,
        now,
        Some(actor),
        NewEvent {
            kind: EventKind::Contained,
            body: "",
            detail: json!(done),
        },
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            "incident.contained",
            "incident",
            current.id,
            json!(done),
        ),
    )
    .await?;
    Ok(done)
}

/// The investigation's fields and a move of state, with a timeline entry.
pub struct Change<'a> {
    pub cause: &'a str,
    pub responsible: &'a str,
    pub nda_id: Option<Uuid>,
    pub actions: &'a str,
    pub state: IncidentState,
    pub note: &'a str,
}

pub async fn update(db: &Db, actor: Uuid, current: &Incident, c: Change<'_>) -> Result<Incident> {
    let now = db.now();
    let id = current.id;
    let mut tx = db.begin().await?;
    let closed_at = if c.state == IncidentState::Closed {
        Some(now)
    } else {
        None
    };
    tx.execute_versioned(
        q(
            "UPDATE incidents SET cause = $1, responsible = $2, nda_id = $3, actions = $4,
                state = $5, closed_at = $6, updated_at = $7, version = version + 1
            WHERE id = $8 AND version = $9",
        )
        .bind(seal(db, "cause", id, c.cause)?)
        .bind(seal(db, "responsible", id, c.responsible)?)
        .bind(c.nda_id)
        .bind(seal(db, "actions", id, c.actions)?)
        .bind(c.state.as_str())
        .bind(closed_at)
        .bind(now)
        .bind(id)
        .bind(current.version),
        "the incident was changed meanwhile",
    )
    .await?;
    let kind = match c.state {
        IncidentState::Closed => EventKind::Closed,
        s if s != current.state => EventKind::Investigation,
        _ => EventKind::Note,
    };
    add_event(
        &mut tx,
        db,
        id,
        now,
        Some(actor),
        NewEvent {
            kind,
            body: c.note,
            detail: json!({"from": current.state.as_str(), "to": c.state.as_str()}),
        },
    )
    .await?;
    let action = match kind {
        EventKind::Closed => "incident.closed",
        _ => "incident.updated",
    };
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            action,
            "incident",
            id,
            json!({"state": c.state.as_str()}),
        ),
    )
    .await?;
    find(db, id).await
}

/// Whether the partner's portal copy of the message was recalled.
pub async fn recalled(db: &Db, message: Uuid, partner: Uuid) -> Result<bool> {
    let n: i64 = db
        .fetch_one(
            q("SELECT COUNT(*) FROM recalls WHERE message_id = $1 AND partner_id = $2")
                .bind(message)
                .bind(partner),
        )
        .await?;
    Ok(n > 0)
}

/// Of `messages`, those recalled from the partner.
pub async fn recalled_among(db: &Db, partner: Uuid, messages: &[Uuid]) -> Result<Vec<Uuid>> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = Q::dynamic(String::new());
    let p = query.arg(partner);
    let list = query.in_list(messages.iter().copied());
    let query = query.replace_sql(format!(
        "SELECT message_id FROM recalls WHERE partner_id = {p} AND message_id IN {list}"
    ));
    let rows: Vec<Uuid> = db.fetch_all(query).await?;
    Ok(rows)
}

/// Whether a delivery's copy was recalled: its one-click links no longer work.
pub async fn delivery_recalled(db: &Db, delivery: Uuid) -> Result<bool> {
    let n: i64 = db
        .fetch_one(
            q("SELECT COUNT(*) FROM recalls r JOIN deliveries d
                   ON d.message_id = r.message_id AND d.partner_id = r.partner_id
                WHERE d.id = $1")
            .bind(delivery),
        )
        .await?;
    Ok(n > 0)
}

/// The confidential and secret messages, newest first, with their bodies opened: what a leak
/// trace compares a text with.
pub struct SentText {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

struct SentRow {
    id: Uuid,
    title: String,
    body: String,
    created_at: DateTime<Utc>,
}
from_row!(SentRow; id: uuid, title: text, body: text, created_at: time);

pub async fn confidential_messages(db: &Db, limit: i64) -> Result<Vec<SentText>> {
    let mut query = Q::dynamic(
        "SELECT id, title, body, created_at FROM messages
          WHERE classification IN ('confidential', 'secret')"
            .to_string(),
    );
    query.order_limit("created_at DESC, id DESC", limit);
    let rows: Vec<SentRow> = db.fetch_all(query).await?;
    rows.into_iter()
        .map(|r| {
            let body = if crate::crypto::is_encrypted(&r.body) {
                db.open("messages:body", r.id, &r.body)?
            } else {
                r.body
            };
            Ok(SentText {
                id: r.id,
                title: r.title,
                body,
                created_at: r.created_at,
            })
        })
        .collect()
}

/// One recipient of a message: the delivery whose seed marks their copy (the first of the
/// contact's deliveries), its partner and contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient {
    pub delivery_id: Uuid,
    pub partner_id: Uuid,
    pub contact_id: Uuid,
}

/// Every recipient of a message, read as one packed text (a row at a time costs ~15 µs each
/// on SQLite; a message may have 100,000 recipients).
pub async fn recipients(db: &Db, message: Uuid) -> Result<Vec<Recipient>> {
    let sql = match db.backend() {
        crate::Backend::Sqlite => {
            "SELECT COALESCE(group_concat(hex(d) || hex(p) || hex(c), ''), '') FROM (
                SELECT MIN(id) AS d, partner_id AS p, contact_id AS c FROM deliveries
                 WHERE message_id = $1 GROUP BY partner_id, contact_id)"
        }
        crate::Backend::Postgres => {
            "SELECT COALESCE(string_agg(replace(d::text, '-', '') || replace(p::text, '-', '')
                        || replace(c::text, '-', ''), ''), '') FROM (
                SELECT MIN(id::text)::uuid AS d, partner_id AS p, contact_id AS c FROM deliveries
                 WHERE message_id = $1 GROUP BY partner_id, contact_id) x"
        }
    };
    let packed: String = db.fetch_one(q(sql).bind(message)).await?;
    let hex = packed.as_bytes();
    let mut out = Vec::with_capacity(hex.len() / 96);
    let id = |s: &[u8]| -> Result<Uuid> {
        let s = std::str::from_utf8(s).map_err(|e| crate::DbError::Config(e.to_string()))?;
        Uuid::parse_str(s).map_err(|e| crate::DbError::Config(e.to_string()))
    };
    for chunk in hex.chunks_exact(96) {
        out.push(Recipient {
            delivery_id: id(&chunk[..32])?,
            partner_id: id(&chunk[32..64])?,
            contact_id: id(&chunk[64..])?,
        });
    }
    Ok(out)
}

/// The delivery whose seed marks the copy a partner's person reads: the first of their
/// contact's deliveries of the message, else the partner's first.
pub async fn seed_delivery(
    db: &Db,
    message: Uuid,
    partner: Uuid,
    contact: Option<Uuid>,
) -> Result<Option<Uuid>> {
    if let Some(c) = contact {
        let found: Option<Uuid> = db
            .fetch_optional(
                q(
                    "SELECT id FROM deliveries WHERE message_id = $1 AND partner_id = $2
                      AND contact_id = $3 ORDER BY id LIMIT 1",
                )
                .bind(message)
                .bind(partner)
                .bind(c),
            )
            .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    db.fetch_optional(
        q(
            "SELECT id FROM deliveries WHERE message_id = $1 AND partner_id = $2
            ORDER BY id LIMIT 1",
        )
        .bind(message)
        .bind(partner),
    )
    .await
}

struct Title(String);
from_row!(Title(title: text));

/// A message's title (a traced file names its delivery, and so its message).
pub async fn message_title(db: &Db, message: Uuid) -> Result<String> {
    let t: Title = db
        .fetch_one(q("SELECT title FROM messages WHERE id = $1").bind(message))
        .await?;
    Ok(t.0)
}
