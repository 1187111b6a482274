//! Rules found by review: cookie-authenticated API writes need the CSRF token, login answers
//! are never stored by the idempotency layer, partial imports keep what the file omits,
//! filters are bounded, and tag filters behave the same on both databases.

use crate::apps;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

fn csv_import(
    cookie: Option<&str>,
    bearer: Option<&str>,
    csrf: Option<&str>,
    body: &str,
) -> Request<Body> {
    let mut b = Request::builder()
        .method("POST")
        .uri("/api/v1/imports/partners?filename=p.csv")
        .header(header::CONTENT_TYPE, "text/plain");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, format!("liaison_session={c}"));
    }
    if let Some(t) = bearer {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if let Some(x) = csrf {
        b = b.header("x-csrf-token", x);
    }
    b.body(Body::from(body.to_string())).expect("request")
}

#[tokio::test]
async fn a_cookie_alone_cannot_change_data_through_the_api() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let token = a.login("channel@demo.example").await;
        let csv = "code,name,kind,region,tier\nCSRF-1,跨站伙伴,agent,华东,A\n";
        let forged = a.send(csv_import(Some(&token), None, None, csv)).await;
        assert_eq!(
            forged.status,
            StatusCode::FORBIDDEN,
            "[{}] {}",
            a.name,
            forged.text()
        );
        let csrf = crate::pages::csrf(&format!("liaison_session={token}"));
        assert_eq!(
            a.send(csv_import(Some(&token), None, Some(&csrf), csv))
                .await
                .status,
            StatusCode::OK
        );
        // Bearer tokens are not sent by browsers on their own: no CSRF token needed.
        let csv2 = "code,name,kind,region,tier\nCSRF-2,接口伙伴,agent,华东,A\n";
        assert_eq!(
            a.send(csv_import(None, Some(&token), None, csv2))
                .await
                .status,
            StatusCode::OK
        );
        // Reads with the cookie need nothing more.
        let req = Request::builder()
            .uri("/api/v1/me")
            .header(header::COOKIE, format!("liaison_session={token}"))
            .body(Body::empty())
            .expect("request");
        assert_eq!(a.send(req).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn login_answers_are_not_kept_by_the_idempotency_layer() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let t = a.login("admin@demo.example").await;
        let req = Request::builder()
            .method("POST")
            .uri("/api/v1/auth/login")
            .header(header::AUTHORIZATION, format!("Bearer {t}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", "login-1")
            .body(Body::from(
                json!({"email": "staff@demo.example", "password": "liaison-demo"}).to_string(),
            ))
            .expect("request");
        assert_eq!(a.send(req).await.status, StatusCode::OK);
        let stored: i64 =
            a.db.fetch_one(liaison_db::q("SELECT COUNT(*) FROM idempotency_keys"))
                .await
                .expect("count");
        assert_eq!(
            stored, 0,
            "[{}] a login answer (with its token) was stored",
            a.name
        );
    }
}

#[tokio::test]
async fn a_partial_import_keeps_what_the_file_does_not_say() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let t = a.login("channel@demo.example").await;
        let before = a
            .call("GET", "/api/v1/partners?q=BJ-D002", Some(&t), None)
            .await
            .json()["items"][0]
            .clone();
        assert!(before["owner_id"].is_string());
        let req = Request::builder()
            .method("POST")
            .uri("/api/v1/imports/partners?filename=p.csv")
            .header(header::AUTHORIZATION, format!("Bearer {t}"))
            .body(Body::from("code,tier\nBJ-D002,B\n"))
            .expect("request");
        let r = a.send(req).await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        let after = a
            .call("GET", "/api/v1/partners?q=BJ-D002", Some(&t), None)
            .await
            .json()["items"][0]
            .clone();
        assert_eq!(after["tier"], "B");
        for kept in ["owner_id", "tags", "name", "working_hours", "kind"] {
            assert_eq!(after[kept], before[kept], "[{}] {kept} was lost", a.name);
        }
        // A new partner still needs every required field.
        let req = Request::builder()
            .method("POST")
            .uri("/api/v1/imports/partners?filename=p.csv")
            .header(header::AUTHORIZATION, format!("Bearer {t}"))
            .body(Body::from("code,tier\nNEW-1,A\n"))
            .expect("request");
        assert_eq!(a.send(req).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn filters_are_bounded_and_tags_match_without_case_on_both_databases() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let t = a.login("channel@demo.example").await;
        let regions: Vec<String> = (0..60).map(|i| format!("r{i}")).collect();
        let r = a
            .call(
                "POST",
                "/api/v1/segments",
                Some(&t),
                Some(json!({"name": "too big", "filter": {"regions": regions}})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            r.text()
        );
        let pid = a.partner_id("EC-005").await;
        let p = a
            .call(
                "PATCH",
                &format!("/api/v1/partners/{pid}"),
                Some(&t),
                Some(json!({"tags": ["VIP"]})),
            )
            .await;
        assert_eq!(p.status, StatusCode::OK);
        let found = a
            .call("GET", "/api/v1/partners?tag=vip", Some(&t), None)
            .await
            .json();
        assert_eq!(
            found["items"].as_array().map(Vec::len),
            Some(1),
            "[{}] {found}",
            a.name
        );
    }
}

#[tokio::test]
async fn a_department_and_its_head_are_created_together_or_not_at_all() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let admin = a.login("admin@demo.example").await;
        let bad = a
            .call(
                "POST",
                "/api/v1/departments",
                Some(&admin),
                Some(json!({"code": "legal", "name": "法务部", "head": "nobody@demo.example"})),
            )
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            bad.text()
        );
        let list = a
            .call("GET", "/api/v1/departments", Some(&admin), None)
            .await
            .text();
        assert!(
            !list.contains("\"legal\""),
            "[{}] a half-made department was left",
            a.name
        );
        let ok = a
            .call(
                "POST",
                "/api/v1/departments",
                Some(&admin),
                Some(json!({"code": "legal", "name": "法务部", "head": "staff@demo.example"})),
            )
            .await;
        assert_eq!(ok.status, StatusCode::CREATED, "[{}] {}", a.name, ok.text());
        assert!(
            ok.json()["head_user_id"].is_string(),
            "[{}] {}",
            a.name,
            ok.text()
        );
    }
}

/// A client that misspells a field is told which one, instead of having it silently dropped
/// and being refused for something else ("choose at least one partner").
#[tokio::test]
async fn an_unknown_field_is_a_422_that_names_it() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let token = a.login("staff@demo.example").await;
        let partner = a.partner_id("SH-D001").await;
        let r = a
            .call(
                "POST",
                "/api/v1/requests",
                Some(&token),
                Some(json!({"title": "返利通知", "audience": {"partner_ids": [partner]}})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            r.text()
        );
        let body = r.json();
        assert_eq!(
            body["errors"][0]["field"], "audience.partner_ids",
            "[{}] {body}",
            a.name
        );
        let r = a
            .call(
                "POST",
                "/api/v1/requests",
                Some(&token),
                Some(json!({"titel": "x"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        assert_eq!(r.json()["errors"][0]["field"], "titel", "[{}]", a.name);
        // A PATCH body takes `version` besides the fields, and nothing else.
        let created = a
            .call(
                "POST",
                "/api/v1/requests",
                Some(&token),
                Some(json!({"title": "草稿"})),
            )
            .await;
        assert_eq!(
            created.status,
            StatusCode::CREATED,
            "[{}] {}",
            a.name,
            created.text()
        );
        let id = created.json()["id"].as_str().expect("id").to_string();
        let path = format!("/api/v1/requests/{id}");
        let r = a
            .call(
                "PATCH",
                &path,
                Some(&token),
                Some(json!({"title": "改", "version": 1, "bogus": 1})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        assert_eq!(r.json()["errors"][0]["field"], "bogus", "[{}]", a.name);
        let r = a
            .call(
                "PATCH",
                &path,
                Some(&token),
                Some(json!({"title": "改", "version": 1})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(r.json()["title"], "改", "[{}]", a.name);
    }
}

/// Issue 9 (policy §7.2.3): ten wrong passwords for one account from an office's shared address
/// slow that account there, but a colleague's correct password from the same address works.
#[tokio::test]
async fn a_shared_address_is_not_locked_by_one_accounts_failures() {
    let (apps, _g) = apps().await;
    for a in &apps {
        for _ in 0..10 {
            let wrong = a
                .call(
                    "POST",
                    "/api/v1/auth/login",
                    None,
                    Some(json!({"email": "staff@demo.example", "password": "not-it"})),
                )
                .await;
            assert!(
                wrong.status == StatusCode::UNAUTHORIZED
                    || wrong.status == StatusCode::TOO_MANY_REQUESTS,
                "[{}] {}",
                a.name,
                wrong.status
            );
        }
        let locked = a
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"email": "staff@demo.example", "password": "not-it"})),
            )
            .await;
        assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "[{}]", a.name);
        // `login` asserts a 200 with a token.
        let token = a.login("head@demo.example").await;
        assert!(!token.is_empty(), "[{}]", a.name);
    }
}
