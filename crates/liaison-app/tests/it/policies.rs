//! The policy library (issue 11; policy §3.1, SPEC D1-D3): versions published through the
//! review chain, in force at their date and never before their announcement, short notice
//! needing the executive (§3.1.2), acknowledgement asked again for each version, and partners
//! seeing only what was announced to them.

use crate::{Cast, backends};
use chrono::Duration;
use liaison_app::Error;
use liaison_app::policies as lib;
use liaison_core::FixedClock;
use liaison_core::policies::{AckCell, PolicyInput, VersionInput, VersionState};
use liaison_core::request::Audience;
use liaison_core::review::{Decision, RequestState};
use liaison_db::Db;
use liaison_db::inbox::AckWriter;
use std::sync::Arc;
use uuid::Uuid;

/// A sales policy for p1's partner only.
async fn policy_for_p1(db: &Db, cast: &Cast) -> Uuid {
    lib::create(
        db,
        &cast.staff,
        &PolicyInput {
            kind: Some("sales".into()),
            title: Some("渠道返利政策".into()),
            title_en: Some("Channel rebate policy".into()),
            owner_department_id: cast.staff.department_id,
            audience: Some(Audience {
                partners: vec![cast.p1.partner_id.expect("p1")],
                ..Default::default()
            }),
        },
    )
    .await
    .expect("policy")
    .id
}

fn version(db: &Db, body: &str, effective_days: i64, change: bool) -> VersionInput {
    VersionInput {
        body: Some(body.into()),
        effective_at: Some(db.now() + Duration::days(effective_days)),
        change_reason: change.then(|| "成本上涨".to_string()),
        impact: change.then(|| "返利比例下降".to_string()),
        important: Some(true),
        ack_due_at: None,
        classification: None,
    }
}

/// Submits version `n`'s request and approves it through head and channel management;
/// returns the request's state after.
async fn publish(db: &Db, cast: &Cast, policy: Uuid, n: i64) -> RequestState {
    let rid = lib::version(db, &cast.staff, policy, n)
        .await
        .expect("version")
        .request_id
        .expect("staff sees the request");
    liaison_app::request::submit(db, &cast.staff, rid.into())
        .await
        .expect("submit");
    liaison_app::request::decide(db, &cast.head, rid.into(), Decision::Approve, "")
        .await
        .expect("head");
    liaison_app::request::decide(db, &cast.channel, rid.into(), Decision::Approve, "")
        .await
        .expect("channel")
        .state
}

async fn state(db: &Db, cast: &Cast, policy: Uuid, n: i64) -> VersionState {
    lib::version(db, &cast.staff, policy, n)
        .await
        .expect("version")
        .state
}

#[tokio::test]
async fn a_version_goes_through_review_into_force_and_supersedes_the_old_one_at_its_date() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let clock = Arc::new(FixedClock::new(db.now()));
        let db = db.with_clock(clock.clone());
        let id = policy_for_p1(&db, &cast).await;

        let v1 = lib::create_version(
            &db,
            &cast.staff,
            id,
            &version(&db, "第一条 返利 3%。", 40, false),
        )
        .await
        .expect("v1");
        assert_eq!((v1.n, v1.state), (1, VersionState::Draft), "{name}");
        let rid = v1.request_id.expect("request");
        liaison_app::request::submit(&db, &cast.staff, rid.into())
            .await
            .expect("submit");
        assert_eq!(
            state(&db, &cast, id, 1).await,
            VersionState::InReview,
            "{name}"
        );
        liaison_app::request::decide(&db, &cast.head, rid.into(), Decision::Approve, "")
            .await
            .expect("head");
        liaison_app::request::decide(&db, &cast.channel, rid.into(), Decision::Approve, "")
            .await
            .expect("channel");
        // Announced, 40 days before it takes force.
        assert_eq!(
            state(&db, &cast, id, 1).await,
            VersionState::Scheduled,
            "{name}"
        );
        clock.advance(Duration::days(41));
        assert_eq!(
            state(&db, &cast, id, 1).await,
            VersionState::InForce,
            "{name}"
        );

        // A change a month and a half ahead: v1 stays in force until v2's date.
        lib::create_version(
            &db,
            &cast.staff,
            id,
            &version(&db, "第一条 返利 2.5%。", 45, true),
        )
        .await
        .expect("v2");
        assert_eq!(
            publish(&db, &cast, id, 2).await,
            RequestState::Dispatched,
            "{name}"
        );
        let view = lib::get(&db, &cast.staff, id).await.expect("policy");
        assert_eq!((view.in_force, view.coming), (Some(1), Some(2)), "{name}");
        clock.advance(Duration::days(46));
        assert_eq!(
            state(&db, &cast, id, 1).await,
            VersionState::Superseded,
            "{name}"
        );
        assert_eq!(
            state(&db, &cast, id, 2).await,
            VersionState::InForce,
            "{name}"
        );
        // On a past date, the version then in force.
        let then = lib::in_force_on(&db, &cast.p1, id, db.now() - Duration::days(10))
            .await
            .expect("in force then")
            .expect("one was");
        assert_eq!(then.n, 1, "{name}");
    }
}

#[tokio::test]
async fn short_notice_needs_the_executive_and_is_flagged() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let id = policy_for_p1(&db, &cast).await;
        // §3.1.2: 10 days' notice for an important change, 30 required.
        lib::create_version(
            &db,
            &cast.staff,
            id,
            &version(&db, "第一条 返利 3%。", 10, false),
        )
        .await
        .expect("v1");
        // Head and channel management approve; without the executive nothing goes out.
        assert_eq!(
            publish(&db, &cast, id, 1).await,
            RequestState::PendingExecutive,
            "{name}"
        );
        let v = lib::version(&db, &cast.staff, id, 1).await.expect("v1");
        assert_eq!(v.state, VersionState::InReview, "{name}");
        assert!(v.message_id.is_none(), "{name}: not announced");
        // Channel management cannot take the executive's step.
        let refused = liaison_app::request::decide(
            &db,
            &cast.channel,
            v.request_id.expect("request").into(),
            Decision::Approve,
            "",
        )
        .await;
        assert!(refused.is_err(), "{name}: {refused:?}");
        liaison_app::request::decide(
            &db,
            &cast.exec,
            v.request_id.expect("request").into(),
            Decision::Approve,
            "监管要求",
        )
        .await
        .expect("the executive approves");
        let v = lib::version(&db, &cast.staff, id, 1).await.expect("v1");
        assert_eq!(v.state, VersionState::Scheduled, "{name}");
        assert!(v.short_notice && v.executive_approved, "{name}: {v:?}");
        assert!(v.notice_days.is_some_and(|d| d < 30), "{name}: {v:?}");

        // With the whole notice there is no executive step and no flag.
        lib::create_version(
            &db,
            &cast.staff,
            id,
            &version(&db, "第一条 返利 2%。", 35, true),
        )
        .await
        .expect("v2");
        assert_eq!(
            publish(&db, &cast, id, 2).await,
            RequestState::Dispatched,
            "{name}"
        );
        let v2 = lib::version(&db, &cast.staff, id, 2).await.expect("v2");
        assert!(!v2.short_notice && !v2.executive_approved, "{name}: {v2:?}");

        // The notice is a setting per kind: with 7 days for sales policies, 10 days is enough.
        liaison_app::settings::update_review(
            &db,
            &cast.admin,
            &liaison_db::settings::ReviewSettingsPatch {
                policy_kind_notice_days: Some([("sales".to_string(), 7)].into()),
                ..Default::default()
            },
        )
        .await
        .expect("an admin sets it");
        lib::create_version(
            &db,
            &cast.staff,
            id,
            &version(&db, "第一条 返利 1%。", 10, true),
        )
        .await
        .expect("v3");
        assert_eq!(
            publish(&db, &cast, id, 3).await,
            RequestState::Dispatched,
            "{name}"
        );
        // Out of range: refused, naming the kind.
        let bad = liaison_app::settings::update_review(
            &db,
            &cast.admin,
            &liaison_db::settings::ReviewSettingsPatch {
                policy_kind_notice_days: Some([("market".to_string(), 0)].into()),
                ..Default::default()
            },
        )
        .await;
        assert!(
            matches!(&bad, Err(Error::Invalid(e)) if e.get("policy_kind_notice_days.market").is_some()),
            "{name}: {bad:?}"
        );
    }
}

#[tokio::test]
async fn a_new_version_asks_for_acknowledgement_again_and_the_matrix_shows_it() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let id = policy_for_p1(&db, &cast).await;
        lib::create_version(
            &db,
            &cast.staff,
            id,
            &version(&db, "第一条 返利 3%。", 40, false),
        )
        .await
        .expect("v1");
        publish(&db, &cast, id, 1).await;
        let v1 = lib::version(&db, &cast.p1, id, 1)
            .await
            .expect("p1 sees v1");
        assert_eq!(v1.acknowledgement, Some(AckCell::Pending), "{name}");
        let acks = AckWriter::spawn(db.clone());
        liaison_app::inbox::acknowledge(&db, &acks, &cast.p1, v1.message_id.expect("sent").into())
            .await
            .expect("p1 acknowledges v1");
        lib::create_version(
            &db,
            &cast.staff,
            id,
            &version(&db, "第一条 返利 2.5%。", 40, true),
        )
        .await
        .expect("v2");
        publish(&db, &cast, id, 2).await;

        let m = lib::matrix(&db, &cast.channel, id, None, 50)
            .await
            .expect("matrix");
        assert_eq!(
            m.versions.iter().map(|v| v.n).collect::<Vec<_>>(),
            vec![1, 2],
            "{name}"
        );
        assert_eq!(
            (m.versions[0].sent, m.versions[0].acknowledged),
            (Some(1), Some(1)),
            "{name}"
        );
        assert_eq!(
            (m.versions[1].sent, m.versions[1].pending),
            (Some(1), Some(1)),
            "{name}"
        );
        assert_eq!(m.rows.len(), 1, "{name}: only p1's partner was sent it");
        assert_eq!(
            m.rows[0].cells,
            vec![AckCell::Acknowledged, AckCell::Pending],
            "{name}"
        );
        let v2 = lib::version(&db, &cast.p1, id, 2)
            .await
            .expect("p1 sees v2");
        assert_eq!(v2.acknowledgement, Some(AckCell::Pending), "{name}");
        // Partners do not see the matrix.
        assert!(matches!(
            lib::matrix(&db, &cast.p1, id, None, 50).await,
            Err(Error::Forbidden | Error::NotFound)
        ));
    }
}

#[tokio::test]
async fn partners_see_only_policies_announced_to_them() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let id = policy_for_p1(&db, &cast).await;
        lib::create_version(
            &db,
            &cast.staff,
            id,
            &version(&db, "第一条 返利 3%。", 40, false),
        )
        .await
        .expect("v1");
        // Not announced yet: not even p1 sees it.
        assert!(
            matches!(lib::get(&db, &cast.p1, id).await, Err(Error::NotFound)),
            "{name}"
        );
        publish(&db, &cast, id, 1).await;
        assert!(lib::get(&db, &cast.p1, id).await.is_ok(), "{name}");
        let listed = lib::list(&db, &cast.p1, None).await.expect("p1's list");
        assert!(listed.iter().any(|p| p.policy.id == id), "{name}");
        // p2's partner is outside the audience: 404 everywhere, and not in its list.
        assert!(
            matches!(lib::get(&db, &cast.p2, id).await, Err(Error::NotFound)),
            "{name}"
        );
        assert!(
            matches!(
                lib::diff(&db, &cast.p2, id, 1, None).await,
                Err(Error::NotFound)
            ),
            "{name}"
        );
        let listed = lib::list(&db, &cast.p2, None).await.expect("p2's list");
        assert!(listed.iter().all(|p| p.policy.id != id), "{name}");
        // A partner user writes nothing in the library.
        let refused = lib::create(
            &db,
            &cast.p1,
            &PolicyInput {
                kind: Some("sales".into()),
                title: Some("伪造政策".into()),
                audience: Some(Audience {
                    all: true,
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await;
        assert!(
            matches!(refused, Err(Error::Forbidden)),
            "{name}: {refused:?}"
        );
        let refused = lib::create_version(&db, &cast.p1, id, &version(&db, "x", 40, true)).await;
        assert!(
            matches!(refused, Err(Error::Forbidden)),
            "{name}: {refused:?}"
        );
        // p1 does not see who else the request went to.
        let v = lib::version(&db, &cast.p1, id, 1).await.expect("v1");
        assert!(v.request_id.is_none(), "{name}");
    }
}

#[tokio::test]
async fn the_diff_of_two_chinese_versions_marks_the_changed_words() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let id = policy_for_p1(&db, &cast).await;
        lib::create_version(
            &db,
            &cast.staff,
            id,
            &version(
                &db,
                "第一条 适用于全部渠道伙伴。\n\n第二条 返利比例为3%，按季度结算。",
                40,
                false,
            ),
        )
        .await
        .expect("v1");
        lib::create_version(
            &db,
            &cast.staff,
            id,
            &version(
                &db,
                "第一条 适用于全部渠道伙伴。\n\n第二条 返利比例为2.5%，按月结算。\n\n第三条 新增对账要求。",
                40,
                true,
            ),
        )
        .await
        .expect("v2");
        let d = lib::diff(&db, &cast.staff, id, 2, None)
            .await
            .expect("diff");
        assert_eq!((d.from, d.to), (1, 2), "{name}");
        assert_eq!(
            (d.summary.changed, d.summary.added, d.summary.unchanged),
            (1, 1, 1),
            "{name}"
        );
        let marked: String = d.paragraphs[1]
            .spans
            .iter()
            .map(|s| match s.op {
                liaison_core::diff::Op::Insert => format!("[+{}]", s.text),
                liaison_core::diff::Op::Delete => format!("[-{}]", s.text),
                _ => s.text.clone(),
            })
            .collect();
        assert_eq!(
            marked, "第二条 返利比例为[-3%][+2.5%]，按[-季度][+月]结算。",
            "{name}"
        );
        // The draft's announcement says what changed.
        let rid = lib::version(&db, &cast.staff, id, 2)
            .await
            .expect("v2")
            .request_id
            .expect("request");
        let r = liaison_app::request::load(&db, &cast.staff, rid.into())
            .await
            .expect("request");
        assert!(
            r.form
                .body
                .as_deref()
                .is_some_and(|b| b.contains("修改 1 段，新增 1 段")),
            "{name}: {:?}",
            r.form.body
        );
    }
}
