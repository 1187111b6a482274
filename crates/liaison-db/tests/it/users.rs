//! Users and sessions (§7.2.3, SPEC A3/G8): validated accounts with unique e-mails, password
//! checks, and sessions that end when revoked or expired.

use crate::{PASSWORD, backends, backends_with, insert_partner, invalid_fields, manager, user};
use chrono::{Duration, TimeZone, Utc};
use liaison_core::{FixedClock, Role};
use liaison_db::DbError;
use liaison_db::user::{self, SessionKind, UserInput};
use std::sync::Arc;

fn input(email: &str, password: &str, roles: &str) -> UserInput {
    UserInput {
        email: email.into(),
        name: "测试用户".into(),
        password: password.into(),
        roles: vec![roles.into()],
        ..Default::default()
    }
}

#[tokio::test]
async fn invalid_users_are_refused_naming_each_field() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let m = manager(&db).await;
        let p = insert_partner(&db, &m, "SH-D001", "上海恒通商贸有限公司").await;
        let users_before = crate::count(&db, "SELECT COUNT(*) FROM users").await;

        // Everything wrong at once is reported at once.
        let e = invalid_fields(
            name,
            user::insert_user(&db, None, &input("not-an-email", "short", "partner_user")).await,
        );
        for field in ["email", "password", "partner"] {
            assert!(
                e.for_field(field).is_some(),
                "{name}: {field} not named: {e}"
            );
        }

        let weak = invalid_fields(
            name,
            user::insert_user(&db, None, &input("a@example.com", "aaaaaaaaaaaa", "staff")).await,
        );
        assert!(
            weak.for_field("password").is_some(),
            "{name}: one kind of character: {weak}"
        );
        assert_eq!(weak.0.len(), 1, "{name}: only the password: {weak}");

        let mut staff = input("b@example.com", PASSWORD, "staff");
        staff.partner = Some("SH-D001".into());
        let e = invalid_fields(name, user::insert_user(&db, None, &staff).await);
        assert!(
            e.for_field("partner").is_some(),
            "{name}: staff with a partner: {e}"
        );

        let mut mixed = input("c@example.com", PASSWORD, "partner_user,staff");
        mixed.partner = Some(p.id.to_string());
        let e = invalid_fields(name, user::insert_user(&db, None, &mixed).await);
        assert!(
            e.for_field("roles").is_some(),
            "{name}: partner_user with a company role: {e}"
        );

        let mut lost = input("d@example.com", PASSWORD, "partner_user");
        lost.partner = Some("NO-SUCH".into());
        let e = invalid_fields(name, user::insert_user(&db, None, &lost).await);
        assert!(
            e.for_field("partner")
                .is_some_and(|m| m.contains("NO-SUCH")),
            "{name}: unknown partner: {e}"
        );

        let mut nodept = input("e@example.com", PASSWORD, "staff");
        nodept.department = Some("nowhere".into());
        let e = invalid_fields(name, user::insert_user(&db, None, &nodept).await);
        assert!(
            e.for_field("department").is_some(),
            "{name}: unknown department: {e}"
        );

        let e = invalid_fields(
            name,
            user::insert_user(&db, None, &input("f@example.com", PASSWORD, "boss")).await,
        );
        assert!(e.for_field("roles").is_some(), "{name}: unknown role: {e}");

        assert_eq!(
            crate::count(&db, "SELECT COUNT(*) FROM users").await,
            users_before,
            "{name}: none created"
        );

        // The valid forms of the same.
        let mut pu = input("p1@example.com", PASSWORD, "partner_user");
        pu.partner = Some("sh-d001".into());
        let pu = user::insert_user(&db, None, &pu)
            .await
            .expect("partner user by code");
        assert_eq!(
            (pu.partner_id, pu.partner_name.as_deref()),
            (Some(p.id), Some("上海恒通商贸有限公司")),
            "{name}"
        );
        assert!(pu.roles.is_partner(), "{name}");
        assert_eq!(
            pu.actor().partner_id,
            Some(p.id),
            "{name}: the actor carries the partner"
        );
        let d = user::insert_department(&db, None, "Marketing", "市场部", Some("Marketing"), None)
            .await
            .expect("department");
        assert_eq!(
            d.code, "marketing",
            "{name}: department codes are lower-cased"
        );
        let mut st = input("s@example.com", PASSWORD, "dept_head,staff");
        st.department = Some("MARKETING".into());
        let st = user::insert_user(&db, None, &st)
            .await
            .expect("staff by department code");
        assert_eq!(st.department_id, Some(d.id), "{name}");
        assert!(
            st.roles.has(Role::DeptHead) && st.roles.has(Role::Staff),
            "{name}: several roles"
        );
        let heads = user::list_users_with_role(&db, Role::DeptHead)
            .await
            .expect("list");
        assert_eq!(
            heads.iter().map(|u| u.id).collect::<Vec<_>>(),
            [st.id],
            "{name}"
        );
    }
}

#[tokio::test]
async fn e_mail_addresses_are_unique_whatever_their_case() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let u = user(&db, "Li.Wei@Example.com", "staff").await;
        assert_eq!(u.email, "li.wei@example.com", "{name}: stored lower-case");
        let r = user::insert_user(&db, None, &input("li.wei@EXAMPLE.com", PASSWORD, "staff")).await;
        assert!(
            matches!(&r, Err(DbError::Conflict(m)) if m.contains("li.wei@example.com")),
            "{name}: {r:?}"
        );
        assert_eq!(
            crate::count(&db, "SELECT COUNT(*) FROM users").await,
            1,
            "{name}"
        );
    }
}

#[tokio::test]
async fn authenticate_checks_the_password() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let u = user(&db, "staff@example.com", "staff").await;
        let ok = user::authenticate(&db, " STAFF@example.com ", PASSWORD)
            .await
            .expect("auth");
        assert_eq!(ok.map(|u| u.id), Some(u.id), "{name}: right password");
        let wrong = user::authenticate(&db, "staff@example.com", "Str0ng-enougH")
            .await
            .expect("auth");
        assert!(wrong.is_none(), "{name}: wrong password");
        let unknown = user::authenticate(&db, "ghost@example.com", PASSWORD)
            .await
            .expect("auth");
        assert!(unknown.is_none(), "{name}: unknown e-mail");
        let stored: String = db
            .fetch_one::<Hash>(
                liaison_db::q("SELECT password_hash FROM users WHERE id = $1").bind(u.id),
            )
            .await
            .map(|h| h.0)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            stored.starts_with("$argon2id$") && !stored.contains(PASSWORD),
            "{name}: hashed"
        );

        // A deactivated account cannot log in even with the right password.
        let mut tx = db.begin().await.expect("begin");
        tx.execute(
            liaison_db::q("UPDATE users SET active = $1 WHERE id = $2")
                .bind(false)
                .bind(u.id),
        )
        .await
        .expect("deactivate");
        tx.commit().await.expect("commit");
        let inactive = user::authenticate(&db, "staff@example.com", PASSWORD)
            .await
            .expect("auth");
        assert!(inactive.is_none(), "{name}: inactive user");
    }
}

struct Hash(String);
impl liaison_db::FromDbRow for Hash {
    fn from_row<R: liaison_db::RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self(r.text("password_hash")?))
    }
}

#[tokio::test]
async fn sessions_are_found_until_revoked() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let u = user(&db, "staff@example.com", "staff").await;
        let other = user(&db, "other@example.com", "staff").await;
        let token = user::create_session(&db, &u, SessionKind::Browser, Duration::hours(8))
            .await
            .expect("session");
        let token2 = user::create_session(&db, &other, SessionKind::Api, Duration::hours(8))
            .await
            .expect("session");
        assert_ne!(token, token2, "{name}: tokens are random");

        let (sid, found) = user::find_session(&db, &token)
            .await
            .expect("find")
            .expect("live session");
        assert_eq!(found.id, u.id, "{name}: the token's user");
        let raw: i64 = db
            .fetch_one(
                liaison_db::q("SELECT COUNT(*) FROM sessions WHERE token_hash = $1")
                    .bind(token.as_str()),
            )
            .await
            .expect("count");
        assert_eq!(raw, 0, "{name}: only the token's hash is stored");
        assert!(
            user::find_session(&db, "not-a-token")
                .await
                .expect("find")
                .is_none(),
            "{name}: unknown token"
        );

        user::revoke_session(&db, sid, u.id).await.expect("revoke");
        assert!(
            user::find_session(&db, &token)
                .await
                .expect("find")
                .is_none(),
            "{name}: revoked"
        );
        let (_, still) = user::find_session(&db, &token2)
            .await
            .expect("find")
            .expect("other session lives");
        assert_eq!(
            still.id, other.id,
            "{name}: revoking one session leaves the others"
        );

        let logins = crate::count(
            &db,
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('auth.login', 'auth.logout')",
        )
        .await;
        assert_eq!(logins, 3, "{name}: two logins and a logout audited");
    }
}

#[tokio::test]
async fn sessions_expire_after_their_ttl() {
    let start = Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .expect("a time");
    let clock = Arc::new(FixedClock::new(start));
    let (dbs, _guard) = backends_with(clock.clone()).await;
    for (name, db) in dbs {
        let u = user(&db, "staff@example.com", "staff").await;
        let token = user::create_session(&db, &u, SessionKind::Browser, Duration::hours(1))
            .await
            .expect("session");
        clock.advance(Duration::minutes(59));
        assert!(
            user::find_session(&db, &token)
                .await
                .expect("find")
                .is_some(),
            "{name}: live at 59 min"
        );
        clock.advance(Duration::minutes(1));
        assert!(
            user::find_session(&db, &token)
                .await
                .expect("find")
                .is_none(),
            "{name}: expired at the TTL"
        );
        clock.advance(Duration::days(1));
        assert!(
            user::find_session(&db, &token)
                .await
                .expect("find")
                .is_none(),
            "{name}: expired a day later"
        );
        // A new session made now lives.
        let fresh = user::create_session(&db, &u, SessionKind::Api, Duration::hours(1))
            .await
            .expect("session");
        assert!(
            user::find_session(&db, &fresh)
                .await
                .expect("find")
                .is_some(),
            "{name}: new session"
        );
    }
}
