//! Benchmark: the worker drains one message's deliveries to a local sink. Usage:
//!
//! ```sh
//! liaison demo --partners 50000                       # 100,096 contacts, all on e-mail
//! cargo run --release -p liaison-worker --example drain -- sqlite://./liaison-data/liaison.db [WORKERS] [--dispatch-only]
//! ```
//!
//! It dispatches an urgent e-mail notice to every active partner through the real review chain
//! (so every contact gets one queued e-mail delivery), then runs WORKERS workers (default 1) in
//! this process, each writing its sends to its own sink file, and times how long it takes until
//! no delivery is pending. It checks that every delivery reached a sink exactly once.
//! `--dispatch-only` stops after the dispatch (for `scripts/kill-worker.sh`, which drains with
//! `liaison worker` processes).

use liaison_core::SystemClock;
use liaison_db::{Db, q};
use liaison_worker::{Transport, Worker, WorkerConfig};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LIAISON_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url = args
        .first()
        .ok_or("usage: drain DATABASE_URL [WORKERS] [--dispatch-only]")?;
    let workers: usize = args
        .get(1)
        .filter(|a| !a.starts_with("--"))
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1);
    let dispatch_only = args.iter().any(|a| a == "--dispatch-only");
    // Deliveries leased per batch, as `liaison worker --worker-batch` (LIAISON_WORKER_BATCH).
    let batch: i64 = std::env::var("LIAISON_WORKER_BATCH")
        .ok()
        .map(|b| b.parse())
        .transpose()?
        .unwrap_or(WorkerConfig::default().batch);
    let key = liaison_db::crypto::Cipher::from_text(&liaison_db::crypto::Cipher::generate_text()?)?;
    let db = Db::connect(url, Arc::new(SystemClock))
        .await?
        .with_cipher(key);
    db.migrate().await?;
    let message = liaison_demo::notify_everyone(&db, &["email"], true).await?;
    let queued: i64 = db
        .fetch_one(
            q("SELECT COUNT(*) FROM deliveries WHERE message_id = $1 AND next_at IS NOT NULL")
                .bind(message),
        )
        .await?;
    println!(
        "{:?}: message {message} with {queued} queued e-mail deliveries",
        db.backend()
    );
    if dispatch_only {
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("liaison-drain-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..workers {
        let sink = dir.join(format!("sink{i}"));
        let w = Worker::new(
            db.clone(),
            WorkerConfig {
                id: format!("bench-{i}"),
                batch,
                ..Default::default()
            },
            Transport::sink(&sink)?,
        );
        tasks.push(tokio::spawn(async move {
            w.drain().await.map(|p| p.deliveries.sent)
        }));
    }
    let mut sent = 0;
    for t in tasks {
        sent += t.await?.map_err(|e| e.to_string())?;
    }
    let elapsed = started.elapsed();
    let pending: i64 = db
        .fetch_one(
            q("SELECT COUNT(*) FROM deliveries WHERE message_id = $1 AND next_at IS NOT NULL")
                .bind(message),
        )
        .await?;
    let mut seen = HashSet::new();
    let mut lines = 0;
    for i in 0..workers {
        // Job lines (`{id} notify`, …) are the requester's notifications, not deliveries.
        for line in std::fs::read_to_string(dir.join(format!("sink{i}")))?
            .lines()
            .filter(|l| !matches!(l.split(' ').nth(1), Some("notify" | "event" | "escalate")))
        {
            lines += 1;
            seen.insert(line.split(' ').next().unwrap_or("").to_string());
        }
    }
    std::fs::remove_dir_all(&dir)?;
    println!(
        "{:?}: {workers} worker(s) drained {sent} deliveries in {:.3} s ({:.0}/s); {pending} pending; sink lines {lines}, distinct {}",
        db.backend(),
        elapsed.as_secs_f64(),
        sent as f64 / elapsed.as_secs_f64(),
        seen.len()
    );
    if pending != 0 || seen.len() as i64 != queued || lines != seen.len() {
        return Err("the drain lost or repeated deliveries".into());
    }
    Ok(())
}
