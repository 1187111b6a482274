//! Evaluation (policy §6; issue 16) through the service layer, on every backend: the four
//! indicators on a hand-built month with the expected fractions written out (a late
//! acknowledgement, a dead delivery, a correction, a recall, a copy never sent, deadline-less
//! deliveries on the working-hours rule, one due after the month), the drill-down to the late
//! deliveries, the aggregates equal to the raw rows after random operations (a property
//! test), scorecards with their reasons, and who may read what.

use crate::{Cast, backends};
use chrono::{DateTime, Duration, TimeZone, Utc};
use liaison_app::Error;
use liaison_app::kpi::{self as app, Days, DrillQuery, Level};
use liaison_core::kpi::{Fraction, GroupBy, Indicator, Period};
use liaison_core::{Actor, FixedClock};
use liaison_db::kpi as repo;
use liaison_db::{Db, q};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

/// `y-m-d h:00` in Shanghai (the company's zone).
fn bj(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    liaison_core::calendar::Tz::Asia__Shanghai
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("a valid time")
        .with_timezone(&Utc)
}

fn march() -> Days {
    Days::of(Period::month(2031, 3))
}

/// Writes ledger rows by hand (the dispatch path is tested elsewhere; here the rows are the
/// data set).
struct Book<'a> {
    db: &'a Db,
    requester: &'a Actor,
}

impl Book<'_> {
    async fn message(
        &self,
        sent: DateTime<Utc>,
        deadline: Option<DateTime<Utc>>,
        ack_required: bool,
        corrects: Option<Uuid>,
    ) -> Uuid {
        let (request, message) = (Uuid::now_v7(), Uuid::now_v7());
        let mut tx = self.db.begin().await.expect("tx");
        tx.execute(
            q("INSERT INTO requests (id, requester_id, department_id, title, form, category, importance,
                 classification, state, chain, findings, message_id, version, created_at, updated_at)
               VALUES ($1, $2, $3, 'kpi', '{}', 'other', 'normal', 'internal', 'sent', '[]', '[]', $4, 1, $5, $5)")
            .bind(request)
            .bind(self.requester.user_id)
            .bind(self.requester.department_id)
            .bind(message)
            .bind(sent),
        )
        .await
        .expect("request");
        tx.execute(
            q("INSERT INTO messages (id, request_id, title, body, category, importance, urgency,
                 classification, ack_required, ack_due_at, corrects_id, created_at)
               VALUES ($1, $2, '评估测试', '正文', 'other', 'normal', 'normal', 'internal', $3, $4, $5, $6)")
            .bind(message)
            .bind(request)
            .bind(ack_required)
            .bind(deadline)
            .bind(corrects)
            .bind(sent),
        )
        .await
        .expect("message");
        tx.commit().await.expect("commit");
        message
    }

    #[allow(clippy::too_many_arguments)]
    async fn delivery(
        &self,
        message: Uuid,
        partner: Uuid,
        channel: &str,
        state: &str,
        sent: DateTime<Utc>,
        read: Option<DateTime<Utc>>,
        acked: Option<DateTime<Utc>>,
        ack_required: bool,
    ) -> Uuid {
        let id = Uuid::now_v7();
        let mut tx = self.db.begin().await.expect("tx");
        tx.execute(
            q("INSERT INTO deliveries (id, message_id, partner_id, contact_id, channel, state, created_at,
                 read_at, acked_at, late, ack_required)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(id)
            .bind(message)
            .bind(partner)
            .bind(Uuid::now_v7())
            .bind(channel)
            .bind(state)
            .bind(sent)
            .bind(read)
            .bind(acked)
            .bind(false)
            .bind(ack_required),
        )
        .await
        .expect("delivery");
        tx.commit().await.expect("commit");
        id
    }
}

/// The hand-built March 2031; returns the ids of the deliveries not counted as timely.
async fn march_data(db: &Db, cast: &Cast) -> Vec<Uuid> {
    let b = Book {
        db,
        requester: &cast.staff,
    };
    let p1 = cast.p1.partner_id.expect("p1's partner");
    let p2 = cast.p2.partner_id.expect("p2's partner");
    let mut late = Vec::new();
    // M1, Monday 3 March 10:00, acknowledgement required by Wednesday 5 March 18:00.
    let s = bj(2031, 3, 3, 10);
    let m1 = b.message(s, Some(bj(2031, 3, 5, 18)), true, None).await;
    // d1: acknowledged in time — accurate, timely.
    b.delivery(
        m1,
        p1,
        "portal",
        "acknowledged",
        s,
        Some(bj(2031, 3, 4, 9)),
        Some(bj(2031, 3, 4, 9)),
        true,
    )
    .await;
    // d2: acknowledged on the 6th — accurate, late.
    late.push(
        b.delivery(
            m1,
            p1,
            "email",
            "acknowledged",
            s,
            Some(bj(2031, 3, 5, 9)),
            Some(bj(2031, 3, 6, 9)),
            true,
        )
        .await,
    );
    // d3: dead — neither.
    late.push(
        b.delivery(m1, p1, "wecom", "dead", s, None, None, true)
            .await,
    );
    // d4: a phone call logged, never acknowledged — accurate, not timely.
    late.push(
        b.delivery(m1, p2, "phone", "manual", s, None, None, true)
            .await,
    );
    // M2, Monday 10 March 17:00, no deadline, nothing to acknowledge: due 16 working hours
    // later (1 on Monday, 9 on Tuesday, 6 on Wednesday) = Wednesday 12 March 15:00.
    let s = bj(2031, 3, 10, 17);
    let m2 = b.message(s, None, false, None).await;
    // d5: read Wednesday 14:00 — timely.
    b.delivery(
        m2,
        p1,
        "portal",
        "read",
        s,
        Some(bj(2031, 3, 12, 14)),
        None,
        false,
    )
    .await;
    // d6: read Wednesday 16:00 — late.
    late.push(
        b.delivery(
            m2,
            p2,
            "email",
            "read",
            s,
            Some(bj(2031, 3, 12, 16)),
            None,
            false,
        )
        .await,
    );
    // M3, Monday 17 March, due Wednesday 19 March 18:00, later corrected by M4.
    let s = bj(2031, 3, 17, 10);
    let m3 = b.message(s, Some(bj(2031, 3, 19, 18)), true, None).await;
    // d7: acknowledged in time but its message was corrected — timely, not accurate.
    b.delivery(
        m3,
        p1,
        "portal",
        "acknowledged",
        s,
        Some(bj(2031, 3, 18, 9)),
        Some(bj(2031, 3, 18, 9)),
        true,
    )
    .await;
    // M4 corrects M3, Tuesday 18 March 10:00, no deadline: due 16 working hours later
    // (8 on Tuesday, 8 on Wednesday) = Wednesday 19 March 17:00.
    let s = bj(2031, 3, 18, 10);
    let m4 = b.message(s, None, false, Some(m3)).await;
    // d8: delivered, never read — accurate, not timely.
    late.push(
        b.delivery(m4, p1, "portal", "delivered", s, None, None, false)
            .await,
    );
    // M5, Monday 24 March, due Wednesday 26 March; recalled from p2 (§7.3).
    let s = bj(2031, 3, 24, 10);
    let m5 = b.message(s, Some(bj(2031, 3, 26, 18)), false, None).await;
    // d9: read in time, then recalled — timely, not accurate.
    b.delivery(
        m5,
        p2,
        "portal",
        "read",
        s,
        Some(bj(2031, 3, 24, 11)),
        None,
        false,
    )
    .await;
    // d10: still queued, never sent — neither.
    late.push(
        b.delivery(m5, p1, "email", "queued", s, None, None, false)
            .await,
    );
    let mut tx = db.begin().await.expect("tx");
    tx.execute(
        q("INSERT INTO recalls (message_id, partner_id, recalled_by, recalled_at) VALUES ($1, $2, $3, $4)")
            .bind(m5)
            .bind(p2)
            .bind(cast.channel.user_id)
            .bind(bj(2031, 3, 25, 9)),
    )
    .await
    .expect("recall");
    tx.commit().await.expect("commit");
    // M6, Monday 31 March 17:00, no deadline: due Wednesday 2 April 15:00 — sent in March
    // (F1's denominator), due in April (not F2's for March).
    let s = bj(2031, 3, 31, 17);
    let m6 = b.message(s, None, false, None).await;
    b.delivery(m6, p1, "portal", "delivered", s, None, None, false)
        .await;
    late
}

/// Three tickets raised by p1, rated 5, 4 and 2 in March 2031.
async fn march_ratings(db: &Db, cast: &Cast) {
    let mut ids = Vec::new();
    for subject in ["设备报警", "价格咨询", "物流延误"] {
        let t = liaison_app::tickets::create(
            db,
            &cast.p1,
            &liaison_app::tickets::TicketInput {
                kind: Some("other".into()),
                priority: Some("normal".into()),
                subject: Some(subject.into()),
                description: Some("请协助处理。".into()),
                ..Default::default()
            },
            Vec::new(),
            liaison_core::tickets::TicketVia::Portal,
        )
        .await
        .expect("raised");
        ids.push(t.id);
    }
    let mut tx = db.begin().await.expect("tx");
    for (id, (r, d)) in ids.iter().zip([(5, 4), (4, 11), (2, 20)]) {
        tx.execute(
            q("UPDATE tickets SET rating = $1, rated_at = $2 WHERE id = $3")
                .bind(r as i64)
                .bind(bj(2031, 3, d, 10))
                .bind(*id),
        )
        .await
        .expect("rating");
    }
    tx.commit().await.expect("commit");
}

async fn at_april(db: &Db) -> Db {
    db.with_clock(Arc::new(FixedClock::new(bj(2031, 4, 15, 9))))
}

#[tokio::test]
async fn the_four_indicators_on_a_hand_built_month_6_1() {
    let (dbs, _dir) = backends().await;
    for (name, db) in &dbs {
        let cast = Cast::load(db).await;
        let db = at_april(db).await;
        let late = march_data(&db, &cast).await;
        march_ratings(&db, &cast).await;
        app::rebuild(&db, None).await.expect("rebuild");

        let r = app::report(&db, &cast.exec, march(), GroupBy::Department)
            .await
            .expect("report");
        // F1: 11 deliveries went out in March; accurate: d1, d2, d4 (a logged call), d5, d6,
        // d8, d11 — not d3 (dead), d7 (corrected), d9 (recalled), d10 (never sent).
        assert_eq!(r.total.accuracy, Fraction::new(7, 11), "{name}");
        // F2: 10 fell due in March (d11 is due on 2 April); in time: d1, d5, d7, d9.
        assert_eq!(r.total.timeliness, Fraction::new(4, 10), "{name}");
        // F3: ratings 5, 4, 2: mean 11/3, two of three satisfied.
        assert_eq!(r.total.satisfaction.responses, 3, "{name}");
        let mean = r.total.satisfaction.mean.expect("a mean");
        assert!((mean - 11.0 / 3.0).abs() < 1e-9, "{name}: {mean}");
        assert_eq!(
            r.total.satisfaction.share_satisfied,
            Some(2.0 / 3.0),
            "{name}"
        );
        let dep = cast
            .staff
            .department_id
            .expect("staff's department")
            .to_string();
        let g = r
            .groups
            .iter()
            .find(|g| g.key == dep)
            .expect("staff's department");
        assert_eq!(g.accuracy, Fraction::new(7, 11), "{name}");
        assert!(g.label.is_some(), "{name}: departments are named");

        // By channel: portal d1, d5, d7, d8, d9, d11 — accurate d1, d5, d8, d11.
        let by_channel = app::report(&db, &cast.exec, march(), GroupBy::Channel)
            .await
            .expect("by channel");
        let portal = by_channel
            .groups
            .iter()
            .find(|g| g.key == "portal")
            .expect("portal");
        assert_eq!(portal.accuracy, Fraction::new(4, 6), "{name}");
        // Due in March on the portal: d1, d5, d7, d8, d9 — timely d1, d5, d7, d9.
        assert_eq!(portal.timeliness, Fraction::new(4, 5), "{name}");

        // April holds d11's due day: not read, so 0 of 1.
        let april = Days::of(Period::month(2031, 4));
        let r4 = app::report(&db, &cast.exec, april, GroupBy::Department)
            .await
            .expect("april");
        assert_eq!(r4.total.timeliness, Fraction::new(0, 1), "{name}");
        assert_eq!(r4.total.accuracy, Fraction::new(0, 0), "{name}");

        // Drill-down: the department's timeliness misses are exactly the late ones.
        let drill = app::drilldown(
            &db,
            &cast.exec,
            &DrillQuery {
                indicator: Indicator::Timeliness,
                days: march(),
                group: Some((GroupBy::Department, dep.clone())),
                misses: true,
                after: None,
                limit: 4,
            },
        )
        .await
        .expect("drill");
        assert_eq!(drill.deliveries.len(), 4, "{name}");
        let next = drill.next.expect("a second page");
        let rest = app::drilldown(
            &db,
            &cast.exec,
            &DrillQuery {
                indicator: Indicator::Timeliness,
                days: march(),
                group: Some((GroupBy::Department, dep.clone())),
                misses: true,
                after: Some(next),
                limit: 4,
            },
        )
        .await
        .expect("page 2");
        assert_eq!(rest.next, None, "{name}");
        let mut got: Vec<Uuid> = drill
            .deliveries
            .iter()
            .chain(&rest.deliveries)
            .map(|d| d.id)
            .collect();
        got.sort();
        let mut want = late.clone();
        want.sort();
        assert_eq!(got, want, "{name}");
        assert!(drill.deliveries.iter().all(|d| !d.counted), "{name}");

        // The executive's home page figures (issue 16 item 6): March beside February.
        let h = app::headline(&db, &cast.exec, Period::month(2031, 3))
            .await
            .expect("headline");
        assert_eq!(h.now.accuracy, Fraction::new(7, 11), "{name}");
        assert_eq!(h.before.accuracy, Fraction::new(0, 0), "{name}");
        // A channel manager's movers: p1 and p2 had nothing in February, so no change yet.
        let m = app::movers(&db, &cast.channel, Period::month(2031, 3), 5)
            .await
            .expect("movers");
        assert!(m.is_empty(), "{name}: {m:?}");
        assert!(matches!(
            app::movers(&db, &cast.staff, Period::month(2031, 3), 5).await,
            Err(Error::Forbidden)
        ));

        // By partner, a period reads whole months from the monthly roll-up and the days at
        // its ends from the day rows: the same sums as the days alone, whole month or not.
        check_months(&db).await.expect("months");
        let days = repo::partner_daily_rows(&db).await.expect("days");
        for (from, to) in [
            ((2031, 3, 1), (2031, 3, 31)),
            ((2031, 3, 10), (2031, 4, 30)),
            ((2031, 2, 1), (2031, 4, 3)),
            ((2031, 3, 2), (2031, 3, 30)),
        ] {
            let d = |(y, m, d): (i32, u32, u32)| {
                chrono::NaiveDate::from_ymd_opt(y, m, d).expect("a date")
            };
            let span = Days {
                from: d(from),
                to: d(to),
            };
            let r = app::report(&db, &cast.exec, span, GroupBy::Partner)
                .await
                .expect("by partner");
            let mut want: BTreeMap<String, (i64, i64, i64, i64)> = BTreeMap::new();
            for ((day, p), s) in &days {
                if *day >= span.from.to_string() && *day <= span.to.to_string() {
                    let e = want.entry(p.to_string()).or_default();
                    *e = (e.0 + s.sent, e.1 + s.accurate, e.2 + s.due, e.3 + s.timely);
                }
            }
            let got: BTreeMap<String, (i64, i64, i64, i64)> = r
                .groups
                .iter()
                .filter(|g| g.accuracy.denominator + g.timeliness.denominator > 0)
                .map(|g| {
                    (
                        g.key.clone(),
                        (
                            g.accuracy.denominator,
                            g.accuracy.numerator,
                            g.timeliness.denominator,
                            g.timeliness.numerator,
                        ),
                    )
                })
                .collect();
            want.retain(|_, v| v.0 + v.2 > 0);
            assert_eq!(got, want, "{name}: {span:?}");
            assert!(!got.is_empty(), "{name}: {span:?}");
        }

        // The aggregates equal the raw rows computed one by one.
        let now = db.now();
        assert_eq!(
            app::aggregated_daily(&db).await.expect("aggregated"),
            app::raw_daily(&db, now).await.expect("raw"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn who_reads_the_evaluation_6_3() {
    let (dbs, _dir) = backends().await;
    for (name, db) in &dbs {
        let cast = Cast::load(db).await;
        let db = at_april(db).await;
        march_data(&db, &cast).await;
        app::rebuild(&db, None).await.expect("rebuild");
        // Staff and partners may not read the evaluation.
        for who in [&cast.staff, &cast.p1] {
            let e = app::report(&db, who, march(), GroupBy::Department).await;
            assert!(matches!(e, Err(Error::Forbidden)), "{name}: {e:?}");
            let e = app::scorecards(&db, who, Period::month(2031, 3), Level::Department).await;
            assert!(matches!(e, Err(Error::Forbidden)), "{name}: {e:?}");
        }
        // A department head reads their own department's only.
        let head = app::report(&db, &cast.head, march(), GroupBy::Department)
            .await
            .expect("head's report");
        assert!(
            head.groups
                .iter()
                .all(|g| g.key == cast.head.department_id.expect("dept").to_string()),
            "{name}"
        );
        // ... and not the partner-side groupings (they have no department).
        let e = app::report(&db, &cast.head, march(), GroupBy::Partner).await;
        assert!(matches!(e, Err(Error::Forbidden)), "{name}: {e:?}");
        // A partner reads its own relationship index, never another's (404); staff none (403).
        let p1 = cast.p1.partner_id.expect("p1");
        let p2 = cast.p2.partner_id.expect("p2");
        let own = app::relationship(&db, &cast.p1, p1, march())
            .await
            .expect("own");
        // p1 in March: F2 for p1 = d1, d5, d7 of d1, d2, d3, d5, d7, d8, d10 → 3/7.
        let ack = own
            .components
            .iter()
            .find(|c| c.component == liaison_core::kpi::Component::Acknowledgement)
            .expect("acknowledgement");
        assert_eq!(ack.basis, 7, "{name}");
        assert_eq!(ack.score, Some(3.0 / 7.0), "{name}");
        assert_eq!(own.history.len(), 12, "{name}");
        let e = app::relationship(&db, &cast.p1, p2, march()).await;
        assert!(matches!(e, Err(Error::NotFound)), "{name}: {e:?}");
        let e = app::relationship(&db, &cast.staff, p1, march()).await;
        assert!(matches!(e, Err(Error::Forbidden)), "{name}: {e:?}");
        let e = app::relationship(&db, &cast.exec, Uuid::now_v7(), march()).await;
        assert!(matches!(e, Err(Error::NotFound)), "{name}: {e:?}");
        // Settings: admins only.
        let s = app::settings(&db, &cast.exec).await.expect("settings");
        let e = app::update_settings(&db, &cast.exec, &s).await;
        assert!(matches!(e, Err(Error::Forbidden)), "{name}: {e:?}");
        let bad = liaison_db::settings::EvaluationSettings {
            timeliness_hours: 0,
            ..s.clone()
        };
        match app::update_settings(&db, &cast.admin, &bad).await {
            Err(Error::Invalid(f)) => assert_eq!(f.0[0].field, "timeliness_hours", "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn scorecards_list_commendations_and_improvements_with_reasons_6_3_2() {
    let (dbs, _dir) = backends().await;
    for (name, db) in &dbs {
        let cast = Cast::load(db).await;
        let db = at_april(db).await;
        march_data(&db, &cast).await;
        // A second department's person, all on time: six deliveries read within the day.
        let other = liaison_db::user::list_users(&db)
            .await
            .expect("users")
            .into_iter()
            .map(|u| u.actor())
            .find(|a| {
                !a.is_partner()
                    && a.department_id.is_some()
                    && a.department_id != cast.staff.department_id
            })
            .expect("someone in another department");
        let b = Book {
            db: &db,
            requester: &other,
        };
        let p1 = cast.p1.partner_id.expect("p1");
        for d in [4, 5, 6, 11, 12, 13] {
            let s = bj(2031, 3, d, 10);
            let m = b.message(s, Some(bj(2031, 3, d, 17)), false, None).await;
            b.delivery(
                m,
                p1,
                "portal",
                "read",
                s,
                Some(bj(2031, 3, d, 11)),
                None,
                false,
            )
            .await;
        }
        app::rebuild(&db, None).await.expect("rebuild");
        let card = app::scorecards(&db, &cast.exec, Period::month(2031, 3), Level::Department)
            .await
            .expect("scorecard");
        let first = &card.lines[0];
        assert_eq!(Some(first.key), other.department_id, "{name}");
        assert_eq!(first.rank, 1, "{name}");
        // 6/6 accurate, 6/6 timely, no ratings: (100×40 + 100×40) / 80 = 100.
        assert_eq!(first.score, Some(100.0), "{name}");
        assert_eq!(card.commendations.len(), 1, "{name}");
        let why = card.commendations[0].commended.as_ref().expect("reasons");
        assert_eq!(why[0].indicator, None, "{name}: the score first");
        // Staff's department: 7/11 accurate (63.6) and 4/10 timely (40): both below 70.
        let staff_dep = cast.staff.department_id.expect("dept");
        let improve = card
            .improvements
            .iter()
            .find(|l| l.key == staff_dep)
            .expect("staff's department to improve");
        let reasons = improve.to_improve.as_ref().expect("reasons");
        let pairs: Vec<(Option<Indicator>, f64)> =
            reasons.iter().map(|r| (r.indicator, r.value)).collect();
        assert_eq!(
            pairs,
            vec![
                (Some(Indicator::Accuracy), 63.6),
                (Some(Indicator::Timeliness), 40.0)
            ],
            "{name}"
        );
        // The export holds every line.
        let file = app::export_scorecards(
            &db,
            &cast.exec,
            Period::month(2031, 3),
            Level::Department,
            liaison_app::import::ExportFormat::Csv,
            liaison_app::import::Labels::Codes,
        )
        .await
        .expect("export");
        let text = String::from_utf8_lossy(&file.bytes).to_string();
        assert!(text.contains("timeliness 40 < 70"), "{name}: {text}");
    }
}

/// One random operation on the ledger.
#[derive(Debug, Clone)]
enum Op {
    /// A message to `n` copies, `deadline` hours after it (none: the working-hours rule).
    Send {
        n: usize,
        deadline: Option<i64>,
        ack: bool,
    },
    /// Copy `i` (of those written) is read, acknowledged, dies or is sent again.
    Read(usize),
    Ack(usize),
    Die(usize),
    Resend(usize),
    /// Message `i` is corrected; its copies to one partner recalled.
    Correct(usize),
    Recall(usize),
    /// Time passes (hours).
    Wait(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1usize..4, proptest::option::of(1i64..60), any::<bool>())
            .prop_map(|(n, deadline, ack)| Op::Send { n, deadline, ack }),
        (0usize..40).prop_map(Op::Read),
        (0usize..40).prop_map(Op::Ack),
        (0usize..40).prop_map(Op::Die),
        (0usize..40).prop_map(Op::Resend),
        (0usize..10).prop_map(Op::Correct),
        (0usize..10).prop_map(Op::Recall),
        (1i64..40).prop_map(Op::Wait),
    ]
}

/// Applies `ops` at a clock that moves (from `start`), sweeping now and then, and checks after
/// each sweep and at the end that the aggregates equal the raw computation. A copy's state
/// changes (dying, sent again) within `LOOKBACK_DAYS` of its dispatch, the window in which
/// the sweep takes them into account; reads, acknowledgements, corrections and recalls at any
/// time.
async fn run_ops(db: &Db, cast: &Cast, ops: &[Op], start: DateTime<Utc>) -> Result<(), String> {
    let clock = Arc::new(FixedClock::new(start));
    let db = db.with_clock(clock.clone());
    let b = Book {
        db: &db,
        requester: &cast.staff,
    };
    let partners = [
        cast.p1.partner_id.expect("p1"),
        cast.p2.partner_id.expect("p2"),
    ];
    let mut messages: Vec<Uuid> = Vec::new();
    let mut copies: Vec<(Uuid, DateTime<Utc>)> = Vec::new();
    app::sweep(&db).await.map_err(|e| e.to_string())?;
    for (k, o) in ops.iter().enumerate() {
        let now = db.now();
        let mut tx = db.begin().await.map_err(|e| e.to_string())?;
        match o {
            Op::Send { n, deadline, ack } => {
                tx.commit().await.map_err(|e| e.to_string())?;
                let m = b
                    .message(now, deadline.map(|h| now + Duration::hours(h)), *ack, None)
                    .await;
                messages.push(m);
                for i in 0..*n {
                    let c = b
                        .delivery(
                            m,
                            partners[i % 2],
                            "portal",
                            "delivered",
                            now,
                            None,
                            None,
                            *ack,
                        )
                        .await;
                    copies.push((c, now));
                }
                continue;
            }
            Op::Read(i) | Op::Ack(i) | Op::Die(i) | Op::Resend(i) if !copies.is_empty() => {
                let (id, sent) = copies[i % copies.len()];
                let moves = matches!(o, Op::Die(_) | Op::Resend(_));
                if moves && now - sent > Duration::days(app::LOOKBACK_DAYS) {
                    tx.commit().await.map_err(|e| e.to_string())?;
                    continue;
                }
                let sql = match o {
                    Op::Read(_) => {
                        "UPDATE deliveries SET read_at = COALESCE(read_at, $1), state = CASE WHEN state = 'delivered' THEN 'read' ELSE state END WHERE id = $2"
                    }
                    Op::Ack(_) => {
                        "UPDATE deliveries SET acked_at = COALESCE(acked_at, $1), state = 'acknowledged' WHERE id = $2 AND state <> 'dead'"
                    }
                    Op::Die(_) => {
                        "UPDATE deliveries SET state = 'dead' WHERE id = $2 AND acked_at IS NULL AND read_at IS NULL AND $1 IS NOT NULL"
                    }
                    _ => {
                        "UPDATE deliveries SET state = 'delivered' WHERE id = $2 AND state = 'dead' AND $1 IS NOT NULL"
                    }
                };
                tx.execute(q(sql).bind(now).bind(id))
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Op::Correct(i) if !messages.is_empty() => {
                tx.commit().await.map_err(|e| e.to_string())?;
                let m = messages[i % messages.len()];
                let c = b.message(now, None, false, Some(m)).await;
                messages.push(c);
                continue;
            }
            Op::Recall(i) if !messages.is_empty() => {
                let m = messages[i % messages.len()];
                tx.execute(
                    q(
                        "INSERT INTO recalls (message_id, partner_id, recalled_by, recalled_at)
                       SELECT $1, $2, $3, $4 WHERE NOT EXISTS
                         (SELECT 1 FROM recalls WHERE message_id = $1 AND partner_id = $2)",
                    )
                    .bind(m)
                    .bind(partners[i % 2])
                    .bind(cast.channel.user_id)
                    .bind(now),
                )
                .await
                .map_err(|e| e.to_string())?;
            }
            Op::Wait(h) => clock.advance(Duration::hours(*h)),
            _ => {}
        }
        tx.commit().await.map_err(|e| e.to_string())?;
        if k % 5 == 4 {
            app::sweep(&db).await.map_err(|e| e.to_string())?;
            check(&db).await?;
        }
    }
    app::sweep(&db).await.map_err(|e| e.to_string())?;
    check(&db).await
}

/// `kpi_partner_monthly` is `kpi_partner_daily` summed by month, row for row.
async fn check_months(db: &Db) -> Result<(), String> {
    let mut from_days: BTreeMap<(String, Uuid), (i64, i64, i64, i64)> = BTreeMap::new();
    for ((day, p), s) in repo::partner_daily_rows(db)
        .await
        .map_err(|e| e.to_string())?
    {
        let e = from_days.entry((day[..7].to_string(), p)).or_default();
        *e = (e.0 + s.sent, e.1 + s.accurate, e.2 + s.due, e.3 + s.timely);
    }
    let months: BTreeMap<(String, Uuid), (i64, i64, i64, i64)> = repo::partner_monthly_rows(db)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|(k, s)| (k, (s.sent, s.accurate, s.due, s.timely)))
        .collect();
    if months == from_days {
        Ok(())
    } else {
        Err(format!(
            "monthly roll-up differs from the days: {months:?} != {from_days:?}"
        ))
    }
}

async fn check(db: &Db) -> Result<(), String> {
    check_months(db).await?;
    let agg = app::aggregated_daily(db).await.map_err(|e| e.to_string())?;
    let raw = app::raw_daily(db, db.now())
        .await
        .map_err(|e| e.to_string())?;
    if agg == raw {
        Ok(())
    } else {
        let diff: Vec<_> = raw
            .by_requester
            .iter()
            .filter(|(k, v)| agg.by_requester.get(*k) != Some(*v))
            .take(3)
            .collect();
        Err(format!("aggregates differ from the raw rows: {diff:?}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregates_equal_the_raw_rows_after_random_operations_6_1() {
    let (dbs, _dir) = backends().await;
    for (name, db) in &dbs {
        let cast = Cast::load(db).await;
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 6,
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        let rt = tokio::runtime::Handle::current();
        // Each case later than the one before: clocks do not go back.
        let case = std::cell::Cell::new(0i64);
        let result = runner.run(&proptest::collection::vec(op(), 5..40), |ops| {
            case.set(case.get() + 1);
            let start = bj(2032, 1, 5, 8) + Duration::days(120 * case.get());
            let r = tokio::task::block_in_place(|| rt.block_on(run_ops(db, &cast, &ops, start)));
            r.map_err(TestCaseError::fail)
        });
        assert!(result.is_ok(), "{name}: {result:?}");
    }
}
