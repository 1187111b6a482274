//! Sends through the real channels (policy §2.1.1 e-mail, §2.1.2 IM robots, §4.3.2 the
//! one-click link), retries with backoff and the dead state (SPEC B5).

use crate::servers::{self, Smtp};
use crate::{backends_at, dispatch, rows, shanghai, worker, world};
use axum::http::StatusCode;
use chrono::Duration;
use liaison_core::FixedClock;
use liaison_db::robot::NewRobot;
use liaison_worker::Transport;
use mailparse::MailHeaderMap;
use std::sync::Arc;

fn robot(kind: &str, url: &str, secret: Option<&str>) -> NewRobot {
    NewRobot {
        kind: kind.into(),
        label: format!("{kind} 群"),
        url: url.into(),
        url_hint: liaison_channels::robot::redact_url(url),
        secret: secret.map(String::from),
        contact_id: None,
    }
}

/// §2.1.1, §4.3.2: a formal notice goes by e-mail through a real SMTP server, with the
/// importance in the subject and headers, and a signed link that confirms this delivery.
#[tokio::test]
async fn an_email_goes_through_smtp_with_a_link_that_confirms_its_delivery() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let smtp = Smtp::start();
        let w = world(&db, 2, "email").await;
        let message = dispatch(&db, &w, &["email"], false, Some(shanghai(3, 18, 0))).await;
        let mailer =
            liaison_channels::email::Mailer::new(&smtp.url(), "Liaison <noreply@liaison.test>")
                .expect("mailer");
        let wk = worker(&db, Transport::live(Some(mailer)), "w1");
        let pass = wk.drain().await.expect("drain");
        assert_eq!(pass.deliveries.sent, 2, "{name}: {pass:?}");
        let mails = smtp.wait_for(2);
        assert_eq!(mails.len(), 2, "{name}: two mails arrive");
        let rs = rows(&db, message).await;
        assert!(
            rs.iter().all(|r| r.state == "sent" && r.next_at.is_none()),
            "{name}: {rs:?}"
        );
        for raw in &mails {
            let m = mailparse::parse_mail(raw).expect("mail");
            let subject = m.headers.get_first_value("Subject").unwrap_or_default();
            assert!(subject.starts_with("【重要】"), "{name}: {subject}");
            assert!(subject.contains("2027 年度返利政策"), "{name}: {subject}");
            let mid = m.headers.get_first_value("Message-ID").unwrap_or_default();
            let row = rs
                .iter()
                .find(|r| mid.contains(&r.id.to_string()))
                .unwrap_or_else(|| panic!("{name}: Message-ID {mid} names a delivery"));
            assert_eq!(
                m.headers.get_first_value("Importance").as_deref(),
                Some("high")
            );
            // The confirm link in the mail is bound to exactly this delivery.
            let text = crate::servers::text_of(&m);
            let start = text
                .find("http://liaison.test/ack/")
                .expect("a confirm link");
            let token: String = text[start + "http://liaison.test/ack/".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            let cipher = db.cipher().expect("key");
            assert_eq!(
                liaison_db::link::verify(cipher, &token, shanghai(1, 10, 5)),
                Ok(row.id),
                "{name}: the link confirms its own delivery"
            );
        }
        // A second pass finds nothing to do: nothing is sent twice.
        assert_eq!(wk.drain().await.expect("drain").claimed, 0, "{name}");
        assert_eq!(smtp.wait_for(3).len(), 2, "{name}: no second mail");
    }
}

/// §2.1.2: the DingTalk and Feishu robots get a card with the confirm button, signed as the
/// platforms require (the servers recompute the signatures and refuse a wrong one). A partner's
/// group robot gets a message once even when several of its contacts are addressed.
#[tokio::test]
async fn dingtalk_and_feishu_robots_get_signed_cards_once_per_group() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let w = world(&db, 1, "dingtalk,feishu").await;
        // A second contact of the same partner on the same channels.
        let c2 = liaison_core::partner::ContactInput {
            name: Some("第二联系人".into()),
            email: Some("second@partner0.example".into()),
            preferred_channels: Some(vec!["dingtalk,feishu".into()]),
            ..Default::default()
        }
        .parse()
        .expect("contact");
        liaison_db::partner::insert_contact(&db, w.manager.id, w.partners[0], &c2)
            .await
            .expect("contact");
        let (ding_url, ding) = servers::dingtalk("SECdingtalk").await;
        let (fei_url, fei) = servers::feishu("feishu-secret").await;
        for r in [
            robot("dingtalk", &ding_url, Some("SECdingtalk")),
            robot("feishu", &fei_url, Some("feishu-secret")),
        ] {
            liaison_db::robot::insert_robot(&db, w.manager.id, w.partners[0], &r)
                .await
                .expect("robot");
        }
        let message = dispatch(
            &db,
            &w,
            &["dingtalk", "feishu"],
            false,
            Some(shanghai(3, 18, 0)),
        )
        .await;
        let wk = worker(&db, Transport::live(None), "w1");
        let pass = wk.drain().await.expect("drain");
        assert_eq!(pass.deliveries.sent, 4, "{name}: {pass:?}");
        let rs = rows(&db, message).await;
        assert!(rs.iter().all(|r| r.state == "sent"), "{name}: {rs:?}");
        // Once per group robot, not once per contact.
        assert_eq!(ding.bodies().len(), 1, "{name}: DingTalk posts");
        assert_eq!(fei.bodies().len(), 1, "{name}: Feishu posts");
        let card = &ding.bodies()[0];
        assert_eq!(card["msgtype"], "actionCard", "{name}: {card}");
        let url = card["actionCard"]["singleURL"].as_str().unwrap_or("");
        assert!(
            url.starts_with("http://liaison.test/ack/"),
            "{name}: {card}"
        );
        let fcard = fei.bodies()[0].to_string();
        assert!(
            fcard.contains("http://liaison.test/ack/"),
            "{name}: {fcard}"
        );
        assert!(
            rs.iter()
                .all(|r| r.target.as_deref().is_some_and(|t| t.starts_with("robot:"))),
            "{name}"
        );
    }
}

/// SPEC B5: a failing endpoint is retried with growing waits and ends dead with its error on
/// the receipts board; a wrong robot secret is refused by the platform and counts as a failure
/// although the reply is a 200.
#[tokio::test]
async fn a_failing_endpoint_is_retried_with_backoff_then_dead_with_its_error() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let t0 = liaison_core::Clock::now(&*clock);
        let w = world(&db, 2, "webhook,dingtalk").await;
        liaison_db::delivery::update_settings(
            &db,
            w.manager.id,
            &liaison_db::delivery::DeliverySettingsPatch {
                max_attempts: Some(3),
                ..Default::default()
            },
        )
        .await
        .expect("settings");
        let (hook_url, hook) =
            servers::webhook("hook-secret-0001", StatusCode::INTERNAL_SERVER_ERROR).await;
        let (ding_url, _ding) = servers::dingtalk("the-real-secret").await;
        for p in &w.partners {
            liaison_db::robot::insert_robot(
                &db,
                w.manager.id,
                *p,
                &robot("webhook", &hook_url, Some("hook-secret-0001")),
            )
            .await
            .expect("robot");
            liaison_db::robot::insert_robot(
                &db,
                w.manager.id,
                *p,
                &robot("dingtalk", &ding_url, Some("a-wrong-secret")),
            )
            .await
            .expect("robot");
        }
        let message = dispatch(&db, &w, &["webhook", "dingtalk"], false, None).await;
        let wk = worker(&db, Transport::live(None), "w1");
        let first = wk.drain().await.expect("drain");
        assert_eq!(
            first.deliveries.retrying, 2,
            "{name}: the 500s will be retried: {first:?}"
        );
        assert_eq!(
            first.deliveries.dead, 2,
            "{name}: a refused signature is not retried: {first:?}"
        );
        let rs = rows(&db, message).await;
        let webhooks: Vec<_> = rs.iter().filter(|r| r.channel == "webhook").collect();
        for r in &webhooks {
            assert_eq!(r.state, "failed", "{name}: {r:?}");
            assert_eq!(r.attempts, 1, "{name}");
            assert_eq!(
                r.next_at,
                Some(t0 + Duration::seconds(30)),
                "{name}: first wait 30 s"
            );
            assert!(
                r.last_error.as_deref().is_some_and(|e| e.contains("500")),
                "{name}: {r:?}"
            );
        }
        for r in rs.iter().filter(|r| r.channel == "dingtalk") {
            assert_eq!(r.state, "dead", "{name}: {r:?}");
            assert!(
                r.last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("310000")),
                "{name}: {r:?}"
            );
            assert!(
                !r.last_error
                    .as_deref()
                    .unwrap_or("")
                    .contains("a-wrong-secret"),
                "{name}: no secret in errors"
            );
        }
        // Not before its time.
        assert_eq!(wk.drain().await.expect("drain").claimed, 0, "{name}");
        clock.advance(Duration::seconds(30));
        wk.drain().await.expect("drain");
        let r2 = rows(&db, message).await;
        let again: Vec<_> = r2.iter().filter(|r| r.channel == "webhook").collect();
        assert!(
            again.iter().all(|r| r.attempts == 2 && r.state == "failed"),
            "{name}: {again:?}"
        );
        assert_eq!(
            again[0].next_at,
            Some(t0 + Duration::seconds(30 + 60)),
            "{name}: the second wait doubles"
        );
        clock.advance(Duration::seconds(60));
        let last = wk.drain().await.expect("drain");
        assert_eq!(last.deliveries.dead, 2, "{name}: {last:?}");
        assert_eq!(hook.all().len(), 6, "{name}: three attempts each, signed");
        assert!(
            hook.all()
                .iter()
                .all(|(_, h)| h.contains_key("x-liaison-delivery")),
            "{name}: every attempt carries its delivery id"
        );
        // The receipts board shows the dead deliveries with their error.
        let board = liaison_db::inbox::deliveries(&db, message, false, None, 100)
            .await
            .expect("board");
        let dead: Vec<_> = board.iter().filter(|d| d.state == "dead").collect();
        assert_eq!(dead.len(), 4, "{name}");
        assert!(dead.iter().all(|d| d.last_error.is_some()), "{name}");
        let summary = liaison_db::inbox::summary(&db, message)
            .await
            .expect("summary");
        assert_eq!(summary.dead, 4, "{name}: {summary:?}");
        // A channel manager sends them again: fresh attempts.
        let n = liaison_db::delivery::retry(&db, w.manager.id, message, None)
            .await
            .expect("retry");
        assert_eq!(n, 4, "{name}");
        assert!(
            rows(&db, message)
                .await
                .iter()
                .all(|r| r.state == "queued" && r.attempts == 0),
            "{name}"
        );
    }
}

/// SPEC B5: a delivery that cannot be made (no robot, no SMTP) is dead at once, and its error
/// says what is missing.
#[tokio::test]
async fn a_missing_address_or_robot_is_a_dead_delivery_that_says_what_is_missing() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let w = world(&db, 1, "wecom,email").await;
        let message = dispatch(&db, &w, &["wecom", "email"], true, None).await;
        let wk = worker(&db, Transport::live(None), "w1");
        let pass = wk.drain().await.expect("drain");
        assert_eq!(pass.deliveries.dead, 2, "{name}: {pass:?}");
        let rs = rows(&db, message).await;
        let wecom = rs.iter().find(|r| r.channel == "wecom").expect("wecom");
        assert!(
            wecom
                .last_error
                .as_deref()
                .unwrap_or("")
                .contains("no wecom robot"),
            "{name}: {wecom:?}"
        );
        let email = rs.iter().find(|r| r.channel == "email").expect("email");
        assert!(
            email
                .last_error
                .as_deref()
                .unwrap_or("")
                .contains("LIAISON_SMTP_URL"),
            "{name}: {email:?}"
        );
    }
}
