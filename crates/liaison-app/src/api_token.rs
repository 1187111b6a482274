//! API tokens for partners' systems (SPEC H2, policy §7.2.1): a partner admin, channel
//! management or an admin creates a token for a partner's ERP with scopes and an expiry; it is
//! shown once and stored hashed; listing shows everything but the token; revoking ends it at
//! once. Another partner's tokens are not found (404), a role without the right is refused
//! (403). The token's calls are checked, limited and audited by the web layer's token guard
//! ([`authenticate`], [`record_call`]); what each scope allows is `liaison_core::api_token`.

use crate::{Error, Result};
use chrono::{DateTime, Utc};
use liaison_core::api_token::{self as rules, TokenScopes, TokenState};
use liaison_core::validate::{Msg, required_text};
use liaison_core::{Actor, FieldErrors, Object, Permission, authorize};
use liaison_db::Db;
use liaison_db::api_token::{self as repo, ApiToken, Caller, NewApiToken};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A token as typed (`POST /api/v1/api-tokens`, the console's and the portal's forms).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenInput {
    /// The partner it acts for; a partner admin may leave it out (its own).
    pub partner_id: Option<Uuid>,
    pub name: Option<String>,
    pub scopes: Option<Vec<String>>,
    /// RFC 3339; a year from now when absent.
    pub expires_at: Option<String>,
}

/// A token as answered: never the token, with its state derived now.
#[derive(Debug, Clone, Serialize)]
pub struct TokenView {
    #[serde(flatten)]
    pub token: ApiToken,
    pub state: TokenState,
}

/// A new token: the only time the token itself is shown.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub view: TokenView,
    pub token: String,
}

fn view(db: &Db, token: ApiToken) -> TokenView {
    let state = TokenState::of(db.now(), token.expires_at, token.revoked_at);
    TokenView { token, state }
}

/// The partner a caller means: the one named, else a partner user's own.
fn partner_meant(actor: &Actor, named: Option<Uuid>) -> Option<Uuid> {
    named.or_else(|| actor.scope().partner())
}

/// Creates a token for a partner (SPEC H2); the token is in the answer and nowhere else.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create(db: &Db, actor: &Actor, input: &TokenInput) -> Result<CreatedToken> {
    authorize(actor, Permission::ManageApiTokens, &Object::default())?;
    let Some(partner) = partner_meant(actor, input.partner_id) else {
        return Err(Error::invalid("partner_id", Msg::new("validate.required")));
    };
    authorize(
        actor,
        Permission::ManageApiTokens,
        &Object::partner(partner),
    )?;
    // A partner that does not exist is not found, like another partner's.
    liaison_db::partner::find_partner(db, actor.scope(), partner).await?;
    let mut e = FieldErrors::new();
    let name = e.take(
        "name",
        required_text(input.name.as_deref().unwrap_or(""), rules::MAX_NAME),
    );
    let scopes = match &input.scopes {
        None => {
            e.add("scopes", Msg::new("api_token.scopes_required"));
            None
        }
        Some(list) => e.take("scopes", TokenScopes::parse(list)),
    };
    let given = match input
        .expires_at
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(None),
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| Msg::new("api_token.expiry_format")),
    };
    let expires_at = e
        .take("expires_at", given)
        .and_then(|g| e.take("expires_at", rules::expiry(db.now(), g)));
    let (Some(name), Some(scopes), Some(expires_at)) = (name, scopes, expires_at) else {
        return Err(Error::Invalid(e));
    };
    let raw = format!("{}{}", rules::PREFIX, liaison_db::random_token()?);
    let token = repo::insert_token(
        db,
        actor.user_id,
        &NewApiToken {
            partner_id: partner,
            name,
            scopes,
            expires_at,
        },
        &raw,
    )
    .await?;
    tracing::info!(token = %token.id, partner = %partner, "api token created");
    Ok(CreatedToken {
        view: view(db, token),
        token: raw,
    })
}

/// Tokens, newest first: a partner admin its own partner's; channel management and admins
/// one partner's (`partner`) or every partner's.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(
    db: &Db,
    actor: &Actor,
    partner: Option<Uuid>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<TokenView>> {
    authorize(actor, Permission::ManageApiTokens, &Object::default())?;
    let partner = partner_meant(actor, partner);
    if let Some(p) = partner {
        authorize(actor, Permission::ManageApiTokens, &Object::partner(p))?;
    } else if actor.is_partner() {
        // A partner user without its partner sees nothing.
        return Err(Error::NotFound);
    }
    Ok(repo::list_tokens(db, partner, before, limit)
        .await?
        .into_iter()
        .map(|t| view(db, t))
        .collect())
}

/// One token; another partner's is not found.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, token = %id))]
pub async fn show(db: &Db, actor: &Actor, id: Uuid) -> Result<TokenView> {
    authorize(actor, Permission::ManageApiTokens, &Object::default())?;
    let t = repo::find_token(db, id).await?;
    authorize(
        actor,
        Permission::ManageApiTokens,
        &Object::partner(t.partner_id),
    )?;
    Ok(view(db, t))
}

/// Revokes a token: its next call is 401. Revoking it again changes nothing.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, token = %id))]
pub async fn revoke(db: &Db, actor: &Actor, id: Uuid) -> Result<TokenView> {
    let t = show(db, actor, id).await?;
    repo::revoke_token(db, actor.user_id, &t.token).await?;
    show(db, actor, id).await
}

/// The live token a caller presents, if any (not revoked, not expired); `None` also for
/// anything that is not an API token at all.
pub async fn authenticate(db: &Db, credential: &str) -> Result<Option<Caller>> {
    Ok(identify(db, credential)
        .await?
        .filter(|c| c.is_live(db.now())))
}

/// The token a caller presents, live or not (its refused attempts are audited too); `None`
/// for an unknown token or anything that is not an API token.
pub async fn identify(db: &Db, credential: &str) -> Result<Option<Caller>> {
    if !rules::is_api_token(credential) {
        return Ok(None);
    }
    Ok(repo::find_by_token(db, credential).await?)
}

/// One call made with a token, as the audit chain keeps it (§7.2.1): method, path and the
/// status answered; `refused` counts the calls refused by the rate limit since the last
/// entry (the first refusal of a burst is an entry of its own). `live`: the token was valid,
/// so this is its last use (a revoked or expired token's attempt is recorded, not a use).
pub async fn record_call(
    db: &Db,
    token: &ApiToken,
    method: &str,
    path: &str,
    status: u16,
    refused: u64,
    live: bool,
) -> Result<()> {
    let mut detail = serde_json::json!({"method": method, "path": path, "status": status});
    if refused > 0 {
        detail["refused_before"] = serde_json::json!(refused);
    }
    Ok(repo::record_call(db, token, detail, live).await?)
}
