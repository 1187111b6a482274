//! The robots' sliding minute (policy §2.1.2; issue 10, item 2): at most N posts to one robot in
//! any 60 s, whoever takes them, on both backends; a full minute answers how long until its
//! oldest post leaves it; a platform's "too fast" pauses the robot.

use crate::{backends_with, insert_partner, manager};
use chrono::{DateTime, Duration, TimeZone, Utc};
use liaison_core::rate::RateWait;
use liaison_core::{Clock, FixedClock};
use liaison_db::robot::{self, NewRobot, SendSlot, SlotWait};
use liaison_db::{Db, DbError};
use std::sync::Arc;
use uuid::Uuid;

const MINUTE_MS: i64 = 60_000;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0)
        .single()
        .expect("a valid time")
}

async fn wecom_robot(db: &Db) -> Uuid {
    let m = manager(db).await;
    let p = insert_partner(db, &m, "SH-R001", "上海机器人测试经销商").await;
    robot::insert_robot(
        db,
        m.id,
        p.id,
        &NewRobot {
            kind: "wecom".into(),
            label: "华东群".into(),
            url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K".into(),
            url_hint: "https://qyapi.weixin.qq.com/cgi-bin/…".into(),
            secret: None,
            contact_id: None,
        },
    )
    .await
    .expect("robot")
    .id
}

async fn take(db: &Db, robot: Uuid, n: u32) -> Result<SendSlot, SlotWait> {
    robot::take_send_slot(db, robot, n).await.expect("take")
}

fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).expect("a short wait")
}

/// At most how many of `times` (Unix ms) fall in one half-open window [s, s + 60 s).
fn max_in_any_minute(times: &[i64]) -> usize {
    times
        .iter()
        .map(|s| {
            times
                .iter()
                .filter(|t| **t >= *s && **t < s + MINUTE_MS)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// §2.1.2: 20 posts at once pass, the 21st waits until the first is a minute old, to the
/// millisecond; a post still in flight counts as later, so that the platform (which counts
/// when it receives it) never sees 21 in its minute.
#[tokio::test]
async fn twenty_posts_pass_and_the_21st_waits_until_the_oldest_leaves_the_minute() {
    let clock = Arc::new(FixedClock::new(start()));
    let (dbs, _g) = backends_with(clock.clone() as Arc<dyn Clock>).await;
    for (name, db) in dbs {
        let robot = wecom_robot(&db).await;
        let t0 = clock.now();
        for i in 0..20 {
            let slot = take(&db, robot, 20)
                .await
                .unwrap_or_else(|w| panic!("{name}: post {i} refused: {w:?}"));
            robot::finish_send(&db, slot).await.expect("finish");
            clock.advance(Duration::milliseconds(100));
        }
        // 2 s after the first: it leaves the minute in 58 s.
        let w = take(&db, robot, 20).await.expect_err("the 21st waits");
        assert_eq!(w.reason, RateWait::RobotMinute, "{name}");
        assert_eq!(ms(w.retry_after), MINUTE_MS - 2_000, "{name}");
        clock.advance(Duration::milliseconds(MINUTE_MS - 2_000 - 1));
        let w = take(&db, robot, 20).await.expect_err("a ms early");
        assert_eq!(ms(w.retry_after), 1, "{name}");
        clock.advance(Duration::milliseconds(1));
        assert_eq!(clock.now(), t0 + Duration::seconds(60), "{name}");
        take(&db, robot, 20).await.expect("the first has left");
        let w = take(&db, robot, 20).await.expect_err("the second has not");
        assert_eq!(ms(w.retry_after), 100, "{name}");
        // Another robot has its own minute. A post still in flight counts as up to 15 s
        // later (when the platform may receive it), and from when it ended once it has.
        let other = robot::insert_robot(
            &db,
            crate::user(&db, "second@example.com", "channel_manager")
                .await
                .id,
            crate::insert_partner(
                &db,
                &crate::user(&db, "third@example.com", "channel_manager").await,
                "SH-R002",
                "第二经销商",
            )
            .await
            .id,
            &NewRobot {
                kind: "dingtalk".into(),
                label: "群".into(),
                url: "https://oapi.dingtalk.com/robot/send?access_token=T".into(),
                url_hint: "https://oapi.dingtalk.com/robot/…".into(),
                secret: None,
                contact_id: None,
            },
        )
        .await
        .expect("robot")
        .id;
        let mut slots = Vec::new();
        for _ in 0..20 {
            slots.push(take(&db, other, 20).await.expect("its own minute"));
        }
        let w = take(&db, other, 20).await.expect_err("full");
        assert_eq!(ms(w.retry_after), 15_000 + MINUTE_MS, "{name}: in flight");
        for slot in slots {
            robot::finish_send(&db, slot).await.expect("finish");
        }
        let w = take(&db, other, 20).await.expect_err("full");
        assert_eq!(ms(w.retry_after), MINUTE_MS, "{name}: ended");
    }
}

/// §2.1.2, property-style: whatever the gaps between attempts, the posts let through never
/// exceed N in any sliding minute, and each refusal answers exactly when the oldest of the
/// last N posts is a minute old.
#[tokio::test]
async fn no_sliding_minute_ever_holds_more_than_n_posts_to_one_robot() {
    let clock = Arc::new(FixedClock::new(start()));
    let (dbs, _g) = backends_with(clock.clone() as Arc<dyn Clock>).await;
    for (name, db) in dbs {
        let robot = wecom_robot(&db).await;
        for n in [1u32, 3, 20] {
            // A small deterministic generator: bursts and pauses of every length.
            let mut seed: u64 = 0x9e37_79b9_7f4a_7c15 ^ u64::from(n);
            let mut gap = || {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let r = (seed >> 33) % 100;
                match r {
                    0..=59 => 0,
                    60..=89 => i64::try_from(seed % 4_000).unwrap_or(0),
                    _ => i64::try_from(seed % 70_000).unwrap_or(0),
                }
            };
            // Let the minute of the previous round pass.
            clock.advance(Duration::minutes(2));
            let mut sent: Vec<i64> = Vec::new();
            for step in 0..250 {
                clock.advance(Duration::milliseconds(gap()));
                let now = clock.now().timestamp_millis();
                match take(&db, robot, n).await {
                    Ok(slot) => {
                        robot::finish_send(&db, slot).await.expect("finish");
                        sent.push(now);
                    }
                    Err(w) => {
                        let k = usize::try_from(n).expect("n");
                        let oldest = sent[sent.len() - k];
                        assert_eq!(
                            ms(w.retry_after),
                            oldest + MINUTE_MS - now,
                            "{name}: n={n} step {step}"
                        );
                    }
                }
                assert!(
                    max_in_any_minute(&sent) <= n as usize,
                    "{name}: n={n} step {step}: {} in a minute",
                    max_in_any_minute(&sent)
                );
            }
            assert!(sent.len() > 2 * n as usize, "{name}: n={n}: some went");
        }
    }
}

/// Many workers asking at the same instant: exactly N get a slot, on both backends (the robot's
/// row is locked for the take on PostgreSQL; SQLite has one writer).
#[tokio::test]
async fn concurrent_takers_never_get_more_than_n_slots() {
    let clock = Arc::new(FixedClock::new(start()));
    let (dbs, _g) = backends_with(clock.clone() as Arc<dyn Clock>).await;
    for (name, db) in dbs {
        let robot = wecom_robot(&db).await;
        for round in 0..3 {
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..45 {
                let db = db.clone();
                set.spawn(async move { robot::take_send_slot(&db, robot, 20).await });
            }
            let mut taken = 0;
            let mut waits = 0;
            while let Some(r) = set.join_next().await {
                match r.expect("task").expect("take") {
                    Ok(_) => taken += 1,
                    Err(w) => {
                        assert_eq!(w.reason, RateWait::RobotMinute, "{name}");
                        waits += 1;
                    }
                }
            }
            assert_eq!((taken, waits), (20, 25), "{name}: round {round}");
            clock.advance(Duration::seconds(80));
        }
    }
}

/// A platform's "too fast" (DingTalk blocks a robot for 10 minutes) pauses the robot for every
/// worker: takes answer the rest of the pause, as the platform's wait; a shorter pause does
/// not shorten it; a removed robot is not found.
#[tokio::test]
async fn a_platform_pause_holds_every_post_until_it_ends() {
    let clock = Arc::new(FixedClock::new(start()));
    let (dbs, _g) = backends_with(clock.clone() as Arc<dyn Clock>).await;
    for (name, db) in dbs {
        let robot = wecom_robot(&db).await;
        let now = clock.now();
        robot::pause_robot(&db, robot, now + Duration::minutes(10))
            .await
            .expect("pause");
        robot::pause_robot(&db, robot, now + Duration::minutes(1))
            .await
            .expect("shorter pause");
        let w = take(&db, robot, 20).await.expect_err("paused");
        assert_eq!(
            (w.reason, ms(w.retry_after)),
            (RateWait::Platform, 600_000),
            "{name}"
        );
        clock.advance(Duration::minutes(10));
        assert!(take(&db, robot, 20).await.is_ok(), "{name}");
        let gone = robot::take_send_slot(&db, Uuid::now_v7(), 20).await;
        assert!(matches!(gone, Err(DbError::NotFound)), "{name}: {gone:?}");
    }
}
