//! API tokens in the service layer (SPEC H2, policy §7.2.1): who may make, list and revoke a
//! partner's tokens, what is kept of a token, and when it stops working. On every backend.

use crate::{Cast, backends};
use liaison_app::Error;
use liaison_app::api_token::{self as app, TokenInput};
use liaison_core::api_token::TokenState;
use liaison_core::{Actor, Role, Roles};

fn token_input(name: &str, scopes: &[&str]) -> TokenInput {
    TokenInput {
        name: Some(name.into()),
        scopes: Some(scopes.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    }
}

/// p2 as its own partner's admin (the role is a partner's, held beside partner_user).
fn admin_of_p2(cast: &Cast) -> Actor {
    Actor {
        roles: Roles::new(vec![Role::PartnerUser, Role::PartnerAdmin]).expect("roles"),
        ..cast.p2.clone()
    }
}

#[tokio::test]
async fn a_partner_admin_manages_its_own_partners_tokens_only() {
    let (dbs, _g) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        assert!(
            cast.p1.roles.has(Role::PartnerAdmin),
            "[{name}] p1 is its partner's admin"
        );
        let made = app::create(
            &db,
            &cast.p1,
            &token_input("ERP", &["inbox:read", "tickets"]),
        )
        .await
        .expect("p1 makes a token for its partner");
        assert_eq!(Some(made.view.token.partner_id), cast.p1.partner_id);
        assert!(made.token.starts_with("lpt_"));
        let id = made.view.token.id;

        // p2 without the role, staff, the department head: refused.
        for who in [&cast.p2, &cast.staff, &cast.head, &cast.exec] {
            assert!(
                matches!(
                    app::list(&db, who, None, None, 50).await,
                    Err(Error::Forbidden)
                ),
                "[{name}] {:?} listed tokens",
                who.roles
            );
            assert!(matches!(
                app::show(&db, who, id).await,
                Err(Error::Forbidden)
            ));
            assert!(matches!(
                app::revoke(&db, who, id).await,
                Err(Error::Forbidden)
            ));
        }
        // p2 as its partner's admin: p1's token does not exist for it.
        let p2 = admin_of_p2(&cast);
        assert!(matches!(
            app::show(&db, &p2, id).await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            app::revoke(&db, &p2, id).await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            app::list(&db, &p2, cast.p1.partner_id, None, 50).await,
            Err(Error::NotFound)
        ));
        let for_p1 = TokenInput {
            partner_id: cast.p1.partner_id,
            ..token_input("冒名", &["inbox:read"])
        };
        assert!(matches!(
            app::create(&db, &p2, &for_p1).await,
            Err(Error::NotFound)
        ));
        assert!(
            app::list(&db, &p2, None, None, 50)
                .await
                .expect("own")
                .is_empty()
        );

        // Channel management and admins: any partner's.
        let for_p2 = TokenInput {
            partner_id: cast.p2.partner_id,
            ..token_input("京联 ERP", &["data:submit"])
        };
        app::create(&db, &cast.channel, &for_p2)
            .await
            .expect("channel makes one");
        assert_eq!(
            app::list(&db, &cast.admin, None, None, 50)
                .await
                .expect("all")
                .len(),
            2
        );
        assert_eq!(
            app::list(&db, &p2, None, None, 50)
                .await
                .expect("own")
                .len(),
            1
        );

        let revoked = app::revoke(&db, &cast.channel, id).await.expect("revoke");
        assert_eq!(revoked.state, TokenState::Revoked);
        assert!(
            app::authenticate(&db, &made.token)
                .await
                .expect("lookup")
                .is_none(),
            "[{name}] a revoked token still works"
        );
    }
}

#[tokio::test]
async fn a_token_is_kept_only_as_its_hash_and_works_until_revoked() {
    let (dbs, _g) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let made = app::create(&db, &cast.p1, &token_input("ERP", &["inbox:read"]))
            .await
            .expect("token");
        let caller = app::authenticate(&db, &made.token)
            .await
            .expect("lookup")
            .expect("a live token");
        assert_eq!(caller.token.id, made.view.token.id);
        assert_eq!(caller.user.partner_id, cast.p1.partner_id, "[{name}]");
        assert!(caller.user.roles.is_partner() && !caller.user.roles.has(Role::PartnerAdmin));
        assert!(
            app::authenticate(&db, "lpt_not-a-token")
                .await
                .expect("lookup")
                .is_none()
        );
        assert!(
            app::authenticate(&db, &made.token[4..])
                .await
                .expect("lookup")
                .is_none(),
            "[{name}] without its prefix it is no API token"
        );
        let raw_anywhere: i64 = db
            .fetch_one(
                liaison_db::q("SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1 OR hint = $1")
                    .bind(made.token.as_str()),
            )
            .await
            .expect("count");
        assert_eq!(raw_anywhere, 0, "[{name}]");
        // The service user cannot log in and is no one's portal login.
        let email: String = db
            .fetch_one(liaison_db::q("SELECT email FROM users WHERE id = $1").bind(caller.user.id))
            .await
            .expect("email");
        assert!(
            liaison_db::user::authenticate(&db, &email, "")
                .await
                .expect("login")
                .is_none()
        );
        let logins = liaison_db::user::portal_logins(&db, cast.p1.partner_id.expect("partner"))
            .await
            .expect("logins");
        assert!(logins.iter().all(|u| u.id != caller.user.id), "[{name}]");
        // Input is checked field by field.
        let bad = app::create(
            &db,
            &cast.p1,
            &TokenInput {
                expires_at: Some("明年".into()),
                ..token_input("", &[])
            },
        )
        .await;
        let Err(Error::Invalid(e)) = bad else {
            panic!("[{name}] bad input accepted: {bad:?}")
        };
        let mut fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["expires_at", "name", "scopes"], "[{name}]");
    }
}
