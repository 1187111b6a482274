//! Liaison's storage: one `Db` over SQLite (embedded default) or PostgreSQL, with the same SQL
//! text for both (DESIGN database rules). Queries are built as a `Q` (SQL plus portable values)
//! and bound per backend here, so domain modules never fork on the dialect unless they must.
//!
//! Error policy: every function returns `DbError`; unique violations become `Conflict`, a
//! missing or out-of-scope row is `NotFound`; driver text never leaves this crate except in logs.

/// `from_row!(Review; id: uuid, step: text, reviewer_name: opt_text)`: a row type whose
/// fields are columns of the same name, each read with the named `RowExt` getter, decodes with
/// no more code than that list. A field may name its column (`sent_at: time("created_at")`),
/// map the value (`late: i64 -> |n| n > 0`) or decode it with a function that can refuse it
/// (`state: text => parsed(RequestState::parse)`): a row that does not decode is an error.
/// `from_row!(IdRow(id: uuid))` is the same for a tuple struct, one field a column in order.
/// Rows that need more (decryption, several columns in one field) implement `FromDbRow` by
/// hand.
macro_rules! from_row {
    ($t:ident; $($field:ident: $get:ident $(($col:literal))? $(-> $map:expr)? $(=> $try:expr)?),+ $(,)?) => {
        impl $crate::FromDbRow for $t {
            fn from_row<R: $crate::RowExt>(r: &R) -> Result<Self, sqlx::Error> {
                Ok(Self { $($field: from_row!(@value
                    r.$get(from_row!(@column $field $($col)?))? $(; map $map)? $(; try $try)?)),+ })
            }
        }
    };
    ($t:ident($($field:ident: $get:ident $(($col:literal))? $(-> $map:expr)? $(=> $try:expr)?),+ $(,)?)) => {
        impl $crate::FromDbRow for $t {
            fn from_row<R: $crate::RowExt>(r: &R) -> Result<Self, sqlx::Error> {
                Ok(Self($(from_row!(@value
                    r.$get(from_row!(@column $field $($col)?))? $(; map $map)? $(; try $try)?)),+))
            }
        }
    };
    (@column $field:ident) => { stringify!($field) };
    (@column $field:ident $col:literal) => { $col };
    (@value $v:expr) => { $v };
    (@value $v:expr; map $map:expr) => { ($map)($v) };
    (@value $v:expr; try $try:expr) => { ($try)($v)? };
}

pub mod access;
pub mod account;
pub mod api_token;
pub mod attachment;
pub mod audit;
pub mod backup;
pub mod calendar;
pub mod crypto;
pub mod data;
pub mod delivery;
mod error;
pub mod events;
pub mod feedback;
pub mod history;
pub mod home;
pub mod idempotency;
pub mod inbox;
pub mod incidents;
pub mod job;
mod kept;
pub mod kpi;
pub mod launch;
pub mod link;
pub mod meetings;
mod migrate;
pub mod nda;
pub mod notify;
pub mod offline;
pub mod partner;
pub mod password;
pub mod policies;
pub mod product;
mod query;
pub mod request;
pub mod robot;
pub mod search;
pub mod segment;
pub mod settings;
pub mod surveys;
pub mod testing;
pub mod thread;
pub mod tickets;
pub mod user;

pub use error::DbError;
pub use query::{FromDbRow, Q, RowExt, Val, q};

use chrono::{DateTime, Utc};
use liaison_core::Clock;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// Which database a `Db` talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
enum Pools {
    /// One writer connection (writes are serialised by SQLite anyway) and a reader pool; WAL
    /// lets readers run beside the writer.
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
    Postgres(PgPool),
}

/// The database handle shared by the whole process.
#[derive(Clone)]
pub struct Db {
    pools: Pools,
    clock: Arc<dyn Clock>,
    cipher: Option<Arc<crypto::Cipher>>,
    /// Wakes an idle worker of this process when work is queued (DESIGN "Wake-ups").
    wake: Arc<tokio::sync::Notify>,
    /// The working-hours calendar as last read, and when (`calendar::load`).
    calendar: Arc<std::sync::Mutex<Option<(std::time::Instant, liaison_core::calendar::Calendar)>>>,
    /// Writes new tickets together (`tickets::insert_ticket`), started on first use.
    ticket_writer: Arc<std::sync::OnceLock<tickets::TicketWriter>>,
    /// Counts kept between views while nothing they read was written (`Db::kept`).
    kept: Arc<kept::Kept>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({:?})", self.backend())
    }
}

/// An open write transaction. Dropping it without `commit` rolls back.
pub enum Tx {
    Sqlite(Transaction<'static, sqlx::Sqlite>),
    Postgres(Transaction<'static, sqlx::Postgres>),
}

impl Db {
    /// Opens `url` (`sqlite://path`, `sqlite::memory:`, `postgres://...`), creating a SQLite file
    /// and its folder when missing. Does not migrate.
    pub async fn connect(url: &str, clock: Arc<dyn Clock>) -> Result<Self> {
        let pools = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)
                .map_err(|e| DbError::Config(format!("bad PostgreSQL URL: {e}")))?
                .log_statements(tracing::log::LevelFilter::Trace);
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Pools::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| DbError::Config(format!("bad SQLite URL: {e}")))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .log_statements(tracing::log::LevelFilter::Trace);
            if let Some(parent) = opts.get_filename().parent()
                && !parent.as_os_str().is_empty()
                && opts.get_filename() != std::path::Path::new(":memory:")
            {
                std::fs::create_dir_all(parent).map_err(|e| {
                    DbError::Config(format!("cannot create folder {}: {e}", parent.display()))
                })?;
            }
            let memory = url.contains(":memory:");
            // The writer keeps statement journals in memory: a multi-row insert saves the first
            // copy of each page it changes there, to undo that statement alone if it fails; in
            // a temporary file that is ~100 MB of writes for `liaison demo --partners 100000`.
            // No ping before each use (sqlx's default): a SQLite connection is a file in this
            // process, not a socket that can drop, and the ping is one more hand-over to the
            // connection's thread for every statement (issue 12's figures).
            let writer = SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .acquire_timeout(Duration::from_secs(30))
                // Page caches are bounded so memory does not follow the database's growth
                // (issue 10's soak): pages not cached are read from the operating system's
                // file cache. The writer keeps 8 MiB (its recent pages); each of 4 readers 4 MiB
                // (two cores: more readers only split the same hot pages over more caches).
                .connect_with(
                    opts.clone()
                        .pragma("temp_store", "memory")
                        .pragma("cache_size", "-8192"),
                )
                .await?;
            // An in-memory database exists once per connection: readers must share the writer.
            let reader = if memory {
                writer.clone()
            } else {
                SqlitePoolOptions::new()
                    .test_before_acquire(false)
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(opts.read_only(true).pragma("cache_size", "-4096"))
                    .await?
            };
            Pools::Sqlite { writer, reader }
        } else {
            return Err(DbError::Config(format!(
                "unsupported database URL '{}': use sqlite://PATH or postgres://USER@HOST/DB",
                url.split('@').next_back().unwrap_or(url)
            )));
        };
        Ok(Self {
            pools,
            clock,
            cipher: None,
            wake: Arc::new(tokio::sync::Notify::new()),
            calendar: Arc::new(std::sync::Mutex::new(None)),
            ticket_writer: Arc::new(std::sync::OnceLock::new()),
            kept: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Sets the key that encrypts confidential content at rest.
    pub fn with_cipher(mut self, cipher: crypto::Cipher) -> Self {
        self.cipher = Some(Arc::new(cipher));
        self
    }

    /// The same database (pools, key, wake-ups) reading time from `clock`: for work that must
    /// be stamped at another time than now, such as history written through the operations.
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            ..self.clone()
        }
    }

    /// The encryption key; confidential content cannot be stored or read without one.
    pub fn cipher(&self) -> Result<&crypto::Cipher> {
        self.cipher.as_deref().ok_or_else(|| {
            DbError::Config(
                "no encryption key is configured (LIAISON_KEY or LIAISON_KEY_FILE)".into(),
            )
        })
    }

    /// Encrypts `value` for the column `column` (`table:col`) of the row `id`: its place is the
    /// associated data, so a value copied to another row or column does not open.
    pub(crate) fn seal(&self, column: &str, id: Uuid, value: &str) -> Result<String> {
        self.cipher()?
            .encrypt(&format!("{column}:{id}"), value)
            .map_err(|e| DbError::Config(e.to_string()))
    }

    /// Decrypts what `seal` stored for the column `column` of the row `id`.
    pub(crate) fn open(&self, column: &str, id: Uuid, stored: &str) -> Result<String> {
        self.cipher()?
            .decrypt(&format!("{column}:{id}"), stored)
            .map_err(|e| DbError::Config(e.to_string()))
    }

    /// Work was queued: an idle worker of this process looks at once. Other processes hear
    /// of it through PostgreSQL's NOTIFY (`Tx::notify_work`), or poll.
    pub fn wake_workers(&self) {
        self.wake.notify_one();
    }

    /// Waits until work may have arrived (a wake of this process, a NOTIFY from another
    /// one when `listen_for_work` runs) or `max` has passed.
    pub async fn work_arrived(&self, max: Duration) {
        tokio::select! {
            _ = self.wake.notified() => {}
            _ = tokio::time::sleep(max) => {}
        }
    }

    /// On PostgreSQL, a task that turns `NOTIFY liaison_work` from any instance into wakes of
    /// this process's worker; reconnects when the connection drops. `None` on SQLite.
    pub fn listen_for_work(&self) -> Option<tokio::task::JoinHandle<()>> {
        let Pools::Postgres(pool) = &self.pools else {
            return None;
        };
        let pool = pool.clone();
        let wake = self.wake.clone();
        Some(tokio::spawn(async move {
            loop {
                match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(mut l) => {
                        if l.listen("liaison_work").await.is_ok() {
                            while l.recv().await.is_ok() {
                                wake.notify_one();
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot listen for work; polling"),
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }))
    }

    /// The calendar read less than `max_age` ago, if any.
    pub(crate) fn kept_calendar(
        &self,
        max_age: std::time::Duration,
    ) -> Option<liaison_core::calendar::Calendar> {
        let kept = self.calendar.lock().ok()?;
        kept.as_ref()
            .filter(|(at, _)| at.elapsed() < max_age)
            .map(|(_, c)| c.clone())
    }

    pub(crate) fn keep_calendar(&self, c: liaison_core::calendar::Calendar) {
        if let Ok(mut kept) = self.calendar.lock() {
            *kept = Some((std::time::Instant::now(), c));
        }
    }

    /// Forgets the kept calendar (after an edit).
    pub(crate) fn forget_calendar(&self) {
        if let Ok(mut kept) = self.calendar.lock() {
            *kept = None;
        }
    }

    /// The process's ticket writer, started on the current runtime on first use. Its task
    /// holds a copy of this handle without the writer, so it ends with the runtime.
    pub(crate) fn ticket_writer(&self) -> &tickets::TicketWriter {
        self.ticket_writer.get_or_init(|| {
            tickets::TicketWriter::spawn(Db {
                ticket_writer: Arc::new(std::sync::OnceLock::new()),
                ..self.clone()
            })
        })
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE` on SQLite's single writer).
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match &self.pools {
            Pools::Sqlite { writer, .. } => Tx::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?),
            Pools::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub async fn fetch_all<T: FromDbRow>(&self, q: Q) -> Result<Vec<T>> {
        let rows = match &self.pools {
            Pools::Sqlite { reader, .. } => {
                let rows = query::bind_sqlite(q).fetch_all(reader).await?;
                rows.iter()
                    .map(T::from_row)
                    .collect::<Result<Vec<_>, _>>()?
            }
            Pools::Postgres(p) => {
                let rows = query::bind_pg(q).fetch_all(p).await?;
                rows.iter()
                    .map(T::from_row)
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        Ok(rows)
    }

    pub async fn fetch_optional<T: FromDbRow>(&self, q: Q) -> Result<Option<T>> {
        Ok(match &self.pools {
            Pools::Sqlite { reader, .. } => {
                match query::bind_sqlite(q).fetch_optional(reader).await? {
                    Some(r) => Some(T::from_row(&r)?),
                    None => None,
                }
            }
            Pools::Postgres(p) => match query::bind_pg(q).fetch_optional(p).await? {
                Some(r) => Some(T::from_row(&r)?),
                None => None,
            },
        })
    }

    pub async fn fetch_one<T: FromDbRow>(&self, q: Q) -> Result<T> {
        self.fetch_optional(q).await?.ok_or(DbError::NotFound)
    }

    /// Runs one statement in a write transaction of its own; returns the rows it touched.
    pub(crate) async fn execute(&self, q: Q) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = tx.execute(q).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The shape of most single-record writes, in a transaction of their own: `statement`,
    /// stamped with the time it is given, must change a row (`NotFound` otherwise), and `entry`
    /// records the change in the audit chain with it (§7.2.1). Returns that time.
    pub(crate) async fn write_one(
        &self,
        statement: impl FnOnce(DateTime<Utc>) -> Q,
        entry: audit::Entry<'_>,
    ) -> Result<DateTime<Utc>> {
        let now = self.now();
        let mut tx = self.begin().await?;
        tx.execute_one(statement(now)).await?;
        tx.commit_audited(now, entry).await?;
        Ok(now)
    }

    /// Answers whether the database can be reached (for `/readyz`).
    pub async fn ping(&self) -> bool {
        self.fetch_optional::<i64>(q("SELECT CAST(1 AS BIGINT)"))
            .await
            .is_ok()
    }

    /// Applies pending migrations; returns the versions now applied.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        migrate::run(self).await
    }

    /// The migration versions shipped for this backend.
    pub fn migration_versions(backend: Backend) -> Vec<i64> {
        migrate::versions(backend)
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Pools::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs a statement; returns the rows it touched.
    pub async fn execute(&mut self, q: Q) -> Result<u64> {
        Ok(match self {
            Tx::Sqlite(t) => query::bind_sqlite(q)
                .execute(&mut **t)
                .await?
                .rows_affected(),
            Tx::Postgres(t) => query::bind_pg(q).execute(&mut **t).await?.rows_affected(),
        })
    }

    pub async fn fetch_all<T: FromDbRow>(&mut self, q: Q) -> Result<Vec<T>> {
        Ok(match self {
            Tx::Sqlite(t) => {
                let rows = query::bind_sqlite(q).fetch_all(&mut **t).await?;
                rows.iter()
                    .map(T::from_row)
                    .collect::<Result<Vec<_>, _>>()?
            }
            Tx::Postgres(t) => {
                let rows = query::bind_pg(q).fetch_all(&mut **t).await?;
                rows.iter()
                    .map(T::from_row)
                    .collect::<Result<Vec<_>, _>>()?
            }
        })
    }

    pub async fn fetch_optional<T: FromDbRow>(&mut self, q: Q) -> Result<Option<T>> {
        Ok(match self {
            Tx::Sqlite(t) => match query::bind_sqlite(q).fetch_optional(&mut **t).await? {
                Some(r) => Some(T::from_row(&r)?),
                None => None,
            },
            Tx::Postgres(t) => match query::bind_pg(q).fetch_optional(&mut **t).await? {
                Some(r) => Some(T::from_row(&r)?),
                None => None,
            },
        })
    }

    pub async fn fetch_one<T: FromDbRow>(&mut self, q: Q) -> Result<T> {
        self.fetch_optional(q).await?.ok_or(DbError::NotFound)
    }

    /// Tells the workers of every instance, when this transaction commits, that work is
    /// queued (PostgreSQL NOTIFY; nothing on SQLite, whose workers share this process).
    pub async fn notify_work(&mut self) -> Result<()> {
        if let Tx::Postgres(_) = self {
            self.fetch_optional::<Unit>(q(
                "SELECT CAST(pg_notify('liaison_work', '') AS TEXT) AS n",
            ))
            .await?;
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Commits, or on a dry run undoes everything: a dry run is the real run rolled back, so
    /// it meets every check the real one would (issue 10) and reports what it would have done.
    pub async fn finish(self, dry_run: bool) -> Result<()> {
        if !dry_run {
            return self.commit().await;
        }
        match self {
            Tx::Sqlite(t) => t.rollback().await?,
            Tx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }

    /// Runs a statement that must change a row: none changed is `NotFound`.
    pub async fn execute_one(&mut self, q: Q) -> Result<()> {
        match self.execute(q).await? {
            0 => Err(DbError::NotFound),
            _ => Ok(()),
        }
    }

    /// Runs an update guarded by the version its caller read: no row changed means someone
    /// else changed the record first, a conflict that says `why`.
    pub async fn execute_versioned(&mut self, q: Q, why: &str) -> Result<()> {
        match self.execute(q).await? {
            0 => Err(DbError::Conflict(why.to_string())),
            _ => Ok(()),
        }
    }

    /// Appends the change's audit entry (§7.2.1) and commits: the change and its record land
    /// together or not at all.
    pub async fn commit_audited(
        mut self,
        at: DateTime<Utc>,
        entry: audit::Entry<'_>,
    ) -> Result<()> {
        audit::append(&mut self, at, entry).await?;
        self.commit().await
    }
}

/// Runs `write` again when its transaction fails (a deadlock with another writer on
/// PostgreSQL, a busy SQLite), up to three more times: for writes that record work already
/// done (a sent batch, a finished job), which must not be done twice because its record was
/// lost. Bad input and configuration errors are not tried again.
pub(crate) async fn retrying<T, F>(what: &str, mut write: impl FnMut() -> F) -> Result<T>
where
    F: std::future::Future<Output = Result<T>>,
{
    let mut tries = 0;
    loop {
        match write().await {
            Err(e) if tries < 3 && !matches!(e, DbError::Invalid(_) | DbError::Config(_)) => {
                tries += 1;
                tracing::warn!(error = %e, tries, "{what} failed; trying again");
                tokio::time::sleep(Duration::from_millis(50 * tries)).await;
            }
            done => return done,
        }
    }
}

/// An optional input field's text, trimmed; `None` when it is missing or blank.
pub(crate) fn given(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A fresh random token, URL-safe base64 of 32 random bytes.
pub fn random_token() -> Result<String> {
    use base64::Engine;
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| DbError::Config(format!("no randomness: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

/// SHA-256 of `s`, lowercase hex.
pub fn sha256_hex(s: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s))
}

impl Tx {
    /// Runs a script of several statements (migrations); no placeholders.
    pub(crate) async fn execute_script(&mut self, sql: &'static str) -> Result<()> {
        match self {
            Tx::Sqlite(t) => {
                sqlx::raw_sql(sql).execute(&mut **t).await?;
            }
            Tx::Postgres(t) => {
                sqlx::raw_sql(sql).execute(&mut **t).await?;
            }
        }
        Ok(())
    }
}

/// A row read only for its side effect.
struct Unit;
impl FromDbRow for Unit {
    fn from_row<R: RowExt>(_: &R) -> Result<Self, sqlx::Error> {
        Ok(Unit)
    }
}
