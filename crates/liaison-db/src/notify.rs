//! Notifications (issue 9): one row per person told, written in the transaction of the change
//! that causes it; the e-mail goes through a `notify` job queued in that same transaction
//! (transactional outbox) at the time the caller chose (working hours unless urgent).

use crate::{Db, FromDbRow, Q, Result, RowExt, Tx, q};
use chrono::{DateTime, Utc};
use liaison_core::job::JobKind;
use liaison_core::notify::NotifyKind;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// One person to tell.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub user_id: Uuid,
    pub kind: NotifyKind,
    /// Values for the title's placeholders (`{title}`, `{partner}`, …).
    pub args: serde_json::Value,
    /// Where it leads, a path on this site (`/console/requests/…`).
    pub link: String,
    pub urgent: bool,
    /// When the e-mail may go (working hours unless urgent); `None`: no e-mail.
    pub email_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: NotifyKind,
    pub args: serde_json::Value,
    pub link: String,
    pub urgent: bool,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl FromDbRow for Notification {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        let kind =
            NotifyKind::parse(&r.text("kind")?).map_err(|e| sqlx::Error::Decode(e.into()))?;
        Ok(Self {
            id: r.uuid("id")?,
            user_id: r.uuid("user_id")?,
            kind,
            args: serde_json::from_str(&r.text("args")?)
                .map_err(|e| sqlx::Error::Decode(e.into()))?,
            link: r.text("link")?,
            urgent: r.bool("urgent")?,
            created_at: r.time("created_at")?,
            read_at: r.opt_time("read_at")?,
        })
    }
}

const COLUMNS: &str = "id, user_id, kind, args, link, urgent, created_at, read_at";

/// Writes the notifications and queues an e-mail for each whose person has not turned e-mail
/// off for that kind. Inside the caller's transaction.
pub async fn insert(tx: &mut Tx, now: DateTime<Utc>, items: &[NewNotification]) -> Result<()> {
    insert_timed(tx, &items.iter().map(|n| (now, n)).collect::<Vec<_>>()).await
}

/// The same for notifications each made at its own time (changes written together), in three
/// statements whatever their number: the rows, who reads no e-mail of its kind, the jobs.
pub async fn insert_timed(tx: &mut Tx, items: &[(DateTime<Utc>, &NewNotification)]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = items.iter().map(|_| Uuid::now_v7()).collect();
    for (chunk, ids) in items.chunks(500).zip(ids.chunks(500)) {
        let mut query = Q::dynamic(format!(
            "INSERT INTO notifications (id, user_id, kind, args, link, urgent, created_at) VALUES {}",
            crate::query::values_sql(7, chunk.len())
        ));
        for ((now, n), id) in chunk.iter().zip(ids) {
            query = query
                .bind(*id)
                .bind(n.user_id)
                .bind(n.kind.as_str())
                .bind(n.args.to_string())
                .bind(n.link.as_str())
                .bind(n.urgent)
                .bind(*now);
        }
        tx.execute(query).await?;
    }
    let mailed: Vec<(Uuid, DateTime<Utc>, DateTime<Utc>, &NewNotification)> = items
        .iter()
        .zip(&ids)
        .filter_map(|((now, n), id)| n.email_at.map(|at| (*id, *now, at, *n)))
        .collect();
    if mailed.is_empty() {
        return Ok(());
    }
    // Who reads no e-mail of the kind: a preference turned off, or an API token's service
    // user (its address is `.invalid`).
    let mut pairs: Vec<(Uuid, &str)> = mailed
        .iter()
        .map(|m| (m.3.user_id, m.3.kind.as_str()))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut off: std::collections::HashSet<(Uuid, String)> = std::collections::HashSet::new();
    for chunk in pairs.chunks(400) {
        let mut query = Q::dynamic(format!(
            "SELECT v.column1 AS user_id, v.column2 AS kind FROM (VALUES {}) v
              WHERE EXISTS (SELECT 1 FROM notification_prefs p
                             WHERE p.user_id = v.column1 AND p.kind = v.column2 AND NOT p.email)
                 OR EXISTS (SELECT 1 FROM api_tokens a WHERE a.user_id = v.column1)",
            crate::query::values_sql(2, chunk.len())
        ));
        for (u, k) in chunk {
            query = query.bind(*u).bind(*k);
        }
        struct Off(Uuid, String);
        from_row!(Off(user_id: uuid, kind: text));
        for Off(u, k) in tx.fetch_all::<Off>(query).await? {
            off.insert((u, k));
        }
    }
    let jobs: Vec<crate::job::NewJob> = mailed
        .iter()
        .filter(|m| !off.contains(&(m.3.user_id, m.3.kind.as_str().to_string())))
        .map(|(id, now, at, _)| crate::job::NewJob {
            id: Uuid::now_v7(),
            now: *now,
            run_at: *at,
            kind: JobKind::Notify.as_str(),
            payload: json!({"notification_id": id}),
        })
        .collect();
    crate::job::insert_many(tx, &jobs).await?;
    tx.notify_work().await?;
    Ok(())
}

/// The person's notifications, newest first, optionally only the unread.
pub async fn list(
    db: &Db,
    user: Uuid,
    unread_only: bool,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Notification>> {
    let mut query = Q::dynamic(format!(
        "SELECT {COLUMNS} FROM notifications WHERE user_id = $1"
    ))
    .bind(user);
    if unread_only {
        query.push_sql(" AND read_at IS NULL");
    }
    if let Some(b) = before {
        let a = query.arg(b);
        query.push_sql(&format!(" AND id < {a}"));
    }
    let l = query.arg(limit);
    query.push_sql(&format!(" ORDER BY id DESC LIMIT {l}"));
    db.fetch_all(query).await
}

/// The bell's number.
pub async fn unread_count(db: &Db, user: Uuid) -> Result<i64> {
    db.fetch_one(
        q("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL").bind(user),
    )
    .await
}

/// One notification of this person (another's is not found).
pub async fn find(db: &Db, user: Uuid, id: Uuid) -> Result<Notification> {
    db.fetch_optional(
        Q::dynamic(format!(
            "SELECT {COLUMNS} FROM notifications WHERE id = $1 AND user_id = $2"
        ))
        .bind(id)
        .bind(user),
    )
    .await?
    .ok_or(crate::DbError::NotFound)
}

/// A notification by id, for the worker's e-mail.
pub async fn find_any(db: &Db, id: Uuid) -> Result<Option<Notification>> {
    db.fetch_optional(
        Q::dynamic(format!("SELECT {COLUMNS} FROM notifications WHERE id = $1")).bind(id),
    )
    .await
}

/// Marks one (or, with `None`, every) unread notification of the person read.
pub async fn mark_read(db: &Db, user: Uuid, id: Option<Uuid>) -> Result<u64> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let n = match id {
        Some(id) => {
            tx.execute(
                q("UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL")
                    .bind(now)
                    .bind(id)
                    .bind(user),
            )
            .await?
        }
        None => {
            tx.execute(
                q("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
                    .bind(now)
                    .bind(user),
            )
            .await?
        }
    };
    tx.commit().await?;
    Ok(n)
}

/// Marks read the person's unread notifications that lead to `link` (opening the page they
/// point at reads them).
pub async fn mark_read_by_link(db: &Db, user: Uuid, link: &str) -> Result<u64> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND link = $3 AND read_at IS NULL")
                .bind(now)
                .bind(user)
                .bind(link),
        )
        .await?;
    tx.commit().await?;
    Ok(n)
}

/// The kinds the person turned e-mail off for.
pub async fn email_off(db: &Db, user: Uuid) -> Result<Vec<NotifyKind>> {
    let rows: Vec<KindRow> = db
        .fetch_all(
            q("SELECT kind FROM notification_prefs WHERE user_id = $1 AND NOT email").bind(user),
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| NotifyKind::parse(&r.0).ok())
        .collect())
}

struct KindRow(String);
impl FromDbRow for KindRow {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self(r.text("kind")?))
    }
}

/// Sets, per kind, whether it also comes by e-mail.
pub async fn set_email(db: &Db, user: Uuid, choices: &[(NotifyKind, bool)]) -> Result<()> {
    let mut tx = db.begin().await?;
    for (kind, email) in choices {
        tx.execute(
            q("DELETE FROM notification_prefs WHERE user_id = $1 AND kind = $2")
                .bind(user)
                .bind(kind.as_str()),
        )
        .await?;
        if *email != NotifyKind::EMAIL_BY_DEFAULT {
            tx.execute(
                q("INSERT INTO notification_prefs (user_id, kind, email) VALUES ($1, $2, $3)")
                    .bind(user)
                    .bind(kind.as_str())
                    .bind(*email),
            )
            .await?;
        }
    }
    tx.commit().await
}

/// A decided or withdrawn step no longer waits for anyone: its "waiting for your review"
/// notifications are settled for every reviewer, in the decision's transaction.
pub async fn settle_reviews(tx: &mut Tx, now: DateTime<Utc>, request: Uuid) -> Result<()> {
    tx.execute(
        q("UPDATE notifications SET read_at = $1
            WHERE kind = 'review_waiting' AND link = $2 AND read_at IS NULL")
        .bind(now)
        .bind(format!("/console/requests/{request}")),
    )
    .await?;
    Ok(())
}
