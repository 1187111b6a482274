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
                vec![
                    json!("to_confirm"),
                    json!("answers"),
                    json!("my_questions"),
                    json!("tickets_to_confirm"),
                    json!("my_open_tickets"),
                    json!("data_due"),
                    json!("surveys_to_answer"),
                    json!("my_tasks"),
                    json!("meetings_ahead")
                ],
                "[{}]",
                a.name
            );
        }
        // Issue 16 item 6: channel management lands on what runs late across the channel;
        // an item without an age shows none (no dangling "waiting … hours").
        let channel = browser_login(a, "channel@demo.example").await;
        let page = a
            .send(get("/console/home", Some(&channel), "zh-CN"))
            .await
            .text();
        for id in [
            "home-tickets_breaching",
            "home-data_overdue",
            "home-anomalies_open",
            "home-cadence_warnings",
            "home-open_incidents",
        ] {
            assert!(page.contains(&format!("id=\"{id}\"")), "[{}] {id}", a.name);
        }
        assert!(
            !page.contains("已等待  小时") && !page.contains("已等待 小时"),
            "[{}]",
            a.name
        );
        let staff_page = a
            .send(get(
                "/console/home",
                Some(&browser_login(a, "staff@demo.example").await),
                "zh-CN",
            ))
            .await
            .text();
        assert!(
            !staff_page.contains("id=\"home-data_overdue\""),
            "[{}]",
            a.name
        );

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

/// The NDA register page (§7.1.2): an agreement recorded with its signed document, listed with
/// how it stands, the document downloadable; partners and a missing CSRF token are refused.
#[tokio::test]
async fn the_nda_register_records_an_agreement_with_its_document() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let channel = browser_login(a, "channel@demo.example").await;
        let page = a.send(get("/console/ndas", Some(&channel), "zh-CN")).await;
        assert_eq!(page.status, StatusCode::OK, "[{}]", a.name);
        let csrf = page
            .text()
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("csrf")
            .to_string();
        let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
        let multipart = |csrf: &str, partner: &str| {
            let b = "XbOuNdArY";
            let mut body = Vec::new();
            for (k, v) in [
                ("_csrf", csrf),
                ("partner", partner),
                ("signed_at", "2026-11-01"),
                ("expires_at", "2026-12-20"),
            ] {
                body.extend(
                    format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                        .as_bytes(),
                );
            }
            body.extend(format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"保密协议-BJ.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
            body.extend(pdf);
            body.extend(format!("\r\n--{b}--\r\n").as_bytes());
            axum::http::Request::builder()
                .method("POST")
                .uri("/console/ndas")
                .header(axum::http::header::COOKIE, channel.clone())
                .header(
                    axum::http::header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={b}"),
                )
                .body(axum::body::Body::from(body))
                .expect("request")
        };
        let forged = a.send(multipart("wrong", "BJ-D002")).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "[{}]", a.name);
        let bad = a.send(multipart(&csrf, "NO-SUCH")).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        let ok = a.send(multipart(&csrf, "BJ-D002")).await;
        assert_eq!(
            ok.status,
            StatusCode::SEE_OTHER,
            "[{}] {}",
            a.name,
            ok.text()
        );
        let list = a
            .send(get("/console/ndas", Some(&channel), "zh-CN"))
            .await
            .text();
        assert!(list.contains("保密协议-BJ.pdf"), "[{}]", a.name);
        assert!(
            list.contains("data-standing=\"expiring\""),
            "[{}] expires within 30 days",
            a.name
        );
        assert!(list.contains("id=\"nda-expiring\""), "[{}]", a.name);
        let id = list
            .split("/console/ndas/")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .expect("document link")
            .to_string();
        let doc = a
            .send(get(
                &format!("/console/ndas/{id}/document"),
                Some(&channel),
                "zh-CN",
            ))
            .await;
        assert_eq!(doc.status, StatusCode::OK, "[{}]", a.name);
        assert_eq!(
            doc.body,
            pdf.to_vec(),
            "[{}] the document comes back as filed",
            a.name
        );
        // Stored encrypted (§7.2.1).
        let stored = |sql: &'static str| a.db.fetch_one::<i64>(liaison_db::q(sql));
        assert_eq!(
            stored("SELECT COUNT(*) FROM ndas WHERE doc_data IS NOT NULL")
                .await
                .expect("n"),
            1
        );
        assert_eq!(
            stored("SELECT COUNT(*) FROM ndas WHERE doc_data LIKE '%JVBERi0%'")
                .await
                .expect("n"),
            0,
            "[{}] no plaintext (base64 of %PDF) at rest",
            a.name
        );
        let p1 = browser_login(a, "p1@demo.example").await;
        assert_eq!(
            a.send(get("/console/ndas", Some(&p1), "zh-CN"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            a.send(get(
                &format!("/console/ndas/{id}/document"),
                Some(&p1),
                "zh-CN"
            ))
            .await
            .status,
            StatusCode::FORBIDDEN
        );
    }
}

/// Issue 9: a page that does not exist is the styled error page in the visitor's language,
/// inside the console for staff; the API still answers problem+json.
#[tokio::test]
async fn unknown_pages_are_styled_and_localised() {
    let (apps, _g) = apps().await;
    let a = &apps[0];
    let channel = browser_login(a, "channel@demo.example").await;
    let r = a.send(get("/console/foo", Some(&channel), "zh-CN")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let page = r.text();
    assert!(
        page.contains("页面不存在") && page.contains("class=\"console\""),
        "{page}"
    );
    assert!(page.contains("id=\"bell\""), "inside the console: {page}");
    let en = a.send(get("/nowhere", None, "en")).await.text();
    assert!(en.contains("does not exist"), "{en}");
    let api = a.call("GET", "/api/v1/nowhere", None, None).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.content_type.starts_with("application/problem+json"));
}

/// Issue 9: a contact gets a portal login from the partner page; the one-time password is shown
/// once and works; partners and unprivileged staff cannot do it.
#[tokio::test]
async fn a_contact_gets_a_portal_login_from_the_partner_page() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let channel = browser_login(a, "channel@demo.example").await;
        let sh = a.partner_id("SH-D001").await;
        let page = a
            .send(get(
                &format!("/console/partners/{sh}"),
                Some(&channel),
                "zh-CN",
            ))
            .await
            .text();
        let csrf = page
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("csrf")
            .to_string();
        let cid = page
            .split("id=\"grant-")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("a contact without a login")
            .to_string();
        let path = format!("/console/partners/{sh}/contacts/{cid}/portal");
        let post = |cookie: String, csrf: String| {
            axum::http::Request::builder()
                .method("POST")
                .uri(path.clone())
                .header(axum::http::header::COOKIE, cookie)
                .header(
                    axum::http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(axum::body::Body::from(format!("_csrf={csrf}")))
                .expect("request")
        };
        for who in ["staff@demo.example", "p1@demo.example", "p2@demo.example"] {
            let c = browser_login(a, who).await;
            let r = a.send(post(c, csrf.clone())).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "[{}] {who}", a.name);
        }
        let r = a.send(post(channel.clone(), csrf.clone())).await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        let shown = r.text();
        let password = shown
            .split("id=\"first-password\">")
            .nth(1)
            .and_then(|r| r.split('<').next())
            .expect("the one-time password")
            .to_string();
        let email = shown
            .split(&format!("id=\"portal-{cid}\">✓ <small>"))
            .nth(1)
            .and_then(|r| r.split('<').next())
            .expect("the login is shown on the row")
            .to_string();
        let login = a
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(
            login.status,
            StatusCode::OK,
            "[{}] {}",
            a.name,
            login.text()
        );
        // Shown once: the page afterwards names the login but not the password.
        let again = a
            .send(get(
                &format!("/console/partners/{sh}"),
                Some(&channel),
                "zh-CN",
            ))
            .await
            .text();
        assert!(!again.contains(&password), "[{}]", a.name);
    }
}

/// Issue 9: the request form and the review page say how many partners each segment reaches.
#[tokio::test]
async fn segments_show_how_many_they_reach() {
    let (apps, _g) = apps().await;
    let a = &apps[0];
    let staff = browser_login(a, "staff@demo.example").await;
    let form = a
        .send(get("/console/requests/new", Some(&staff), "zh-CN"))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    let counts: Vec<i64> = form
        .text()
        .split("data-members=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next().and_then(|n| n.parse().ok()))
        .collect();
    assert!(
        !counts.is_empty() && counts.iter().any(|n| *n > 0),
        "{counts:?}"
    );
    assert!(form.text().contains("家伙伴"));
}

/// Issue 9: a reviewer with requests waiting opens Requests on "待我审核", not an empty
/// "我的申请".
#[tokio::test]
async fn a_reviewer_opens_requests_on_what_waits_for_them() {
    let (apps, _g) = apps().await;
    let a = &apps[0];
    let staff = a.login("staff@demo.example").await;
    let r = a
        .call(
            "POST",
            "/api/v1/requests",
            Some(&staff),
            Some(json!({
                "title": "门店陈列指引", "purpose": "统一陈列", "body": "见附件。",
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
    let head = browser_login(a, "head@demo.example").await;
    let page = a
        .send(get("/console/requests", Some(&head), "zh-CN"))
        .await
        .text();
    assert!(
        page.contains("id=\"tab-to-review\" aria-current=\"page\""),
        "{page}"
    );
    assert!(page.contains("门店陈列指引"));
    let staff_page = browser_login(a, "staff@demo.example").await;
    let mine = a
        .send(get("/console/requests", Some(&staff_page), "zh-CN"))
        .await
        .text();
    assert!(
        mine.contains("id=\"tab-mine\" aria-current=\"page\""),
        "nothing to review: mine"
    );
}
