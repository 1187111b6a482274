//! Issue 9 over HTTP: notifications and the home items through the API (titles in the
//! request's language; another person's notification is not found), the pages of 我的待办,
//! the notification centre and 我的提问, and who may open them.

use crate::apps;
use crate::pages::{browser_login, get};
use axum::http::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn notifications_and_home_items_over_the_api_are_each_persons_own() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let staff = a.login("staff@demo.example").await;
        let head = a.login("head@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        let r = a
            .call(
                "POST",
                "/api/v1/requests",
                Some(&staff),
                Some(json!({
                    "title": "渠道大会邀请", "purpose": "邀请伙伴参会", "body": "详见附件。",
                    "audience": {"partners": [a.partner_id("SH-D001").await]},
                })),
            )
            .await;
        let id = r.json()["id"].as_str().expect("id").to_string();
        a.call(
            "POST",
            &format!("/api/v1/requests/{id}/submit"),
            Some(&staff),
            None,
        )
        .await;

        let mut req = axum::http::Request::builder()
            .uri("/api/v1/notifications")
            .header(axum::http::header::AUTHORIZATION, format!("Bearer {head}"));
        req = req.header(axum::http::header::ACCEPT_LANGUAGE, "en");
        let en = a
            .send(req.body(axum::body::Body::empty()).expect("req"))
            .await
            .json();
        assert_eq!(en["unread"], 1, "[{}] {en}", a.name);
        let item = &en["items"][0];
        assert_eq!(item["kind"], "review_waiting", "[{}]", a.name);
        assert_eq!(
            item["title"], "Waiting for your review: 渠道大会邀请",
            "[{}]",
            a.name
        );
        assert_eq!(
            item["link"],
            format!("/console/requests/{id}"),
            "[{}]",
            a.name
        );
        assert!(item["read_at"].is_null(), "[{}]", a.name);
        // Without Accept-Language: the user's setting, else Simplified Chinese.
        let zh = a
            .call("GET", "/api/v1/notifications", Some(&head), None)
            .await
            .json();
        assert_eq!(
            zh["items"][0]["title"], "待您审核：渠道大会邀请",
            "[{}]",
            a.name
        );

        let nid = item["id"].as_str().expect("id");
        for other in [&p1, &p2, &staff] {
            let r = a
                .call(
                    "POST",
                    &format!("/api/v1/notifications/{nid}/read"),
                    Some(other),
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{}] {}", a.name, r.text());
        }
        let r = a
            .call(
                "POST",
                &format!("/api/v1/notifications/{nid}/read"),
                Some(&head),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert!(r.json()["read_at"].is_string(), "[{}]", a.name);
        let bad = a
            .call(
                "POST",
                "/api/v1/notifications/not-an-id/read",
                Some(&head),
                None,
            )
            .await;
        assert!(bad.status.is_client_error(), "[{}]", a.name);
        assert_eq!(
            a.call("GET", "/api/v1/notifications", None, None)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );

        // Home items: the head's review; p1's to-confirm list is its own partner's.
        let d = a
            .call("GET", "/api/v1/dashboard", Some(&head), None)
            .await
            .json();
        let keys: Vec<&str> = d["sections"]
            .as_array()
            .expect("sections")
            .iter()
            .filter_map(|s| s["key"].as_str())
            .collect();
        assert!(keys.contains(&"to_review"), "[{}] {d}", a.name);
        let to_review = d["sections"]
            .as_array()
            .expect("sections")
            .iter()
            .find(|s| s["key"] == "to_review")
            .expect("to_review");
        assert!(
            to_review["items"]
                .as_array()
                .is_some_and(|i| i.iter().any(|x| x["title"] == "渠道大会邀请")),
            "[{}]",
            a.name
        );
        for p in [&p1, &p2] {
            let d = a
                .call("GET", "/api/v1/dashboard", Some(p), None)
                .await
                .json();
            let keys: Vec<Value> = d["sections"]
                .as_array()
                .expect("sections")
                .iter()
                .map(|s| s["key"].clone())
                .collect();
            assert_eq!(
                keys,
                vec![json!("to_confirm"), json!("answers"), json!("my_questions")],
                "[{}]",
                a.name
            );
        }

        // E-mail choices: a partner cannot choose staff kinds; an unknown kind names itself.
        let r = a
            .call(
                "PUT",
                "/api/v1/notifications/settings",
                Some(&p1),
                Some(json!({"email": {"review_waiting": false}})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            r.text()
        );
        let r = a
            .call(
                "PUT",
                "/api/v1/notifications/settings",
                Some(&p1),
                Some(json!({"email": {"gossip": true}})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            r.text()
        );
        assert!(
            r.text().contains("email.gossip"),
            "[{}] {}",
            a.name,
            r.text()
        );
        let r = a
            .call(
                "PUT",
                "/api/v1/notifications/settings",
                Some(&p1),
                Some(json!({"email": {"question_answered": false}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(
            r.json()["email"]["question_answered"],
            false,
            "[{}]",
            a.name
        );
    }
}

#[tokio::test]
async fn home_notifications_and_questions_pages_render_for_their_people() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let channel = browser_login(a, "channel@demo.example").await;
        let p1 = browser_login(a, "p1@demo.example").await;
        for (path, who) in [
            ("/console/home", &channel),
            ("/console/notifications", &channel),
            ("/portal/home", &p1),
            ("/portal/notifications", &p1),
            ("/portal/questions", &p1),
        ] {
            let r = a.send(get(path, Some(who), "zh-CN")).await;
            assert_eq!(
                r.status,
                StatusCode::OK,
                "[{}] {path}: {}",
                a.name,
                r.text()
            );
            let page = r.text();
            assert!(
                page.contains("id=\"bell\""),
                "[{}] {path}: the bell",
                a.name
            );
            for raw in ["home.", "notify.", "questions.", "{{", "}}"] {
                assert!(
                    !page.contains(raw),
                    "[{}] {path} shows a raw key {raw}",
                    a.name
                );
            }
        }
        // The console is for staff, the portal for partners.
        assert_eq!(
            a.send(get("/console/home", Some(&p1), "zh-CN"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            a.send(get("/portal/questions", Some(&channel), "zh-CN"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            a.send(get("/portal/home", None, "zh-CN")).await.status,
            StatusCode::SEE_OTHER
        );
        let home = a
            .send(get("/console/home", Some(&channel), "zh-CN"))
            .await
            .text();
        for section in [
            "home-unanswered_questions",
            "home-overdue_confirmations",
            "home-dead_deliveries",
            "home-held_back",
        ] {
            assert!(
                home.contains(section),
                "[{}] channel management sees {section}",
                a.name
            );
        }
        // Another partner's question is not found from p2's portal.
        let p1_token = a.login("p1@demo.example").await;
        let t = a
            .call(
                "POST",
                "/api/v1/threads",
                Some(&p1_token),
                Some(json!({"subject": "发票问题", "body": "发票什么时候开？"})),
            )
            .await;
        assert_eq!(t.status, StatusCode::CREATED, "[{}] {}", a.name, t.text());
        let tid = t.json()["id"].as_str().expect("id").to_string();
        let mine = a
            .send(get(&format!("/portal/questions/{tid}"), Some(&p1), "zh-CN"))
            .await;
        assert_eq!(mine.status, StatusCode::OK, "[{}]", a.name);
        assert!(mine.text().contains("发票什么时候开？"), "[{}]", a.name);
        let p2 = browser_login(a, "p2@demo.example").await;
        let theirs = a
            .send(get(&format!("/portal/questions/{tid}"), Some(&p2), "zh-CN"))
            .await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "[{}]", a.name);
        // It waits for SH-D001's channel manager, who is told.
        let ch = a.login("channel@demo.example").await;
        let told = a
            .call("GET", "/api/v1/notifications", Some(&ch), None)
            .await
            .json();
        assert!(
            told["items"]
                .as_array()
                .is_some_and(|i| i.iter().any(|n| n["kind"] == "question_routed"
                    && n["link"] == format!("/console/threads/{tid}"))),
            "[{}] {told}",
            a.name
        );
    }
}
