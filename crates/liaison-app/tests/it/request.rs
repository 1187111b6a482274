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

/// Issue 10: a request for the portal and four robot platforms to a partner with all four
/// robots, whose one contact prefers the portal and e-mail, reaches that person on the portal
/// only; the submission's findings and the coverage say so for each platform, with the reason.
/// A channel the contact prefers but has no robot for is named too.
#[tokio::test]
async fn every_requested_channel_a_recipient_will_not_get_is_a_finding_with_its_reason() {
    use liaison_core::partner::{ContactInput, PartnerInput};
    use liaison_core::precheck::code;
    use liaison_core::request::Audience;
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let partner = liaison_app::partner::create(
            &db,
            &cast.channel,
            PartnerInput {
                code: Some("ROBO-01".into()),
                name: Some("四机器人伙伴".into()),
                kind: Some("distributor".into()),
                region: Some("华东".into()),
                tier: Some("A".into()),
                ..Default::default()
            },
        )
        .await
        .expect("partner");
        for (kind, url) in [
            (
                "wecom",
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1",
            ),
            (
                "dingtalk",
                "https://oapi.dingtalk.com/robot/send?access_token=t1",
            ),
            ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/h1"),
            ("slack", "https://hooks.slack.com/services/T0/B0/x1"),
        ] {
            let robot = liaison_app::robot::parse_robot(&liaison_app::robot::RobotBody {
                kind: Some(kind.into()),
                url: Some(url.into()),
                ..Default::default()
            })
            .unwrap_or_else(|e| panic!("{kind}: {e:?}"));
            liaison_db::robot::insert_robot(&db, cast.channel.user_id, partner.id, &robot)
                .await
                .expect("robot");
        }
        for (who, email, channels) in [
            ("赵一", Some("zhao@robo.example"), "portal,email"),
            ("钱二", Some("qian@robo.example"), "email,wecom,webhook"),
        ] {
            liaison_app::partner::add_contact(
                &db,
                &cast.channel,
                partner.id.into(),
                ContactInput {
                    name: Some(who.into()),
                    email: email.map(Into::into),
                    preferred_channels: Some(vec![channels.into()]),
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{name}: contact {who}: {e:?}"));
        }
        let r = app::create(
            &db,
            &cast.staff,
            &RequestInput {
                title: Some("渠道全覆盖测试".into()),
                purpose: Some("告知渠道伙伴".into()),
                body: Some("请各位伙伴知悉。".into()),
                channels: Some(
                    [
                        "portal", "wecom", "dingtalk", "feishu", "slack", "webhook", "email",
                    ]
                    .map(String::from)
                    .to_vec(),
                ),
                audience: Some(Audience {
                    partners: vec![partner.id],
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .expect("draft");
        let submitted = app::submit(&db, &cast.staff, r.id.into())
            .await
            .expect("submit");
        let mut skipped: Vec<(String, String, String)> = submitted
            .findings
            .iter()
            .filter(|f| f.code == code::CHANNEL_SKIPPED)
            .map(|f| {
                let arg = |n: &str| f.args.get(n).map(|v| v.to_string()).unwrap_or_default();
                (arg("channel"), arg("reason"), arg("count"))
            })
            .collect();
        skipped.sort();
        let want =
            |c: &str, r: &str, n: i64| (format!("\"{c}\""), format!("\"{r}\""), n.to_string());
        // 赵一 prefers the portal and e-mail; 钱二 e-mail, WeCom and a webhook the partner has
        // not set up.
        assert_eq!(
            skipped,
            [
                want("dingtalk", "not_preferred", 2),
                want("feishu", "not_preferred", 2),
                want("slack", "not_preferred", 2),
                want("webhook", "no_robot", 1),
                want("webhook", "not_preferred", 1),
                want("wecom", "not_preferred", 1),
            ],
            "{name}"
        );
        // The reader sees a sentence in their language, not the codes.
        let zh = submitted
            .findings
            .iter()
            .find(|f| {
                f.code == code::CHANNEL_SKIPPED
                    && f.args.get("channel").is_some_and(|c| c == "wecom")
            })
            .expect("wecom finding")
            .msg()
            .render(liaison_core::partner::Lang::ZhCn);
        assert_eq!(
            zh, "1 位接收人收不到企业微信：联系人的首选渠道中没有该渠道",
            "{name}"
        );
        let coverage = app::coverage(&db, &cast.staff, r.id.into())
            .await
            .expect("coverage")
            .expect("a parsed form");
        assert_eq!(coverage.people, 2, "{name}");
        assert_eq!(
            coverage.skipped.iter().map(|s| s.people).sum::<i64>(),
            9,
            "{name}: {:?}",
            coverage.skipped
        );
    }
}
