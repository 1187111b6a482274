//! Error policy for the web layer: handlers return `AppError`, which renders RFC 9457 problem
//! details (`application/problem+json`) with a stable `type`, a human `detail` and, for invalid
//! input, `errors: [{field, message}]`. Database and internal text never reach a client: a 500
//! logs its cause once and says only that something went wrong.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use liaison_core::FieldErrors;
use liaison_core::validate::RowError;
use liaison_db::DbError;
use serde_json::json;

#[derive(Debug)]
pub enum AppError {
    /// 400: the request could not be read (bad JSON, bad upload).
    BadRequest(String),
    Unauthenticated,
    Forbidden,
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
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(FieldErrors::single(field, message))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Denied(_) => StatusCode::FORBIDDEN,
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
            AppError::NotFound => "not-found",
            AppError::Gone(_) => "gone",
            AppError::Conflict(_) => "conflict",
            AppError::PayloadTooLarge(_) => "too-large",
            AppError::Invalid(_) => "invalid",
            AppError::InvalidRows(_) => "invalid-rows",
            AppError::RateLimited(_) => "rate-limited",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn detail(&self) -> String {
        match self {
            AppError::BadRequest(m)
            | AppError::Conflict(m)
            | AppError::PayloadTooLarge(m)
            | AppError::Denied(m)
            | AppError::Gone(m) => m.clone(),
            AppError::Unauthenticated => {
                "log in first: send a bearer token or a session cookie".into()
            }
            AppError::Forbidden => "your role does not allow this".into(),
            AppError::NotFound => "no such resource".into(),
            AppError::Invalid(e) => format!("some fields are invalid: {e}"),
            AppError::InvalidRows(rows) => format!(
                "{} problems in the file; nothing was imported. Fix the rows listed and upload it again",
                rows.len()
            ),
            AppError::RateLimited(s) => format!("too many attempts; try again in {s} seconds"),
            AppError::Internal(_) => "something went wrong on our side; it has been logged".into(),
        }
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
        let status = self.status();
        let mut body = json!({
            "type": format!("https://liaison.example/problems/{}", self.kind()),
            "title": status.canonical_reason().unwrap_or("error"),
            "status": status.as_u16(),
            "detail": self.detail(),
        });
        match &self {
            AppError::Invalid(f) => body["errors"] = json!(f),
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
