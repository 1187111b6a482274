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

/// A fresh PostgreSQL database named after a new UUID on the server at `LIAISON_TEST_PG_URL`.
pub async fn postgres(clock: Arc<dyn Clock>) -> Result<Option<Db>> {
    let Some(base) = pg_url() else {
        return Ok(None);
    };
    let name = format!("liaison_t_{}", uuid::Uuid::now_v7().simple());
    let mut admin = sqlx::PgConnection::connect(&base).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    let url = match base.rfind('/') {
        Some(i) if base[..i].contains("://") && i > base.find("://").map_or(0, |p| p + 2) => {
            let query = base[i..].find('?').map(|q| &base[i + q..]).unwrap_or("");
            format!("{}/{name}{query}", &base[..i])
        }
        _ => {
            return Err(DbError::Config(format!(
                "LIAISON_TEST_PG_URL needs a database path: {base}"
            )));
        }
    };
    let db = Db::connect(&url, clock).await?.with_cipher(test_cipher()?);
    db.migrate().await?;
    Ok(Some(db))
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
