//! Meeting invitations through the worker and real mail servers (policy §5.3.1; issue 14): the
//! invitation, its update and its cancellation reach a real SMTP server as mails with a
//! `text/calendar; method=REQUEST` (then `CANCEL`) part that Python's `icalendar` reads with one
//! UID, a rising SEQUENCE and a VTIMEZONE for its TZID; a calendar client's `METHOD:REPLY`
//! mailed back to a real IMAP server (dovecot) records the answer.

use crate::servers::{Smtp, text_of};
use crate::{backends_at, shanghai};
use liaison_app::meetings::{self as app, MeetingInput};
use liaison_channels::testing::ImapServer;
use liaison_core::meetings::{Rsvp, RsvpVia};
use liaison_core::{Actor, FixedClock};
use liaison_db::Db;
use liaison_db::meetings::Invitees;
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

/// The `text/calendar` parts of the mails to `to`, in order, with their Content-Type.
fn calendars_to(raw: &[Vec<u8>], to: &str) -> Vec<(String, String, String)> {
    fn walk(m: &mailparse::ParsedMail<'_>, out: &mut Vec<(String, String)>) {
        if m.ctype.mimetype == "text/calendar" {
            let ct = m
                .headers
                .get_first_value("Content-Type")
                .unwrap_or_default();
            out.push((ct, m.get_body().unwrap_or_default()));
        }
        for p in &m.subparts {
            walk(p, out);
        }
    }
    let mut all = Vec::new();
    for m in raw.iter().filter_map(|r| mailparse::parse_mail(r).ok()) {
        if !m
            .headers
            .get_first_value("To")
            .unwrap_or_default()
            .contains(to)
        {
            continue;
        }
        let mut parts = Vec::new();
        walk(&m, &mut parts);
        for (ct, body) in parts {
            all.push((ct, body, text_of(&m)));
        }
    }
    all
}

const READER: &str = r#"
import sys, datetime, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
zones = {str(z['TZID']) for z in cal.walk('VTIMEZONE')}
for e in cal.walk('VEVENT'):
    start = e.decoded('DTSTART')
    tzid = e['DTSTART'].params.get('TZID')
    if tzid is not None and str(tzid) not in zones:
        raise SystemExit('no VTIMEZONE for %s' % tzid)
    if start.utcoffset() is None:
        raise SystemExit('floating start')
    print('\t'.join([str(cal['METHOD']), str(e['UID']), str(int(e['SEQUENCE'])),
        start.astimezone(datetime.timezone.utc).isoformat(), str(tzid or ''), str(len(zones))]))
"#;

/// What Python's icalendar reads: (METHOD, UID, SEQUENCE, start in UTC, TZID, VTIMEZONEs).
fn read_with_icalendar(ics: &str) -> Vec<String> {
    let python = liaison_channels::testing::icalendar_python(std::path::Path::new(env!(
        "CARGO_TARGET_TMPDIR"
    )));
    let dir = std::env::temp_dir().join(format!("liaison-ics-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("invite.ics");
    std::fs::write(&file, ics).expect("write");
    let out = std::process::Command::new(python)
        .args(["-c", READER])
        .arg(&file)
        .output()
        .expect("python");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "icalendar refused it: {}\n{ics}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn invitations_updates_and_cancellations_reach_smtp_and_a_mailed_reply_is_an_answer() {
    // Monday 7 December 2026, 10:00 in Shanghai.
    let clock = Arc::new(FixedClock::new(shanghai(7, 10, 0)));
    let (dbs, _g) = backends_at(clock.clone()).await;
    for (name, db) in dbs {
        clock.advance(shanghai(7, 10, 0) - liaison_core::Clock::now(clock.as_ref()));
        liaison_demo::load(&db, 0, &|_| {}).await.expect("demo");
        let smtp = Smtp::start();
        let imap = ImapServer::start();
        let mailer =
            liaison_channels::email::Mailer::new(&smtp.url(), "Liaison <noreply@liaison.test>")
                .expect("mailer");
        let wk = liaison_worker::Worker::new(
            db.clone(),
            liaison_worker::WorkerConfig {
                id: "meetings".into(),
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
        );
        let channel = login(&db, "channel@demo.example").await;
        let p1 = login(&db, "p1@demo.example").await;
        let sh = p1.partner_id.expect("p1's partner");
        let m = app::create(
            &db,
            &channel,
            &MeetingInput {
                kind: Some("monthly".into()),
                title: Some("十二月月度工作会议".into()),
                starts_at: Some("2026-12-17T14:00".into()),
                ends_at: Some("2026-12-17T16:00".into()),
                timezone: Some("Asia/Shanghai".into()),
                place: Some("上海总部 3 楼".into()),
                agenda: Some("1. 回顾\n2. 促销".into()),
                invitees: Some(Invitees {
                    partners: vec![sh],
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .expect("planned");
        app::invite(&db, &channel, m.id).await.expect("invited");
        wk.drain().await.expect("drain");
        let got = calendars_to(&smtp.wait_for(1), "p1@demo.example");
        assert_eq!(got.len(), 1, "{name}: one invitation to p1");
        assert!(
            got[0].0.contains("text/calendar")
                && got[0].0.to_lowercase().contains("method=request"),
            "{name}: {}",
            got[0].0
        );
        assert!(
            got[0].2.contains("/rsvp/"),
            "{name}: one-click answers in the text"
        );
        assert!(
            got[0].2.contains("会议邀请") && got[0].2.contains("议程"),
            "{name}: in the reader's words: {}",
            got[0].2
        );
        assert!(
            !got[0].2.contains("meeting.") && !got[0].2.contains("meeting_page."),
            "{name}: no raw catalogue keys: {}",
            got[0].2
        );

        // A calendar client answers: METHOD:REPLY mailed back, read from the mailbox.
        let reply = liaison_docs::ics::write_meetings(
            liaison_docs::ics::Method::Reply,
            None,
            &[liaison_docs::ics::Meeting {
                uid: format!("{}@liaison", m.id),
                sequence: 0,
                stamp: chrono::Utc::now(),
                starts_at: m.starts_at,
                ends_at: m.ends_at,
                tz: chrono_tz::Asia::Shanghai,
                summary: m.title.clone(),
                description: String::new(),
                location: None,
                url: None,
                organizer: liaison_docs::ics::Attendee {
                    name: "渠道管理部".into(),
                    email: "channel@demo.example".into(),
                    partstat: liaison_docs::ics::PartStat::Accepted,
                    rsvp: false,
                },
                attendees: vec![liaison_docs::ics::Attendee {
                    name: "刘洋".into(),
                    email: "p1@demo.example".into(),
                    partstat: liaison_docs::ics::PartStat::Accepted,
                    rsvp: false,
                }],
                cancelled: false,
            }],
        );
        imap.deliver(
            format!(
                "From: 刘洋 <p1@demo.example>\r\nTo: noreply@liaison.test\r\nSubject: =?UTF-8?B?5o6l5Y+X?=\r\n\
Message-ID: <rsvp-{name}@mail.example>\r\nMIME-Version: 1.0\r\n\
Content-Type: text/calendar; method=REPLY; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{reply}"
            )
            .as_bytes(),
        );
        let read = wk.read_mail().await.expect("read");
        assert_eq!(read.filed, 1, "{name}: {read:?}");
        let mine = liaison_db::meetings::attendee_for(&db, m.id, p1.user_id, None)
            .await
            .expect("row");
        let liu = liaison_db::user::find_user(&db, p1.user_id)
            .await
            .expect("user")
            .and_then(|u| u.contact_id);
        let mine = match mine {
            Some(a) => a,
            None => liaison_db::meetings::attendee_for(&db, m.id, uuid::Uuid::nil(), liu)
                .await
                .expect("row")
                .expect("p1's invitation"),
        };
        assert_eq!(
            (mine.response, mine.responded_via),
            (Rsvp::Accepted, Some(RsvpVia::Email)),
            "{name}"
        );

        // Moved by an hour, then cancelled.
        app::update(
            &db,
            &channel,
            m.id,
            None,
            &MeetingInput {
                starts_at: Some("2026-12-17T15:00".into()),
                ends_at: Some("2026-12-17T17:00".into()),
                ..Default::default()
            },
        )
        .await
        .expect("moved");
        wk.drain().await.expect("drain");
        app::cancel(&db, &channel, m.id).await.expect("cancelled");
        wk.drain().await.expect("drain");
        let mut all = Vec::new();
        for _ in 0..100 {
            all = calendars_to(&smtp.mails(), "p1@demo.example");
            if all.len() >= 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(all.len(), 3, "{name}: invitation, update, cancellation");
        // The Maildir does not keep the order: by SEQUENCE.
        let seq = |ics: &str| {
            ics.lines()
                .find_map(|l| l.strip_prefix("SEQUENCE:"))
                .and_then(|v| v.trim().parse::<i64>().ok())
                .unwrap_or(-1)
        };
        all.sort_by_key(|(_, ics, _)| seq(ics));
        assert!(
            all[2].0.to_lowercase().contains("method=cancel"),
            "{name}: {}",
            all[2].0
        );
        let rows: Vec<Vec<String>> = all
            .iter()
            .map(|(_, ics, _)| read_with_icalendar(ics))
            .collect();
        let uid = format!("{}@liaison", m.id);
        let fields =
            |r: &Vec<String>| -> Vec<String> { r[0].split('\t').map(str::to_string).collect() };
        let (a, b, c) = (fields(&rows[0]), fields(&rows[1]), fields(&rows[2]));
        assert_eq!(
            (a[0].as_str(), a[1].as_str(), a[2].as_str()),
            ("REQUEST", uid.as_str(), "0"),
            "{name}"
        );
        assert_eq!(
            (b[0].as_str(), b[1].as_str(), b[2].as_str()),
            ("REQUEST", uid.as_str(), "1"),
            "{name}"
        );
        assert_eq!(
            (c[0].as_str(), c[1].as_str(), c[2].as_str()),
            ("CANCEL", uid.as_str(), "2"),
            "{name}"
        );
        assert_eq!(a[3], "2026-12-17T06:00:00+00:00", "{name}: 14:00 Shanghai");
        assert_eq!(b[3], "2026-12-17T07:00:00+00:00", "{name}: moved to 15:00");
        assert_eq!(
            (a[4].as_str(), a[5].as_str()),
            ("Asia/Shanghai", "1"),
            "{name}: its VTIMEZONE"
        );
    }
}
