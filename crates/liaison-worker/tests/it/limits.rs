//! Robots' rate limits (policy §2.1.2; issue 10, item 2) as the platform sees them: a real HTTP
//! receiver on loopback counts posts in its sliding minute, by the same injected clock as the
//! workers. Our own limiter keeps every minute to 20; a platform's "too fast" is a wait that
//! costs no attempt but is counted and shown on the receipts board.

use crate::servers::{Answer, Posts, counting_robot};
use crate::{backends_at, dispatch_input, input, shanghai, worker, world};
use chrono::{DateTime, Duration, Utc};
use liaison_core::rate::RateWait;
use liaison_core::{Clock, FixedClock};
use liaison_db::Db;
use liaison_db::inbox::DeliveryRow;
use liaison_db::robot::NewRobot;
use liaison_worker::Transport;
use std::sync::Arc;
use uuid::Uuid;

const WECOM_OK: Answer = Answer::json(r#"{"errcode":0,"errmsg":"ok"}"#);
const WECOM_BUSY: Answer = Answer::json(r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#);

/// A group robot of the (first) partner of `w`.
async fn add_robot(db: &Db, w: &crate::World, kind: &str, url: &str) {
    liaison_db::robot::insert_robot(
        db,
        w.manager.id,
        w.partners[0],
        &NewRobot {
            kind: kind.into(),
            label: format!("{kind} 群"),
            url: url.into(),
            url_hint: liaison_channels::robot::redact_url(url),
            secret: None,
            contact_id: None,
        },
    )
    .await
    .expect("robot");
}

/// Urgent messages (no working-hours hold) to the partner's robot, each with its own title.
async fn messages(db: &Db, w: &crate::World, channel: &str, n: usize) -> Vec<Uuid> {
    let mut out = Vec::new();
    for i in 0..n {
        let mut r = input(w, &[channel]);
        r.title = Some(format!("第{i}号通知：返利调整"));
        out.push(dispatch_input(db, w, &r).await);
    }
    out
}

/// The robot deliveries of `messages` as the receipts board and the API show them.
async fn board(db: &Db, messages: &[Uuid], channel: &str) -> Vec<DeliveryRow> {
    let mut out = Vec::new();
    for m in messages {
        let rows = liaison_db::inbox::deliveries(db, *m, false, None, 100)
            .await
            .expect("board");
        out.extend(rows.into_iter().filter(|d| d.channel == channel));
    }
    out
}

/// When the first of the unsent deliveries is due, if any.
fn next_due(rows: &[DeliveryRow]) -> Option<DateTime<Utc>> {
    rows.iter()
        .filter(|d| d.sent_at.is_none())
        .filter_map(|d| d.next_at)
        .min()
}

/// How many accepted posts carry `text`.
fn carrying(posts: &Posts, text: &str) -> usize {
    posts
        .accepted()
        .iter()
        .filter(|p| p.body.to_string().contains(text))
        .count()
}

/// Issue 10, item 2: 25 urgent messages to one WeCom robot within a minute. The receiver, which
/// answers 45009 to a 21st post in its sliding minute as WeCom does, never sees more than 20 in
/// any 60 s; all 25 arrive exactly once with one attempt each; the 5 that waited for the
/// robot's minute say so on the receipts board (why, until when) while they wait, and keep
/// the count of their waits once sent.
#[tokio::test]
async fn twenty_five_messages_to_one_robot_never_exceed_20_in_a_minute_at_the_receiver() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let (url, posts) = counting_robot(clock.clone(), 20, WECOM_OK, WECOM_BUSY, vec![]).await;
        let w = world(&db, 1, "wecom").await;
        add_robot(&db, &w, "wecom", &url).await;
        let ms = messages(&db, &w, "wecom", 25).await;
        let (a, b) = (
            worker(&db, Transport::live(None), "a"),
            worker(&db, Transport::live(None), "b"),
        );
        let start = clock.now();
        for round in 0..10 {
            let (ra, rb) = tokio::join!(a.drain(), b.drain());
            ra.expect("a");
            rb.expect("b");
            let rows = board(&db, &ms, "wecom").await;
            if round == 0 {
                assert_eq!(posts.all().len(), 20, "{name}: 20 at once");
                let waiting: Vec<&DeliveryRow> =
                    rows.iter().filter(|d| d.sent_at.is_none()).collect();
                assert_eq!(waiting.len(), 5, "{name}");
                for d in &waiting {
                    assert_eq!(d.wait_reason, Some(RateWait::RobotMinute), "{name}: {d:?}");
                    assert_eq!(d.attempts, 0, "{name}: a wait is not an attempt");
                    assert_eq!(d.rate_waits, 1, "{name}: but it is counted");
                    let at = d.next_at.expect("until when");
                    assert!(
                        at >= start + Duration::seconds(60),
                        "{name}: not before the first 20 leave the minute: {at}"
                    );
                }
                let mut rate_limited = 0;
                for m in &ms {
                    let s = liaison_db::inbox::summary(&db, *m).await.expect("summary");
                    rate_limited += s.rate_limited;
                }
                assert_eq!(rate_limited, 5, "{name}: the board's count");
            }
            let Some(due) = next_due(&rows) else { break };
            assert!(due > clock.now(), "{name}: round {round}: due {due}");
            clock.advance(due - clock.now());
        }
        let all = posts.all();
        assert_eq!(
            posts.most_in_a_minute(),
            20,
            "{name}: the receiver's busiest minute: {:?}",
            all.iter().map(|p| p.at).collect::<Vec<_>>()
        );
        assert_eq!(all.len(), 25, "{name}: no post refused, none twice");
        assert!(all.iter().all(|p| p.accepted), "{name}");
        for i in 0..25 {
            assert_eq!(
                carrying(&posts, &format!("第{i}号通知：")),
                1,
                "{name}: message {i} once"
            );
        }
        let rows = board(&db, &ms, "wecom").await;
        assert!(
            rows.iter().all(|d| d.state == "sent" && d.attempts == 1),
            "{name}: {rows:?}"
        );
        assert!(rows.iter().all(|d| d.wait_reason.is_none()), "{name}");
        let waited: i64 = rows.iter().map(|d| d.rate_waits).sum();
        assert_eq!(waited, 5, "{name}: the five waits stay counted");
    }
}

/// Issue 10, item 2: a platform's "too fast" (WeCom 45009, DingTalk 130101, Feishu 9499, Slack
/// 429 with Retry-After) puts the delivery back for the platform's wait (DingTalk's 10-minute
/// block, Slack's Retry-After) with no attempt counted, the wait counted and its reason shown;
/// another message to the same robot waits out the same pause without a post; then both go,
/// once each.
#[tokio::test]
async fn a_platform_rate_limit_is_a_counted_wait_not_a_failed_attempt() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    let cases = [
        ("wecom", WECOM_OK, WECOM_BUSY, 60),
        (
            "dingtalk",
            Answer::json(r#"{"errcode":0,"errmsg":"ok"}"#),
            Answer::json(
                r#"{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}"#,
            ),
            600,
        ),
        (
            "feishu",
            Answer::json(r#"{"code":0,"msg":"success","data":{}}"#),
            Answer::json(r#"{"code":9499,"msg":"Too Many Request"}"#),
            60,
        ),
        (
            "slack",
            Answer {
                status: 200,
                body: "ok",
                retry_after: None,
            },
            Answer {
                status: 429,
                body: "rate_limited",
                retry_after: Some("7"),
            },
            7,
        ),
    ];
    for (name, db) in dbs {
        let all = world(&db, cases.len(), "wecom,dingtalk,feishu,slack").await;
        for (i, (kind, ok, busy, wait)) in cases.clone().into_iter().enumerate() {
            let (url, posts) =
                counting_robot(clock.clone(), 20, ok, busy.clone(), vec![busy]).await;
            // One partner per platform, so that each case has its own robot and messages.
            let w = crate::World {
                manager: all.manager.clone(),
                partners: vec![all.partners[i]],
                contacts: vec![all.contacts[i]],
            };
            add_robot(&db, &w, kind, &url).await;
            let first = messages(&db, &w, kind, 1).await;
            let wk = worker(&db, Transport::live(None), "w1");
            let pass = wk.drain().await.expect("drain");
            assert_eq!(
                (pass.deliveries.later, pass.deliveries.retrying),
                (1, 0),
                "{name} {kind}: {pass:?}"
            );
            let t0 = clock.now();
            let d = &board(&db, &first, kind).await[0];
            assert_eq!(
                (d.state.as_str(), d.attempts, d.rate_waits, d.wait_reason),
                ("queued", 0, 1, Some(RateWait::Platform)),
                "{name} {kind}: {d:?}"
            );
            assert_eq!(
                d.next_at,
                Some(t0 + Duration::seconds(wait)),
                "{name} {kind}"
            );
            // Another message a moment later: the robot is paused for every worker, so it
            // waits without a post.
            clock.advance(Duration::seconds(1));
            let second = messages(&db, &w, kind, 1).await;
            wk.drain().await.expect("drain");
            assert_eq!(
                posts.all().len(),
                1,
                "{name} {kind}: nothing posted in the pause"
            );
            let d2 = &board(&db, &second, kind).await[0];
            assert_eq!(
                (d2.attempts, d2.rate_waits, d2.wait_reason, d2.next_at),
                (
                    0,
                    1,
                    Some(RateWait::Platform),
                    Some(t0 + Duration::seconds(wait))
                ),
                "{name} {kind}"
            );
            let s = liaison_db::inbox::summary(&db, second[0])
                .await
                .expect("summary");
            assert_eq!(s.rate_limited, 1, "{name} {kind}");
            clock.advance(Duration::seconds(wait - 1));
            let pass = wk.drain().await.expect("drain");
            assert_eq!(pass.deliveries.sent, 2, "{name} {kind}: {pass:?}");
            assert_eq!(posts.accepted().len(), 2, "{name} {kind}: once each");
            for m in [&first, &second] {
                let d = &board(&db, m, kind).await[0];
                assert_eq!(
                    (d.state.as_str(), d.attempts, d.rate_waits, d.wait_reason),
                    ("sent", 1, 1, None),
                    "{name} {kind}: {d:?}"
                );
            }
        }
    }
}
