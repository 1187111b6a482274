//! The API-token guard (SPEC H2, policy §7.2.1): a middleware around the whole app that
//! handles every call bearing an API token (`Authorization: Bearer lpt_…`) before anything
//! else reads it. It finds the token (unknown: 401), takes a slot of the token's sliding
//! minute (else 429 with `Retry-After`), refuses it revoked or expired (401), finds the
//! operation in the endpoint table and the scope it needs
//! (`liaison_core::api_token::scope_for`; none held: 403 problem+json saying so), and only then
//! lets the call through as the token's service user, which `auth::resolve` reads from the
//! request. Every call of a known token, refused or not, is recorded in the audit chain with
//! its status.
//! Off `/api/`, a token opens nothing (pages are for people).

use crate::{AppError, AppState};
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use liaison_core::api_token::{TokenScope, is_api_token, scope_for};
use liaison_core::partner::Lang;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use uuid::Uuid;

/// The session a token's call acts as, put on the request by [`layer`] for `auth::resolve`.
#[derive(Clone)]
pub(crate) struct TokenSession(pub(crate) crate::auth::Session);

/// The session the guard let through for this call, if any.
pub(crate) fn session_of(parts: &axum::http::request::Parts) -> Option<crate::auth::Session> {
    parts.extensions.get::<TokenSession>().map(|t| t.0.clone())
}

/// Each token's calls in its last minute, per process (several instances each allow the
/// limit: with N instances a token may make up to N times it).
pub struct TokenLimiter {
    per_minute: u32,
    calls: Mutex<HashMap<Uuid, Window>>,
}

#[derive(Default)]
struct Window {
    /// Times (Unix ms) of the calls let through in the last minute.
    taken: Vec<i64>,
    /// Refusing since the last call let through (its first refusal was audited).
    refusing: bool,
    /// Refusals after that first one, not audited yet.
    unaudited: u64,
}

/// What the limiter decided about one call.
#[derive(Debug, PartialEq, Eq)]
pub enum Slot {
    /// Let through; `refused` calls were turned away unaudited since the last audited one.
    Taken { refused: u64 },
    /// Refused: wait this many seconds. `first` when it is the first refusal of a burst,
    /// which is audited (the rest are counted into the next entry).
    Refused { wait_secs: u64, first: bool },
}

impl TokenLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            calls: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a slot of `token`'s sliding minute at `now_ms` (the database's clock).
    pub fn take(&self, token: Uuid, now_ms: i64) -> Slot {
        let mut map = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, w| {
                w.taken
                    .iter()
                    .any(|t| *t > now_ms - liaison_core::rate::WINDOW_MS)
            });
        }
        let w = map.entry(token).or_default();
        w.taken
            .retain(|t| *t > now_ms - liaison_core::rate::WINDOW_MS);
        match liaison_core::rate::robot_slot(&w.taken, now_ms, self.per_minute) {
            Ok(()) => {
                w.taken.push(now_ms);
                w.refusing = false;
                Slot::Taken {
                    refused: std::mem::take(&mut w.unaudited),
                }
            }
            Err(wait_ms) => {
                let first = !w.refusing;
                if first {
                    w.refusing = true;
                } else {
                    w.unaudited += 1;
                }
                Slot::Refused {
                    wait_secs: u64::try_from(wait_ms).unwrap_or(1).div_ceil(1000).max(1),
                    first,
                }
            }
        }
    }
}

/// The endpoint table's operations (method, path, whether they need a caller), read once.
fn routes() -> &'static [(&'static str, &'static str, bool)] {
    static ROUTES: OnceLock<Vec<(&'static str, &'static str, bool)>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        crate::api::endpoints()
            .into_iter()
            .map(|(e, _)| (e.method, e.path, e.auth))
            .collect()
    })
}

/// The endpoint table's path for a call (`/api/v1/inbox/{message_id}/ack`), the one with the
/// most literal segments when several match.
pub fn endpoint_path(method: &str, path: &str) -> Option<&'static str> {
    endpoint(method, path).map(|(template, _)| template)
}

/// The operation a call is, and whether it needs a caller.
fn endpoint(method: &str, path: &str) -> Option<(&'static str, bool)> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    routes()
        .iter()
        .filter(|(m, _, _)| *m == method)
        .filter_map(|(_, template, auth)| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (t, s) in parts.iter().zip(&segments) {
                if t.starts_with('{') && t.ends_with('}') {
                    if s.is_empty() {
                        return None;
                    }
                } else if t == s {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, (*template, *auth)))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, found)| found)
}

/// The scope a call needs: `Err(())` when no scope allows it.
fn needed(method: &str, path: &str) -> Result<Option<TokenScope>, ()> {
    match endpoint(method, path) {
        // Not an operation at all: the router answers 404 as it does for anyone. One that
        // needs no caller (the OpenAPI document, a one-click link) needs no scope either.
        None | Some((_, false)) => Ok(None),
        Some((template, true)) => scope_for(method, template).map(Some).ok_or(()),
    }
}

/// The language of the guard's own refusals: `Accept-Language` when it names one we speak.
fn lang_of(req: &Request) -> Lang {
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    liaison_i18n::negotiate_opt(accept).unwrap_or(Lang::ZhCn)
}

pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(raw) = crate::auth::bearer(req.headers()).filter(|t| is_api_token(t)) else {
        return next.run(req).await;
    };
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let caller = match liaison_app::api_token::identify(&state.db, &raw).await {
        Ok(Some(c)) => c,
        Ok(None) => return AppError::Unauthenticated.into_response(),
        Err(e) => return AppError::from(e).into_response(),
    };
    // A revoked or expired token is refused, and its attempt recorded (a leaked token still
    // in use is worth knowing, §7.3.1).
    let live = caller.is_live(state.db.now());
    let method = match req.method().as_str() {
        "HEAD" => "get".to_string(),
        m => m.to_lowercase(),
    };
    let path = req.uri().path().to_string();
    let lang = lang_of(&req);
    let now_ms = state.db.now().timestamp_millis();
    let (response, refused) = match state.token_limiter.take(caller.token.id, now_ms) {
        Slot::Refused { wait_secs, first } => {
            let r = AppError::RateLimited(wait_secs).into_response();
            if !first {
                // Counted into the next entry; a flood of refusals writes no flood of rows.
                return r;
            }
            (r, 0)
        }
        Slot::Taken { refused } if !live => (AppError::Unauthenticated.into_response(), refused),
        Slot::Taken { refused } => match needed(&method, &path) {
            Err(()) => {
                let allowed: Vec<&str> = caller.token.scopes.iter().map(|s| s.as_str()).collect();
                let m = liaison_core::validate::Msg::new("api_token.scope_denied")
                    .arg("scopes", allowed.join(", "));
                (AppError::Denied(m.render(lang)).into_response(), refused)
            }
            Ok(Some(scope)) if !caller.token.scopes.has(scope) => {
                let m = liaison_core::validate::Msg::new("api_token.scope_missing")
                    .arg("scope", scope.as_str());
                (AppError::Denied(m.render(lang)).into_response(), refused)
            }
            Ok(_) => {
                let user = caller.user.clone();
                let session = crate::auth::Session {
                    id: caller.token.id,
                    token: raw,
                    actor: user.actor(),
                    user,
                    badges: Default::default(),
                    // A token's user is a partner's, never asked for a second factor.
                    gate: Default::default(),
                };
                req.extensions_mut().insert(TokenSession(session));
                (next.run(req).await, refused)
            }
        },
    };
    let status = response.status().as_u16();
    if let Err(e) = liaison_app::api_token::record_call(
        &state.db,
        &caller.token,
        &method,
        &path,
        status,
        refused,
        live,
    )
    .await
    {
        tracing::error!(error = %e, token = %caller.token.id, "api token call not audited");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_finds_its_operation_in_the_endpoint_table() {
        assert_eq!(
            endpoint_path(
                "post",
                "/api/v1/inbox/0190aaaa-0000-7000-8000-000000000000/ack"
            ),
            Some("/api/v1/inbox/{message_id}/ack")
        );
        assert_eq!(
            endpoint_path("post", "/api/v1/meetings/check"),
            Some("/api/v1/meetings/check")
        );
        assert_eq!(endpoint_path("get", "/api/v1/nowhere"), None);
        assert_eq!(endpoint_path("put", "/api/v1/inbox"), None);
    }

    /// Every operation a scope names is in the endpoint table: a renamed path cannot silently
    /// take a scope's access away.
    #[test]
    fn every_scoped_operation_exists() {
        let scoped: Vec<_> = routes()
            .iter()
            .filter(|(m, p, _)| scope_for(m, p).is_some())
            .collect();
        for scope in TokenScope::ALL {
            assert!(
                scoped
                    .iter()
                    .any(|(m, p, _)| scope_for(m, p) == Some(*scope)),
                "no operation needs {scope}"
            );
        }
        assert!(scoped.iter().all(|(_, _, auth)| *auth));
        assert_eq!(needed("get", "/api/openapi.json"), Ok(None));
        assert_eq!(needed("get", "/api/v1/partners"), Err(()));
        for (m, p) in [
            ("get", "/api/v1/inbox"),
            ("get", "/api/v1/inbox/{message_id}"),
            ("post", "/api/v1/inbox/{message_id}/ack"),
            ("post", "/api/v1/submissions"),
            ("get", "/api/v1/datasets"),
            ("get", "/api/v1/data-obligations"),
            ("post", "/api/v1/tickets"),
            ("get", "/api/v1/tickets/{id}"),
        ] {
            assert!(
                routes().contains(&(m, p, true)),
                "{m} {p} is not an endpoint"
            );
        }
    }

    #[test]
    fn a_token_gets_its_minute_and_then_waits() {
        let l = TokenLimiter::new(3);
        let t = Uuid::now_v7();
        for _ in 0..3 {
            assert_eq!(l.take(t, 1_000), Slot::Taken { refused: 0 });
        }
        assert_eq!(
            l.take(t, 1_000),
            Slot::Refused {
                wait_secs: 60,
                first: true
            }
        );
        assert_eq!(
            l.take(t, 30_000),
            Slot::Refused {
                wait_secs: 31,
                first: false
            }
        );
        assert_eq!(
            l.take(Uuid::now_v7(), 30_000),
            Slot::Taken { refused: 0 },
            "another token has its own minute"
        );
        assert_eq!(l.take(t, 61_000), Slot::Taken { refused: 1 });
    }
}
