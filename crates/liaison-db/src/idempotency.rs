//! Idempotency keys: a mutating API call sent twice with the same `Idempotency-Key` runs once;
//! the replay gets the first response. A key is claimed before the call runs, so two copies
//! racing each other cannot both run.

use crate::{Db, Result, q};
use chrono::Duration;
use uuid::Uuid;

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new and now ours: run the request, then `complete` or `release`.
    Fresh,
    /// The same request ran before: here is its response.
    Replay {
        status: u16,
        content_type: Option<String>,
        body: String,
    },
    /// The key was used for a different request.
    Mismatch,
    /// The first request with this key has not finished.
    InProgress,
}

struct Stored {
    request_hash: String,
    status: i64,
    content_type: Option<String>,
    body: Option<String>,
}

from_row!(Stored; request_hash: text, status: i64, content_type: opt_text, body: opt_text);

/// Keys older than this are forgotten.
pub fn retention() -> Duration {
    Duration::hours(24)
}

/// What a claim would find now, without claiming: `None` when the key is free (never used, or
/// released after a failure). For a caller waiting on a first request still running.
pub async fn peek(db: &Db, user: Uuid, key: &str, request_hash: &str) -> Result<Option<Claim>> {
    let found: Option<Stored> = db
        .fetch_optional(
            q("SELECT request_hash, status, content_type, body FROM idempotency_keys WHERE user_id = $1 AND key = $2")
                .bind(user)
                .bind(key),
        )
        .await?;
    Ok(found.map(|s| s.into_claim(request_hash)))
}

impl Stored {
    fn into_claim(self, request_hash: &str) -> Claim {
        if self.request_hash != request_hash {
            Claim::Mismatch
        } else if self.status == 0 {
            Claim::InProgress
        } else {
            Claim::Replay {
                status: u16::try_from(self.status).unwrap_or(200),
                content_type: self.content_type,
                body: self.body.unwrap_or_default(),
            }
        }
    }
}

pub async fn claim(db: &Db, user: Uuid, key: &str, request_hash: &str) -> Result<Claim> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(q("DELETE FROM idempotency_keys WHERE created_at < $1").bind(now - retention()))
        .await?;
    let inserted = tx
        .execute(
            q(
                "INSERT INTO idempotency_keys (user_id, key, request_hash, status, created_at)
               VALUES ($1, $2, $3, 0, $4) ON CONFLICT (user_id, key) DO NOTHING",
            )
            .bind(user)
            .bind(key)
            .bind(request_hash)
            .bind(now),
        )
        .await?;
    let claim = if inserted == 1 {
        Claim::Fresh
    } else {
        let s: Stored = tx
            .fetch_one(
                q("SELECT request_hash, status, content_type, body FROM idempotency_keys WHERE user_id = $1 AND key = $2")
                    .bind(user)
                    .bind(key),
            )
            .await?;
        s.into_claim(request_hash)
    };
    tx.commit().await?;
    Ok(claim)
}

pub async fn complete(
    db: &Db,
    user: Uuid,
    key: &str,
    status: u16,
    content_type: Option<&str>,
    body: &str,
) -> Result<()> {
    db.execute(
        q("UPDATE idempotency_keys SET status = $1, content_type = $2, body = $3 WHERE user_id = $4 AND key = $5")
            .bind(i64::from(status))
            .bind(content_type)
            .bind(body)
            .bind(user)
            .bind(key),
    )
    .await?;
    Ok(())
}

/// Forgets a claim whose request failed on our side, so that a retry runs again.
pub async fn release(db: &Db, user: Uuid, key: &str) -> Result<()> {
    db.execute(
        q("DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2")
            .bind(user)
            .bind(key),
    )
    .await?;
    Ok(())
}
