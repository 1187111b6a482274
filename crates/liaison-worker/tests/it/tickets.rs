//! Problem tickets' clocks and mail (policy §3.4.2, §5.2.2; issue 12) through the worker and a
//! real SMTP server: the holder is warned by e-mail before a clock runs out, the department
//! head is told when it does, and the partner gets each public answer by e-mail with its text.

use crate::servers::{Smtp, text_of};
use crate::{backends_at, shanghai, worker};
use chrono::Duration;
use liaison_app::tickets::{self as app, ReplyInput, TicketInput};
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
