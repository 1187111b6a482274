//! The storage error type. It says what happened to the data, never who may do what (that is
//! `liaison_core::authorize`, called by the service layer). Callers map `NotFound` to 404, `Conflict` to 409, `Invalid` to 422
//! and everything else to 500 without showing the driver's text.

use liaison_core::FieldErrors;
use liaison_core::validate::RowError;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    /// A unique value is taken; the text names the field for the user.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(FieldErrors),
    /// Rows of an import that cannot be taken; nothing was written.
    #[error("{} rows are invalid", .0.len())]
    InvalidRows(Vec<RowError>),
    #[error("configuration: {0}")]
    Config(String),
    #[error("migration: {0}")]
    Migrate(String),
    #[error("database: {0}")]
    Sqlx(sqlx::Error),
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => DbError::NotFound,
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                DbError::Conflict("a record with this value already exists".into())
            }
            // A delete of something other records still point at (a contact with an NDA on
            // the register, §7.1.2, or a portal login), or a write naming a row that is gone:
            // a conflict with the data, not a failure of the server.
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => DbError::Conflict(
                "other records refer to it (or it refers to one that is gone); remove or change those first".into(),
            ),
            _ => DbError::Sqlx(e),
        }
    }
}

impl From<FieldErrors> for DbError {
    fn from(e: FieldErrors) -> Self {
        DbError::Invalid(e)
    }
}

impl DbError {
    /// The same error told to another caller (a failed batch's outcome, for each ticket in
    /// it); a driver's error becomes its text, still a server failure.
    pub(crate) fn copy(&self) -> DbError {
        match self {
            DbError::NotFound => DbError::NotFound,
            DbError::Conflict(s) => DbError::Conflict(s.clone()),
            DbError::Invalid(f) => DbError::Invalid(f.clone()),
            DbError::InvalidRows(r) => DbError::InvalidRows(r.clone()),
            DbError::Config(s) => DbError::Config(s.clone()),
            DbError::Migrate(s) => DbError::Migrate(s.clone()),
            DbError::Sqlx(e) => DbError::Config(format!("database: {e}")),
        }
    }

    /// Replaces a generic unique-violation message with one naming the field.
    pub fn conflict_on(self, field: &str, value: &str) -> Self {
        match self {
            DbError::Conflict(_) => {
                DbError::Conflict(format!("{field} '{value}' is already taken"))
            }
            other => other,
        }
    }
}
