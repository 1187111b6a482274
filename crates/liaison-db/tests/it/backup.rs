//! Backups (issue 15, item 6; SPEC H3): `liaison backup` while the database is being written,
//! `liaison restore` only into an empty database, and the audit chain intact on the restored
//! copy. Sealed content opens there with the same key and only with it (the key is not in the
//! backup). SQLite always; PostgreSQL when LIAISON_TEST_PG_URL is set and pg_dump/pg_restore
//! of the server's major version are installed (otherwise that part says why it is skipped).

use liaison_core::SystemClock;
use liaison_core::request::{Audience, RequestInput};
use liaison_db::audit::{Entry, Verdict};
use liaison_db::backup::{backup, restore};
use liaison_db::crypto::Cipher;
use liaison_db::testing::TempDir;
use liaison_db::{Db, DbError, q};
use std::path::Path;
use std::sync::Arc;

fn key() -> String {
    Cipher::generate_text().expect("key")
}

async fn open(url: &str, key: &str) -> Db {
    let db = Db::connect(url, Arc::new(SystemClock))
        .await
        .expect("connect")
        .with_cipher(Cipher::from_text(key).expect("cipher"));
    db.migrate().await.expect("migrate");
    db
}

/// The demo company and one confidential request (its form sealed, §7.2.1); the request's id.
async fn fill(db: &Db) -> uuid::Uuid {
    liaison_demo::load(db, 0, &|_| {}).await.expect("demo");
    let staff = liaison_db::user::find_user_by_email(db, "staff@demo.example")
        .await
        .expect("query")
        .expect("staff");
    let sh = liaison_db::partner::resolve_partner_ref(db, "SH-D001")
        .await
        .expect("query")
        .expect("partner");
    let r = liaison_app::request::create(
        db,
        &staff.actor(),
        &RequestInput {
            title: Some("新品底价（机密）".into()),
            purpose: Some("告知底价".into()),
            body: Some("底价为每台 1,280 元，请勿外传。".into()),
            classification: Some("confidential".into()),
            audience: Some(Audience {
                partners: vec![sh],
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await
    .expect("confidential request");
    r.id
}

async fn audit_state(db: &Db) -> (i64, String) {
    match liaison_db::audit::verify(db).await.expect("verify") {
        Verdict::Intact { rows, head } => (rows, head),
        broken => panic!("audit chain broken: {broken:?}"),
    }
}

/// Restores `file` into the empty database at `empty_url` and checks it is the same database:
/// the audit chain intact with the same rows and head, the sealed request readable with `key`
/// and not with another one.
async fn restored_is_the_same(
    what: &str,
    file: &Path,
    empty_url: &str,
    key: &str,
    expected: &(i64, String),
    request: uuid::Uuid,
) {
    let r = restore(empty_url, file).await.expect("restore");
    assert!(r.bytes > 0, "[{what}]");
    let copy = open(empty_url, key).await;
    assert_eq!(
        &audit_state(&copy).await,
        expected,
        "[{what}] the audit chain"
    );
    let req = liaison_db::request::find_request(&copy, request)
        .await
        .expect("the sealed request opens with the key");
    assert_eq!(
        req.form.body.as_deref(),
        Some("底价为每台 1,280 元，请勿外传。"),
        "[{what}]"
    );
    let stored: String = copy
        .fetch_one(q("SELECT form FROM requests WHERE id = $1").bind(request))
        .await
        .expect("stored form");
    assert!(
        stored.starts_with("enc:v1:"),
        "[{what}] sealed at rest: {stored}"
    );
    assert!(!stored.contains("1,280"), "[{what}]");
    copy.close().await;
    let wrong = Db::connect(empty_url, Arc::new(SystemClock))
        .await
        .expect("connect")
        .with_cipher(Cipher::from_text(&self::key()).expect("cipher"));
    assert!(
        liaison_db::request::find_request(&wrong, request)
            .await
            .is_err(),
        "[{what}] sealed content opened without its key"
    );
    wrong.close().await;
}

/// SPEC H3 on SQLite: a backup taken while a write is under way holds the last committed state;
/// it never overwrites a file; a database with data refuses a restore; an empty one takes it and
/// its audit chain verifies with the same rows and head.
#[tokio::test]
async fn a_sqlite_backup_taken_while_writing_restores_into_an_empty_database() {
    liaison_db::password::use_light_params();
    let dir = TempDir::new().expect("dir");
    let url = format!("sqlite://{}/live.db", dir.0.display());
    let key = key();
    let db = open(&url, &key).await;
    let request = fill(&db).await;
    let before = audit_state(&db).await;

    // A write under way (not committed) while the backup runs: it is not in the copy.
    let mut tx = db.begin().await.expect("begin");
    liaison_db::audit::append(
        &mut tx,
        db.now(),
        Entry::new(
            None,
            "demo.load",
            "demo",
            None,
            serde_json::json!({"uncommitted": true}),
        ),
    )
    .await
    .expect("append");
    let file = dir.0.join("backup.sqlite");
    let report = backup(&url, &file).await.expect("backup while writing");
    drop(tx);
    assert_eq!(report.count, before.0, "the copy holds what was committed");
    assert!(report.bytes > 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o077, 0, "a backup is its owner's only: {mode:o}");
    }

    let again = backup(&url, &file).await;
    assert!(
        matches!(&again, Err(DbError::Config(m)) if m.contains("already exists")),
        "{again:?}"
    );
    let into_live = restore(&url, &file).await;
    assert!(
        matches!(&into_live, Err(DbError::Conflict(m)) if m.contains("already holds data")),
        "{into_live:?}"
    );
    assert_eq!(
        audit_state(&db).await,
        before,
        "the refused restore changed nothing"
    );

    // Into a new file, and into one migrated but empty.
    let fresh = format!("sqlite://{}/restored/fresh.db", dir.0.display());
    restored_is_the_same("sqlite, new file", &file, &fresh, &key, &before, request).await;
    let migrated = format!("sqlite://{}/migrated.db", dir.0.display());
    open(&migrated, &key).await.close().await;
    restored_is_the_same("sqlite, migrated", &file, &migrated, &key, &before, request).await;

    let not_a_backup = dir.0.join("notes.txt");
    std::fs::write(&not_a_backup, "hello").expect("write");
    let other = format!("sqlite://{}/other.db", dir.0.display());
    assert!(matches!(
        restore(&other, &not_a_backup).await,
        Err(DbError::Config(_))
    ));
    db.close().await;
}

/// The major version of a PostgreSQL tool (`pg_dump (PostgreSQL) 15.20` → 15), if installed.
fn tool_major(tool: &str) -> Option<u32> {
    let out = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.split_whitespace()
        .find_map(|w| w.split('.').next().and_then(|m| m.parse().ok()))
}

/// SPEC H3 on PostgreSQL: pg_dump's custom format, read back by pg_restore --list; restored
/// into a new database, its audit chain verifies; a database with data refuses it.
#[tokio::test]
async fn a_postgres_backup_restores_into_an_empty_database() {
    let Some(url) = liaison_db::testing::fresh_postgres_url()
        .await
        .expect("test server")
    else {
        eprintln!("SKIPPED: no LIAISON_TEST_PG_URL, the PostgreSQL backup is not tested");
        return;
    };
    liaison_db::password::use_light_params();
    let key = key();
    let db = open(&url, &key).await;
    let server: i64 = db
        .fetch_one(q(
            "SELECT CAST(current_setting('server_version_num') AS BIGINT)",
        ))
        .await
        .expect("server version");
    let server_major = u32::try_from(server / 10_000).unwrap_or(0);
    match (tool_major("pg_dump"), tool_major("pg_restore")) {
        (Some(d), Some(r)) if d == server_major && r == server_major => {}
        found => {
            eprintln!(
                "SKIPPED: pg_dump/pg_restore of PostgreSQL {server_major} are needed, found {found:?}: the PostgreSQL backup is not tested"
            );
            db.close().await;
            return;
        }
    }
    let request = fill(&db).await;
    let before = audit_state(&db).await;
    let dir = TempDir::new().expect("dir");
    let file = dir.0.join("backup.dump");
    let report = backup(&url, &file).await.expect("pg backup");
    assert!(report.count > 10, "tables with data: {}", report.count);
    let into_live = restore(&url, &file).await;
    assert!(
        matches!(&into_live, Err(DbError::Conflict(m)) if m.contains("already holds data")),
        "{into_live:?}"
    );
    let empty = liaison_db::testing::fresh_postgres_url()
        .await
        .expect("server")
        .expect("url");
    restored_is_the_same(
        "postgres, new database",
        &file,
        &empty,
        &key,
        &before,
        request,
    )
    .await;
    let migrated = liaison_db::testing::fresh_postgres_url()
        .await
        .expect("server")
        .expect("url");
    open(&migrated, &key).await.close().await;
    restored_is_the_same(
        "postgres, migrated",
        &file,
        &migrated,
        &key,
        &before,
        request,
    )
    .await;
    let sqlite_into_pg = restore(&empty, &dir.0.join("none.sqlite")).await;
    assert!(sqlite_into_pg.is_err());
    db.close().await;
}
