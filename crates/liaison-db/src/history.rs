//! One partner's record of communication (SPEC B10): every message delivered to it, its reads
//! and confirmations, and every thread post, in time order. Search is `crate::search`.

use crate::{Db, Q, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub at: DateTime<Utc>,
    /// message | read | acknowledged | post | ticket | ticket_resolved | visit | call | meeting
    pub kind: String,
    pub message_id: Option<Uuid>,
    pub thread_id: Option<Uuid>,
    /// A problem ticket raised or resolved (issue 12).
    pub ticket_id: Option<Uuid>,
    pub title: String,
    pub actor_name: Option<String>,
    /// A meeting the partner was invited to (issue 14), at its start; the actor is its chair.
    pub meeting_id: Option<Uuid>,
}

from_row!(Event; at: time, kind: text, message_id: opt_uuid, thread_id: opt_uuid,
    ticket_id: opt_uuid, title: text, actor_name: opt_text, meeting_id: opt_uuid);

/// The partner's timeline, newest first, `before` a time for paging.
pub async fn timeline(
    db: &Db,
    partner: Uuid,
    before: Option<DateTime<Utc>>,
    limit: i64,
) -> Result<Vec<Event>> {
    let mut query = Q::dynamic(String::new());
    let p = query.arg(partner);
    let before_cond = match before {
        Some(b) => format!(" AND x.at < {}", query.arg(b)),
        None => String::new(),
    };
    let l = query.arg(limit);
    query.push_sql(&format!(
        "SELECT x.at, x.kind, x.message_id, x.thread_id, x.ticket_id, x.title, x.actor_name, x.meeting_id FROM (
            SELECT MIN(d.created_at) AS at, 'message' AS kind, m.id AS message_id, CAST(NULL AS UUID) AS thread_id, CAST(NULL AS UUID) AS ticket_id, m.title, CAST(NULL AS TEXT) AS actor_name, CAST(NULL AS UUID) AS meeting_id
              FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.partner_id = {p} GROUP BY m.id, m.title
            UNION ALL
            SELECT MIN(d.read_at), 'read', m.id, CAST(NULL AS UUID), CAST(NULL AS UUID), m.title, MIN(u.name), CAST(NULL AS UUID)
              FROM deliveries d JOIN messages m ON m.id = d.message_id LEFT JOIN users u ON u.id = d.read_by
             WHERE d.partner_id = {p} AND d.read_at IS NOT NULL GROUP BY m.id, m.title
            UNION ALL
            SELECT MIN(d.acked_at), 'acknowledged', m.id, CAST(NULL AS UUID), CAST(NULL AS UUID), m.title, MIN(u.name), CAST(NULL AS UUID)
              FROM deliveries d JOIN messages m ON m.id = d.message_id LEFT JOIN users u ON u.id = d.acked_by
             WHERE d.partner_id = {p} AND d.acked_at IS NOT NULL GROUP BY m.id, m.title
            UNION ALL
            SELECT tp.created_at, 'post', t.message_id, t.id, CAST(NULL AS UUID), t.subject, u.name, CAST(NULL AS UUID)
              FROM thread_posts tp JOIN threads t ON t.id = tp.thread_id LEFT JOIN users u ON u.id = tp.author_id
             WHERE t.partner_id = {p}
            UNION ALL
            SELECT k.created_at, 'ticket', CAST(NULL AS UUID), CAST(NULL AS UUID), k.id, k.subject, u.name, CAST(NULL AS UUID)
              FROM tickets k LEFT JOIN users u ON u.id = k.raised_by
             WHERE k.partner_id = {p} AND k.classification IN ('public', 'internal')
            UNION ALL
            SELECT k.resolved_at, 'ticket_resolved', CAST(NULL AS UUID), CAST(NULL AS UUID), k.id, k.subject, CAST(NULL AS TEXT), CAST(NULL AS UUID)
              FROM tickets k
             WHERE k.partner_id = {p} AND k.resolved_at IS NOT NULL AND k.classification IN ('public', 'internal')
            UNION ALL
            SELECT v.reported_at, 'visit', CAST(NULL AS UUID), CAST(NULL AS UUID), CAST(NULL AS UUID), v.purpose, u.name, CAST(NULL AS UUID)
              FROM visits v LEFT JOIN users u ON u.id = v.visitor_id
             WHERE v.partner_id = {p} AND v.state = 'done' AND v.reported_at IS NOT NULL
            UNION ALL
            SELECT c.at, 'call', CAST(NULL AS UUID), CAST(NULL AS UUID), c.ticket_id, c.summary, u.name, CAST(NULL AS UUID)
              FROM calls c LEFT JOIN users u ON u.id = c.user_id
             WHERE c.partner_id = {p}
            UNION ALL
            SELECT m.starts_at, 'meeting', CAST(NULL AS UUID), CAST(NULL AS UUID), CAST(NULL AS UUID), m.title, u.name, m.id
              FROM meetings m LEFT JOIN users u ON u.id = m.chair_id
             WHERE m.state IN ('invited', 'held') AND m.id IN (SELECT a.meeting_id FROM meeting_attendees a WHERE a.partner_id = {p} AND a.removed = FALSE)
         ) x WHERE 1 = 1{before_cond} ORDER BY x.at DESC LIMIT {l}"
    ));
    db.fetch_all(query).await
}
