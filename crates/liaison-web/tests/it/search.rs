//! SPEC B10: one record per partner, and search that finds Chinese words.

use crate::apps;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, Utc};
use serde_json::json;

#[tokio::test]
async fn a_partner_timeline_and_search_find_messages_reads_confirmations_and_replies() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        let sh = a.partner_id("SH-D001").await;
        let r = a.call("POST", "/api/v1/requests", Some(&head), Some(json!({
            "title": "季度返利结算说明", "purpose": "结算", "body": "本季度返利将于月底结算。", "audience": {"partners": [sh]},
            "ack_required": true, "ack_due_at": (Utc::now() + Duration::days(2)).to_rfc3339(),
        }))).await.json();
        let id = r["id"].as_str().expect("id");
        a.call(
            "POST",
            &format!("/api/v1/requests/{id}/submit"),
            Some(&head),
            None,
        )
        .await;
        a.call(
            "POST",
            &format!("/api/v1/requests/{id}/approve"),
            Some(&channel),
            None,
        )
        .await;
        let mid =
            a.call("GET", "/api/v1/inbox", Some(&p1), None).await.json()["items"][0]["message_id"]
                .as_str()
                .expect("mid")
                .to_string();
        a.call("GET", &format!("/api/v1/inbox/{mid}"), Some(&p1), None)
            .await;
        a.call("POST", &format!("/api/v1/inbox/{mid}/ack"), Some(&p1), None)
            .await;
        let reply = a
            .call(
                "POST",
                &format!("/api/v1/inbox/{mid}/replies"),
                Some(&p1),
                Some(json!({"body": "请问发票开具时间？"})),
            )
            .await;
        assert!(reply.status.is_success(), "[{}] {}", a.name, reply.text());

        let t = a
            .call(
                "GET",
                &format!("/api/v1/partners/{sh}/timeline"),
                Some(&channel),
                None,
            )
            .await;
        assert_eq!(t.status, StatusCode::OK, "[{}] {}", a.name, t.text());
        let kinds: Vec<String> = t.json()["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e["kind"].as_str().map(str::to_string))
            .collect();
        for k in ["message", "read", "acknowledged", "post"] {
            assert!(
                kinds.iter().any(|x| x == k),
                "[{}] no {k} in {kinds:?}",
                a.name
            );
        }
        assert_eq!(
            a.call(
                "GET",
                &format!("/api/v1/partners/{sh}/timeline"),
                Some(&p2),
                None
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            a.call(
                "GET",
                &format!("/api/v1/partners/{sh}/timeline"),
                Some(&p1),
                None
            )
            .await
            .status,
            StatusCode::OK
        );

        for (who, q, want) in [
            (&channel, "返利", "message"),
            (&channel, "发票", "thread"),
            (&p1, "返利 结算", "message"),
        ] {
            let hits = a
                .call(
                    "GET",
                    &format!("/api/v1/search?q={}", urlencode(q)),
                    Some(who),
                    None,
                )
                .await
                .json();
            assert!(
                hits["items"]
                    .as_array()
                    .is_some_and(|h| h.iter().any(|x| x["kind"] == want)),
                "[{}] {q}: {hits}",
                a.name
            );
        }
        let none = a
            .call(
                "GET",
                &format!("/api/v1/search?q={}", urlencode("返利")),
                Some(&p2),
                None,
            )
            .await
            .json();
        assert_eq!(
            none["items"],
            json!([]),
            "[{}] p2 finds p1's messages",
            a.name
        );
        // Staff without ReadAllRequests search the registry only: no messages or threads.
        let staff = a
            .call(
                "GET",
                &format!("/api/v1/search?q={}", urlencode("返利")),
                Some(&a.login("staff@demo.example").await),
                None,
            )
            .await;
        assert_eq!(staff.status, StatusCode::OK, "[{}]", a.name);
        assert_eq!(
            staff.json()["items"],
            json!([]),
            "[{}] staff see no messages",
            a.name
        );
        assert_eq!(
            a.call("GET", "/api/v1/search?q=", Some(&channel), None)
                .await
                .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn search_ranks_partners_contacts_and_messages_and_scopes_partner_users() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let channel = a.login("channel@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        let sh = a.partner_id("SH-D001").await;
        let get = |who: &str, q: &str| {
            let path = format!("/api/v1/search?q={}", urlencode(q));
            let who = who.to_string();
            async move { a.call("GET", &path, Some(&who), None).await }
        };

        // A code finds its partner, first, with the match marked.
        let r = get(&channel, "SH-D001").await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        let first = &r.json()["items"][0];
        assert_eq!(first["kind"], "partner", "[{}] {}", a.name, r.text());
        assert_eq!(first["id"], sh.as_str(), "[{}]", a.name);
        assert_eq!(first["partner_id"], sh.as_str(), "[{}]", a.name);
        assert!(
            first["snippet_highlights"][0].is_array(),
            "[{}] {first}",
            a.name
        );

        // A Chinese word inside a partner's name; a Latin prefix of a contact's e-mail.
        let shanghai = get(&channel, "恒通").await.json();
        assert!(
            shanghai["items"]
                .as_array()
                .is_some_and(|h| h.iter().any(|x| x["id"] == sh.as_str())),
            "[{}] {shanghai}",
            a.name
        );
        let contacts = get(&channel, "contact1").await.json();
        assert!(
            contacts["items"]
                .as_array()
                .is_some_and(|h| h.iter().any(|x| x["kind"] == "contact")),
            "[{}] {contacts}",
            a.name
        );

        // Partner users: their own partner, nothing of another's.
        let own = get(&p1, "SH-D001").await.json();
        assert!(
            own["items"]
                .as_array()
                .is_some_and(|h| h.iter().any(|x| x["id"] == sh.as_str())),
            "[{}] {own}",
            a.name
        );
        let theirs = get(&p2, "SH-D001").await.json();
        assert_eq!(theirs["items"], json!([]), "[{}] p2 sees SH-D001", a.name);
        let p2_contacts = get(&p2, "恒通").await.json();
        assert_eq!(p2_contacts["items"], json!([]), "[{}]", a.name);

        // Input that is too long is refused, not a 500.
        let long = get(&channel, &"返".repeat(101)).await;
        assert_eq!(
            long.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}]",
            a.name
        );

        // The console page marks matches and escapes everything else.
        let cookie = crate::pages::browser_login(a, "channel@demo.example").await;
        let page = a
            .send(
                Request::builder()
                    .uri(format!("/console/search?q={}", urlencode("恒通 <b>")))
                    .header(header::COOKIE, &cookie)
                    .header(header::ACCEPT_LANGUAGE, "zh-CN")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "[{}]", a.name);
        let html = page.text();
        assert!(
            html.contains("value=\"恒通 &lt;b&gt;\""),
            "[{}] query escaped",
            a.name
        );
        assert!(!html.contains("<b>"), "[{}]", a.name);
        let page = a
            .send(
                Request::builder()
                    .uri(format!("/console/search?q={}", urlencode("恒通")))
                    .header(header::COOKIE, &cookie)
                    .header(header::ACCEPT_LANGUAGE, "en")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        let html = page.text();
        assert!(html.contains("<mark>恒通</mark>"), "[{}] {html}", a.name);
        assert!(
            html.contains(&format!("href=\"/console/partners/{sh}\"")),
            "[{}]",
            a.name
        );
        assert!(html.contains("id=\"nav-search\""), "[{}] nav link", a.name);
    }
}
