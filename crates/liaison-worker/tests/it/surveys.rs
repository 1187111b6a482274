//! Survey invitations and reminders through the worker and a real SMTP server (policy §6.2.1;
//! issue 16 item 2): sending a survey mails each invited partner's users the invitation with a
//! signed one-click link that opens the form without a login; the sweep reminds, once, the
//! partners that have not answered a few days before the round closes, again with the link.

use crate::servers::{Smtp, text_of};
use crate::{backends_at, shanghai};
use liaison_app::surveys::{self as app, AnswerInput, SurveyInput};
use liaison_core::surveys::{Measure, Question, QuestionKind, Texts};
use liaison_core::{Actor, FixedClock};
use liaison_db::Db;
use liaison_db::surveys::Audience;
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

/// The texts of the mails to `to`.
fn texts_to(raw: &[Vec<u8>], to: &str) -> Vec<String> {
    raw.iter()
        .filter_map(|r| mailparse::parse_mail(r).ok())
        .filter(|m| {
            m.headers
                .get_first_value("To")
                .unwrap_or_default()
                .contains(to)
        })
        .map(|m| text_of(&m))
        .collect()
}

#[tokio::test]
async fn invitations_and_one_reminder_reach_smtp_with_a_link_that_answers() {
    // Monday 7 December 2026, 10:00 in Shanghai (working hours: mails go at once).
    let clock = Arc::new(FixedClock::new(shanghai(7, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        clock.advance(shanghai(7, 10, 0) - liaison_core::Clock::now(clock.as_ref()));
        liaison_demo::load(&db, 0, &|_| {}).await.expect("demo");
        let smtp = Smtp::start();
        let mailer =
            liaison_channels::email::Mailer::new(&smtp.url(), "Liaison <noreply@liaison.test>")
                .expect("mailer");
        let wk = liaison_worker::Worker::new(
            db.clone(),
            liaison_worker::WorkerConfig {
                id: "surveys".into(),
                batch: 100,
                lease: chrono::Duration::seconds(30),
                public_url: "http://liaison.test".into(),
                ..Default::default()
            },
            Transport::live(Some(mailer)),
        );
        let channel = login(&db, "channel@demo.example").await;
        let p1 = login(&db, "p1@demo.example").await;
        let p2 = login(&db, "p2@demo.example").await;
        let zh = |s: &str| -> Texts { [("zh-cn".to_string(), s.to_string())].into() };
        let s = app::create(
            &db,
            &channel,
            &SurveyInput {
                title: Some(zh("第四季度伙伴满意度调查")),
                questions: Some(vec![Question {
                    key: String::new(),
                    kind: QuestionKind::Rating,
                    text: zh("您对沟通是否满意？"),
                    choices: vec![],
                    required: true,
                    measure: Some(Measure::Satisfaction),
                }]),
                audience: Some(Audience {
                    partners: vec![
                        p1.partner_id.expect("p1's partner"),
                        p2.partner_id.expect("p2's partner"),
                    ],
                    ..Default::default()
                }),
                schedule: Some("once".into()),
                closes_on: Some("2026-12-18".into()),
                remind_days: Some(3),
                ..Default::default()
            },
        )
        .await
        .expect("written");
        app::send(&db, &channel, s.id).await.expect("sent");
        wk.drain().await.expect("drain");
        let got = texts_to(&smtp.wait_for(2), "p1@demo.example");
        assert_eq!(got.len(), 1, "{name}: one invitation to p1");
        assert!(
            got[0].contains("第四季度伙伴满意度调查") && got[0].contains("2026-12-18"),
            "{name}: {}",
            got[0]
        );
        assert!(
            !got[0].contains("notify.") && !got[0].contains("survey."),
            "{name}: no raw keys: {}",
            got[0]
        );
        let link = got[0]
            .split_whitespace()
            .find(|w| w.contains("http://liaison.test/survey/"))
            .expect("a one-click link")
            .trim_matches(|c: char| c == '<' || c == '>' || c == '(' || c == ')');
        let token = link
            .rsplit('/')
            .next()
            .expect("token")
            .trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_');
        // The link answers for p1's partner without a login.
        let answer = AnswerInput {
            answers: [("q1".to_string(), serde_json::json!(5))].into(),
            partner_id: None,
        };
        let v = app::by_link(&db, token, Some(&answer))
            .await
            .expect("answered by the link");
        assert!(v.invitation.answered, "{name}");
        assert_eq!(
            v.invitation.partner_id,
            p1.partner_id.expect("p1"),
            "{name}"
        );

        // Three days before the end of the 18th: only p2, who has not answered, is reminded.
        clock.advance(shanghai(16, 10, 0) - shanghai(7, 10, 0));
        let r = app::sweep(&db).await.expect("sweep");
        assert_eq!(r.reminded, 1, "{name}");
        assert_eq!(
            app::sweep(&db).await.expect("sweep").reminded,
            0,
            "{name}: once"
        );
        wk.drain().await.expect("drain");
        let mut all = Vec::new();
        for _ in 0..100 {
            all = smtp.mails();
            if texts_to(&all, "p2@demo.example")
                .iter()
                .any(|t| t.contains("提醒"))
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let reminders: Vec<String> = texts_to(&all, "p2@demo.example")
            .into_iter()
            .filter(|t| t.contains("提醒"))
            .collect();
        assert_eq!(reminders.len(), 1, "{name}: one reminder to p2");
        assert!(
            reminders[0].contains("http://liaison.test/survey/"),
            "{name}: {}",
            reminders[0]
        );
        assert!(
            !texts_to(&all, "p1@demo.example")
                .iter()
                .any(|t| t.contains("提醒")),
            "{name}: p1 answered and is not reminded"
        );
    }
}

/// The one-click link's token in a mail's text.
fn token_in(text: &str) -> String {
    let link = text
        .split_whitespace()
        .find(|w| w.contains("http://liaison.test/survey/"))
        .expect("a one-click link")
        .trim_matches(|c: char| c == '<' || c == '>' || c == '(' || c == ')');
    link.rsplit('/')
        .next()
        .expect("token")
        .trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_')
        .to_string()
}

/// §6.2.1, issue 16 item 2: a partner with only an e-mail contact (no portal user) gets the
/// invitation and the reminder at that contact's address, with a one-click link that answers
/// for the partner; the answer is counted. Its contact without an address gets nothing.
#[tokio::test]
async fn a_partner_without_portal_users_is_mailed_at_its_contact() {
    use liaison_core::partner::{ContactInput, PartnerInput};
    let clock = Arc::new(FixedClock::new(shanghai(7, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        clock.advance(shanghai(7, 10, 0) - liaison_core::Clock::now(clock.as_ref()));
        liaison_demo::load(&db, 0, &|_| {}).await.expect("demo");
        let smtp = Smtp::start();
        let mailer =
            liaison_channels::email::Mailer::new(&smtp.url(), "Liaison <noreply@liaison.test>")
                .expect("mailer");
        let wk = liaison_worker::Worker::new(
            db.clone(),
            liaison_worker::WorkerConfig {
                id: "survey-contacts".into(),
                batch: 100,
                lease: chrono::Duration::seconds(30),
                public_url: "http://liaison.test".into(),
                ..Default::default()
            },
            Transport::live(Some(mailer)),
        );
        let channel = login(&db, "channel@demo.example").await;
        let partner = liaison_app::partner::create(
            &db,
            &channel,
            PartnerInput {
                code: Some("NOLOGIN-02".into()),
                name: Some("只有联系人的伙伴".into()),
                kind: Some("distributor".into()),
                region: Some("华东".into()),
                tier: Some("B".into()),
                ..Default::default()
            },
        )
        .await
        .expect("partner");
        liaison_app::partner::add_contact(
            &db,
            &channel,
            partner.id.into(),
            ContactInput {
                name: Some("孙三".into()),
                email: Some("sun@nologin.example".into()),
                preferred_channels: Some(vec!["email".into()]),
                ..Default::default()
            },
        )
        .await
        .expect("contact");
        let zh = |s: &str| -> Texts { [("zh-cn".to_string(), s.to_string())].into() };
        let s = app::create(
            &db,
            &channel,
            &SurveyInput {
                title: Some(zh("联系人满意度调查")),
                questions: Some(vec![Question {
                    key: String::new(),
                    kind: QuestionKind::Rating,
                    text: zh("您对沟通是否满意？"),
                    choices: vec![],
                    required: true,
                    measure: Some(Measure::Satisfaction),
                }]),
                audience: Some(Audience {
                    partners: vec![partner.id],
                    ..Default::default()
                }),
                schedule: Some("once".into()),
                closes_on: Some("2026-12-18".into()),
                remind_days: Some(3),
                ..Default::default()
            },
        )
        .await
        .expect("written");
        app::send(&db, &channel, s.id).await.expect("sent");
        wk.drain().await.expect("drain");
        let got = texts_to(&smtp.wait_for(1), "sun@nologin.example");
        assert_eq!(got.len(), 1, "{name}: the invitation to the contact");
        assert!(
            got[0].contains("联系人满意度调查") && got[0].contains("2026-12-18"),
            "{name}: {}",
            got[0]
        );
        assert!(
            !got[0].contains("notify.") && !got[0].contains("survey."),
            "{name}: no raw keys: {}",
            got[0]
        );
        let first = token_in(&got[0]);
        // The reminder: the contact again, with the link.
        clock.advance(shanghai(16, 10, 0) - shanghai(7, 10, 0));
        assert_eq!(app::sweep(&db).await.expect("sweep").reminded, 1, "{name}");
        wk.drain().await.expect("drain");
        let mut all = Vec::new();
        for _ in 0..100 {
            all = smtp.mails();
            if texts_to(&all, "sun@nologin.example").len() >= 2 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let mails = texts_to(&all, "sun@nologin.example");
        assert_eq!(mails.len(), 2, "{name}: the invitation and one reminder");
        let reminder = mails
            .iter()
            .find(|t| t.contains("提醒"))
            .unwrap_or_else(|| panic!("{name}: a reminder: {mails:?}"));
        let token = token_in(reminder);
        assert_eq!(token, first, "{name}: the same invitation's link");
        // Answering by the link is counted for the partner.
        let answer = AnswerInput {
            answers: [("q1".to_string(), serde_json::json!(4))].into(),
            partner_id: None,
        };
        let v = app::by_link(&db, &token, Some(&answer))
            .await
            .expect("answered by the link");
        assert!(v.invitation.answered, "{name}");
        assert_eq!(v.invitation.partner_id, partner.id, "{name}");
        let r = app::results(&db, &channel, s.id, None)
            .await
            .expect("results");
        assert_eq!((r.invited, r.answered), (1, 1), "{name}");
    }
}
