//! Leases (DESIGN "Work in the background"): a worker that dies keeps its deliveries only until
//! its lease runs out; then another takes them over, and the dead worker's late answer changes
//! nothing. Several workers share the work and no delivery is sent twice.

use crate::{backends_at, dispatch, rows, shanghai, temp_path, worker, world};
use chrono::Duration;
use liaison_core::FixedClock;
use liaison_db::delivery::{self, Outcome};
use liaison_worker::Transport;
use std::collections::HashSet;
use std::sync::Arc;

/// A crashed worker's batch comes back after its lease; none is lost, none is marked twice.
#[tokio::test]
async fn a_crashed_workers_lease_expires_and_another_worker_takes_over() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let w = world(&db, 5, "email").await;
        let m = dispatch(&db, &w, &["email"], true, None).await;
        // Worker A leases everything, then "dies" before answering.
        let taken = delivery::claim(&db, "A", 100, Duration::seconds(30))
            .await
            .expect("claim");
        assert_eq!(taken.len(), 5, "{name}");
        let sink = temp_path("sink");
        let b = worker(&db, Transport::sink(&sink).expect("sink"), "B");
        assert_eq!(
            b.drain().await.expect("drain").claimed,
            0,
            "{name}: leased to A"
        );
        clock.advance(Duration::seconds(31));
        let pass = b.drain().await.expect("drain");
        assert_eq!(pass.deliveries.sent, 5, "{name}: B takes over: {pass:?}");
        // A wakes up and reports its (stale) outcome: refused, B's record stands.
        let results: Vec<_> = taken
            .into_iter()
            .map(|c| {
                (
                    c,
                    Outcome::Failed {
                        error: "late".into(),
                        permanent: true,
                    },
                )
            })
            .collect();
        let late = delivery::complete(&db, "A", 6, &results)
            .await
            .expect("complete");
        assert_eq!(late.dead, 0, "{name}: {late:?}");
        assert!(
            rows(&db, m).await.iter().all(|r| r.state == "sent"),
            "{name}"
        );
        clock.advance(Duration::seconds(-31));
        let _ = std::fs::remove_file(&sink);
    }
}

/// Four workers drain 600 deliveries at once: every delivery is sent exactly once
/// (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer on SQLite).
#[tokio::test]
async fn concurrent_workers_share_the_work_and_send_nothing_twice() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let w = world(&db, 200, "email,wecom,dingtalk").await;
        let m = dispatch(
            &db,
            &w,
            &["email", "wecom", "dingtalk", "feishu"],
            true,
            None,
        )
        .await;
        let total = rows(&db, m).await.len();
        assert_eq!(total, 600, "{name}");
        let sinks: Vec<_> = (0..4).map(|i| temp_path(&format!("sink{i}"))).collect();
        let mut tasks = Vec::new();
        for (i, path) in sinks.iter().enumerate() {
            let wk = worker(&db, Transport::sink(path).expect("sink"), &format!("w{i}"));
            tasks.push(tokio::spawn(async move {
                wk.drain().await.map(|p| p.deliveries.sent)
            }));
        }
        let mut sent = 0;
        for t in tasks {
            sent += t.await.expect("task").expect("drain");
        }
        assert_eq!(sent as usize, total, "{name}");
        let mut seen = HashSet::new();
        for path in &sinks {
            for line in std::fs::read_to_string(path).unwrap_or_default().lines() {
                let id = line.split(' ').next().unwrap_or("").to_string();
                assert!(seen.insert(id.clone()), "{name}: {id} sent twice");
            }
            let _ = std::fs::remove_file(path);
        }
        assert_eq!(seen.len(), total, "{name}: none lost");
    }
}

/// DESIGN "Wake-ups": an idle worker does not wait for its poll when work is queued; the
/// dispatch wakes it (in this process; other processes hear PostgreSQL's NOTIFY).
#[tokio::test]
async fn an_idle_worker_wakes_when_a_message_is_dispatched() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let w = world(&db, 3, "email").await;
        let sink = temp_path("sink");
        let wk = liaison_worker::Worker::new(
            db.clone(),
            liaison_worker::WorkerConfig {
                id: "idle".into(),
                poll: std::time::Duration::from_secs(60),
                sweep_every: std::time::Duration::from_secs(600),
                ..Default::default()
            },
            Transport::sink(&sink).expect("sink"),
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(wk.run(async {
            let _ = stopped.await;
        }));
        // Let it sweep once and go idle.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let started = std::time::Instant::now();
        let m = dispatch(&db, &w, &["email"], true, None).await;
        loop {
            if rows(&db, m).await.iter().all(|r| r.state == "sent") {
                break;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "{name}: the worker slept through the dispatch"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let _ = stop.send(());
        let _ = task.await;
        let _ = std::fs::remove_file(&sink);
    }
}
