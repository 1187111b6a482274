//! API tokens for partners' own systems (SPEC H2, policy §7.2.1): what a token may call and for
//! how long. A token acts for one partner through a service user of its own (storage:
//! `liaison_db::api_token`); this module decides its scopes, which operation needs which scope
//! ([`scope_for`]), how long it may live and its state. Who may create one is
//! `Permission::ManageApiTokens` in `policy.rs`; the check per call is the web layer's token
//! guard, which asks [`scope_for`].

use crate::validate::Msg;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Every API token starts with this, so a caller's credential is told from a session token by
/// looking at it (and a leaked one is recognisable in a log or a repository).
pub const PREFIX: &str = "lpt_";

/// A token's lifetime when none is given.
pub const DEFAULT_DAYS: i64 = 365;
/// The longest lifetime a token may be given: a partner's system is re-keyed at least this often.
pub const MAX_DAYS: i64 = 730;
/// Calls a token may make in any sliding minute unless the server is told otherwise.
pub const PER_MINUTE: u32 = 600;
/// The longest token name.
pub const MAX_NAME: usize = 80;

/// Whether `credential` is an API token (by its prefix), not a session token.
pub fn is_api_token(credential: &str) -> bool {
    credential.starts_with(PREFIX)
}

/// What a token may do (SPEC H2): read the inbox, confirm messages, submit business data,
/// raise and follow problem tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TokenScope {
    /// The partner inbox and its messages and attachments (§4.3.2).
    #[serde(rename = "inbox:read")]
    InboxRead,
    /// Confirming a message (§4.3.2, §4.4.1).
    #[serde(rename = "inbox:ack")]
    InboxAck,
    /// Submitting business data and reading what a submission needs (§3.3.1).
    #[serde(rename = "data:submit")]
    DataSubmit,
    /// Problem tickets (§3.4.1).
    #[serde(rename = "tickets")]
    Tickets,
}

impl TokenScope {
    pub const ALL: &'static [TokenScope] = &[
        TokenScope::InboxRead,
        TokenScope::InboxAck,
        TokenScope::DataSubmit,
        TokenScope::Tickets,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::InboxRead => "inbox:read",
            TokenScope::InboxAck => "inbox:ack",
            TokenScope::DataSubmit => "data:submit",
            TokenScope::Tickets => "tickets",
        }
    }

    /// Trimmed and case-insensitive; a keyed message listing the scopes otherwise.
    pub fn parse(s: &str) -> Result<Self, Msg> {
        let t = s.trim().to_lowercase();
        TokenScope::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == t)
            .ok_or_else(|| {
                let all: Vec<&str> = TokenScope::ALL.iter().map(|k| k.as_str()).collect();
                Msg::one_of(s, &all)
            })
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token's non-empty set of scopes, stored as a comma-separated list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenScopes(Vec<TokenScope>);

impl TokenScopes {
    pub fn new(mut scopes: Vec<TokenScope>) -> Result<Self, Msg> {
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err(Msg::new("api_token.scopes_required"));
        }
        Ok(Self(scopes))
    }

    /// The scopes as typed (`["inbox:read", "tickets"]`); each also may be `a,b`.
    pub fn parse<S: AsRef<str>>(typed: &[S]) -> Result<Self, Msg> {
        let scopes = typed
            .iter()
            .flat_map(|s| s.as_ref().split(','))
            .filter(|s| !s.trim().is_empty())
            .map(TokenScope::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(scopes)
    }

    /// As stored: `inbox:read,tickets`.
    pub fn parse_list(stored: &str) -> Result<Self, Msg> {
        Self::parse(&[stored])
    }

    pub fn has(&self, scope: TokenScope) -> bool {
        self.0.contains(&scope)
    }

    pub fn iter(&self) -> impl Iterator<Item = TokenScope> + '_ {
        self.0.iter().copied()
    }

    pub fn to_list(&self) -> String {
        self.0
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The scope an API operation needs when a token calls it, by its method (lower case) and its
/// path as the endpoint table writes it; `None`: no token may call it (it is 403 for a token
/// whatever its scopes: a token never manages users, tokens, partners or requests).
///
/// - reading the inbox, a message and its attachments → `inbox:read`;
/// - confirming a message → `inbox:ack` (reading does not confirm, §4.3.2);
/// - submitting figures, and the data sets, requirements, obligations and submissions a
///   submitting system reads → `data:submit`;
/// - everything under `/api/v1/tickets` → `tickets` (what a partner may not do there, the
///   service layer refuses as for any partner user).
pub fn scope_for(method: &str, path: &str) -> Option<TokenScope> {
    use TokenScope::*;
    match (method, path) {
        (
            "get",
            "/api/v1/inbox"
            | "/api/v1/inbox/{message_id}"
            | "/api/v1/inbox/{message_id}/attachments"
            | "/api/v1/inbox/{message_id}/attachments/{attachment_id}",
        ) => Some(InboxRead),
        ("post", "/api/v1/inbox/{message_id}/ack") => Some(InboxAck),
        ("post", "/api/v1/submissions")
        | (
            "get",
            "/api/v1/submissions"
            | "/api/v1/submissions/{id}"
            | "/api/v1/submissions/{id}/errors"
            | "/api/v1/submissions/{id}/rows"
            | "/api/v1/datasets"
            | "/api/v1/datasets/{id}"
            | "/api/v1/datasets/{id}/template"
            | "/api/v1/data-requirements"
            | "/api/v1/data-obligations",
        ) => Some(DataSubmit),
        (_, p) if p == "/api/v1/tickets" || p.starts_with("/api/v1/tickets/") => Some(Tickets),
        _ => None,
    }
}

/// A token's lifetime (§7.2.1: access ends): `expires_at` as given, else [`DEFAULT_DAYS`] from
/// `now`; it must lie in the future and at most [`MAX_DAYS`] ahead.
pub fn expiry(now: DateTime<Utc>, given: Option<DateTime<Utc>>) -> Result<DateTime<Utc>, Msg> {
    let at = given.unwrap_or(now + Duration::days(DEFAULT_DAYS));
    if at <= now {
        return Err(Msg::new("api_token.expiry_past"));
    }
    if at > now + Duration::days(MAX_DAYS) {
        return Err(Msg::new("api_token.expiry_too_far").arg("days", MAX_DAYS));
    }
    Ok(at)
}

/// Where a token stands: derived when read, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    Active,
    Expired,
    Revoked,
}

impl TokenState {
    /// Revoked wins over expired: a revocation is a decision someone made.
    pub fn of(
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        revoked_at: Option<DateTime<Utc>>,
    ) -> Self {
        if revoked_at.is_some() {
            TokenState::Revoked
        } else if expires_at <= now {
            TokenState::Expired
        } else {
            TokenState::Active
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TokenState::Active => "active",
            TokenState::Expired => "expired",
            TokenState::Revoked => "revoked",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_dedup_and_round_trip() {
        let s = TokenScopes::parse(&["tickets", "inbox:read", " INBOX:READ "]).expect("valid");
        assert_eq!(s.to_list(), "inbox:read,tickets");
        assert_eq!(TokenScopes::parse_list(&s.to_list()), Ok(s.clone()));
        assert!(s.has(TokenScope::InboxRead));
        assert!(!s.has(TokenScope::InboxAck));
        assert!(TokenScopes::parse::<&str>(&[]).is_err());
        assert!(TokenScopes::parse(&["inbox:write"]).is_err());
        assert_eq!(
            serde_json::to_value(&s).expect("json"),
            serde_json::json!(["inbox:read", "tickets"])
        );
    }

    /// SPEC H2: reading the inbox is not confirming it; a read-only token cannot acknowledge.
    #[test]
    fn reading_and_acknowledging_need_different_scopes() {
        assert_eq!(
            scope_for("get", "/api/v1/inbox/{message_id}"),
            Some(TokenScope::InboxRead)
        );
        assert_eq!(
            scope_for("post", "/api/v1/inbox/{message_id}/ack"),
            Some(TokenScope::InboxAck)
        );
        assert_eq!(
            scope_for("post", "/api/v1/submissions"),
            Some(TokenScope::DataSubmit)
        );
        assert_eq!(
            scope_for("post", "/api/v1/tickets/{id}/replies"),
            Some(TokenScope::Tickets)
        );
        assert_eq!(scope_for("get", "/api/v1/ticket-reports"), None);
    }

    /// A token never manages anything of the company's or its own kind.
    #[test]
    fn a_token_may_not_call_what_no_scope_names() {
        for (m, p) in [
            ("get", "/api/v1/api-tokens"),
            ("post", "/api/v1/api-tokens"),
            ("delete", "/api/v1/api-tokens/{id}"),
            ("get", "/api/v1/users"),
            ("get", "/api/v1/partners"),
            ("post", "/api/v1/auth/logout"),
            ("post", "/api/v1/inbox/{message_id}/replies"),
            ("post", "/api/v1/datasets"),
            ("get", "/api/v1/audit"),
        ] {
            assert_eq!(scope_for(m, p), None, "{m} {p}");
        }
    }

    #[test]
    fn a_token_lives_a_year_by_default_and_at_most_two() {
        let now = DateTime::parse_from_rfc3339("2026-12-05T10:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(expiry(now, None), Ok(now + Duration::days(365)));
        assert!(expiry(now, Some(now)).is_err());
        assert!(expiry(now, Some(now - Duration::hours(1))).is_err());
        assert!(expiry(now, Some(now + Duration::days(731))).is_err());
        assert_eq!(
            expiry(now, Some(now + Duration::days(730))),
            Ok(now + Duration::days(730))
        );
    }

    #[test]
    fn a_revoked_token_is_revoked_even_when_expired() {
        let now = Utc::now();
        let past = now - Duration::days(1);
        assert_eq!(
            TokenState::of(now, now + Duration::days(1), None),
            TokenState::Active
        );
        assert_eq!(TokenState::of(now, past, None), TokenState::Expired);
        assert_eq!(TokenState::of(now, past, Some(past)), TokenState::Revoked);
        assert!(is_api_token("lpt_abc"));
        assert!(!is_api_token("abc"));
    }
}
