//! Segments describe other partners (SPEC A4): partner users learn nothing of them, company
//! users read them, only admins and channel management change them (§4.2.1).

use crate::{Cast, backends};
use liaison_app::Error;
use liaison_app::segment as app;
use liaison_core::partner::{PartnerFilter, PartnerStatus};
use liaison_db::segment::SegmentInput;

fn active(name: &str) -> SegmentInput {
    SegmentInput {
        name: Some(name.into()),
        description: None,
        filter: Some(PartnerFilter {
            statuses: vec![PartnerStatus::Active],
            ..Default::default()
        }),
    }
}

#[tokio::test]
async fn partners_never_see_segments_and_only_channel_management_changes_them() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let e = app::create(&db, &cast.staff, &active("华东活跃伙伴"))
            .await
            .expect_err("staff may not");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        let s = app::create(&db, &cast.channel, &active("华东活跃伙伴"))
            .await
            .expect("channel management saves a segment");
        let (_, members) = app::show(&db, &cast.staff, s.id)
            .await
            .expect("staff reads");
        assert!(members > 0, "{name}: the demo has active partners");
        for partner_user in [&cast.p1, &cast.p2] {
            let e = app::show(&db, partner_user, s.id)
                .await
                .expect_err("hidden");
            assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
            let e = app::list(&db, partner_user).await.expect_err("hidden");
            assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
        }
        let e = app::delete(&db, &cast.head, s.id)
            .await
            .expect_err("a head may not");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        app::delete(&db, &cast.admin, s.id)
            .await
            .expect("an admin may");
    }
}
