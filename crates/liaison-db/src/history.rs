//! One partner's record of communication (SPEC B10): every message delivered to it, its reads
//! and confirmations, and every thread post, in time order; and search over messages and
//! threads that finds Chinese words (substring match: no word segmentation needed).

use crate::{Db, Q, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub at: DateTime<Utc>,
    /// message | read | acknowledged | post
    pub kind: String,
    pub message_id: Option<Uuid>,
    pub thread_id: Option<Uuid>,
    pub title: String,
    pub actor_name: Option<String>,
}

from_row!(Event; at: time, kind: text, message_id: opt_uuid, thread_id: opt_uuid, title: text,
    actor_name: opt_text);

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
        "SELECT x.at, x.kind, x.message_id, x.thread_id, x.title, x.actor_name FROM (
            SELECT MIN(d.created_at) AS at, 'message' AS kind, m.id AS message_id, CAST(NULL AS UUID) AS thread_id, m.title, CAST(NULL AS TEXT) AS actor_name
              FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.partner_id = {p} GROUP BY m.id, m.title
            UNION ALL
            SELECT MIN(d.read_at), 'read', m.id, CAST(NULL AS UUID), m.title, MIN(u.name)
              FROM deliveries d JOIN messages m ON m.id = d.message_id LEFT JOIN users u ON u.id = d.read_by
             WHERE d.partner_id = {p} AND d.read_at IS NOT NULL GROUP BY m.id, m.title
            UNION ALL
            SELECT MIN(d.acked_at), 'acknowledged', m.id, CAST(NULL AS UUID), m.title, MIN(u.name)
              FROM deliveries d JOIN messages m ON m.id = d.message_id LEFT JOIN users u ON u.id = d.acked_by
             WHERE d.partner_id = {p} AND d.acked_at IS NOT NULL GROUP BY m.id, m.title
            UNION ALL
            SELECT tp.created_at, 'post', t.message_id, t.id, t.subject, u.name
              FROM thread_posts tp JOIN threads t ON t.id = tp.thread_id LEFT JOIN users u ON u.id = tp.author_id
             WHERE t.partner_id = {p}
         ) x WHERE 1 = 1{before_cond} ORDER BY x.at DESC LIMIT {l}"
    ));
    db.fetch_all(query).await
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// message | thread
    pub kind: String,
    pub id: Uuid,
    pub title: String,
    pub at: DateTime<Utc>,
}

from_row!(Hit; kind: text, id: uuid, title: text, at: time);

/// Messages and threads whose title, body or posts contain every word of `text` (any case;
/// Chinese matched as substrings). Encrypted bodies are not searched, only their titles.
/// `partner` limits the search to what that partner received and wrote.
pub async fn search(db: &Db, text: &str, partner: Option<Uuid>, limit: i64) -> Result<Vec<Hit>> {
    let words: Vec<String> = text
        .split_whitespace()
        .take(8)
        .map(|w| crate::partner::like_pattern(&w.to_lowercase()))
        .collect();
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = Q::dynamic(String::new());
    let mut msg_conds = Vec::new();
    let mut thread_conds = Vec::new();
    for w in &words {
        let a = query.arg(w.as_str());
        msg_conds.push(format!(
            "(lower(m.title) LIKE {a} ESCAPE '\\' OR lower(m.body) LIKE {a} ESCAPE '\\')"
        ));
        thread_conds.push(format!(
            "(lower(t.subject) LIKE {a} ESCAPE '\\' OR EXISTS (SELECT 1 FROM thread_posts tp WHERE tp.thread_id = t.id AND lower(tp.body) LIKE {a} ESCAPE '\\'))"
        ));
    }
    let (msg_scope, thread_scope) = match partner {
        Some(p) => {
            let a = query.arg(p);
            (
                format!(
                    " AND EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.partner_id = {a})"
                ),
                format!(" AND t.partner_id = {a}"),
            )
        }
        None => (String::new(), String::new()),
    };
    let l = query.arg(limit);
    query.push_sql(&format!(
        "SELECT x.kind, x.id, x.title, x.at FROM (
            SELECT 'message' AS kind, m.id, m.title, m.created_at AS at FROM messages m WHERE {}{msg_scope}
            UNION ALL
            SELECT 'thread', t.id, t.subject, t.created_at FROM threads t WHERE {}{thread_scope}
         ) x ORDER BY x.at DESC LIMIT {l}",
        msg_conds.join(" AND "),
        thread_conds.join(" AND "),
    ));
    db.fetch_all(query).await
}
