//! Who is calling: bearer tokens for the API, cookie sessions for the UI (both rows of the same
//! revocable, expiring `sessions` table), the login rate limit (SPEC G8, policy §7.2.3), and the
//! CSRF token that every HTML form carries.

use crate::{AppError, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use liaison_core::partner::Lang;
use liaison_core::{Actor, Permission};
use liaison_db::user::User;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

pub const LANG_COOKIE: &str = "liaison_lang";

/// The session cookie's name: `__Host-` prefixed when cookies are Secure (HTTPS).
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-liaison_session"
    } else {
        "liaison_session"
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: Uuid,
    pub token: String,
    pub user: User,
    pub actor: Actor,
}

impl Session {
    /// Refuses unless the policy allows `p` at all: `liaison_core::authorize`, the same one
    /// decision the service layer makes with the object at hand.
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        Ok(liaison_core::authorize(
            &self.actor,
            p,
            &liaison_core::Object::default(),
        )?)
    }

    /// The token HTML forms echo back; derived from the session token, so nothing is stored.
    pub fn csrf(&self) -> String {
        liaison_db::sha256_hex(format!("csrf:{}", self.token).as_bytes())[..32].to_string()
    }

    pub fn check_csrf(&self, given: &str) -> Result<(), AppError> {
        if given == self.csrf() {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_string())
}

pub(crate) async fn resolve(state: &AppState, parts: &Parts) -> Result<Option<Session>, AppError> {
    let bearer_token = bearer(&parts.headers);
    let from_cookie = bearer_token.is_none();
    let token = bearer_token.or_else(|| {
        cookie(
            &parts.headers,
            session_cookie_name(state.config.secure_cookies),
        )
    });
    let Some(token) = token.filter(|t| !t.is_empty() && t.len() < 200) else {
        return Ok(None);
    };
    // A browser sends the cookie with any request, even one another site makes it send: a
    // state-changing API call authenticated by cookie must also carry the page's CSRF token.
    let safe_method = matches!(
        parts.method,
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    let csrf_needed = from_cookie && !safe_method && parts.uri.path().starts_with("/api/");
    let found = match state.sessions.get(&token) {
        Some(hit) => Some(hit),
        None => lookup(state, token).await?,
    };
    if csrf_needed && let Some(s) = &found {
        let given = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        s.check_csrf(given)?;
    }
    Ok(found)
}

async fn lookup(state: &AppState, token: String) -> Result<Option<Session>, AppError> {
    let found = liaison_db::user::find_session(&state.db, &token)
        .await?
        .map(|(id, user)| Session {
            id,
            actor: user.actor(),
            user,
            token: token.clone(),
        });
    if let Some(s) = &found {
        state.sessions.put(s.clone());
    }
    Ok(found)
}

/// An API caller; answers 401 problem+json when there is none.
pub struct ApiUser(pub Session);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        resolve(state, parts)
            .await?
            .map(ApiUser)
            .ok_or(AppError::Unauthenticated)
    }
}

/// An API call: the app and the caller's session (401 problem+json without one), destructured
/// in handlers as `Api(state, s)`.
pub struct Api(pub AppState, pub Session);

impl FromRequestParts<AppState> for Api {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ApiUser(s) = ApiUser::from_request_parts(parts, state).await?;
        Ok(Api(state.clone(), s))
    }
}

/// A UI visitor who must be logged in; others are sent to the login page.
pub struct PageUser(pub Session);

pub struct LoginRedirect(String);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        Redirect::to(&self.0).into_response()
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match resolve(state, parts).await {
            Ok(Some(s)) => Ok(PageUser(s)),
            Ok(None) => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let next =
                    percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC);
                Err(LoginRedirect(format!("/login?next={next}")).into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// A visitor who may or may not be logged in (login page, language switch).
pub struct MaybeUser(pub Option<Session>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(resolve(state, parts).await?))
    }
}

/// The UI language: an explicit choice (cookie) first, then the user's setting, then the browser.
pub fn page_lang(headers: &HeaderMap, user: Option<&User>) -> Lang {
    if let Some(l) = cookie(headers, LANG_COOKIE).and_then(|c| Lang::parse(&c).ok()) {
        return l;
    }
    if let Some(l) = user
        .and_then(|u| u.lang.as_deref())
        .and_then(|l| Lang::parse(l).ok())
    {
        return l;
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    liaison_i18n::negotiate(accept)
}

/// The language of an API answer: `Accept-Language` when it names one we speak, else the
/// caller's own setting, else Simplified Chinese (the company's language).
pub async fn api_lang(state: &AppState, parts: &Parts) -> Lang {
    let accept = parts
        .headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(l) = liaison_i18n::negotiate_opt(accept) {
        return l;
    }
    resolve(state, parts)
        .await
        .ok()
        .flatten()
        .and_then(|s| s.user.lang.as_deref().and_then(|l| Lang::parse(l).ok()))
        .unwrap_or(Lang::ZhCn)
}

/// The language of an API answer (see [`api_lang`]), for handlers whose answer holds messages.
pub struct ApiLang(pub Lang);

impl FromRequestParts<AppState> for ApiLang {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ApiLang(api_lang(state, parts).await))
    }
}

/// The client's address for rate limiting: the socket peer when known.
pub fn client_key(parts_headers: &HeaderMap, peer: Option<std::net::SocketAddr>) -> String {
    let _ = parts_headers;
    peer.map(|p| p.ip().to_string())
        .unwrap_or_else(|| "local".into())
}

/// Counts failed logins per key (e-mail, client address) in a sliding window; a key over the
/// limit is refused with 429 until its oldest failure leaves the window.
pub struct LoginLimiter {
    max: u32,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    pub fn new(max: u32, window: Duration) -> Self {
        Self {
            max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds)` to wait when any key is over the limit.
    pub fn check(&self, keys: &[&str]) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = 0u64;
        for k in keys {
            if let Some(v) = map.get_mut(*k) {
                v.retain(|t| now.duration_since(*t) < self.window);
                if v.len() as u32 >= self.max
                    && let Some(first) = v.first()
                {
                    wait = wait.max((self.window - now.duration_since(*first)).as_secs() + 1);
                }
            }
        }
        if map.len() > 100_000 {
            map.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < self.window));
        }
        if wait > 0 { Err(wait) } else { Ok(()) }
    }

    pub fn fail(&self, keys: &[&str]) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for k in keys {
            map.entry(k.to_string()).or_default().push(Instant::now());
        }
    }

    pub fn succeed(&self, email_key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(email_key);
    }
}

/// Logs in: checks the rate limit, the password, and opens a session. Shared by the API and
/// the login form.
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    client: &str,
    kind: liaison_db::user::SessionKind,
) -> Result<(String, User), AppError> {
    let email_key = format!("email:{}", email.trim().to_lowercase());
    let ip_key = format!("ip:{client}");
    state
        .login_limiter
        .check(&[&email_key, &ip_key])
        .map_err(AppError::RateLimited)?;
    let user = liaison_db::user::authenticate(&state.db, email, password).await?;
    let Some(user) = user else {
        state.login_limiter.fail(&[&email_key, &ip_key]);
        tracing::info!("login refused");
        return Err(AppError::Unauthenticated);
    };
    state.login_limiter.succeed(&email_key);
    let token =
        liaison_db::user::create_session(&state.db, &user, kind, state.config.session_ttl).await?;
    Ok((token, user))
}

/// `Set-Cookie` value for a new session.
pub fn session_cookie(state: &AppState, token: &str) -> String {
    let secure = state.config.secure_cookies;
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        session_cookie_name(secure),
        state.config.session_ttl.num_seconds(),
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_session_cookie(state: &AppState) -> String {
    let secure = state.config.secure_cookies;
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        session_cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

/// The caller's network address, for rate limiting (absent in in-process tests).
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0);
        Ok(ClientAddr(client_key(&parts.headers, peer)))
    }
}

/// A short-lived in-process cache of live sessions, so that a request costs no session query.
/// A logout here removes the entry at once; a revocation on another instance, an expiry or a
/// role change shows after at most `ttl`.
pub struct SessionCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, Session)>>,
}

impl SessionCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn key(token: &str) -> String {
        liaison_db::sha256_hex(token.as_bytes())
    }

    pub fn get(&self, token: &str) -> Option<Session> {
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&Self::key(token))
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, s)| s.clone())
    }

    pub fn put(&self, s: Session) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 50_000 {
            let ttl = self.ttl;
            map.retain(|_, (at, _)| at.elapsed() < ttl);
        }
        map.insert(Self::key(&s.token), (Instant::now(), s));
    }

    pub fn forget(&self, token: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&Self::key(token));
    }

    /// Drops every cached session of a user (their settings or rights changed).
    pub fn forget_user(&self, user: Uuid) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (_, s)| s.user.id != user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_refuses_after_the_limit_and_forgets_on_success() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(l.check(&["email:a"]).is_ok());
            l.fail(&["email:a"]);
        }
        let wait = l.check(&["email:a"]).expect_err("limited");
        assert!(wait > 0 && wait <= 61);
        assert!(l.check(&["email:b"]).is_ok());
        l.succeed("email:a");
        assert!(l.check(&["email:a"]).is_ok());
    }
}
