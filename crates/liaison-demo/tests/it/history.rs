//! The demo's three months of history: what `p1@demo.example` and the console show after
//! `liaison demo` (requests in every state of the review chain §4.1-§4.2, messages read and
//! confirmed on time, late or not at all §4.3-§4.4, questions answered and open §4.4.2, held and
//! dead deliveries), written through the operations, once.

use crate::{backends, count};
use chrono::{Duration, Utc};
use liaison_core::Actor;
use liaison_db::audit::{self, Verdict};
use liaison_db::request::{self, RequestView};
use liaison_db::thread::{self, ThreadState, ThreadView};
use liaison_db::{Db, inbox, q, user};
use std::collections::BTreeSet;

async fn actor(db: &Db, email: &str) -> (Actor, Option<uuid::Uuid>) {
    let u = user::list_users(db)
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.email == email)
        .unwrap_or_else(|| panic!("{email} is a demo user"));
    (u.actor(), u.partner_id)
}

#[tokio::test]
async fn load_alone_leaves_the_inbox_empty_and_history_fills_every_list_once() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        liaison_demo::load(&db, 0, &|_| {}).await.expect("load");
        let (p1, p1_partner) = actor(&db, "p1@demo.example").await;
        let p1_partner = p1_partner.expect("p1 belongs to a partner");
        assert!(
            inbox::list_inbox(&db, p1_partner, None, 100)
                .await
                .expect("inbox")
                .is_empty(),
            "{name}: load alone writes no history (fixtures ask for it)"
        );

        let report = liaison_demo::history(&db).await.expect("history");
        assert!(report.written, "{name}: {report:?}");

        // Issue 12: sixty tickets in every state, kind and priority; some breached, some
        // rated, merged and reopened; p1's partner among those who raised them; the VF220
        // defect coming back (a recurrence).
        {
            use liaison_core::tickets::{TicketKind, TicketPriority, TicketState};
            let (channel, _) = actor(&db, "channel@demo.example").await;
            let all = liaison_app::tickets::list(
                &db,
                &channel,
                &liaison_db::tickets::TicketFilter {
                    include_merged: true,
                    ..Default::default()
                },
                None,
                500,
            )
            .await
            .expect("tickets");
            // Sixty raised in the portal and by phone, and one a logged call raised (issue 14).
            assert_eq!(all.len(), 61, "{name}");
            for s in TicketState::ALL {
                assert!(all.iter().any(|t| t.state == *s), "{name}: a ticket {s}");
            }
            for k in TicketKind::ALL {
                assert!(
                    all.iter().any(|t| t.kind == *k),
                    "{name}: a ticket of kind {k}"
                );
            }
            for p in TicketPriority::ALL {
                assert!(all.iter().any(|t| t.priority == *p), "{name}: a {p} ticket");
            }
            let breached = all.iter().filter(|t| !t.breached.is_empty()).count();
            let rated = all.iter().filter(|t| t.rating.is_some()).count();
            assert!(breached >= 5, "{name}: {breached} breached, {rated} rated");
            assert!(rated >= 5, "{name}: {rated} rated");
            assert!(all.iter().any(|t| t.merged_into.is_some()), "{name}");
            assert!(all.iter().any(|t| t.reopen_count > 0), "{name}");
            let (p1_actor, _) = actor(&db, "p1@demo.example").await;
            let mine = liaison_app::tickets::list(&db, &p1_actor, &Default::default(), None, 100)
                .await
                .expect("p1's tickets");
            assert!(mine.len() >= 10, "{name}: {}", mine.len());
            let now = db.now();
            let report =
                liaison_app::tickets::report(&db, &channel, now - chrono::Duration::days(95), now)
                    .await
                    .expect("report");
            assert!(
                report
                    .recurrences
                    .iter()
                    .any(|r| r.root_cause == "product_defect"),
                "{name}: {:?}",
                report.recurrences
            );
        }
        // Issue 14: the year's meetings: the conference held, a short quarter, monthly
        // minutes with p1's open action items, one invitation late, a briefing ahead.
        {
            use liaison_core::meetings::{CadenceStatus, MeetingKind, MeetingState};
            let (channel, _) = actor(&db, "channel@demo.example").await;
            let (p1_actor, _) = actor(&db, "p1@demo.example").await;
            let all = liaison_app::meetings::list(&db, &channel, Default::default(), false, 500)
                .await
                .expect("meetings");
            assert!(
                all.iter()
                    .any(|m| m.kind == MeetingKind::PartnerConference
                        && m.state == MeetingState::Held),
                "{name}: the conference held"
            );
            assert!(
                all.iter()
                    .filter(|m| m.kind == MeetingKind::Monthly && m.state == MeetingState::Held)
                    .count()
                    >= 10,
                "{name}"
            );
            assert!(all.iter().any(|m| m.late), "{name}: one invitation late");
            assert!(
                all.iter().any(|m| m.state == MeetingState::Cancelled),
                "{name}"
            );
            assert!(
                all.iter()
                    .any(|m| m.state == MeetingState::Invited && m.starts_at > db.now()),
                "{name}"
            );
            let now = db
                .now()
                .with_timezone(&liaison_core::calendar::COMPANY_ZONE);
            let mut short = 0;
            for y in [
                now.format("%Y").to_string(),
                (now - chrono::Duration::days(365)).format("%Y").to_string(),
            ] {
                let y: i32 = y.parse().expect("year");
                short += liaison_app::meetings::cadence(&db, &channel, y)
                    .await
                    .expect("cadence")
                    .iter()
                    .filter(|r| {
                        r.kind == MeetingKind::Quarterly && r.status == CadenceStatus::Short
                    })
                    .count();
            }
            assert!(short >= 1, "{name}: a quarter short");
            let tasks = liaison_app::meetings::tasks(&db, &p1_actor, None, false)
                .await
                .expect("p1's tasks");
            assert!(
                tasks
                    .iter()
                    .filter(|t| t.status == liaison_core::meetings::TaskStatus::Open)
                    .count()
                    >= 2,
                "{name}: p1's open action items: {tasks:?}"
            );
            assert!(
                !liaison_app::meetings::list(&db, &p1_actor, Default::default(), false, 100)
                    .await
                    .expect("p1's")
                    .is_empty()
            );
            assert_eq!(
                crate::count(
                    &db,
                    "SELECT COUNT(*) FROM jobs WHERE kind = 'invite' AND state = 'queued'"
                )
                .await,
                0,
                "{name}: the past is not mailed again"
            );
        }
        // Issue 11: the policy library's story, as p1 sees it.
        let (p1_actor, _) = actor(&db, "p1@demo.example").await;
        let policies = liaison_app::policies::list(&db, &p1_actor, None)
            .await
            .expect("p1's policies");
        assert_eq!(policies.len(), 4, "{name}: four policies reach p1");
        let rebate = policies
            .iter()
            .find(|p| p.policy.title == "渠道返利政策")
            .expect("the rebate policy");
        use liaison_core::policies::{AckCell, VersionState::*};
        let states: Vec<_> = rebate.versions.iter().map(|v| v.state).collect();
        assert_eq!(states, vec![Superseded, InForce, Scheduled], "{name}");
        assert_eq!(
            rebate.versions[2].acknowledgement,
            Some(AckCell::Pending),
            "{name}: p1 still has the coming version to acknowledge"
        );
        let market = policies
            .iter()
            .find(|p| p.policy.title == "市场推广费用管理办法")
            .expect("the market policy");
        let v2 = market.versions.last().expect("its versions");
        assert!(
            v2.short_notice && v2.executive_approved && v2.state == InForce,
            "{name}: {v2:?}"
        );

        // p1's inbox: at least five messages, some still to confirm, some confirmed late.
        let items = inbox::list_inbox(&db, p1_partner, None, 100)
            .await
            .expect("inbox");
        assert!(items.len() >= 5, "{name}: p1 has {} messages", items.len());
        let to_confirm = items
            .iter()
            .filter(|i| i.ack_required && i.acked_at.is_none())
            .count();
        assert!(to_confirm >= 1, "{name}: nothing for p1 to confirm");
        assert!(
            items.iter().any(|i| i.acked_at.is_some() && !i.late),
            "{name}: a message p1 confirmed on time"
        );
        assert!(
            items.iter().any(|i| i.late),
            "{name}: a message p1 confirmed late"
        );
        assert!(
            items.iter().any(|i| i.read_at.is_none()),
            "{name}: an unread message"
        );
        assert!(
            items.iter().any(|i| i.corrects_id.is_some()),
            "{name}: a correction (§1.3.1)"
        );
        let counts = inbox::counts(&db, p1_partner).await.expect("counts");
        assert_eq!(counts.to_confirm as usize, to_confirm, "{name}");
        // The timestamps spread over the last three months, none in the future.
        let now = Utc::now();
        let oldest = items.iter().map(|i| i.sent_at).min().expect("items");
        let newest = items.iter().map(|i| i.sent_at).max().expect("items");
        assert!(
            oldest < now - Duration::days(75) && newest > now - Duration::days(3) && newest < now,
            "{name}: messages from {oldest} to {newest}"
        );
        // Newest first by id agrees with the time sent.
        assert!(
            items.windows(2).all(|w| w[0].sent_at >= w[1].sent_at),
            "{name}: the inbox order and the sent times disagree"
        );

        // Channel management's view of every request: the states of the review chain.
        let (channel, _) = actor(&db, "channel@demo.example").await;
        let all = request::list_requests(&db, &channel, RequestView::All, None, 200)
            .await
            .expect("requests");
        let states: BTreeSet<&str> = all.iter().map(|r| r.state.as_str()).collect();
        assert!(
            states.len() >= 5,
            "{name}: requests in only {} states: {states:?}",
            states.len()
        );
        for s in [
            "draft",
            "pending_dept_head",
            "pending_channel_review",
            "pending_executive",
            "approved",
            "dispatched",
            "returned",
            "rejected",
            "withdrawn",
        ] {
            assert!(states.contains(s), "{name}: no request is {s}: {states:?}");
        }
        let requesters: BTreeSet<_> = all.iter().map(|r| r.requester_id).collect();
        assert!(
            requesters.len() >= 2,
            "{name}: staff and the head file requests"
        );
        assert!(
            all.iter().all(|r| !r.title.is_ascii()),
            "{name}: Chinese titles"
        );
        assert!(
            all.iter().any(|r| r.title.contains("苏州")),
            "{name}: a request about 苏州"
        );
        let (exec, _) = actor(&db, "exec@demo.example").await;
        let invitation = all
            .iter()
            .find(|r| r.title.contains("大会邀请"))
            .expect("the conference invitation");
        let invitation = request::find_request(&db, invitation.id)
            .await
            .expect("find");
        assert!(
            invitation
                .reviews
                .iter()
                .any(|v| v.reviewer_id == exec.user_id && v.step == "executive"),
            "{name}: an executive approved a major communication (§4.2.2)"
        );

        // p1's partner has an answered and an open question.
        let threads = thread::list_threads(&db, &p1, ThreadView::All, None, None, 100)
            .await
            .expect("threads");
        for s in [ThreadState::Answered, ThreadState::Open] {
            assert!(
                threads.iter().any(|t| t.state == s),
                "{name}: no {} thread for p1: {:?}",
                s.as_str(),
                threads.iter().map(|t| t.state).collect::<Vec<_>>()
            );
        }
        assert!(
            threads.iter().all(|t| t.partner_id == p1_partner),
            "{name}: p1 sees only its own partner's threads"
        );

        // The receipts boards: a dead delivery with its error, and held ones.
        let dead = count(
            &db,
            "SELECT COUNT(*) FROM deliveries WHERE state = 'dead' AND last_error LIKE '%550%'",
        )
        .await;
        assert!(dead >= 1, "{name}: no dead delivery with its SMTP error");
        let held = count(
            &db,
            "SELECT COUNT(*) FROM deliveries WHERE state = 'held' AND next_at IS NOT NULL",
        )
        .await;
        assert!(held >= 1, "{name}: no delivery held for working hours");
        let confirmed_late: i64 = db
            .fetch_one(q(
                "SELECT COUNT(DISTINCT message_id) FROM deliveries WHERE late AND acked_at IS NOT NULL",
            ))
            .await
            .expect("late");
        assert!(confirmed_late >= 2, "{name}: late confirmations");

        // Issue 16 item 6: each role lands on its own page of what needs attention, every
        // item linking to where it is acted on.
        {
            use liaison_app::home::dashboard;
            use liaison_core::partner::Lang;
            let keys = |d: &liaison_app::home::Dashboard| {
                d.sections.iter().map(|s| s.key).collect::<Vec<_>>()
            };
            let (channel, _) = actor(&db, "channel@demo.example").await;
            let home = dashboard(&db, &channel, Lang::ZhCn)
                .await
                .expect("channel home");
            for key in [
                "unanswered_questions",
                "overdue_confirmations",
                "tickets_breaching",
                "data_overdue",
                "anomalies_open",
                "meetings_ahead",
                "cadence_warnings",
            ] {
                assert!(
                    home.section(key).is_some(),
                    "{name}: channel@ lacks {key}: {:?}",
                    keys(&home)
                );
            }
            let movers = home.section("relationship_movers").expect("movers");
            assert!(
                movers
                    .items
                    .iter()
                    .all(|i| i.change.is_some()
                        && i.link.starts_with("/console/evaluation/partners/")),
                "{name}: {movers:?}"
            );
            let anomalies = home.section("anomalies_open").expect("anomalies");
            assert!(
                anomalies.count >= 1,
                "{name}: the demo's planted anomaly is open"
            );
            assert!(
                anomalies
                    .items
                    .iter()
                    .all(|i| i.link.starts_with("/console/data/anomalies/")
                        && !i.title.contains("sales")),
                "{name}: anomalies link to their page, named in Chinese: {anomalies:?}"
            );
            let (p1, _) = actor(&db, "p1@demo.example").await;
            let home = dashboard(&db, &p1, Lang::En).await.expect("p1 home");
            for key in [
                "to_confirm",
                "my_open_tickets",
                "data_due",
                "my_tasks",
                "meetings_ahead",
            ] {
                assert!(
                    home.section(key).is_some(),
                    "{name}: p1 lacks {key}: {:?}",
                    keys(&home)
                );
            }
            assert!(
                home.sections
                    .iter()
                    .all(|s| s.items.iter().all(|i| i.link.starts_with("/portal/"))),
                "{name}: a partner's items link into the portal"
            );
            assert!(
                home.section("tickets_breaching").is_none()
                    && home.section("open_incidents").is_none(),
                "{name}: a partner sees nothing of the console's lists"
            );
            let (exec, _) = actor(&db, "exec@demo.example").await;
            let home = dashboard(&db, &exec, Lang::ZhCn).await.expect("exec home");
            let figures = home
                .section("indicators")
                .expect("exec sees the four indicators");
            assert_eq!(
                figures
                    .items
                    .iter()
                    .map(|i| i.link.rsplit('#').next().unwrap_or(""))
                    .collect::<Vec<_>>(),
                ["accuracy", "timeliness", "satisfaction", "relationship"],
                "{name}"
            );
            assert!(
                figures.items.iter().filter(|i| i.value.is_some()).count() >= 3,
                "{name}: a year of demo history gives last month figures: {figures:?}"
            );
            let incidents = home.section("open_incidents").expect("exec sees incidents");
            assert!(
                incidents
                    .items
                    .iter()
                    .all(|i| i.state.as_deref() != Some("closed")),
                "{name}: only running incidents: {incidents:?}"
            );
            let (staff, _) = actor(&db, "staff@demo.example").await;
            let home = dashboard(&db, &staff, Lang::ZhCn)
                .await
                .expect("staff home");
            assert!(
                home.section("open_incidents").is_none() && home.section("data_overdue").is_none(),
                "{name}: marketing staff do not get channel management's lists: {:?}",
                keys(&home)
            );
        }

        // A second run writes nothing, and the audit chain holds (§7.2.1).
        let rows = (
            count(&db, "SELECT COUNT(*) FROM requests").await,
            count(&db, "SELECT COUNT(*) FROM messages").await,
            count(&db, "SELECT COUNT(*) FROM threads").await,
            count(&db, "SELECT COUNT(*) FROM deliveries").await,
        );
        let again = liaison_demo::history(&db).await.expect("history again");
        assert!(!again.written, "{name}: {again:?}");
        liaison_demo::load(&db, 0, &|_| {})
            .await
            .expect("load again");
        assert_eq!(
            rows,
            (
                count(&db, "SELECT COUNT(*) FROM requests").await,
                count(&db, "SELECT COUNT(*) FROM messages").await,
                count(&db, "SELECT COUNT(*) FROM threads").await,
                count(&db, "SELECT COUNT(*) FROM deliveries").await,
            ),
            "{name}: running the demo twice duplicates nothing"
        );
        match audit::verify(&db).await.expect("verify") {
            Verdict::Intact { .. } => {}
            broken => panic!("{name}: history breaks the audit chain: {broken:?}"),
        }
    }
}

/// Issue 14: visits on each tier's rhythm with reports and action items (open ones for p1's
/// contacts), 广州南粤 overdue, the next tier-A visits planned, thirty calls with one ticket;
/// written once.
#[tokio::test]
async fn history_writes_site_visits_and_calls_once() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        liaison_demo::load(&db, 0, &|_| {}).await.expect("load");
        liaison_demo::history(&db).await.expect("history");
        let (channel, _) = actor(&db, "channel@demo.example").await;
        let (p1, p1_partner) = actor(&db, "p1@demo.example").await;
        let p1_partner = p1_partner.expect("p1 partner");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM calls").await, 30, "{name}");
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM calls WHERE ticket_id IS NOT NULL"
            )
            .await,
            1,
            "{name}"
        );
        assert!(
            count(
                &db,
                "SELECT COUNT(*) FROM calls WHERE direction = 'inbound'"
            )
            .await
                >= 5,
            "{name}"
        );
        assert!(
            count(&db, "SELECT COUNT(*) FROM visits WHERE state = 'done'").await >= 10,
            "{name}"
        );
        assert!(
            count(&db, "SELECT COUNT(*) FROM visits WHERE state = 'planned'").await >= 3,
            "{name}"
        );
        let overdue = liaison_app::offline::overdue(&db, &channel)
            .await
            .expect("overdue");
        assert!(
            overdue.iter().any(|o| o.partner.partner_code == "GZ-D003"),
            "{name}"
        );
        assert!(
            overdue.iter().all(|o| o.partner.partner_code != "SH-D001"),
            "{name}"
        );
        let open: i64 = db
            .fetch_one(
                q("SELECT COUNT(*) FROM tasks WHERE partner_id = $1 AND status = 'open' AND owner_contact_id IS NOT NULL")
                    .bind(p1_partner),
            )
            .await
            .expect("tasks");
        assert!(open >= 1, "{name}: open action items for p1's contacts");
        let mine = liaison_app::offline::list_visits(&db, &p1, Default::default(), 100)
            .await
            .expect("p1 visits");
        assert!(
            !mine.is_empty() && mine.iter().all(|v| v.problems.is_none()),
            "{name}"
        );
        // The confidentiality story (issue 15): a closed incident with its whole procedure,
        // traced to 广州南粤's copy, and 赵敏's access request waiting for marketing.
        let (exec, _) = actor(&db, "exec@demo.example").await;
        let incidents = liaison_app::incidents::list(&db, &exec)
            .await
            .expect("incidents");
        assert_eq!(incidents.len(), 1, "{name}");
        let i = &incidents[0];
        assert_eq!(i.state.as_str(), "closed", "{name}");
        assert!(i.nda_id.is_some() && !i.cause.is_empty(), "{name}");
        let gz = liaison_db::partner::resolve_partner_ref(&db, "GZ-D003")
            .await
            .expect("query")
            .expect("GZ-D003");
        assert_eq!(
            i.suspects.first().map(|s| s.partner_id),
            Some(gz),
            "{name}: traced"
        );
        let (_, events) = liaison_app::incidents::show(&db, &exec, i.id)
            .await
            .expect("show");
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "reported",
                "notified",
                "contained",
                "investigation",
                "closed"
            ],
            "{name}"
        );
        let (staff, _) = actor(&db, "staff@demo.example").await;
        let waiting = liaison_app::access::list(&db, &staff)
            .await
            .expect("requests");
        assert!(
            waiting
                .iter()
                .any(|r| r.owner_id == staff.user_id && r.state.as_str() == "requested"),
            "{name}"
        );
        // Issue 16: the quarterly survey answered by most partners (all but two), one of them
        // by phone; the open anonymous one waits for p1's company on its home page.
        let surveys = liaison_app::surveys::list(&db, &channel, 50)
            .await
            .expect("surveys");
        assert_eq!(surveys.len(), 2, "{name}");
        let quarterly = surveys
            .iter()
            .find(|s| !s.anonymous)
            .expect("the quarterly survey");
        let res = liaison_app::surveys::results(&db, &channel, quarterly.id, None)
            .await
            .expect("results");
        assert_eq!(res.answered, res.invited - 2, "{name}");
        assert!(
            res.questions[1].nps.and_then(|n| n.score).is_some(),
            "{name}"
        );
        assert!(
            count(
                &db,
                "SELECT COUNT(*) FROM survey_answers WHERE via = 'phone'"
            )
            .await
                >= 1,
            "{name}"
        );
        let waiting = liaison_app::surveys::to_answer(&db, &p1).await.expect("p1");
        assert_eq!(waiting.len(), 1, "{name}");
        assert!(waiting[0].0.anonymous, "{name}");
        // Issue 15 (SPEC H2): one demo API token of p1's partner, its secret kept nowhere.
        let token_count = || async {
            count(
                &db,
                "SELECT COUNT(*) FROM api_tokens t JOIN partners p ON p.id = t.partner_id
                  WHERE p.code = 'SH-D001' AND t.name LIKE '演示令牌%' AND t.revoked_at IS NULL",
            )
            .await
        };
        assert_eq!(token_count().await, 1, "{name}");
        // A second run writes nothing more.
        liaison_demo::history(&db).await.expect("again");
        assert_eq!(token_count().await, 1, "{name}: one token");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM calls").await, 30, "{name}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM surveys").await,
            2,
            "{name}"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM incidents").await,
            1,
            "{name}"
        );
    }
}
