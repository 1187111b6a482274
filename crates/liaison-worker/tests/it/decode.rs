//! Rows the worker cannot read are errors, never guessed at or skipped in silence (STYLE "silent
//! defaults"): a job of an unknown kind or with a payload that does not fit is dead with the
//! reason; a delivery whose state does not decode leaves the queue with the reason on it, and
//! neither holds up the rest.

use crate::{backends_at, dispatch, rows, shanghai, temp_path, worker, world};
use liaison_core::FixedClock;
use liaison_db::q;
use liaison_worker::Transport;
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

#[tokio::test]
async fn a_job_that_does_not_decode_is_dead_with_its_error_and_the_others_run() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let now = db.now();
        let mut tx = db.begin().await.expect("tx");
        let fine = liaison_db::job::enqueue(
            &mut tx,
            now,
            "event",
            json!({"endpoint_id": Uuid::now_v7(), "event": {"type": "message.dispatched"}}),
        )
        .await
        .expect("event");
        let unknown = liaison_db::job::enqueue(&mut tx, now, "fax", json!({}))
            .await
            .expect("unknown kind");
        let unfit =
            liaison_db::job::enqueue(&mut tx, now, "escalate", json!({"message_id": "消息-1"}))
                .await
                .expect("bad payload");
        tx.commit().await.expect("commit");
        let sink = temp_path("sink");
        let wk = worker(&db, Transport::sink(&sink).expect("sink"), "w1");
        let pass = wk.drain().await.expect("drain");
        assert_eq!(pass.jobs, 3, "{name}: {pass:?}");
        let jobs = liaison_db::job::list_jobs(&db, None, None, 10)
            .await
            .expect("jobs");
        let job = |id| jobs.iter().find(|j| j.id == id).expect("listed");
        assert_eq!(job(fine).state, "done", "{name}");
        let dead = job(unknown);
        assert_eq!(dead.state, "dead", "{name}: {dead:?}");
        assert!(
            dead.last_error
                .as_deref()
                .is_some_and(|e| e.starts_with("unknown job kind: 'fax'")),
            "{name}: {dead:?}"
        );
        let dead = job(unfit);
        assert_eq!(dead.state, "dead", "{name}: {dead:?}");
        assert!(
            dead.last_error
                .as_deref()
                .is_some_and(|e| e.starts_with("the escalate job's payload does not decode")),
            "{name}: {dead:?}"
        );
        let _ = std::fs::remove_file(&sink);
    }
}

#[tokio::test]
async fn a_delivery_whose_state_does_not_decode_leaves_the_queue_with_its_error() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let w = world(&db, 3, "email").await;
        let m = dispatch(&db, &w, &["email"], true, None).await;
        let bad = rows(&db, m).await[0].id;
        let mut tx = db.begin().await.expect("tx");
        tx.execute(q("UPDATE deliveries SET state = 'lost' WHERE id = $1").bind(bad))
            .await
            .expect("corrupt");
        tx.commit().await.expect("commit");
        let sink = temp_path("sink");
        let wk = worker(&db, Transport::sink(&sink).expect("sink"), "w1");
        let pass = wk.drain().await.expect("drain");
        assert_eq!(pass.deliveries.sent, 2, "{name}: the others go: {pass:?}");
        let row = rows(&db, m)
            .await
            .into_iter()
            .find(|r| r.id == bad)
            .expect("row");
        // Not sent, not retried, not rewritten: the board shows why.
        assert_eq!(row.state, "lost", "{name}");
        assert_eq!(row.next_at, None, "{name}");
        assert!(
            row.last_error
                .as_deref()
                .is_some_and(|e| e.starts_with("unknown delivery state: 'lost' is not one of")),
            "{name}: {row:?}"
        );
        let sent = std::fs::read_to_string(&sink).unwrap_or_default();
        assert!(!sent.contains(&bad.to_string()), "{name}: {sent}");
        let _ = std::fs::remove_file(&sink);
    }
}
