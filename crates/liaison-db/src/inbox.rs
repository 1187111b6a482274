//! The partner inbox and confirmations (policy §4.3.2, §4.4.1; SPEC B5, B6), and the receipts
//! board for the sender (§6.1.2 groundwork). A partner's receipt covers all of that partner's
//! deliveries of a message on every channel: it counts once per recipient partner.

use crate::audit::{self, Entry};
use crate::query::parsed;
use crate::{Db, DbError, Q, Result, q};
use chrono::{DateTime, Utc};
use liaison_core::rate::RateWait;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct InboxItem {
    pub message_id: Uuid,
    pub title: String,
    pub category: String,
    pub importance: String,
    pub urgency: String,
    pub classification: String,
    pub ack_required: bool,
    pub ack_due_at: Option<DateTime<Utc>>,
    pub corrects_id: Option<Uuid>,
    /// The later message that corrects this one (§1.3.1), if any.
    pub corrected_by: Option<Uuid>,
    pub sent_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    pub acked_at: Option<DateTime<Utc>>,
    pub late: bool,
}

from_row!(InboxItem; message_id: uuid("id"), title: text, category: text, importance: text,
    urgency: text, classification: text, ack_required: bool, ack_due_at: opt_time,
    corrects_id: opt_uuid, corrected_by: opt_uuid, sent_at: time("created_at"),
    read_at: opt_time, acked_at: opt_time, late: i64 -> |n: i64| n > 0);

/// Messages delivered to `partner`, newest first, with its read and confirmation state.
pub(crate) const INBOX: &str = "SELECT m.id, m.title, m.category, m.importance, m.urgency, m.classification, m.ack_required,
        m.ack_due_at, m.corrects_id,
        (SELECT m2.id FROM messages m2 WHERE m2.corrects_id = m.id ORDER BY m2.id LIMIT 1) AS corrected_by,
        m.created_at, MIN(d.read_at) AS read_at, MIN(d.acked_at) AS acked_at,
        CAST(MAX(CASE WHEN d.late THEN 1 ELSE 0 END) AS BIGINT) AS late
   FROM deliveries d JOIN messages m ON m.id = d.message_id
  WHERE d.partner_id = $1";

/// What `INBOX` groups by: one row per message.
const GROUP_BY: &str =
    " GROUP BY m.id, m.title, m.category, m.importance, m.urgency, m.classification,
          m.ack_required, m.ack_due_at, m.corrects_id, m.created_at";

pub async fn list_inbox(
    db: &Db,
    partner: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<InboxItem>> {
    // The page's messages first, from the (partner_id, message_id) index, then only their
    // deliveries grouped: the cost is the page's, however many messages the partner has had.
    let mut query = Q::dynamic(INBOX.to_string()).bind(partner);
    let mut page =
        String::from("SELECT DISTINCT p.message_id FROM deliveries p WHERE p.partner_id = $1");
    if let Some(b) = before {
        page.push_str(&format!(" AND p.message_id < {}", query.arg(b)));
    }
    page.push_str(&format!(
        " ORDER BY p.message_id DESC LIMIT {}",
        query.arg(limit)
    ));
    query.push_sql(&format!(" AND d.message_id IN ({page})"));
    query.push_sql(GROUP_BY);
    query.push_sql(" ORDER BY m.id DESC");
    db.fetch_all(query).await
}

#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    pub unread: i64,
    pub to_confirm: i64,
}

from_row!(Counts; unread: i64, to_confirm: i64);

/// A message still owes something when none of the partner's deliveries of it was read, or
/// it asks for confirmation and none was confirmed. Only open deliveries are read (the partial
/// index `deliveries_open`, whose condition this repeats word for word so both planners use it):
/// the cost is what the partner has not dealt with, not every message it ever had.
pub async fn counts(db: &Db, partner: Uuid) -> Result<Counts> {
    db.fetch_one(
        q("SELECT COUNT(DISTINCT CASE WHEN d.read_at IS NULL AND NOT EXISTS (
                         SELECT 1 FROM deliveries r WHERE r.partner_id = d.partner_id
                            AND r.message_id = d.message_id AND r.read_at IS NOT NULL)
                       THEN d.message_id END) AS unread,
                  COUNT(DISTINCT CASE WHEN d.ack_required AND d.acked_at IS NULL AND NOT EXISTS (
                         SELECT 1 FROM deliveries r WHERE r.partner_id = d.partner_id
                            AND r.message_id = d.message_id AND r.acked_at IS NOT NULL)
                       THEN d.message_id END) AS to_confirm
             FROM deliveries d
            WHERE d.partner_id = $1 AND (d.read_at IS NULL OR (d.ack_required AND d.acked_at IS NULL))")
        .bind(partner),
    )
    .await
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    #[serde(flatten)]
    pub item: InboxItem,
    pub body: String,
    /// A confidential copy's code printed on its page (`liaison_app::leaks::screen_code`).
    #[serde(skip)]
    pub copy_code: Option<String>,
}

struct BodyRow(String);
from_row!(BodyRow(body: text));

/// One message as delivered to `partner`; another partner's is not found.
pub async fn find_item(db: &Db, partner: Uuid, message: Uuid) -> Result<InboxItem> {
    find_for(db, partner, message).await
}

/// One of a partner's messages as its inbox lists it.
pub async fn find_for(db: &Db, partner: Uuid, message: Uuid) -> Result<InboxItem> {
    let mut query = Q::dynamic(INBOX.to_string()).bind(partner);
    query.and("m.id =", message);
    query.push_sql(GROUP_BY);
    db.fetch_one(query).await
}

/// Opens a message for a partner user and records the read (first read only).
pub async fn open_message(db: &Db, user: Uuid, partner: Uuid, message: Uuid) -> Result<Message> {
    open_as(db, Some(user), partner, message, "portal", true).await
}

/// Opens the message a one-click link is for (§4.3.2) and records the read, as the link's
/// channel. The body comes only for public and internal messages: a confidential one needs a
/// login (§7.2.1), and its body is then empty here.
pub async fn open_by_link(
    db: &Db,
    delivery: Uuid,
) -> Result<(crate::delivery::DeliveryRef, Message)> {
    let d = crate::delivery::find_delivery(db, delivery).await?;
    let item = find_for(db, d.partner_id, d.message_id).await?;
    let open = matches!(item.classification.as_str(), "public" | "internal");
    if !open {
        // Nothing is shown, so nothing was read: a confidential message is read after login.
        return Ok((
            d,
            Message {
                item,
                body: String::new(),
                copy_code: None,
            },
        ));
    }
    let m = open_as(db, None, d.partner_id, d.message_id, &d.channel, true).await?;
    Ok((d, m))
}

async fn open_as(
    db: &Db,
    user: Option<Uuid>,
    partner: Uuid,
    message: Uuid,
    via: &str,
    with_body: bool,
) -> Result<Message> {
    let item = find_for(db, partner, message).await?;
    if item.read_at.is_none() {
        let now = db.now();
        let mut tx = db.begin().await?;
        tx.execute(
            q("UPDATE deliveries SET read_at = $1, read_by = $2,
                      state = CASE WHEN acked_at IS NULL AND state IN ('delivered', 'sent') THEN 'read' ELSE state END
               WHERE message_id = $3 AND partner_id = $4 AND read_at IS NULL")
            .bind(now)
            .bind(user)
            .bind(message)
            .bind(partner),
        )
        .await?;
        audit::append(
            &mut tx,
            now,
            Entry::new(
                user,
                "message.read",
                "message",
                Some(message),
                json!({"via": via}),
            )
            .of_partner(partner),
        )
        .await?;
        tx.commit().await?;
    }
    let body = if with_body {
        let body: BodyRow = db
            .fetch_one(q("SELECT body FROM messages WHERE id = $1").bind(message))
            .await?;
        if crate::crypto::is_encrypted(&body.0) {
            db.open("messages:body", message, &body.0)?
        } else {
            body.0
        }
    } else {
        String::new()
    };
    Ok(Message {
        item: find_for(db, partner, message).await?,
        body,
        copy_code: None,
    })
}

/// Confirmations are written by one task that commits whatever has queued up together
/// (group commit): one transaction, one audit append and one commit for many confirmations,
/// which keeps latency flat when hundreds arrive at once on SQLite's single writer.
pub struct AckWriter {
    jobs: tokio::sync::mpsc::Sender<AckJob>,
}

/// When a confirmation was recorded and whether it was late.
type Acked = (DateTime<Utc>, bool);

struct AckJob {
    user: Option<Uuid>,
    /// The person confirming as a contact (a one-click link's contact); for a portal user,
    /// the contact the login is linked to.
    contact: Option<Uuid>,
    via: String,
    partner: Uuid,
    message: Uuid,
    due: Option<DateTime<Utc>>,
    reply: tokio::sync::oneshot::Sender<Result<Option<Acked>, String>>,
}

impl AckWriter {
    /// Starts the writer task (needs a Tokio runtime).
    pub fn spawn(db: Db) -> Self {
        let (jobs, mut rx) = tokio::sync::mpsc::channel::<AckJob>(4096);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < 512 {
                    match rx.try_recv() {
                        Ok(j) => batch.push(j),
                        Err(_) => break,
                    }
                }
                match write_batch(&db, &batch).await {
                    Ok(done) => {
                        for (job, r) in batch.into_iter().zip(done) {
                            let _ = job.reply.send(Ok(r));
                        }
                    }
                    Err(e) => {
                        let msg = e.to_string();
                        for job in batch {
                            let _ = job.reply.send(Err(msg.clone()));
                        }
                    }
                }
            }
        });
        Self { jobs }
    }

    /// Records the partner's confirmation (§4.3.2); after the deadline it is recorded as late.
    /// Confirming twice changes nothing. `user` is the portal user, or none for a one-click
    /// link from an e-mail or IM card; `via` is the channel it came through. A receipt counts
    /// once per recipient partner whatever the channel.
    pub async fn acknowledge(
        &self,
        db: &Db,
        user: Option<Uuid>,
        partner: Uuid,
        message: Uuid,
        via: &str,
    ) -> Result<InboxItem> {
        self.acknowledge_as(db, user, None, partner, message, via)
            .await
    }

    /// The same, crediting `contact` (the contact a one-click link was sent to). Issue 9: a
    /// confirmation is credited to the person who gave it, not to every contact of the partner.
    pub async fn acknowledge_as(
        &self,
        db: &Db,
        user: Option<Uuid>,
        contact: Option<Uuid>,
        partner: Uuid,
        message: Uuid,
        via: &str,
    ) -> Result<InboxItem> {
        let mut item = find_for(db, partner, message).await?;
        if !item.ack_required {
            return Err(DbError::Invalid(liaison_core::FieldErrors::single(
                "message",
                liaison_core::validate::Msg::new("validate.no_ack_asked"),
            )));
        }
        if item.acked_at.is_some() {
            return Ok(item);
        }
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send(AckJob {
                user,
                contact,
                via: via.to_string(),
                partner,
                message,
                due: item.ack_due_at,
                reply,
            })
            .await
            .map_err(|_| DbError::Config("the confirmation writer has stopped".into()))?;
        match answer
            .await
            .map_err(|_| DbError::Config("the confirmation writer has stopped".into()))?
        {
            Ok(Some((at, late))) => {
                item.acked_at = Some(at);
                item.read_at = item.read_at.or(Some(at));
                item.late = late;
                Ok(item)
            }
            // Someone else of the same partner confirmed in between.
            Ok(None) => find_for(db, partner, message).await,
            Err(e) => Err(DbError::Config(e)),
        }
    }
}

/// Writes a batch of confirmations in one transaction; for each, when and whether late, or
/// `None` when it had been confirmed already.
async fn write_batch(db: &Db, batch: &[AckJob]) -> Result<Vec<Option<Acked>>> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let mut out = Vec::with_capacity(batch.len());
    let mut entries = Vec::new();
    let mut events = Vec::new();
    for job in batch {
        let late = job.due.is_some_and(|d| now > d);
        let n = tx
            .execute(
                q("UPDATE deliveries SET acked_at = $1, acked_by = $2, late = $3, acked_via = $4,
                     acked_contact_id = COALESCE($7, (SELECT u.contact_id FROM users u WHERE u.id = $2)),
                     state = CASE WHEN state IN ('delivered', 'sent', 'read', 'manual') THEN 'acknowledged' ELSE state END,
                     read_at = COALESCE(read_at, $1), read_by = COALESCE(read_by, $2)
                   WHERE message_id = $5 AND partner_id = $6 AND acked_at IS NULL")
                .bind(now)
                .bind(job.user)
                .bind(late)
                .bind(job.via.as_str())
                .bind(job.message)
                .bind(job.partner)
                .bind(job.contact),
            )
            .await?;
        if n > 0 {
            entries.push(
                Entry::new(
                    job.user,
                    "message.ack",
                    "message",
                    Some(job.message),
                    json!({"late": late, "via": job.via, "contact_id": job.contact}),
                )
                .of_partner(job.partner),
            );
            events.push((
                "delivery.acknowledged",
                json!({"message_id": job.message, "partner_id": job.partner, "late": late,
                       "via": job.via, "acknowledged_at": now}),
            ));
            out.push(Some((now, late)));
        } else {
            out.push(None);
        }
    }
    if !entries.is_empty() {
        audit::append_many(&mut tx, now, entries).await?;
        crate::events::emit_many(&mut tx, now, events).await?;
    }
    tx.commit().await?;
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub partner_code: String,
    pub partner_name: String,
    pub contact_id: Uuid,
    pub contact_name: String,
    pub channel: String,
    pub state: String,
    pub read_at: Option<DateTime<Utc>>,
    pub acked_at: Option<DateTime<Utc>>,
    pub late: bool,
    /// Attempts made by the worker (push channels).
    pub attempts: i64,
    /// When the worker takes it next: a held send's working-hours start, a retry, a reminder.
    pub next_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Times the worker put it back for a rate limit (issue 10): no attempt counted.
    pub rate_waits: i64,
    /// What it waits for now, until `next_at`: `robot_minute` (the robot's 20 posts a minute
    /// are used, §2.1.2) or `platform` (the platform answered "too fast").
    pub wait_reason: Option<RateWait>,
    pub reminders: i64,
    pub acked_via: Option<String>,
    /// Who confirmed (for the partner): the contact or portal user who gave the confirmation.
    pub acked_by_name: Option<String>,
}

from_row!(DeliveryRow; id: uuid, partner_id: uuid, partner_code: text, partner_name: text,
    contact_id: uuid, contact_name: text, channel: text, state: text, read_at: opt_time,
    acked_at: opt_time, late: bool, attempts: i64, next_at: opt_time, sent_at: opt_time,
    last_error: opt_text, rate_waits: i64,
    wait_reason: opt_text => |s: Option<String>| s.map(parsed(RateWait::parse)).transpose(),
    reminders: i64, acked_via: opt_text, acked_by_name: opt_text);

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub total: i64,
    pub read: i64,
    pub acknowledged: i64,
    pub overdue: i64,
    /// Push deliveries waiting for the worker: new, held for working hours, failing.
    pub queued: i64,
    pub held: i64,
    pub failed: i64,
    pub dead: i64,
    pub sent: i64,
    /// Deliveries waiting now for a robot's rate limit (issue 10).
    pub rate_limited: i64,
    /// People (contacts) reached, each once whatever the channels (issue 9).
    pub people: i64,
    pub people_read: i64,
    pub people_acknowledged: i64,
    /// People who have not confirmed after the deadline.
    pub people_overdue: i64,
    /// Whether the message asks for a confirmation at all (else show read/unread).
    pub ack_required: bool,
}

impl Summary {
    /// People who have not confirmed (none when no confirmation is asked).
    pub fn people_unconfirmed(&self) -> i64 {
        if self.ack_required {
            self.people - self.people_acknowledged
        } else {
            0
        }
    }
}

// Sums over no rows are NULL: none.
from_row!(Summary; total: opt_i64 -> Option::unwrap_or_default,
    read: opt_i64 -> Option::unwrap_or_default,
    acknowledged: opt_i64("acked") -> Option::unwrap_or_default,
    overdue: opt_i64 -> Option::unwrap_or_default, queued: opt_i64 -> Option::unwrap_or_default,
    held: opt_i64 -> Option::unwrap_or_default, failed: opt_i64 -> Option::unwrap_or_default,
    dead: opt_i64 -> Option::unwrap_or_default, sent: opt_i64 -> Option::unwrap_or_default,
    rate_limited: opt_i64 -> Option::unwrap_or_default,
    people: opt_i64 -> Option::unwrap_or_default,
    people_read: opt_i64 -> Option::unwrap_or_default,
    people_acknowledged: opt_i64("people_acked") -> Option::unwrap_or_default,
    people_overdue: opt_i64 -> Option::unwrap_or_default,
    ack_required: opt_i64 -> |n: Option<i64>| n.unwrap_or(0) > 0);

/// Every delivery of a message (the receipts board), optionally only the unconfirmed.
pub async fn deliveries(
    db: &Db,
    message: Uuid,
    unconfirmed_only: bool,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<DeliveryRow>> {
    let mut query = Q::dynamic(
        "SELECT d.id, d.partner_id, p.code AS partner_code, p.name AS partner_name, d.contact_id, c.name AS contact_name,
                d.channel, d.state, d.read_at, d.acked_at, d.late, d.attempts, d.next_at, d.sent_at, d.last_error,
                d.rate_waits, d.wait_reason, d.reminders, d.acked_via, COALESCE(ac.name, au.name) AS acked_by_name
           FROM deliveries d JOIN partners p ON p.id = d.partner_id JOIN contacts c ON c.id = d.contact_id
           LEFT JOIN contacts ac ON ac.id = d.acked_contact_id LEFT JOIN users au ON au.id = d.acked_by
          WHERE d.message_id = $1"
            .to_string(),
    )
    .bind(message);
    if unconfirmed_only {
        query.push_sql(" AND d.acked_at IS NULL");
    }
    query.and_some("d.id >", after);
    query.order_limit("d.id", limit);
    db.fetch_all(query).await
}

/// Totals for the receipts board: deliveries, read, acknowledged, and overdue (unconfirmed
/// after the deadline).
pub async fn summary(db: &Db, message: Uuid) -> Result<Summary> {
    db.fetch_one(
            q("SELECT COUNT(*) AS total,
                      SUM(CASE WHEN d.read_at IS NOT NULL THEN 1 ELSE 0 END) AS read,
                      SUM(CASE WHEN d.acked_at IS NOT NULL THEN 1 ELSE 0 END) AS acked,
                      SUM(CASE WHEN m.ack_required AND d.acked_at IS NULL AND m.ack_due_at < $2 THEN 1 ELSE 0 END) AS overdue,
                      SUM(CASE WHEN d.state = 'queued' THEN 1 ELSE 0 END) AS queued,
                      SUM(CASE WHEN d.state = 'held' THEN 1 ELSE 0 END) AS held,
                      SUM(CASE WHEN d.state = 'failed' THEN 1 ELSE 0 END) AS failed,
                      SUM(CASE WHEN d.state = 'dead' THEN 1 ELSE 0 END) AS dead,
                      SUM(CASE WHEN d.sent_at IS NOT NULL THEN 1 ELSE 0 END) AS sent,
                      SUM(CASE WHEN d.wait_reason IS NOT NULL AND d.next_at IS NOT NULL THEN 1 ELSE 0 END) AS rate_limited,
                      COUNT(DISTINCT d.contact_id) AS people,
                      COUNT(DISTINCT CASE WHEN d.read_at IS NOT NULL THEN d.contact_id END) AS people_read,
                      COUNT(DISTINCT CASE WHEN d.acked_at IS NOT NULL THEN d.contact_id END) AS people_acked,
                      COUNT(DISTINCT CASE WHEN m.ack_required AND d.acked_at IS NULL AND m.ack_due_at < $2 THEN d.contact_id END) AS people_overdue,
                      CAST(MAX(CASE WHEN m.ack_required THEN 1 ELSE 0 END) AS BIGINT) AS ack_required
                 FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.message_id = $1")
            .bind(message)
            .bind(db.now()),
    )
    .await
}

struct RequestOf(Uuid);
from_row!(RequestOf(request_id: uuid));

/// The request a message delivered to `partner` came from (its attachments); another
/// partner's message is not found.
pub async fn request_of(db: &Db, partner: Uuid, message: Uuid) -> Result<Uuid> {
    find_for(db, partner, message).await?;
    let r: RequestOf = db
        .fetch_one(q("SELECT request_id FROM messages WHERE id = $1").bind(message))
        .await?;
    Ok(r.0)
}
