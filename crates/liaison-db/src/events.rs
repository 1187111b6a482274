//! Outbound events (SPEC H3): admins register HTTPS endpoints that receive signed JSON events.
//! An event becomes one job per subscribed endpoint in the same transaction as the change it
//! reports, and the worker posts it like any other job (retries, dead state, error shown).

use crate::audit::Entry;
use crate::query::comma_list;
use crate::{Db, Q, Result, Tx, q};
use chrono::{DateTime, Utc};
use liaison_core::FieldErrors;
use liaison_core::job::JobKind;
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

from_row!(Endpoint; id: uuid, url_hint: text, events: text -> comma_list, active: bool,
    created_at: time);

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
    let (url, secret) = (
        db.seal("event_endpoints:url", id, &new.url)?,
        db.seal("event_endpoints:secret", id, &new.secret)?,
    );
    db.write_one(
        |now| {
            q("INSERT INTO event_endpoints (id, url, url_hint, secret, events, active, created_by, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(id)
            .bind(url)
            .bind(new.url_hint.as_str())
            .bind(secret)
            .bind(new.events.join(","))
            .bind(true)
            .bind(actor)
            .bind(now)
        },
        Entry::by(actor, "endpoint.create", "event_endpoint", id,
            json!({"url": new.url_hint, "events": new.events})),
    )
    .await?;
    find_endpoint(db, id).await
}

const SELECT: &str = "SELECT id, url_hint, events, active, created_at FROM event_endpoints";

pub async fn find_endpoint(db: &Db, id: Uuid) -> Result<Endpoint> {
    db.fetch_one(Q::dynamic(format!("{SELECT} WHERE id = $1")).bind(id))
        .await
}

pub async fn list_endpoints(db: &Db) -> Result<Vec<Endpoint>> {
    db.fetch_all(Q::dynamic(format!("{SELECT} ORDER BY id")))
        .await
}

pub async fn delete_endpoint(db: &Db, actor: Uuid, id: Uuid) -> Result<()> {
    db.write_one(
        |_| q("DELETE FROM event_endpoints WHERE id = $1").bind(id),
        Entry::by(actor, "endpoint.delete", "event_endpoint", id, json!({})),
    )
    .await?;
    Ok(())
}

struct Sealed(String, String);
from_row!(Sealed(url: text, secret: text));

/// The endpoint's URL and signing secret, decrypted, for the worker. Never logged.
pub async fn endpoint_target(db: &Db, id: Uuid) -> Result<(String, String)> {
    let Sealed(url, secret) = db
        .fetch_one(q("SELECT url, secret FROM event_endpoints WHERE id = $1").bind(id))
        .await?;
    Ok((
        db.open("event_endpoints:url", id, &url)?,
        db.open("event_endpoints:secret", id, &secret)?,
    ))
}

struct Subscription(Uuid, String);
from_row!(Subscription(id: uuid, events: text));

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
            crate::job::insert(tx, id, now, now, JobKind::Event.as_str(), payload).await?;
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
