//! Embedded migrations, one folder per backend with the same version numbers (a test checks
//! that), applied in order inside one transaction each and recorded in `schema_migrations`.

use crate::{Backend, Db, DbError, Result, q, sha256_hex};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

macro_rules! migrations {
    ($($v:literal $name:literal),* $(,)?) => {
        &[$(Migration {
            version: $v,
            name: $name,
            sqlite: include_str!(concat!("../migrations/sqlite/", $name, ".sql")),
            postgres: include_str!(concat!("../migrations/postgres/", $name, ".sql")),
        }),*]
    };
}

const MIGRATIONS: &[Migration] = migrations![1 "0001_foundation", 2 "0002_idempotency", 3 "0003_requests", 4 "0004_threads", 5 "0005_ndas", 6 "0006_attachments", 7 "0007_settings", 8 "0008_delivery", 9 "0009_calendar", 10 "0010_search", 11 "0011_notifications", 12 "0012_user_zone", 13 "0013_robot_window", 14 "0014_inbox_page", 15 "0015_inbox_open", 16 "0016_policies", 17 "0017_products", 18 "0018_tickets", 19 "0019_ticket_queue", 20 "0020_data", 21 "0021_meetings", 22 "0022_account_security", 23 "0023_api_tokens", 24 "0024_confidentiality", 25 "0025_kpi", 26 "0026_surveys", 28 "0028_home_indexes", 29 "0029_policy_classification", 35 "0035_kpi_rollup", 40 "0040_read_version", 41 "0041_search_sealed"];

/// The migration that creates the search index; the rows already stored are indexed right
/// after it, in the same transaction (terms are computed in Rust, not in SQL).
const SEARCH_INDEX_VERSION: i64 = 10;
/// The migration after which sealed tickets and meetings are indexed again by title only.
const SEARCH_SEALED_VERSION: i64 = 41;

pub(crate) fn versions(_backend: Backend) -> Vec<i64> {
    MIGRATIONS.iter().map(|m| m.version).collect()
}

/// Applies what is pending in one transaction. On PostgreSQL an advisory lock makes concurrent
/// runs (several instances starting at once) wait for each other; SQLite's single writer does
/// the same by itself.
pub(crate) async fn run(db: &Db) -> Result<Vec<i64>> {
    let mut tx = db.begin().await?;
    if db.backend() == Backend::Postgres {
        tx.fetch_optional::<Unit>(q("SELECT pg_advisory_xact_lock(7327274661)"))
            .await?;
    }
    tx.execute_script(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )
    .await?;
    let applied: Vec<AppliedRow> = tx
        .fetch_all(q(
            "SELECT version, checksum FROM schema_migrations ORDER BY version",
        ))
        .await?;
    let known: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
    if let Some(unknown) = applied.iter().find(|a| !known.contains(&a.version)) {
        return Err(DbError::Migrate(format!(
            "the database has migration {} which this build of Liaison does not know: run a newer liaison",
            unknown.version
        )));
    }
    let mut versions: Vec<i64> = applied.iter().map(|a| a.version).collect();
    for m in MIGRATIONS {
        let sql = match db.backend() {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        let checksum = sha256_hex(sql.as_bytes());
        if let Some(a) = applied.iter().find(|a| a.version == m.version) {
            if a.checksum != checksum {
                return Err(DbError::Migrate(format!(
                    "migration {} ({}) was changed after it was applied",
                    m.version, m.name
                )));
            }
            continue;
        }
        tx.execute_script(sql)
            .await
            .map_err(|e| DbError::Migrate(format!("{} failed: {e}", m.name)))?;
        if m.version == SEARCH_INDEX_VERSION {
            crate::search::reindex(&mut tx)
                .await
                .map_err(|e| DbError::Migrate(format!("{}: indexing failed: {e}", m.name)))?;
        }
        if m.version == SEARCH_SEALED_VERSION {
            crate::search::reindex_sealed(&mut tx)
                .await
                .map_err(|e| DbError::Migrate(format!("{}: indexing failed: {e}", m.name)))?;
        }
        tx.execute(
            q("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)")
                .bind(m.version)
                .bind(m.name)
                .bind(checksum)
                .bind(db.now().to_rfc3339()),
        )
        .await?;
        tracing::info!(version = m.version, name = m.name, "migration applied");
        versions.push(m.version);
    }
    tx.commit().await?;
    versions.sort_unstable();
    Ok(versions)
}

struct Unit;
impl crate::FromDbRow for Unit {
    fn from_row<R: crate::RowExt>(_: &R) -> Result<Self, sqlx::Error> {
        Ok(Unit)
    }
}

struct AppliedRow {
    version: i64,
    checksum: String,
}

impl crate::FromDbRow for AppliedRow {
    fn from_row<R: crate::RowExt>(row: &R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            version: row.i64("version")?,
            checksum: row.text("checksum")?,
        })
    }
}
