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
