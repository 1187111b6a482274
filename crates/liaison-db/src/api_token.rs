//! API tokens for partners' systems (SPEC H2): one row per token and, beside it, the service
//! user it acts as (a `partner_user` of its partner, without a password), so that what a token
//! does is done by a user like any other: every foreign key, scope check and audit entry works
//! unchanged. Only the SHA-256 of a token is stored, like a session's. Who may create, list and
//! revoke is decided by `liaison_app::api_token`; scopes and lifetimes by
//! `liaison_core::api_token`.

use crate::audit::Entry;
use crate::query::parsed;
use crate::user::User;
use crate::{Db, Q, Result, q, sha256_hex};
use chrono::{DateTime, Utc};
use liaison_core::api_token::TokenScopes;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// A token as listed: never the token itself.
#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub partner_code: String,
    pub partner_name: String,
    /// The service user the token acts as (the audit log names it).
    pub user_id: Uuid,
    pub name: String,
    /// The token's first characters (`lpt_Ab12Cd…`), to tell tokens apart.
    pub hint: String,
    pub scopes: TokenScopes,
    pub created_by: Uuid,
    pub created_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<Uuid>,
}

from_row!(ApiToken; id: uuid, partner_id: uuid, partner_code: text, partner_name: text,
    user_id: uuid, name: text, hint: text,
    scopes: text => parsed(TokenScopes::parse_list),
    created_by: uuid, created_by_name: opt_text, created_at: time, expires_at: time,
    last_used_at: opt_time, revoked_at: opt_time, revoked_by: opt_uuid);

const SELECT: &str = "SELECT k.id, k.partner_id, p.code AS partner_code, p.name AS partner_name,
        k.user_id, k.name, k.hint, k.scopes, k.created_by, c.name AS created_by_name,
        k.created_at, k.expires_at, k.last_used_at, k.revoked_at, k.revoked_by
   FROM api_tokens k
   JOIN partners p ON p.id = k.partner_id
   LEFT JOIN users c ON c.id = k.created_by";

/// A token to create, checked by the service layer.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub partner_id: Uuid,
    pub name: String,
    pub scopes: TokenScopes,
    pub expires_at: DateTime<Utc>,
}

/// Stores a token for `raw` (the caller made it and shows it once) and its service user, in
/// one transaction with its audit entry. The service user has no password (it cannot log in)
/// and an address that can receive nothing (`.invalid`, RFC 2606).
pub async fn insert_token(db: &Db, actor: Uuid, new: &NewApiToken, raw: &str) -> Result<ApiToken> {
    let id = Uuid::now_v7();
    let user_id = Uuid::now_v7();
    let now = db.now();
    let hint: String = raw
        .chars()
        .take(liaison_core::api_token::PREFIX.len() + 6)
        .collect();
    let mut tx = db.begin().await?;
    tx.execute(
        q("INSERT INTO users (id, email, name, password_hash, roles, department_id, partner_id, lang, active, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, NULL, $6, NULL, $7, $8, $8)")
        .bind(user_id)
        .bind(format!("api-token-{}@api-tokens.invalid", id.simple()))
        .bind(format!("{} (API)", new.name))
        // Not a password hash: no password ever verifies against it.
        .bind("!api-token")
        .bind(liaison_core::Role::PartnerUser.as_str())
        .bind(new.partner_id)
        .bind(true)
        .bind(now),
    )
    .await?;
    tx.execute(
        q("INSERT INTO api_tokens (id, partner_id, user_id, name, hint, token_hash, scopes, created_by, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(id)
        .bind(new.partner_id)
        .bind(user_id)
        .bind(new.name.as_str())
        .bind(hint)
        .bind(sha256_hex(raw.as_bytes()))
        .bind(new.scopes.to_list())
        .bind(actor)
        .bind(now)
        .bind(new.expires_at),
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            "api_token.create",
            "api_token",
            id,
            json!({"name": new.name, "scopes": new.scopes.to_list(),
                   "expires_at": new.expires_at, "user_id": user_id}),
        )
        .of_partner(new.partner_id),
    )
    .await?;
    find_token(db, id).await
}

pub async fn find_token(db: &Db, id: Uuid) -> Result<ApiToken> {
    db.fetch_one(Q::dynamic(format!("{SELECT} WHERE k.id = $1")).bind(id))
        .await
}

/// The tokens of one partner, or of every partner; newest first, a page before `before`.
pub async fn list_tokens(
    db: &Db,
    partner: Option<Uuid>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ApiToken>> {
    let mut query = Q::dynamic(format!("{SELECT} WHERE 1 = 1"));
    query.and_some("k.partner_id =", partner);
    query.and_some("k.id <", before);
    query.order_limit("k.id DESC", limit);
    db.fetch_all(query).await
}

/// Revokes a token: from now on it answers 401 and its service user is inactive. Revoking a
/// revoked token changes nothing (and is not an error).
pub async fn revoke_token(db: &Db, actor: Uuid, token: &ApiToken) -> Result<()> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL")
                .bind(now)
                .bind(actor)
                .bind(token.id),
        )
        .await?;
    if n == 0 {
        return Ok(());
    }
    tx.execute(
        q("UPDATE users SET active = $1, updated_at = $2 WHERE id = $3")
            .bind(false)
            .bind(now)
            .bind(token.user_id),
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            "api_token.revoke",
            "api_token",
            token.id,
            json!({"name": token.name}),
        )
        .of_partner(token.partner_id),
    )
    .await
}

/// A token and the service user it acts as.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token: ApiToken,
    pub user: User,
}

impl Caller {
    /// Not revoked, not expired at `now`, its user active: it may act.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.token.revoked_at.is_none() && self.token.expires_at > now && self.user.active
    }
}

/// The token `raw` is, live or not (a revoked token's attempts are recorded too).
pub async fn find_by_token(db: &Db, raw: &str) -> Result<Option<Caller>> {
    let token: Option<ApiToken> = db
        .fetch_optional(
            Q::dynamic(format!("{SELECT} WHERE k.token_hash = $1"))
                .bind(sha256_hex(raw.as_bytes())),
        )
        .await?;
    let Some(token) = token else {
        return Ok(None);
    };
    Ok(crate::user::find_user(db, token.user_id)
        .await?
        .map(|user| Caller { token, user }))
}

/// Records one call made with a token (§7.2.1: every call is in the audit chain, who = the
/// token's service user, what = the token) and, when it was `used` (live), that it was last
/// used now, in one transaction. The
/// entry is not filed under the partner: a busy system's calls would bury the partner's
/// history; they are found by the token (`entity_id`) and its service user.
pub async fn record_call(
    db: &Db,
    token: &ApiToken,
    detail: serde_json::Value,
    used: bool,
) -> Result<()> {
    let now = db.now();
    let mut tx = db.begin().await?;
    if used {
        tx.execute(
            q("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(token.id),
        )
        .await?;
    }
    tx.commit_audited(
        now,
        Entry::new(
            Some(token.user_id),
            "api_token.call",
            "api_token",
            Some(token.id),
            detail,
        ),
    )
    .await
}
