//! The `liaison` binary as an operator uses it: demo data, audit verification (§7.2.1, SPEC
//! G5), user creation and imports with clear errors.

use liaison_core::SystemClock;
use liaison_db::{Db, q};
use std::process::{Command, Output};
use std::sync::Arc;

struct Dir(std::path::PathBuf);
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_liaison"))
        .arg("--database-url")
        .arg(url)
        .args(args)
        .env("LIAISON_LOG", "warn")
        .output()
        .expect("run liaison")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test]
async fn audit_verify_passes_on_an_intact_chain_and_names_the_first_edited_row() {
    let dir = Dir(std::env::temp_dir().join(format!("liaison-cli-{}", uuid_like())));
    let url = format!("sqlite://{}/l.db", dir.0.display());
    let demo = run(&url, &["demo"]);
    assert!(demo.status.success(), "{}", text(&demo));
    assert!(text(&demo).contains("base company loaded"));
    let again = run(&url, &["demo"]);
    assert!(text(&again).contains("already present"), "{}", text(&again));

    let ok = run(&url, &["audit", "verify"]);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("audit chain intact"));

    let db = Db::connect(&url, Arc::new(SystemClock))
        .await
        .expect("open");
    let mut tx = db.begin().await.expect("tx");
    tx.execute(q(
        "UPDATE audit_log SET detail = '{\"tampered\":true}' WHERE seq = 3",
    ))
    .await
    .expect("tamper");
    tx.commit().await.expect("commit");
    db.close().await;

    let bad = run(&url, &["audit", "verify"]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    assert!(text(&bad).contains("BROKEN at row 3"), "{}", text(&bad));
}

#[test]
fn user_create_and_import_explain_what_to_fix() {
    let dir = Dir(std::env::temp_dir().join(format!("liaison-cli-{}", uuid_like())));
    let url = format!("sqlite://{}/l.db", dir.0.display());
    let weak = run(
        &url,
        &[
            "user",
            "create",
            "--email",
            "a@b.cn",
            "--name",
            "甲",
            "--password",
            "short",
            "--roles",
            "admin",
        ],
    );
    assert!(!weak.status.success());
    assert!(text(&weak).contains("password"), "{}", text(&weak));
    let made = run(
        &url,
        &[
            "user",
            "create",
            "--email",
            "ops@example.cn",
            "--name",
            "运维",
            "--password",
            "Ops-password-1",
            "--roles",
            "admin",
        ],
    );
    assert!(made.status.success(), "{}", text(&made));

    let file = dir.0.join("partners.csv");
    std::fs::write(
        &file,
        "code,name,kind,region,tier\nOK-1,杭州伙伴,agent,华东,A\nBAD,,store,华南,B\n",
    )
    .expect("write");
    let bad = run(
        &url,
        &["import", "partners", file.to_str().unwrap_or_default()],
    );
    assert!(!bad.status.success());
    assert!(text(&bad).contains("row 3: name"), "{}", text(&bad));
    std::fs::write(
        &file,
        "code,name,kind,region,tier\nOK-1,杭州伙伴,agent,华东,A\n",
    )
    .expect("write");
    let good = run(
        &url,
        &["import", "partners", file.to_str().unwrap_or_default()],
    );
    assert!(good.status.success(), "{}", text(&good));
    assert!(text(&good).contains("1 created"), "{}", text(&good));
}

fn uuid_like() -> String {
    format!("{}-{:?}", std::process::id(), std::thread::current().id()).replace(['(', ')'], "")
}

/// Boolean settings read from the environment accept what operators write: `1`, `yes`, `on`
/// as well as `true` (before, `LIAISON_NO_WORKER=1` stopped `serve` from starting).
#[test]
fn boolean_environment_variables_accept_1_yes_and_on() {
    for (yes, no) in [("1", "0"), ("yes", "no"), ("on", "off"), ("TRUE", "False")] {
        // An address nothing listens on: the command gets past its options and then fails
        // to reach the database, which is what shows the options were read.
        let o = Command::new(env!("CARGO_BIN_EXE_liaison"))
            .args([
                "--database-url",
                "postgres://nobody@127.0.0.1:1/none",
                "serve",
                "--bind",
                "127.0.0.1:0",
            ])
            .env("LIAISON_LOG", "warn")
            .env("LIAISON_NO_WORKER", yes)
            .env("LIAISON_DEMO", yes)
            .env("LIAISON_ALLOW_LOCAL_TARGETS", yes)
            .env("LIAISON_SECURE_COOKIES", no)
            .env("LIAISON_DEMO_NO_HISTORY", no)
            .output()
            .expect("run liaison");
        let out = text(&o);
        assert!(!o.status.success());
        assert!(
            !out.contains("invalid value") && !out.contains("error: "),
            "{yes}/{no}: {out}"
        );
    }
}

/// SPEC H3 as an operator runs it: `liaison backup FILE`, `liaison restore FILE` into a new
/// database, then `liaison audit verify` there; a database with data and an existing file are
/// refused, saying why.
#[test]
fn backup_restore_and_audit_verify_on_the_copy() {
    let dir = Dir(std::env::temp_dir().join(format!("liaison-cli-{}", uuid_like())));
    let url = format!("sqlite://{}/live.db", dir.0.display());
    let demo = run(&url, &["demo", "--no-history"]);
    assert!(demo.status.success(), "{}", text(&demo));
    let live = run(&url, &["audit", "verify"]);
    let rows = text(&live);
    assert!(live.status.success(), "{rows}");

    let file = dir.0.join("nightly.sqlite");
    let file_arg = file.to_str().expect("utf-8 path");
    let made = run(&url, &["backup", file_arg]);
    assert!(made.status.success(), "{}", text(&made));
    assert!(text(&made).contains("read back, intact"), "{}", text(&made));
    assert!(text(&made).contains("NOT in the backup"), "{}", text(&made));
    let twice = run(&url, &["backup", file_arg]);
    assert!(!twice.status.success());
    assert!(text(&twice).contains("already exists"), "{}", text(&twice));

    let refused = run(&url, &["restore", file_arg]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("already holds data"),
        "{}",
        text(&refused)
    );

    let copy = format!("sqlite://{}/restored.db", dir.0.display());
    let restored = run(&copy, &["restore", file_arg]);
    assert!(restored.status.success(), "{}", text(&restored));
    assert!(
        text(&restored).contains("audit chain intact"),
        "{}",
        text(&restored)
    );
    let verified = run(&copy, &["audit", "verify"]);
    assert!(verified.status.success(), "{}", text(&verified));
    // The same chain: rows and head as on the live database.
    assert_eq!(text(&verified), rows);
}
