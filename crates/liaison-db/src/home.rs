//! The few aggregate reads behind the home pages ("我的待办", issue 9) that no other noun's
//! repository answers: messages overdue on confirmations, with dead deliveries, or with
//! recipients held back for want of an NDA; a partner's messages still to confirm.

use crate::inbox::InboxItem;
use crate::{Db, Q, Result, q};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// A dispatched message and how many of something it has (people unconfirmed, dead
/// deliveries, people held back).
#[derive(Debug, Clone, Serialize)]
pub struct MessageCount {
    pub message_id: Uuid,
    pub request_id: Uuid,
    pub title: String,
    pub at: Option<DateTime<Utc>>,
    pub count: i64,
    /// The message's classification (§7.2.2: a secret one is listed only to its circle).
    #[serde(skip)]
    pub classification: String,
}

from_row!(MessageCount; message_id: uuid, request_id: uuid, title: text, at: opt_time, count: i64,
    classification: text);

/// Messages past their confirmation deadline with people who have not confirmed (§4.4.1),
/// most recent deadline first; `count` is people, not deliveries.
pub async fn overdue(db: &Db, limit: i64) -> Result<Vec<MessageCount>> {
    db.fetch_all(
        q(
            "SELECT m.id AS message_id, m.request_id, m.title, m.ack_due_at AS at,
                  COUNT(DISTINCT d.contact_id) AS count, m.classification
             FROM messages m JOIN deliveries d ON d.message_id = m.id
            WHERE m.ack_required AND m.ack_due_at < $1 AND d.acked_at IS NULL
            GROUP BY m.id, m.request_id, m.title, m.ack_due_at, m.classification
            ORDER BY m.ack_due_at DESC LIMIT $2",
        )
        .bind(db.now())
        .bind(limit),
    )
    .await
}

/// Messages with deliveries the worker gave up on (§4.4.1: send again or call).
pub async fn dead(db: &Db, limit: i64) -> Result<Vec<MessageCount>> {
    db.fetch_all(
        q("SELECT m.id AS message_id, m.request_id, m.title, m.created_at AS at, COUNT(*) AS count,
                  m.classification
             FROM deliveries d JOIN messages m ON m.id = d.message_id
            WHERE d.state = 'dead'
            GROUP BY m.id, m.request_id, m.title, m.created_at, m.classification
            ORDER BY m.id DESC LIMIT $1")
        .bind(limit),
    )
    .await
}

struct HeldRow {
    message_id: Uuid,
    request_id: Uuid,
    title: String,
    created_at: DateTime<Utc>,
    held_back: String,
    classification: String,
}

from_row!(HeldRow; message_id: uuid, request_id: uuid, title: text, created_at: time, held_back: text,
    classification: text);

/// Recent confidential messages that left people out for want of a valid NDA (§7.1.2).
pub async fn held_back(db: &Db, limit: i64) -> Result<Vec<MessageCount>> {
    let rows: Vec<HeldRow> = db
        .fetch_all(
            q(
                "SELECT id AS message_id, request_id, title, created_at, held_back, classification FROM messages
                WHERE held_back <> '[]' ORDER BY id DESC LIMIT $1",
            )
            .bind(limit),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| MessageCount {
            count: serde_json::from_str::<Vec<serde_json::Value>>(&r.held_back)
                .map(|v| v.len() as i64)
                .unwrap_or(0),
            message_id: r.message_id,
            request_id: r.request_id,
            title: r.title,
            at: Some(r.created_at),
            classification: r.classification,
        })
        .filter(|m| m.count > 0)
        .collect())
}

/// A partner's messages that ask for a confirmation it has not given, oldest deadline first.
pub async fn to_confirm(db: &Db, partner: Uuid, limit: i64) -> Result<Vec<InboxItem>> {
    let mut query = Q::dynamic(crate::inbox::INBOX.to_string()).bind(partner);
    let l = query.arg(limit);
    query.push_sql(&format!(
        " AND m.ack_required GROUP BY m.id, m.title, m.category, m.importance, m.urgency, m.classification,
          m.ack_required, m.ack_due_at, m.corrects_id, m.created_at
          HAVING MIN(d.acked_at) IS NULL ORDER BY m.ack_due_at IS NULL, m.ack_due_at, m.id LIMIT {l}"
    ));
    db.fetch_all(query).await
}

/// A member of staff's top-menu numbers in one statement (every page reads them, issue 12's
/// figures): unread notifications, and what waits for them — requests at a step they may
/// decide (counted up to 100, as the review list shows them) and open threads they hold.
pub async fn staff_badges(db: &Db, actor: &liaison_core::Actor) -> Result<(i64, i64)> {
    let mut query = Q::dynamic(
        "SELECT (SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL) AS unread, "
            .to_string(),
    )
    .bind(actor.user_id);
    // Requests at a step they may decide, as many as the review list shows (100).
    query.push_sql("(SELECT COUNT(*) FROM (SELECT 1 AS one FROM requests r WHERE 1 = 1");
    if !crate::request::to_review(&mut query, actor) {
        query.push_sql(" AND 1 = 0");
    }
    let l = query.arg(100i64);
    query.push_sql(&format!(" LIMIT {l}) x) AS review, "));
    query.push_sql("(SELECT COUNT(*) FROM threads t WHERE t.state = 'open'");
    crate::thread::push_visibility(&mut query, actor, crate::thread::ThreadView::Mine);
    query.push_sql(") AS open");
    struct B(i64, i64, i64);
    from_row!(B(unread: i64, review: i64, open: i64));
    let b: B = db.fetch_one(query).await?;
    Ok((b.0, b.1 + b.2))
}
