//! The product catalogue, launches and feedback in storage (policy §3.2; issue 11), on every
//! backend: typed parameters round-trip, codes are unique, products are in the search index,
//! a lost update is a conflict, merged feedback counts each partner once.

use super::{backends, insert_partner, invalid_fields, manager};
use liaison_core::Scope;
use liaison_core::product::{
    FeedbackKind, FeedbackState, ParamInput, Visibility, parse_feedback_text,
};
use liaison_db::DbError;
use liaison_db::feedback::{self, FeedbackFilter};
use liaison_db::launch::{self, LaunchInput};
use liaison_db::product::{self, ProductFilter, ProductInput};
use liaison_db::search::{self, Kind};
use serde_json::json;
use uuid::Uuid;

fn input(code: &str, name: &str) -> ProductInput {
    ProductInput {
        code: Some(code.into()),
        name_zh: Some(name.into()),
        name_en: Some("Servo motor".into()),
        category: Some("伺服电机".into()),
        status: Some("launched".into()),
        features: Some("- 高响应\n- 低噪音".into()),
        parameters: Some(vec![ParamInput {
            name: Some("额定功率".into()),
            value: Some(json!("1.5")),
            unit: Some("kW".into()),
            kind: Some("number".into()),
        }]),
        ..Default::default()
    }
}

/// §3.2.1: parameters are typed and kept; the code is unique; search finds the product by its
/// Chinese name and its code.
#[tokio::test]
async fn a_product_keeps_its_typed_parameters_and_is_searchable() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        let p = product::insert_product(&db, m.id, &input("lx-sm150", "伺服电机样机"))
            .await
            .expect("insert");
        assert_eq!(p.code, "LX-SM150", "{name}");
        assert_eq!(p.parameters[0].value, "1.5", "{name}");
        assert_eq!(p.parameters[0].unit, "kW", "{name}");
        let again = product::insert_product(&db, m.id, &input("LX-SM150", "重复"))
            .await
            .expect_err("duplicate code");
        assert!(matches!(again, DbError::Conflict(_)), "{name}: {again:?}");
        let mut bad = input("LX-BAD1", "坏参数");
        bad.parameters = Some(vec![ParamInput {
            name: Some("额定功率".into()),
            value: Some(json!("一点五")),
            kind: Some("number".into()),
            ..Default::default()
        }]);
        let e = invalid_fields(name, product::insert_product(&db, m.id, &bad).await);
        assert!(e.get("parameters[0].value").is_some(), "{name}: {e:?}");

        let hits = search::search(&db, "伺服", Scope::All, &[Kind::Product], 10)
            .await
            .expect("search");
        assert!(hits.iter().any(|h| h.id == p.id), "{name}: {hits:?}");
        let listed = product::list_products(
            &db,
            &ProductFilter {
                q: Some("sm150".into()),
                ..Default::default()
            },
        )
        .await
        .expect("list");
        assert_eq!(listed.len(), 1, "{name}");

        // A change is re-indexed; a stale version is a conflict.
        let changed = product::update_product(
            &db,
            m.id,
            p.id,
            &ProductInput {
                name_zh: Some("变频伺服一体机".into()),
                ..Default::default()
            },
            Some(p.version),
        )
        .await
        .expect("update");
        assert_eq!(changed.parameters.len(), 1, "{name}: parameters kept");
        let stale =
            product::update_product(&db, m.id, p.id, &ProductInput::default(), Some(p.version))
                .await
                .expect_err("stale");
        assert!(matches!(stale, DbError::Conflict(_)), "{name}");
        let hits = search::search(&db, "变频", Scope::All, &[Kind::Product], 10)
            .await
            .expect("search");
        assert!(hits.iter().any(|h| h.id == p.id), "{name}");

        // A full rebuild of the index keeps products.
        let mut tx = db.begin().await.expect("tx");
        search::reindex(&mut tx).await.expect("reindex");
        tx.commit().await.expect("commit");
        let hits = search::search(&db, "变频", Scope::All, &[Kind::Product], 10)
            .await
            .expect("search");
        assert!(hits.iter().any(|h| h.id == p.id), "{name}: after reindex");
    }
}

/// §3.2.3: merged items count their partners once at the target, and triage reaches them.
#[tokio::test]
async fn merged_feedback_counts_each_partner_once() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        let p = product::insert_product(&db, m.id, &input("LX-PC10", "可编程控制器"))
            .await
            .expect("product");
        let a = insert_partner(&db, &m, "SH-F001", "上海甲公司").await;
        let b = insert_partner(&db, &m, "BJ-F002", "北京乙公司").await;
        let text = parse_feedback_text("需要英文手册", "外资客户").expect("text");
        let mut items = Vec::new();
        for partner in [a.id, a.id, b.id] {
            items.push(
                feedback::insert_feedback(
                    &db,
                    Uuid::now_v7(),
                    m.id,
                    partner,
                    p.id,
                    FeedbackKind::CustomerNeed,
                    &text,
                    &[],
                )
                .await
                .expect("insert"),
            );
        }
        let target = items[0].clone();
        feedback::merge_feedback(&db, m.id, &items[1], &target)
            .await
            .expect("merge same partner");
        let t = feedback::merge_feedback(&db, m.id, &items[2], &target)
            .await
            .expect("merge other partner");
        assert_eq!(t.votes, 2, "{name}: two partners, three items");
        let t = feedback::update_triage(
            &db,
            m.id,
            &t,
            FeedbackState::Planned,
            Some("已列入计划"),
            t.version,
            &[],
        )
        .await
        .expect("triage");
        let merged = feedback::find_feedback(&db, items[2].id)
            .await
            .expect("find");
        assert_eq!(merged.state, FeedbackState::Planned, "{name}");
        assert_eq!(merged.answer.as_deref(), Some("已列入计划"), "{name}");
        assert_eq!(merged.merged_into, Some(t.id), "{name}");
        let mine = feedback::list_feedback(
            &db,
            Scope::Partner(b.id),
            &FeedbackFilter {
                include_merged: true,
                ..Default::default()
            },
            None,
            50,
        )
        .await
        .expect("list");
        assert_eq!(mine.len(), 1, "{name}: a partner lists its own only");
        let queue = feedback::list_feedback(&db, Scope::All, &FeedbackFilter::default(), None, 50)
            .await
            .expect("queue");
        assert_eq!(queue.len(), 1, "{name}: merged items leave the queue");
    }
}

/// §3.2.2: a launch is claimed for drafting once.
#[tokio::test]
async fn a_launch_is_claimed_for_drafting_once() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        let p = product::insert_product(
            &db,
            m.id,
            &ProductInput {
                visibility: Some(Visibility::default()),
                ..input("LX-VF220", "变频器")
            },
        )
        .await
        .expect("product");
        let l = launch::insert_launch(
            &db,
            m.id,
            &LaunchInput {
                product_id: Some(p.id),
                title: Some("变频器上市".into()),
                launch_on: Some("2027-03-01".into()),
                ..Default::default()
            },
        )
        .await
        .expect("launch");
        assert_eq!(l.owner_id, m.id, "{name}: the creator owns it");
        assert!(
            launch::claim_draft(&db, l.id).await.expect("claim"),
            "{name}"
        );
        assert!(
            !launch::claim_draft(&db, l.id).await.expect("claim"),
            "{name}"
        );
        let bad = launch::insert_launch(
            &db,
            m.id,
            &LaunchInput {
                product_id: Some(p.id),
                title: Some("x".into()),
                launch_on: Some("2027-02-30".into()),
                ..Default::default()
            },
        )
        .await;
        let e = invalid_fields(name, bad);
        assert!(e.get("launch_on").is_some(), "{name}");
        let march = launch::list_launches(
            &db,
            chrono::NaiveDate::from_ymd_opt(2027, 3, 1),
            chrono::NaiveDate::from_ymd_opt(2027, 3, 31),
        )
        .await
        .expect("list");
        assert_eq!(march.len(), 1, "{name}");
    }
}
