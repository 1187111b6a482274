//! Problem tickets' clocks and mail (policy §3.4.2, §5.2.2; issue 12) through the worker and a
//! real SMTP server: the holder is warned by e-mail before a clock runs out, the department
//! head is told when it does, and the partner gets each public answer by e-mail with its text.

use crate::servers::{Smtp, text_of};
use crate::{backends_at, shanghai, worker};
use chrono::Duration;
use liaison_app::tickets::{self as app, ReplyInput, TicketInput};
use liaison_channels::testing::ImapServer;
use liaison_core::tickets::TicketVia;
use liaison_core::{Actor, FixedClock};
use liaison_db::Db;
use liaison_worker::Transport;
use mailparse::MailHeaderMap;
use std::sync::Arc;

async fn login(db: &Db, email: &str) -> Actor {
    liaison_db::user::list_users(db)
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.email == email)
        .unwrap_or_else(|| panic!("{email} is a demo login"))
        .actor()
}

/// The mails to `to`, parsed: (subject, text).
fn mails_to(raw: &[Vec<u8>], to: &str) -> Vec<(String, String)> {
    raw.iter()
        .filter_map(|r| mailparse::parse_mail(r).ok())
        .filter(|m| {
            m.headers
                .get_first_value("To")
                .unwrap_or_default()
                .contains(to)
        })
        .map(|m| {
            (
                m.headers.get_first_value("Subject").unwrap_or_default(),
                text_of(&m),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_holder_is_warned_and_the_head_told_of_a_breach_by_email() {
    // Tuesday 2026-12-01 09:00: a normal ticket's first answer is due at 17:00.
    let clock = Arc::new(FixedClock::new(shanghai(1, 9, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        clock.advance(shanghai(1, 9, 0) - liaison_core::Clock::now(clock.as_ref()));
        liaison_demo::load(&db, 0, &|_| {}).await.expect("demo");
        let smtp = Smtp::start();
        let mailer =
            liaison_channels::email::Mailer::new(&smtp.url(), "Liaison <noreply@liaison.test>")
                .expect("mailer");
        let wk = worker(&db, Transport::live(Some(mailer)), "w1");
        let p1 = login(&db, "p1@demo.example").await;
        let staff = login(&db, "staff@demo.example").await;
        let t = app::create(
            &db,
            &p1,
            &TicketInput {
                kind: Some("marketing".into()),
                subject: Some("展会样机不足".into()),
                description: Some("下周展会需要 5 台样机。".into()),
                ..Default::default()
            },
            Vec::new(),
            TicketVia::Portal,
        )
        .await
        .expect("raised");
        wk.drain().await.expect("drain");
        let assigned = mails_to(&smtp.wait_for(1), "staff@demo.example");
        assert_eq!(
            assigned.len(),
            1,
            "{name}: the holder learns of it: {assigned:?}"
        );
        assert!(
            assigned[0].0.contains("展会样机不足"),
            "{name}: {assigned:?}"
        );
        // 16:30: within the hour before the due time.
        clock.advance(Duration::minutes(7 * 60 + 30));
        wk.sweep().await.expect("sweep");
        wk.drain().await.expect("drain");
        let warned = mails_to(&smtp.wait_for(2), "staff@demo.example");
        assert_eq!(warned.len(), 2, "{name}: {warned:?}");
        assert!(
            warned.iter().any(|(s, _)| s.contains("即将超时")),
            "{name}: {warned:?}"
        );
        // 17:30: the clock ran out; the marketing head is told once.
        clock.advance(Duration::hours(1));
        wk.sweep().await.expect("sweep");
        wk.drain().await.expect("drain");
        wk.sweep().await.expect("sweep");
        wk.drain().await.expect("drain");
        let head = mails_to(&smtp.wait_for(3), "head@demo.example");
        assert_eq!(head.len(), 1, "{name}: {head:?}");
        assert!(head[0].0.contains("已超时"), "{name}: {head:?}");
        // The answer reaches p1 by e-mail with its text; an internal note does not.
        app::reply(
            &db,
            &staff,
            t.id,
            &ReplyInput {
                body: Some("内部：样机库存只有 3 台".into()),
                internal: true,
                ..Default::default()
            },
            Vec::new(),
            TicketVia::Console,
        )
        .await
        .expect("note");
        app::reply(
            &db,
            &staff,
            t.id,
            &ReplyInput {
                body: Some("样机周四前寄到展会现场。".into()),
                ..Default::default()
            },
            Vec::new(),
            TicketVia::Console,
        )
        .await
        .expect("answer");
        wk.drain().await.expect("drain");
        let to_p1 = mails_to(&smtp.wait_for(4), "p1@demo.example");
        assert_eq!(to_p1.len(), 1, "{name}: {to_p1:?}");
        assert!(
            to_p1[0].1.contains("样机周四前寄到展会现场"),
            "{name}: {to_p1:?}"
        );
        assert!(
            !to_p1[0].1.contains("库存"),
            "{name}: the note stays inside"
        );
    }
}

/// A worker that reads the reply mailbox `imap` and sends through `smtp`.
fn mail_worker(db: &Db, smtp: &Smtp, imap: &ImapServer, id: &str) -> Arc<liaison_worker::Worker> {
    let mailer =
        liaison_channels::email::Mailer::new(&smtp.url(), "Liaison <noreply@liaison.test>")
            .expect("mailer");
    liaison_worker::Worker::new(
        db.clone(),
        liaison_worker::WorkerConfig {
            id: id.into(),
            batch: 100,
            lease: chrono::Duration::seconds(30),
            public_url: "http://liaison.test".into(),
            imap: Some(
                liaison_channels::imap::ImapConfig::parse(&imap.url(ImapServer::USER))
                    .expect("imap url"),
            ),
            ..Default::default()
        },
        Transport::live(Some(mailer)),
    )
}

/// A reply as a mail client writes it: the new text, a Chinese client's quote header and the
/// quoted mail, a signature, and a photo.
fn reply_mail(from: &str, to: &str, subject: &str, text: &str, id: &str) -> Vec<u8> {
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD.encode(PNG);
    format!(
        "From: 刘洋 <{from}>\r\nTo: {to}\r\nSubject: Re: {subject}\r\nMessage-ID: <{id}@mail.example>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n\r\n\
在 2026年12月1日 10:00，Liaison <noreply@liaison.test> 写道：\r\n> 样机周四前寄到展会现场。\r\n> 直接回复本邮件即可答复。\r\n\r\n\
-- \r\n刘洋 恒通商贸\r\n\r\n--b1\r\nContent-Type: image/png; name=\"photo.png\"\r\n\
Content-Disposition: attachment; filename=\"photo.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{png}\r\n--b1--\r\n"
    )
    .into_bytes()
}

const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

async fn outcomes(db: &Db) -> Vec<(String, String)> {
    liaison_db::tickets::list_mails(db, 50)
        .await
        .expect("mails")
        .into_iter()
        .map(|m| (m.outcome, m.detail))
        .collect()
}

/// Issue 12 item 4 with a real IMAP server (dovecot): p1 answers the ticket's e-mail; two
/// workers read the mailbox and the reply is filed once, with its photo, the quote and the
/// signature trimmed. A forged token is refused and recorded; a mail to the plain address
/// opens a ticket; an answer to a notice lands in the message's thread.
#[tokio::test]
async fn a_reply_by_email_is_filed_once_on_its_ticket_and_forgeries_are_refused() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 9, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        clock.advance(shanghai(1, 9, 0) - liaison_core::Clock::now(clock.as_ref()));
        liaison_demo::load(&db, 0, &|_| {}).await.expect("demo");
        let smtp = Smtp::start();
        let imap = ImapServer::start();
        let w1 = mail_worker(&db, &smtp, &imap, "w1");
        let w2 = mail_worker(&db, &smtp, &imap, "w2");
        let p1 = login(&db, "p1@demo.example").await;
        let staff = login(&db, "staff@demo.example").await;
        let t = app::create(
            &db,
            &p1,
            &TicketInput {
                kind: Some("marketing".into()),
                subject: Some("展会样机不足".into()),
                description: Some("下周展会需要 5 台样机。".into()),
                ..Default::default()
            },
            Vec::new(),
            TicketVia::Portal,
        )
        .await
        .expect("raised");
        app::reply(
            &db,
            &staff,
            t.id,
            &ReplyInput {
                body: Some("样机周四前寄到展会现场。".into()),
                ..Default::default()
            },
            Vec::new(),
            TicketVia::Console,
        )
        .await
        .expect("answer");
        w1.drain().await.expect("drain");
        let answer = smtp
            .wait_for(2)
            .iter()
            .filter_map(|r| mailparse::parse_mail(r).ok())
            .find(|m| {
                m.headers
                    .get_first_value("To")
                    .unwrap_or_default()
                    .contains("p1@demo.example")
            })
            .map(|m| m.headers.get_first_value("Reply-To").unwrap_or_default())
            .expect("the answer went to p1");
        assert!(
            answer.contains("reply+") && answer.contains("@liaison.test"),
            "{name}: {answer}"
        );
        let reply_to = answer
            .rsplit('<')
            .next()
            .unwrap_or(&answer)
            .trim_end_matches('>')
            .to_string();
        imap.deliver(&reply_mail(
            "p1@demo.example",
            &reply_to,
            "展会样机不足",
            "收到，谢谢！另外附上展位照片。",
            &format!("r1-{name}"),
        ));
        // Two workers read the mailbox at once: the reply is filed once.
        let (a, b) = tokio::join!(w1.read_mail(), w2.read_mail());
        let (a, b) = (a.expect("w1 reads"), b.expect("w2 reads"));
        assert_eq!(a.filed + b.filed, 1, "{name}: {a:?} {b:?}");
        let page = app::page(&db, &staff, t.id).await.expect("page");
        let by_mail: Vec<_> = page
            .events
            .iter()
            .filter(|e| e.via == Some(TicketVia::Email))
            .collect();
        assert_eq!(by_mail.len(), 1, "{name}: {:?}", page.events);
        let body = by_mail[0].body.clone().unwrap_or_default();
        assert_eq!(
            body, "收到，谢谢！另外附上展位照片。",
            "{name}: quote and signature trimmed"
        );
        assert!(by_mail[0].from_partner, "{name}");
        let photo = page
            .files
            .iter()
            .find(|f| f.filename == "photo.png")
            .expect("the photo is kept");
        let (_, bytes) = app::file(&db, &p1, t.id, photo.id).await.expect("file");
        assert_eq!(bytes, PNG, "{name}");
        // Read again: nothing new (seen, and claimed).
        let again = w1.read_mail().await.expect("again");
        assert_eq!(again.filed, 0, "{name}: {again:?}");

        // A forged token: one letter changed.
        let token = reply_to
            .split_once('+')
            .and_then(|(_, r)| r.split_once('@'))
            .map(|(t, _)| t.to_string())
            .expect("token");
        let mut forged: Vec<char> = token.chars().collect();
        forged[5] = if forged[5] == 'a' { 'b' } else { 'a' };
        let forged: String = forged.into_iter().collect();
        imap.deliver(&reply_mail(
            "p1@demo.example",
            &format!("reply+{forged}@liaison.test"),
            "展会样机不足",
            "伪造的回复",
            &format!("r2-{name}"),
        ));
        let r = w2.read_mail().await.expect("reads");
        assert_eq!((r.filed, r.refused), (0, 1), "{name}: {r:?}");
        let page = app::page(&db, &staff, t.id).await.expect("page");
        assert!(
            page.events
                .iter()
                .all(|e| !e.body.as_deref().unwrap_or("").contains("伪造")),
            "{name}"
        );
        assert!(
            outcomes(&db)
                .await
                .iter()
                .any(|(o, d)| o == "refused" && d.contains("forged")),
            "{name}: {:?}",
            outcomes(&db).await
        );
        // Admins see what the mailbox received; other staff may not.
        let admin = login(&db, "admin@demo.example").await;
        let seen = liaison_app::mail_in::list(&db, &admin, 50)
            .await
            .expect("admin");
        assert_eq!(seen.len(), 2, "{name}: {seen:?}");
        assert!(matches!(
            liaison_app::mail_in::list(&db, &staff, 50).await,
            Err(liaison_app::Error::Forbidden)
        ));
        // A stranger writing to the real reply address is refused too.
        imap.deliver(&reply_mail(
            "someone@else.example",
            &reply_to,
            "x",
            "我不是用户",
            &format!("r3-{name}"),
        ));
        assert_eq!(w1.read_mail().await.expect("reads").refused, 1, "{name}");

        // The plain address from p1 opens a ticket.
        imap.deliver(&reply_mail(
            "p1@demo.example",
            "replies@liaison.test",
            "新问题：门店展架损坏",
            "三家门店的展架运输中损坏，需要补发。",
            &format!("r4-{name}"),
        ));
        assert_eq!(w1.read_mail().await.expect("reads").filed, 1, "{name}");
        let mine = app::list(&db, &p1, &Default::default(), None, 10)
            .await
            .expect("list");
        let opened = mine
            .iter()
            .find(|x| x.via == TicketVia::Email)
            .expect("a ticket by e-mail");
        assert_eq!(opened.subject, "新问题：门店展架损坏", "{name}");

        // An answer to a notice lands in the message's thread.
        let message = liaison_demo::notify_everyone(&db, &["email"], false)
            .await
            .expect("a notice");
        w1.drain().await.expect("drain");
        let notice_reply_to = smtp
            .mails()
            .iter()
            .filter_map(|r| mailparse::parse_mail(r).ok())
            .filter(|m| {
                m.headers
                    .get_first_value("To")
                    .unwrap_or_default()
                    .contains("p1@demo.example")
            })
            .filter_map(|m| m.headers.get_first_value("Reply-To"))
            .find(|r| !r.contains(&token))
            .expect("the notice to p1 carries a reply address");
        let notice_reply_to = notice_reply_to
            .rsplit('<')
            .next()
            .unwrap_or(&notice_reply_to)
            .trim_end_matches('>')
            .to_string();
        imap.deliver(&reply_mail(
            "p1@demo.example",
            &notice_reply_to,
            "通知",
            "我们这边的数据下周一提交。",
            &format!("r5-{name}"),
        ));
        assert_eq!(
            w2.read_mail().await.expect("reads").filed,
            1,
            "{name}: {:?}",
            outcomes(&db).await
        );
        let threads = liaison_app::thread::on_message(&db, &p1, message.into())
            .await
            .expect("threads");
        assert_eq!(threads.len(), 1, "{name}");
    }
}
