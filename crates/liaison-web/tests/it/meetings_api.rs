//! Meetings over HTTP (issue 14): a partner user sees only the meetings its partner is invited
//! to and its own tasks (anything else 404), may not plan (403); the one-click answer link
//! works without a login; the private feed opens in Python's `icalendar` and a revoked address
//! is 404.

use crate::apps;
use axum::http::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn partners_see_only_their_meetings_and_tasks_and_the_feed_opens_in_a_calendar_reader() {
    let (apps, _g) = apps().await;
    let python = crate::products::icalendar_python();
    for a in &apps {
        let n = a.name;
        let channel = a.login("channel@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        let staff = a.login("staff@demo.example").await;
        let sh = a.partner_id("SH-D001").await;
        let start = (chrono::Utc::now() + chrono::Duration::days(20)).format("%Y-%m-%dT10:00");
        let end = (chrono::Utc::now() + chrono::Duration::days(20)).format("%Y-%m-%dT11:30");
        let body = json!({
            "kind": "ad_hoc", "title": "促销方案沟通", "starts_at": start.to_string(),
            "ends_at": end.to_string(), "timezone": "Asia/Shanghai", "agenda": "讨论双十二方案",
            "invitees": {"partners": [sh], "contacts": [], "segments": [], "users": []}
        });
        // A partner user may not plan.
        let r = a
            .call("POST", "/api/v1/meetings", Some(&p1), Some(body.clone()))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}] {}", r.text());
        let r = a
            .call(
                "POST",
                "/api/v1/meetings",
                Some(&channel),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{n}] {}", r.text());
        let id = r.json()["id"].as_str().expect("id").to_string();
        let path = format!("/api/v1/meetings/{id}");
        // Planned: hidden from p1 too; invited: p1 reads it, p2 still 404.
        assert_eq!(
            a.call("GET", &path, Some(&p1), None).await.status,
            StatusCode::NOT_FOUND,
            "[{n}]"
        );
        let r = a
            .call("POST", &format!("{path}/invite"), Some(&channel), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        assert_eq!(r.json()["state"], "invited", "[{n}]");
        let r = a.call("GET", &path, Some(&p1), None).await;
        assert_eq!(r.status, StatusCode::OK, "[{n}]");
        assert!(
            r.json()["attendees"]
                .as_array()
                .is_some_and(|v| v.iter().all(|x| x["partner_code"] == "SH-D001"))
        );
        for (method, p, body) in [
            ("GET", path.clone(), None),
            ("GET", format!("{path}/ics"), None),
            (
                "POST",
                format!("{path}/rsvp"),
                Some(json!({"response": "accepted"})),
            ),
        ] {
            let r = a.call(method, &p, Some(&p2), body).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "[{n}] p2 {method} {p}: {}",
                r.text()
            );
        }
        // The partner's timeline shows the meeting it is invited to (its own, as p1 reads it).
        let tl = a
            .call(
                "GET",
                &format!("/api/v1/partners/{sh}/timeline"),
                Some(&p1),
                None,
            )
            .await;
        assert_eq!(tl.status, StatusCode::OK, "[{n}] {}", tl.text());
        assert!(
            tl.json()["items"].as_array().is_some_and(|v| v
                .iter()
                .any(|e| e["kind"] == "meeting" && e["meeting_id"] == json!(id))),
            "[{n}] {}",
            tl.text()
        );
        let r = a
            .call(
                "POST",
                &format!("{path}/rsvp"),
                Some(&p1),
                Some(json!({"response": "tentative"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        assert_eq!(r.json()["response"], "tentative", "[{n}]");
        let r = a
            .call(
                "POST",
                &format!("{path}/rsvp"),
                Some(&p1),
                Some(json!({"response": "maybe"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        // Staff who did not plan it may not cancel it; partners may not either.
        for t in [&staff, &p1] {
            let r = a
                .call("POST", &format!("{path}/cancel"), Some(t), None)
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}] {}", r.text());
        }
        // The cadence is the company's.
        assert_eq!(
            a.call("GET", "/api/v1/cadence?year=2026", Some(&p1), None)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let r = a
            .call("GET", "/api/v1/cadence?year=2026", Some(&channel), None)
            .await;
        assert_eq!(
            r.json()["items"].as_array().map(Vec::len),
            Some(17),
            "[{n}] 1 + 4 + 12 periods"
        );

        // Tasks: a held meeting's action item for p1's own contact; p1 sees it, p2 gets 404.
        let liu = liaison_db::user::find_user_by_email(&a.db, "p1@demo.example")
            .await
            .expect("user")
            .and_then(|u| u.contact_id)
            .expect("p1 is a contact")
            .to_string();
        let past = (chrono::Utc::now() - chrono::Duration::days(2)).format("%Y-%m-%dT10:00");
        let past_end = (chrono::Utc::now() - chrono::Duration::days(2)).format("%Y-%m-%dT11:00");
        let mut held = body.clone();
        held["starts_at"] = json!(past.to_string());
        held["ends_at"] = json!(past_end.to_string());
        let r = a
            .call("POST", "/api/v1/meetings", Some(&channel), Some(held))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{n}] {}", r.text());
        let held_id = r.json()["id"].as_str().expect("id").to_string();
        let r = a
            .call(
                "POST",
                &format!("/api/v1/meetings/{held_id}/minutes"),
                Some(&channel),
                Some(json!({"minutes": "已讨论", "action_items": [
                    {"title": "提交备货计划", "owner_contact_id": liu, "due_on": "2030-01-15"}]})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        let tasks = a.call("GET", "/api/v1/tasks", Some(&p1), None).await.json();
        let items: Vec<Value> = tasks["items"].as_array().cloned().unwrap_or_default();
        assert!(
            items.iter().all(|t| t["partner_code"] == "SH-D001"),
            "[{n}] {items:?}"
        );
        let t = items
            .iter()
            .find(|t| t["title"] == "提交备货计划")
            .expect("p1's action item");
        let tp = format!("/api/v1/tasks/{}", t["id"].as_str().expect("id"));
        let r = a
            .call("PATCH", &tp, Some(&p2), Some(json!({"status": "done"})))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}]");
        let r = a
            .call("PATCH", &tp, Some(&p1), Some(json!({"status": "done"})))
            .await;
        assert_eq!(r.json()["status"], "done", "[{n}] {}", r.text());
        let p2_tasks = a.call("GET", "/api/v1/tasks", Some(&p2), None).await.json();
        assert!(
            p2_tasks["items"]
                .as_array()
                .is_some_and(|v| v.iter().all(|t| t["partner_code"] != "SH-D001"))
        );

        // The private feed: it opens in a calendar library; a revoked address is 404.
        let r = a
            .call("GET", "/api/v1/calendar-feed", Some(&p1), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        let url = r.json()["url"].as_str().expect("url").to_string();
        assert!(
            r.json()["webcal"]
                .as_str()
                .is_some_and(|w| w.starts_with("webcal://"))
        );
        let feed_path = url
            .split_once("/calendar/")
            .map(|(_, t)| format!("/calendar/{t}"))
            .expect("path");
        let r = a.call("GET", &feed_path, None, None).await;
        assert_eq!(r.status, StatusCode::OK, "[{n}]");
        assert!(r.content_type.starts_with("text/calendar"), "[{n}]");
        let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("feed-{n}.ics"));
        std::fs::write(&file, &r.body).expect("write");
        let out = std::process::Command::new(&python)
            .arg("-c")
            .arg(
                "import sys, icalendar\n\
                 cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n\
                 print('\\n'.join(str(e.get('summary')) for e in cal.walk('VEVENT')))",
            )
            .arg(&file)
            .output()
            .expect("python");
        assert!(
            out.status.success(),
            "[{n}] {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summaries = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(summaries.contains("促销方案沟通"), "[{n}] {summaries}");
        let r = a
            .call("DELETE", "/api/v1/calendar-feed", Some(&p1), None)
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{n}]");
        assert_eq!(
            a.call("GET", &feed_path, None, None).await.status,
            StatusCode::NOT_FOUND,
            "[{n}]"
        );
        assert_eq!(
            a.call("GET", "/calendar/nope.ics", None, None).await.status,
            StatusCode::NOT_FOUND
        );
    }
}
