//! The HTML shell: login, language choice, console and portal pages.

use crate::apps;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

fn get(path: &str, cookie: Option<&str>, lang: &str) -> Request<Body> {
    let mut b = Request::builder()
        .uri(path)
        .header(header::ACCEPT_LANGUAGE, lang);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).expect("request")
}

#[tokio::test]
async fn login_page_speaks_the_browser_language_and_the_switch_overrides() {
    let (apps, _g) = apps().await;
    let a = &apps[0];
    let zh = a.send(get("/login", None, "zh-CN,zh;q=0.9")).await;
    assert_eq!(zh.status, StatusCode::OK);
    assert!(zh.text().contains("lang=\"zh-CN\""));
    let en = a.send(get("/login", None, "en-US")).await;
    assert!(en.text().contains("lang=\"en\""));
    let tw = a
        .send(get("/login", Some("liaison_lang=zh-TW"), "en-US"))
        .await;
    assert!(tw.text().contains("lang=\"zh-TW\""));
    assert_ne!(zh.text(), en.text());
}

async fn browser_login(a: &crate::TestApp, email: &str) -> String {
    let req = Request::builder()
        .method("POST")
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "email={}&password=liaison-demo",
            email.replace('@', "%40")
        )))
        .expect("request");
    a.router.clone().oneshot_ok(req).await
}

trait OneshotOk {
    async fn oneshot_ok(self, req: Request<Body>) -> String;
}

impl OneshotOk for axum::Router {
    async fn oneshot_ok(self, req: Request<Body>) -> String {
        use tower::ServiceExt;
        let resp = self.oneshot(req).await.expect("response");
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        let cookie = resp
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        cookie.split(';').next().unwrap_or("").to_string()
    }
}

#[tokio::test]
async fn console_and_portal_pages_render_for_their_users() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let channel = browser_login(a, "channel@demo.example").await;
        assert!(
            channel.starts_with("liaison_session="),
            "[{}] {channel}",
            a.name
        );
        let list = a
            .send(get("/console/partners?q=恒通", Some(&channel), "zh-CN"))
            .await;
        assert_eq!(list.status, StatusCode::OK, "[{}] {}", a.name, list.text());
        assert!(list.text().contains("上海恒通商贸有限公司"));
        let id = a.partner_id("SH-D001").await;
        for path in [
            format!("/console/partners/{id}"),
            format!("/console/partners/{id}/edit"),
            "/console/partners/new".into(),
            "/console/segments".into(),
            "/console/partners/import".into(),
        ] {
            let r = a.send(get(&path, Some(&channel), "en")).await;
            assert_eq!(
                r.status,
                StatusCode::OK,
                "[{}] {path}: {}",
                a.name,
                r.text()
            );
        }
        let admin = browser_login(a, "admin@demo.example").await;
        for path in ["/console/users", "/console/audit"] {
            let r = a.send(get(path, Some(&admin), "en")).await;
            assert_eq!(r.status, StatusCode::OK, "[{}] {path}", a.name);
        }
        assert_eq!(
            a.send(get("/console/users", Some(&channel), "en"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );

        let p1 = browser_login(a, "p1@demo.example").await;
        let portal = a.send(get("/portal", Some(&p1), "zh-CN")).await;
        assert_eq!(portal.status, StatusCode::OK);
        assert!(portal.text().contains("上海恒通商贸有限公司"));
        assert!(!portal.text().contains("北京京联贸易有限公司"));
        let other = a.partner_id("BJ-D002").await;
        assert_eq!(
            a.send(get(&format!("/console/partners/{other}"), Some(&p1), "en"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        // Without a session the console sends visitors to the login page.
        assert_eq!(
            a.send(get("/console/partners", None, "en")).await.status,
            StatusCode::SEE_OTHER
        );
        // A form post without the CSRF token is refused.
        let req = Request::builder()
            .method("POST")
            .uri("/console/partners")
            .header(header::COOKIE, &channel)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("code=CS-1&name=x&kind=agent&region=x&tier=A"))
            .expect("request");
        assert_eq!(a.send(req).await.status, StatusCode::FORBIDDEN);
    }
}

fn post_form(path: &str, cookie: &str, body: String) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request")
}

/// The CSRF token the pages embed for this session cookie.
fn csrf(cookie: &str) -> String {
    let token = cookie.split_once('=').map(|(_, t)| t).unwrap_or("");
    liaison_db::sha256_hex(format!("csrf:{token}").as_bytes())[..32].to_string()
}

#[tokio::test]
async fn channel_manager_edits_and_removes_a_contact_through_the_console() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let cookie = browser_login(a, "channel@demo.example").await;
        let token = csrf(&cookie);
        let pid = a.partner_id("SH-D001").await;
        let contacts = liaison_db::partner::list_contacts(
            &a.db,
            liaison_core::Scope::All,
            pid.parse().expect("uuid"),
        )
        .await
        .expect("contacts");
        let cid = contacts[0].id;
        let edit = a
            .send(get(
                &format!("/console/partners/{pid}/contacts/{cid}/edit"),
                Some(&cookie),
                "en",
            ))
            .await;
        assert_eq!(edit.status, StatusCode::OK, "[{}] {}", a.name, edit.text());
        let bad = a
            .send(post_form(
                &format!("/console/partners/{pid}/contacts/{cid}"),
                &cookie,
                format!("_csrf={token}&name=%E7%8E%8B%E8%8A%B3&email=not-an-email"),
            ))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        assert!(bad.text().contains("field-error"));
        let good = a
            .send(post_form(
                &format!("/console/partners/{pid}/contacts/{cid}"),
                &cookie,
                format!(
                    "_csrf={token}&name=%E7%8E%8B%E8%8A%B3&email=wang.fang%40example.cn&lang=zh-CN"
                ),
            ))
            .await;
        assert_eq!(
            good.status,
            StatusCode::SEE_OTHER,
            "[{}] {}",
            a.name,
            good.text()
        );
        let after = liaison_db::partner::find_contact(
            &a.db,
            liaison_core::Scope::All,
            pid.parse().expect("uuid"),
            cid,
        )
        .await
        .expect("contact");
        assert_eq!(
            (after.name.as_str(), after.email.as_deref()),
            ("王芳", Some("wang.fang@example.cn"))
        );
        // A partner user cannot reach the console forms at all.
        let p1 = browser_login(a, "p1@demo.example").await;
        let refused = a
            .send(post_form(
                &format!("/console/partners/{pid}/contacts/{cid}/delete"),
                &p1,
                format!("_csrf={}", csrf(&p1)),
            ))
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{}]", a.name);
        let del = a
            .send(post_form(
                &format!("/console/partners/{pid}/contacts/{cid}/delete"),
                &cookie,
                format!("_csrf={token}"),
            ))
            .await;
        assert_eq!(del.status, StatusCode::SEE_OTHER);
        let gone = liaison_db::partner::find_contact(
            &a.db,
            liaison_core::Scope::All,
            pid.parse().expect("uuid"),
            cid,
        )
        .await;
        assert!(
            matches!(gone, Err(liaison_db::DbError::NotFound)),
            "[{}]",
            a.name
        );
        let history = liaison_db::audit::list(&a.db, Some(pid.parse().expect("uuid")), None, 5)
            .await
            .expect("history");
        let actions: Vec<&str> = history
            .iter()
            .map(|h| h.action.as_str())
            .filter(|a| !a.starts_with("auth."))
            .collect();
        assert_eq!(
            actions[..2],
            ["contact.delete", "contact.update"],
            "[{}]",
            a.name
        );
    }
}

/// A form body, URL-encoded.
fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).expect("form")
}

/// Sends a request that should redirect; the status, the `Location` and the body.
async fn send_redirect(a: &crate::TestApp, req: Request<Body>) -> (StatusCode, String, String) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let resp = a.router.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let location = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        location,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// A `datetime-local` value `days` from now, in Beijing time as the form reads it.
fn local_in_days(days: i64) -> String {
    let t = chrono::Utc::now() + chrono::Duration::days(days);
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset"))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

#[tokio::test]
async fn the_request_form_renders_and_an_unknown_partner_code_is_a_field_error() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let staff = browser_login(a, "staff@demo.example").await;
        let new = a
            .send(get("/console/requests/new", Some(&staff), "zh-CN"))
            .await;
        assert_eq!(new.status, StatusCode::OK, "[{}] {}", a.name, new.text());
        let page = new.text();
        for needle in [
            "id=\"request-form\"",
            "name=\"partners\"",
            "type=\"datetime-local\"",
            "name=\"channels\"",
            "UTC+8",
            "渠道沟通申请表",
        ] {
            assert!(page.contains(needle), "[{}] {needle}", a.name);
        }
        let list = a.send(get("/console/requests", Some(&staff), "en")).await;
        assert_eq!(list.status, StatusCode::OK, "[{}] {}", a.name, list.text());
        assert!(list.text().contains("id=\"nav-requests\""));

        let bad = a
            .send(post_form(
                "/console/requests",
                &staff,
                form(&[
                    ("_csrf", &csrf(&staff)),
                    ("title", "新品上市通知"),
                    ("partners", "SH-D001, NO-SUCH-9"),
                    ("ack_due_at", "not a time"),
                ]),
            ))
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            bad.text()
        );
        let text = bad.text();
        assert!(
            text.contains("id=\"error-partners\"") && text.contains("NO-SUCH-9"),
            "[{}] {text}",
            a.name
        );
        assert!(text.contains("id=\"error-ack_due_at\""), "[{}]", a.name);
        // What was typed comes back.
        assert!(text.contains("新品上市通知"));
        let none: Vec<_> = liaison_db::request::list_requests(
            &a.db,
            &liaison_core::Actor {
                user_id: uuid::Uuid::nil(),
                roles: liaison_core::Roles::parse_list("admin").expect("roles"),
                partner_id: None,
                department_id: None,
            },
            liaison_db::request::RequestView::All,
            None,
            10,
        )
        .await
        .expect("list");
        assert!(none.is_empty(), "[{}] nothing was saved", a.name);

        // Partner users have no business in the console's requests.
        let p1 = browser_login(a, "p1@demo.example").await;
        assert_eq!(
            a.send(get("/console/requests/new", Some(&p1), "en"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        // The form without its CSRF token is refused.
        let (status, _, _) = send_redirect(
            a,
            post_form("/console/requests", &staff, form(&[("title", "x")])),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

/// Staff fills in the form and submits it, the head and channel management approve through the
/// review form, the receipts board lists SH-D001, p1 reads and confirms in the portal, p2 cannot
/// see the message, and the unconfirmed export is a CSV with a BOM.
#[tokio::test]
async fn a_request_walks_through_the_pages_to_the_partner_inbox() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let staff = browser_login(a, "staff@demo.example").await;
        let title = "2027 年度返利政策说明（页面）";
        let (status, location, body) = send_redirect(
            a,
            post_form(
                "/console/requests",
                &staff,
                form(&[
                    ("_csrf", &csrf(&staff)),
                    ("title", title),
                    ("purpose", "告知华东经销商新的返利规则"),
                    (
                        "body",
                        "自 2027 年 1 月 1 日起，季度返利按新规则结算。\n<script>alert(1)</script>\n\n请于月底前确认。",
                    ),
                    ("category", "product"),
                    ("channels", "email"),
                    ("partners", "sh-d001"),
                    ("importance", "important"),
                    ("urgency", "urgent"),
                    ("classification", "internal"),
                    ("ack_required", "true"),
                    ("ack_due_at", &local_in_days(3)),
                ]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{}] {body}", a.name);
        let id = location
            .strip_prefix("/console/requests/")
            .expect("request page")
            .to_string();
        let rid: uuid::Uuid = id.parse().expect("uuid");
        let page = a.send(get(&location, Some(&staff), "zh-CN")).await.text();
        assert!(page.contains("data-state=\"draft\""), "[{}] {page}", a.name);
        assert!(page.contains("id=\"request-submit\"") && page.contains("SH-D001"));
        assert!(
            page.contains("&lt;script&gt;") && !page.contains("<script>alert"),
            "[{}] the body is shown escaped",
            a.name
        );
        let edit = a
            .send(get(&format!("{location}/edit"), Some(&staff), "en"))
            .await;
        assert_eq!(edit.status, StatusCode::OK, "[{}]", a.name);
        assert!(edit.text().contains("value=\"SH-D001\""));

        let (status, _, body) = send_redirect(
            a,
            post_form(
                &format!("{location}/submit"),
                &staff,
                form(&[("_csrf", &csrf(&staff))]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{}] {body}", a.name);
        let r = liaison_db::request::find_request(&a.db, rid)
            .await
            .expect("request");
        assert_eq!(r.state.as_str(), "pending_dept_head");

        // Nobody decides on their own request.
        let (status, _, _) = send_redirect(
            a,
            post_form(
                &format!("{location}/review"),
                &staff,
                form(&[("_csrf", &csrf(&staff)), ("decision", "approve")]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{}]", a.name);

        let head = browser_login(a, "head@demo.example").await;
        let queue = a
            .send(get("/console/requests?view=to_review", Some(&head), "en"))
            .await
            .text();
        assert!(queue.contains(title), "[{}] the head's queue", a.name);
        let page = a.send(get(&location, Some(&head), "en")).await.text();
        assert!(page.contains("id=\"review-approve\""), "[{}]", a.name);
        let (status, _, body) = send_redirect(
            a,
            post_form(
                &format!("{location}/review"),
                &head,
                form(&[
                    ("_csrf", &csrf(&head)),
                    ("decision", "approve"),
                    ("comment", "同意"),
                ]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{}] {body}", a.name);

        let channel = browser_login(a, "channel@demo.example").await;
        // Rejecting needs a comment: the page comes back with the reason.
        let refused = a
            .send(post_form(
                &format!("{location}/review"),
                &channel,
                form(&[("_csrf", &csrf(&channel)), ("decision", "reject")]),
            ))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}]",
            a.name
        );
        assert!(refused.text().contains("field-error"));
        let (status, _, body) = send_redirect(
            a,
            post_form(
                &format!("{location}/review"),
                &channel,
                form(&[
                    ("_csrf", &csrf(&channel)),
                    ("decision", "approve"),
                    ("comment", "合规"),
                ]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{}] {body}", a.name);
        let r = liaison_db::request::find_request(&a.db, rid)
            .await
            .expect("request");
        assert_eq!(r.state.as_str(), "dispatched", "[{}]", a.name);
        let mid = r.message_id.expect("message");

        // The receipts board.
        let board = a.send(get(&location, Some(&channel), "zh-CN")).await;
        assert_eq!(board.status, StatusCode::OK);
        let text = board.text();
        assert!(text.contains("data-state=\"dispatched\""), "[{}]", a.name);
        assert!(
            text.contains("id=\"receipts-table\"") && text.contains("SH-D001"),
            "[{}] {text}",
            a.name
        );
        assert!(text.contains("id=\"review-history\"") && text.contains("合规"));
        let unconfirmed = a
            .send(get(
                &format!("{location}?unconfirmed=true"),
                Some(&channel),
                "en",
            ))
            .await
            .text();
        assert!(unconfirmed.contains("SH-D001"), "[{}]", a.name);

        let p1 = browser_login(a, "p1@demo.example").await;
        let home = a.send(get("/portal", Some(&p1), "zh-CN")).await.text();
        assert!(
            home.contains("id=\"inbox-link\"") && home.contains("id=\"nav-unread\""),
            "[{}] {home}",
            a.name
        );
        let inbox = a.send(get("/portal/inbox", Some(&p1), "zh-CN")).await;
        assert_eq!(
            inbox.status,
            StatusCode::OK,
            "[{}] {}",
            a.name,
            inbox.text()
        );
        let text = inbox.text();
        assert!(
            text.contains(title) && text.contains(&format!("/portal/inbox/{mid}")),
            "[{}] {text}",
            a.name
        );
        assert!(text.contains("mark-urgent") && text.contains("badge-new"));
        let pid: uuid::Uuid = a.partner_id("SH-D001").await.parse().expect("uuid");
        let before = liaison_db::inbox::list_inbox(&a.db, pid, None, 10)
            .await
            .expect("inbox");
        assert!(before.iter().all(|m| m.read_at.is_none()));

        let message = a
            .send(get(&format!("/portal/inbox/{mid}"), Some(&p1), "zh-CN"))
            .await;
        assert_eq!(message.status, StatusCode::OK, "[{}]", a.name);
        let text = message.text();
        assert!(text.contains(title) && text.contains("id=\"ack-button\""));
        assert!(
            text.contains("<p>自 2027 年 1 月 1 日起，季度返利按新规则结算。")
                && text.contains("&lt;script&gt;")
                && !text.contains("<script>alert")
                && text.contains("<p>请于月底前确认。</p>"),
            "[{}] the body is escaped, in paragraphs: {text}",
            a.name
        );
        let after = liaison_db::inbox::list_inbox(&a.db, pid, None, 10)
            .await
            .expect("inbox");
        assert!(
            after
                .iter()
                .any(|m| m.message_id == mid && m.read_at.is_some()),
            "[{}] the read is recorded",
            a.name
        );

        // Another partner's message is not found, nor can it be confirmed.
        let p2 = browser_login(a, "p2@demo.example").await;
        assert_eq!(
            a.send(get(&format!("/portal/inbox/{mid}"), Some(&p2), "en"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let (status, _, _) = send_redirect(
            a,
            post_form(
                &format!("/portal/inbox/{mid}/ack"),
                &p2,
                form(&[("_csrf", &csrf(&p2))]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "[{}]", a.name);
        assert!(
            !a.send(get("/portal/inbox", Some(&p2), "en"))
                .await
                .text()
                .contains(title)
        );

        // The unconfirmed, exported before p1 confirms.
        let csv = a
            .send(get(
                &format!("{location}/export?unconfirmed=true&format=csv"),
                Some(&channel),
                "en",
            ))
            .await;
        assert_eq!(csv.status, StatusCode::OK, "[{}] {}", a.name, csv.text());
        assert!(csv.content_type.starts_with("text/csv"));
        assert!(
            csv.body.starts_with(&[0xEF, 0xBB, 0xBF]),
            "[{}] UTF-8 with BOM",
            a.name
        );
        assert!(csv.text().contains("SH-D001"));
        let xlsx = a
            .send(get(
                &format!("{location}/export?unconfirmed=true&format=xlsx"),
                Some(&channel),
                "en",
            ))
            .await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(
            xlsx.body.starts_with(b"PK"),
            "[{}] an XLSX is a zip",
            a.name
        );
        let audit = liaison_db::audit::list(&a.db, None, None, 20)
            .await
            .expect("audit");
        assert!(
            audit.iter().filter(|e| e.action == "export").count() >= 2,
            "[{}] exports are audited",
            a.name
        );

        // One tap confirms; the page then shows the confirmed state.
        let (status, location_ack, body) = send_redirect(
            a,
            post_form(
                &format!("/portal/inbox/{mid}/ack"),
                &p1,
                form(&[("_csrf", &csrf(&p1))]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{}] {body}", a.name);
        assert!(location_ack.starts_with(&format!("/portal/inbox/{mid}")));
        let confirmed = a
            .send(get(&format!("/portal/inbox/{mid}"), Some(&p1), "en"))
            .await
            .text();
        assert!(
            confirmed.contains("id=\"ack-state\"") && !confirmed.contains("id=\"ack-button\""),
            "[{}]",
            a.name
        );
        let all_confirmed = a
            .send(get(
                &format!("{location}?unconfirmed=true"),
                Some(&channel),
                "en",
            ))
            .await
            .text();
        assert!(
            !all_confirmed.contains("id=\"receipts-table\""),
            "[{}] nobody left unconfirmed",
            a.name
        );
    }
}

/// §4.4.2: the responsible staff answer a partner's question in the console and close it.
#[tokio::test]
async fn staff_answer_and_close_a_partners_question_in_the_console() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let p1 = a.login("p1@demo.example").await;
        let t = a
            .call(
                "POST",
                "/api/v1/threads",
                Some(&p1),
                Some(
                    serde_json::json!({"subject": "发票问题", "body": "请问 11 月发票何时寄出？"}),
                ),
            )
            .await;
        assert_eq!(t.status, StatusCode::CREATED, "[{}] {}", a.name, t.text());
        let tid = t.json()["id"].as_str().expect("id").to_string();
        let channel = browser_login(a, "channel@demo.example").await;
        let list = a
            .send(get("/console/threads", Some(&channel), "zh-CN"))
            .await;
        assert_eq!(list.status, StatusCode::OK, "[{}] {}", a.name, list.text());
        assert!(
            list.text().contains("发票问题"),
            "[{}] assigned to SH-D001's channel manager",
            a.name
        );
        let token = csrf(&channel);
        let answer = a
            .send(post_form(
                &format!("/console/threads/{tid}/reply"),
                &channel,
                format!("_csrf={token}&body=%E6%9C%AC%E5%91%A8%E4%BA%94%E5%AF%84%E5%87%BA"),
            ))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "[{}] {}",
            a.name,
            answer.text()
        );
        let shown = a
            .send(get(
                &format!("/console/threads/{tid}"),
                Some(&channel),
                "zh-CN",
            ))
            .await
            .text();
        assert!(
            shown.contains("本周五寄出") && shown.contains("status-answered"),
            "[{}]",
            a.name
        );
        let closed = a
            .send(post_form(
                &format!("/console/threads/{tid}/close"),
                &channel,
                format!("_csrf={token}"),
            ))
            .await;
        assert_eq!(closed.status, StatusCode::SEE_OTHER);
        let api = a
            .call("GET", &format!("/api/v1/threads/{tid}"), Some(&p1), None)
            .await
            .json();
        assert_eq!(api["state"], "closed", "[{}] {api}", a.name);
        let partner_cookie = browser_login(a, "p1@demo.example").await;
        assert_eq!(
            a.send(get("/console/threads", Some(&partner_cookie), "en"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
}
