//! Portable queries: SQL text with `$n` placeholders and owned values, bound for whichever
//! backend runs it, and rows read through one small trait both backends implement.

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{AssertSqlSafe, Encode, Row, Type};
use std::borrow::Cow;
use uuid::Uuid;

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Uuid(Option<Uuid>),
    Text(Option<String>),
    I64(Option<i64>),
    Bool(Option<bool>),
    Time(Option<DateTime<Utc>>),
    F64(Option<f64>),
}

macro_rules! val_from {
    ($($t:ty => $v:ident),*) => {$(
        impl From<$t> for Val { fn from(x: $t) -> Self { Val::$v(Some(x.into())) } }
        impl From<Option<$t>> for Val { fn from(x: Option<$t>) -> Self { Val::$v(x.map(Into::into)) } }
    )*};
}
val_from!(Uuid => Uuid, String => Text, &str => Text, i64 => I64, DateTime<Utc> => Time, f64 => F64);

impl From<&String> for Val {
    fn from(x: &String) -> Self {
        Val::Text(Some(x.clone()))
    }
}
impl From<Option<bool>> for Val {
    fn from(x: Option<bool>) -> Self {
        Val::Bool(x)
    }
}
impl From<bool> for Val {
    fn from(x: bool) -> Self {
        Val::Bool(Some(x))
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

    /// Appends ` AND {cond} $n` with `v` bound to it: `query.and("r.requester_id =", user)`.
    pub fn and(&mut self, cond: &str, v: impl Into<Val>) {
        let a = self.arg(v);
        self.push_sql(&format!(" AND {cond} {a}"));
    }

    /// `and` when there is a value: optional filters, and the keyset of the page before
    /// (`query.and_some("r.id <", before)`).
    pub fn and_some<V: Into<Val>>(&mut self, cond: &str, v: Option<V>) {
        if let Some(v) = v {
            self.and(cond, v);
        }
    }

    /// Appends ` ORDER BY {order} LIMIT $n`: the end of a list query.
    pub fn order_limit(&mut self, order: &str, limit: i64) {
        let l = self.arg(limit);
        self.push_sql(&format!(" ORDER BY {order} LIMIT {l}"));
    }

    /// A query around a list of values: `make` gets the `(...)` of their placeholders
    /// (`|list| format!("SELECT ... WHERE id IN {list}")`).
    pub fn over_list<V: Into<Val>>(
        vals: impl IntoIterator<Item = V>,
        make: impl FnOnce(&str) -> String,
    ) -> Q {
        let mut query = Q::dynamic(String::new());
        let list = query.in_list(vals);
        query.replace_sql(make(&list))
    }

    /// `(...)` over `vals`, bound to this query, for `IN`; `(NULL)` (matching nothing) when
    /// there are none.
    pub fn in_list<V: Into<Val>>(&mut self, vals: impl IntoIterator<Item = V>) -> String {
        let ph: Vec<String> = vals.into_iter().map(|v| self.arg(v)).collect();
        if ph.is_empty() {
            "(NULL)".into()
        } else {
            format!("({})", ph.join(", "))
        }
    }
}

/// A column that does not decode: the row is an error, never a default.
pub(crate) fn decode_error(col: &str, e: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: col.to_string(),
        source: e.to_string().into(),
    }
}

/// For `from_row!`: text read by a core type's `parse` (states, kinds, roles).
pub(crate) fn parsed<T, E: std::fmt::Display>(
    parse: impl Fn(&str) -> Result<T, E>,
) -> impl Fn(String) -> Result<T, sqlx::Error> {
    move |s| parse(&s).map_err(|e| sqlx::Error::Decode(e.to_string().into()))
}

/// For `from_row!`: a JSON column.
pub(crate) fn json<T: serde::de::DeserializeOwned>(s: impl AsRef<str>) -> Result<T, sqlx::Error> {
    serde_json::from_str(s.as_ref()).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// For `from_row!`: a comma-separated list column (`a,b,c`; empty is none).
pub(crate) fn comma_list(s: String) -> Vec<String> {
    s.split(',')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// SQLite keeps times as fixed-width RFC 3339 text so that they sort as they compare:
/// `2026-12-04T16:22:23.123456Z`, microseconds cut, not rounded. Written by hand, as chrono's
/// `%Y-%m-%dT%H:%M:%S%.6fZ` would write it (bulk inserts write hundreds of thousands); years
/// outside 0-9999 and leap seconds, which do not fit the fixed width, go through chrono.
pub fn sqlite_time(t: &DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let (year, nanos) = (t.year(), t.nanosecond());
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    }
    let mut b = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for i in (at..at + width).rev() {
            b[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year.unsigned_abs());
    put(5, 2, t.month());
    put(8, 2, t.day());
    put(11, 2, t.hour());
    put(14, 2, t.minute());
    put(17, 2, t.second());
    put(20, 6, nanos / 1000);
    b.iter().map(|&c| char::from(c)).collect()
}

/// `($1, $2), ($3, $4)`: `rows` rows of `cols` placeholders, for a multi-row `INSERT` whose
/// values are then bound row by row. The same size gives the same text, so the statement is
/// prepared once and reused.
pub(crate) fn values_sql(cols: usize, rows: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 8);
    let mut n = 0;
    for r in 0..rows {
        s.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            n += 1;
            s.push_str(if c == 0 { "$" } else { ", $" });
            push_number(&mut s, n);
        }
        s.push(')');
    }
    s
}

/// Appends `n` in decimal without the formatting machinery (`values_sql` writes thousands).
fn push_number(s: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    s.extend(digits[i..].iter().map(|&d| char::from(d)));
}

/// A statement as SQLite should see it: its SQL and the values to bind.
///
/// - SQLite looks each numbered parameter (`$N` or `?N`) up in a list while parsing, which is
///   quadratic in their number (a 500-row insert has 8,500 of them and then costs more to
///   parse than to run); anonymous `?` parameters are not looked up. So when the placeholders
///   are exactly `$1, $2, ... $n` in order, they become `?`; otherwise (a value used twice)
///   they become `?N`.
/// - A `LIMIT $N` or `OFFSET $N` of an integer is written into the SQL as its number. SQLite
///   (3.47 and later) plans a bound LIMIT as a constant and marks the statement to be compiled
///   again whenever that parameter is bound, and sqlx binds every parameter on every call:
///   every list page was parsed and planned anew (issue 12: 15 % of an API list's time).
pub(crate) fn sqlite_statement(sql: &str, args: Vec<Val>) -> (String, Vec<Val>) {
    // Each placeholder: where it starts and ends, its number, and whether a LIMIT or OFFSET
    // keyword is right before it.
    let mut found: Vec<(usize, usize, usize, bool)> = Vec::new();
    let (mut quoted, mut i) = (false, 0);
    let bytes = sql.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'$' if !quoted && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
                let n = sql[i + 1..j].parse::<usize>().unwrap_or(0);
                let before = sql[..i].trim_end();
                let word_start = before
                    .rfind(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                    .map_or(0, |k| k + 1);
                let word = &before[word_start..];
                let limit =
                    word.eq_ignore_ascii_case("LIMIT") || word.eq_ignore_ascii_case("OFFSET");
                found.push((i, j, n, limit));
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    // Numbers written in as literals: every use of them is a LIMIT or OFFSET, of an integer.
    let literal = |n: usize| -> Option<i64> {
        match args.get(n.checked_sub(1)?) {
            Some(Val::I64(Some(v))) if found.iter().filter(|f| f.2 == n).all(|f| f.3) => Some(*v),
            _ => None,
        }
    };
    let inlined: Vec<usize> = (1..=args.len()).filter(|n| literal(*n).is_some()).collect();
    let renumber = |n: usize| n - inlined.iter().filter(|k| **k < n).count();
    let bound: Vec<usize> = found
        .iter()
        .filter(|f| !inlined.contains(&f.2))
        .map(|f| renumber(f.2))
        .collect();
    let sequential = bound.iter().enumerate().all(|(k, n)| *n == k + 1);
    let mut out = String::with_capacity(sql.len());
    let mut last = 0;
    for (start, end, n, _) in &found {
        out.push_str(&sql[last..*start]);
        match literal(*n) {
            Some(v) => out.push_str(&v.to_string()),
            None => {
                out.push('?');
                if !sequential {
                    out.push_str(&renumber(*n).to_string());
                }
            }
        }
        last = *end;
    }
    out.push_str(&sql[last..]);
    let args = if inlined.is_empty() {
        args
    } else {
        args.into_iter()
            .enumerate()
            .filter(|(k, _)| !inlined.contains(&(k + 1)))
            .map(|(_, v)| v)
            .collect()
    };
    (out, args)
}

pub(crate) fn bind_sqlite(q: Q) -> Query<'static, sqlx::Sqlite, SqliteArguments> {
    let (sql, args) = sqlite_statement(&q.sql, q.args);
    bind_all(sql, args, |t| t.as_ref().map(sqlite_time))
}

pub(crate) fn bind_pg(q: Q) -> Query<'static, sqlx::Postgres, PgArguments> {
    bind_all(q.sql.into_owned(), q.args, |t| t)
}

/// `sql` with `args` bound for the backend `DB`, times as `time` writes them.
fn bind_all<DB, T>(
    sql: String,
    args: Vec<Val>,
    time: fn(Option<DateTime<Utc>>) -> T,
) -> Query<'static, DB, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    Option<Uuid>: for<'t> Encode<'t, DB> + Type<DB>,
    Option<String>: for<'t> Encode<'t, DB> + Type<DB>,
    Option<i64>: for<'t> Encode<'t, DB> + Type<DB>,
    Option<f64>: for<'t> Encode<'t, DB> + Type<DB>,
    Option<bool>: for<'t> Encode<'t, DB> + Type<DB>,
    T: for<'t> Encode<'t, DB> + Type<DB>,
{
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for v in args {
        query = match v {
            Val::Uuid(x) => query.bind(x),
            Val::Text(x) => query.bind(x),
            Val::I64(x) => query.bind(x),
            Val::Bool(x) => query.bind(x),
            Val::Time(x) => query.bind(time(x)),
            Val::F64(x) => query.bind(x),
        };
    }
    query
}

/// Typed column access that reads the same on both backends: `r.text("name")`, one getter
/// a type (`uuid`, `opt_uuid`, `text`, `opt_text`, `i64`, `opt_i64`, `bool`, `time`,
/// `opt_time`), and the first column as an integer (`first_i64`: counts, `SELECT 1`).
macro_rules! row_ext {
    ($($get:ident: $t:ty),* $(,)?) => {
        pub trait RowExt {
            $(fn $get(&self, col: &str) -> Result<$t, sqlx::Error>;)*
            fn first_i64(&self) -> Result<i64, sqlx::Error>;
            fn first_uuid(&self) -> Result<Uuid, sqlx::Error>;
            fn first_text(&self) -> Result<String, sqlx::Error>;
        }
        row_ext!(@impl SqliteRow; $($get: $t),*);
        row_ext!(@impl PgRow; $($get: $t),*);
    };
    (@impl $row:ty; $($get:ident: $t:ty),*) => {
        impl RowExt for $row {
            $(fn $get(&self, col: &str) -> Result<$t, sqlx::Error> {
                self.try_get(col)
            })*
            fn first_i64(&self) -> Result<i64, sqlx::Error> {
                self.try_get(0usize)
            }
            fn first_uuid(&self) -> Result<Uuid, sqlx::Error> {
                self.try_get(0usize)
            }
            fn first_text(&self) -> Result<String, sqlx::Error> {
                self.try_get(0usize)
            }
        }
    };
}
row_ext!(uuid: Uuid, opt_uuid: Option<Uuid>, text: String, opt_text: Option<String>, i64: i64,
    opt_i64: Option<i64>, bool: bool, time: DateTime<Utc>, opt_time: Option<DateTime<Utc>>,
    f64: f64, opt_f64: Option<f64>, opt_bool: Option<bool>);

/// A type read from one row, the same code for both backends.
pub trait FromDbRow: Sized {
    fn from_row<R: RowExt>(row: &R) -> Result<Self, sqlx::Error>;
}

impl FromDbRow for i64 {
    fn from_row<R: RowExt>(row: &R) -> Result<Self, sqlx::Error> {
        row.first_i64()
    }
}

/// The first column as an id (`SELECT id FROM ...`).
impl FromDbRow for Uuid {
    fn from_row<R: RowExt>(row: &R) -> Result<Self, sqlx::Error> {
        row.first_uuid()
    }
}

/// The first column as text.
impl FromDbRow for String {
    fn from_row<R: RowExt>(row: &R) -> Result<Self, sqlx::Error> {
        row.first_text()
    }
}

#[cfg(test)]
mod tests {
    use super::Val;

    fn sql(s: &str, args: Vec<Val>) -> String {
        super::sqlite_statement(s, args).0
    }

    #[test]
    fn sqlite_placeholders_become_positional_outside_quotes() {
        assert_eq!(
            sql(
                "SELECT '$1', a FROM t WHERE b = $1 AND c IN ($2, $10)",
                vec![]
            ),
            "SELECT '$1', a FROM t WHERE b = ?1 AND c IN (?2, ?10)"
        );
        assert_eq!(
            sql("INSERT INTO t VALUES ($1, $2), ($3, $4)", vec![]),
            "INSERT INTO t VALUES (?, ?), (?, ?)"
        );
        assert_eq!(sql("SELECT 1", vec![]), "SELECT 1");
    }

    #[test]
    fn sqlite_limits_are_written_in_and_the_rest_renumbered() {
        let text = |v: &str| Val::Text(Some(v.into()));
        // A LIMIT and an OFFSET become numbers; the parameters after them move up.
        let (s, args) = super::sqlite_statement(
            "SELECT a FROM t WHERE b = $1 LIMIT $2 OFFSET $3) x WHERE c = $4 limit\n $5",
            vec![
                text("b"),
                Val::I64(Some(25)),
                Val::I64(Some(50)),
                text("c"),
                Val::I64(Some(1)),
            ],
        );
        assert_eq!(
            s,
            "SELECT a FROM t WHERE b = ? LIMIT 25 OFFSET 50) x WHERE c = ? limit\n 1"
        );
        assert_eq!(args.len(), 2);
        assert!(matches!(&args[1], Val::Text(Some(c)) if c == "c"));
        // A number also used elsewhere, or not an integer, stays a parameter.
        assert_eq!(
            sql("SELECT $1 AS n FROM t LIMIT $1", vec![Val::I64(Some(3))]),
            "SELECT ?1 AS n FROM t LIMIT ?1"
        );
        assert_eq!(
            sql("SELECT a FROM t LIMIT $1", vec![text("3")]),
            "SELECT a FROM t LIMIT ?"
        );
        // Renumbered out of order: numbered parameters.
        assert_eq!(
            sql(
                "SELECT a FROM t WHERE b = $3 AND c = $1 LIMIT $2",
                vec![text("c"), Val::I64(Some(9)), text("b")]
            ),
            "SELECT a FROM t WHERE b = ?2 AND c = ?1 LIMIT 9"
        );
    }

    #[test]
    fn sqlite_times_are_what_chrono_writes() {
        use chrono::{Duration, TimeZone, Utc};
        let chrono = |t: &chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let at = |y, mo, d, h, mi, s| Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single();
        let times = [
            at(2026, 12, 4, 16, 22, 23).map(|t| t + Duration::nanoseconds(123_456_789)),
            at(1, 1, 1, 0, 0, 0),
            at(9999, 12, 31, 23, 59, 59).map(|t| t + Duration::nanoseconds(999_999_999)),
            at(-5, 3, 1, 0, 0, 0),
            at(12026, 3, 1, 0, 0, 0),
            Some(Utc::now()),
        ];
        for t in times.iter().flatten() {
            assert_eq!(super::sqlite_time(t), chrono(t), "{t:?}");
        }
        assert_eq!(
            times[0].as_ref().map(super::sqlite_time).as_deref(),
            Some("2026-12-04T16:22:23.123456Z")
        );
    }

    #[test]
    fn values_sql_numbers_rows_in_order() {
        assert_eq!(super::values_sql(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(super::values_sql(3, 1), "($1, $2, $3)");
        assert!(super::values_sql(3, 1000).ends_with("($2998, $2999, $3000)"));
    }
}
