//! Demo data: the demo company with its logins, partners of all five kinds (§1.2) and a load
//! generator; loading twice duplicates nothing and leaves the audit chain intact (§7.2.1).

use crate::{backends, count};
use liaison_core::partner::{PartnerFilter, PartnerKind};
use liaison_core::{Role, Scope};
use liaison_db::audit::{self, Verdict};
use liaison_db::partner;
use liaison_db::user;
use liaison_demo::{self as demo, DEMO_PASSWORD};

#[tokio::test]
async fn demo_load_creates_the_company_and_a_second_load_duplicates_nothing() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let report = demo::load(&db, 250, &|_| {}).await.expect("demo load");
        assert!(report.base_loaded, "{name}: {report:?}");
        assert_eq!(
            (report.partners_generated, report.contacts_generated),
            (250, 500),
            "{name}"
        );

        for email in [
            "admin@demo.example",
            "channel@demo.example",
            "staff@demo.example",
            "exec@demo.example",
        ] {
            let u = user::authenticate(&db, email, DEMO_PASSWORD)
                .await
                .expect("auth");
            assert!(
                u.is_some(),
                "{name}: {email} logs in with the demo password"
            );
        }
        let admin = user::authenticate(&db, "admin@demo.example", DEMO_PASSWORD)
            .await
            .expect("auth")
            .expect("admin");
        assert!(admin.roles.has(Role::Admin), "{name}");
        let p1 = user::authenticate(&db, "p1@demo.example", DEMO_PASSWORD)
            .await
            .expect("auth")
            .expect("p1");
        let p2 = user::authenticate(&db, "p2@demo.example", DEMO_PASSWORD)
            .await
            .expect("auth")
            .expect("p2");
        assert!(
            p1.roles.is_partner() && p2.roles.is_partner(),
            "{name}: partner users"
        );
        let (Some(a), Some(b)) = (p1.partner_id, p2.partner_id) else {
            panic!("{name}: partner users without a partner: {p1:?} {p2:?}");
        };
        assert_ne!(a, b, "{name}: p1 and p2 belong to different partners");
        // p1 sees its own partner and not p2's.
        assert!(
            partner::find_partner(&db, Scope::Partner(a), b)
                .await
                .is_err(),
            "{name}: p1 sees p2's partner"
        );
        assert!(
            partner::find_partner(&db, Scope::Partner(a), a)
                .await
                .is_ok(),
            "{name}"
        );

        let base = PartnerFilter::default();
        let all = partner::list_all_partners(&db, Scope::All, &base)
            .await
            .expect("partners");
        let named: Vec<_> = all.iter().filter(|p| !p.code.starts_with("GEN-")).collect();
        assert!(named.len() >= 40, "{name}: {} demo partners", named.len());
        for kind in PartnerKind::ALL {
            assert!(
                named.iter().any(|p| p.kind == kind.as_str()),
                "{name}: no demo partner of kind {kind}"
            );
        }
        assert!(
            named.iter().all(|p| p.owner_id.is_some()),
            "{name}: every demo partner has an owner"
        );
        assert!(
            named.iter().any(|p| !p.name.is_ascii()),
            "{name}: Chinese names"
        );
        let generated: Vec<_> = all.iter().filter(|p| p.code.starts_with("GEN-")).collect();
        assert_eq!(generated.len(), 250, "{name}: generated partners");
        assert!(
            generated.iter().all(|p| p.contact_count == 2),
            "{name}: two contacts each"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM contacts c JOIN partners p ON p.id = c.partner_id WHERE p.code LIKE 'GEN-%'").await,
            500,
            "{name}"
        );

        let users = count(&db, "SELECT COUNT(*) FROM users").await;
        let departments = count(&db, "SELECT COUNT(*) FROM departments").await;
        let segments = count(&db, "SELECT COUNT(*) FROM segments").await;
        let partners = all.len() as i64;
        assert!(
            segments > 0 && departments > 0,
            "{name}: segments and departments"
        );

        let again = demo::load(&db, 10, &|_| {})
            .await
            .expect("second demo load");
        assert!(!again.base_loaded, "{name}: the base is not loaded twice");
        assert_eq!(again.partners_generated, 10, "{name}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM users").await,
            users,
            "{name}: no duplicate users"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM departments").await,
            departments,
            "{name}"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM segments").await,
            segments,
            "{name}"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM partners").await,
            partners + 10,
            "{name}: only the ten new generated partners"
        );
        assert!(
            partner::resolve_partner_ref(&db, "GEN-0000260")
                .await
                .expect("resolve")
                .is_some(),
            "{name}: generated codes continue after the first load's"
        );

        let rows = count(&db, "SELECT COUNT(*) FROM audit_log").await;
        match audit::verify(&db).await.expect("verify") {
            Verdict::Intact { rows: n, .. } => assert_eq!(n, rows, "{name}: every row verified"),
            broken => panic!("{name}: demo data breaks the chain: {broken:?}"),
        }
    }
}
