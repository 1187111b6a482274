//! Outbound events (SPEC H3): admins register HTTPS endpoints that receive signed JSON events.
//! An event becomes one job per subscribed endpoint in the same transaction as the change it
//! reports, and the worker posts it like any other job (retries, dead state, error shown).

use crate::audit::Entry;
use crate::{Db, DbError, FromDbRow, Result, RowExt, Tx, q};
use chrono::{DateTime, Utc};
use liaison_core::FieldErrors;
use liaison_core::validate::Msg;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// The events an endpoint can subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "request.approved",
    "message.dispatched",
    "delivery.failed",
    "delivery.acknowledged",
    "reply.received",
];

#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    pub id: Uuid,
    /// The URL with its query and deeper path hidden.
    pub url_hint: String,
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl FromDbRow for Endpoint {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.uuid("id")?,
            url_hint: r.text("url_hint")?,
            events: r
                .text("events")?
                .split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            active: r.bool("active")?,
            created_at: r.time("created_at")?,
        })
    }
}

/// A checked endpoint: the caller has validated the URL (https, or http to loopback).
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub url: String,
    pub url_hint: String,
    pub secret: String,
    pub events: Vec<String>,
}

/// Checks a subscription list: known event names, or `*` for all.
pub fn parse_events(events: &[String]) -> Result<Vec<String>, FieldErrors> {
    let mut out: Vec<String> = Vec::new();
    for e in events.iter().flat_map(|e| e.split(',')).map(str::trim) {
        if e.is_empty() {
            continue;
        }
        if e != "*" && !EVENT_TYPES.contains(&e) {
            return Err(FieldErrors::single(
                "events",
                Msg::new("validate.event_type")
                    .arg("value", e)
                    .arg("allowed", EVENT_TYPES.join(", ")),
            ));
        }
        if !out.iter().any(|o| o == e) {
            out.push(e.to_string());
        }
    }
    if out.is_empty() {
        out.push("*".into());
    }
    Ok(out)
}

pub async fn insert_endpoint(db: &Db, actor: Uuid, new: &NewEndpoint) -> Result<Endpoint> {
    let id = Uuid::now_v7();
    let now = db.now();
    let cipher = db.cipher()?;
    let seal = |col: &str, v: &str| {
        cipher
            .encrypt(&format!("event_endpoints:{col}:{id}"), v)
            .map_err(|e| DbError::Config(e.to_string()))
    };
    let mut tx = db.begin().await?;
    tx.execute(
        q("INSERT INTO event_endpoints (id, url, url_hint, secret, events, active, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(id)
        .bind(seal("url", &new.url)?)
        .bind(new.url_hint.as_str())
        .bind(seal("secret", &new.secret)?)
        .bind(new.events.join(","))
        .bind(true)
        .bind(actor)
        .bind(now),
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::new(
            Some(actor),
            "endpoint.create",
            "event_endpoint",
            Some(id),
            json!({"url": new.url_hint, "events": new.events}),
        ),
    )
    .await?;
    find_endpoint(db, id).await
}

const SELECT: &str = "SELECT id, url_hint, events, active, created_at FROM event_endpoints";

pub async fn find_endpoint(db: &Db, id: Uuid) -> Result<Endpoint> {
    db.fetch_optional(crate::Q::dynamic(format!("{SELECT} WHERE id = $1")).bind(id))
        .await?
        .ok_or(DbError::NotFound)
}

pub async fn list_endpoints(db: &Db) -> Result<Vec<Endpoint>> {
    db.fetch_all(crate::Q::dynamic(format!("{SELECT} ORDER BY id")))
        .await
}

pub async fn delete_endpoint(db: &Db, actor: Uuid, id: Uuid) -> Result<()> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_one(q("DELETE FROM event_endpoints WHERE id = $1").bind(id))
        .await?;
    tx.commit_audited(
        now,
        Entry::new(
            Some(actor),
            "endpoint.delete",
            "event_endpoint",
            Some(id),
            json!({}),
        ),
    )
    .await?;
    Ok(())
}

struct Sealed(String, String);
impl FromDbRow for Sealed {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self(r.text("url")?, r.text("secret")?))
    }
}

/// The endpoint's URL and signing secret, decrypted, for the worker. Never logged.
pub async fn endpoint_target(db: &Db, id: Uuid) -> Result<(String, String)> {
    let s: Sealed = db
        .fetch_optional(q("SELECT url, secret FROM event_endpoints WHERE id = $1").bind(id))
        .await?
        .ok_or(DbError::NotFound)?;
    let cipher = db.cipher()?;
    let open = |col: &str, v: &str| {
        cipher
            .decrypt(&format!("event_endpoints:{col}:{id}"), v)
            .map_err(|e| DbError::Config(e.to_string()))
    };
    Ok((open("url", &s.0)?, open("secret", &s.1)?))
}

struct Subscription(Uuid, String);
impl FromDbRow for Subscription {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self(r.uuid("id")?, r.text("events")?))
    }
}

/// Queues `events` (type, data) for every active endpoint subscribed to them, inside the
/// transaction that made them happen.
pub async fn emit_many(
    tx: &mut Tx,
    now: DateTime<Utc>,
    events: Vec<(&str, serde_json::Value)>,
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let subs: Vec<Subscription> = tx
        .fetch_all(q("SELECT id, events FROM event_endpoints WHERE active"))
        .await?;
    for Subscription(endpoint, list) in &subs {
        for (kind, data) in &events {
            if !list.split(',').any(|e| e == "*" || e == *kind) {
                continue;
            }
            let id = Uuid::now_v7();
            let payload = json!({
                "endpoint_id": endpoint,
                "event": {"id": id, "type": kind, "created_at": now, "data": data},
            });
            tx.execute(
                q("INSERT INTO jobs (id, kind, payload, state, attempts, run_at, created_at, updated_at)
                   VALUES ($1, 'event', $2, 'queued', 0, $3, $4, $5)")
                .bind(id)
                .bind(payload.to_string())
                .bind(now)
                .bind(now)
                .bind(now),
            )
            .await?;
        }
    }
    Ok(())
}

pub async fn emit(
    tx: &mut Tx,
    now: DateTime<Utc>,
    kind: &str,
    data: serde_json::Value,
) -> Result<()> {
    emit_many(tx, now, vec![(kind, data)]).await
}
