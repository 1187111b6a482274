//! Site visits and call logs through the service layer (policy §2.2.2, §2.2.3; issue 14), on
//! every backend: another partner's visits and calls do not exist; partners read their own
//! visits without the report's internal problems and may not write; a report creates its
//! action items; the overdue list follows the tier cadence on an injected clock and the sweep
//! tells the channel manager once; a call carries out a phone delivery and raises a ticket.

use crate::{Cast, backends, count};
use chrono::Duration;
use liaison_app::Error;
use liaison_app::offline::{
    self as app, CallInput, CallTicket, ReportInput, TaskInput, VisitInput, VisitPatch,
};
use liaison_core::FixedClock;
use liaison_db::offline::{CallFilter, VisitFilter};
use liaison_db::{Db, q};
use std::sync::Arc;
use uuid::Uuid;

fn p1_partner(cast: &Cast) -> Uuid {
    cast.p1.partner_id.expect("p1 has a partner")
}

async fn plan(db: &Db, cast: &Cast, partner: Uuid, on: &str) -> liaison_db::offline::Visit {
    app::create_visit(
        db,
        &cast.channel,
        &VisitInput {
            partner_id: Some(partner),
            planned_on: Some(on.into()),
            purpose: Some("季度经营回顾 quarterly review".into()),
            visitor_id: None,
        },
    )
    .await
    .expect("plan a visit")
}

fn report(visited_on: &str, actions: Vec<TaskInput>) -> VisitPatch {
    VisitPatch {
        report: Some(ReportInput {
            visited_on: Some(visited_on.into()),
            findings: Some("库存周转良好 stock turns well".into()),
            problems: Some("内部：账期偏长 internal: long payment terms".into()),
            actions,
        }),
        ..Default::default()
    }
}

fn call(partner: Uuid, summary: &str) -> CallInput {
    CallInput {
        partner_id: Some(partner),
        direction: Some("outbound".into()),
        duration_minutes: Some(12),
        summary: Some(summary.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn another_partners_visits_and_calls_are_hidden_and_partners_never_read_problems() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let p1 = p1_partner(&cast);
        let v = plan(&db, &cast, p1, "2026-01-10").await;
        app::update_visit(
            &db,
            &cast.channel,
            v.id,
            &report("2026-01-10", vec![]),
            Some(v.version),
        )
        .await
        .expect("report");
        let c = app::create_call(&db, &cast.channel, &call(p1, "确认新品到货 new stock"))
            .await
            .expect("log a call");
        // p2's user: p1's visit and call do not exist, nor do p1's lists.
        assert!(
            matches!(
                app::show_visit(&db, &cast.p2, v.id).await,
                Err(Error::NotFound)
            ),
            "{name}"
        );
        assert!(
            matches!(
                app::show_call(&db, &cast.p2, c.call.id).await,
                Err(Error::NotFound)
            ),
            "{name}"
        );
        let asked = VisitFilter {
            partner: Some(p1),
            ..Default::default()
        };
        assert!(
            matches!(
                app::list_visits(&db, &cast.p2, asked, 50).await,
                Err(Error::NotFound)
            ),
            "{name}"
        );
        let own = app::list_visits(&db, &cast.p2, VisitFilter::default(), 50)
            .await
            .expect("own");
        assert!(own.iter().all(|x| x.partner_id != p1), "{name}");
        let calls = app::list_calls(&db, &cast.p2, CallFilter::default(), 50)
            .await
            .expect("own calls");
        assert!(calls.iter().all(|x| x.partner_id != p1), "{name}");
        // p1's user reads its visit with the findings and without the problems.
        let seen = app::show_visit(&db, &cast.p1, v.id)
            .await
            .expect("p1 reads");
        assert_eq!(seen.visit.problems, None, "{name}");
        assert!(seen.visit.findings.is_some(), "{name}");
        let staff = app::show_visit(&db, &cast.channel, v.id)
            .await
            .expect("staff reads");
        assert!(staff.visit.problems.is_some(), "{name}");
        let listed = app::list_visits(&db, &cast.p1, VisitFilter::default(), 50)
            .await
            .expect("list");
        assert!(listed.iter().all(|x| x.problems.is_none()), "{name}");
        assert_eq!(
            app::show_call(&db, &cast.p1, c.call.id)
                .await
                .expect("p1 call")
                .call
                .id,
            c.call.id
        );
    }
}

#[tokio::test]
async fn partner_users_may_not_plan_report_or_log() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let p1 = p1_partner(&cast);
        let input = VisitInput {
            partner_id: Some(p1),
            planned_on: Some("2026-02-01".into()),
            purpose: Some("x".into()),
            visitor_id: None,
        };
        assert!(
            matches!(
                app::create_visit(&db, &cast.p1, &input).await,
                Err(Error::Forbidden)
            ),
            "{name}"
        );
        assert!(
            matches!(
                app::create_call(&db, &cast.p1, &call(p1, "x")).await,
                Err(Error::Forbidden)
            ),
            "{name}"
        );
        let v = plan(&db, &cast, p1, "2026-02-01").await;
        assert!(
            matches!(
                app::update_visit(&db, &cast.p1, v.id, &report("2026-01-05", vec![]), None).await,
                Err(Error::Forbidden)
            ),
            "{name}"
        );
        assert!(
            matches!(app::overdue(&db, &cast.p1).await, Err(Error::Forbidden)),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_report_creates_its_action_items_and_every_error_comes_at_once() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let p1 = p1_partner(&cast);
        let v = plan(&db, &cast, p1, "2026-01-10").await;
        // Everything wrong at once: no findings, a bad day, an action without a title.
        let bad = VisitPatch {
            report: Some(ReportInput {
                visited_on: Some("2026-13-40".into()),
                findings: None,
                problems: None,
                actions: vec![TaskInput {
                    due_on: Some("2026-02-01".into()),
                    ..Default::default()
                }],
            }),
            ..Default::default()
        };
        match app::update_visit(&db, &cast.channel, v.id, &bad, None).await {
            Err(Error::Invalid(e)) => {
                for f in [
                    "report.visited_on",
                    "report.findings",
                    "report.actions.0.title",
                ] {
                    assert!(e.get(f).is_some(), "{name}: {f} in {e}");
                }
            }
            other => panic!("{name}: {other:?}"),
        }
        let contact = liaison_db::partner::list_contacts(&db, liaison_core::Scope::All, p1)
            .await
            .expect("contacts")[0]
            .id;
        let actions = vec![
            TaskInput {
                title: Some("补充陈列物料".into()),
                owner_contact_id: Some(contact),
                due_on: Some("2026-02-01".into()),
                ..Default::default()
            },
            TaskInput {
                title: Some("跟进账期".into()),
                owner_user_id: Some(cast.channel.user_id),
                due_on: Some("2026-02-15".into()),
                ..Default::default()
            },
        ];
        let done = app::update_visit(
            &db,
            &cast.channel,
            v.id,
            &report("2026-01-10", actions),
            Some(v.version),
        )
        .await
        .expect("report");
        assert_eq!(
            done.state,
            liaison_core::meetings::VisitState::Done,
            "{name}"
        );
        let page = app::show_visit(&db, &cast.channel, v.id)
            .await
            .expect("show");
        assert_eq!(page.tasks.len(), 2, "{name}");
        assert!(
            page.tasks
                .iter()
                .all(|t| t.partner_id == Some(p1) && t.visit_id == Some(v.id)),
            "{name}"
        );
        assert!(
            page.tasks
                .iter()
                .any(|t| t.owner_contact_id == Some(contact)),
            "{name}"
        );
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'visit.report'"
            )
            .await,
            1,
            "{name}"
        );
        // A reported visit is not reported twice, and a stale version is a conflict.
        assert!(
            matches!(
                app::update_visit(
                    &db,
                    &cast.channel,
                    v.id,
                    &report("2026-01-10", vec![]),
                    None
                )
                .await,
                Err(Error::Invalid(_))
            ),
            "{name}"
        );
        let other = plan(&db, &cast, p1, "2026-03-01").await;
        assert!(
            matches!(
                app::update_visit(
                    &db,
                    &cast.channel,
                    other.id,
                    &report("2026-01-10", vec![]),
                    Some(other.version + 1)
                )
                .await,
                Err(Error::Conflict(_))
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn the_overdue_list_follows_the_tier_cadence_and_the_sweep_tells_once_2_2_2() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let p1 = p1_partner(&cast);
        let clock = Arc::new(FixedClock::new(db.now() + Duration::days(40)));
        let db = db.with_clock(clock.clone());
        // 40 days after the partners joined: tier A (monthly) are overdue, B and C are not.
        let list = app::overdue(&db, &cast.channel).await.expect("overdue");
        assert!(list.iter().any(|o| o.partner.partner_id == p1), "{name}");
        assert!(
            list.iter().all(|o| o.partner.tier == "A"),
            "{name}: {:?}",
            list.iter().map(|o| &o.partner.tier).collect::<Vec<_>>()
        );
        assert!(list.iter().all(|o| o.days_overdue > 0), "{name}");
        // A report of a visit today takes p1's partner off the list.
        let today = app::today(&db).format("%Y-%m-%d").to_string();
        let v = plan(&db, &cast, p1, &today).await;
        app::update_visit(&db, &cast.channel, v.id, &report(&today, vec![]), None)
            .await
            .expect("report");
        let list = app::overdue(&db, &cast.channel).await.expect("overdue");
        assert!(list.iter().all(|o| o.partner.partner_id != p1), "{name}");
        // The sweep tells each owner once per partner and due day.
        let owned = list.iter().filter(|o| o.partner.owner_id.is_some()).count();
        let told = app::visit_sweep(&db).await.expect("sweep");
        assert_eq!(told, owned, "{name}");
        assert_eq!(app::visit_sweep(&db).await.expect("again"), 0, "{name}");
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM notifications WHERE kind = 'visit_overdue'"
            )
            .await,
            owned as i64,
            "{name}"
        );
        // Four months on, B partners are overdue too.
        clock.advance(Duration::days(80));
        let list = app::overdue(&db, &cast.channel).await.expect("overdue");
        assert!(
            list.iter().any(|o| o.partner.tier == "B")
                || !list.iter().any(|o| o.partner.tier != "A"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_call_marks_its_phone_delivery_done_and_raises_a_ticket_2_2_3() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let p1 = p1_partner(&cast);
        let r = cast.dispatched_to_p1(&db, "电话通知 phone notice").await;
        let _ = r;
        // A phone delivery of that message to one of p1's contacts, still to be made.
        let (message, contact): (Uuid, Uuid) = {
            let m: Uuid = db
                .fetch_one(q("SELECT message_id FROM deliveries WHERE partner_id = $1 ORDER BY created_at DESC LIMIT 1").bind(p1))
                .await
                .expect("a delivery");
            let c: Uuid = db
                .fetch_one(q("SELECT contact_id FROM deliveries WHERE partner_id = $1 ORDER BY created_at DESC LIMIT 1").bind(p1))
                .await
                .expect("a contact");
            (m, c)
        };
        let delivery = Uuid::now_v7();
        let mut tx = db.begin().await.expect("tx");
        tx.execute(
            q("DELETE FROM deliveries WHERE message_id = $1 AND contact_id = $2 AND channel = 'phone'")
                .bind(message)
                .bind(contact),
        )
        .await
        .expect("clear");
        tx.execute(
            q("INSERT INTO deliveries (id, message_id, partner_id, contact_id, channel, state, created_at, late)
               VALUES ($1, $2, $3, $4, 'phone', 'manual', $5, FALSE)")
                .bind(delivery)
                .bind(message)
                .bind(p1)
                .bind(contact)
                .bind(db.now()),
        )
        .await
        .expect("a phone delivery");
        tx.commit().await.expect("commit");
        // p2's partner cannot carry out p1's delivery.
        let p2 = cast.p2.partner_id.expect("p2 partner");
        let mut wrong = call(p2, "wrong partner");
        wrong.delivery_id = Some(delivery);
        assert!(
            matches!(
                app::create_call(&db, &cast.channel, &wrong).await,
                Err(Error::Invalid(_))
            ),
            "{name}"
        );
        let mut input = call(p1, "电话告知通知内容 told them the notice");
        input.contact_id = Some(contact);
        input.delivery_id = Some(delivery);
        input.follow_ups = vec![TaskInput {
            title: Some("发送书面确认".into()),
            due_on: Some("2026-03-01".into()),
            ..Default::default()
        }];
        let c = app::create_call(&db, &cast.channel, &input)
            .await
            .expect("call");
        assert_eq!(c.call.delivery_id, Some(delivery), "{name}");
        assert_eq!(c.follow_ups.len(), 1, "{name}");
        let sent: i64 = db
            .fetch_one(
                q("SELECT COUNT(*) FROM deliveries WHERE id = $1 AND sent_at IS NOT NULL")
                    .bind(delivery),
            )
            .await
            .expect("sent");
        assert_eq!(sent, 1, "{name}: the phone delivery is done");
        // The same delivery is not done twice.
        assert!(
            matches!(
                app::create_call(&db, &cast.channel, &input).await,
                Err(Error::Invalid(_))
            ),
            "{name}"
        );
        // A call that raises a ticket on the partner's behalf.
        let mut raising = call(p1, "来电反馈设备故障 reports a fault");
        raising.direction = Some("inbound".into());
        raising.ticket = Some(CallTicket {
            kind: Some("product_quality".into()),
            priority: Some("high".into()),
            subject: Some("设备无法开机".into()),
            description: Some("客户来电：设备无法开机。".into()),
        });
        let c = match app::create_call(&db, &cast.channel, &raising).await {
            Ok(c) => c,
            Err(Error::Invalid(e)) => panic!("{name}: {e}"),
            Err(e) => panic!("{name}: {e:?}"),
        };
        let ticket = c.call.ticket_id.expect("a ticket");
        let t = liaison_db::tickets::find_ticket(&db, ticket)
            .await
            .expect("ticket");
        assert_eq!(t.partner_id, p1, "{name}");
        assert_eq!(t.via.as_str(), "phone", "{name}");
    }
}
