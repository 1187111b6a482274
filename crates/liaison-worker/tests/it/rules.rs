//! Rules the review of the engine pinned down: scheduled requests go once however many workers
//! sweep, a request that cannot go does not hold up the others, nothing of a confidential
//! message leaves the portal (§7.2.1), a partner that confirmed is not asked again (§4.3.2),
//! and phone calls are left to staff (SPEC C5).

use crate::servers::{Smtp, text_of};
use crate::{backends_at, dispatch_input, input, rows, shanghai, worker, world};
use liaison_core::FixedClock;
use liaison_db::q;
use liaison_worker::Transport;
use mailparse::MailHeaderMap;
use std::sync::Arc;

async fn approve(
    db: &liaison_db::Db,
    w: &crate::World,
    input: &liaison_core::request::RequestInput,
) -> uuid::Uuid {
    let r = liaison_db::request::insert_request(db, &w.manager.actor(), input)
        .await
        .expect("request");
    let mut tx = db.begin().await.expect("tx");
    tx.execute(q("UPDATE requests SET state = 'approved' WHERE id = $1").bind(r.id))
        .await
        .expect("approve");
    tx.commit().await.expect("commit");
    r.id
}

/// Four workers sweep at once: a scheduled request becomes one message, not four.
#[tokio::test]
async fn a_scheduled_request_is_sent_once_however_many_workers_sweep() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let w = world(&db, 20, "email").await;
        let id = approve(&db, &w, &input(&w, &["email"])).await;
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                liaison_db::request::dispatch_due(&db).await
            }));
        }
        let mut sent = 0;
        for t in tasks {
            sent += t.await.expect("task").expect("sweep");
        }
        assert_eq!(sent, 1, "{name}: dispatched once");
        let messages: i64 = db
            .fetch_one(q("SELECT COUNT(*) FROM messages WHERE request_id = $1").bind(id))
            .await
            .expect("count");
        assert_eq!(messages, 1, "{name}");
    }
}

/// A request whose audience is gone stays approved (and is logged); the others still go, and
/// the reminders still run.
#[tokio::test]
async fn a_request_that_cannot_be_sent_does_not_hold_up_the_others() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let w = world(&db, 2, "email").await;
        let mut broken = input(&w, &["email"]);
        broken.audience = Some(liaison_core::request::Audience {
            segments: vec![uuid::Uuid::now_v7()],
            ..Default::default()
        });
        let bad = approve(&db, &w, &broken).await;
        let good = approve(&db, &w, &input(&w, &["email"])).await;
        assert_eq!(
            liaison_db::request::dispatch_due(&db).await.expect("sweep"),
            1,
            "{name}"
        );
        let bad = liaison_db::request::find_request(&db, bad)
            .await
            .expect("bad");
        assert_eq!(bad.state.as_str(), "approved", "{name}: waits, logged");
        let good = liaison_db::request::find_request(&db, good)
            .await
            .expect("good");
        assert_eq!(good.state.as_str(), "dispatched", "{name}");
        let wk = worker(&db, Transport::live(None), "w1");
        wk.sweep().await.expect("the sweep as a whole goes on");
    }
}

/// §7.2.1: a confidential message to a contact with an NDA goes by e-mail as a notice and a
/// link: neither its title nor its body is in the mail.
#[tokio::test]
async fn a_confidential_email_carries_neither_title_nor_body() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let smtp = Smtp::start();
        let w = world(&db, 1, "email").await;
        liaison_db::nda::insert_nda(
            &db,
            w.manager.id,
            &liaison_db::nda::NdaInput {
                partner: Some("SH-W000".into()),
                contact_id: None,
                signed_at: Some(shanghai(1, 9, 0) - chrono::Duration::days(30)),
                expires_at: Some(shanghai(1, 9, 0) + chrono::Duration::days(300)),
                document: Some("NDA-2026-001".into()),
            },
        )
        .await
        .expect("nda");
        let mut secret = input(&w, &["email"]);
        secret.title = Some("华东区 2027 年底价调整".into());
        secret.body = Some("底价下调 12%，仅限签署保密协议的经销商知悉。".into());
        secret.classification = Some("confidential".into());
        let m = dispatch_input(&db, &w, &secret).await;
        let mailer =
            liaison_channels::email::Mailer::new(&smtp.url(), "Liaison <noreply@liaison.test>")
                .expect("mailer");
        let wk = worker(&db, Transport::live(Some(mailer)), "w1");
        assert_eq!(
            wk.drain().await.expect("drain").deliveries.sent,
            1,
            "{name}"
        );
        let mails = smtp.wait_for(1);
        assert_eq!(mails.len(), 1, "{name}");
        let mail = mailparse::parse_mail(&mails[0]).expect("mail");
        let subject = mail.headers.get_first_value("Subject").unwrap_or_default();
        let text = format!("{subject}\n{}", text_of(&mail));
        for leak in ["底价", "12%", "保密协议的经销商"] {
            assert!(
                !text.contains(leak),
                "{name}: {leak:?} left the portal: {text}"
            );
        }
        assert!(
            text.contains(&format!("http://liaison.test/portal/inbox/{m}")),
            "{name}: the link"
        );
    }
}

/// §4.3.2: a partner that confirmed in the portal before its e-mail went out gets the notice
/// without a confirm button; phone calls (SPEC C5) are left to staff, never sent or failed.
#[tokio::test]
async fn a_confirmed_partner_is_not_asked_again_and_phone_calls_are_left_to_staff() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let smtp = Smtp::start();
        let w = world(&db, 1, "email,phone").await;
        let mut ask = input(&w, &["email", "phone"]);
        ask.ack_required = Some(true);
        ask.ack_due_at = Some(shanghai(4, 10, 0));
        let m = dispatch_input(&db, &w, &ask).await;
        let phone: Vec<_> = rows(&db, m)
            .await
            .into_iter()
            .filter(|r| r.channel == "phone")
            .collect();
        assert!(
            phone
                .iter()
                .all(|r| r.state == "manual" && r.next_at.is_none()),
            "{name}: {phone:?}"
        );
        let acks = liaison_db::inbox::AckWriter::spawn(db.clone());
        acks.acknowledge(&db, None, w.partners[0], m, "portal")
            .await
            .expect("ack");
        let mailer =
            liaison_channels::email::Mailer::new(&smtp.url(), "Liaison <noreply@liaison.test>")
                .expect("mailer");
        let wk = worker(&db, Transport::live(Some(mailer)), "w1");
        let pass = wk.drain().await.expect("drain");
        assert_eq!(pass.deliveries.sent, 1, "{name}: the e-mail only: {pass:?}");
        let mails = smtp.wait_for(1);
        let mail = mailparse::parse_mail(&mails[0]).expect("mail");
        let text = text_of(&mail);
        assert!(
            !text.contains("/ack/"),
            "{name}: no confirm link after the confirmation"
        );
        let rs = rows(&db, m).await;
        let email = rs.iter().find(|r| r.channel == "email").expect("email");
        assert_eq!(email.state, "acknowledged", "{name}: {email:?}");
        // The call was never "sent"; the partner's confirmation covers it too.
        let phone = rs.iter().find(|r| r.channel == "phone").expect("phone");
        assert_eq!(phone.state, "acknowledged", "{name}: {phone:?}");
        assert!(
            phone.attempts == 0 && phone.target.is_none(),
            "{name}: {phone:?}"
        );
    }
}
