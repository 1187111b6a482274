//! Error policy for the web layer: handlers return `AppError`, which renders RFC 9457 problem
//! details (`application/problem+json`) with a stable `type`, a human `detail` and, for invalid
//! input, `errors: [{field, code, message}]`. Database and internal text never reach a client: a
//! 500 logs its cause once and says only that something went wrong. Messages come from the
//! catalogues in the request's language: `IntoResponse` writes zh-CN and leaves the error on the
//! response, and [`localize`] (a middleware around the whole app) writes it again in the
//! language of `Accept-Language`, else the caller's setting.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use liaison_core::FieldErrors;
use liaison_core::partner::Lang;
use liaison_core::validate::Msg;
use liaison_core::validate::RowError;
use liaison_db::DbError;
use serde_json::json;

#[derive(Debug, Clone)]
pub enum AppError {
    /// 400: the request could not be read (bad JSON, bad upload).
    BadRequest(String),
    Unauthenticated,
    Forbidden,
    /// 403: a state-changing call authenticated by a cookie lacks the page's CSRF token (or
    /// carries a stale one). Not a matter of role: reloading the page fixes it.
    CsrfToken,
    /// 403 with the reason (what to do instead).
    Denied(String),
    NotFound,
    /// 410: it existed but is no longer usable (an expired link).
    Gone(String),
    Conflict(String),
    PayloadTooLarge(String),
    Invalid(FieldErrors),
    InvalidRows(Vec<RowError>),
    RateLimited(u64),
    /// 401 at login: the account has a second factor and no code, or a wrong or used one, came
    /// with the password (policy §7.2.3).
    TotpRequired {
        wrong: bool,
    },
    /// 403: an admin or executive without a second factor while it is enforced; only the
    /// enrolment endpoints answer until they enrol (§7.2.3).
    EnrolmentRequired,
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn invalid(field: &str, message: impl Into<liaison_core::validate::Msg>) -> Self {
        AppError::Invalid(FieldErrors::single(field, message))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated | AppError::TotpRequired { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden
            | AppError::CsrfToken
            | AppError::Denied(_)
            | AppError::EnrolmentRequired => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Invalid(_) | AppError::InvalidRows(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable problem type slug.
    pub fn kind(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "malformed",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden | AppError::Denied(_) => "forbidden",
            AppError::CsrfToken => "csrf",
            AppError::NotFound => "not-found",
            AppError::Gone(_) => "gone",
            AppError::Conflict(_) => "conflict",
            AppError::PayloadTooLarge(_) => "too-large",
            AppError::Invalid(_) => "invalid",
            AppError::InvalidRows(_) => "invalid-rows",
            AppError::RateLimited(_) => "rate-limited",
            AppError::TotpRequired { .. } => "totp-required",
            AppError::EnrolmentRequired => "totp-enrolment-required",
            AppError::Internal(_) => "internal",
        }
    }

    /// The human `detail`, in English (logs, the CLI).
    pub fn detail(&self) -> String {
        self.detail_in(Lang::En)
    }

    /// The human `detail` in `lang`.
    pub fn detail_in(&self, lang: Lang) -> String {
        let m = match self {
            // A catalogue key (`gone.recalled`) is said in the reader's language.
            AppError::Gone(m) if m.starts_with("gone.") => Msg::dynamic(m.clone()),
            AppError::BadRequest(m)
            | AppError::Conflict(m)
            | AppError::PayloadTooLarge(m)
            | AppError::Denied(m)
            | AppError::Gone(m) => Msg::plain(m.clone()),
            AppError::Unauthenticated => Msg::new("error.detail.unauthenticated"),
            AppError::Forbidden => Msg::new("error.detail.forbidden"),
            AppError::CsrfToken => Msg::new("error.detail.csrf"),
            AppError::NotFound => Msg::new("error.detail.not_found"),
            AppError::Invalid(e) => {
                let list: Vec<String> =
                    e.0.iter()
                        .map(|f| format!("{}: {}", f.field, f.render(lang)))
                        .collect();
                Msg::new("error.detail.invalid").arg("errors", list.join("; "))
            }
            AppError::InvalidRows(rows) => {
                Msg::new("error.detail.invalid_rows").arg("count", rows.len())
            }
            AppError::RateLimited(s) => Msg::new("error.detail.rate_limited").arg("seconds", s),
            AppError::TotpRequired { wrong: false } => Msg::new("error.detail.totp_required"),
            AppError::TotpRequired { wrong: true } => Msg::new("error.detail.totp_wrong"),
            AppError::EnrolmentRequired => Msg::new("error.detail.enrolment_required"),
            AppError::Internal(_) => Msg::new("error.detail.internal"),
        };
        m.render(lang)
    }

    /// The problem+json answer in `lang`.
    pub fn response_in(&self, lang: Lang) -> Response {
        let status = self.status();
        let mut body = json!({
            "type": format!("https://liaison.example/problems/{}", self.kind()),
            "title": status.canonical_reason().unwrap_or("error"),
            "status": status.as_u16(),
            "detail": self.detail_in(lang),
        });
        match self {
            AppError::Invalid(f) => {
                body["errors"] =
                    f.0.iter()
                        .map(|e| {
                            let mut o = json!({
                                "field": e.field,
                                "code": (!e.msg.is_plain()).then(|| e.msg.key()),
                                "message": e.render(lang),
                            });
                            if !e.msg.is_plain() && !e.msg.args().is_empty() {
                                o["args"] = e
                                    .msg
                                    .args()
                                    .iter()
                                    .map(|(k, v)| (k.to_string(), json!(v.raw())))
                                    .collect::<serde_json::Map<_, _>>()
                                    .into();
                            }
                            o
                        })
                        .collect();
            }
            AppError::InvalidRows(r) => body["errors"] = json!(r),
            _ => {}
        }
        let mut resp = (status, body.to_string()).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let AppError::Unauthenticated = self {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let AppError::RateLimited(s) = self
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound => AppError::NotFound,
            DbError::Conflict(m) => AppError::Conflict(m),
            DbError::Invalid(f) => AppError::Invalid(f),
            DbError::InvalidRows(r) => AppError::InvalidRows(r),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<liaison_app::Error> for AppError {
    fn from(e: liaison_app::Error) -> Self {
        use liaison_app::Error as E;
        match e {
            E::NotFound => AppError::NotFound,
            E::Forbidden => AppError::Forbidden,
            E::Denied(m) => AppError::Denied(m),
            E::Gone(m) => AppError::Gone(m),
            E::Conflict(m) => AppError::Conflict(m),
            E::BadInput(m) => AppError::BadRequest(m),
            E::TooLarge(m) => AppError::PayloadTooLarge(m),
            E::Invalid(f) => AppError::Invalid(f),
            E::InvalidRows(r) => AppError::InvalidRows(r),
            E::Internal(m) => AppError::Internal(m),
        }
    }
}

impl From<liaison_core::Denied> for AppError {
    fn from(d: liaison_core::Denied) -> Self {
        liaison_app::Error::from(d).into()
    }
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        AppError::Invalid(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let mut resp = self.response_in(Lang::ZhCn);
        resp.extensions_mut()
            .insert(Problem(std::sync::Arc::new(self)));
        resp
    }
}

/// The error behind a problem+json answer, for [`localize`].
#[derive(Clone)]
struct Problem(std::sync::Arc<AppError>);

/// Takes the error out of a problem+json answer (an extractor's rejection on a page, which
/// the pages show as their error page instead).
pub fn take_problem(resp: &mut Response) -> Option<std::sync::Arc<AppError>> {
    resp.extensions_mut().remove::<Problem>().map(|p| p.0)
}

/// Middleware: a problem+json answer is written again in the request's language
/// (`Accept-Language`, else the caller's own setting, else Simplified Chinese).
pub async fn localize(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let probe = axum::http::Request::builder()
        .method(parts.method.clone())
        .uri(parts.uri.clone())
        .body(())
        .map(|mut r| {
            *r.headers_mut() = parts.headers.clone();
            r.into_parts().0
        });
    let mut resp = next
        .run(axum::extract::Request::from_parts(parts, body))
        .await;
    let Some(Problem(err)) = resp.extensions_mut().remove::<Problem>() else {
        return resp;
    };
    let Ok(probe) = probe else {
        return resp;
    };
    let lang = crate::auth::api_lang(&state, &probe).await;
    err.response_in(lang)
}
