//! Meetings and action items through the service layer (policy §2.1.3, §5.1, §5.3.1; issue
//! 14), on every backend: one UID with a rising SEQUENCE across invitation, update and
//! cancellation; a late invitation flagged; clashes with a holiday, a business date and another
//! meeting; answers by the portal, the one-click link and a calendar client's mailed REPLY;
//! minutes whose action items become tasks another partner never sees; the cadence with a short
//! quarter and one warning; the private feed and its revocation.

use crate::{Cast, backends, count};
use chrono::{DateTime, Duration, TimeZone, Utc};
use liaison_app::Error;
use liaison_app::meetings::{
    self as app, ActionInput, AttendanceInput, MeetingInput, MinutesInput,
};
use liaison_core::meetings::{
    CadenceStatus, ClashKind, MeetingKind, MeetingState, Rsvp, RsvpVia, TaskStatus,
};
use liaison_core::notify::NotifyKind;
use liaison_core::{Actor, FixedClock};
use liaison_db::Db;
use liaison_db::meetings::{Invitees, Meeting, MeetingFilter};
use std::sync::Arc;

/// `y-m-d h:m` in Shanghai (the company's zone).
fn bj(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    liaison_core::calendar::Tz::Asia__Shanghai
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a valid time")
        .with_timezone(&Utc)
}

fn monthly(title: &str, start: &str, end: &str, partners: Vec<uuid::Uuid>) -> MeetingInput {
    MeetingInput {
        kind: Some("monthly".into()),
        title: Some(title.into()),
        starts_at: Some(start.into()),
        ends_at: Some(end.into()),
        timezone: Some("Asia/Shanghai".into()),
        place: Some("上海总部 3 楼会议室".into()),
        agenda: Some("1. 上月销售回顾\n2. 下月促销安排".into()),
        invitees: Some(Invitees {
            partners,
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn jobs(db: &Db, meeting: &Meeting) -> Vec<serde_json::Value> {
    let rows = liaison_db::job::list_jobs(db, Some("invite"), None, 10_000)
        .await
        .expect("jobs");
    let attendees: Vec<String> = liaison_db::meetings::list_attendees(db, meeting.id, true)
        .await
        .expect("attendees")
        .iter()
        .map(|a| a.id.to_string())
        .collect();
    rows.into_iter()
        .filter(|j| j.kind == "invite")
        .map(|j| j.payload)
        .filter(|p| {
            p["attendee_id"]
                .as_str()
                .is_some_and(|a| attendees.iter().any(|x| x == a))
        })
        .collect()
}

async fn p1_partner(cast: &Cast) -> uuid::Uuid {
    cast.p1.partner_id.expect("p1 has a partner")
}

#[tokio::test]
async fn one_uid_carries_the_invitation_update_and_cancellation_with_rising_sequence() {
    let (dbs, _g) = backends().await;
    for (name, db) in dbs {
        // Monday 7 December 2026, 10:00: a monthly meeting on Thursday is inside the 7 days.
        let clock = Arc::new(FixedClock::new(bj(2026, 12, 7, 10, 0)));
        let db = db.with_clock(clock.clone());
        let cast = Cast::load(&db).await;
        let sh = p1_partner(&cast).await;
        let mut input = monthly(
            "十二月月度工作会议",
            "2026-12-10T14:00",
            "2026-12-10T16:00",
            vec![sh],
        );
        input.invitees = Some(Invitees {
            partners: vec![sh],
            users: vec![cast.staff.user_id],
            ..Default::default()
        });
        let m = app::create(&db, &cast.channel, &input)
            .await
            .expect("planned");
        assert_eq!(m.state, MeetingState::Planned, "{name}");
        // Planned: p1 does not see it yet; p2 never.
        assert!(
            matches!(app::show(&db, &cast.p1, m.id).await, Err(Error::NotFound)),
            "{name}"
        );
        let m = app::invite(&db, &cast.channel, m.id)
            .await
            .expect("invited");
        assert_eq!(m.state, MeetingState::Invited, "{name}");
        assert!(
            m.late,
            "{name}: 3 days ahead of a monthly meeting (7 days' notice) is late"
        );
        let first = jobs(&db, &m).await;
        let people = liaison_db::meetings::list_attendees(&db, m.id, false)
            .await
            .expect("people");
        let mailed = people.iter().filter(|a| a.email.is_some()).count();
        assert!(mailed >= 2, "{name}: p1's contacts and staff@");
        assert_eq!(
            first.len(),
            mailed,
            "{name}: one mail per invitee with an address"
        );
        assert!(
            first
                .iter()
                .all(|p| p["method"] == "request" && p["sequence"] == 0),
            "{name}"
        );
        let p1_view = app::show(&db, &cast.p1, m.id).await.expect("p1 sees it");
        assert!(
            p1_view.attendees.iter().all(|a| a.partner_id == Some(sh)),
            "{name}: only its own people"
        );
        assert!(
            matches!(app::show(&db, &cast.p2, m.id).await, Err(Error::NotFound)),
            "{name}"
        );
        assert!(
            crate::count(
                &db,
                "SELECT COUNT(*) FROM notifications WHERE kind = 'meeting_invited'"
            )
            .await
                >= 1,
            "{name}: p1's bell"
        );

        // Moved an hour later: everyone gets the update, SEQUENCE 1.
        let moved = app::update(
            &db,
            &cast.channel,
            m.id,
            None,
            &MeetingInput {
                starts_at: Some("2026-12-10T15:00".into()),
                ends_at: Some("2026-12-10T17:00".into()),
                ..Default::default()
            },
        )
        .await
        .expect("moved");
        assert_eq!(moved.sequence, 1, "{name}");
        let all = jobs(&db, &m).await;
        assert_eq!(
            all.iter().filter(|p| p["sequence"] == 1).count(),
            mailed,
            "{name}"
        );
        let cancelled = app::cancel(&db, &cast.channel, m.id)
            .await
            .expect("cancelled");
        assert_eq!(
            (cancelled.state, cancelled.sequence),
            (MeetingState::Cancelled, 2),
            "{name}"
        );
        let all = jobs(&db, &m).await;
        assert_eq!(
            all.iter()
                .filter(|p| p["method"] == "cancel" && p["sequence"] == 2)
                .count(),
            mailed,
            "{name}"
        );
        // The three calendar objects one person receives: one UID, SEQUENCE 0 → 2.
        let a = people.iter().find(|a| a.email.is_some()).expect("someone");
        let (_, cancel) = app::invitation_ics(&db, a, liaison_db::meetings::MailMethod::Cancel)
            .await
            .expect("ics");
        assert!(cancel.contains("METHOD:CANCEL"), "{name}");
        assert!(cancel.contains(&format!("UID:{}@liaison", m.id)), "{name}");
        assert!(cancel.contains("SEQUENCE:2"), "{name}");
        assert!(
            cancel.contains("BEGIN:VTIMEZONE") && cancel.contains("TZID:Asia/Shanghai"),
            "{name}"
        );
        assert!(
            !cancel.contains("staff@demo.example")
                || a.email.as_deref() == Some("staff@demo.example"),
            "{name}: only that person"
        );
        // A cancelled meeting changes no more.
        assert!(matches!(
            app::update(&db, &cast.channel, m.id, None, &MeetingInput::default()).await,
            Err(Error::Conflict(_))
        ));
        // Staff who neither chair nor planned it, and partners, may not change it.
        let m2 = app::create(
            &db,
            &cast.channel,
            &monthly("另一会", "2026-12-24T14:00", "2026-12-24T15:00", vec![sh]),
        )
        .await
        .expect("planned");
        assert!(
            matches!(
                app::invite(&db, &cast.staff, m2.id).await,
                Err(Error::Forbidden)
            ),
            "{name}"
        );
        assert!(
            matches!(
                app::invite(&db, &cast.p1, m2.id).await,
                Err(Error::Forbidden)
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_holiday_a_business_date_and_another_meeting_are_clashes_5_3_1() {
    let (dbs, _g) = backends().await;
    for (name, db) in dbs {
        let clock = Arc::new(FixedClock::new(bj(2026, 9, 1, 10, 0)));
        let db = db.with_clock(clock.clone());
        let cast = Cast::load(&db).await;
        let sh = p1_partner(&cast).await;
        // National Day.
        let c = app::check(
            &db,
            &cast.channel,
            &monthly("国庆", "2026-10-01T14:00", "2026-10-01T16:00", vec![sh]),
            None,
        )
        .await
        .expect("checked");
        let holiday = c
            .iter()
            .find(|c| c.kind == ClashKind::Holiday)
            .expect("a holiday clash");
        assert!(holiday.partners.contains(&"SH-D001".to_string()), "{name}");
        assert!(!holiday.title.is_empty(), "{name}: the holiday's name");
        // Another meeting of the same partner at the same time, and a business date.
        let first = app::create(
            &db,
            &cast.channel,
            &monthly("九月例会", "2026-09-16T14:00", "2026-09-16T16:00", vec![sh]),
        )
        .await
        .expect("planned");
        app::add_business_date(
            &db,
            &cast.channel,
            &app::BusinessDateInput {
                on: "2026-09-16".into(),
                title: "季度盘点".into(),
            },
        )
        .await
        .expect("business date");
        let c = app::check(
            &db,
            &cast.channel,
            &monthly("撞期", "2026-09-16T15:00", "2026-09-16T17:00", vec![sh]),
            None,
        )
        .await
        .expect("checked");
        let other = c
            .iter()
            .find(|c| c.kind == ClashKind::Meeting)
            .expect("a meeting clash");
        assert_eq!(other.meeting_id, Some(first.id), "{name}");
        assert!(
            c.iter()
                .any(|c| c.kind == ClashKind::BusinessDate && c.title == "季度盘点"),
            "{name}"
        );
        // The same time for another partner clashes with no meeting; outside hours is a warning.
        let bj2 = cast.p2.partner_id.expect("p2's partner");
        let c = app::check(
            &db,
            &cast.channel,
            &monthly("早会", "2026-09-17T07:00", "2026-09-17T08:00", vec![bj2]),
            None,
        )
        .await
        .expect("checked");
        assert!(c.iter().all(|c| c.kind != ClashKind::Meeting), "{name}");
        assert!(
            c.iter()
                .any(|c| c.kind == ClashKind::OutsideHours && c.is_warning()),
            "{name}"
        );
        // Bad input names every field.
        let bad = app::check(
            &db,
            &cast.channel,
            &MeetingInput {
                kind: Some("weekly".into()),
                starts_at: Some("2026-09-17T10:00".into()),
                ends_at: Some("2026-09-17T09:00".into()),
                ..Default::default()
            },
            None,
        )
        .await;
        let Err(Error::Invalid(e)) = bad else {
            panic!("{name}: invalid")
        };
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert!(
            fields.contains(&"kind") && fields.contains(&"title") && fields.contains(&"ends_at"),
            "{fields:?}"
        );
        // Partner users may not plan or check.
        assert!(matches!(
            app::check(&db, &cast.p1, &MeetingInput::default(), None).await,
            Err(Error::Forbidden)
        ));
    }
}

#[tokio::test]
async fn answers_come_by_the_portal_the_link_and_a_mailed_reply() {
    let (dbs, _g) = backends().await;
    for (name, db) in dbs {
        let clock = Arc::new(FixedClock::new(bj(2026, 11, 2, 10, 0)));
        let db = db.with_clock(clock.clone());
        let cast = Cast::load(&db).await;
        let sh = p1_partner(&cast).await;
        let m = app::create(
            &db,
            &cast.channel,
            &monthly(
                "十一月例会",
                "2026-11-18T14:00",
                "2026-11-18T16:00",
                vec![sh],
            ),
        )
        .await
        .expect("planned");
        // No answers before the invitation.
        assert!(
            app::rsvp(&db, &cast.p1, m.id, Rsvp::Accepted, RsvpVia::Portal)
                .await
                .is_err()
        );
        app::invite(&db, &cast.channel, m.id)
            .await
            .expect("invited");
        let mine = app::rsvp(&db, &cast.p1, m.id, Rsvp::Accepted, RsvpVia::Portal)
            .await
            .expect("p1 accepts");
        assert_eq!(
            (mine.response, mine.responded_via),
            (Rsvp::Accepted, Some(RsvpVia::Portal)),
            "{name}"
        );
        assert!(
            matches!(
                app::rsvp(&db, &cast.p2, m.id, Rsvp::Accepted, RsvpVia::Portal).await,
                Err(Error::NotFound)
            ),
            "{name}: p2 is not invited"
        );
        // Another of SH-D001's people answers from the e-mail's one-click link.
        let people = liaison_db::meetings::list_attendees(&db, m.id, false)
            .await
            .expect("people");
        let other = people
            .iter()
            .find(|a| a.email.is_some() && a.id != mine.id)
            .expect("another contact");
        let token = app::rsvp_token(&db, other.id, m.ends_at).expect("token");
        let seen = app::rsvp_by_link(&db, &token, None)
            .await
            .expect("the link shows");
        assert_eq!(
            seen.attendee.response,
            Rsvp::NeedsAction,
            "{name}: looking is not answering"
        );
        let v = app::rsvp_by_link(&db, &token, Some(Rsvp::Tentative))
            .await
            .expect("answered");
        assert_eq!(
            (v.attendee.response, v.attendee.responded_via),
            (Rsvp::Tentative, Some(RsvpVia::Link))
        );
        assert!(matches!(
            app::rsvp_by_link(&db, "bogus", None).await,
            Err(Error::NotFound)
        ));
        // Then changes their mind in their calendar: a METHOD:REPLY mailed back.
        let email = other.email.clone().expect("address");
        let reply = liaison_docs::ics::Reply {
            method: "REPLY".into(),
            uid: format!("{}@liaison", m.id),
            sequence: 0,
            attendee_email: email.to_uppercase(),
            partstat: liaison_docs::ics::PartStat::Declined,
        };
        assert_eq!(
            app::rsvp_by_mail(&db, &reply).await.expect("filed"),
            Some(m.id),
            "{name}"
        );
        let after = liaison_db::meetings::find_attendee(&db, other.id)
            .await
            .expect("row");
        assert_eq!(
            (after.response, after.responded_via),
            (Rsvp::Declined, Some(RsvpVia::Email)),
            "{name}"
        );
        // A reply for an address never invited, or an unknown UID, records nothing.
        let stranger = liaison_docs::ics::Reply {
            attendee_email: "someone@else.example".into(),
            ..reply.clone()
        };
        assert_eq!(app::rsvp_by_mail(&db, &stranger).await.expect("read"), None);
        let unknown = liaison_docs::ics::Reply {
            uid: "x@elsewhere".into(),
            ..reply
        };
        assert_eq!(app::rsvp_by_mail(&db, &unknown).await.expect("read"), None);
        let answers = liaison_db::meetings::answers(&db, m.id)
            .await
            .expect("answers");
        assert_eq!((answers.accepted, answers.declined), (1, 1), "{name}");
        // An expired link (a week after the meeting) is gone.
        clock.advance(Duration::days(30));
        assert!(
            matches!(
                app::rsvp_by_link(&db, &token, None).await,
                Err(Error::Gone(_))
            ),
            "{name}"
        );
    }
}

async fn contact_of_p1(db: &Db, cast: &Cast) -> uuid::Uuid {
    liaison_db::user::find_user(db, cast.p1.user_id)
        .await
        .expect("user")
        .and_then(|u| u.contact_id)
        .expect("p1 is a contact")
}

#[tokio::test]
async fn minutes_make_tasks_that_only_their_partner_sees_and_the_sweep_chases() {
    let (dbs, _g) = backends().await;
    for (name, db) in dbs {
        let clock = Arc::new(FixedClock::new(bj(2026, 11, 2, 10, 0)));
        let db = db.with_clock(clock.clone());
        let cast = Cast::load(&db).await;
        let sh = p1_partner(&cast).await;
        let m = app::create(
            &db,
            &cast.channel,
            &monthly(
                "十一月例会",
                "2026-11-18T14:00",
                "2026-11-18T16:00",
                vec![sh],
            ),
        )
        .await
        .expect("planned");
        app::invite(&db, &cast.channel, m.id)
            .await
            .expect("invited");
        let minutes = MinutesInput {
            minutes: Some("回顾了十月销售，确定了双十二促销。".into()),
            decisions: vec!["双十二促销价格按方案 B 执行".into()],
            attendance: Vec::new(),
            action_items: vec![
                ActionInput {
                    title: "提交双十二备货计划".into(),
                    owner_contact_id: Some(contact_of_p1(&db, &cast).await),
                    due_on: "2026-11-25".into(),
                    ..Default::default()
                },
                ActionInput {
                    title: "发送促销物料".into(),
                    owner_user_id: Some(cast.staff.user_id),
                    due_on: "2026-11-20".into(),
                    ..Default::default()
                },
            ],
        };
        // Not before it began.
        assert!(matches!(
            app::record_minutes(&db, &cast.channel, m.id, &minutes).await,
            Err(Error::Denied(_))
        ));
        clock.advance(Duration::days(16) + Duration::hours(6));
        let people = liaison_db::meetings::list_attendees(&db, m.id, false)
            .await
            .expect("people");
        let liu = contact_of_p1(&db, &cast).await;
        let mut with_attendance = minutes.clone_for_test();
        with_attendance.attendance = people
            .iter()
            .map(|a| AttendanceInput {
                attendee_id: Some(a.id),
                attended: a.contact_id == Some(liu),
            })
            .collect();
        let held = app::record_minutes(&db, &cast.channel, m.id, &with_attendance)
            .await
            .expect("held");
        assert_eq!(held.state, MeetingState::Held, "{name}");
        assert_eq!(
            liaison_db::meetings::answers(&db, m.id)
                .await
                .expect("a")
                .attended,
            1,
            "{name}"
        );
        let p1_tasks = app::tasks(&db, &cast.p1, None, false)
            .await
            .expect("p1's tasks");
        let mine = p1_tasks
            .iter()
            .find(|t| t.title == "提交双十二备货计划")
            .expect("p1's action item");
        assert!(p1_tasks.iter().all(|t| t.partner_id == Some(sh)), "{name}");
        assert!(
            app::tasks(&db, &cast.p2, None, false)
                .await
                .expect("p2")
                .iter()
                .all(|t| t.id != mine.id),
            "{name}"
        );
        assert!(
            matches!(
                app::set_task(&db, &cast.p2, mine.id, TaskStatus::Done).await,
                Err(Error::NotFound)
            ),
            "{name}"
        );
        assert!(
            matches!(
                app::set_task(&db, &cast.head, mine.id, TaskStatus::Done).await,
                Err(Error::Forbidden)
            ),
            "{name}"
        );
        let staff_tasks = app::tasks(&db, &cast.staff, Some(TaskStatus::Open), false)
            .await
            .expect("staff");
        assert!(
            staff_tasks.iter().any(|t| t.title == "发送促销物料"),
            "{name}"
        );
        // 19 November: staff's item is due tomorrow (reminded); 27 November: p1's is overdue
        // (escalated to the chair); p1 ticks it done.
        clock.advance(Duration::days(1));
        let r = app::sweep(&db).await.expect("sweep");
        assert!(r.reminded >= 1, "{name}: {r:?}");
        assert!(
            crate::count(
                &db,
                "SELECT COUNT(*) FROM notifications WHERE kind = 'task_due'"
            )
            .await
                >= 1
        );
        clock.advance(Duration::days(7));
        let r = app::sweep(&db).await.expect("sweep");
        assert!(r.escalated >= 1, "{name}: {r:?}");
        assert!(
            liaison_db::notify::list(&db, cast.channel.user_id, false, None, 100)
                .await
                .expect("bell")
                .iter()
                .any(|n| n.kind == NotifyKind::TaskOverdue),
            "{name}: the chair is told"
        );
        let again = app::sweep(&db).await.expect("sweep");
        assert_eq!(
            (again.reminded, again.escalated),
            (0, 0),
            "{name}: once each"
        );
        let done = app::set_task(&db, &cast.p1, mine.id, TaskStatus::Done)
            .await
            .expect("done");
        assert_eq!(done.status, TaskStatus::Done, "{name}");
    }
}

trait CloneForTest {
    fn clone_for_test(&self) -> Self;
}
impl CloneForTest for MinutesInput {
    fn clone_for_test(&self) -> Self {
        MinutesInput {
            minutes: self.minutes.clone(),
            decisions: self.decisions.clone(),
            attendance: Vec::new(),
            action_items: self.action_items.clone(),
        }
    }
}

#[tokio::test]
async fn the_cadence_shows_a_short_quarter_and_warns_channel_management_once_5_1() {
    let (dbs, _g) = backends().await;
    for (name, db) in dbs {
        let clock = Arc::new(FixedClock::new(bj(2027, 1, 5, 10, 0)));
        let db = db.with_clock(clock.clone());
        let cast = Cast::load(&db).await;
        let sh = p1_partner(&cast).await;
        let q = |t: &str, s: &str, e: &str| MeetingInput {
            kind: Some("quarterly".into()),
            ..monthly(t, s, e, vec![sh])
        };
        let q1 = app::create(
            &db,
            &cast.channel,
            &q("一季度会", "2027-03-17T14:00", "2027-03-17T16:00"),
        )
        .await
        .expect("Q1");
        assert_eq!(q1.kind, MeetingKind::Quarterly);
        // Q2 has nothing: in April it is heading short; by July it is short.
        clock.advance(Duration::days(100));
        let rows = app::cadence(&db, &cast.channel, 2027)
            .await
            .expect("cadence");
        let q2 = rows
            .iter()
            .find(|r| r.kind == MeetingKind::Quarterly && r.period == "2027-Q2")
            .expect("Q2");
        assert_eq!(
            (q2.required, q2.planned, q2.held, q2.status),
            (1, 0, 0, CadenceStatus::HeadingShort),
            "{name}"
        );
        let q1row = rows.iter().find(|r| r.period == "2027-Q1").expect("Q1");
        assert_eq!(
            (q1row.planned, q1row.status),
            (1, CadenceStatus::Short),
            "{name}: planned but never held"
        );
        let before = count(
            &db,
            "SELECT COUNT(*) FROM notifications WHERE kind = 'cadence_short'",
        )
        .await;
        let r = app::sweep(&db).await.expect("sweep");
        assert!(r.cadence_warnings >= 1, "{name}");
        let after = count(
            &db,
            "SELECT COUNT(*) FROM notifications WHERE kind = 'cadence_short'",
        )
        .await;
        assert!(after > before, "{name}");
        app::sweep(&db).await.expect("sweep");
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM notifications WHERE kind = 'cadence_short'"
            )
            .await,
            after,
            "{name}: once a period"
        );
        // Planning the series fills the short periods still to come.
        let made = app::plan_series(
            &db,
            &cast.channel,
            &app::SeriesInput {
                kind: "quarterly".into(),
                year: 2027,
                title: "季度会议".into(),
                invitees: Invitees {
                    partners: vec![sh],
                    ..Default::default()
                },
            },
        )
        .await
        .expect("series");
        assert_eq!(made.len(), 3, "{name}: Q2, Q3, Q4");
        let rows = app::cadence(&db, &cast.channel, 2027)
            .await
            .expect("cadence");
        let q3 = rows.iter().find(|r| r.period == "2027-Q3").expect("Q3");
        assert_eq!(q3.status, CadenceStatus::OnTrack, "{name}");
        assert!(matches!(
            app::cadence(&db, &cast.p1, 2027).await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            app::plan_series(&db, &cast.staff, &app::SeriesInput::default()).await,
            Err(Error::Forbidden)
        ));
    }
}

#[tokio::test]
async fn the_private_feed_lists_ones_meetings_and_a_revoked_token_is_not_found() {
    let (dbs, _g) = backends().await;
    for (name, db) in dbs {
        let clock = Arc::new(FixedClock::new(bj(2026, 12, 1, 10, 0)));
        let db = db.with_clock(clock.clone());
        let cast = Cast::load(&db).await;
        let sh = p1_partner(&cast).await;
        let m = app::create(
            &db,
            &cast.channel,
            &monthly(
                "年终总结会",
                "2026-12-22T14:00",
                "2026-12-22T16:00",
                vec![sh],
            ),
        )
        .await
        .expect("planned");
        let token = app::feed_token(&db, &cast.p1, false).await.expect("token");
        assert_eq!(
            app::feed_token(&db, &cast.p1, false).await.expect("again"),
            token,
            "{name}: the same address"
        );
        let text = app::feed(&db, &token).await.expect("feed");
        assert!(
            !text.contains("年终总结会"),
            "{name}: planned meetings are not the partner's yet"
        );
        app::invite(&db, &cast.channel, m.id)
            .await
            .expect("invited");
        let text = app::feed(&db, &token).await.expect("feed");
        assert!(
            text.contains("年终总结会") && text.contains(&format!("UID:{}@liaison", m.id)),
            "{name}"
        );
        assert!(
            text.starts_with("BEGIN:VCALENDAR") && text.contains("BEGIN:VTIMEZONE"),
            "{name}"
        );
        let renewed = app::feed_token(&db, &cast.p1, true).await.expect("renewed");
        assert!(
            matches!(app::feed(&db, &token).await, Err(Error::NotFound)),
            "{name}: the old address is dead"
        );
        app::feed(&db, &renewed).await.expect("the new one works");
        app::revoke_feed(&db, &cast.p1).await.expect("revoked");
        assert!(
            matches!(app::feed(&db, &renewed).await, Err(Error::NotFound)),
            "{name}"
        );
        assert!(matches!(
            app::feed(&db, "garbage").await,
            Err(Error::NotFound)
        ));
        // p2's list never holds it.
        let p2 = app::list(&db, &cast.p2, MeetingFilter::default(), false, 100)
            .await
            .expect("p2");
        assert!(p2.iter().all(|x| x.id != m.id), "{name}");
        let _: &Actor = &cast.p2;
    }
}
