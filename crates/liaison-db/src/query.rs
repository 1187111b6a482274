//! Portable queries: SQL text with `$n` placeholders and owned values, bound for whichever
//! backend runs it, and rows read through one small trait both backends implement.

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{AssertSqlSafe, Row};
use std::borrow::Cow;
use uuid::Uuid;

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Uuid(Option<Uuid>),
    Text(Option<String>),
    I64(Option<i64>),
    Bool(bool),
    Time(Option<DateTime<Utc>>),
}

macro_rules! val_from {
    ($($t:ty => $v:ident),*) => {$(
        impl From<$t> for Val { fn from(x: $t) -> Self { Val::$v(Some(x.into())) } }
        impl From<Option<$t>> for Val { fn from(x: Option<$t>) -> Self { Val::$v(x.map(Into::into)) } }
    )*};
}
val_from!(Uuid => Uuid, String => Text, &str => Text, i64 => I64, DateTime<Utc> => Time);

impl From<&String> for Val {
    fn from(x: &String) -> Self {
        Val::Text(Some(x.clone()))
    }
}
impl From<bool> for Val {
    fn from(x: bool) -> Self {
        Val::Bool(x)
    }
}

/// SQL text and its values.
#[derive(Debug, Clone)]
pub struct Q {
    sql: Cow<'static, str>,
    args: Vec<Val>,
}

/// A query from fixed SQL text.
pub fn q(sql: &'static str) -> Q {
    Q {
        sql: Cow::Borrowed(sql),
        args: Vec::new(),
    }
}

impl Q {
    /// A query from SQL assembled at run time. Only placeholders may carry outside input.
    pub fn dynamic(sql: String) -> Q {
        Q {
            sql: Cow::Owned(sql),
            args: Vec::new(),
        }
    }

    pub fn bind(mut self, v: impl Into<Val>) -> Self {
        self.args.push(v.into());
        self
    }

    /// Adds a value and returns its placeholder (`$3`), for SQL built piece by piece.
    pub fn arg(&mut self, v: impl Into<Val>) -> String {
        self.args.push(v.into());
        format!("${}", self.args.len())
    }

    pub fn push_sql(&mut self, s: &str) {
        self.sql.to_mut().push_str(s);
    }

    /// The same values under new SQL text (to wrap a query in another).
    pub fn replace_sql(mut self, sql: String) -> Q {
        self.sql = Cow::Owned(sql);
        self
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }
}

/// SQLite keeps times as fixed-width RFC 3339 text so that they sort as they compare.
pub fn sqlite_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// SQL as SQLite should see it. SQLite looks each numbered parameter (`$N` or `?N`) up in a
/// list while parsing, which is quadratic in their number (a 500-row insert has 8,500 of them
/// and then costs more to parse than to run); anonymous `?` parameters are not looked up. So
/// when the placeholders are exactly `$1, $2, ... $n` in order, they become `?`; otherwise
/// (a value used twice) they become `?N`.
pub(crate) fn sqlite_placeholders(sql: &str) -> String {
    let mut numbers = Vec::new();
    let mut pieces: Vec<&str> = Vec::new();
    let (mut quoted, mut last, mut i) = (false, 0, 0);
    let bytes = sql.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'$' if !quoted && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
                pieces.push(&sql[last..i]);
                numbers.push(&sql[i + 1..j]);
                last = j;
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let sequential = numbers
        .iter()
        .enumerate()
        .all(|(k, n)| n.parse::<usize>().ok() == Some(k + 1));
    let mut out = String::with_capacity(sql.len());
    for (piece, n) in pieces.iter().zip(&numbers) {
        out.push_str(piece);
        out.push('?');
        if !sequential {
            out.push_str(n);
        }
    }
    out.push_str(&sql[last..]);
    out
}

pub(crate) fn bind_sqlite(q: &Q) -> Query<'static, sqlx::Sqlite, SqliteArguments> {
    let mut query = sqlx::query(AssertSqlSafe(sqlite_placeholders(&q.sql)));
    for v in &q.args {
        query = match v {
            Val::Uuid(x) => query.bind(*x),
            Val::Text(x) => query.bind(x.clone()),
            Val::I64(x) => query.bind(*x),
            Val::Bool(x) => query.bind(*x),
            Val::Time(x) => query.bind(x.as_ref().map(sqlite_time)),
        };
    }
    query
}

pub(crate) fn bind_pg(q: &Q) -> Query<'static, sqlx::Postgres, PgArguments> {
    let mut query = sqlx::query(AssertSqlSafe(q.sql.to_string()));
    for v in &q.args {
        query = match v {
            Val::Uuid(x) => query.bind(*x),
            Val::Text(x) => query.bind(x.clone()),
            Val::I64(x) => query.bind(*x),
            Val::Bool(x) => query.bind(*x),
            Val::Time(x) => query.bind(*x),
        };
    }
    query
}

/// Typed column access that reads the same on both backends.
pub trait RowExt {
    fn uuid(&self, col: &str) -> Result<Uuid, sqlx::Error>;
    fn opt_uuid(&self, col: &str) -> Result<Option<Uuid>, sqlx::Error>;
    fn text(&self, col: &str) -> Result<String, sqlx::Error>;
    fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error>;
    fn i64(&self, col: &str) -> Result<i64, sqlx::Error>;
    fn opt_i64(&self, col: &str) -> Result<Option<i64>, sqlx::Error>;
    fn bool(&self, col: &str) -> Result<bool, sqlx::Error>;
    fn time(&self, col: &str) -> Result<DateTime<Utc>, sqlx::Error>;
    fn opt_time(&self, col: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error>;
    /// The first column as an integer (counts, `SELECT 1`).
    fn first_i64(&self) -> Result<i64, sqlx::Error>;
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_placeholders_become_positional_outside_quotes() {
        assert_eq!(
            super::sqlite_placeholders("SELECT '$1', a FROM t WHERE b = $1 AND c IN ($2, $10)"),
            "SELECT '$1', a FROM t WHERE b = ?1 AND c IN (?2, ?10)"
        );
        assert_eq!(
            super::sqlite_placeholders("INSERT INTO t VALUES ($1, $2), ($3, $4)"),
            "INSERT INTO t VALUES (?, ?), (?, ?)"
        );
        assert_eq!(super::sqlite_placeholders("SELECT 1"), "SELECT 1");
    }
}

macro_rules! row_ext {
    ($row:ty) => {
        impl RowExt for $row {
            fn uuid(&self, col: &str) -> Result<Uuid, sqlx::Error> {
                self.try_get(col)
            }
            fn opt_uuid(&self, col: &str) -> Result<Option<Uuid>, sqlx::Error> {
                self.try_get(col)
            }
            fn text(&self, col: &str) -> Result<String, sqlx::Error> {
                self.try_get(col)
            }
            fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error> {
                self.try_get(col)
            }
            fn i64(&self, col: &str) -> Result<i64, sqlx::Error> {
                self.try_get(col)
            }
            fn opt_i64(&self, col: &str) -> Result<Option<i64>, sqlx::Error> {
                self.try_get(col)
            }
            fn bool(&self, col: &str) -> Result<bool, sqlx::Error> {
                self.try_get(col)
            }
            fn time(&self, col: &str) -> Result<DateTime<Utc>, sqlx::Error> {
                self.try_get(col)
            }
            fn opt_time(&self, col: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
                self.try_get(col)
            }
            fn first_i64(&self) -> Result<i64, sqlx::Error> {
                self.try_get(0usize)
            }
        }
    };
}
row_ext!(SqliteRow);
row_ext!(PgRow);

/// A type read from one row, the same code for both backends.
pub trait FromDbRow: Sized {
    fn from_row<R: RowExt>(row: &R) -> Result<Self, sqlx::Error>;
}

impl FromDbRow for i64 {
    fn from_row<R: RowExt>(row: &R) -> Result<Self, sqlx::Error> {
        row.first_i64()
    }
}
