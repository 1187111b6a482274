//! The request operations decide who may act (§4.1.1, §4.2.1) now that storage does not: only
//! the requester changes, submits and withdraws; others learn nothing of a request they may
//! not read; partner users never see requests; reviewers decide only their step.

use crate::{Cast, backends};
use liaison_app::Error;
use liaison_app::request as app;
use liaison_core::request::RequestInput;
use liaison_core::review::{Decision, RequestState};
use liaison_db::request::RequestView;

#[tokio::test]
async fn only_the_requester_changes_submits_and_withdraws_a_request() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let r = cast.draft_to_p1(&db, "返利政策调整通知").await;
        let patch = RequestInput {
            title: Some("改过的标题".into()),
            ..Default::default()
        };
        // Channel management may read it, but not change it: 403.
        let e = app::update(&db, &cast.channel, r.id.into(), patch.clone(), None)
            .await
            .expect_err("not the requester");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        let e = app::submit(&db, &cast.channel, r.id.into())
            .await
            .expect_err("submit");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        // Another department's staff may not even know it: 404, like a partner user.
        for outsider in [&cast.p1, &cast.p2] {
            let e = app::load(&db, outsider, r.id.into())
                .await
                .expect_err("hidden");
            assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
            let e = app::withdraw(&db, outsider, r.id.into())
                .await
                .expect_err("hidden");
            assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
        }
        let changed = app::update(&db, &cast.staff, r.id.into(), patch, None)
            .await
            .expect("the requester changes the draft");
        assert_eq!(changed.title, "改过的标题", "{name}");
        let w = app::withdraw(&db, &cast.staff, r.id.into())
            .await
            .expect("the requester withdraws");
        assert_eq!(w.state, RequestState::Withdrawn, "{name}");
    }
}

#[tokio::test]
async fn a_reviewer_decides_only_their_own_step_and_final_approval_dispatches() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let r = cast.draft_to_p1(&db, "新品上市通知").await;
        app::submit(&db, &cast.staff, r.id.into())
            .await
            .expect("submit");
        // Channel management's step comes after the department head's (§4.2.1).
        let e = app::decide(&db, &cast.channel, r.id.into(), Decision::Approve, "")
            .await
            .expect_err("not their step yet");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        // The requester never decides their own request.
        let e = app::decide(&db, &cast.staff, r.id.into(), Decision::Approve, "")
            .await
            .expect_err("own request");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        let e = app::decide(&db, &cast.p1, r.id.into(), Decision::Approve, "")
            .await
            .expect_err("a partner");
        assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
        let done = cast.dispatched_to_p1(&db, "第二份通知").await;
        assert_eq!(done.state, RequestState::Dispatched, "{name}");
        let message = done.message_id.expect("a message");
        let partner = cast.p1.partner_id.expect("p1's partner");
        let item = liaison_db::inbox::find_item(&db, partner, message)
            .await
            .expect("the message is in p1's inbox");
        assert!(item.ack_required, "{name}");
    }
}

#[tokio::test]
async fn the_all_view_is_for_management_and_partners_see_no_requests() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        cast.draft_to_p1(&db, "季度数据报送要求").await;
        let all = app::list(&db, &cast.channel, RequestView::All, None, 50)
            .await
            .expect("channel management lists all");
        assert_eq!(all.len(), 1, "{name}");
        let e = app::list(&db, &cast.staff, RequestView::All, None, 50)
            .await
            .expect_err("staff may not list all");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        let e = app::list(&db, &cast.p1, RequestView::Mine, None, 50)
            .await
            .expect_err("partners see no requests");
        assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
        let e = app::create(&db, &cast.p1, &RequestInput::default())
            .await
            .expect_err("partners file no requests");
        assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
    }
}
