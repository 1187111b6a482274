//! Account security in the service layer (issue 15 item 4, policy §7.2.3): the second factor's
//! enrolment and second step with replays refused, recovery codes once, the gate of remind and
//! enforce, one's sessions being one's own, and the new-device alert.

use crate::Cast;
use liaison_app::account::{self as app, SecondFactor};
use liaison_core::totp::{self, Gate, TotpMode};
use liaison_db::account::Origin;
use liaison_db::settings::SecuritySettings;
use liaison_db::user::SessionKind;
use std::sync::Arc;

fn clock() -> Arc<liaison_core::FixedClock> {
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-05T10:00:05Z")
        .expect("time")
        .with_timezone(&chrono::Utc);
    Arc::new(liaison_core::FixedClock::new(at))
}

fn code(db: &liaison_db::Db, secret: &str, back: u64) -> String {
    let step = totp::step_at(db.now().timestamp()) - back;
    totp::code(&totp::base32_decode(secret).expect("base32"), step)
}

#[tokio::test]
async fn the_second_step_accepts_a_code_once_and_a_recovery_code_once() {
    let clock = clock();
    let (dbs, _g) = liaison_db::testing::all_backends_with(clock.clone())
        .await
        .expect("databases");
    for (name, db) in &dbs {
        let cast = Cast::load(db).await;
        let exec = &cast.exec;
        let e = app::start_totp(db, exec, "exec@demo.example")
            .await
            .expect("start");
        assert_eq!(
            app::check_second_factor(db, exec.user_id, None)
                .await
                .expect("check"),
            SecondFactor::NotEnrolled,
            "[{name}] not in force before confirmation"
        );
        let wrong = app::confirm_totp(db, exec, "000000").await;
        assert!(
            matches!(wrong, Err(liaison_app::Error::Invalid(_))),
            "[{name}]"
        );
        let codes = app::confirm_totp(db, exec, &code(db, &e.secret, 0))
            .await
            .expect("confirm");
        assert_eq!(codes.len(), 10);
        let again = app::start_totp(db, exec, "exec@demo.example").await;
        assert!(
            matches!(again, Err(liaison_app::Error::Invalid(_))),
            "[{name}] already on"
        );

        let check = |given: String| {
            let db = db.clone();
            let user = exec.user_id;
            async move {
                app::check_second_factor(&db, user, Some(&given))
                    .await
                    .expect("check")
            }
        };
        assert_eq!(
            app::check_second_factor(db, exec.user_id, None)
                .await
                .expect("check"),
            SecondFactor::Missing
        );
        assert_eq!(
            check(code(db, &e.secret, 0)).await,
            SecondFactor::Refused,
            "[{name}] the confirming step is used"
        );
        clock.advance(chrono::Duration::seconds(30));
        assert_eq!(
            check(code(db, &e.secret, 0)).await,
            SecondFactor::Accepted,
            "[{name}]"
        );
        assert_eq!(
            check(code(db, &e.secret, 0)).await,
            SecondFactor::Refused,
            "[{name}] replay"
        );
        assert_eq!(
            check(codes[0].clone()).await,
            SecondFactor::Accepted,
            "[{name}] recovery"
        );
        assert_eq!(
            check(codes[0].clone()).await,
            SecondFactor::Refused,
            "[{name}] once"
        );
        assert_eq!(
            app::status(db, exec)
                .await
                .expect("status")
                .recovery_codes_left,
            9
        );

        // Another user's enrolment is theirs: the head's check knows none.
        assert_eq!(
            app::check_second_factor(db, cast.head.user_id, Some(&code(db, &e.secret, 0)))
                .await
                .expect("check"),
            SecondFactor::NotEnrolled
        );
        clock.advance(chrono::Duration::seconds(30));
    }
}

#[tokio::test]
async fn enforce_holds_only_unenrolled_admins_and_executives() {
    let clock = clock();
    let (dbs, _g) = liaison_db::testing::all_backends_with(clock.clone())
        .await
        .expect("databases");
    for (name, db) in &dbs {
        let cast = Cast::load(db).await;
        let gate = |a: &liaison_core::Actor| {
            let db = db.clone();
            let a = a.clone();
            async move { app::gate(&db, a.user_id, &a.roles).await.expect("gate") }
        };
        assert_eq!(
            gate(&cast.exec).await,
            Gate::Remind,
            "[{name}] the demo reminds"
        );
        assert_eq!(gate(&cast.admin).await, Gate::Remind);
        assert_eq!(gate(&cast.staff).await, Gate::Open);
        for who in [&cast.staff, &cast.p1] {
            let r = app::update_settings(
                db,
                who,
                &SecuritySettings {
                    totp_mode: TotpMode::Enforce,
                },
            )
            .await;
            assert!(
                matches!(r, Err(liaison_app::Error::Forbidden)),
                "[{name}] {r:?}"
            );
        }
        app::update_settings(
            db,
            &cast.admin,
            &SecuritySettings {
                totp_mode: TotpMode::Enforce,
            },
        )
        .await
        .expect("admin sets enforce");
        assert_eq!(gate(&cast.exec).await, Gate::Enforce, "[{name}]");
        assert_eq!(
            gate(&cast.channel).await,
            Gate::Open,
            "[{name}] not required of channel management"
        );
        let e = app::start_totp(db, &cast.exec, "exec@demo.example")
            .await
            .expect("start");
        app::confirm_totp(db, &cast.exec, &code(db, &e.secret, 0))
            .await
            .expect("confirm");
        assert_eq!(gate(&cast.exec).await, Gate::Open, "[{name}] enrolled");
        assert_eq!(gate(&cast.admin).await, Gate::Enforce);
    }
}

#[tokio::test]
async fn sessions_are_ones_own_and_a_new_device_is_told_once() {
    let clock = clock();
    let (dbs, _g) = liaison_db::testing::all_backends_with(clock.clone())
        .await
        .expect("databases");
    for (name, db) in &dbs {
        let cast = Cast::load(db).await;
        let p1 = liaison_db::user::find_user(db, cast.p1.user_id)
            .await
            .expect("q")
            .expect("p1");
        let from = |ua: &str| Origin {
            user_agent: Some(ua.to_string()),
            address: Some("203.0.113.7".into()),
        };
        let chrome = from("Mozilla/5.0 (Windows NT 10.0) Chrome/131.0 Safari/537.36");
        let wechat =
            from("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) MicroMessenger/8.0.50");
        let ttl = chrono::Duration::hours(1);
        liaison_db::user::create_session_from(db, &p1, SessionKind::Browser, ttl, &chrome)
            .await
            .expect("session");
        assert!(
            !app::signed_in(db, &p1, &chrome)
                .await
                .expect("first device"),
            "[{name}] the first device is not news"
        );
        assert!(!app::signed_in(db, &p1, &chrome).await.expect("again"));
        assert!(
            app::signed_in(db, &p1, &wechat).await.expect("new device"),
            "[{name}] told"
        );
        assert!(
            !app::signed_in(db, &p1, &wechat).await.expect("known now"),
            "[{name}] once"
        );
        assert!(
            !app::signed_in(db, &p1, &Origin::default())
                .await
                .expect("no agent")
        );
        let told = liaison_db::notify::list(db, p1.id, false, None, 50)
            .await
            .expect("bell");
        let alerts: Vec<_> = told
            .iter()
            .filter(|n| n.kind == liaison_core::notify::NotifyKind::LoginNewDevice)
            .collect();
        assert_eq!(alerts.len(), 1, "[{name}]");
        assert_eq!(alerts[0].args["device"], "WeChat · iOS");
        assert_eq!(alerts[0].args["address"], "203.0.113.7");

        let mine = app::sessions(db, &cast.p1, uuid::Uuid::nil())
            .await
            .expect("sessions");
        assert_eq!(mine.len(), 1, "[{name}]");
        assert_eq!(mine[0].device.as_deref(), Some("Chrome · Windows"));
        // Another partner's user and an unprivileged staff member cannot end it; p1 can.
        for who in [&cast.p2, &cast.staff, &cast.admin] {
            let r = app::revoke_session(db, who, mine[0].id).await;
            assert!(
                matches!(r, Err(liaison_app::Error::NotFound)),
                "[{name}] {r:?}"
            );
        }
        app::revoke_session(db, &cast.p1, mine[0].id)
            .await
            .expect("p1 ends it");
        assert!(
            app::sessions(db, &cast.p1, uuid::Uuid::nil())
                .await
                .expect("sessions")
                .is_empty()
        );
    }
}
