//! Backups and restores (SPEC H3), for `liaison backup FILE` and `liaison restore FILE`.
//!
//! - **SQLite**: `VACUUM INTO` on a connection of its own, which copies one read transaction's
//!   snapshot of the database (WAL lets the server keep writing meanwhile), then checks the
//!   copy (`PRAGMA integrity_check`, the audit chain's head present).
//! - **PostgreSQL**: `pg_dump --format=custom` (one snapshot, the server keeps running), then
//!   `pg_restore --list` must read the file back and find the audit log in it. The tools are
//!   PostgreSQL's own; when they are missing the error says how to get them.
//!
//! A restore goes only into an empty database (no users, partners or audit entries): it never
//! mixes two histories. Sealed (encrypted) columns and attachments are copied as they are
//! stored: they open only with the encryption key, which is not in the backup (README).

use crate::{Db, DbError, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What a backup or a restore did, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub file: PathBuf,
    pub bytes: u64,
    /// SQLite: rows of the audit log in the copy; PostgreSQL: tables whose data the dump holds.
    pub count: i64,
    pub what: &'static str,
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

fn size_of(file: &Path) -> u64 {
    std::fs::metadata(file).map(|m| m.len()).unwrap_or(0)
}

/// A backup holds password hashes and every unsealed column: readable by its owner only.
fn owner_only(file: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).map_err(|e| {
            DbError::Config(format!(
                "cannot restrict {} to its owner: {e}",
                file.display()
            ))
        })?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Makes a consistent backup of the database at `url` in `file`, which must not exist yet.
pub async fn backup(url: &str, file: &Path) -> Result<Report> {
    if file.exists() {
        return Err(DbError::Config(format!(
            "{} already exists: a backup never overwrites a file; choose a new name",
            file.display()
        )));
    }
    if let Some(dir) = file.parent()
        && !dir.as_os_str().is_empty()
        && !dir.is_dir()
    {
        return Err(DbError::Config(format!(
            "the folder {} does not exist",
            dir.display()
        )));
    }
    if is_postgres(url) {
        pg_backup(url, file).await
    } else if url.starts_with("sqlite:") {
        sqlite_backup(url, file).await
    } else {
        Err(DbError::Config(
            "unsupported database URL: use sqlite://PATH or postgres://USER@HOST/DB".into(),
        ))
    }
}

/// Restores `file` (made by [`backup`]) into the empty database at `url`.
pub async fn restore(url: &str, file: &Path) -> Result<Report> {
    let kind = file_kind(file)?;
    match (kind, is_postgres(url)) {
        (FileKind::Sqlite, false) => {}
        (FileKind::PgDump, true) => {}
        (FileKind::Sqlite, true) => {
            return Err(DbError::Config(format!(
                "{} is a SQLite backup: restore it into a sqlite:// database",
                file.display()
            )));
        }
        (FileKind::PgDump, false) => {
            return Err(DbError::Config(format!(
                "{} is a PostgreSQL dump: restore it into a postgres:// database",
                file.display()
            )));
        }
    }
    let target = Db::connect(url, std::sync::Arc::new(liaison_core::SystemClock)).await?;
    let held = held_data(&target).await;
    let has_schema = held.is_ok();
    target.close().await;
    if let Ok((users, partners, audit)) = held
        && users + partners + audit > 0
    {
        return Err(DbError::Conflict(format!(
            "the database already holds data ({users} users, {partners} partners, {audit} audit entries): \
             a restore goes only into an empty database (create a new one, or point --database-url at it)"
        )));
    }
    if is_postgres(url) {
        pg_restore(url, file, has_schema).await
    } else {
        sqlite_restore(url, file).await
    }
}

/// Rows of the tables that say a database is in use; an error when it has no schema yet.
async fn held_data(db: &Db) -> Result<(i64, i64, i64)> {
    let count = |table: &'static str| async move {
        db.fetch_one::<i64>(crate::Q::dynamic(format!("SELECT COUNT(*) FROM {table}")))
            .await
    };
    Ok((
        count("users").await?,
        count("partners").await?,
        count("audit_log").await?,
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Sqlite,
    PgDump,
}

/// What a backup file is, from its first bytes.
fn file_kind(file: &Path) -> Result<FileKind> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let mut f = std::fs::File::open(file)
        .map_err(|e| DbError::Config(format!("cannot read {}: {e}", file.display())))?;
    let n = f
        .read(&mut head)
        .map_err(|e| DbError::Config(format!("cannot read {}: {e}", file.display())))?;
    if head[..n].starts_with(b"SQLite format 3\0") {
        Ok(FileKind::Sqlite)
    } else if head[..n].starts_with(b"PGDMP") {
        Ok(FileKind::PgDump)
    } else {
        Err(DbError::Config(format!(
            "{} is not a Liaison backup (neither a SQLite database nor a pg_dump custom-format file)",
            file.display()
        )))
    }
}

// ---- SQLite ----

fn sqlite_options(url: &str) -> Result<sqlx::sqlite::SqliteConnectOptions> {
    use std::str::FromStr;
    Ok(sqlx::sqlite::SqliteConnectOptions::from_str(url)
        .map_err(|e| DbError::Config(format!("bad SQLite URL: {e}")))?
        .busy_timeout(std::time::Duration::from_secs(30)))
}

fn text_path(file: &Path) -> Result<String> {
    file.to_str()
        .map(str::to_string)
        .ok_or_else(|| DbError::Config(format!("{} is not a UTF-8 path", file.display())))
}

/// `VACUUM INTO` from a connection of its own: the pool's writer stays free for the server's
/// work, and the copy is one read transaction's snapshot.
async fn vacuum_into(opts: sqlx::sqlite::SqliteConnectOptions, file: &Path) -> Result<()> {
    use sqlx::{ConnectOptions, Connection};
    let mut conn = opts.connect().await?;
    sqlx::query("VACUUM INTO ?1")
        .bind(text_path(file)?)
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

/// A copy's own connection: never creates the file, waits for a busy one.
fn copy_options(file: &Path) -> sqlx::sqlite::SqliteConnectOptions {
    sqlx::sqlite::SqliteConnectOptions::new()
        .filename(file)
        .busy_timeout(std::time::Duration::from_secs(30))
}

/// Makes a copy one self-contained file (no `-wal` beside it), whatever the journal mode of
/// the database it came from.
async fn single_file(file: &Path) -> Result<()> {
    use sqlx::{ConnectOptions, Connection};
    let mut conn = copy_options(file).connect().await?;
    sqlx::query("PRAGMA journal_mode = DELETE")
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

/// Checks a copy: intact pages, the audit chain's head there. Returns the audit log's rows.
async fn check_sqlite_copy(file: &Path) -> Result<i64> {
    use sqlx::{ConnectOptions, Connection, Row};
    let mut conn = copy_options(file).connect().await?;
    let verdict: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await?
        .try_get(0usize)?;
    if verdict != "ok" {
        return Err(DbError::Config(format!(
            "the copy in {} is damaged: {verdict}",
            file.display()
        )));
    }
    let rows: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&mut conn)
        .await?
        .try_get(0usize)?;
    let head: i64 = sqlx::query("SELECT seq FROM audit_head WHERE id = 1")
        .fetch_one(&mut conn)
        .await?
        .try_get(0usize)?;
    conn.close().await?;
    if head != rows {
        return Err(DbError::Config(format!(
            "the copy in {} holds {rows} audit entries but its chain's head says {head}",
            file.display()
        )));
    }
    Ok(rows)
}

async fn sqlite_backup(url: &str, file: &Path) -> Result<Report> {
    vacuum_into(sqlite_options(url)?, file).await?;
    owner_only(file)?;
    single_file(file).await?;
    let count = check_sqlite_copy(file).await?;
    Ok(Report {
        file: file.to_path_buf(),
        bytes: size_of(file),
        count,
        what: "sqlite",
    })
}

async fn sqlite_restore(url: &str, file: &Path) -> Result<Report> {
    check_sqlite_copy(file).await?;
    let opts = sqlite_options(url)?;
    let target = opts.get_filename().to_path_buf();
    if target == Path::new(":memory:") {
        return Err(DbError::Config(
            "cannot restore into an in-memory database".into(),
        ));
    }
    // Copied beside the target first, then moved over it: a failed copy leaves it as it was.
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let partial = dir.join(format!(
        ".liaison-restore-{}.db",
        uuid::Uuid::now_v7().simple()
    ));
    if let Err(e) = vacuum_into(copy_options(file), &partial).await {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    owner_only(&partial)?;
    for suffix in ["-wal", "-shm"] {
        let mut side = target.clone().into_os_string();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    std::fs::rename(&partial, &target).map_err(|e| {
        DbError::Config(format!(
            "cannot move the restored copy to {}: {e}",
            target.display()
        ))
    })?;
    let count = check_sqlite_copy(&target).await?;
    Ok(Report {
        file: target.clone(),
        bytes: size_of(&target),
        count,
        what: "sqlite",
    })
}

// ---- PostgreSQL ----

/// The URL without its password, and the password (percent-decoded) for `PGPASSWORD`: a
/// password on a command line is visible to every user of the machine (`ps`).
fn split_password(url: &str) -> (String, Option<String>) {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return (url.to_string(), None);
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return (url.to_string(), None);
    };
    let creds = &authority[..at];
    let Some((user, password)) = creds.split_once(':') else {
        return (url.to_string(), None);
    };
    let without = format!(
        "{}{user}@{}{}",
        &url[..scheme_end],
        &authority[at + 1..],
        &rest[authority_end..]
    );
    (without, Some(percent_decode(password)))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(hex) = std::str::from_utf8(&bytes[i + 1..i + 3])
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs one of PostgreSQL's client tools; a missing tool is said plainly.
async fn run_tool(
    tool: &'static str,
    args: Vec<String>,
    password: Option<String>,
) -> Result<String> {
    let output = tokio::task::spawn_blocking(move || {
        let mut c = Command::new(tool);
        c.args(&args);
        if let Some(p) = password {
            c.env("PGPASSWORD", p);
        }
        c.output()
    })
    .await
    .map_err(|e| DbError::Config(format!("{tool} did not finish: {e}")))?;
    let output = match output {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(DbError::Config(format!(
                "{tool} is not installed (or not on PATH): install PostgreSQL's client tools of \
                 the server's major version (Debian/Ubuntu: apt install postgresql-client-16 for \
                 PostgreSQL 16) and run this again"
            )));
        }
        Err(e) => return Err(DbError::Config(format!("cannot run {tool}: {e}"))),
    };
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        return Err(DbError::Config(format!(
            "{tool} failed ({}): {}",
            output.status,
            err.trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `pg_restore --list`: the tables whose data the dump holds; the audit log must be one.
async fn pg_check_dump(file: &Path) -> Result<i64> {
    let listing = run_tool("pg_restore", vec!["--list".into(), text_path(file)?], None).await?;
    let tables: Vec<&str> = listing
        .lines()
        .filter(|l| !l.starts_with(';') && l.contains(" TABLE DATA "))
        .collect();
    if !tables.iter().any(|l| l.contains(" audit_log ")) {
        return Err(DbError::Config(format!(
            "{} does not hold Liaison's audit log: not a backup of a Liaison database",
            file.display()
        )));
    }
    Ok(tables.len() as i64)
}

async fn pg_backup(url: &str, file: &Path) -> Result<Report> {
    let (url, password) = split_password(url);
    run_tool(
        "pg_dump",
        vec![
            "--format=custom".into(),
            "--no-password".into(),
            format!("--file={}", text_path(file)?),
            format!("--dbname={url}"),
        ],
        password,
    )
    .await?;
    owner_only(file)?;
    let count = pg_check_dump(file).await?;
    Ok(Report {
        file: file.to_path_buf(),
        bytes: size_of(file),
        count,
        what: "postgres",
    })
}

async fn pg_restore(url: &str, file: &Path, has_schema: bool) -> Result<Report> {
    let count = pg_check_dump(file).await?;
    let (url, password) = split_password(url);
    let mut args = vec![
        "--no-owner".to_string(),
        "--no-privileges".into(),
        "--no-password".into(),
        "--exit-on-error".into(),
        "--single-transaction".into(),
        format!("--dbname={url}"),
    ];
    // A database migrated but empty (checked above) has the tables already: they are
    // replaced by the backup's.
    if has_schema {
        args.push("--clean".into());
        args.push("--if-exists".into());
    }
    args.push(text_path(file)?);
    run_tool("pg_restore", args, password).await?;
    Ok(Report {
        file: file.to_path_buf(),
        bytes: size_of(file),
        count,
        what: "postgres",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_leaves_the_url_for_the_environment() {
        assert_eq!(
            split_password("postgres://liaison:s%40cret@db.example:5432/prod?sslmode=require"),
            (
                "postgres://liaison@db.example:5432/prod?sslmode=require".to_string(),
                Some("s@cret".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1:5432/test"),
            ("postgres://postgres@127.0.0.1:5432/test".to_string(), None)
        );
        assert_eq!(
            split_password("postgresql://h/db"),
            ("postgresql://h/db".to_string(), None)
        );
    }
}
