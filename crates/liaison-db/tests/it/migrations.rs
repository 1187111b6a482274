//! Migrations: one folder per backend with the same numbers (DESIGN "Database rules"), applied
//! once, recorded in `schema_migrations`, and guarded against edits and unknown versions.

use crate::backends;
use liaison_db::{Backend, Db, DbError, FromDbRow, RowExt, q};
use std::path::Path;

struct Applied {
    version: i64,
    name: String,
}

impl FromDbRow for Applied {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            version: r.i64("version")?,
            name: r.text("name")?,
        })
    }
}

/// The `.sql` file names in one migrations folder, sorted.
fn migration_files(backend: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    names
}

/// `0002_idempotency.sql` → 2; panics when a name is not `NNNN_name.sql`.
fn version_of(file: &str) -> i64 {
    let (num, rest) = file
        .split_once('_')
        .unwrap_or_else(|| panic!("{file}: not NNNN_name.sql"));
    assert!(
        num.len() == 4 && num.chars().all(|c| c.is_ascii_digit()) && rest.len() > ".sql".len(),
        "{file}: not NNNN_name.sql"
    );
    num.parse().expect("four digits")
}

#[test]
fn both_backends_ship_the_same_migration_versions() {
    let sqlite = Db::migration_versions(Backend::Sqlite);
    let postgres = Db::migration_versions(Backend::Postgres);
    assert!(!sqlite.is_empty(), "no migrations at all");
    assert_eq!(sqlite, postgres, "embedded migration versions differ");
    assert!(
        sqlite.windows(2).all(|w| w[0] < w[1]),
        "versions are not strictly increasing: {sqlite:?}"
    );
}

#[test]
fn migration_folders_hold_the_same_files_and_all_are_embedded() {
    let sqlite = migration_files("sqlite");
    let postgres = migration_files("postgres");
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres must hold the same NNNN_name.sql files"
    );
    let on_disk: Vec<i64> = sqlite.iter().map(|f| version_of(f)).collect();
    assert_eq!(
        on_disk,
        Db::migration_versions(Backend::Sqlite),
        "a migration file is not embedded in migrate.rs (or the other way round)"
    );
}

#[tokio::test]
async fn migrating_twice_changes_nothing_and_records_every_version() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let shipped = Db::migration_versions(db.backend());
        let first = db.migrate().await.expect("migrate again");
        assert_eq!(first, shipped, "{name}: versions after the first migrate");
        let before_rows: Vec<Applied> = db
            .fetch_all(q(
                "SELECT version, name FROM schema_migrations ORDER BY version",
            ))
            .await
            .expect("read schema_migrations");
        let second = db.migrate().await.expect("migrate a third time");
        assert_eq!(second, first, "{name}: migrate is not a no-op");
        let rows: Vec<Applied> = db
            .fetch_all(q(
                "SELECT version, name FROM schema_migrations ORDER BY version",
            ))
            .await
            .expect("read schema_migrations");
        assert_eq!(
            rows.iter().map(|r| r.version).collect::<Vec<_>>(),
            shipped,
            "{name}: schema_migrations versions"
        );
        assert_eq!(rows.len(), before_rows.len(), "{name}: rows added twice");
        let files = migration_files(if name == "sqlite" {
            "sqlite"
        } else {
            "postgres"
        });
        for (row, file) in rows.iter().zip(&files) {
            assert_eq!(
                format!("{}.sql", row.name),
                *file,
                "{name}: schema_migrations names the file it applied"
            );
        }
        // The schema is really there: the audit head row the foundation migration seeds.
        assert_eq!(
            crate::count(&db, "SELECT COUNT(*) FROM audit_head").await,
            1,
            "{name}: audit_head is seeded once"
        );
    }
}

#[tokio::test]
async fn an_edited_migration_is_refused() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let mut tx = db.begin().await.expect("begin");
        tx.execute(q(
            "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1",
        ))
        .await
        .expect("edit checksum");
        tx.commit().await.expect("commit");
        match db.migrate().await {
            Err(DbError::Migrate(m)) => {
                assert!(m.contains("changed"), "{name}: message {m:?}")
            }
            other => panic!("{name}: expected DbError::Migrate, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let mut tx = db.begin().await.expect("begin");
        tx.execute(q(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at)
             VALUES (9999, '9999_future', 'x', '2030-01-01T00:00:00Z')",
        ))
        .await
        .expect("record a future migration");
        tx.commit().await.expect("commit");
        match db.migrate().await {
            Err(DbError::Migrate(m)) => {
                assert!(m.contains("9999"), "{name}: message {m:?}")
            }
            other => panic!("{name}: expected DbError::Migrate, got {other:?}"),
        }
    }
}
