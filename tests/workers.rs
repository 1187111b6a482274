//! Two `liaison worker` processes on one PostgreSQL database (issue 4, DESIGN "Work in the
//! background"): they share the queue through leases and `FOR UPDATE SKIP LOCKED`, and when one
//! is killed with SIGKILL mid-batch nothing is lost: its lease expires and the other takes its
//! batch over. Runs when LIAISON_TEST_PG_URL is set (CI sets it); the 100,000-delivery figures
//! are in BENCHMARKS.md (scripts/kill-worker.sh).

use liaison_core::SystemClock;
use liaison_db::{Db, q};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Worker(Child);
impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(url: &str, key: &str, sink: &Path) -> Worker {
    Worker(
        Command::new(env!("CARGO_BIN_EXE_liaison"))
            .args([
                "--database-url",
                url,
                "worker",
                "--worker-lease",
                "5",
                "--worker-batch",
                "200",
            ])
            .arg("--sink-file")
            .arg(sink)
            .env("LIAISON_KEY", key)
            .env("LIAISON_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the liaison binary"),
    )
}

fn sent_ids(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        // Job lines (`{id} notify`, `{id} event`, `{id} escalate n`) are not deliveries.
        .filter(|l| !matches!(l.split(' ').nth(1), Some("notify" | "event" | "escalate")))
        .map(|l| l.split(' ').next().unwrap_or("").to_string())
        .collect()
}

async fn pending(db: &Db) -> i64 {
    db.fetch_one(q(
        "SELECT COUNT(*) FROM deliveries WHERE next_at IS NOT NULL",
    ))
    .await
    .expect("count")
}

#[tokio::test]
async fn a_worker_killed_mid_batch_loses_no_delivery_and_two_workers_send_each_once() {
    let Some(url) = liaison_db::testing::fresh_postgres_url()
        .await
        .expect("PostgreSQL")
    else {
        eprintln!("LIAISON_TEST_PG_URL is not set: the two-process test needs PostgreSQL");
        return;
    };
    let key = liaison_db::crypto::Cipher::generate_text().expect("key");
    let db = Db::connect(&url, Arc::new(SystemClock))
        .await
        .expect("connect")
        .with_cipher(liaison_db::crypto::Cipher::from_text(&key).expect("cipher"));
    db.migrate().await.expect("migrate");
    liaison_demo::load(&db, 5000, &|_| {}).await.expect("demo");
    let dir: PathBuf =
        std::env::temp_dir().join(format!("liaison-workers-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");

    // Two workers drain a message; every delivery reaches exactly one sink, once.
    let first = liaison_demo::notify_everyone(&db, &["email"], true)
        .await
        .expect("dispatch");
    let total: i64 = db
        .fetch_one(
            q("SELECT COUNT(*) FROM deliveries WHERE message_id = $1 AND channel = 'email'")
                .bind(first),
        )
        .await
        .expect("count");
    assert!(total >= 10000, "{total} e-mail deliveries");
    let (a, b) = (dir.join("a1"), dir.join("b1"));
    {
        let _wa = start(&url, &key, &a);
        let _wb = start(&url, &key, &b);
        let deadline = Instant::now() + Duration::from_secs(60);
        while pending(&db).await > 0 {
            assert!(
                Instant::now() < deadline,
                "the workers did not drain the queue"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let (ia, ib) = (sent_ids(&a), sent_ids(&b));
    let mut count: HashMap<&str, usize> = HashMap::new();
    for id in ia.iter().chain(&ib) {
        *count.entry(id.as_str()).or_default() += 1;
    }
    assert_eq!(count.len() as i64, total, "every delivery was sent");
    assert!(
        count.values().all(|n| *n == 1),
        "no delivery was sent twice"
    );
    assert!(
        !ia.is_empty() && !ib.is_empty(),
        "both workers took part: {} / {}",
        ia.len(),
        ib.len()
    );

    // Worker A is killed with SIGKILL while it works: B takes its leased batch over.
    let second = liaison_demo::notify_everyone(&db, &["email"], true)
        .await
        .expect("dispatch");
    let (a, b) = (dir.join("a2"), dir.join("b2"));
    let mut wa = start(&url, &key, &a);
    // Let A get going (it has written part of the queue), then kill it mid-way.
    let deadline = Instant::now() + Duration::from_secs(30);
    while sent_ids(&a).len() < 400 {
        assert!(Instant::now() < deadline, "worker A did not start sending");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    wa.0.kill().expect("SIGKILL");
    let _ = wa.0.wait();
    let before_b = pending(&db).await;
    assert!(before_b > 0, "A was killed before it finished");
    let leased: i64 = db
        .fetch_one(q(
            "SELECT COUNT(*) FROM deliveries WHERE locked_by IS NOT NULL AND next_at IS NOT NULL",
        ))
        .await
        .expect("count");
    let _wb = start(&url, &key, &b);
    let deadline = Instant::now() + Duration::from_secs(60);
    while pending(&db).await > 0 {
        assert!(Instant::now() < deadline, "B did not take the rest over");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let unsent: i64 = db
        .fetch_one(q("SELECT COUNT(*) FROM deliveries WHERE message_id = $1 AND channel = 'email' AND state <> 'sent'").bind(second))
        .await
        .expect("count");
    assert_eq!(unsent, 0, "every delivery ends sent");
    let (ia, ib) = (sent_ids(&a), sent_ids(&b));
    let mut count: HashMap<&str, usize> = HashMap::new();
    for id in ia.iter().chain(&ib) {
        *count.entry(id.as_str()).or_default() += 1;
    }
    assert_eq!(count.len() as i64, total, "none was lost");
    // At least once: only what A had leased when it died may go out again.
    let twice = count.values().filter(|n| **n > 1).count() as i64;
    assert!(
        twice <= leased.max(0),
        "{twice} sent twice, A held {leased}"
    );
    eprintln!(
        "killed A after {} sends with {leased} leased; B sent {}; {twice} sent twice",
        ia.len(),
        ib.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
