//! Reminders and escalation (policy §4.4.1, SPEC B6) and outbound events (SPEC H3).

use crate::servers::{self, Smtp};
use crate::{backends_at, dispatch, rows, shanghai, temp_path, worker, world};
use axum::http::StatusCode;
use chrono::Duration;
use liaison_core::FixedClock;
use liaison_worker::Transport;
use mailparse::MailHeaderMap;
use std::sync::Arc;

/// §4.4.1: 24 h before the deadline the unconfirmed are reminded on their channels, the
/// confirmed are not; at the deadline the requester and the channel manager get the list of
/// who is overdue by e-mail.
#[tokio::test]
async fn the_unconfirmed_are_reminded_before_the_deadline_and_escalated_at_it() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let smtp = Smtp::start();
        let w = world(&db, 3, "email").await;
        // Due Friday 10:00: the reminder falls on Thursday 10:00.
        let m = dispatch(&db, &w, &["email"], false, Some(shanghai(4, 10, 0))).await;
        let mailer =
            liaison_channels::email::Mailer::new(&smtp.url(), "Liaison <noreply@liaison.test>")
                .expect("mailer");
        let wk = worker(&db, Transport::live(Some(mailer)), "w1");
        wk.drain().await.expect("drain");
        assert_eq!(smtp.wait_for(3).len(), 3, "{name}: the notices");
        // The first partner confirms in the portal.
        let acks = liaison_db::inbox::AckWriter::spawn(db.clone());
        acks.acknowledge(&db, None, w.partners[0], m, "portal")
            .await
            .expect("ack");
        wk.sweep().await.expect("sweep");
        assert_eq!(
            wk.drain().await.expect("drain").claimed,
            0,
            "{name}: too early to remind"
        );
        clock.advance(Duration::hours(48));
        wk.sweep().await.expect("sweep");
        let pass = wk.drain().await.expect("drain");
        assert_eq!(pass.deliveries.sent, 2, "{name}: two reminders: {pass:?}");
        let rs = rows(&db, m).await;
        assert_eq!(
            rs.iter().filter(|r| r.reminders == 1).count(),
            2,
            "{name}: {rs:?}"
        );
        // Only the partners' mails: the sweeps may also tell the channel manager of other
        // things at their ten-minute rhythm (a meeting cadence heading short), which depends on
        // which test's worker swept first in this process.
        let mails = mails_where(&smtp, 5, |to, _| to.contains("@partner"));
        assert_eq!(mails.len(), 5, "{name}");
        let reminders: Vec<_> = mails
            .iter()
            .filter_map(|raw| mailparse::parse_mail(raw).ok())
            .filter(|p| p.headers.get_first_value("In-Reply-To").is_some())
            .collect();
        assert_eq!(
            reminders.len(),
            2,
            "{name}: reminders thread under the first mail"
        );
        // A second sweep reminds nobody again, and "remind now" waits an hour after a reminder.
        wk.sweep().await.expect("sweep");
        assert_eq!(wk.drain().await.expect("drain").claimed, 0, "{name}");
        let again = liaison_db::delivery::remind_now(&db, w.manager.id, m).await;
        assert!(
            matches!(again, Err(liaison_db::DbError::Conflict(_))),
            "{name}: {again:?}"
        );
        // The deadline passes: one escalation to the requester (who owns the partners too).
        clock.advance(Duration::hours(24));
        wk.sweep().await.expect("sweep");
        let pass = wk.drain().await.expect("drain");
        assert_eq!(pass.jobs, 1, "{name}: {pass:?}");
        let overdue = mails_where(&smtp, 1, |to, text| {
            to.contains("manager@liaison.example") && text.contains("SH-W001")
        });
        assert_eq!(overdue.len(), 1, "{name}: one overdue mail to the manager");
        assert_eq!(
            mails_where(&smtp, 0, |to, _| to.contains("@partner")).len(),
            5,
            "{name}: no more mails to partners"
        );
        let overdue = mailparse::parse_mail(&overdue[0]).expect("mail");
        let text = crate::servers::text_of(&overdue);
        assert!(
            text.contains("SH-W001") && text.contains("SH-W002"),
            "{name}: the overdue partners are listed: {text}"
        );
        assert!(
            !text.contains("SH-W000"),
            "{name}: the confirmed partner is not: {text}"
        );
        let jobs = liaison_db::job::list_jobs(&db, Some("escalate"), None, 10)
            .await
            .expect("jobs");
        assert_eq!(jobs.len(), 1, "{name}");
        assert_eq!(jobs[0].state, "done", "{name}: {:?}", jobs[0]);
        clock.advance(Duration::hours(-72));
    }
}

/// The mails `smtp` received whose recipient and text `keep` accepts, waiting up to 5 s for
/// `n` of them.
fn mails_where(smtp: &Smtp, n: usize, keep: impl Fn(&str, &str) -> bool) -> Vec<Vec<u8>> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let kept: Vec<Vec<u8>> = smtp
            .mails()
            .into_iter()
            .filter(|raw| {
                mailparse::parse_mail(raw).is_ok_and(|p| {
                    let to = p.headers.get_first_value("To").unwrap_or_default();
                    keep(&to, &crate::servers::text_of(&p))
                })
            })
            .collect();
        if kept.len() >= n || std::time::Instant::now() > deadline {
            return kept;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// SPEC H3: an admin's endpoint receives signed JSON events through the worker; the receiver
/// verifies the signature with the shared secret.
#[tokio::test]
async fn registered_endpoints_receive_signed_events() {
    let clock = Arc::new(FixedClock::new(shanghai(1, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        let (url, seen) = servers::webhook("endpoint-secret-123", StatusCode::NO_CONTENT).await;
        let w = world(&db, 1, "email").await;
        liaison_db::events::insert_endpoint(
            &db,
            w.manager.id,
            &liaison_db::events::NewEndpoint {
                url_hint: url.clone(),
                url: url.clone(),
                secret: "endpoint-secret-123".into(),
                events: vec!["message.dispatched".into(), "delivery.acknowledged".into()],
            },
        )
        .await
        .expect("endpoint");
        let m = dispatch(&db, &w, &["email"], true, Some(shanghai(4, 10, 0))).await;
        let acks = liaison_db::inbox::AckWriter::spawn(db.clone());
        acks.acknowledge(&db, None, w.partners[0], m, "email")
            .await
            .expect("ack");
        let sink = temp_path("unused");
        let wk = worker(&db, Transport::live(None), "w1");
        let pass = wk.drain().await.expect("drain");
        assert_eq!(pass.jobs, 2, "{name}: {pass:?}");
        let got = seen.all();
        assert_eq!(
            got.len(),
            2,
            "{name}: {:?}",
            got.iter().map(|g| &g.0).collect::<Vec<_>>()
        );
        let types: Vec<_> = got
            .iter()
            .map(|(b, _)| b["type"].as_str().unwrap_or("").to_string())
            .collect();
        assert!(
            types.contains(&"message.dispatched".to_string()),
            "{name}: {types:?}"
        );
        assert!(
            types.contains(&"delivery.acknowledged".to_string()),
            "{name}: {types:?}"
        );
        let jobs = liaison_db::job::list_jobs(&db, Some("event"), None, 10)
            .await
            .expect("jobs");
        assert!(
            jobs.iter().all(|j| j.state == "done"),
            "{name}: signatures held: {jobs:?}"
        );
        assert!(
            got.iter()
                .all(|(_, h)| h.contains_key("x-liaison-signature")),
            "{name}"
        );
        let _ = sink;
        let _ = rows(&db, m).await;
    }
}
