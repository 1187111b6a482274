#![recursion_limit = "256"]
//! Liaison's web layer: the JSON API under `/api/v1` (described by `/api/openapi.json`), the
//! server-rendered staff console and partner portal, health checks and static assets. Handlers
//! are thin: extract (`extract`), call the service layer (`liaison_app`, which authorizes),
//! render (`respond`, `html`). `api` and `html` are siblings that never import each other.

pub mod api;
pub mod auth;
pub mod error;
pub mod extract;
pub mod html;
pub mod idempotency;
pub mod respond;
pub mod spool;
pub mod token_guard;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use liaison_db::Db;
use std::sync::Arc;
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::{AppError, AppResult};

/// Settings the web layer needs, loaded once by the binary.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// How long a browser or API session lives.
    pub session_ttl: chrono::Duration,
    /// Mark cookies `Secure` and use the `__Host-` prefix (behind HTTPS).
    pub secure_cookies: bool,
    /// Largest accepted upload (imports), in bytes.
    pub max_upload_bytes: usize,
    /// Largest business-data submission (`POST /api/v1/submissions`, the console's import):
    /// streamed to disk, never held (issue 13: a million rows is about 60 MB).
    pub max_data_bytes: u64,
    /// Failed logins allowed for one account from one address in `login_window` (see
    /// `auth::LoginLimiter` for the account-wide and per-address limits).
    pub login_attempts: u32,
    pub login_window: Duration,
    /// How long a looked-up session is trusted without asking the database again.
    pub session_cache_ttl: Duration,
    /// The company's time zone: times are shown in it to users who chose none.
    pub company_zone: chrono_tz::Tz,
    /// Calls one API token may make in any sliding minute, per instance (SPEC H2).
    pub api_token_per_minute: u32,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            session_ttl: chrono::Duration::hours(12),
            secure_cookies: false,
            max_upload_bytes: 20 * 1024 * 1024,
            max_data_bytes: 512 * 1024 * 1024,
            login_attempts: 10,
            login_window: Duration::from_secs(15 * 60),
            session_cache_ttl: Duration::from_secs(10),
            company_zone: chrono_tz::Asia::Shanghai,
            api_token_per_minute: liaison_core::api_token::PER_MINUTE,
        }
    }
}

/// Everything a handler can reach. Cloned by every layer and extractor of every request, so
/// one reference count, not one per field (issue 12: the field-by-field clones and drops were
/// 2.5 % of an API call).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct Shared {
    pub db: Db,
    pub config: Arc<WebConfig>,
    pub templates: Arc<minijinja::Environment<'static>>,
    pub login_limiter: Arc<auth::LoginLimiter>,
    pub sessions: Arc<auth::SessionCache>,
    /// Confirmations are group-committed by one writer task.
    pub acks: Arc<liaison_db::inbox::AckWriter>,
    /// Each API token's sliding minute (`token_guard`).
    pub token_limiter: Arc<token_guard::TokenLimiter>,
}

impl AppState {
    pub fn new(db: Db, config: WebConfig) -> Self {
        let limiter = auth::LoginLimiter::new(config.login_attempts, config.login_window);
        let sessions = Arc::new(auth::SessionCache::new(config.session_cache_ttl));
        let acks = Arc::new(liaison_db::inbox::AckWriter::spawn(db.clone()));
        let token_limiter = Arc::new(token_guard::TokenLimiter::new(config.api_token_per_minute));
        Self(Arc::new(Shared {
            db,
            config: Arc::new(config),
            templates: Arc::new(html::templates()),
            login_limiter: Arc::new(limiter),
            sessions,
            acks,
            token_limiter,
        }))
    }
}

/// Unknown paths: problem+json under `/api/`, elsewhere the styled error page in the visitor's
/// language, inside the console or the portal they were in (issue 9).
async fn not_found(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if req.uri().path().starts_with("/api/") {
        return AppError::NotFound.into_response();
    }
    let (parts, _) = req.into_parts();
    let session = auth::resolve(&state, &parts).await.ok().flatten();
    html::not_found_page(&state, &parts.headers, parts.uri.path(), session.as_ref())
}

/// The whole application, exactly as the server runs it (tests build it the same way).
pub fn app(state: AppState) -> Router {
    let x_request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(api::router())
        .merge(html::router().layer(axum::middleware::from_fn_with_state(
            state.clone(),
            html::render_failures,
        )))
        .fallback(not_found)
        // Problems are written in the request's language before the idempotency layer stores
        // them, so a replay is the very answer the first request got (SPEC R2) ...
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::localize,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), idempotency::layer))
        // API tokens are checked, limited and audited before anything reads the caller
        // (SPEC H2) ...
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            token_guard::layer,
        ))
        // ... and the idempotency layer's and the token guard's own refusals after them.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::localize,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(state.config.max_upload_bytes))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
            ),
        ))
        // Pages and API answers hold partners' and people's data (§7.2.1): no cache keeps
        // them. Only the static assets say otherwise, themselves.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        // Behind HTTPS (Secure cookies), browsers are told to use nothing else (§7.2.1).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            state
                .config
                .secure_cookies
                .then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains")),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
        .with_state(state)
}
