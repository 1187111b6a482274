//! The delivery queue (policy §4.3, §4.4.1, §5.3.2; SPEC B5, B6, B9). The ledger written by
//! dispatch is its own outbox: a delivery whose `next_at` is set is work for a worker (its
//! first send, a retry after a failure, a send held for working hours, or a reminder). Workers
//! lease batches through `locked_until` (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
//! workers and instances share the work), and every outcome is written only by the worker that
//! still holds the lease, so a delivery whose lease expired and was taken over is never marked
//! twice. Sends are at least once; each carries the delivery id as its idempotency key.

use crate::audit::{self, Entry};
use crate::{Backend, Db, DbError, FromDbRow, Q, Result, RowExt, Tx, events, q};
use chrono::{DateTime, Duration, Utc};
use liaison_core::FieldErrors;
use liaison_core::delivery::{DeliveryState, Retry, after_failure};
use liaison_core::job::JobKind;
use liaison_core::rate::RateWait;
use liaison_core::validate::Msg;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// Numbers the policy leaves open (§4.4.1), edited by an admin.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeliverySettings {
    /// Unconfirmed recipients are reminded this many hours before the deadline.
    pub remind_before_hours: i64,
    /// Attempts before a delivery is dead.
    pub max_attempts: i64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            remind_before_hours: 24,
            max_attempts: 6,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliverySettingsPatch {
    pub remind_before_hours: Option<i64>,
    pub max_attempts: Option<i64>,
}

const SETTINGS_KEY: &str = "delivery";

pub async fn settings(db: &Db) -> Result<DeliverySettings> {
    Ok(crate::settings::load(db, SETTINGS_KEY)
        .await?
        .unwrap_or_default())
}

pub async fn update_settings(
    db: &Db,
    actor: Uuid,
    patch: &DeliverySettingsPatch,
) -> Result<DeliverySettings> {
    let current = settings(db).await?;
    let next = DeliverySettings {
        remind_before_hours: patch
            .remind_before_hours
            .unwrap_or(current.remind_before_hours),
        max_attempts: patch.max_attempts.unwrap_or(current.max_attempts),
    };
    let mut e = FieldErrors::new();
    if !(1..=24 * 14).contains(&next.remind_before_hours) {
        e.add(
            "remind_before_hours",
            Msg::new("validate.number_range")
                .arg("min", 1)
                .arg("max", 336),
        );
    }
    if !(1..=20).contains(&next.max_attempts) {
        e.add(
            "max_attempts",
            Msg::new("validate.number_range")
                .arg("min", 1)
                .arg("max", 20),
        );
    }
    if !e.is_empty() {
        return Err(DbError::Invalid(e));
    }
    crate::settings::store(
        db,
        actor,
        SETTINGS_KEY,
        &next,
        "settings.delivery",
        json!(next),
    )
    .await?;
    Ok(next)
}

/// A delivery leased to a worker.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub message_id: Uuid,
    pub partner_id: Uuid,
    pub contact_id: Uuid,
    pub channel: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub reminders: i64,
    pub acked: bool,
}

impl Claimed {
    /// A first send (or its retry); otherwise the delivery went out and this is a reminder.
    pub fn is_first_send(&self) -> bool {
        self.state.is_pending()
    }
}

/// A leased row: a delivery to work on, or one whose state this build cannot read.
enum Leased {
    Ready(Claimed),
    Unreadable { id: Uuid, error: String },
}

impl FromDbRow for Leased {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        let id = r.uuid("id")?;
        let state = match DeliveryState::parse(&r.text("state")?) {
            Ok(s) => s,
            Err(e) => {
                return Ok(Leased::Unreadable {
                    id,
                    error: format!("unknown delivery state: {e}"),
                });
            }
        };
        Ok(Leased::Ready(Claimed {
            id,
            message_id: r.uuid("message_id")?,
            partner_id: r.uuid("partner_id")?,
            contact_id: r.uuid("contact_id")?,
            channel: r.text("channel")?,
            state,
            attempts: r.i64("attempts")?,
            reminders: r.i64("reminders")?,
            acked: r.opt_time("acked_at")?.is_some(),
        }))
    }
}

/// Leases up to `limit` deliveries that are due, for `lease`. A worker that dies keeps them
/// only until the lease runs out; then another worker takes them. A row whose state does not
/// decode is not guessed at: it leaves the queue with the error on it (the receipts board
/// shows it) and is logged, so it neither goes out nor blocks the others.
pub async fn claim(db: &Db, worker: &str, limit: i64, length: Duration) -> Result<Vec<Claimed>> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let leased = ("deliveries", "next_at", DELIVERY_COLUMNS);
    let rows: Vec<Leased> = lease(&mut tx, now, leased, worker, limit, length).await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        match row {
            Leased::Ready(c) => claimed.push(c),
            Leased::Unreadable { id, error } => {
                tracing::error!(delivery = %id, worker, error = %error, "a leased delivery does not decode; taken out of the queue");
                tx.execute(
                    q("UPDATE deliveries SET next_at = NULL, last_error = $1, locked_until = NULL, locked_by = NULL
                        WHERE id = $2 AND locked_by = $3")
                    .bind(error)
                    .bind(id)
                    .bind(worker),
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(claimed)
}

const DELIVERY_COLUMNS: &str =
    "id, message_id, partner_id, contact_id, channel, state, attempts, reminders, acked_at";

/// Leases to `worker`, for `length` from `now`, up to `limit` due rows of `table` (due when
/// the column `due` has come), returning the columns `returning` of each. On PostgreSQL the
/// rows are locked and locked ones skipped, so concurrent workers take different rows;
/// SQLite's single writer does the same by itself. A row whose lease has run out is due again.
pub(crate) async fn lease<T: FromDbRow>(
    tx: &mut Tx,
    now: DateTime<Utc>,
    (table, due, returning): (&str, &str, &str),
    worker: &str,
    limit: i64,
    length: Duration,
) -> Result<Vec<T>> {
    let lock = match tx.backend() {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    };
    let sql = format!(
        "UPDATE {table} SET locked_until = $1, locked_by = $2
          WHERE id IN (SELECT id FROM {table}
                        WHERE {due} IS NOT NULL AND {due} <= $3
                          AND (locked_until IS NULL OR locked_until < $3)
                        ORDER BY {due} LIMIT $4{lock})
            AND (locked_until IS NULL OR locked_until < $3)
      RETURNING {returning}"
    );
    let query = Q::dynamic(sql)
        .bind(now + length)
        .bind(worker)
        .bind(now)
        .bind(limit);
    tx.fetch_all(query).await
}

/// What the worker needs of a frozen message. The body is there only when it may travel by
/// e-mail or IM: confidential and secret messages send a notice and a link (§7.2.1).
#[derive(Debug, Clone)]
pub struct MessageInfo {
    pub id: Uuid,
    pub request_id: Uuid,
    pub requester_id: Uuid,
    pub sender: String,
    pub title: String,
    pub body: Option<String>,
    pub importance: String,
    pub urgency: String,
    pub classification: String,
    pub ack_required: bool,
    pub ack_due_at: Option<DateTime<Utc>>,
}

impl FromDbRow for MessageInfo {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        let classification = r.text("classification")?;
        let body = r.text("body")?;
        let open = matches!(classification.as_str(), "public" | "internal")
            && !crate::crypto::is_encrypted(&body);
        Ok(Self {
            id: r.uuid("id")?,
            request_id: r.uuid("request_id")?,
            requester_id: r.uuid("requester_id")?,
            sender: r
                .opt_text("sender")?
                .unwrap_or_else(|| "Channel Management".into()),
            title: r.text("title")?,
            body: open.then_some(body),
            importance: r.text("importance")?,
            urgency: r.text("urgency")?,
            classification,
            ack_required: r.bool("ack_required")?,
            ack_due_at: r.opt_time("ack_due_at")?,
        })
    }
}

pub async fn messages(db: &Db, ids: &[Uuid]) -> Result<Vec<MessageInfo>> {
    db.fetch_all(Q::over_list(ids.iter().copied(), |list| {
        format!(
            "SELECT m.id, m.request_id, r.requester_id, d.name AS sender, m.title, m.body, m.importance,
                    m.urgency, m.classification, m.ack_required, m.ack_due_at
               FROM messages m JOIN requests r ON r.id = m.request_id
               LEFT JOIN departments d ON d.id = r.department_id
              WHERE m.id IN {list}"
        )
    }))
    .await
}

/// A recipient contact with what decides when and where it is reached.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub contact_id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub lang: String,
    pub partner_id: Uuid,
    pub partner_code: String,
    pub timezone: String,
    pub working_days: String,
    pub working_hours: String,
}

struct ContactRow(Uuid, String, Option<String>, String, Uuid);
from_row!(ContactRow(id: uuid, name: text, email: opt_text, lang: text, partner_id: uuid));

struct HoursRow(Uuid, String, String, String, String);
from_row!(HoursRow(id: uuid, code: text, timezone: text, working_days: text, working_hours: text));

/// The contacts of a batch with their partners' hours: two reads by key, joined here, so
/// that neither planner can pick a scan of every partner for a 500-row batch.
pub async fn recipients(db: &Db, contacts: &[Uuid]) -> Result<Vec<Recipient>> {
    let rows: Vec<ContactRow> = db
        .fetch_all(Q::over_list(contacts.iter().copied(), |list| {
            format!("SELECT id, name, email, lang, partner_id FROM contacts WHERE id IN {list}")
        }))
        .await?;
    let mut partner_ids: Vec<Uuid> = rows.iter().map(|c| c.4).collect();
    partner_ids.sort_unstable();
    partner_ids.dedup();
    let hours: std::collections::HashMap<Uuid, HoursRow> = db
        .fetch_all::<HoursRow>(Q::over_list(partner_ids, |list| {
            format!(
                "SELECT id, code, timezone, working_days, working_hours FROM partners WHERE id IN {list}"
            )
        }))
        .await?
        .into_iter()
        .map(|h| (h.0, h))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|ContactRow(id, name, email, lang, partner)| {
            hours.get(&partner).map(|h| Recipient {
                contact_id: id,
                name,
                email,
                lang,
                partner_id: partner,
                partner_code: h.1.clone(),
                timezone: h.2.clone(),
                working_days: h.3.clone(),
                working_hours: h.4.clone(),
            })
        })
        .collect())
}

/// How one leased delivery ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The channel accepted it; `target` names where it went (a robot id, an address).
    Sent { target: Option<String> },
    /// Outside the recipient's working hours: waits until then (§5.3.2). No attempt counted.
    Hold { until: DateTime<Utc> },
    /// Try again then, no attempt counted: rate limited (`wait`: the robot's minute is full,
    /// or the platform said "too fast"; the wait is counted and shown on the receipts board),
    /// or not started before the lease ran short (`wait: None`).
    Later {
        at: DateTime<Utc>,
        wait: Option<RateWait>,
    },
    /// The attempt failed; retried with backoff unless `permanent` or out of attempts.
    Failed { error: String, permanent: bool },
    /// Nothing to do any more (a reminder for a delivery confirmed meanwhile).
    Skip,
}

/// What a batch came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completed {
    pub sent: u64,
    pub held: u64,
    pub later: u64,
    pub retrying: u64,
    pub dead: u64,
    pub skipped: u64,
}

/// Records the outcomes of a batch in one transaction. Rows whose lease this worker no longer
/// holds are left alone (another worker has them now). A transaction that fails (a deadlock
/// with a confirmation on PostgreSQL, a busy SQLite) is tried again, so that a sent batch is
/// not sent once more after its lease.
pub async fn complete(
    db: &Db,
    worker: &str,
    max_attempts: i64,
    results: &[(Claimed, Outcome)],
) -> Result<Completed> {
    crate::retrying("recording a batch", || {
        complete_once(db, worker, max_attempts, results)
    })
    .await
}

async fn complete_once(
    db: &Db,
    worker: &str,
    max_attempts: i64,
    results: &[(Claimed, Outcome)],
) -> Result<Completed> {
    let now = db.now();
    let mut done = Completed::default();
    let mut tx = db.begin().await?;
    // Group what can be written by one statement.
    let mut first_sent: std::collections::BTreeMap<Option<String>, Vec<Uuid>> = Default::default();
    let mut reminded: Vec<Uuid> = Vec::new();
    // (when, state to set or "", rate-limit reason or "") → deliveries.
    type WaitKey = (DateTime<Utc>, &'static str, &'static str);
    let mut waits: std::collections::BTreeMap<WaitKey, Vec<Uuid>> = Default::default();
    let mut skipped: Vec<Uuid> = Vec::new();
    let mut dead_events = Vec::new();
    for (c, outcome) in results {
        match outcome {
            Outcome::Sent { target } => {
                if c.is_first_send() {
                    first_sent.entry(target.clone()).or_default().push(c.id);
                } else {
                    reminded.push(c.id);
                }
            }
            Outcome::Hold { until } => {
                let state = if c.is_first_send() {
                    DeliveryState::Held.as_str()
                } else {
                    ""
                };
                waits.entry((*until, state, "")).or_default().push(c.id);
            }
            Outcome::Later { at, wait } => waits
                .entry((*at, "", wait.map_or("", RateWait::as_str)))
                .or_default()
                .push(c.id),
            Outcome::Skip => skipped.push(c.id),
            Outcome::Failed { error, permanent } => {
                let tries = c.attempts + 1;
                let error: String = error.chars().take(500).collect();
                // A reminder leaves the state alone: the partner may have read or confirmed
                // while it was being sent.
                let (state, next_at, error) = match (
                    c.is_first_send(),
                    after_failure(tries, max_attempts, *permanent),
                ) {
                    (true, Retry::GiveUp) => (Some(DeliveryState::Dead), None, error),
                    (true, Retry::After(wait)) => {
                        (Some(DeliveryState::Failed), Some(now + wait), error)
                    }
                    (false, Retry::GiveUp) => (None, None, format!("reminder failed: {error}")),
                    (false, Retry::After(wait)) => {
                        (None, Some(now + wait), format!("reminder failed: {error}"))
                    }
                };
                let n = tx
                    .execute(
                        q("UPDATE deliveries SET state = COALESCE($1, state), next_at = $2, attempts = $3,
                                last_error = $4, wait_reason = NULL, locked_until = NULL, locked_by = NULL
                            WHERE id = $5 AND locked_by = $6")
                        .bind(state.map(DeliveryState::as_str))
                        .bind(next_at)
                        .bind(tries)
                        .bind(error.clone())
                        .bind(c.id)
                        .bind(worker),
                    )
                    .await?;
                if n > 0 {
                    if state == Some(DeliveryState::Dead) {
                        done.dead += 1;
                        dead_events.push(json!({
                            "delivery_id": c.id, "message_id": c.message_id, "partner_id": c.partner_id,
                            "contact_id": c.contact_id, "channel": c.channel, "attempts": tries, "error": error,
                        }));
                    } else {
                        done.retrying += 1;
                    }
                }
            }
        }
    }
    let release = |set: &str, query: &mut Q, ids: Vec<Uuid>| {
        let w = query.arg(worker);
        let list = query.in_list(ids);
        format!(
            "UPDATE deliveries SET {set}, locked_until = NULL, locked_by = NULL
              WHERE id IN {list} AND locked_by = {w}"
        )
    };
    for (target, ids) in first_sent {
        let mut query = Q::dynamic(String::new());
        let (t, tg) = (query.arg(now), query.arg(target));
        let sql = release(
            &format!(
                "state = CASE WHEN acked_at IS NOT NULL THEN 'acknowledged'
                              WHEN read_at IS NOT NULL THEN 'read' ELSE 'sent' END,
                 sent_at = {t}, target = {tg}, attempts = attempts + 1, next_at = NULL, last_error = NULL,
                 wait_reason = NULL"
            ),
            &mut query,
            ids,
        );
        done.sent += tx.execute(query.replace_sql(sql)).await?;
    }
    if !reminded.is_empty() {
        let mut query = Q::dynamic(String::new());
        let t = query.arg(now);
        let set = format!(
            "reminders = reminders + 1, reminded_at = {t}, next_at = NULL, last_error = NULL,
             wait_reason = NULL"
        );
        let sql = release(&set, &mut query, reminded);
        done.sent += tx.execute(query.replace_sql(sql)).await?;
    }
    for ((at, state, reason), ids) in waits {
        let mut query = Q::dynamic(String::new());
        let mut set = format!("next_at = {}", query.arg(at));
        if !state.is_empty() {
            set.push_str(&format!(", state = {}", query.arg(state)));
        }
        if reason.is_empty() {
            set.push_str(", wait_reason = NULL");
        } else {
            // Issue 10: a rate-limit wait costs no attempt, but it is counted and shown.
            set.push_str(&format!(
                ", rate_waits = rate_waits + 1, wait_reason = {}",
                query.arg(reason)
            ));
        }
        let sql = release(&set, &mut query, ids);
        let n = tx.execute(query.replace_sql(sql)).await?;
        if state.is_empty() {
            done.later += n;
        } else {
            done.held += n;
        }
    }
    if !skipped.is_empty() {
        let mut query = Q::dynamic(String::new());
        let sql = release("next_at = NULL, wait_reason = NULL", &mut query, skipped);
        done.skipped += tx.execute(query.replace_sql(sql)).await?;
    }
    if !dead_events.is_empty() {
        let evs = dead_events
            .into_iter()
            .map(|d| ("delivery.failed", d))
            .collect();
        events::emit_many(&mut tx, now, evs).await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// A delivery as the receipts board shows it.
#[derive(Debug, Clone)]
pub struct DeliveryRef {
    pub id: Uuid,
    pub message_id: Uuid,
    pub partner_id: Uuid,
    pub contact_id: Uuid,
    pub channel: String,
    pub state: String,
    pub acked_at: Option<DateTime<Utc>>,
}

from_row!(DeliveryRef; id: uuid, message_id: uuid, partner_id: uuid, contact_id: uuid,
    channel: text, state: text, acked_at: opt_time);

pub async fn find_delivery(db: &Db, id: Uuid) -> Result<DeliveryRef> {
    db.fetch_optional(
        q("SELECT id, message_id, partner_id, contact_id, channel, state, acked_at FROM deliveries WHERE id = $1")
            .bind(id),
    )
    .await?
    .ok_or(DbError::NotFound)
}

async fn audit_message(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: Option<Uuid>,
    action: &str,
    message: Uuid,
    detail: serde_json::Value,
) -> Result<()> {
    audit::append(
        tx,
        now,
        Entry::new(actor, action, "message", Some(message), detail),
    )
    .await?;
    Ok(())
}

/// Sends dead (or failing) deliveries of `message` again from a fresh attempt count: one
/// delivery when `only` is given, else every dead one. Returns how many were queued.
pub async fn retry(db: &Db, actor: Uuid, message: Uuid, only: Option<Uuid>) -> Result<u64> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let mut query = Q::dynamic(String::new());
    let t = query.arg(now);
    let m = query.arg(message);
    // Not one that a worker is sending right now (its lease stands).
    let mut sql = format!(
        "UPDATE deliveries SET state = 'queued', attempts = 0, next_at = {t}, wait_reason = NULL,
                locked_until = NULL, locked_by = NULL
          WHERE message_id = {m} AND (locked_until IS NULL OR locked_until < {t})"
    );
    match only {
        Some(d) => {
            let p = query.arg(d);
            sql.push_str(&format!(
                " AND id = {p} AND state IN ('dead', 'failed', 'held')"
            ));
        }
        // Partners that have confirmed meanwhile need no second copy.
        None => sql.push_str(" AND state = 'dead' AND acked_at IS NULL"),
    }
    let n = tx.execute(query.replace_sql(sql)).await?;
    if only.is_some() && n == 0 {
        return Err(DbError::Invalid(FieldErrors::single(
            "delivery",
            Msg::new("validate.delivery_not_retryable"),
        )));
    }
    audit_message(
        &mut tx,
        now,
        Some(actor),
        "delivery.retry",
        message,
        json!({"deliveries": n, "delivery_id": only}),
    )
    .await?;
    tx.notify_work().await?;
    tx.commit().await?;
    db.wake_workers();
    Ok(n)
}

/// Queues a reminder for every recipient of `message` who has not confirmed, on the channels
/// their copy went out on (§4.4.1); the worker sends it within their working hours.
async fn queue_reminders(tx: &mut Tx, now: DateTime<Utc>, message: Uuid) -> Result<u64> {
    tx.execute(
        q("UPDATE deliveries SET next_at = $1, attempts = 0
            WHERE message_id = $2 AND acked_at IS NULL AND channel <> 'portal'
              AND state IN ('sent', 'read') AND next_at IS NULL
              AND partner_id NOT IN (SELECT a.partner_id FROM deliveries a
                                      WHERE a.message_id = $2 AND a.acked_at IS NOT NULL)")
        .bind(now)
        .bind(message),
    )
    .await
}

/// "Remind unconfirmed now" on the receipts board. Returns how many reminders were queued.
pub async fn remind_now(db: &Db, actor: Uuid, message: Uuid) -> Result<u64> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let ack: Option<AckRequired> = tx
        .fetch_optional(q("SELECT ack_required FROM messages WHERE id = $1").bind(message))
        .await?;
    match ack {
        None => return Err(DbError::NotFound),
        Some(AckRequired(false)) => {
            return Err(DbError::Invalid(FieldErrors::single(
                "message",
                Msg::new("validate.no_ack_asked"),
            )));
        }
        Some(AckRequired(true)) => {}
    }
    // At most one reminder an hour: partners are not to be chased by repeated clicks.
    let last: Option<LastReminder> = tx
        .fetch_optional(
            q("SELECT MAX(reminded_at) AS last FROM deliveries WHERE message_id = $1")
                .bind(message),
        )
        .await?;
    if let Some(LastReminder(Some(last))) = last
        && now < last + Duration::hours(1)
    {
        return Err(DbError::Conflict(format!(
            "the unconfirmed were reminded at {} UTC; the next reminder can go from {} UTC",
            last.format("%Y-%m-%d %H:%M"),
            (last + Duration::hours(1)).format("%Y-%m-%d %H:%M")
        )));
    }
    let n = queue_reminders(&mut tx, now, message).await?;
    audit_message(
        &mut tx,
        now,
        Some(actor),
        "message.remind",
        message,
        json!({"reminders": n}),
    )
    .await?;
    tx.notify_work().await?;
    tx.commit().await?;
    db.wake_workers();
    Ok(n)
}

struct LastReminder(Option<DateTime<Utc>>);
from_row!(LastReminder(last: opt_time));

struct AckRequired(bool);
from_row!(AckRequired(ack_required: bool));

struct DueRow(Uuid, DateTime<Utc>, DateTime<Utc>);
from_row!(DueRow(id: uuid, created_at: time, ack_due_at: time));

/// When the automatic reminder of a message falls: `before` ahead of the deadline, but never
/// in the first half of the time the recipients had (a message sent 6 h before its deadline is
/// reminded after 3 h, not at once).
pub fn remind_at(sent: DateTime<Utc>, due: DateTime<Utc>, before: Duration) -> DateTime<Utc> {
    (due - before).max(sent + (due - sent) / 2)
}

/// The sweep's reminders (§4.4.1): messages whose reminder time has come. Returns how many
/// reminders were queued.
pub async fn sweep_reminders(db: &Db) -> Result<u64> {
    let now = db.now();
    let before = Duration::hours(settings(db).await?.remind_before_hours);
    let due: Vec<DueRow> = db
        .fetch_all(
            q("SELECT id, created_at, ack_due_at FROM messages
                WHERE ack_required AND reminded_at IS NULL AND ack_due_at IS NOT NULL
                  AND ack_due_at > $1 AND ack_due_at <= $2 ORDER BY ack_due_at LIMIT 100")
            .bind(now)
            .bind(now + before),
        )
        .await?;
    let mut total = 0;
    for DueRow(id, sent, due_at) in due {
        if remind_at(sent, due_at, before) > now {
            continue;
        }
        let mut tx = db.begin().await?;
        if take_message(&mut tx, "reminded_at", id, now).await? {
            let n = queue_reminders(&mut tx, now, id).await?;
            audit_message(
                &mut tx,
                now,
                None,
                "message.remind",
                id,
                json!({"reminders": n, "automatic": true}),
            )
            .await?;
            total += n;
        }
        tx.commit().await?;
    }
    Ok(total)
}

/// Stamps the sweep's column (`reminded_at`, `escalated_at`) of `message` if no sweep did yet:
/// whether this one did, so each message is reminded and escalated once however many workers
/// sweep at the same time.
async fn take_message(
    tx: &mut Tx,
    column: &'static str,
    message: Uuid,
    now: DateTime<Utc>,
) -> Result<bool> {
    let sql = format!("UPDATE messages SET {column} = $1 WHERE id = $2 AND {column} IS NULL");
    Ok(tx.execute(Q::dynamic(sql).bind(now).bind(message)).await? > 0)
}

/// At the deadline (§4.4.1): for each message with unconfirmed recipients, one escalation job
/// per person to tell (the requester, the partners' channel managers) who is overdue. Returns
/// how many messages were escalated.
pub async fn sweep_escalations(db: &Db) -> Result<u64> {
    let now = db.now();
    let due: Vec<Uuid> = db
        .fetch_all::<crate::partner::IdRow>(
            q("SELECT id FROM messages
                WHERE ack_required AND escalated_at IS NULL AND ack_due_at IS NOT NULL AND ack_due_at <= $1
                ORDER BY ack_due_at LIMIT 100")
            .bind(now),
        )
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect();
    let mut n = 0;
    for id in due {
        // Read before the write transaction (SQLite's in-memory database has one connection).
        let notices = overdue_notices(db, id).await?;
        let mut tx = db.begin().await?;
        let claimed = take_message(&mut tx, "escalated_at", id, now).await?;
        let overdue: i64 = tx
            .fetch_one(
                q("SELECT COUNT(DISTINCT partner_id) FROM deliveries d
                    WHERE d.message_id = $1 AND d.partner_id NOT IN
                          (SELECT a.partner_id FROM deliveries a WHERE a.message_id = $1 AND a.acked_at IS NOT NULL)")
                .bind(id),
            )
            .await?;
        if claimed && overdue > 0 {
            // The bell of each person told (the e-mail is the escalation job's).
            let about: MessageTitle = tx
                .fetch_one(
                    q("SELECT m.title, m.request_id FROM messages m WHERE m.id = $1").bind(id),
                )
                .await?;
            let items: Vec<_> = notices
                .iter()
                .map(|n| crate::notify::NewNotification {
                    user_id: n.user_id,
                    kind: liaison_core::notify::NotifyKind::Escalation,
                    args: json!({"title": about.title, "partners": n.partners.len()}),
                    link: format!("/console/requests/{}", about.request_id),
                    urgent: true,
                    email_at: None,
                })
                .collect();
            crate::notify::insert(&mut tx, now, &items).await?;
            // One job per person told, so that a failure retries only that one e-mail.
            for notice in &notices {
                crate::job::enqueue(
                    &mut tx,
                    now,
                    JobKind::Escalate.as_str(),
                    json!({"message_id": id, "user_id": notice.user_id}),
                )
                .await?;
            }
            audit_message(
                &mut tx,
                now,
                None,
                "message.escalate",
                id,
                json!({"overdue_partners": overdue}),
            )
            .await?;
            n += 1;
        }
        tx.commit().await?;
    }
    Ok(n)
}

struct MessageTitle {
    title: String,
    request_id: Uuid,
}

from_row!(MessageTitle; title: text, request_id: uuid);

/// Someone to tell at the deadline, with the overdue partners they answer for.
#[derive(Debug, Clone, Serialize)]
pub struct OverdueNotice {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub lang: Option<String>,
    pub partners: Vec<OverduePartner>,
}

/// A partner that has not confirmed by the deadline.
#[derive(Debug, Clone, Serialize)]
pub struct OverduePartner {
    pub code: String,
    pub name: String,
    /// Its contacts the message went to.
    pub contacts: i64,
}

struct OverdueRow {
    partner_code: String,
    partner_name: String,
    owner_id: Option<Uuid>,
    contacts: i64,
}
from_row!(OverdueRow; partner_code: text("code"), partner_name: text("name"), owner_id: opt_uuid,
    contacts: i64);

struct UserRow(Uuid, String, String, Option<String>, bool);
from_row!(UserRow(id: uuid, name: text, email: text, lang: opt_text, active: bool));

struct RequesterRow(Uuid, String);
from_row!(RequesterRow(id: uuid, classification: text));

/// Who is overdue on `message`, grouped for the requester (all partners) and each partner's
/// channel manager (their partners).
pub async fn overdue_notices(db: &Db, message: Uuid) -> Result<Vec<OverdueNotice>> {
    let rows: Vec<OverdueRow> = db
        .fetch_all(
            q("SELECT p.code, p.name, p.owner_id, COUNT(DISTINCT d.contact_id) AS contacts
                 FROM deliveries d JOIN partners p ON p.id = d.partner_id
                WHERE d.message_id = $1 AND d.partner_id NOT IN
                      (SELECT a.partner_id FROM deliveries a WHERE a.message_id = $1 AND a.acked_at IS NOT NULL)
                GROUP BY p.code, p.name, p.owner_id ORDER BY p.code")
            .bind(message),
        )
        .await?;
    let requester: Option<RequesterRow> = db
        .fetch_optional(
            q("SELECT r.requester_id AS id, m.classification FROM messages m JOIN requests r ON r.id = m.request_id WHERE m.id = $1")
                .bind(message),
        )
        .await?;
    // §7.2.2: a secret message's title is known only to its circle; its requester (who owns
    // it) chases every partner, the partners' channel managers are not told of it.
    let secret = requester
        .as_ref()
        .is_some_and(|r| r.1 == liaison_core::review::Classification::Secret.as_str());
    let requester = requester.map(|r| r.0);
    let mut out: Vec<OverdueNotice> = Vec::new();
    let entry = |o: &OverdueRow| OverduePartner {
        code: o.partner_code.clone(),
        name: o.partner_name.clone(),
        contacts: o.contacts,
    };
    let mut who: Vec<(Uuid, Vec<OverduePartner>)> = Vec::new();
    if let Some(r) = requester {
        who.push((r, rows.iter().map(entry).collect()));
    }
    for o in rows.iter().filter(|_| !secret) {
        // The requester already hears about every partner.
        let Some(owner) = o.owner_id.filter(|u| Some(*u) != requester) else {
            continue;
        };
        match who.iter_mut().find(|(u, _)| *u == owner) {
            Some((_, list)) => list.push(entry(o)),
            None => who.push((owner, vec![entry(o)])),
        }
    }
    for (user, partners) in who {
        let u: Option<UserRow> = db
            .fetch_optional(
                q("SELECT id, name, email, lang, active FROM users WHERE id = $1").bind(user),
            )
            .await?;
        if let Some(UserRow(id, name, email, lang, true)) = u {
            out.push(OverdueNotice {
                user_id: id,
                name,
                email,
                lang,
                partners,
            });
        }
    }
    Ok(out)
}

/// A new message's id. Its deliveries' ids are its first 10 bytes and a row number
/// (`insert_dispatch`), so those bytes must differ between any two messages: `Uuid::now_v7`
/// gives the ids of one millisecond a counter whose low bits lie past byte 10 (two dispatches
/// of one process in one millisecond would share them); the time and 26 random bits do not.
fn new_message_id() -> Uuid {
    Uuid::new_v7(uuid::Timestamp::now(uuid::NoContext))
}

/// Freezes the content as a message and writes every delivery in one statement (§4.3).
/// Confidential and secret bodies are encrypted, and reach only contacts with a valid NDA;
/// the others are listed as held back (§7.1.2, §7.2.1). A correction goes to everyone who
/// received the message it corrects (§1.3.1).
pub(crate) async fn insert_dispatch(
    db: &Db,
    tx: &mut Tx,
    request_id: Uuid,
    form: &liaison_core::request::RequestForm,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let message_id = new_message_id();
    let body = if form.classification.needs_nda() {
        db.seal("messages:body", message_id, &form.body)?
    } else {
        form.body.clone()
    };
    tx.execute(
        q("INSERT INTO messages (id, request_id, title, body, category, importance, urgency, classification,
              ack_required, ack_due_at, corrects_id, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
        .bind(message_id)
        .bind(request_id)
        .bind(form.title.as_str())
        .bind(body)
        .bind(form.category.as_str())
        .bind(form.importance.as_str())
        .bind(form.urgency.as_str())
        .bind(form.classification.as_str())
        .bind(form.ack_required)
        .bind(form.ack_due_at)
        .bind(form.corrects)
        .bind(now),
    )
    .await?;
    // Only the title of a confidential message is searchable: its body stays sealed. A secret
    // one is not searchable at all: outside its circle not even its title is known (§7.2.2).
    let plain = (!form.classification.needs_nda()).then_some(form.body.as_str());
    if form.classification != liaison_core::review::Classification::Secret {
        crate::search::index(
            tx,
            &[crate::search::message_doc(
                message_id,
                form.title.as_str(),
                plain,
                now,
            )],
            true,
        )
        .await?;
    }
    let mut query = Q::dynamic(String::new());
    let m = query.arg(message_id);
    // Delivery ids: the message id's first 10 bytes (its time) and a 6-byte row number, so they
    // are unique, ascend within a message and keep the UUIDv7 layout.
    let new_id = match tx.backend() {
        Backend::Sqlite => {
            format!("unhex(substr(hex({m}), 1, 20) || printf('%012X', ROW_NUMBER() OVER ()))")
        }
        Backend::Postgres => format!(
            "CAST(substr(replace(CAST({m} AS TEXT), '-', ''), 1, 20) || lpad(to_hex(ROW_NUMBER() OVER ()), 12, '0') AS UUID)"
        ),
    };
    let t = query.arg(now);
    let ack = query.arg(form.ack_required);
    let mut filters = Vec::with_capacity(form.audience.segments.len());
    for seg in &form.audience.segments {
        let filter: Option<SegmentFilter> = tx
            .fetch_optional(q("SELECT filter FROM segments WHERE id = $1").bind(*seg))
            .await?;
        filters.extend(filter.map(|f| f.0));
    }
    let Some(who) = audience_sql(&mut query, form, &filters) else {
        return Err(DbError::Invalid(FieldErrors::single(
            "audience",
            Msg::new("validate.no_recipients"),
        )));
    };

    let channel_rows: Vec<String> = form
        .channels
        .iter()
        .map(|c| format!("SELECT {} AS channel", query.arg(c.as_str())))
        .collect();
    let nda = crate::nda::valid_nda_sql(&t);
    let gate = if form.classification.needs_nda() {
        format!(" AND {nda}")
    } else {
        String::new()
    };
    let held_back: Vec<serde_json::Value> = if form.classification.needs_nda() {
        let sql = format!(
            "SELECT c.id, c.name, p.code FROM contacts c JOIN partners p ON p.id = c.partner_id
              WHERE ({who}) AND NOT {nda} ORDER BY p.code, c.id"
        );
        tx.fetch_all::<HeldContact>(query.clone().replace_sql(sql))
            .await?
            .into_iter()
            .map(|h| {
                json!({"contact_id": h.0, "contact_name": h.1, "partner_code": h.2,
                       "reason": format!("no valid NDA for {} content", form.classification)})
            })
            .collect()
    } else {
        Vec::new()
    };
    let sql = format!(
        "INSERT INTO deliveries (id, message_id, partner_id, contact_id, channel, state, created_at, late, ack_required, next_at)
         SELECT {new_id}, {m}, c.partner_id, c.id, ch.channel,
                CASE ch.channel WHEN 'portal' THEN 'delivered' WHEN 'phone' THEN 'manual' ELSE 'queued' END, {t}, {f}, {ack},
                CASE WHEN ch.channel IN ('portal', 'phone') THEN NULL ELSE {t} END
           FROM contacts c CROSS JOIN ({channels}) ch
          WHERE ({who}){gate}
            AND (ch.channel = 'portal' OR {PREFERS})",
        f = match tx.backend() {
            Backend::Sqlite => "0",
            Backend::Postgres => "FALSE",
        },
        channels = channel_rows.join(" UNION ALL "),
    );
    let deliveries = tx.execute(query.replace_sql(sql)).await?;
    tx.execute(
        q("UPDATE messages SET held_back = $1 WHERE id = $2")
            .bind(serde_json::to_string(&held_back).map_err(|e| DbError::Config(e.to_string()))?)
            .bind(message_id),
    )
    .await?;
    tx.execute(
        q("UPDATE requests SET state = 'dispatched', message_id = $1, version = version + 1, updated_at = $2 WHERE id = $3")
            .bind(message_id)
            .bind(now)
            .bind(request_id),
    )
    .await?;
    tx.notify_work().await?;
    crate::events::emit(
        tx,
        now,
        "message.dispatched",
        json!({"message_id": message_id, "request_id": request_id, "deliveries": deliveries,
               "classification": form.classification.as_str(), "ack_required": form.ack_required,
               "ack_due_at": form.ack_due_at}),
    )
    .await?;
    audit::append(tx, now, Entry::new(Some(actor), "message.dispatch", "message", Some(message_id), json!({"request_id": request_id, "deliveries": deliveries, "held_back": held_back.len(), "corrects": form.corrects})))
    .await?;
    Ok(message_id)
}

/// The audience as a condition on `contacts c`, its values bound to `query`: every contact of
/// the named partners, of the partners the segments (`filters`) match now, the named contacts,
/// and the recipients of a corrected message. `None` when the form names nobody.
fn audience_sql(
    query: &mut Q,
    form: &liaison_core::request::RequestForm,
    filters: &[liaison_core::partner::PartnerFilter],
) -> Option<String> {
    audience_people_sql(query, &form.audience, form.corrects, filters)
}

/// The contacts `c` an audience names, as an SQL condition with its values bound to `query`
/// (`None` when it names nobody); `corrects` adds the recipients of an earlier message.
pub(crate) fn audience_people_sql(
    query: &mut Q,
    audience: &liaison_core::request::Audience,
    corrects: Option<Uuid>,
    filters: &[liaison_core::partner::PartnerFilter],
) -> Option<String> {
    let mut who: Vec<String> = Vec::new();
    if audience.all {
        who.push("c.partner_id IN (SELECT p.id FROM partners p WHERE p.status = 'active')".into());
    }
    for (col, ids) in [
        ("c.partner_id", &audience.partners),
        ("c.id", &audience.contacts),
    ] {
        if !ids.is_empty() {
            who.push(format!("{col} IN {}", query.in_list(ids.iter().copied())));
        }
    }
    if let Some(original) = corrects {
        let o = query.arg(original);
        who.push(format!(
            "c.id IN (SELECT o.contact_id FROM deliveries o WHERE o.message_id = {o})"
        ));
    }
    for f in filters {
        // push_filter appends " AND ..." with its values bound to this same query.
        let start = query.sql().len();
        crate::partner::push_filter(query, liaison_core::Scope::All, f);
        let cond = query.sql()[start..].to_string();
        who.push(format!(
            "c.partner_id IN (SELECT p.id FROM partners p WHERE 1 = 1{cond})"
        ));
    }
    (!who.is_empty()).then(|| who.join(" OR "))
}

/// Who a request's audience reaches now, and for confidential and secret content who of them
/// has no valid NDA (§7.1.2): shown in the pre-check before anyone approves (issue 9).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    /// People (contacts) the audience names.
    pub people: i64,
    /// Of them, those without a valid NDA when the content needs one (else empty).
    pub uncovered: Vec<Uncovered>,
    /// Requested channels some of the people will not get, with why and how many (issue 10:
    /// a channel is never dropped without saying so). People held back for want of an NDA are
    /// not counted again here.
    pub skipped: Vec<Skipped>,
}

/// `people` recipients will not get `channel`, because of `reason`: `not_preferred` (the
/// contact's preferred channels do not name it), `no_email`, `no_phone` or `no_robot` (neither
/// the contact nor its partner has a robot on that platform).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub channel: String,
    pub reason: String,
    pub people: i64,
}
struct SkipRow(String, String, i64);
from_row!(SkipRow(channel: text, reason: text, people: i64));

#[derive(Debug, Clone, Serialize)]
pub struct Uncovered {
    pub contact_id: Uuid,
    pub contact_name: String,
    pub partner_code: String,
}

impl Coverage {
    /// People the message would reach.
    pub fn covered(&self) -> i64 {
        self.people - self.uncovered.len() as i64
    }
}

/// The audience's coverage now (`Coverage`).
pub async fn audience_coverage(
    db: &Db,
    form: &liaison_core::request::RequestForm,
) -> Result<Coverage> {
    let mut filters = Vec::with_capacity(form.audience.segments.len());
    for seg in &form.audience.segments {
        let filter: Option<SegmentFilter> = db
            .fetch_optional(q("SELECT filter FROM segments WHERE id = $1").bind(*seg))
            .await?;
        filters.extend(filter.map(|f| f.0));
    }
    let mut query = Q::dynamic(String::new());
    let Some(who) = audience_sql(&mut query, form, &filters) else {
        return Ok(Coverage::default());
    };
    let people: i64 = db
        .fetch_one(query.replace_sql(format!("SELECT COUNT(*) FROM contacts c WHERE ({who})")))
        .await?;
    let uncovered = if form.classification.needs_nda() {
        let mut query = Q::dynamic(String::new());
        let t = query.arg(db.now());
        let who = audience_sql(&mut query, form, &filters).unwrap_or_default();
        let nda = crate::nda::valid_nda_sql(&t);
        db.fetch_all::<HeldContact>(query.replace_sql(format!(
            "SELECT c.id, c.name, p.code FROM contacts c JOIN partners p ON p.id = c.partner_id
              WHERE ({who}) AND NOT {nda} ORDER BY p.code, c.id"
        )))
        .await?
        .into_iter()
        .map(|h| Uncovered {
            contact_id: h.0,
            contact_name: h.1,
            partner_code: h.2,
        })
        .collect()
    } else {
        Vec::new()
    };
    let skipped = skipped_channels(db, form, &filters).await?;
    Ok(Coverage {
        people,
        uncovered,
        skipped,
    })
}

/// Contact `c` names channel `ch.channel` among its preferred ones: who gets what at dispatch.
const PREFERS: &str = "(',' || c.preferred_channels || ',') LIKE ('%,' || ch.channel || ',%')";

/// Why a contact `c` will not get channel `ch.channel`, as SQL (NULL when it will): the same
/// rule dispatch uses for preferences, and the worker's for addresses and robots.
fn skip_reason() -> String {
    format!(
        "CASE
    WHEN NOT ({PREFERS}) THEN 'not_preferred'
    WHEN ch.channel = 'email' AND COALESCE(c.email, '') = '' THEN 'no_email'
    WHEN ch.channel = 'phone' AND COALESCE(c.phone, '') = '' THEN 'no_phone'
    WHEN ch.channel IN ('wecom', 'dingtalk', 'feishu', 'slack', 'webhook') AND NOT EXISTS (
        SELECT 1 FROM robots r WHERE r.kind = ch.channel
           AND (r.contact_id = c.id OR (r.contact_id IS NULL AND r.partner_id = c.partner_id)))
      THEN 'no_robot'
  END"
    )
}

/// The requested channels (but the portal, which everyone gets) that some of the audience will
/// not get, counted by channel and reason.
async fn skipped_channels(
    db: &Db,
    form: &liaison_core::request::RequestForm,
    filters: &[liaison_core::partner::PartnerFilter],
) -> Result<Vec<Skipped>> {
    let mut query = Q::dynamic(String::new());
    let channels: Vec<String> = form
        .channels
        .iter()
        .filter(|c| c.as_str() != "portal")
        .map(|c| format!("SELECT {} AS channel", query.arg(c.as_str())))
        .collect();
    if channels.is_empty() {
        return Ok(Vec::new());
    }
    let Some(who) = audience_sql(&mut query, form, filters) else {
        return Ok(Vec::new());
    };
    let gate = if form.classification.needs_nda() {
        let t = query.arg(db.now());
        format!(" AND {}", crate::nda::valid_nda_sql(&t))
    } else {
        String::new()
    };
    let rows: Vec<SkipRow> = db
        .fetch_all(query.replace_sql(format!(
            "SELECT channel, reason, COUNT(*) AS people FROM (
            SELECT ch.channel AS channel, {reason} AS reason
              FROM contacts c CROSS JOIN ({channels}) ch
             WHERE ({who}){gate}) s
          WHERE reason IS NOT NULL GROUP BY channel, reason ORDER BY channel, reason",
            channels = channels.join(" UNION ALL "),
            reason = skip_reason(),
        )))
        .await?;
    Ok(rows
        .into_iter()
        .map(|SkipRow(channel, reason, people)| Skipped {
            channel,
            reason,
            people,
        })
        .collect())
}

struct HeldContact(Uuid, String, String);
from_row!(HeldContact(id: uuid, name: text, code: text));

pub(crate) struct SegmentFilter(pub(crate) liaison_core::partner::PartnerFilter);
from_row!(SegmentFilter(filter: text => crate::query::json));

#[cfg(test)]
mod tests {
    #[test]
    fn message_ids_of_one_millisecond_differ_in_the_bytes_deliveries_take() {
        // Two dispatches one right after the other (`now_v7` shared the 10 bytes nearly
        // always); random bits collide once in 67 million pairs.
        for _ in 0..100 {
            let (a, b) = (super::new_message_id(), super::new_message_id());
            assert_ne!(a.as_bytes()[..10], b.as_bytes()[..10]);
        }
    }
}
