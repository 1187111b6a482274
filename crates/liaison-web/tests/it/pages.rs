//! The HTML shell: login, language choice, console and portal pages.

use crate::apps;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

pub(crate) fn get(path: &str, cookie: Option<&str>, lang: &str) -> Request<Body> {
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

pub(crate) async fn browser_login(a: &crate::TestApp, email: &str) -> String {
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
pub(crate) fn csrf(cookie: &str) -> String {
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

// ---------------------------------------------------------------------------------------------
// The delivery engine's console pages: receipts board actions, IM robots, calendar,
// integrations (policy §2.1.2, §4.4.1, §5.3.2; SPEC B9, H3).

/// `requester` writes a request to SH-D001 and GZ-D003 (four contacts) on e-mail and WeCom
/// asking for a confirmation; the department head and channel management approve it: (request
/// id, message id).
async fn dispatched(a: &crate::TestApp, requester: &str) -> (String, uuid::Uuid) {
    let partners = [a.partner_id("SH-D001").await, a.partner_id("GZ-D003").await];
    let r = a
        .call(
            "POST",
            "/api/v1/requests",
            Some(requester),
            Some(serde_json::json!({
                "title": "双十一备货通知",
                "purpose": "提醒华东经销商提前备货",
                "body": "请于 11 月 1 日前完成备货。",
                "category": "product",
                "channels": ["email", "wecom"],
                "audience": {"partners": partners},
                "ack_required": true,
                "ack_due_at": (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339(),
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
    let id = r.json()["id"].as_str().expect("id").to_string();
    let submitted = a
        .call(
            "POST",
            &format!("/api/v1/requests/{id}/submit"),
            Some(requester),
            None,
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "[{}]", a.name);
    let mut last = serde_json::Value::Null;
    for who in ["head@demo.example", "channel@demo.example"] {
        let t = a.login(who).await;
        last = a
            .call(
                "POST",
                &format!("/api/v1/requests/{id}/approve"),
                Some(&t),
                None,
            )
            .await
            .json();
    }
    assert_eq!(last["state"], "dispatched", "[{}] {last}", a.name);
    let mid = last["message_id"]
        .as_str()
        .expect("message id")
        .parse()
        .expect("uuid");
    (id, mid)
}

/// A page's text with the escapes minijinja writes (`/` as `&#x2f;` and the like) undone.
fn unescaped(page: &str) -> String {
    page.replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

async fn sql(a: &crate::TestApp, q: liaison_db::Q) {
    let mut tx = a.db.begin().await.expect("begin");
    tx.execute(q).await.expect("update");
    tx.commit().await.expect("commit");
}

async fn board_rows(a: &crate::TestApp, mid: uuid::Uuid) -> Vec<liaison_db::inbox::DeliveryRow> {
    liaison_db::inbox::deliveries(&a.db, mid, false, None, 100)
        .await
        .expect("deliveries")
}

/// §4.3, §5.3.2: the board shows what the engine did with each delivery (held for working
/// hours with the time it goes, a dead one with its error), and channel management sends a
/// dead delivery again, one row or all of them, through CSRF-protected forms.
#[tokio::test]
async fn receipts_board_shows_held_and_dead_deliveries_and_a_retry_queues_them_again() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let staff_token = a.login("staff@demo.example").await;
        let (rid, mid) = dispatched(a, &staff_token).await;
        let rows = board_rows(a, mid).await;
        let email: Vec<_> = rows.iter().filter(|d| d.channel == "email").collect();
        let wecom = rows
            .iter()
            .find(|d| d.channel == "wecom")
            .expect("a WeCom delivery");
        assert!(email.len() >= 2, "[{}] {rows:?}", a.name);
        let (dead, sent) = (email[0].id, email[1].id);
        let error = "SMTP 550 mailbox unavailable: 收件人邮箱不存在";
        sql(
            a,
            liaison_db::q(
                "UPDATE deliveries SET state = 'dead', attempts = 6, next_at = NULL, last_error = $1 WHERE id = $2",
            )
            .bind(error)
            .bind(dead),
        )
        .await;
        let opens = chrono::Utc::now() + chrono::Duration::hours(14);
        sql(
            a,
            liaison_db::q("UPDATE deliveries SET state = 'held', next_at = $1 WHERE id = $2")
                .bind(opens)
                .bind(wecom.id),
        )
        .await;
        sql(
            a,
            liaison_db::q(
                "UPDATE deliveries SET state = 'sent', sent_at = $1, attempts = 1, next_at = NULL WHERE id = $2",
            )
            .bind(chrono::Utc::now())
            .bind(sent),
        )
        .await;

        let channel = browser_login(a, "channel@demo.example").await;
        let page = format!("/console/requests/{rid}");
        let board = a.send(get(&page, Some(&channel), "en")).await;
        assert_eq!(
            board.status,
            StatusCode::OK,
            "[{}] {}",
            a.name,
            board.text()
        );
        let text = unescaped(&board.text());
        for needle in [
            format!("id=\"error-{dead}\""),
            error.to_string(),
            format!("id=\"retry-{dead}\""),
            format!("id=\"held-{}\"", wecom.id),
            "goes at".to_string(),
            "id=\"receipts-retry-dead\"".to_string(),
            "id=\"receipts-remind\"".to_string(),
            "Dead 1".to_string(),
            "Held 1".to_string(),
        ] {
            assert!(text.contains(&needle), "[{}] {needle}: {text}", a.name);
        }
        assert!(
            !text.contains(&format!("id=\"retry-{sent}\"")),
            "[{}] a sent delivery has no retry button",
            a.name
        );
        // The same board in Chinese names the states.
        let zh = unescaped(&a.send(get(&page, Some(&channel), "zh-CN")).await.text());
        assert!(
            zh.contains("已放弃") && zh.contains("等待工作时间"),
            "[{}]",
            a.name
        );

        // The requester sees the board and may remind, but not send again.
        let staff = browser_login(a, "staff@demo.example").await;
        let own = unescaped(&a.send(get(&page, Some(&staff), "en")).await.text());
        assert!(
            own.contains("id=\"receipts-remind\"") && !own.contains("id=\"retry-"),
            "[{}] {own}",
            a.name
        );
        let refused = a
            .send(post_form(
                &format!("{page}/retry"),
                &staff,
                form(&[("_csrf", &csrf(&staff)), ("delivery_id", &dead.to_string())]),
            ))
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{}]", a.name);
        // Without its CSRF token the button does nothing.
        let no_token = a
            .send(post_form(
                &format!("{page}/retry"),
                &channel,
                form(&[("delivery_id", &dead.to_string())]),
            ))
            .await;
        assert_eq!(no_token.status, StatusCode::FORBIDDEN, "[{}]", a.name);
        assert_eq!(
            board_rows(a, mid)
                .await
                .iter()
                .find(|d| d.id == dead)
                .map(|d| d.state.as_str()),
            Some("dead")
        );

        // One row.
        let (status, location, body) = send_redirect(
            a,
            post_form(
                &format!("{page}/retry"),
                &channel,
                form(&[
                    ("_csrf", &csrf(&channel)),
                    ("delivery_id", &dead.to_string()),
                ]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{}] {body}", a.name);
        assert_eq!(location, format!("{page}?done=retried&n=1#receipts"));
        let again = board_rows(a, mid).await;
        let d = again.iter().find(|d| d.id == dead).expect("delivery");
        assert_eq!(
            (d.state.as_str(), d.attempts, d.next_at.is_some()),
            ("queued", 0, true),
            "[{}] queued from a fresh attempt count",
            a.name
        );
        let notice = unescaped(&a.send(get(&location, Some(&channel), "en")).await.text());
        assert!(
            notice.contains("id=\"receipts-notice\"")
                && notice.contains("queued again: <strong>1</strong>"),
            "[{}] {notice}",
            a.name
        );

        // Every dead one.
        sql(
            a,
            liaison_db::q("UPDATE deliveries SET state = 'dead', next_at = NULL WHERE id = $1")
                .bind(dead),
        )
        .await;
        let (status, location, _) = send_redirect(
            a,
            post_form(
                &format!("{page}/retry"),
                &channel,
                form(&[("_csrf", &csrf(&channel))]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{}]", a.name);
        assert!(location.contains("n=1"), "[{}] {location}", a.name);
        assert!(
            board_rows(a, mid).await.iter().all(|d| d.state != "dead"),
            "[{}]",
            a.name
        );
        // A delivery that is neither dead nor failed is refused with the reason, on the page.
        let sent_again = a
            .send(post_form(
                &format!("{page}/retry"),
                &channel,
                form(&[
                    ("_csrf", &csrf(&channel)),
                    ("delivery_id", &sent.to_string()),
                ]),
            ))
            .await;
        assert_eq!(
            sent_again.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}]",
            a.name
        );
        assert!(sent_again.text().contains("id=\"form-errors\""));
    }
}

/// §4.4.1: the requester reminds everyone who has not confirmed, at once, from the board; a
/// colleague who may not see the request cannot.
#[tokio::test]
async fn the_requester_reminds_unconfirmed_recipients_from_the_board() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let staff_token = a.login("staff@demo.example").await;
        let (rid, mid) = dispatched(a, &staff_token).await;
        // The worker has sent the pushes; nobody has confirmed.
        sql(
            a,
            liaison_db::q(
                "UPDATE deliveries SET state = 'sent', sent_at = $1, attempts = 1, next_at = NULL
                  WHERE message_id = $2 AND channel <> 'portal'",
            )
            .bind(chrono::Utc::now())
            .bind(mid),
        )
        .await;
        let pushed = board_rows(a, mid)
            .await
            .iter()
            .filter(|d| d.channel != "portal")
            .count();
        let page = format!("/console/requests/{rid}");
        let staff = browser_login(a, "staff@demo.example").await;

        let rnd = browser_login(a, "rnd@demo.example").await;
        let (status, _, _) = send_redirect(
            a,
            post_form(
                &format!("{page}/remind"),
                &rnd,
                form(&[("_csrf", &csrf(&rnd))]),
            ),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "[{}] another department's request",
            a.name
        );
        let (status, _, _) = send_redirect(
            a,
            post_form(&format!("{page}/remind"), &staff, String::new()),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{}] no CSRF token", a.name);
        assert!(
            board_rows(a, mid).await.iter().all(|d| d.next_at.is_none()),
            "[{}] nothing queued yet",
            a.name
        );

        let (status, location, body) = send_redirect(
            a,
            post_form(
                &format!("{page}/remind"),
                &staff,
                form(&[("_csrf", &csrf(&staff))]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{}] {body}", a.name);
        assert_eq!(
            location,
            format!("{page}?done=reminded&n={pushed}#receipts")
        );
        let queued = board_rows(a, mid)
            .await
            .iter()
            .filter(|d| d.channel != "portal" && d.next_at.is_some())
            .count();
        assert_eq!(queued, pushed, "[{}] a reminder per push delivery", a.name);
        let shown = unescaped(&a.send(get(&location, Some(&staff), "zh-CN")).await.text());
        assert!(
            shown.contains("id=\"receipts-notice\"")
                && shown.contains(&format!("已安排提醒： <strong>{pushed}</strong>")),
            "[{}] {shown}",
            a.name
        );
        let audit = liaison_db::audit::list(&a.db, None, None, 10)
            .await
            .expect("audit");
        assert!(
            audit.iter().any(|e| e.action == "message.remind"),
            "[{}]",
            a.name
        );
    }
}

/// §2.1.2: channel management adds a partner's WeCom group robot on the partner page; the
/// page shows where it posts (the URL without its key) and whether it signs, never the key or
/// the secret; a bad robot comes back with its errors and what was typed, except the secret.
#[tokio::test]
async fn a_partner_robot_added_on_the_partner_page_never_shows_its_key_or_secret() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let channel = browser_login(a, "channel@demo.example").await;
        let token = csrf(&channel);
        let pid = a.partner_id("SH-D001").await;
        let page = format!("/console/partners/{pid}");
        let before = unescaped(&a.send(get(&page, Some(&channel), "zh-CN")).await.text());
        assert!(
            before.contains("id=\"robots\"") && before.contains("id=\"robot-form\""),
            "[{}] {before}",
            a.name
        );
        let key = "ROBOTKEY-4f1c9a77";
        let secret = "SEC-robot-secret-123";
        let (status, location, body) = send_redirect(
            a,
            post_form(
                &format!("{page}/robots"),
                &channel,
                form(&[
                    ("_csrf", &token),
                    ("kind", "wecom"),
                    (
                        "url",
                        &format!("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={key}"),
                    ),
                    ("secret", secret),
                    ("label", "恒通采购群"),
                    ("contact", "group"),
                ]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{}] {body}", a.name);
        assert_eq!(location, format!("{page}#robots"));
        let shown = unescaped(&a.send(get(&page, Some(&channel), "zh-CN")).await.text());
        assert!(
            shown.contains("https://qyapi.weixin.qq.com/cgi-bin/…")
                && shown.contains("恒通采购群")
                && shown.contains("伙伴群")
                && shown.contains("badge-ok"),
            "[{}] {shown}",
            a.name
        );
        assert!(
            !shown.contains(key) && !shown.contains(secret),
            "[{}] the key and the secret never reach a page",
            a.name
        );
        let robots = liaison_db::robot::list_robots(&a.db, pid.parse().expect("uuid"))
            .await
            .expect("robots");
        assert_eq!(robots.len(), 1, "[{}]", a.name);
        assert!(robots[0].signed && robots[0].contact_id.is_none());

        // A plain-http webhook without a secret: both fields are named, the rest comes back.
        let typed_secret = "typed-but-not-kept";
        let bad = a
            .send(post_form(
                &format!("{page}/robots"),
                &channel,
                form(&[
                    ("_csrf", &token),
                    ("kind", "webhook"),
                    ("url", "http://erp.example.cn/hook"),
                    ("secret", ""),
                    ("label", "恒通 ERP"),
                    ("contact", "group"),
                ]),
            ))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        let text = unescaped(&bad.text());
        for needle in [
            "id=\"robot-error-url\"",
            "id=\"robot-error-secret\"",
            "value=\"恒通 ERP\"",
            "value=\"http://erp.example.cn/hook\"",
            "<option value=\"webhook\" selected>",
        ] {
            assert!(text.contains(needle), "[{}] {needle}: {text}", a.name);
        }
        let bad = a
            .send(post_form(
                &format!("{page}/robots"),
                &channel,
                form(&[
                    ("_csrf", &token),
                    ("kind", "dingtalk"),
                    ("url", "not a url"),
                    ("secret", typed_secret),
                    ("contact", "group"),
                ]),
            ))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        assert!(
            !unescaped(&bad.text()).contains(typed_secret),
            "[{}] the secret is not echoed",
            a.name
        );

        // A contact's own robot names the contact.
        let contacts = liaison_db::partner::list_contacts(
            &a.db,
            liaison_core::Scope::All,
            pid.parse().expect("uuid"),
        )
        .await
        .expect("contacts");
        let (status, _, body) = send_redirect(
            a,
            post_form(
                &format!("{page}/robots"),
                &channel,
                form(&[
                    ("_csrf", &token),
                    ("kind", "dingtalk"),
                    (
                        "url",
                        "https://oapi.dingtalk.com/robot/send?access_token=DTOKEN-998",
                    ),
                    ("contact", &contacts[0].id.to_string()),
                ]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{}] {body}", a.name);
        let shown = unescaped(&a.send(get(&page, Some(&channel), "en")).await.text());
        assert!(
            shown.contains(&contacts[0].name) && !shown.contains("DTOKEN-998"),
            "[{}]",
            a.name
        );

        // Remove both; the partner's history says so.
        for r in liaison_db::robot::list_robots(&a.db, pid.parse().expect("uuid"))
            .await
            .expect("robots")
        {
            let (status, _, _) = send_redirect(
                a,
                post_form(
                    &format!("{page}/robots/{}/delete", r.id),
                    &channel,
                    form(&[("_csrf", &token)]),
                ),
            )
            .await;
            assert_eq!(status, StatusCode::SEE_OTHER, "[{}]", a.name);
        }
        assert!(
            liaison_db::robot::list_robots(&a.db, pid.parse().expect("uuid"))
                .await
                .expect("robots")
                .is_empty()
        );
        let after = unescaped(&a.send(get(&page, Some(&channel), "en")).await.text());
        assert!(
            after.contains("IM robot added") && after.contains("IM robot removed"),
            "[{}] {after}",
            a.name
        );

        // Staff read the partner but do not see or manage its robots.
        let staff = browser_login(a, "staff@demo.example").await;
        let seen = a.send(get(&page, Some(&staff), "en")).await;
        assert_eq!(seen.status, StatusCode::OK, "[{}]", a.name);
        assert!(
            !unescaped(&seen.text()).contains("id=\"robots\""),
            "[{}]",
            a.name
        );
    }
}

/// §5.3.2: the calendar page lists the year's public holidays and make-up working days that
/// hold non-urgent messages; channel management adds, changes and removes a date.
#[tokio::test]
async fn the_calendar_page_shows_2026_holidays_and_make_up_days_and_is_edited_by_channel_management()
 {
    let (apps, _g) = apps().await;
    for a in &apps {
        let channel = browser_login(a, "channel@demo.example").await;
        let token = csrf(&channel);
        let y2026 = a
            .send(get("/console/calendar?year=2026", Some(&channel), "zh-CN"))
            .await;
        assert_eq!(
            y2026.status,
            StatusCode::OK,
            "[{}] {}",
            a.name,
            y2026.text()
        );
        let text = unescaped(&y2026.text());
        for needle in [
            "春节",
            "id=\"day-2026-02-14\"",
            "春节调休上班",
            "调休上班",
            "星期六",
            "法定节假日",
            "§5.3.2",
            "（暂定）",
            "id=\"day-form\"",
            "id=\"day-delete-2026-10-01\"",
            "href=\"/console/calendar?year=2027\"",
            "id=\"nav-calendar\"",
        ] {
            assert!(text.contains(needle), "[{}] {needle}", a.name);
        }
        let y2027 = unescaped(
            &a.send(get("/console/calendar?year=2027", Some(&channel), "en"))
                .await
                .text(),
        );
        assert!(
            y2027.contains("春节（暂定）") && y2027.contains("Provisional"),
            "[{}]",
            a.name
        );
        // Without a year: the current one.
        let year = chrono::Datelike::year(
            &a.db
                .now()
                .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset")),
        );
        let this = a.send(get("/console/calendar", Some(&channel), "en")).await;
        assert_eq!(this.status, StatusCode::OK);
        assert!(
            unescaped(&this.text()).contains(&format!("· {year}</h1>")),
            "[{}]",
            a.name
        );
        let bad_year = a
            .send(get("/console/calendar?year=abc", Some(&channel), "en"))
            .await;
        assert_eq!(bad_year.status, StatusCode::UNPROCESSABLE_ENTITY);

        // A company day off is added, renamed, then removed.
        let (status, location, body) = send_redirect(
            a,
            post_form(
                "/console/calendar",
                &channel,
                form(&[
                    ("_csrf", &token),
                    ("date", "2026-12-31"),
                    ("kind", "holiday"),
                    ("name", "年终盘点"),
                ]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{}] {body}", a.name);
        assert_eq!(
            location,
            "/console/calendar?year=2026&saved=2026-12-31#day-2026-12-31"
        );
        let edit = unescaped(
            &a.send(get(
                "/console/calendar?year=2026&edit=2026-12-31",
                Some(&channel),
                "en",
            ))
            .await
            .text(),
        );
        assert!(
            edit.contains("value=\"2026-12-31\"") && edit.contains("value=\"年终盘点\""),
            "[{}] the change link fills the form",
            a.name
        );
        let (status, _, _) = send_redirect(
            a,
            post_form(
                "/console/calendar",
                &channel,
                form(&[
                    ("_csrf", &token),
                    ("date", "2026-12-31"),
                    ("kind", "workday"),
                    ("name", "年终盘点加班"),
                ]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let day = liaison_db::calendar::find_day(
            &a.db,
            chrono::NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
        )
        .await
        .expect("query")
        .expect("day");
        assert_eq!(
            (day.kind.as_str(), day.name.as_str()),
            ("workday", "年终盘点加班")
        );
        let bad = a
            .send(post_form(
                "/console/calendar",
                &channel,
                form(&[
                    ("_csrf", &token),
                    ("date", "2026-2-30"),
                    ("kind", "holiday"),
                    ("name", "打错的日子"),
                ]),
            ))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        assert!(
            unescaped(&bad.text()).contains("id=\"error-date\"")
                && unescaped(&bad.text()).contains("value=\"打错的日子\""),
            "[{}]",
            a.name
        );
        let (status, location, _) = send_redirect(
            a,
            post_form(
                "/console/calendar/2026-12-31/delete",
                &channel,
                form(&[("_csrf", &token)]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{}]", a.name);
        assert!(location.starts_with("/console/calendar?year=2026"));
        assert!(
            liaison_db::calendar::find_day(
                &a.db,
                chrono::NaiveDate::from_ymd_opt(2026, 12, 31).expect("date")
            )
            .await
            .expect("query")
            .is_none()
        );

        // Staff read the calendar but have no form.
        let staff = browser_login(a, "staff@demo.example").await;
        let read = a
            .send(get("/console/calendar?year=2026", Some(&staff), "en"))
            .await;
        assert_eq!(read.status, StatusCode::OK, "[{}]", a.name);
        assert!(
            unescaped(&read.text()).contains("id=\"day-2026-02-14\"")
                && !unescaped(&read.text()).contains("id=\"day-form\"")
                && !unescaped(&read.text()).contains("id=\"day-delete-"),
            "[{}]",
            a.name
        );
    }
}

/// SPEC H3: an admin registers an event endpoint (shown without its key or secret), runs a dead
/// job again, and sets the delivery numbers the policy leaves open (§4.4.1).
#[tokio::test]
async fn the_integrations_page_manages_endpoints_dead_jobs_and_delivery_settings() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let admin = browser_login(a, "admin@demo.example").await;
        let token = csrf(&admin);
        let page = a
            .send(get("/console/integrations", Some(&admin), "en"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "[{}] {}", a.name, page.text());
        let text = unescaped(&page.text());
        for needle in [
            "id=\"nav-integrations\"",
            "value=\"delivery.failed\"",
            "value=\"reply.received\"",
            "id=\"settings-form\"",
            "name=\"remind_before_hours\"",
        ] {
            assert!(text.contains(needle), "[{}] {needle}", a.name);
        }

        let key = "ENDPOINT-KEY-77";
        let secret = "endpoint-signing-secret-2026";
        let (status, location, body) = send_redirect(
            a,
            post_form(
                "/console/integrations/endpoints",
                &admin,
                form(&[
                    ("_csrf", &token),
                    (
                        "url",
                        &format!("https://erp.example.cn/hooks/liaison?token={key}"),
                    ),
                    ("secret", secret),
                    ("events", "request.approved"),
                    ("events", "delivery.failed"),
                ]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{}] {body}", a.name);
        let shown = unescaped(&a.send(get(&location, Some(&admin), "en")).await.text());
        assert!(
            shown.contains("https://erp.example.cn/hooks/…")
                && shown.contains("<code>delivery.failed</code>")
                && shown.contains("id=\"integrations-notice\""),
            "[{}] {shown}",
            a.name
        );
        assert!(
            !shown.contains(key) && !shown.contains(secret),
            "[{}]",
            a.name
        );
        let endpoints = liaison_db::events::list_endpoints(&a.db)
            .await
            .expect("list");
        assert_eq!(endpoints.len(), 1);
        assert_eq!(endpoints[0].events, ["request.approved", "delivery.failed"]);

        let bad = a
            .send(post_form(
                "/console/integrations/endpoints",
                &admin,
                form(&[
                    ("_csrf", &token),
                    ("url", "https://crm.example.cn/in"),
                    ("secret", "short"),
                    ("events", "reply.received"),
                ]),
            ))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        let text = unescaped(&bad.text());
        assert!(
            text.contains("id=\"endpoint-error-secret\"")
                && text.contains("value=\"https://crm.example.cn/in\"")
                && text.contains("value=\"reply.received\" checked")
                && !text.contains("value=\"short\""),
            "[{}] {text}",
            a.name
        );

        // A dead job, as the worker leaves it after its last attempt.
        let mut tx = a.db.begin().await.expect("begin");
        let job = liaison_db::job::enqueue(
            &mut tx,
            chrono::Utc::now(),
            "escalate",
            serde_json::json!({"message_id": uuid::Uuid::now_v7()}),
        )
        .await
        .expect("enqueue");
        tx.commit().await.expect("commit");
        let job_error = "邮件服务器超时：connection timed out";
        sql(
            a,
            liaison_db::q(
                "UPDATE jobs SET state = 'dead', attempts = 6, run_at = NULL, last_error = $1 WHERE id = $2",
            )
            .bind(job_error)
            .bind(job),
        )
        .await;
        let dead = unescaped(
            &a.send(get(
                "/console/integrations?state=dead",
                Some(&admin),
                "zh-CN",
            ))
            .await
            .text(),
        );
        assert!(
            dead.contains(job_error) && dead.contains(&format!("id=\"job-retry-{job}\"")),
            "[{}] {dead}",
            a.name
        );
        let (status, location, _) = send_redirect(
            a,
            post_form(
                &format!("/console/integrations/jobs/{job}/retry"),
                &admin,
                form(&[("_csrf", &token), ("state", "dead")]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{}]", a.name);
        assert_eq!(
            location,
            "/console/integrations?done=job_queued&state=dead#jobs"
        );
        let queued = liaison_db::job::list_jobs(&a.db, Some("escalate"), Some("queued"), 10)
            .await
            .expect("jobs");
        assert!(
            queued.iter().any(|j| j.id == job && j.attempts == 0),
            "[{}]",
            a.name
        );
        let twice = a
            .send(post_form(
                &format!("/console/integrations/jobs/{job}/retry"),
                &admin,
                form(&[("_csrf", &token)]),
            ))
            .await;
        assert_eq!(
            twice.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] only a dead job runs again",
            a.name
        );
        assert!(twice.text().contains("id=\"action-errors\""));
        let bad_filter = a
            .send(get("/console/integrations?state=stuck", Some(&admin), "en"))
            .await;
        assert_eq!(bad_filter.status, StatusCode::UNPROCESSABLE_ENTITY);

        // The delivery settings.
        let (status, _, body) = send_redirect(
            a,
            post_form(
                "/console/integrations/settings",
                &admin,
                form(&[
                    ("_csrf", &token),
                    ("remind_before_hours", "12"),
                    ("max_attempts", "4"),
                ]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{}] {body}", a.name);
        assert_eq!(
            liaison_db::delivery::settings(&a.db)
                .await
                .expect("settings"),
            liaison_db::delivery::DeliverySettings {
                remind_before_hours: 12,
                max_attempts: 4
            }
        );
        let bad = a
            .send(post_form(
                "/console/integrations/settings",
                &admin,
                form(&[
                    ("_csrf", &token),
                    ("remind_before_hours", "0"),
                    ("max_attempts", "99"),
                ]),
            ))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        let not_a_number = a
            .send(post_form(
                "/console/integrations/settings",
                &admin,
                form(&[
                    ("_csrf", &token),
                    ("remind_before_hours", "十二"),
                    ("max_attempts", "4"),
                ]),
            ))
            .await;
        assert_eq!(not_a_number.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            unescaped(&not_a_number.text()).contains("value=\"十二\""),
            "[{}] what was typed comes back",
            a.name
        );
        let text = unescaped(&bad.text());
        assert!(
            text.contains("id=\"settings-error-remind_before_hours\"")
                && text.contains("id=\"settings-error-max_attempts\"")
                && text.contains("value=\"99\""),
            "[{}] {text}",
            a.name
        );
        assert_eq!(
            liaison_db::delivery::settings(&a.db)
                .await
                .expect("settings")
                .max_attempts,
            4
        );

        let (status, _, _) = send_redirect(
            a,
            post_form(
                &format!("/console/integrations/endpoints/{}/delete", endpoints[0].id),
                &admin,
                form(&[("_csrf", &token)]),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{}]", a.name);
        assert!(
            liaison_db::events::list_endpoints(&a.db)
                .await
                .expect("list")
                .is_empty()
        );
    }
}

/// Who may not: a partner user is refused every new console page and form, an unprivileged
/// staff user every one that needs channel management or an admin, and every form needs its
/// CSRF token, even from an admin.
#[tokio::test]
async fn delivery_console_pages_and_forms_refuse_partners_staff_and_missing_csrf() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let head_token = a.login("head@demo.example").await;
        let (rid, mid) = dispatched(a, &head_token).await;
        let did = board_rows(a, mid).await[0].id;
        let pid = a.partner_id("SH-D001").await;
        let admin_id: uuid::Uuid = a
            .call(
                "GET",
                "/api/v1/me",
                Some(&a.login("admin@demo.example").await),
                None,
            )
            .await
            .json()["user"]["id"]
            .as_str()
            .expect("user id")
            .parse()
            .expect("uuid");
        let robot = liaison_db::robot::insert_robot(
            &a.db,
            admin_id,
            pid.parse().expect("uuid"),
            &liaison_db::robot::NewRobot {
                kind: "wecom".into(),
                label: "恒通群".into(),
                url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K".into(),
                url_hint: "https://qyapi.weixin.qq.com/cgi-bin/…".into(),
                secret: None,
                contact_id: None,
            },
        )
        .await
        .expect("robot");
        let endpoint = liaison_db::events::insert_endpoint(
            &a.db,
            admin_id,
            &liaison_db::events::NewEndpoint {
                url: "https://erp.example.cn/hooks/x".into(),
                url_hint: "https://erp.example.cn/hooks/…".into(),
                secret: "a-signing-secret-of-16".into(),
                events: vec!["*".into()],
            },
        )
        .await
        .expect("endpoint");
        let job = uuid::Uuid::now_v7();

        let posts: Vec<(String, Vec<(&str, String)>)> = vec![
            (format!("/console/requests/{rid}/remind"), vec![]),
            (
                format!("/console/requests/{rid}/retry"),
                vec![("delivery_id", did.to_string())],
            ),
            (
                format!("/console/partners/{pid}/robots"),
                vec![
                    ("kind", "slack".into()),
                    ("url", "https://hooks.slack.com/services/T/B/X".into()),
                ],
            ),
            (
                format!("/console/partners/{pid}/robots/{}/delete", robot.id),
                vec![],
            ),
            (
                "/console/calendar".into(),
                vec![
                    ("date", "2026-12-30".into()),
                    ("kind", "holiday".into()),
                    ("name", "x".into()),
                ],
            ),
            ("/console/calendar/2026-10-01/delete".into(), vec![]),
            (
                "/console/integrations/endpoints".into(),
                vec![
                    ("url", "https://erp.example.cn/y".into()),
                    ("secret", "a-signing-secret-of-16".into()),
                ],
            ),
            (
                format!("/console/integrations/endpoints/{}/delete", endpoint.id),
                vec![],
            ),
            (format!("/console/integrations/jobs/{job}/retry"), vec![]),
            (
                "/console/integrations/settings".into(),
                vec![
                    ("remind_before_hours", "2".into()),
                    ("max_attempts", "2".into()),
                ],
            ),
        ];
        let p1 = browser_login(a, "p1@demo.example").await;
        let staff = browser_login(a, "staff@demo.example").await;
        let admin = browser_login(a, "admin@demo.example").await;
        for (path, fields) in &posts {
            for (who, cookie) in [("p1", &p1), ("staff", &staff)] {
                let mut body: Vec<(&str, &str)> = vec![("_csrf", "")];
                let token = csrf(cookie);
                body[0].1 = &token;
                body.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
                let (status, _, text) =
                    send_redirect(a, post_form(path, cookie, form(&body))).await;
                // Staff may not even see another department's request: not found, as elsewhere.
                let expected = if who == "staff" && path.starts_with("/console/requests/") {
                    StatusCode::NOT_FOUND
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(status, expected, "[{}] {who} {path}: {text}", a.name);
                assert!(text.contains("<h1>"), "[{}] an error page", a.name);
            }
            let body: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, _, _) = send_redirect(a, post_form(path, &admin, form(&body))).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "[{}] no CSRF: {path}",
                a.name
            );
        }
        // Nothing changed.
        assert_eq!(
            liaison_db::robot::list_robots(&a.db, pid.parse().expect("uuid"))
                .await
                .expect("robots")
                .len(),
            1
        );
        assert_eq!(
            liaison_db::events::list_endpoints(&a.db)
                .await
                .expect("endpoints")
                .len(),
            1
        );
        assert!(
            liaison_db::calendar::find_day(
                &a.db,
                chrono::NaiveDate::from_ymd_opt(2026, 10, 1).expect("date")
            )
            .await
            .expect("query")
            .is_some()
        );

        for path in [
            "/console/calendar".to_string(),
            "/console/integrations".to_string(),
            format!("/console/partners/{pid}"),
            format!("/console/requests/{rid}"),
        ] {
            let r = a.send(get(&path, Some(&p1), "zh-CN")).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "[{}] p1 {path}", a.name);
        }
        let staff_page = a
            .send(get("/console/integrations", Some(&staff), "en"))
            .await;
        assert_eq!(staff_page.status, StatusCode::FORBIDDEN, "[{}]", a.name);
        let channel = browser_login(a, "channel@demo.example").await;
        let cm = a
            .send(get("/console/integrations", Some(&channel), "en"))
            .await;
        assert_eq!(
            cm.status,
            StatusCode::FORBIDDEN,
            "[{}] integrations are for admins",
            a.name
        );
        assert!(!cm.text().contains("id=\"nav-integrations\""));
        let cm_settings = a
            .send(post_form(
                "/console/integrations/settings",
                &channel,
                form(&[
                    ("_csrf", &csrf(&channel)),
                    ("remind_before_hours", "2"),
                    ("max_attempts", "2"),
                ]),
            ))
            .await;
        assert_eq!(cm_settings.status, StatusCode::FORBIDDEN, "[{}]", a.name);
        // Without a session, the pages send visitors to log in.
        let anon = a.send(get("/console/calendar", None, "en")).await;
        assert_eq!(anon.status, StatusCode::SEE_OTHER, "[{}]", a.name);
    }
}
