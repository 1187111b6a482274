//! Test support shared by every crate's tests: a fresh, migrated database per test on SQLite,
//! and on PostgreSQL too when `LIAISON_TEST_PG_URL` is set (CI sets it). Not used by the server.

use crate::{Db, DbError, Result};
use liaison_core::{Clock, SystemClock};
use sqlx::Connection;
use std::sync::Arc;

/// The PostgreSQL server tests use, if any.
pub fn pg_url() -> Option<String> {
    std::env::var("LIAISON_TEST_PG_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// A fresh SQLite database in a temporary file (removed with the returned guard).
pub async fn sqlite(clock: Arc<dyn Clock>) -> Result<(Db, TempDir)> {
    let dir = TempDir::new()?;
    let url = format!("sqlite://{}/test.db", dir.0.display());
    let db = Db::connect(&url, clock).await?.with_cipher(test_cipher()?);
    db.migrate().await?;
    Ok((db, dir))
}

/// Creates an empty PostgreSQL database on the server at `LIAISON_TEST_PG_URL` and returns its
/// URL (for tests that start `liaison` processes against it); `None` without that server.
pub async fn fresh_postgres_url() -> Result<Option<String>> {
    let Some(base) = pg_url() else {
        return Ok(None);
    };
    let name = format!("liaison_t_{}", uuid::Uuid::now_v7().simple());
    let mut admin = sqlx::PgConnection::connect(&base).await?;
    drop_stale_databases(&mut admin).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    match base.rfind('/') {
        Some(i) if base[..i].contains("://") && i > base.find("://").map_or(0, |p| p + 2) => {
            let query = base[i..].find('?').map(|q| &base[i + q..]).unwrap_or("");
            Ok(Some(format!("{}/{name}{query}", &base[..i])))
        }
        _ => Err(DbError::Config(format!(
            "LIAISON_TEST_PG_URL needs a database path: {base}"
        ))),
    }
}

/// A fresh PostgreSQL database named after a new UUID on the server at `LIAISON_TEST_PG_URL`.
pub async fn postgres(clock: Arc<dyn Clock>) -> Result<Option<Db>> {
    let Some(url) = fresh_postgres_url().await? else {
        return Ok(None);
    };
    let db = Db::connect(&url, clock).await?.with_cipher(test_cipher()?);
    db.migrate().await?;
    Ok(Some(db))
}

/// Drops test databases left by runs more than 15 minutes ago (their names carry a UUIDv7, so
/// its time), once per process, so that repeated runs do not fill the server.
async fn drop_stale_databases(admin: &mut sqlx::PgConnection) {
    use sqlx::Row;
    static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if DONE.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let Ok(rows) = sqlx::query("SELECT datname FROM pg_database WHERE datname LIKE 'liaison_t_%'")
        .fetch_all(&mut *admin)
        .await
    else {
        return;
    };
    let cutoff = chrono::Utc::now().timestamp_millis() - 15 * 60 * 1000;
    for row in rows {
        let Ok(name) = row.try_get::<String, _>(0) else {
            continue;
        };
        let Some(hex) = name.strip_prefix("liaison_t_") else {
            continue;
        };
        let Ok(id) = uuid::Uuid::parse_str(hex) else {
            continue;
        };
        let Some(ts) = id.get_timestamp() else {
            continue;
        };
        let (secs, nanos) = ts.to_unix();
        let millis = (secs as i64) * 1000 + i64::from(nanos / 1_000_000);
        if millis < cutoff {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut *admin)
            .await;
        }
    }
}

/// Every backend available to this test run, each fresh: `("sqlite", db)` and, when
/// configured, `("postgres", db)`. Keep the guard alive for the test's length.
pub async fn all_backends_with(
    clock: Arc<dyn Clock>,
) -> Result<(Vec<(&'static str, Db)>, TempDir)> {
    crate::password::use_light_params();
    let (s, dir) = sqlite(clock.clone()).await?;
    let mut out = vec![("sqlite", s)];
    if let Some(p) = postgres(clock).await? {
        out.push(("postgres", p));
    }
    Ok((out, dir))
}

pub async fn all_backends() -> Result<(Vec<(&'static str, Db)>, TempDir)> {
    all_backends_with(Arc::new(SystemClock)).await
}

/// A fresh random encryption key.
pub fn test_cipher() -> Result<crate::crypto::Cipher> {
    let text =
        crate::crypto::Cipher::generate_text().map_err(|e| DbError::Config(e.to_string()))?;
    crate::crypto::Cipher::from_text(&text).map_err(|e| DbError::Config(e.to_string()))
}

/// A temporary folder removed on drop.
#[derive(Debug)]
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new() -> Result<Self> {
        let p =
            std::env::temp_dir().join(format!("liaison-test-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&p).map_err(|e| DbError::Config(format!("temp dir: {e}")))?;
        Ok(Self(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
