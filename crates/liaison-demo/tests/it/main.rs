//! liaison-demo integration tests, on every backend available: SQLite always, PostgreSQL too
//! when `LIAISON_TEST_PG_URL` is set, each on a fresh, migrated database (`liaison_db::testing`).

mod history;
mod load;

use liaison_db::testing::TempDir;
use liaison_db::{Db, q};

/// Fresh databases on every backend; keep the guard alive for the test's length.
pub async fn backends() -> (Vec<(&'static str, Db)>, TempDir) {
    liaison_db::testing::all_backends()
        .await
        .expect("test databases")
}

/// `SELECT COUNT(*) ...` as a number.
pub async fn count(db: &Db, sql: &'static str) -> i64 {
    db.fetch_one::<i64>(q(sql)).await.expect("count")
}
