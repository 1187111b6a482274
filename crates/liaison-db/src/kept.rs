//! Counts kept between page views (issue 12): the menu's numbers and the ticket queue's tabs
//! are asked for on every view and change only when someone writes. On SQLite every write to
//! the tables behind them moves one number, `read_version`, inside the writing transaction
//! (triggers of migration 0040; one writer, so the number and the rows become visible
//! together, from any process). A value computed at version V is given again while the
//! version is still V and the value is younger than the caller's `max_age` (for counts that
//! also move with the clock, such as "breaching soon"). Reading the version is one
//! primary-key row; the counts it saves walk thousands of index entries a view.
//!
//! On PostgreSQL nothing is kept: concurrent writers would queue on one counter row there,
//! and its readers do not queue behind one writer, so counts are counted on every view.

use crate::{Db, DbError, Pools, Result, q};
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The values kept by one `Db` (its pools, any clone of it).
#[derive(Default)]
pub(crate) struct Kept {
    entries: Mutex<HashMap<(&'static str, String), Entry>>,
}

struct Entry {
    version: i64,
    at: Instant,
    value: Arc<dyn Any + Send + Sync>,
}

/// Entries beyond this are dropped (oldest first is not worth its cost: all of them), so a
/// process seeing many viewers does not grow without bound.
const MAX_ENTRIES: usize = 20_000;

impl Db {
    /// The version of the counted tables (`read_version`); `None` on PostgreSQL.
    pub async fn read_version(&self) -> Result<Option<i64>> {
        if !matches!(self.pools, Pools::Sqlite { .. }) {
            return Ok(None);
        }
        let v: i64 = self
            .fetch_one(q("SELECT version FROM read_version WHERE id = 1"))
            .await?;
        Ok(Some(v))
    }

    /// `compute`'s value for (`what`, `key`), kept while no write touched the counted tables
    /// (tickets, their watchers, notifications, requests, threads, settings) and for at most
    /// `max_age`. `key` must hold everything the value depends on besides those tables (the
    /// viewer, their roles and department).
    pub async fn kept<T, E, F, Fut>(
        &self,
        what: &'static str,
        key: String,
        max_age: Duration,
        compute: F,
    ) -> std::result::Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        E: From<DbError>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = std::result::Result<T, E>>,
    {
        let Some(version) = self.read_version().await? else {
            return compute().await;
        };
        let slot = (what, key);
        {
            let map = self.kept.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(e) = map.get(&slot)
                && e.version == version
                && e.at.elapsed() < max_age
                && let Some(v) = e.value.downcast_ref::<T>()
            {
                return Ok(v.clone());
            }
        }
        let value = compute().await?;
        let mut map = self.kept.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(
            slot,
            Entry {
                version,
                at: Instant::now(),
                value: Arc::new(value.clone()),
            },
        );
        Ok(value)
    }
}
