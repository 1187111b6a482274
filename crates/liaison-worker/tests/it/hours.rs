//! Working hours (policy §5.3.2, SPEC B9): non-urgent deliveries wait for the recipient's
//! working hours in the partner's time zone; urgent ones go at once.

use crate::{backends_at, dispatch, rows, shanghai, temp_path, worker, world};
use chrono::Duration;
use liaison_core::FixedClock;
use liaison_worker::Transport;
use std::sync::Arc;

/// §5.3.2: a non-urgent message approved at 22:00 partner time goes at 09:00 the next working
/// morning, and the receipts board says when; an urgent one goes at once.
#[tokio::test]
async fn a_non_urgent_message_at_22_00_goes_at_the_next_working_morning() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 22, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let sink = temp_path("sink");
        let w = world(&db, 3, "email").await;
        let normal = dispatch(&db, &w, &["email"], false, None).await;
        let urgent = dispatch(&db, &w, &["email"], true, None).await;
        let wk = worker(&db, Transport::sink(&sink).expect("sink"), "w1");
        let pass = wk.drain().await.expect("drain");
        assert_eq!(pass.deliveries.held, 3, "{name}: {pass:?}");
        assert_eq!(
            pass.deliveries.sent, 3,
            "{name}: urgent goes at once: {pass:?}"
        );
        let held = rows(&db, normal).await;
        assert!(
            held.iter()
                .all(|r| r.state == "held" && r.next_at == Some(shanghai(2, 9, 0))),
            "{name}: held until Wednesday 09:00 Shanghai: {held:?}"
        );
        assert!(
            rows(&db, urgent).await.iter().all(|r| r.state == "sent"),
            "{name}"
        );
        let summary = liaison_db::inbox::summary(&db, normal)
            .await
            .expect("summary");
        assert_eq!(summary.held, 3, "{name}: {summary:?}");
        // Nothing goes in the night.
        clock.advance(Duration::hours(10) + Duration::minutes(59));
        assert_eq!(
            wk.drain().await.expect("drain").claimed,
            0,
            "{name}: 08:59 is too early"
        );
        clock.advance(Duration::minutes(1));
        let morning = wk.drain().await.expect("drain");
        assert_eq!(morning.deliveries.sent, 3, "{name}: {morning:?}");
        assert!(
            rows(&db, normal).await.iter().all(|r| r.state == "sent"),
            "{name}"
        );
        let lines = std::fs::read_to_string(&sink).expect("sink");
        assert_eq!(lines.lines().count(), 6, "{name}: each delivery sent once");
        clock.advance(Duration::hours(-11));
        let _ = std::fs::remove_file(&sink);
    }
}

/// §5.3.2: a partner in another time zone is reached in its own hours; a public holiday of
/// the (mainland) calendar, here an admin's edit, moves a Shanghai partner's send to the next
/// working day but not a Berlin partner's, whose holidays it does not list.
#[tokio::test]
async fn partner_time_zones_and_calendar_holidays_decide_the_send_time() {
    // 2026-12-03 (Thursday) 10:00 in Shanghai is 03:00 in Berlin.
    let clock = Arc::new(FixedClock::new(shanghai(3, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let sink = temp_path("sink");
        let w = world(&db, 2, "email").await;
        let mut tx = db.begin().await.expect("tx");
        tx.execute(
            liaison_db::q("UPDATE partners SET timezone = 'Europe/Berlin' WHERE id = $1")
                .bind(w.partners[1]),
        )
        .await
        .expect("tz");
        tx.commit().await.expect("commit");
        let day =
            liaison_db::calendar::parse_day("2026-12-03", "holiday", "公司庆典").expect("day");
        liaison_db::calendar::upsert_day(&db, w.manager.id, &day)
            .await
            .expect("holiday");
        let m = dispatch(&db, &w, &["email"], false, None).await;
        let wk = worker(&db, Transport::sink(&sink).expect("sink"), "w1");
        wk.drain().await.expect("drain");
        let rs = rows(&db, m).await;
        let times: Vec<_> = rs.iter().map(|r| r.next_at).collect();
        use chrono::TimeZone;
        let berlin_thu_9 = chrono_tz::Europe::Berlin
            .with_ymd_and_hms(2026, 12, 3, 9, 0, 0)
            .single()
            .expect("time")
            .with_timezone(&chrono::Utc);
        assert!(
            times.contains(&Some(shanghai(4, 9, 0))),
            "{name}: Shanghai waits for Friday: {rs:?}"
        );
        assert!(
            times.contains(&Some(berlin_thu_9)),
            "{name}: Berlin waits only for its own Thursday 09:00: {rs:?}"
        );
        let _ = std::fs::remove_file(&sink);
    }
}
