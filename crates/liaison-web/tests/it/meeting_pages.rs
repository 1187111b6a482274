//! Meetings' pages (issue 14; §2.1.3, §5.1, §5.3.1): the console's list, form with the "check
//! time" preview, meeting, cadence, tasks and settings; the portal's meetings, answers and
//! action items; the one-click answer link; who may see what.

use crate::pages::{browser_login, csrf, get};
use crate::{TestApp, apps};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use liaison_app::meetings::{self as app, ActionInput, MeetingInput, MinutesInput};
use liaison_db::meetings::Invitees;
use uuid::Uuid;

async fn actor_of(a: &TestApp, email: &str) -> liaison_core::Actor {
    liaison_db::user::list_users(&a.db)
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.email == email)
        .expect("demo user")
        .actor()
}

fn form(path: &str, cookie: &str, pairs: &[(&str, &str)]) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(path)
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT_LANGUAGE, "zh-CN")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(
            serde_urlencoded::to_string(pairs).expect("form"),
        ))
        .expect("request")
}

/// A meeting planned by channel management, inviting `partners` (codes), at a local time in
/// Shanghai.
async fn plan(a: &TestApp, title: &str, partners: &[&str], starts: &str, ends: &str) -> Uuid {
    let channel = actor_of(a, "channel@demo.example").await;
    let mut ids = Vec::new();
    for p in partners {
        ids.push(Uuid::parse_str(&a.partner_id(p).await).expect("id"));
    }
    let m = app::create(
        &a.db,
        &channel,
        &MeetingInput {
            kind: Some("monthly".into()),
            title: Some(title.into()),
            starts_at: Some(starts.into()),
            ends_at: Some(ends.into()),
            place: Some("上海总部 3 楼会议室".into()),
            agenda: Some("1. **返利**政策\n2. 新品".into()),
            invitees: Some(Invitees {
                partners: ids,
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await
    .expect("meeting");
    m.id
}

async fn invited(a: &TestApp, title: &str, partners: &[&str], starts: &str, ends: &str) -> Uuid {
    let id = plan(a, title, partners, starts, ends).await;
    let channel = actor_of(a, "channel@demo.example").await;
    app::invite(&a.db, &channel, id).await.expect("invite");
    id
}

fn location(r: &axum::response::Response) -> String {
    r.headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

async fn send(a: &TestApp, req: Request<Body>) -> (StatusCode, String, String) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let resp = a.router.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let loc = location(&resp);
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, loc, String::from_utf8_lossy(&body).into_owned())
}

/// A meeting held yesterday with one action item for p1's contact (刘洋) and one for staff.
async fn held_with_tasks(a: &TestApp) -> (Uuid, Vec<Uuid>) {
    let now = a.db.now();
    let tz = chrono_tz::Asia::Shanghai;
    let start = (now - chrono::Duration::days(1))
        .with_timezone(&tz)
        .format("%Y-%m-%dT10:00")
        .to_string();
    let end = (now - chrono::Duration::days(1))
        .with_timezone(&tz)
        .format("%Y-%m-%dT11:00")
        .to_string();
    let id = plan(a, "十二月月度工作会议", &["SH-D001"], &start, &end).await;
    let channel = actor_of(a, "channel@demo.example").await;
    let staff = actor_of(a, "staff@demo.example").await;
    let liu = liaison_db::user::list_users(&a.db)
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.email == "p1@demo.example")
        .and_then(|u| u.contact_id)
        .expect("p1 is a contact");
    let due = (now + chrono::Duration::days(10))
        .with_timezone(&tz)
        .format("%Y-%m-%d")
        .to_string();
    app::record_minutes(
        &a.db,
        &channel,
        id,
        &MinutesInput {
            minutes: Some("讨论了返利核对。".into()),
            decisions: vec!["一月起按季度核对返利".into()],
            attendance: vec![],
            action_items: vec![
                ActionInput {
                    title: "提交十二月库存表".into(),
                    owner_contact_id: Some(liu),
                    due_on: due.clone(),
                    ..Default::default()
                },
                ActionInput {
                    title: "寄送新品样品".into(),
                    owner_user_id: Some(staff.user_id),
                    due_on: due,
                    ..Default::default()
                },
            ],
        },
    )
    .await
    .expect("minutes");
    let tasks = liaison_db::meetings::list_tasks(
        &a.db,
        &liaison_db::meetings::TaskFilter {
            meeting: Some(id),
            ..Default::default()
        },
        10,
    )
    .await
    .expect("tasks");
    (id, tasks.into_iter().map(|t| t.id).collect())
}

#[tokio::test]
async fn meeting_pages_render_in_every_language_without_codes() {
    let (apps, _g) = apps().await;
    let a = &apps[0];
    let id = invited(
        a,
        "一月月度工作会议",
        &["SH-D001"],
        "2027-01-13T14:00",
        "2027-01-13T16:00",
    )
    .await;
    let (held, _) = held_with_tasks(a).await;
    let channel_c = browser_login(a, "channel@demo.example").await;
    let staff_c = browser_login(a, "staff@demo.example").await;
    let p1_c = browser_login(a, "p1@demo.example").await;
    let english: Vec<(&str, &str)> = liaison_i18n::keys(liaison_i18n::Lang::En)
        .into_iter()
        .filter(|k| {
            k.starts_with("meeting")
                || k.starts_with("cadence")
                || k.starts_with("task")
                || k.starts_with("account.feed")
        })
        .filter_map(|k| {
            let en = liaison_i18n::lookup(liaison_i18n::Lang::En, k)?;
            let zh = liaison_i18n::lookup(liaison_i18n::Lang::ZhCn, k)?;
            (en != zh && en.contains(' ') && en.len() >= 12 && !en.contains('{')).then_some((k, en))
        })
        .collect();
    for lang in ["zh-CN", "zh-TW", "en"] {
        for (cookie, path, expect) in [
            (
                &channel_c,
                "/console/meetings".to_string(),
                "一月月度工作会议",
            ),
            (
                &channel_c,
                "/console/meetings/new".to_string(),
                "meeting-check",
            ),
            (
                &channel_c,
                format!("/console/meetings/{id}"),
                "meeting-invite",
            ),
            (
                &channel_c,
                format!("/console/meetings/{id}/edit"),
                "2027-01-13T14:00",
            ),
            (
                &channel_c,
                format!("/console/meetings/{held}"),
                "minutes-form",
            ),
            (
                &channel_c,
                "/console/cadence?year=2027".to_string(),
                "cadence-monthly-2027-01",
            ),
            (
                &channel_c,
                "/console/tasks?all=1".to_string(),
                "提交十二月库存表",
            ),
            (&staff_c, "/console/tasks".to_string(), "寄送新品样品"),
            (
                &channel_c,
                "/console/settings/meetings".to_string(),
                "business-date-form",
            ),
            (&channel_c, "/account".to_string(), "calendar-feed"),
            (&p1_c, "/portal/meetings".to_string(), "一月月度工作会议"),
            (&p1_c, format!("/portal/meetings/{id}"), "rsvp-accepted"),
            (
                &p1_c,
                format!("/portal/meetings/{held}"),
                "提交十二月库存表",
            ),
            (&p1_c, "/portal/tasks".to_string(), "task-done-"),
            (&p1_c, "/account".to_string(), "feed-create"),
        ] {
            let r = a.send(get(&path, Some(cookie), lang)).await;
            assert_eq!(r.status, StatusCode::OK, "{lang} {path}: {}", r.text());
            let html = r.text();
            assert!(html.contains(expect), "{lang} {path} lacks {expect}");
            for raw in [
                "meeting_page.",
                "meeting.kind.",
                "meeting.state.",
                "meeting.rsvp.",
                "cadence.status.",
                "task.status.",
                "account.feed",
                "nav.",
                "{{",
                "{ $",
            ] {
                assert!(!html.contains(raw), "{lang} {path} shows {raw}");
            }
            if lang != "en" {
                for (k, en) in &english {
                    assert!(
                        !html.contains(en),
                        "{lang} {path} shows {k} in English: {en}"
                    );
                }
            }
        }
    }
    let zh = a
        .send(get("/console/meetings", Some(&channel_c), "zh-CN"))
        .await
        .text();
    assert!(zh.contains("月度工作会议") && zh.contains("已邀请"), "{zh}");
    assert!(zh.contains("id=\"nav-meetings\"") && zh.contains("id=\"nav-tasks\""));
    let tw = a
        .send(get("/portal/meetings", Some(&p1_c), "zh-TW"))
        .await
        .text();
    assert!(tw.contains("會議") && tw.contains("待辦"), "{tw}");
}

#[tokio::test]
async fn another_partner_and_partner_users_are_kept_out() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let id = invited(
            a,
            "恒通专场会议",
            &["SH-D001"],
            "2027-01-20T14:00",
            "2027-01-20T15:00",
        )
        .await;
        let (_, tasks) = held_with_tasks(a).await;
        let p2 = browser_login(a, "p2@demo.example").await;
        let p1 = browser_login(a, "p1@demo.example").await;
        let r = a
            .send(get(&format!("/portal/meetings/{id}"), Some(&p2), "zh-CN"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}] {}", r.text());
        let list = a
            .send(get("/portal/meetings", Some(&p2), "zh-CN"))
            .await
            .text();
        assert!(!list.contains("恒通专场会议"), "[{n}]");
        let tasks_page = a
            .send(get("/portal/tasks", Some(&p2), "zh-CN"))
            .await
            .text();
        assert!(!tasks_page.contains("提交十二月库存表"), "[{n}]");
        for t in &tasks {
            let (status, _, _) = send(
                a,
                form(
                    &format!("/portal/tasks/{t}"),
                    &p2,
                    &[("_csrf", &csrf(&p2)), ("status", "done")],
                ),
            )
            .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "[{n}] p2 ticks p1's task");
        }
        for path in [
            "/console/meetings".to_string(),
            "/console/meetings/new".to_string(),
            format!("/console/meetings/{id}"),
            "/console/cadence".to_string(),
            "/console/tasks".to_string(),
            "/console/settings/meetings".to_string(),
        ] {
            let r = a.send(get(&path, Some(&p1), "zh-CN")).await;
            assert!(
                matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                "[{n}] {path}: {}",
                r.status
            );
        }
        // Staff without channel management see no meeting settings.
        let staff = browser_login(a, "staff@demo.example").await;
        let r = a
            .send(get("/console/settings/meetings", Some(&staff), "zh-CN"))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}]");
    }
}

#[tokio::test]
async fn partner_answers_with_the_buttons_and_ticks_its_task_done() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let id = invited(
            a,
            "二月月度工作会议",
            &["SH-D001"],
            "2027-02-17T14:00",
            "2027-02-17T16:00",
        )
        .await;
        let p1 = browser_login(a, "p1@demo.example").await;
        let page = a
            .send(get(&format!("/portal/meetings/{id}"), Some(&p1), "zh-CN"))
            .await
            .text();
        assert!(
            page.contains("data-response=\"needs_action\""),
            "[{n}] {page}"
        );
        assert!(
            page.contains("<strong>返利</strong>"),
            "[{n}] agenda rendered"
        );
        let (status, loc, _) = send(
            a,
            form(
                &format!("/portal/meetings/{id}/rsvp"),
                &p1,
                &[("_csrf", &csrf(&p1)), ("response", "tentative")],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        assert!(
            loc.starts_with(&format!("/portal/meetings/{id}")),
            "[{n}] {loc}"
        );
        let page = a.send(get(&loc, Some(&p1), "zh-CN")).await.text();
        assert!(
            page.contains("id=\"rsvp-mine\" data-response=\"tentative\""),
            "[{n}]"
        );
        // A forged post changes nothing.
        let (status, _, _) = send(
            a,
            form(
                &format!("/portal/meetings/{id}/rsvp"),
                &p1,
                &[("_csrf", "forged"), ("response", "declined")],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{n}]");
        let staff_view = a
            .send(get(
                &format!("/console/meetings/{id}"),
                Some(&browser_login(a, "channel@demo.example").await),
                "zh-CN",
            ))
            .await
            .text();
        assert!(staff_view.contains("data-response=\"tentative\""), "[{n}]");

        let (_, tasks) = held_with_tasks(a).await;
        let mine = a
            .send(get("/portal/tasks", Some(&p1), "zh-CN"))
            .await
            .text();
        let partner_task = tasks
            .iter()
            .find(|t| mine.contains(&format!("task-done-{t}")))
            .copied()
            .expect("p1's task has a done button");
        let (status, _, _) = send(
            a,
            form(
                &format!("/portal/tasks/{partner_task}"),
                &p1,
                &[("_csrf", &csrf(&p1)), ("status", "done")],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        let mine = a
            .send(get("/portal/tasks", Some(&p1), "zh-CN"))
            .await
            .text();
        assert!(
            mine.contains(&format!("id=\"task-{partner_task}\" data-status=\"done\"")),
            "[{n}] {mine}"
        );
    }
}

#[tokio::test]
async fn the_one_click_link_records_an_answer_without_login() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let id = invited(
            a,
            "三月季度预备会",
            &["SH-D001"],
            "2027-03-10T14:00",
            "2027-03-10T16:00",
        )
        .await;
        let people = liaison_db::meetings::list_attendees(&a.db, id, false)
            .await
            .expect("attendees");
        let who = people.first().expect("someone invited");
        let m = liaison_db::meetings::find_meeting(&a.db, id)
            .await
            .expect("meeting");
        let token = app::rsvp_token(&a.db, who.id, m.ends_at).expect("token");
        let page = a.send(get(&format!("/rsvp/{token}"), None, "zh-CN")).await;
        assert_eq!(page.status, StatusCode::OK, "[{n}] {}", page.text());
        assert!(page.text().contains("三月季度预备会"), "[{n}]");
        assert!(
            page.text().contains(&format!("/rsvp/{token}/accepted")),
            "[{n}]"
        );
        let r = a
            .send(get(&format!("/rsvp/{token}/accepted"), None, "zh-CN"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        assert!(
            r.text()
                .contains("id=\"rsvp-thanks\" data-response=\"accepted\""),
            "[{n}]"
        );
        assert!(r.text().contains("接受"), "[{n}]");
        let after = liaison_db::meetings::find_attendee(&a.db, who.id)
            .await
            .expect("attendee");
        assert_eq!(after.response.as_str(), "accepted", "[{n}]");
        // An altered link is the 404 page, an unknown answer too.
        let r = a
            .send(get("/rsvp/not-a-token/accepted", None, "zh-CN"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}]");
        let r = a
            .send(get(&format!("/rsvp/{token}/maybe"), None, "zh-CN"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}]");
        // An expired link: a friendly page pointing to the portal.
        let old = liaison_db::link::sign_rsvp(
            a.db.cipher().expect("cipher"),
            who.id,
            a.db.now() - chrono::Duration::days(1),
        );
        let r = a.send(get(&format!("/rsvp/{old}"), None, "zh-CN")).await;
        assert_eq!(r.status, StatusCode::GONE, "[{n}] {}", r.text());
        assert!(r.text().contains("/portal/meetings"), "[{n}]");
        // A cancelled meeting takes no answer: the link's page says so.
        let channel = actor_of(a, "channel@demo.example").await;
        app::cancel(&a.db, &channel, id).await.expect("cancel");
        let r = a
            .send(get(&format!("/rsvp/{token}/declined"), None, "zh-CN"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        assert!(r.text().contains("id=\"rsvp-cancelled\""), "[{n}]");
        assert!(!r.text().contains("rsvp-thanks"), "[{n}]");
    }
}

#[tokio::test]
async fn check_time_lists_a_holiday_and_another_meeting_without_saving() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        invited(
            a,
            "恒通三月经营分析会",
            &["SH-D001"],
            "2027-03-10T14:00",
            "2027-03-10T16:00",
        )
        .await;
        let c = browser_login(a, "channel@demo.example").await;
        let token = csrf(&c);
        let before = app::list(
            &a.db,
            &actor_of(a, "channel@demo.example").await,
            Default::default(),
            false,
            500,
        )
        .await
        .expect("list")
        .len();
        let base = |starts: &'static str, ends: &'static str, op: &'static str| {
            vec![
                ("_csrf", token.clone()),
                ("kind", "monthly".to_string()),
                ("title", "恒通月度工作会议".to_string()),
                ("starts_at", starts.to_string()),
                ("ends_at", ends.to_string()),
                ("timezone", "Asia/Shanghai".to_string()),
                ("classification", "internal".to_string()),
                ("partners", "SH-D001".to_string()),
                ("agenda", "1. 库存\r\n2. 返利".to_string()),
                ("op", op.to_string()),
            ]
        };
        let post = |pairs: Vec<(&'static str, String)>| {
            let p: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            form("/console/meetings", &c, &p)
        };
        // The Spring Festival holiday (2027-02-08, provisional in the shipped calendar).
        let (status, _, html) = send(
            a,
            post(base("2027-02-08T14:00", "2027-02-08T16:00", "check")),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "[{n}] {html}");
        assert!(html.contains("id=\"clash-list\""), "[{n}]");
        assert!(html.contains("class=\"clash clash-holiday"), "[{n}] {html}");
        assert!(html.contains("春节"), "[{n}] the holiday by name");
        assert!(html.contains("SH-D001"), "[{n}] the partner affected");
        assert!(
            html.contains("value=\"恒通月度工作会议\""),
            "[{n}] the typed title kept"
        );
        // Another meeting of the same partner at that time.
        let (status, _, html) = send(
            a,
            post(base("2027-03-10T15:00", "2027-03-10T17:00", "check")),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "[{n}]");
        assert!(html.contains("class=\"clash clash-meeting"), "[{n}] {html}");
        assert!(html.contains("恒通三月经营分析会"), "[{n}]");
        let after = app::list(
            &a.db,
            &actor_of(a, "channel@demo.example").await,
            Default::default(),
            false,
            500,
        )
        .await
        .expect("list")
        .len();
        assert_eq!(before, after, "[{n}] checking saves nothing");
        // A bad time is shown beside its field, the text kept.
        let (status, _, html) = send(
            a,
            post(base("2027-03-10T15:00", "2027-03-10T14:00", "save")),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(html.contains("id=\"error-ends_at\""), "[{n}] {html}");
        // Saving goes to the meeting, whose page shows the clash too.
        let (status, loc, _) = send(
            a,
            post(base("2027-03-10T15:00", "2027-03-10T17:00", "save")),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        let page = a.send(get(&loc, Some(&c), "zh-CN")).await.text();
        assert!(
            page.contains("id=\"meeting-state\" data-state=\"planned\""),
            "[{n}]"
        );
        assert!(page.contains("class=\"clash clash-meeting"), "[{n}]");
        // Unknown partner codes are named beside the field.
        let mut bad = base("2027-03-24T14:00", "2027-03-24T16:00", "save");
        bad[7].1 = "SH-D001, XX-NOPE".into();
        let (status, _, html) = send(a, post(bad)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(
            html.contains("id=\"error-partners\"") && html.contains("XX-NOPE"),
            "[{n}]"
        );
        // Inviting from the meeting page.
        let mid = loc
            .trim_start_matches("/console/meetings/")
            .split('?')
            .next()
            .unwrap_or("")
            .to_string();
        let (status, loc, _) = send(
            a,
            form(
                &format!("/console/meetings/{mid}/invite"),
                &c,
                &[("_csrf", &token)],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        let page = a.send(get(&loc, Some(&c), "zh-CN")).await.text();
        assert!(page.contains("data-state=\"invited\""), "[{n}]");
        // Moving it from the edit form (read at its version); a stale form is a conflict.
        let m = liaison_db::meetings::find_meeting(&a.db, Uuid::parse_str(&mid).expect("id"))
            .await
            .expect("meeting");
        let edit = format!("/console/meetings/{mid}/edit");
        let mut moved = base("2027-03-11T15:00", "2027-03-11T17:00", "save");
        moved.push(("version", m.version.to_string()));
        let p: Vec<(&str, &str)> = moved.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _, html) = send(a, form(&edit, &c, &p)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}] {html}");
        let (status, _, _) = send(a, form(&edit, &c, &p)).await;
        assert_eq!(status, StatusCode::CONFLICT, "[{n}] the same version again");
        let after = liaison_db::meetings::find_meeting(&a.db, m.id)
            .await
            .expect("meeting");
        assert_eq!(after.sequence, m.sequence + 1, "[{n}] an update is sent");
    }
}

#[tokio::test]
async fn minutes_form_records_attendance_decisions_and_action_items() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let now = a.db.now();
        let tz = chrono_tz::Asia::Shanghai;
        let day = (now - chrono::Duration::days(2)).with_timezone(&tz);
        let id = plan(
            a,
            "十一月末月度会",
            &["SH-D001"],
            &day.format("%Y-%m-%dT09:00").to_string(),
            &day.format("%Y-%m-%dT10:00").to_string(),
        )
        .await;
        let c = browser_login(a, "channel@demo.example").await;
        let token = csrf(&c);
        let staff = actor_of(a, "staff@demo.example").await;
        let owner = format!("u:{}", staff.user_id);
        let due = (now + chrono::Duration::days(7))
            .with_timezone(&tz)
            .format("%Y-%m-%d")
            .to_string();
        // A row without a due date: shown beside that row, the text kept.
        let (status, _, html) = send(
            a,
            form(
                &format!("/console/meetings/{id}/minutes"),
                &c,
                &[
                    ("_csrf", &token),
                    ("minutes", "会议纪要正文"),
                    ("decisions", "决议一\n决议二"),
                    ("ai_title_1", "整理陈列照片"),
                    ("ai_owner_1", &owner),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {html}");
        assert!(html.contains("id=\"error-ai_due_1\""), "[{n}] {html}");
        assert!(html.contains("整理陈列照片"), "[{n}]");
        let (status, loc, _) = send(
            a,
            form(
                &format!("/console/meetings/{id}/minutes"),
                &c,
                &[
                    ("_csrf", &token),
                    ("minutes", "会议纪要正文"),
                    ("decisions", "决议一\n决议二"),
                    ("ai_title_1", "整理陈列照片"),
                    ("ai_owner_1", &owner),
                    ("ai_due_1", &due),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        let page = a.send(get(&loc, Some(&c), "zh-CN")).await.text();
        assert!(page.contains("data-state=\"held\""), "[{n}]");
        assert!(
            page.contains("决议二") && page.contains("整理陈列照片"),
            "[{n}]"
        );
        let tasks = a
            .send(get(
                "/console/tasks",
                Some(&browser_login(a, "staff@demo.example").await),
                "zh-CN",
            ))
            .await
            .text();
        assert!(
            tasks.contains("整理陈列照片") && tasks.contains("十一月末月度会"),
            "[{n}]"
        );
    }
}

#[tokio::test]
async fn cadence_settings_and_calendar_feed_pages_work() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let c = browser_login(a, "channel@demo.example").await;
        let token = csrf(&c);
        // Planning the short periods of 2027's quarterly meetings.
        let (status, loc, html) = send(
            a,
            form(
                "/console/cadence/series",
                &c,
                &[
                    ("_csrf", &token),
                    ("kind", "quarterly"),
                    ("year", "2027"),
                    ("title", "季度会议"),
                    ("partners", "SH-D001"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}] {html}");
        let page = a.send(get(&loc, Some(&c), "zh-CN")).await.text();
        assert!(
            page.contains("id=\"cadence-quarterly-2027-Q2\" data-status=\"on_track\""),
            "[{n}] {page}"
        );
        assert!(page.contains("已安排"), "[{n}]");
        // Settings: a bad number beside its field, then saved.
        let (status, _, html) = send(
            a,
            form(
                "/console/settings/meetings",
                &c,
                &[
                    ("_csrf", &token),
                    ("notice_partner_conference", "30"),
                    ("notice_quarterly", "14"),
                    ("notice_monthly", "999"),
                    ("notice_ad_hoc", "1"),
                    ("notice_training", "7"),
                    ("notice_launch_briefing", "7"),
                    ("cadence_partner_conference", "1"),
                    ("cadence_quarterly", "1"),
                    ("cadence_monthly", "2"),
                    ("visit_A", "1"),
                    ("visit_B", "3"),
                    ("visit_C", "6"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {html}");
        assert!(html.contains("id=\"error-notice_monthly\""), "[{n}] {html}");
        assert!(html.contains("value=\"999\""), "[{n}]");
        // A business date added and removed.
        let (status, _, _) = send(
            a,
            form(
                "/console/settings/meetings/dates",
                &c,
                &[
                    ("_csrf", &token),
                    ("on", "2027-03-25"),
                    ("date_title", "春季订货会"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        let page = a
            .send(get("/console/settings/meetings", Some(&c), "zh-CN"))
            .await
            .text();
        assert!(page.contains("春季订货会"), "[{n}]");
        // The account page's feed: created, renewed (a new address), stopped.
        let feed = |body: &str| -> Option<String> {
            body.split("id=\"feed-url\">")
                .nth(1)
                .and_then(|s| s.split('<').next())
                .map(str::to_string)
        };
        let acc = a.send(get("/account", Some(&c), "zh-CN")).await.text();
        assert!(acc.contains("feed-create"), "[{n}]");
        let mut urls = Vec::new();
        for op in ["create", "renew"] {
            let (status, _, _) = send(
                a,
                form(
                    "/account/calendar-feed",
                    &c,
                    &[("_csrf", &token), ("op", op)],
                ),
            )
            .await;
            assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
            let acc = a.send(get("/account", Some(&c), "zh-CN")).await.text();
            let url = feed(&acc).expect("feed address").replace("&#x2f;", "/");
            assert!(
                url.contains("/calendar/") && url.ends_with(".ics"),
                "[{n}] {url}"
            );
            assert!(
                acc.contains("webcal:&#x2f;&#x2f;") || acc.contains("webcal://"),
                "[{n}]"
            );
            urls.push(url);
        }
        assert_ne!(urls[0], urls[1], "[{n}] a new address");
        let (status, _, _) = send(
            a,
            form(
                "/account/calendar-feed",
                &c,
                &[("_csrf", &token), ("op", "revoke")],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        let acc = a.send(get("/account", Some(&c), "zh-CN")).await.text();
        assert!(feed(&acc).is_none() && acc.contains("feed-create"), "[{n}]");
    }
}

/// Sets form fields by id (a `datetime-local` input does not take typed keys reliably).
async fn fill(c: &fantoccini::Client, fields: &[(&str, &str)]) {
    for (id, value) in fields {
        c.execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![(*id).into(), (*value).into()],
        )
        .await
        .expect("fill");
    }
}

async fn click(c: &fantoccini::Client, id: &str) {
    c.find(fantoccini::Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("#{id}"))
        .click()
        .await
        .expect("click");
}

async fn attr(c: &fantoccini::Client, id: &str, name: &str) -> Option<String> {
    c.find(fantoccini::Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("#{id}"))
        .attr(name)
        .await
        .expect("attr")
}

/// Waits (up to 10 s) for an element after a click that loads a page.
async fn wait_for(c: &fantoccini::Client, css: &str) -> fantoccini::elements::Element {
    match c
        .wait()
        .at_most(std::time::Duration::from_secs(10))
        .for_element(fantoccini::Locator::Css(css))
        .await
    {
        Ok(e) => e,
        Err(e) => panic!(
            "{css}: {e}: {:?} {:?}",
            c.current_url().await,
            c.source().await
        ),
    }
}

async fn fits_the_phone(c: &fantoccini::Client) -> bool {
    c.execute(
        "return document.documentElement.scrollWidth <= window.innerWidth",
        vec![],
    )
    .await
    .expect("width")
    .as_bool()
    .unwrap_or(false)
}

/// Issue 14's story in Chromium: channel management plans the monthly meeting, the check
/// warns of the Spring Festival holiday, the time is moved and the invitations sent; the
/// partner accepts on a phone and later ticks its action item done.
#[tokio::test]
async fn channel_plans_a_meeting_and_a_partner_answers_on_a_phone_in_chromium() {
    use crate::browser::{chromium, log_in, phone, serve};
    let (apps, _g) = apps().await;
    let a = &apps[0];
    let addr = serve(a.router.clone()).await;
    let base = format!("http://{addr}");
    let (driver, c) = chromium(serde_json::json!({"binary": "/usr/bin/chromium", "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--lang=zh-CN", "--window-size=1280,900"],
            "prefs": {"intl.accept_languages": "zh-CN,zh"}}))
    .await;
    c.goto(&format!("{base}/login")).await.expect("goto");
    log_in(&c, "channel@demo.example").await;
    wait_for(&c, "#nav-home").await;
    c.goto(&format!("{base}/console/meetings"))
        .await
        .expect("goto");
    click(&c, "meeting-new").await;
    wait_for(&c, "#meeting-form").await;
    fill(
        &c,
        &[
            ("meeting-kind", "monthly"),
            ("meeting-title", "二月月度工作会议"),
            ("meeting-starts", "2027-02-08T14:00"),
            ("meeting-ends", "2027-02-08T16:00"),
            ("meeting-partners", "SH-D001"),
            ("meeting-agenda", "1. 春节后备货\n2. 返利核对"),
        ],
    )
    .await;
    click(&c, "meeting-check").await;
    let clash = wait_for(&c, "#clash-list .clash-holiday").await;
    assert!(clash.text().await.expect("text").contains("春节"));
    // Moved to a working Wednesday: no clash, then saved and invited.
    fill(
        &c,
        &[
            ("meeting-starts", "2027-02-17T14:00"),
            ("meeting-ends", "2027-02-17T16:00"),
        ],
    )
    .await;
    click(&c, "meeting-check").await;
    wait_for(&c, "#clash-none").await;
    assert_eq!(
        c.find(fantoccini::Locator::Id("meeting-title"))
            .await
            .expect("title")
            .prop("value")
            .await
            .expect("value")
            .as_deref(),
        Some("二月月度工作会议"),
        "the typed form is kept"
    );
    click(&c, "meeting-save").await;
    wait_for(&c, "#meeting-saved").await;
    assert_eq!(
        attr(&c, "meeting-state", "data-state").await.as_deref(),
        Some("planned")
    );
    click(&c, "meeting-invite").await;
    wait_for(&c, "#meeting-done").await;
    assert_eq!(
        attr(&c, "meeting-state", "data-state").await.as_deref(),
        Some("invited")
    );
    let url = c.current_url().await.expect("url");
    let id = url
        .path()
        .trim_start_matches("/console/meetings/")
        .to_string();
    let _ = c.close().await;
    drop(driver);

    let (driver, p) = phone().await;
    p.goto(&format!("{base}/login")).await.expect("goto");
    log_in(&p, "p1@demo.example").await;
    wait_for(&p, "#nav-home").await;
    p.goto(&format!("{base}/portal/meetings"))
        .await
        .expect("goto");
    assert!(fits_the_phone(&p).await, "the meetings list fits 390 px");
    p.goto(&format!("{base}/portal/meetings/{id}"))
        .await
        .expect("goto");
    assert!(fits_the_phone(&p).await, "the meeting fits 390 px");
    click(&p, "rsvp-accepted").await;
    wait_for(&p, "#rsvp-saved").await;
    assert_eq!(
        attr(&p, "rsvp-mine", "data-response").await.as_deref(),
        Some("accepted")
    );
    // Later: the minutes give 刘洋 an action item, ticked done on the phone.
    let (_, tasks) = held_with_tasks(a).await;
    p.goto(&format!("{base}/portal/tasks")).await.expect("goto");
    assert!(fits_the_phone(&p).await, "the tasks fit 390 px");
    let mut ticked = None;
    for t in &tasks {
        if p.find(fantoccini::Locator::Id(&format!("task-done-{t}")))
            .await
            .is_ok()
        {
            ticked = Some(*t);
        }
    }
    let t = ticked.expect("p1's action item has a done button");
    click(&p, &format!("task-done-{t}")).await;
    wait_for(&p, &format!("#task-{t}[data-status=\"done\"]")).await;
    assert_eq!(
        attr(&p, &format!("task-{t}"), "data-status")
            .await
            .as_deref(),
        Some("done")
    );
    let _ = p.close().await;
    drop(driver);
}

/// Invited staff answer on the console's meeting page; staff not invited see no buttons.
#[tokio::test]
async fn invited_staff_answer_on_the_console() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let channel = actor_of(a, "channel@demo.example").await;
        let staff_user = actor_of(a, "staff@demo.example").await;
        let m = app::create(
            &a.db,
            &channel,
            &MeetingInput {
                kind: Some("ad_hoc".into()),
                title: Some("市场部碰头会".into()),
                starts_at: Some("2027-03-10T10:00".into()),
                ends_at: Some("2027-03-10T11:00".into()),
                invitees: Some(Invitees {
                    users: vec![staff_user.user_id],
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .expect("meeting");
        app::invite(&a.db, &channel, m.id).await.expect("invite");
        let staff = browser_login(a, "staff@demo.example").await;
        let page = a
            .send(get(
                &format!("/console/meetings/{}", m.id),
                Some(&staff),
                "zh-CN",
            ))
            .await
            .text();
        assert!(page.contains("id=\"rsvp-accepted\""), "[{n}] the buttons");
        let (status, loc, _) = send(
            a,
            form(
                &format!("/console/meetings/{}/rsvp", m.id),
                &staff,
                &[("_csrf", &csrf(&staff)), ("response", "accepted")],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        let page = a.send(get(&loc, Some(&staff), "zh-CN")).await.text();
        assert!(
            page.contains("id=\"rsvp-mine\" data-response=\"accepted\""),
            "[{n}]"
        );
        let head = browser_login(a, "head@demo.example").await;
        let page = a
            .send(get(
                &format!("/console/meetings/{}", m.id),
                Some(&head),
                "zh-CN",
            ))
            .await
            .text();
        assert!(!page.contains("id=\"rsvp-accepted\""), "[{n}] not invited");
    }
}
