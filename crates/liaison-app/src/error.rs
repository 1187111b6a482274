//! Error policy for the service layer: every operation returns [`Error`]. Refusals say which
//! kind they are (`Forbidden` for a role that may not, `NotFound` also for objects the caller
//! may not know of); storage failures other than "not found", "conflict" and "invalid" become
//! `Internal` with their cause, which the web layer logs once and never shows. The web layer
//! renders these as problem+json or an error page; the CLI as a message and an exit code.

use liaison_core::validate::RowError;
use liaison_core::{Denied, FieldErrors};
use liaison_db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    /// The caller's role does not allow this.
    #[error("forbidden")]
    Forbidden,
    /// Refused, with what to do instead.
    #[error("{0}")]
    Denied(String),
    /// It existed but can no longer be used (an expired link).
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    Conflict(String),
    /// Input that could not be read at all (an unreadable upload).
    #[error("{0}")]
    BadInput(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("invalid: {0}")]
    Invalid(FieldErrors),
    #[error("{} rows are invalid", .0.len())]
    InvalidRows(Vec<RowError>),
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: &str, message: impl Into<liaison_core::validate::Msg>) -> Self {
        Error::Invalid(FieldErrors::single(field, message))
    }
}

impl From<DbError> for Error {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound => Error::NotFound,
            DbError::Conflict(m) => Error::Conflict(m),
            DbError::Invalid(f) => Error::Invalid(f),
            DbError::InvalidRows(r) => Error::InvalidRows(r),
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<Denied> for Error {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Forbidden => Error::Forbidden,
            Denied::Hidden => Error::NotFound,
        }
    }
}

impl From<FieldErrors> for Error {
    fn from(e: FieldErrors) -> Self {
        Error::Invalid(e)
    }
}
