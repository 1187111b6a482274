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

/// The values kept by one `Db` (its pools, any clone of it), on one shelf per kind of value.
#[derive(Default)]
pub(crate) struct Kept {
    shelves: Mutex<HashMap<&'static str, HashMap<String, Entry>>>,
}

struct Entry {
    version: i64,
    at: Instant,
    value: Arc<dyn Any + Send + Sync>,
}

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
    /// (tickets, their breaches and watchers, notifications, requests, threads, settings,
    /// access lists; names of partners, users, departments, products) and for at most
    /// `max_age`. `key` must hold everything the value depends on besides those tables (the
    /// viewer, their roles and department, the filter). A shelf holding `max_entries` values
    /// is emptied before the next is put (a process seeing many viewers does not grow without
    /// bound; keeping the newest is not worth its cost).
    pub async fn kept<T, E, F, Fut>(
        &self,
        what: &'static str,
        key: String,
        max_age: Duration,
        max_entries: usize,
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
        {
            let shelves = self.kept.shelves.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(e) = shelves.get(what).and_then(|shelf| shelf.get(&key))
                && e.version == version
                && e.at.elapsed() < max_age
                && let Some(v) = e.value.downcast_ref::<T>()
            {
                return Ok(v.clone());
            }
        }
        let value = compute().await?;
        let mut shelves = self.kept.shelves.lock().unwrap_or_else(|e| e.into_inner());
        let shelf = shelves.entry(what).or_default();
        if shelf.len() >= max_entries {
            shelf.clear();
        }
        shelf.insert(
            key,
            Entry {
                version,
                at: Instant::now(),
                value: Arc::new(value.clone()),
            },
        );
        Ok(value)
    }
}
