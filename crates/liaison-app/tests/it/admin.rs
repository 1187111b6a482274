//! Users, departments and review settings as admins change them (SPEC A3, G8; §4.2.1): only
//! admins; deactivating ends a user's sessions and login; nobody takes away their own admin
//! access; every invalid field at once; the next submission's pre-check reads the new terms.

use crate::{Cast, backends};
use liaison_app::Error;
use liaison_app::settings;
use liaison_app::user::{self as app, DepartmentPatch, UserPatch};
use liaison_core::Actor;
use liaison_db::settings::ReviewSettingsPatch;
use liaison_db::user::{SessionKind, find_session};

fn invalid_fields(e: Error) -> Vec<String> {
    match e {
        Error::Invalid(f) => {
            let mut v: Vec<String> = f.0.iter().map(|e| e.field.clone()).collect();
            v.sort();
            v.dedup();
            v
        }
        other => panic!("expected invalid fields, got {other:?}"),
    }
}

#[tokio::test]
async fn deactivating_a_user_ends_their_sessions_and_refuses_their_login() {
    let (dbs, _g) = backends().await;
    for (name, db) in &dbs {
        let cast = Cast::load(db).await;
        let staff = app::show(db, &cast.admin, cast.staff.user_id)
            .await
            .expect("show");
        let token = liaison_db::user::create_session(
            db,
            &staff,
            SessionKind::Api,
            chrono::Duration::hours(1),
        )
        .await
        .expect("session");
        let u = app::update(
            db,
            &cast.admin,
            staff.id,
            &UserPatch {
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .expect("deactivate");
        assert!(!u.active, "[{name}]");
        assert_eq!(u.name, staff.name, "[{name}] the other fields stay");
        assert!(
            find_session(db, &token).await.expect("query").is_none(),
            "[{name}]"
        );
        assert!(
            liaison_db::user::authenticate(db, "staff@demo.example", "liaison-demo")
                .await
                .expect("query")
                .is_none(),
            "[{name}]"
        );
    }
}

#[tokio::test]
async fn only_admins_change_users_departments_and_review_settings() {
    let (dbs, _g) = backends().await;
    for (name, db) in &dbs {
        let cast = Cast::load(db).await;
        let dept = cast.staff.department_id.expect("staff's department");
        let others: [(&str, &Actor); 5] = [
            ("staff", &cast.staff),
            ("head", &cast.head),
            ("channel", &cast.channel),
            ("p1", &cast.p1),
            ("p2", &cast.p2),
        ];
        for (who, actor) in others {
            let patch = UserPatch {
                roles: Some(vec!["admin".into()]),
                ..Default::default()
            };
            assert!(
                matches!(
                    app::update(db, actor, actor.user_id, &patch).await,
                    Err(Error::Forbidden)
                ),
                "[{name}] {who} makes themselves admin"
            );
            let patch = DepartmentPatch {
                name: Some("篡改".into()),
                ..Default::default()
            };
            assert!(
                matches!(
                    app::update_department(db, actor, dept, &patch).await,
                    Err(Error::Forbidden)
                ),
                "[{name}] {who}"
            );
            let patch = ReviewSettingsPatch {
                sensitive_terms: Some(vec![]),
                ..Default::default()
            };
            assert!(
                matches!(
                    settings::update_review(db, actor, &patch).await,
                    Err(Error::Forbidden)
                ),
                "[{name}] {who}"
            );
        }
        assert!(
            matches!(settings::review(db, &cast.p1).await, Err(Error::Forbidden)),
            "[{name}] the terms are the company's"
        );
        assert!(
            settings::review(db, &cast.staff).await.is_ok(),
            "[{name}] company users read them"
        );
    }
}

#[tokio::test]
async fn an_admin_keeps_their_own_admin_access_and_hears_every_invalid_field() {
    let (dbs, _g) = backends().await;
    for (name, db) in &dbs {
        let cast = Cast::load(db).await;
        let e = app::update(
            db,
            &cast.admin,
            cast.admin.user_id,
            &UserPatch {
                active: Some(false),
                roles: Some(vec!["staff".into()]),
                email: Some("not-an-email".into()),
                ..Default::default()
            },
        )
        .await
        .expect_err("refused");
        assert_eq!(
            invalid_fields(e),
            ["active", "email", "roles"],
            "[{name}] the refusals and storage's own checks in one answer"
        );
        let me = app::show(db, &cast.admin, cast.admin.user_id)
            .await
            .expect("show");
        assert!(
            me.active && me.roles.has(liaison_core::Role::Admin),
            "[{name}]"
        );

        let e = app::update_department(
            db,
            &cast.admin,
            cast.staff.department_id.expect("dept"),
            &DepartmentPatch {
                name: Some(String::new()),
                head: Some("p1@demo.example".into()),
                ..Default::default()
            },
        )
        .await
        .expect_err("refused");
        assert_eq!(invalid_fields(e), ["head", "name"], "[{name}]");
    }
}

#[tokio::test]
async fn a_department_gets_a_new_name_and_head() {
    let (dbs, _g) = backends().await;
    for (name, db) in &dbs {
        let cast = Cast::load(db).await;
        let dept = cast.staff.department_id.expect("dept");
        let d = app::update_department(
            db,
            &cast.admin,
            dept,
            &DepartmentPatch {
                name: Some("品牌市场部".into()),
                head: Some("exec@demo.example".into()),
                ..Default::default()
            },
        )
        .await
        .expect("update");
        assert_eq!(d.name, "品牌市场部", "[{name}]");
        assert_eq!(d.head_user_id, Some(cast.exec.user_id), "[{name}]");
        assert_eq!(d.name_en.as_deref(), Some("Marketing"), "[{name}] kept");
    }
}

#[tokio::test]
async fn the_next_submission_is_checked_against_the_saved_terms() {
    let (dbs, _g) = backends().await;
    for (name, db) in &dbs {
        let cast = Cast::load(db).await;
        settings::update_review(
            db,
            &cast.admin,
            &ReviewSettingsPatch {
                sensitive_terms: Some(vec!["秋季返点".into()]),
                ..Default::default()
            },
        )
        .await
        .expect("saved");
        let r = cast.draft_to_p1(db, "秋季返点政策说明").await;
        let r = liaison_app::request::submit(db, &cast.staff, r.id.into())
            .await
            .expect("submit");
        let findings = serde_json::to_string(&r.findings).expect("json");
        assert!(
            findings.contains("sensitive_term") && findings.contains("秋季返点"),
            "[{name}] {findings}"
        );
    }
}
