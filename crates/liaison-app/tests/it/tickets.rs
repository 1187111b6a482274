//! Problem tickets through the service layer (policy §3.4; issue 12), on every backend: routing,
//! the SLA clocks on the working calendar (a weekend, a public holiday, a make-up working day,
//! the pause while waiting for the partner, urgent ones on the 24-hour clock), breaches and
//! warnings, internal notes kept from the partner, another partner's tickets hidden, merges
//! and reopens counted in the report.

use crate::{Cast, backends};
use chrono::{DateTime, Duration, TimeZone, Utc};
use liaison_app::Error;
use liaison_app::tickets::{
    self as app, AssignInput, MergeInput, RateInput, ReopenInput, ReplyInput, ResolveInput,
    TicketInput,
};
use liaison_core::notify::NotifyKind;
use liaison_core::tickets::{SlaClock, TicketState, TicketVia};
use liaison_core::{Actor, FixedClock};
use liaison_db::Db;
use liaison_db::tickets::{NewFile, Ticket, TicketFilter};
use std::sync::Arc;

/// `y-m-d h:m` in Shanghai (the company's zone).
fn bj(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    liaison_core::calendar::Tz::Asia__Shanghai
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a valid time")
        .with_timezone(&Utc)
}

fn input(kind: &str, priority: &str, subject: &str) -> TicketInput {
    TicketInput {
        kind: Some(kind.into()),
        priority: Some(priority.into()),
        subject: Some(subject.into()),
        description: Some("客户现场设备报警，请协助。".into()),
        ..Default::default()
    }
}

async fn raise(db: &Db, who: &Actor, kind: &str, priority: &str, subject: &str) -> Ticket {
    app::create(
        db,
        who,
        &input(kind, priority, subject),
        Vec::new(),
        TicketVia::Portal,
    )
    .await
    .expect("raised")
}

fn reply(body: &str) -> ReplyInput {
    ReplyInput {
        body: Some(body.into()),
        ..Default::default()
    }
}

async fn user(db: &Db, email: &str) -> Actor {
    liaison_db::user::list_users(db)
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.email == email)
        .unwrap_or_else(|| panic!("{email} is a demo login"))
        .actor()
}

async fn notified(db: &Db, user: uuid::Uuid, kind: NotifyKind) -> usize {
    liaison_db::notify::list(db, user, false, None, 100)
        .await
        .expect("notifications")
        .iter()
        .filter(|n| n.kind == kind)
        .count()
}

/// §3.4.2: the rules route by kind (the demo's: marketing to 王晓 in marketing); a kind no rule
/// names goes to the partner's channel manager; a more specific rule (kind and region) wins.
#[tokio::test]
async fn tickets_are_routed_by_the_most_specific_rule_else_to_the_channel_manager() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let t = raise(&db, &cast.p1, "marketing", "normal", "推广物料不足").await;
        assert_eq!(t.assignee_id, Some(cast.staff.user_id), "{name}");
        assert_eq!(t.department_id, cast.staff.department_id, "{name}");
        assert_eq!(
            notified(&db, cast.staff.user_id, NotifyKind::TicketAssigned).await,
            1,
            "{name}: the holder is told"
        );
        // The partner's record shows the ticket (SPEC B10).
        let timeline = liaison_db::history::timeline(&db, t.partner_id, None, 50)
            .await
            .expect("timeline");
        assert!(
            timeline
                .iter()
                .any(|e| e.kind == "ticket" && e.ticket_id == Some(t.id)),
            "{name}: {timeline:?}"
        );
        let other = raise(&db, &cast.p1, "other", "normal", "返利对账差异").await;
        let sh = liaison_db::partner::find_partner(&db, cast.p1.scope(), other.partner_id)
            .await
            .expect("partner");
        assert_eq!(
            other.assignee_id, sh.owner_id,
            "{name}: the channel manager"
        );
        // Marketing problems in East China go to channel management's 赵敏 instead.
        let channel2 = user(&db, "channel2@demo.example").await;
        let mut rules: Vec<app::RouteInput> = app::routes(&db, &cast.admin)
            .await
            .expect("routes")
            .into_iter()
            .map(|r| app::RouteInput {
                kind: r.kind.map(|k| k.as_str().to_string()),
                product_category: r.product_category,
                region: r.region,
                department_id: Some(r.department_id),
                assignee_id: r.assignee_id,
            })
            .collect();
        rules.push(app::RouteInput {
            kind: Some("marketing".into()),
            region: Some("华东".into()),
            department_id: channel2.department_id,
            assignee_id: Some(channel2.user_id),
            ..Default::default()
        });
        let e = app::update_routes(&db, &cast.staff, &rules)
            .await
            .expect_err("staff may not");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        app::update_routes(&db, &cast.admin, &rules)
            .await
            .expect("admin sets the rules");
        let east = raise(&db, &cast.p1, "marketing", "normal", "华东推广").await;
        assert_eq!(east.assignee_id, Some(channel2.user_id), "{name}");
        let north = raise(&db, &cast.p2, "marketing", "normal", "华北推广").await;
        assert_eq!(north.assignee_id, Some(cast.staff.user_id), "{name}");
        // A rule naming a department that does not exist is refused, naming the rule.
        rules.push(app::RouteInput {
            department_id: Some(uuid::Uuid::now_v7()),
            ..Default::default()
        });
        match app::update_routes(&db, &cast.admin, &rules).await {
            Err(Error::Invalid(f)) => assert!(
                f.get(&format!("rules[{}].department_id", rules.len() - 1))
                    .is_some(),
                "{name}: {f:?}"
            ),
            other => panic!("{name}: {other:?}"),
        }
    }
}

/// §5.3.2 with §3.4.2: due times count working hours on the company's calendar. A normal
/// ticket raised on Friday 2026-09-18 at 17:00 has its first 8 working hours on Friday (1) and
/// the make-up working Sunday 09-20 (7): due Sunday 16:00, not Monday. A high one raised on
/// Wednesday 09-30 09:00 has 2 working days (18 h): Wednesday, then the National Day holidays
/// pass and it is due Thursday 10-08 18:00. An urgent one raised on a holiday night is due an
/// hour later (§5.2.2).
#[tokio::test]
async fn due_times_count_working_hours_across_a_weekend_a_holiday_and_a_make_up_day() {
    let clock = Arc::new(FixedClock::new(bj(2026, 9, 18, 17, 0)));
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let db = db.with_clock(clock.clone());
        clock.advance(bj(2026, 9, 18, 17, 0) - clock.now_utc());
        let t = raise(&db, &cast.p1, "marketing", "normal", "周五傍晚").await;
        assert_eq!(
            t.first_response_due_at,
            Some(bj(2026, 9, 20, 16, 0)),
            "{name}: Saturday skipped, the make-up Sunday counted"
        );
        // 45 working hours: Fri 1, Sun 9, Mon-Wed 27, Thu 8 → Thursday 17:00.
        assert_eq!(t.resolution_due_at, Some(bj(2026, 9, 24, 17, 0)), "{name}");
        clock.advance(bj(2026, 9, 30, 9, 0) - clock.now_utc());
        let t = raise(&db, &cast.p1, "marketing", "high", "节前").await;
        assert_eq!(
            t.first_response_due_at,
            Some(bj(2026, 9, 30, 13, 0)),
            "{name}"
        );
        assert_eq!(
            t.resolution_due_at,
            Some(bj(2026, 10, 8, 18, 0)),
            "{name}: the National Day holidays do not count"
        );
        clock.advance(bj(2026, 10, 3, 22, 0) - clock.now_utc());
        let t = raise(&db, &cast.p1, "marketing", "urgent", "节日夜间紧急").await;
        assert_eq!(
            t.first_response_due_at,
            Some(bj(2026, 10, 3, 23, 0)),
            "{name}: urgent runs on the 24-hour clock"
        );
        assert_eq!(t.resolution_due_at, Some(bj(2026, 10, 4, 6, 0)), "{name}");
    }
}

trait NowUtc {
    fn now_utc(&self) -> DateTime<Utc>;
}
impl NowUtc for Arc<FixedClock> {
    fn now_utc(&self) -> DateTime<Utc> {
        liaison_core::Clock::now(self.as_ref())
    }
}

/// §3.4.2: while the company waits for the partner the resolution clock stands still; the
/// partner's answer restarts it with the waited working hours added.
#[tokio::test]
async fn the_resolution_clock_pauses_while_waiting_for_the_partner() {
    let clock = Arc::new(FixedClock::new(bj(2026, 11, 2, 9, 0)));
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let db = db.with_clock(clock.clone());
        clock.advance(bj(2026, 11, 2, 9, 0) - clock.now_utc());
        let t = raise(&db, &cast.p1, "marketing", "normal", "等待伙伴").await;
        assert_eq!(t.resolution_due_at, Some(bj(2026, 11, 6, 18, 0)), "{name}");
        clock.advance(Duration::hours(1));
        let t = app::reply(
            &db,
            &cast.staff,
            t.id,
            &ReplyInput {
                body: Some("请补充报警代码。".into()),
                waiting_partner: true,
                ..Default::default()
            },
            Vec::new(),
            TicketVia::Console,
        )
        .await
        .expect("staff asks");
        assert_eq!(t.state, TicketState::WaitingPartner, "{name}");
        assert_eq!(t.first_response_at, Some(bj(2026, 11, 2, 10, 0)), "{name}");
        assert_eq!(t.first_response_due_at, None, "{name}: answered");
        assert_eq!(t.resolution_due_at, None, "{name}: paused");
        // The partner answers the next morning at 10:00: 9 working hours waited (Monday
        // 10-18, Tuesday 9-10).
        clock.advance(Duration::hours(24));
        let t = app::reply(
            &db,
            &cast.p1,
            t.id,
            &reply("代码 E.OH1"),
            Vec::new(),
            TicketVia::Portal,
        )
        .await
        .expect("p1 answers");
        assert_eq!(t.state, TicketState::Open, "{name}");
        assert_eq!(t.paused_minutes, 9 * 60, "{name}");
        assert_eq!(
            t.resolution_due_at,
            Some(bj(2026, 11, 9, 18, 0)),
            "{name}: Friday 18:00 plus 9 working hours is Monday 18:00"
        );
        // p1 may not pause the clock or write an internal note.
        let e = app::reply(
            &db,
            &cast.p1,
            t.id,
            &ReplyInput {
                body: Some("x".into()),
                internal: true,
                ..Default::default()
            },
            Vec::new(),
            TicketVia::Portal,
        )
        .await
        .expect_err("refused");
        assert!(matches!(e, Error::Invalid(_)), "{name}: {e:?}");
    }
}

/// §3.4.2: before a clock runs out the holder is warned; when it does the breach is recorded
/// once and the department head told. An answer after the due time is a breach too.
#[tokio::test]
async fn the_sweep_warns_before_a_breach_and_records_it_once() {
    let clock = Arc::new(FixedClock::new(bj(2026, 11, 2, 9, 0)));
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let db = db.with_clock(clock.clone());
        clock.advance(bj(2026, 11, 2, 9, 0) - clock.now_utc());
        let t = raise(&db, &cast.p1, "marketing", "normal", "响应超时").await;
        assert_eq!(t.first_response_due_at, Some(bj(2026, 11, 2, 17, 0)));
        clock.advance(Duration::hours(7) + Duration::minutes(30));
        let r = app::sweep(&db).await.expect("sweep");
        assert_eq!((r.warned, r.breached), (1, 0), "{name}: {r:?}");
        assert_eq!(
            notified(&db, cast.staff.user_id, NotifyKind::TicketSlaWarning).await,
            1,
            "{name}"
        );
        let again = app::sweep(&db).await.expect("sweep");
        assert_eq!(
            (again.warned, again.breached),
            (0, 0),
            "{name}: warned once"
        );
        clock.advance(Duration::hours(1));
        let r = app::sweep(&db).await.expect("sweep");
        assert_eq!(r.breached, 1, "{name}: {r:?}");
        assert_eq!(
            notified(&db, cast.head.user_id, NotifyKind::TicketSlaBreached).await,
            1,
            "{name}: the marketing head is told"
        );
        assert_eq!(app::sweep(&db).await.expect("sweep").breached, 0, "{name}");
        let t = app::show(&db, &cast.staff, t.id).await.expect("show");
        assert_eq!(t.breached.len(), 1, "{name}");
        assert_eq!(t.breached[0].clock, SlaClock::FirstResponse, "{name}");
        // Answering late records nothing twice.
        let t = app::reply(
            &db,
            &cast.staff,
            t.id,
            &reply("抱歉回复晚了"),
            Vec::new(),
            TicketVia::Console,
        )
        .await
        .expect("answer");
        assert_eq!(t.breached.len(), 1, "{name}");
        // A late resolution on a fresh ticket is recorded by the resolve itself.
        let u = raise(&db, &cast.p1, "marketing", "urgent", "紧急").await;
        clock.advance(Duration::hours(9));
        let u = app::resolve(
            &db,
            &cast.staff,
            u.id,
            &ResolveInput {
                resolution: Some("已处理".into()),
                root_cause: Some("logistics".into()),
            },
        )
        .await
        .expect("resolve");
        assert_eq!(
            u.breached.len(),
            2,
            "{name}: both clocks ran out: {:?}",
            u.breached
        );
    }
}

/// §7.2.2 and §3.4: internal notes never reach the partner, and another partner's ticket does
/// not exist for p2; staff of another department do not see it either.
#[tokio::test]
async fn internal_notes_stay_internal_and_other_partners_see_nothing() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let png = liaison_demo_png();
        let t = app::create(
            &db,
            &cast.p1,
            &input("marketing", "normal", "带照片的问题"),
            vec![NewFile {
                filename: "photo.png".into(),
                bytes: png.clone(),
            }],
            TicketVia::Portal,
        )
        .await
        .expect("raised with a photo");
        let noted = app::reply(
            &db,
            &cast.staff,
            t.id,
            &ReplyInput {
                body: Some("内部：疑似经销商操作不当".into()),
                internal: true,
                ..Default::default()
            },
            vec![NewFile {
                filename: "internal.png".into(),
                bytes: png.clone(),
            }],
            TicketVia::Console,
        )
        .await
        .expect("note");
        assert_eq!(noted.state, TicketState::New, "{name}: a note is no answer");
        assert_eq!(
            notified(&db, cast.p1.user_id, NotifyKind::TicketReplied).await,
            0,
            "{name}: nobody on the partner's side is told of a note"
        );
        let page = app::page(&db, &cast.p1, t.id).await.expect("p1 page");
        assert!(
            page.events
                .iter()
                .all(|e| !e.internal && !e.body.as_deref().unwrap_or("").contains("内部")),
            "{name}: {:?}",
            page.events
        );
        assert_eq!(page.files.len(), 1, "{name}: only the partner's photo");
        let staff_page = app::page(&db, &cast.staff, t.id).await.expect("staff page");
        assert!(staff_page.events.iter().any(|e| e.internal), "{name}");
        assert_eq!(staff_page.files.len(), 2, "{name}");
        let internal_file = staff_page
            .files
            .iter()
            .find(|f| f.filename == "internal.png")
            .expect("file")
            .id;
        assert!(
            matches!(
                app::file(&db, &cast.p1, t.id, internal_file).await,
                Err(Error::NotFound)
            ),
            "{name}"
        );
        let (_, bytes) = app::file(&db, &cast.p1, t.id, page.files[0].id)
            .await
            .expect("own photo");
        assert_eq!(bytes, png, "{name}");
        // p2 and a member of staff outside marketing learn nothing.
        let rd = user(&db, "rd@demo.example").await;
        for who in [&cast.p2, &rd] {
            assert!(
                matches!(app::show(&db, who, t.id).await, Err(Error::NotFound)),
                "{name}"
            );
            assert!(
                matches!(
                    app::reply(&db, who, t.id, &reply("x"), Vec::new(), TicketVia::Api).await,
                    Err(Error::NotFound)
                ),
                "{name}"
            );
        }
        let p2_list = app::list(&db, &cast.p2, &TicketFilter::default(), None, 100)
            .await
            .expect("list");
        assert!(
            p2_list.iter().all(|x| x.partner_id != t.partner_id),
            "{name}"
        );
        // A partner may not assign, resolve or merge.
        assert!(
            matches!(
                app::assign(
                    &db,
                    &cast.p1,
                    t.id,
                    &AssignInput {
                        assignee_id: Some(cast.p1.user_id),
                        ..Default::default()
                    }
                )
                .await,
                Err(Error::Forbidden)
            ),
            "{name}"
        );
        // The public answer is e-mailed to p1 with its text (the ticket is internal, not
        // confidential), through the bell's notification.
        app::reply(
            &db,
            &cast.staff,
            t.id,
            &reply("物料下周一寄出。"),
            Vec::new(),
            TicketVia::Console,
        )
        .await
        .expect("answer");
        let notes = liaison_db::notify::list(&db, cast.p1.user_id, false, None, 10)
            .await
            .expect("notes");
        let n = notes
            .iter()
            .find(|n| n.kind == NotifyKind::TicketReplied)
            .expect("p1 told");
        assert_eq!(n.args["comment"], "物料下周一寄出。", "{name}");
        assert!(n.link.starts_with("/portal/tickets/"), "{name}");
    }
}

fn liaison_demo_png() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8,
        0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
}

/// §3.4.2, §3.4.3, §6.1.3: a resolution needs a known root cause; the partner rates and the
/// ticket closes; reopening within the window counts; a duplicate merges into the survivor;
/// the report counts all of it, and a cause on the same product twice within 90 days is a
/// recurrence.
#[tokio::test]
async fn resolution_rating_reopen_and_merge_are_counted_in_the_report() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let product = liaison_db::product::find_product_by_code(&db, "LX-VF220")
            .await
            .expect("find")
            .expect("demo product")
            .id;
        let mut quality = input("product_quality", "high", "VF220 过热");
        quality.product_id = Some(product);
        let a = app::create(&db, &cast.p1, &quality, Vec::new(), TicketVia::Portal)
            .await
            .expect("a");
        let b = app::create(&db, &cast.p1, &quality, Vec::new(), TicketVia::Portal)
            .await
            .expect("b");
        let c = app::create(&db, &cast.p1, &quality, Vec::new(), TicketVia::Portal)
            .await
            .expect("c");
        let dup = raise(&db, &cast.p1, "marketing", "normal", "重复提交").await;
        let survivor = raise(&db, &cast.p1, "marketing", "normal", "原工单").await;
        let rd = user(&db, "rd@demo.example").await;
        match app::resolve(
            &db,
            &rd,
            a.id,
            &ResolveInput {
                resolution: Some("更换风扇".into()),
                root_cause: Some("bad_luck".into()),
            },
        )
        .await
        {
            Err(Error::Invalid(f)) => assert!(f.get("root_cause").is_some(), "{name}"),
            other => panic!("{name}: {other:?}"),
        }
        for t in [&a, &b, &c] {
            app::resolve(
                &db,
                &rd,
                t.id,
                &ResolveInput {
                    resolution: Some("更换风扇，出厂增加老化测试".into()),
                    root_cause: Some("product_defect".into()),
                },
            )
            .await
            .expect("resolved");
        }
        assert_eq!(
            notified(&db, cast.p1.user_id, NotifyKind::TicketResolved).await,
            3,
            "{name}: p1 is asked to confirm"
        );
        match app::rate(
            &db,
            &cast.p1,
            a.id,
            &RateInput {
                score: Some(9),
                comment: None,
            },
        )
        .await
        {
            Err(Error::Invalid(f)) => assert!(f.get("score").is_some(), "{name}"),
            other => panic!("{name}: {other:?}"),
        }
        let rated = app::rate(
            &db,
            &cast.p1,
            a.id,
            &RateInput {
                score: Some(5),
                comment: Some("很快".into()),
            },
        )
        .await
        .expect("rated");
        assert_eq!(rated.state, TicketState::Closed, "{name}");
        assert!(matches!(
            app::rate(
                &db,
                &cast.p2,
                b.id,
                &RateInput {
                    score: Some(1),
                    comment: None
                }
            )
            .await,
            Err(Error::NotFound)
        ));
        let reopened = app::reopen(
            &db,
            &cast.p1,
            b.id,
            &ReopenInput {
                reason: Some("又坏了".into()),
            },
        )
        .await
        .expect("reopened");
        assert_eq!(reopened.state, TicketState::Open, "{name}");
        assert_eq!(reopened.reopen_count, 1, "{name}");
        assert!(
            reopened.resolution_due_at.is_some(),
            "{name}: the clock runs again"
        );
        let merged = app::merge(
            &db,
            &cast.staff,
            dup.id,
            &MergeInput {
                into: Some(survivor.id),
            },
        )
        .await
        .expect("merged");
        assert_eq!(merged.state, TicketState::Closed, "{name}");
        assert_eq!(merged.merged_into, Some(survivor.id), "{name}");
        assert!(
            matches!(
                app::merge(
                    &db,
                    &cast.staff,
                    survivor.id,
                    &MergeInput { into: Some(dup.id) }
                )
                .await,
                Err(Error::Invalid(_))
            ),
            "{name}: not into a merged ticket"
        );
        let now = db.now();
        let report = app::report(
            &db,
            &cast.channel,
            now - Duration::days(1),
            now + Duration::hours(1),
        )
        .await
        .expect("report");
        assert_eq!(report.totals.raised, 5, "{name}");
        assert_eq!(report.totals.reopened, 1, "{name}");
        assert_eq!(report.totals.merged, 1, "{name}");
        assert_eq!(report.totals.rated, 1, "{name}");
        assert_eq!(report.satisfaction_mean, Some(5.0), "{name}");
        assert_eq!(
            report.recurrences.len(),
            1,
            "{name}: {:?}",
            report.recurrences
        );
        assert_eq!(
            report.recurrences[0].tickets,
            vec![a.id, c.id],
            "{name}: the reopened one no longer counts as resolved"
        );
        assert!(
            report.by_cause.iter().any(|c| c.key == "product_defect"),
            "{name}: {:?}",
            report.by_cause
        );
        assert!(
            matches!(
                app::report(&db, &cast.staff, now - Duration::days(1), now).await,
                Err(Error::Forbidden)
            ),
            "{name}: staff do not read reports"
        );
        let csv = app::export_report(
            &db,
            &cast.channel,
            now - Duration::days(1),
            now + Duration::hours(1),
            liaison_app::import::ExportFormat::Csv,
            liaison_app::import::Labels::Codes,
        )
        .await
        .expect("export");
        let text = String::from_utf8_lossy(&csv.bytes).to_string();
        assert!(text.contains("product_defect"), "{name}: {text}");
    }
}

/// §3.4.2: a resolved ticket the partner never answers closes after the confirmation window.
#[tokio::test]
async fn an_unanswered_resolution_closes_after_the_window() {
    let clock = Arc::new(FixedClock::new(bj(2026, 11, 2, 9, 0)));
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let db = db.with_clock(clock.clone());
        clock.advance(bj(2026, 11, 2, 9, 0) - clock.now_utc());
        let t = raise(&db, &cast.p1, "marketing", "normal", "自动关闭").await;
        app::resolve(
            &db,
            &cast.staff,
            t.id,
            &ResolveInput {
                resolution: Some("已寄出".into()),
                root_cause: Some("logistics".into()),
            },
        )
        .await
        .expect("resolved");
        clock.advance(Duration::days(6));
        assert_eq!(app::sweep(&db).await.expect("sweep").closed, 0, "{name}");
        clock.advance(Duration::days(2));
        assert_eq!(app::sweep(&db).await.expect("sweep").closed, 1, "{name}");
        let t = app::show(&db, &cast.p1, t.id).await.expect("show");
        assert_eq!(t.state, TicketState::Closed, "{name}");
        assert_eq!(t.rating, None, "{name}");
    }
}

/// SPEC B10 and §7.2.1: a ticket is in the shared search index for its partner and channel
/// management, not for another partner; a confidential ticket's text is sealed at rest and
/// only its subject is indexed.
#[tokio::test]
async fn tickets_are_found_by_their_partner_and_confidential_ones_are_sealed() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let t = raise(&db, &cast.p1, "marketing", "normal", "展柜灯箱漏电").await;
        let hits = liaison_app::search::search(&db, &cast.p1, "灯箱", 20)
            .await
            .expect("p1 searches");
        assert!(hits.iter().any(|h| h.id == t.id), "{name}: {hits:?}");
        let hits = liaison_app::search::search(&db, &cast.channel, "灯箱", 20)
            .await
            .expect("channel searches");
        assert!(hits.iter().any(|h| h.id == t.id), "{name}");
        let hits = liaison_app::search::search(&db, &cast.p2, "灯箱", 20)
            .await
            .expect("p2 searches");
        assert!(hits.iter().all(|h| h.id != t.id), "{name}: {hits:?}");

        let mut secret = input("customer_complaint", "high", "大客户投诉");
        secret.description = Some("客户名单：甲公司、乙公司，报价 98 万。".into());
        secret.classification = Some("confidential".into());
        let c = app::create(&db, &cast.p1, &secret, Vec::new(), TicketVia::Portal)
            .await
            .expect("confidential");
        assert_eq!(
            c.description, "客户名单：甲公司、乙公司，报价 98 万。",
            "{name}: opened for readers"
        );
        let sealed: i64 = db
            .fetch_one(
                liaison_db::q(
                    "SELECT COUNT(*) FROM tickets WHERE id = $1 AND description LIKE 'enc:v1:%'
                        AND description NOT LIKE '%甲公司%'",
                )
                .bind(c.id),
            )
            .await
            .expect("raw");
        assert_eq!(sealed, 1, "{name}: sealed at rest");
        let hits = liaison_app::search::search(&db, &cast.p1, "报价", 20)
            .await
            .expect("search");
        assert!(
            hits.iter().all(|h| h.id != c.id),
            "{name}: the sealed text is not indexed"
        );
    }
}

/// Issue 12's figures: tickets raised at the same time are written in one transaction (group
/// commit); one that the database refuses (its partner is gone) fails alone, the others are
/// stored whole (entry, watchers, index, notification, audit) and the audit chain holds.
#[tokio::test]
async fn tickets_raised_together_are_stored_together_and_a_bad_one_fails_alone() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let first = raise(&db, &cast.p1, "marketing", "normal", "模板工单").await;
        let before = crate::count(&db, "SELECT COUNT(*) FROM tickets").await;
        let tickets: Vec<Ticket> = (0..6)
            .map(|i| {
                let mut t = first.clone();
                t.id = uuid::Uuid::now_v7();
                t.subject = format!("同批工单 {i}");
                if i == 3 {
                    t.partner_id = uuid::Uuid::now_v7(); // no such partner
                }
                t
            })
            .collect();
        fn change<'a>(
            t: &'a Ticket,
            p1: uuid::Uuid,
            staff: uuid::Uuid,
            now: DateTime<Utc>,
        ) -> liaison_db::tickets::Change<'a> {
            liaison_db::tickets::Change {
                actor: Some(p1),
                after: t,
                events: vec![liaison_db::tickets::NewEvent::new(
                    liaison_core::tickets::EventKind::Created,
                    Some(p1),
                    serde_json::json!({}),
                )],
                breaches: Vec::new(),
                watch: vec![p1, staff],
                notes: vec![liaison_db::notify::NewNotification {
                    user_id: staff,
                    kind: NotifyKind::TicketAssigned,
                    args: serde_json::json!({"subject": t.subject}),
                    link: format!("/console/tickets/{}", t.id),
                    urgent: false,
                    email_at: Some(now),
                }],
                action: "ticket.create",
                detail: serde_json::json!({}),
            }
        }
        let (p1, staff, now) = (cast.p1.user_id, cast.staff.user_id, db.now());
        let change = |t| change(t, p1, staff, now);
        // All six are queued before the writer runs (one runtime thread): one batch.
        let (a, b, c, d, e, f) = tokio::join!(
            liaison_db::tickets::insert_ticket(&db, change(&tickets[0])),
            liaison_db::tickets::insert_ticket(&db, change(&tickets[1])),
            liaison_db::tickets::insert_ticket(&db, change(&tickets[2])),
            liaison_db::tickets::insert_ticket(&db, change(&tickets[3])),
            liaison_db::tickets::insert_ticket(&db, change(&tickets[4])),
            liaison_db::tickets::insert_ticket(&db, change(&tickets[5])),
        );
        assert!(
            matches!(d, Err(liaison_db::DbError::Conflict(_))),
            "{name}: the ticket of no partner is refused: {d:?}"
        );
        for (i, r) in [a, b, c, e, f].into_iter().enumerate() {
            let t = r.unwrap_or_else(|e| panic!("{name}: ticket {i} stored: {e}"));
            assert!(t.subject.starts_with("同批工单"), "{name}");
            assert_eq!(
                t.partner_code, first.partner_code,
                "{name}: read back whole"
            );
            let staff_view = app::page(&db, &cast.staff, t.id).await.expect("page");
            assert_eq!(staff_view.events.len(), 1, "{name}: its created entry");
            assert_eq!(staff_view.watchers.len(), 2, "{name}: its watchers");
        }
        assert_eq!(
            crate::count(&db, "SELECT COUNT(*) FROM tickets").await,
            before + 5,
            "{name}: five stored, the bad one not at all"
        );
        let docs = crate::count(
            &db,
            "SELECT COUNT(*) FROM search_docs d JOIN tickets t ON t.id = d.id WHERE t.subject LIKE '同批工单%'",
        )
        .await;
        assert_eq!(docs, 5, "{name}: indexed");
        assert_eq!(
            crate::count(
                &db,
                "SELECT COUNT(*) FROM notifications WHERE link LIKE '/console/tickets/%' AND args LIKE '%同批工单%'"
            )
            .await,
            5,
            "{name}: the people told, of the stored ones only"
        );
        assert_eq!(
            crate::count(&db, "SELECT COUNT(*) FROM jobs WHERE kind = 'notify'").await,
            crate::count(&db, "SELECT COUNT(*) FROM notifications n WHERE NOT EXISTS (SELECT 1 FROM notification_prefs p WHERE p.user_id = n.user_id AND p.kind = n.kind AND NOT p.email)").await,
            "{name}: one e-mail job per notification"
        );
        assert_eq!(
            crate::count(
                &db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'ticket.create'"
            )
            .await,
            6,
            "{name}: the template and the five"
        );
        assert!(
            matches!(
                liaison_db::audit::verify(&db).await.expect("verify"),
                liaison_db::audit::Verdict::Intact { .. }
            ),
            "{name}: the chain holds"
        );
    }
}

/// Issue 12: the queue's tab counts and the menu's numbers are kept between views (on SQLite,
/// while the read version has not moved). A write through this handle, and one through another
/// handle on the same file (another process: the worker, a second instance), shows in the
/// very next view; PostgreSQL counts on every view and must agree.
#[tokio::test]
async fn kept_counts_follow_every_write_from_any_process() {
    let (dbs, guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let mine = |counts: Vec<(app::Queue, i64)>| {
            counts
                .into_iter()
                .find(|(q, _)| *q == app::Queue::Mine)
                .map_or(-1, |c| c.1)
        };
        let before = mine(app::queue_counts(&db, &cast.staff).await.expect("counts"));
        let badges = liaison_app::home::badges(&db, &cast.staff)
            .await
            .expect("badges");
        // Asked again with nothing written: the same numbers.
        assert_eq!(
            mine(app::queue_counts(&db, &cast.staff).await.expect("counts")),
            before,
            "{name}"
        );
        // A marketing problem is routed to staff@ (the demo's rule): one more in Mine, one
        // more unread notification.
        let t = raise(&db, &cast.p1, "marketing", "normal", "计数跟随写入").await;
        assert_eq!(t.assignee_id, Some(cast.staff.user_id), "{name}");
        assert_eq!(
            mine(app::queue_counts(&db, &cast.staff).await.expect("counts")),
            before + 1,
            "{name}: this process's write"
        );
        let after = liaison_app::home::badges(&db, &cast.staff)
            .await
            .expect("badges");
        assert_eq!(after.unread, badges.unread + 1, "{name}: the bell");
        // Another process hands it to the channel manager: Mine is one less at once.
        let other = if name == "sqlite" {
            let url = format!("sqlite://{}/test.db", guard.0.display());
            Db::connect(&url, Arc::new(liaison_core::SystemClock))
                .await
                .expect("a second handle")
                .with_cipher(liaison_db::testing::test_cipher().expect("key"))
        } else {
            db.clone()
        };
        app::assign(
            &other,
            &cast.admin,
            t.id,
            &AssignInput {
                assignee_id: Some(cast.channel.user_id),
                ..Default::default()
            },
        )
        .await
        .expect("reassigned");
        assert_eq!(
            mine(app::queue_counts(&db, &cast.staff).await.expect("counts")),
            before,
            "{name}: another process's write"
        );
        // The kept list pages follow too: the holder changed, then the partner's name.
        let newest = |db: Db, who: Actor| async move {
            app::list(&db, &who, &TicketFilter::default(), None, 25)
                .await
                .expect("list")
                .into_iter()
                .find(|x| x.id == t.id)
                .expect("listed")
        };
        let seen = newest(db.clone(), cast.admin.clone()).await;
        assert_eq!(seen.assignee_id, Some(cast.channel.user_id), "{name}");
        liaison_app::partner::update(
            &other,
            &cast.admin,
            t.partner_id.into(),
            liaison_core::partner::PartnerInput {
                name: Some("恒通商贸（改名）".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("renamed");
        let seen = newest(db.clone(), cast.admin.clone()).await;
        assert_eq!(
            seen.partner_name, "恒通商贸（改名）",
            "{name}: a name a page shows"
        );
        if let Some(v) = db.read_version().await.expect("version") {
            assert!(v > 0, "{name}: the writes moved the read version");
        } else {
            assert_eq!(name, "postgres", "only PostgreSQL keeps no read version");
        }
    }
}
