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
    /// The top menu's counts, filled in for each page visit (zero in the API).
    pub badges: liaison_app::home::Badges,
    /// Whether this account must still enrol a second factor (§7.2.3): `Remind` shows the
    /// banner, `Enforce` lets through only enrolment and logout.
    pub gate: liaison_core::totp::Gate,
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
            Err(AppError::CsrfToken)
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

/// The token of `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 9110
/// §11.1), so `bearer` and `BEARER` are the same.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

pub(crate) async fn resolve(state: &AppState, parts: &Parts) -> Result<Option<Session>, AppError> {
    let bearer_token = bearer(&parts.headers);
    // An API token (`lpt_…`, SPEC H2) is what the token guard let through for this very call,
    // its scope, rate limit and audit settled there; anywhere else it opens nothing.
    if bearer_token
        .as_deref()
        .is_some_and(liaison_core::api_token::is_api_token)
    {
        return Ok(crate::token_guard::session_of(parts));
    }
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
    let Some((id, user)) = liaison_db::user::find_session(&state.db, &token).await? else {
        return Ok(None);
    };
    // Only admins and executives can be held to a second factor: nobody else pays a query.
    let gate = liaison_app::account::gate(&state.db, user.id, &user.roles).await?;
    // "Last used" is for the session list only: a failure to note it fails no request.
    if state.sessions.due_touch(id)
        && let Err(e) = liaison_db::account::touch_session(&state.db, id, TOUCH_EVERY).await
    {
        tracing::warn!(error = %e, "a session's last use was not noted");
    }
    let s = Session {
        id,
        actor: user.actor(),
        user,
        token,
        badges: Default::default(),
        gate,
    };
    state.sessions.put(s.clone());
    Ok(Some(s))
}

/// How often a session's "last seen" is written (the session list, §7.2.3).
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(5);

/// API paths an admin or executive held to enrol may still use (§7.2.3): the enrolment itself,
/// who they are, and logging out.
fn open_while_enrolling(path: &str) -> bool {
    matches!(
        path,
        "/api/v1/me" | "/api/v1/me/totp" | "/api/v1/me/totp/confirm" | "/api/v1/auth/logout"
    )
}

/// An API caller; answers 401 problem+json when there is none.
pub struct ApiUser(pub Session);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let s = resolve(state, parts)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if s.gate == liaison_core::totp::Gate::Enforce && !open_while_enrolling(parts.uri.path()) {
            return Err(AppError::EnrolmentRequired);
        }
        Ok(ApiUser(s))
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

/// Failed-login limits (SPEC G8, policy §7.2.3), shaped so that neither an office behind one
/// NAT address nor a stranger can lock people out:
/// - **one account from one address**: three free failures, then a delay that doubles with
///   each failure (1 s, 2 s, 4 s, …), and after `max` failures in `window` that pair waits until
///   its oldest failure leaves the window;
/// - **one account from anywhere**: after `max` failures a doubling delay capped at
///   [`ACCOUNT_DELAY_CAP`], so guessing is slowed but nobody can keep `admin@` out;
/// - **one address**: only a flood ([`FLOOD_PER_MINUTE`] failures in a minute, over any
///   accounts) closes the address, for the rest of that minute.
///
/// A correct password for an account that is not itself being slowed is never refused because
/// other accounts failed from the same address.
pub struct LoginLimiter {
    max: u32,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

/// Longest delay failures from many addresses can put on one account.
pub const ACCOUNT_DELAY_CAP: Duration = Duration::from_secs(30);
/// Failures from one address in a minute that count as a flood.
pub const FLOOD_PER_MINUTE: usize = 100;
const FLOOD_WINDOW: Duration = Duration::from_secs(60);
/// Failures one account may have from one address before delays start.
const FREE_FAILURES: usize = 3;

/// The keys one login attempt is counted under.
struct Keys {
    pair: String,
    account: String,
    address: String,
}

impl Keys {
    fn of(email: &str, client: &str) -> Self {
        let email = email.trim().to_lowercase();
        Self {
            pair: format!("pair:{email}|{client}"),
            account: format!("account:{email}"),
            address: format!("address:{client}"),
        }
    }
}

/// `2^(n - free - 1)` seconds once `n` exceeds `free`, at most `cap`.
fn doubling(n: usize, free: usize, cap: Duration) -> Duration {
    if n <= free {
        return Duration::ZERO;
    }
    let exp = (n - free - 1).min(20) as u32;
    Duration::from_secs(1u64 << exp).min(cap)
}

impl LoginLimiter {
    pub fn new(max: u32, window: Duration) -> Self {
        Self {
            max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds)` to wait before this e-mail may try again from this client.
    pub fn check(&self, email: &str, client: &str) -> Result<(), u64> {
        self.check_at(email, client, Instant::now())
    }

    fn check_at(&self, email: &str, client: &str, now: Instant) -> Result<(), u64> {
        let keys = Keys::of(email, client);
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            let keep = self.window.max(FLOOD_WINDOW);
            map.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < keep));
        }
        let mut recent = |key: &str, window: Duration| -> Vec<Instant> {
            match map.get_mut(key) {
                Some(v) => {
                    v.retain(|t| now.duration_since(*t) < window);
                    v.clone()
                }
                None => Vec::new(),
            }
        };
        let max = self.max as usize;
        // Until `first + window` once a list is full, else `last + delay`.
        let until = |v: &[Instant], full: usize, window: Duration, delay: Duration| match (
            v.first(),
            v.last(),
        ) {
            (Some(first), _) if v.len() >= full => Some(*first + window),
            (_, Some(last)) if !delay.is_zero() => Some(*last + delay),
            _ => None,
        };
        let pair = recent(&keys.pair, self.window);
        let account = recent(&keys.account, self.window);
        let address = recent(&keys.address, FLOOD_WINDOW);
        let waits = [
            until(
                &pair,
                max,
                self.window,
                doubling(pair.len(), FREE_FAILURES, self.window),
            ),
            until(
                &account,
                usize::MAX,
                self.window,
                doubling(account.len(), max, ACCOUNT_DELAY_CAP),
            ),
            until(&address, FLOOD_PER_MINUTE, FLOOD_WINDOW, Duration::ZERO),
        ];
        let wait = waits
            .into_iter()
            .flatten()
            .filter(|t| *t > now)
            .map(|t| t.duration_since(now).as_secs() + 1)
            .max();
        match wait {
            Some(s) => Err(s),
            None => Ok(()),
        }
    }

    pub fn fail(&self, email: &str, client: &str) {
        self.fail_at(email, client, Instant::now());
    }

    fn fail_at(&self, email: &str, client: &str, now: Instant) {
        let keys = Keys::of(email, client);
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for k in [keys.pair, keys.account, keys.address] {
            map.entry(k).or_default().push(now);
        }
    }

    /// A correct password clears the account's own counts (not the address's).
    pub fn succeed(&self, email: &str, client: &str) {
        let keys = Keys::of(email, client);
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&keys.pair);
        map.remove(&keys.account);
    }
}

/// Logs in: checks the rate limit, the password and, for an account with one, the second
/// factor (§7.2.3), and opens a session. The API's login; the form does the same in two steps.
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    totp: Option<&str>,
    client: &str,
    from: &Origin,
    kind: liaison_db::user::SessionKind,
) -> Result<(String, User), AppError> {
    let user = check_password(state, email, password, client).await?;
    second_step(state, &user, totp, client).await?;
    let token = open_session(state, &user, client, from, kind).await?;
    Ok((token, user))
}

/// The first step of a login: the rate limit and the password. A right password does not clear
/// the failures yet: the second factor may still be wrong.
pub async fn check_password(
    state: &AppState,
    email: &str,
    password: &str,
    client: &str,
) -> Result<User, AppError> {
    state
        .login_limiter
        .check(email, client)
        .map_err(AppError::RateLimited)?;
    let user = liaison_db::user::authenticate(&state.db, email, password).await?;
    let Some(user) = user else {
        state.login_limiter.fail(email, client);
        tracing::info!("login refused");
        return Err(AppError::Unauthenticated);
    };
    Ok(user)
}

/// The second step (§7.2.3): without a code for an enrolled account a `totp-required` 401; a
/// wrong, old or replayed code counts as a failed login.
pub async fn second_step(
    state: &AppState,
    user: &User,
    totp: Option<&str>,
    client: &str,
) -> Result<(), AppError> {
    use liaison_app::account::SecondFactor;
    match liaison_app::account::check_second_factor(&state.db, user.id, totp).await? {
        SecondFactor::NotEnrolled | SecondFactor::Accepted => Ok(()),
        SecondFactor::Missing => Err(AppError::TotpRequired { wrong: false }),
        SecondFactor::Refused => {
            state.login_limiter.fail(&user.email, client);
            tracing::info!(user = %user.id, "login refused: second factor");
            Err(AppError::TotpRequired { wrong: true })
        }
    }
}

/// After both steps: clears the failures, opens the session and tells the person of a new
/// device (§7.2.3).
pub async fn open_session(
    state: &AppState,
    user: &User,
    client: &str,
    from: &Origin,
    kind: liaison_db::user::SessionKind,
) -> Result<String, AppError> {
    state.login_limiter.succeed(&user.email, client);
    let token = liaison_db::user::create_session_from(
        &state.db,
        user,
        kind,
        state.config.session_ttl,
        from,
    )
    .await?;
    liaison_app::account::signed_in(&state.db, user, from).await?;
    Ok(token)
}

pub use liaison_db::account::Origin;

/// Where a request comes from: its User-Agent and network address (the session list and the
/// new-device alert, §7.2.3).
pub struct RequestOrigin(pub Origin);

impl<S: Send + Sync> FromRequestParts<S> for RequestOrigin {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ClientAddr(address) = ClientAddr::from_request_parts(parts, state).await?;
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        Ok(RequestOrigin(Origin {
            user_agent,
            address: Some(address),
        }))
    }
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
    /// When this process last wrote each session's "last seen".
    touched: Mutex<HashMap<Uuid, Instant>>,
}

impl SessionCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
            touched: Mutex::new(HashMap::new()),
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

    /// Drops every cached session of a user (their settings or rights changed, their other
    /// sessions were ended).
    pub fn forget_user(&self, user: Uuid) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (_, s)| s.user.id != user);
    }

    /// Drops every cached session (a setting every session reads changed: the second factor's
    /// mode, §7.2.3).
    pub fn forget_all(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Whether this process should note now that the session was used: once per
    /// [`TOUCH_EVERY`], so a busy session costs one write every few minutes.
    fn due_touch(&self, session: Uuid) -> bool {
        let mut map = self.touched.lock().unwrap_or_else(|e| e.into_inner());
        let every = TOUCH_EVERY.to_std().unwrap_or(Duration::from_secs(300));
        if map.len() > 50_000 {
            map.retain(|_, at| at.elapsed() < every);
        }
        match map.get(&session) {
            Some(at) if at.elapsed() < every => false,
            _ => {
                map.insert(session, Instant::now());
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fails(l: &LoginLimiter, email: &str, client: &str, n: usize, at: Instant) {
        for _ in 0..n {
            l.fail_at(email, client, at);
        }
    }

    #[test]
    fn one_accounts_failures_do_not_refuse_another_from_the_same_address() {
        let l = LoginLimiter::new(10, Duration::from_secs(900));
        let t = Instant::now();
        fails(&l, "a@x.cn", "10.0.0.1", 10, t);
        assert!(
            l.check_at("a@x.cn", "10.0.0.1", t).is_err(),
            "the pair is locked"
        );
        assert!(
            l.check_at("b@x.cn", "10.0.0.1", t).is_ok(),
            "a colleague is not"
        );
    }

    #[test]
    fn the_pair_delay_doubles_then_locks_for_the_window() {
        let l = LoginLimiter::new(10, Duration::from_secs(900));
        let t = Instant::now();
        fails(&l, "a@x.cn", "ip", 3, t);
        assert!(l.check_at("a@x.cn", "ip", t).is_ok(), "three free failures");
        l.fail_at("a@x.cn", "ip", t);
        assert_eq!(
            l.check_at("a@x.cn", "ip", t),
            Err(2),
            "1 s delay, rounded up"
        );
        assert!(
            l.check_at("a@x.cn", "ip", t + Duration::from_secs(1))
                .is_ok()
        );
        fails(&l, "a@x.cn", "ip", 6, t);
        let wait = l.check_at("a@x.cn", "ip", t).expect_err("locked");
        assert!((900..=901).contains(&wait), "{wait}");
        assert!(
            l.check_at("a@x.cn", "ip", t + Duration::from_secs(901))
                .is_ok()
        );
    }

    #[test]
    fn failures_from_everywhere_only_slow_an_account() {
        let l = LoginLimiter::new(10, Duration::from_secs(900));
        let t = Instant::now();
        for i in 0..40 {
            l.fail_at("admin@x.cn", &format!("198.51.100.{i}"), t);
        }
        let wait = l.check_at("admin@x.cn", "10.1.1.1", t).expect_err("slowed");
        assert!(wait <= ACCOUNT_DELAY_CAP.as_secs() + 1, "{wait}");
        assert!(
            l.check_at("admin@x.cn", "10.1.1.1", t + ACCOUNT_DELAY_CAP)
                .is_ok()
        );
        l.succeed("admin@x.cn", "10.1.1.1");
        assert!(
            l.check_at("admin@x.cn", "10.1.1.1", t).is_ok(),
            "success clears it"
        );
    }

    #[test]
    fn only_a_flood_closes_an_address() {
        let l = LoginLimiter::new(10, Duration::from_secs(900));
        let t = Instant::now();
        for i in 0..FLOOD_PER_MINUTE - 1 {
            l.fail_at(&format!("u{i}@x.cn"), "nat", t);
        }
        assert!(l.check_at("someone@x.cn", "nat", t).is_ok());
        l.fail_at("last@x.cn", "nat", t);
        assert!(l.check_at("someone@x.cn", "nat", t).is_err(), "flood");
        assert!(l.check_at("someone@x.cn", "nat", t + FLOOD_WINDOW).is_ok());
    }
}
