//! Products, launches and feedback through the service layer (policy §3.2; issue 11): what a
//! partner may see of the catalogue, R&D's feedback queue and its isolation between partners,
//! and the launch sweep that drafts announcements on time.

use crate::{Cast, backends};
use liaison_app::Error;
use liaison_app::feedback::{self, FeedbackInput, TriageInput};
use liaison_app::{launch, product};
use liaison_core::notify::NotifyKind;
use liaison_core::{Actor, FixedClock};
use liaison_db::Db;
use liaison_db::feedback::FeedbackFilter;
use liaison_db::launch::LaunchInput;
use liaison_db::product::{ProductFilter, ProductInput};
use std::sync::Arc;

/// R&D's demo login (研发部).
async fn rd(db: &Db) -> Actor {
    liaison_db::user::list_users(db)
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.email == "rd@demo.example")
        .expect("rd@demo.example is a demo login")
        .actor()
}

async fn product_id(db: &Db, code: &str) -> uuid::Uuid {
    liaison_db::product::find_product_by_code(db, code)
        .await
        .expect("find")
        .expect("demo product")
        .id
}

/// §3.2.1: a product shown to East China distributors only does not exist for another
/// partner; the catalogue is kept by R&D, not by other staff.
#[tokio::test]
async fn a_partner_sees_only_the_products_visible_to_it() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let rd = rd(&db).await;
        let hmi = product_id(&db, "LX-HMI7").await;
        let all = product::list(&db, &cast.staff, &ProductFilter::default())
            .await
            .expect("staff list");
        assert_eq!(all.len(), 12, "{name}: the demo catalogue");
        let p1 = product::list(&db, &cast.p1, &ProductFilter::default())
            .await
            .expect("p1 list");
        assert!(
            p1.iter().any(|p| p.id == hmi),
            "{name}: p1 is in East China"
        );
        let p2 = product::list(&db, &cast.p2, &ProductFilter::default())
            .await
            .expect("p2 list");
        assert_eq!(p2.len(), 11, "{name}");
        let e = product::show(&db, &cast.p2, hmi).await.expect_err("hidden");
        assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
        product::show(&db, &cast.p1, hmi).await.expect("p1 sees it");
        let hits = liaison_app::search::search(&db, &cast.p2, "触摸屏", 20)
            .await
            .expect("search");
        assert!(
            hits.iter().all(|h| h.id != hmi),
            "{name}: p2 cannot find it"
        );
        let hits = liaison_app::search::search(&db, &cast.p1, "触摸屏", 20)
            .await
            .expect("search");
        assert!(hits.iter().any(|h| h.id == hmi), "{name}: p1 finds it");

        let new = ProductInput {
            code: Some("LX-TEST1".into()),
            name_zh: Some("测试产品".into()),
            category: Some("控制器".into()),
            ..Default::default()
        };
        for who in [&cast.staff, &cast.p1, &cast.head] {
            let e = product::create(&db, who, &new).await.expect_err("refused");
            assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        }
        product::create(&db, &rd, &new).await.expect("R&D keeps it");
        let e = product::update(&db, &cast.p2, hmi, &ProductInput::default(), None)
            .await
            .expect_err("hidden first");
        assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
    }
}

/// §3.2.3: p1's feedback reaches R&D's queue, R&D answers, p1 is told and sees the state;
/// p2 never sees it (404) and staff outside R&D may not read the queue (403).
#[tokio::test]
async fn feedback_goes_to_rd_and_only_its_partner_sees_it() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let rd = rd(&db).await;
        let pc20 = product_id(&db, "LX-PC20").await;
        let f = feedback::submit(
            &db,
            &cast.p1,
            &FeedbackInput {
                product_id: Some(pc20),
                kind: Some("customer_need".into()),
                description: Some("客户需要 PC20 支持更多轴的运动控制。".into()),
                customer_impact: Some("两家机床客户".into()),
            },
        )
        .await
        .expect("p1 submits");
        assert_eq!(f.state.as_str(), "new", "{name}");
        let told = liaison_db::notify::list(&db, rd.user_id, false, None, 10)
            .await
            .expect("rd notifications");
        assert!(
            told.iter().any(|n| n.kind == NotifyKind::FeedbackReceived),
            "{name}: R&D is told"
        );

        let e = feedback::show(&db, &cast.p2, f.id).await.expect_err("p2");
        assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
        let p2_items = feedback::list(&db, &cast.p2, &FeedbackFilter::default(), None, 200)
            .await
            .expect("p2 list");
        assert!(p2_items.iter().all(|x| x.id != f.id), "{name}");
        assert!(
            p2_items
                .iter()
                .all(|x| Some(x.partner_id) == cast.p2.partner_id),
            "{name}: p2 lists its own only"
        );
        let e = feedback::list(&db, &cast.staff, &FeedbackFilter::default(), None, 10)
            .await
            .expect_err("staff");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        let answer = TriageInput {
            state: Some("planned".into()),
            answer: Some("已列入下季度计划。".into()),
        };
        for (who, forbidden) in [(&cast.p1, true), (&cast.p2, false), (&cast.channel, true)] {
            let e = feedback::triage(&db, who, f.id, &answer, None)
                .await
                .expect_err("refused");
            if forbidden {
                assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
            } else {
                assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
            }
        }
        let done = feedback::triage(&db, &rd, f.id, &answer, None)
            .await
            .expect("R&D triages");
        assert_eq!(done.state.as_str(), "planned", "{name}");
        let seen = feedback::show(&db, &cast.p1, f.id).await.expect("p1 reads");
        assert_eq!(seen.answer.as_deref(), Some("已列入下季度计划。"), "{name}");
        let told = liaison_db::notify::list(&db, cast.p1.user_id, false, None, 10)
            .await
            .expect("p1 notifications");
        assert!(
            told.iter()
                .any(|n| n.kind == NotifyKind::FeedbackAnswered
                    && n.link.ends_with(&f.id.to_string())),
            "{name}: p1 is told"
        );
        // Triage moves forward only (§3.2.3).
        let e = feedback::triage(
            &db,
            &rd,
            f.id,
            &TriageInput {
                state: Some("new".into()),
                answer: None,
            },
            None,
        )
        .await
        .expect_err("backwards");
        assert!(matches!(e, Error::Invalid(_)), "{name}: {e:?}");

        // p2 asks the same: merged, two partners ask.
        let g = feedback::submit(
            &db,
            &cast.p2,
            &FeedbackInput {
                product_id: Some(pc20),
                kind: Some("customer_need".into()),
                description: Some("也需要更多轴。".into()),
                customer_impact: None,
            },
        )
        .await
        .expect("p2 submits");
        let e = feedback::merge(&db, &cast.p2, g.id, f.id)
            .await
            .expect_err("partners do not merge");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        let t = feedback::merge(&db, &rd, g.id, f.id).await.expect("merge");
        assert_eq!(t.votes, 2, "{name}");
        let mine = feedback::show(&db, &cast.p2, g.id).await.expect("p2 own");
        assert_eq!(mine.state.as_str(), "planned", "{name}: follows the target");
        // A product p2 may not see cannot get its feedback.
        let hmi = product_id(&db, "LX-HMI7").await;
        let e = feedback::submit(
            &db,
            &cast.p2,
            &FeedbackInput {
                product_id: Some(hmi),
                kind: Some("improvement".into()),
                description: Some("x".into()),
                customer_impact: None,
            },
        )
        .await
        .expect_err("not visible");
        assert!(matches!(e, Error::Invalid(_)), "{name}: {e:?}");
    }
}

/// §3.2.2: the sweep drafts the announcement a week before the notice date, owned by the
/// launch's owner and addressed to the product's partners, and warns the owner once when the
/// notice date is three days away and nothing was submitted.
#[tokio::test]
async fn the_sweep_drafts_the_announcement_and_warns_the_owner() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let rd = rd(&db).await;
        let clock = Arc::new(FixedClock::new(chrono::Utc::now()));
        let db = db.with_clock(clock.clone());
        let today = db
            .now()
            .with_timezone(&liaison_core::calendar::COMPANY_ZONE)
            .date_naive();
        let pc10 = product_id(&db, "LX-PC10").await;
        let e = launch::create(
            &db,
            &cast.staff,
            &LaunchInput {
                product_id: Some(pc10),
                title: Some("x".into()),
                launch_on: Some(today.to_string()),
                ..Default::default()
            },
        )
        .await
        .expect_err("staff may not plan launches");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        let l = launch::create(
            &db,
            &rd,
            &LaunchInput {
                product_id: Some(pc10),
                title: Some("PC10 增强版上市".into()),
                launch_on: Some((today + chrono::Duration::days(20)).to_string()),
                ..Default::default()
            },
        )
        .await
        .expect("R&D plans");
        let r = launch::sweep(&db).await.expect("sweep");
        assert_eq!((r.drafted, r.warned), (1, 0), "{name}");
        let l = launch::show(&db, &rd, l.id).await.expect("launch");
        let req = liaison_app::request::load(&db, &rd, l.request_id.expect("drafted").into())
            .await
            .expect("the owner's draft");
        assert_eq!(req.form.category.as_deref(), Some("product"), "{name}");
        assert!(
            req.form
                .audience
                .as_ref()
                .is_some_and(|a| a.partners.contains(&cast.p1.partner_id.expect("p1"))),
            "{name}: the product's partners"
        );
        let told = liaison_db::notify::list(&db, rd.user_id, false, None, 20)
            .await
            .expect("notifications");
        assert!(
            told.iter().any(|n| n.kind == NotifyKind::LaunchDrafted),
            "{name}"
        );
        assert_eq!(
            launch::sweep(&db).await.expect("again"),
            Default::default(),
            "{name}"
        );

        clock.advance(chrono::Duration::days(4));
        let r = launch::sweep(&db).await.expect("sweep");
        assert_eq!((r.drafted, r.warned), (0, 1), "{name}: warned");
        assert_eq!(
            launch::sweep(&db).await.expect("again"),
            Default::default(),
            "{name}: once"
        );
        let told = liaison_db::notify::list(&db, rd.user_id, false, None, 20)
            .await
            .expect("notifications");
        assert!(
            told.iter()
                .any(|n| n.kind == NotifyKind::LaunchNoticeAtRisk && n.urgent),
            "{name}"
        );

        // p2 sees the launches of its products, not those of products hidden from it.
        let seen = launch::list(&db, &cast.p2, None, None).await.expect("p2");
        assert!(seen.iter().any(|x| x.id == l.id), "{name}");
        let ics = launch::ics(&db, &cast.p2, liaison_core::partner::Lang::ZhCn)
            .await
            .expect("feed");
        assert!(ics.contains(&format!("UID:{}@liaison", l.id)), "{name}");
    }
}
