//! A reported leak reaches leadership by e-mail at once (policy §7.3; issue 15), through a real
//! SMTP server (aiosmtpd), even on a Saturday night: leak notices do not wait for working hours.

use crate::servers::{Smtp, text_of};
use crate::{backends_at, shanghai};
use liaison_core::FixedClock;
use liaison_worker::Transport;
use mailparse::MailHeaderMap;
use std::sync::Arc;

#[tokio::test]
async fn a_reported_leak_is_mailed_to_leadership_at_once_even_on_a_saturday_night() {
    // Saturday 5 December 2026, 23:10 in Shanghai: outside working hours.
    let clock = Arc::new(FixedClock::new(shanghai(5, 23, 10)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        liaison_demo::load(&db, 0, &|_| {}).await.expect("demo");
        let smtp = Smtp::start();
        let mailer =
            liaison_channels::email::Mailer::new(&smtp.url(), "Liaison <noreply@liaison.test>")
                .expect("mailer");
        let wk = liaison_worker::Worker::new(
            db.clone(),
            liaison_worker::WorkerConfig {
                id: "leaks".into(),
                batch: 100,
                lease: chrono::Duration::seconds(30),
                public_url: "http://liaison.test".into(),
                ..Default::default()
            },
            Transport::live(Some(mailer)),
        );
        let staff = liaison_db::user::find_user_by_email(&db, "staff@demo.example")
            .await
            .expect("user")
            .expect("staff")
            .actor();
        let i = liaison_app::incidents::report(
            &db,
            &staff,
            &liaison_app::incidents::Report {
                title: "新品价格表在行业群外泄".into(),
                description: "周六晚上在行业群里看到了价格表截图。".into(),
                ..Default::default()
            },
        )
        .await
        .expect("reported");
        wk.drain().await.expect("drain");
        let leaders = liaison_app::incidents::leadership(&db)
            .await
            .expect("leaders");
        let raw = smtp.wait_for(leaders.len());
        let mails: Vec<(String, String, String)> = raw
            .iter()
            .filter_map(|r| mailparse::parse_mail(r).ok())
            .map(|m| {
                (
                    m.headers.get_first_value("To").unwrap_or_default(),
                    m.headers.get_first_value("Subject").unwrap_or_default(),
                    text_of(&m),
                )
            })
            .collect();
        for who in ["exec@demo.example", "channel@demo.example"] {
            let mail = mails
                .iter()
                .find(|(to, _, _)| to.contains(who))
                .unwrap_or_else(|| panic!("{name}: no mail to {who}: {mails:?}"));
            let all = format!("{} {}", mail.1, mail.2);
            assert!(all.contains("新品价格表在行业群外泄"), "{name}: {all}");
            assert!(
                all.contains(&format!("/console/incidents/{}", i.id)),
                "{name}: {all}"
            );
        }
        assert!(
            !mails
                .iter()
                .any(|(to, _, _)| to.contains("admin@demo.example")),
            "{name}: §7.3 leadership, not the admin"
        );
    }
}
