//! Account security's storage (policy §7.2.3, SPEC G8): the TOTP enrolment (secret sealed, the
//! last step used), recovery codes and known devices as keyed hashes, and the listing and
//! revocation of one's own sessions. Repository functions only: who may and the rules
//! (`liaison_core::totp`, `liaison_core::device`) are decided by `liaison_app::account`.

use crate::audit::Entry;
use crate::notify::NewNotification;
use crate::{Db, DbError, Result, q, sha256_hex};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// The column the TOTP secrets are sealed for (one associated data for the pending and the
/// confirmed secret, so confirming moves the value as it is).
const SECRET_COLUMN: &str = "user_totp:secret";

/// `n` random bytes from the operating system (TOTP secrets, recovery codes).
pub fn random_bytes(n: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| DbError::Config(format!("no randomness: {e}")))?;
    Ok(buf)
}

/// A keyed hash (HMAC with the data key's MAC key, else SHA-256): recovery codes and device
/// names are never stored as they are.
pub fn keyed_hash(db: &Db, purpose: &str, data: &str) -> String {
    match db.cipher() {
        Ok(c) => hex::encode(c.mac(purpose, data.as_bytes())),
        Err(_) => sha256_hex(format!("{purpose}\0{data}").as_bytes()),
    }
}

/// A user's second factor as stored, secrets opened.
#[derive(Debug, Clone)]
pub struct Totp {
    pub user_id: Uuid,
    /// The secret in force (base32), once an enrolment was confirmed.
    pub secret: Option<String>,
    /// An enrolment started and not confirmed yet (base32).
    pub pending: Option<String>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub last_step: Option<u64>,
}

impl Totp {
    /// A second factor is in force.
    pub fn enrolled(&self) -> bool {
        self.secret.is_some()
    }
}

struct TotpRow {
    user_id: Uuid,
    secret: Option<String>,
    pending_secret: Option<String>,
    confirmed_at: Option<DateTime<Utc>>,
    last_step: Option<i64>,
}

from_row!(TotpRow; user_id: uuid, secret: opt_text, pending_secret: opt_text,
    confirmed_at: opt_time, last_step: opt_i64);

/// The user's second factor, if they ever started an enrolment.
pub async fn find_totp(db: &Db, user: Uuid) -> Result<Option<Totp>> {
    let row: Option<TotpRow> = db
        .fetch_optional(
            q(
                "SELECT user_id, secret, pending_secret, confirmed_at, last_step
                 FROM user_totp WHERE user_id = $1",
            )
            .bind(user),
        )
        .await?;
    let Some(r) = row else { return Ok(None) };
    let open = |v: Option<String>| -> Result<Option<String>> {
        v.map(|s| db.open(SECRET_COLUMN, r.user_id, &s)).transpose()
    };
    Ok(Some(Totp {
        user_id: r.user_id,
        secret: open(r.secret.clone())?,
        pending: open(r.pending_secret.clone())?,
        confirmed_at: r.confirmed_at,
        last_step: r.last_step.and_then(|s| u64::try_from(s).ok()),
    }))
}

/// Whether the user has a second factor in force (one cheap query, no decryption).
pub async fn totp_enrolled(db: &Db, user: Uuid) -> Result<bool> {
    let n: i64 = db
        .fetch_one(
            q("SELECT COUNT(*) FROM user_totp WHERE user_id = $1 AND secret IS NOT NULL")
                .bind(user),
        )
        .await?;
    Ok(n > 0)
}

/// Starts (or starts again) an enrolment with `secret` (base32), sealed; a second factor
/// already in force stays in force until the new one is confirmed.
pub async fn start_totp(db: &Db, user: Uuid, secret: &str) -> Result<()> {
    let sealed = db.seal(SECRET_COLUMN, user, secret)?;
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(
        q(
            "INSERT INTO user_totp (user_id, pending_secret, created_at, updated_at)
           VALUES ($1, $2, $3, $3)
           ON CONFLICT (user_id) DO UPDATE SET pending_secret = excluded.pending_secret,
                                                updated_at = excluded.updated_at",
        )
        .bind(user)
        .bind(sealed)
        .bind(now),
    )
    .await?;
    // Never the secret itself in the audit detail.
    tx.commit_audited(
        now,
        Entry::by(user, "auth.totp_start", "user", user, json!({})),
    )
    .await
}

/// Puts the pending enrolment in force: `step` (the code that confirmed it) becomes the last
/// one used, and the recovery codes (their hashes) replace any earlier ones. A conflict when
/// there is no pending enrolment any more.
pub async fn confirm_totp(
    db: &Db,
    user: Uuid,
    step: u64,
    recovery_hashes: &[String],
) -> Result<()> {
    let now = db.now();
    let step = i64::try_from(step).map_err(|_| DbError::Config("time step out of range".into()))?;
    let mut tx = db.begin().await?;
    tx.execute_versioned(
        q("UPDATE user_totp SET secret = pending_secret, pending_secret = NULL, confirmed_at = $1,
                  last_step = $2, updated_at = $1
            WHERE user_id = $3 AND pending_secret IS NOT NULL")
        .bind(now)
        .bind(step)
        .bind(user),
        "the enrolment was confirmed or cancelled meanwhile",
    )
    .await?;
    tx.execute(q("DELETE FROM totp_recovery_codes WHERE user_id = $1").bind(user))
        .await?;
    for h in recovery_hashes {
        tx.execute(
            q(
                "INSERT INTO totp_recovery_codes (id, user_id, code_hash, created_at)
               VALUES ($1, $2, $3, $4)",
            )
            .bind(Uuid::now_v7())
            .bind(user)
            .bind(h.as_str())
            .bind(now),
        )
        .await?;
    }
    tx.commit_audited(
        now,
        Entry::by(
            user,
            "auth.totp_confirm",
            "user",
            user,
            json!({"recovery_codes": recovery_hashes.len()}),
        ),
    )
    .await
}

/// Removes the second factor and its recovery codes (`actor`: who did it).
pub async fn disable_totp(db: &Db, actor: Uuid, user: Uuid) -> Result<()> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(q("DELETE FROM totp_recovery_codes WHERE user_id = $1").bind(user))
        .await?;
    let n = tx
        .execute(q("DELETE FROM user_totp WHERE user_id = $1").bind(user))
        .await?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    tx.commit_audited(
        now,
        Entry::by(actor, "auth.totp_disable", "user", user, json!({})),
    )
    .await
}

/// Marks `step` used if it is newer than the last one used: `false` when it is not (a replay,
/// or the same code sent twice at once; only one of them wins).
pub async fn use_step(db: &Db, user: Uuid, step: u64) -> Result<bool> {
    let step = i64::try_from(step).map_err(|_| DbError::Config("time step out of range".into()))?;
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("UPDATE user_totp SET last_step = $1
                WHERE user_id = $2 AND secret IS NOT NULL AND (last_step IS NULL OR last_step < $1)")
            .bind(step)
            .bind(user),
        )
        .await?;
    tx.commit().await?;
    Ok(n == 1)
}

/// Uses the recovery code with this hash, once: `false` when there is none unused.
pub async fn use_recovery_code(db: &Db, user: Uuid, hash: &str) -> Result<bool> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("UPDATE totp_recovery_codes SET used_at = $1
                WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
            .bind(now)
            .bind(user)
            .bind(hash),
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    tx.commit_audited(
        now,
        Entry::by(user, "auth.recovery_code_used", "user", user, json!({})),
    )
    .await?;
    Ok(true)
}

/// Recovery codes not used yet.
pub async fn recovery_codes_left(db: &Db, user: Uuid) -> Result<i64> {
    db.fetch_one(
        q("SELECT COUNT(*) FROM totp_recovery_codes WHERE user_id = $1 AND used_at IS NULL")
            .bind(user),
    )
    .await
}

/// Where a session is opened from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The User-Agent as sent (cut to 300 characters).
    pub user_agent: Option<String>,
    /// The client's network address.
    pub address: Option<String>,
}

/// One of a user's live sessions.
#[derive(Debug, Clone, Serialize)]
pub struct SessionRow {
    pub id: Uuid,
    /// `browser` or `api`.
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub address: Option<String>,
}

from_row!(SessionRow; id: uuid, kind: text, created_at: time, last_seen_at: opt_time,
    expires_at: time, user_agent: opt_text, address: opt_text);

/// The user's live sessions (not revoked, not expired), the most recently used first.
pub async fn list_sessions(db: &Db, user: Uuid) -> Result<Vec<SessionRow>> {
    let mut rows: Vec<SessionRow> = db
        .fetch_all(
            q(
                "SELECT id, kind, created_at, last_seen_at, expires_at, user_agent, address
                 FROM sessions
                WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
                ORDER BY created_at DESC
                LIMIT 500",
            )
            .bind(user)
            .bind(db.now()),
        )
        .await?;
    rows.sort_by_key(|r| std::cmp::Reverse(r.last_seen_at.unwrap_or(r.created_at)));
    Ok(rows)
}

/// The owner of a session, live or not (to decide who may revoke it).
pub async fn session_owner(db: &Db, session: Uuid) -> Result<Option<Uuid>> {
    struct Owner(Uuid);
    from_row!(Owner(user_id: uuid));
    Ok(db
        .fetch_optional::<Owner>(q("SELECT user_id FROM sessions WHERE id = $1").bind(session))
        .await?
        .map(|o| o.0))
}

/// Ends one live session of `user`; `NotFound` when it is not a live session of theirs.
pub async fn revoke_session(db: &Db, user: Uuid, session: Uuid) -> Result<()> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("UPDATE sessions SET revoked_at = $1
                WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL AND expires_at > $1")
            .bind(now)
            .bind(session)
            .bind(user),
        )
        .await?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    tx.commit_audited(
        now,
        Entry::by(user, "auth.revoke_session", "session", session, json!({})),
    )
    .await
}

/// Ends every live session of `user` but `keep`, in `tx`; how many ended.
async fn end_other_sessions(
    tx: &mut crate::Tx,
    now: DateTime<Utc>,
    user: Uuid,
    keep: Uuid,
) -> Result<u64> {
    tx.execute(
        q("UPDATE sessions SET revoked_at = $1
            WHERE user_id = $2 AND id <> $3 AND revoked_at IS NULL AND expires_at > $1")
        .bind(now)
        .bind(user)
        .bind(keep),
    )
    .await
}

/// Ends every live session of `user` but `keep` ("log out everywhere else"); how many ended.
pub async fn revoke_other_sessions(db: &Db, user: Uuid, keep: Uuid) -> Result<u64> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let n = end_other_sessions(&mut tx, now, user, keep).await?;
    tx.commit_audited(
        now,
        Entry::by(
            user,
            "auth.revoke_sessions",
            "user",
            user,
            json!({"revoked": n, "kept": keep}),
        ),
    )
    .await?;
    Ok(n)
}

/// Sets `user`'s new password (its hash) and ends every other live session of theirs in the same
/// transaction (§7.2.3: whoever knew the old password is logged out); how many ended.
pub async fn change_password(db: &Db, user: Uuid, hash: &str, keep: Uuid) -> Result<u64> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_one(
        q("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now)
            .bind(user),
    )
    .await?;
    let n = end_other_sessions(&mut tx, now, user, keep).await?;
    tx.commit_audited(
        now,
        Entry::by(
            user,
            "account.password_changed",
            "user",
            user,
            json!({"sessions_ended": n}),
        ),
    )
    .await?;
    Ok(n)
}

/// Notes that a session was used now, if it was not noted in the last `every` (so a busy
/// session costs one write every few minutes, not one per request).
pub async fn touch_session(db: &Db, session: Uuid, every: chrono::Duration) -> Result<()> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(
        q("UPDATE sessions SET last_seen_at = $1
            WHERE id = $2 AND (last_seen_at IS NULL OR last_seen_at < $3)")
        .bind(now)
        .bind(session)
        .bind(now - every),
    )
    .await?;
    tx.commit().await
}

/// Records a login from the device with this hash. When the device is new to the user and the
/// user had logged in from another device before, `alert` is written in the same transaction
/// (the bell and its e-mail, §7.2.3). Answers whether the alert was written.
pub async fn remember_device(
    db: &Db,
    user: Uuid,
    device_hash: &str,
    alert: NewNotification,
) -> Result<bool> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let seen = tx
        .execute(
            q("UPDATE user_devices SET last_seen_at = $1 WHERE user_id = $2 AND device_hash = $3")
                .bind(now)
                .bind(user)
                .bind(device_hash),
        )
        .await?;
    if seen > 0 {
        tx.commit().await?;
        return Ok(false);
    }
    let others: i64 = tx
        .fetch_one(q("SELECT COUNT(*) FROM user_devices WHERE user_id = $1").bind(user))
        .await?;
    tx.execute(
        q(
            "INSERT INTO user_devices (user_id, device_hash, first_seen_at, last_seen_at)
           VALUES ($1, $2, $3, $3)
           ON CONFLICT (user_id, device_hash) DO NOTHING",
        )
        .bind(user)
        .bind(device_hash)
        .bind(now),
    )
    .await?;
    // A person's very first device is not news to them.
    let alert_now = others > 0;
    if alert_now {
        crate::notify::insert(&mut tx, now, std::slice::from_ref(&alert)).await?;
    }
    tx.commit().await?;
    Ok(alert_now)
}

/// The devices a user has logged in from (how many; they are kept only as hashes).
pub async fn device_count(db: &Db, user: Uuid) -> Result<i64> {
    db.fetch_one(q("SELECT COUNT(*) FROM user_devices WHERE user_id = $1").bind(user))
        .await
}
