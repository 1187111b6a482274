//! Issue 10: what an outside attack (a schema-driven fuzzer, as admin and as a partner user)
//! found in the web layer, each pinned on both databases: control characters in any text
//! parameter, the bearer scheme's case, the CSRF refusal's message, caching and transport
//! headers, segments and partner users, the OpenAPI document against the answers, and one
//! `Idempotency-Key` sent by many at once (SPEC R2).

use crate::apps;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

fn get(path: &str, token: &str) -> Request<Body> {
    Request::builder()
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request")
}

/// The first field a 422 names.
fn field(r: &crate::Reply) -> String {
    r.json()["errors"][0]["field"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// PostgreSQL cannot store NUL in text: before, each of these was a 500 there (and an answer on
/// SQLite). Now every text parameter is checked once at the edge: a 422 naming it, on both.
#[tokio::test]
async fn a_control_character_in_any_text_parameter_is_a_422_naming_it() {
    let (apps, _g) = apps().await;
    for a in &apps {
        // Unauthenticated: the login body.
        let r = a
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"email": "a\u{0}@b.c", "password": "liaison-demo"})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            r.text()
        );
        assert_eq!(r.content_type, "application/problem+json");
        assert_eq!(field(&r), "email", "[{}] {}", a.name, r.text());

        let admin = a.login("admin@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        for (path, name) in [
            ("/api/v1/partners?q=%00", "q"),
            ("/api/v1/partners?region=%00", "region"),
            ("/api/v1/partners?tag=a%00b", "tag"),
            ("/api/v1/partners?kind=%00", "kind"),
            ("/api/v1/partners?q=%E6%81%92%09", "q"),
            ("/api/v1/search?q=%00", "q"),
            ("/api/v1/exports/partners?q=%00", "q"),
            ("/api/v1/exports/contacts?tag=%00", "tag"),
            ("/api/v1/ndas?partner=%00", "partner"),
            ("/api/v1/threads?state=%1B", "state"),
        ] {
            for token in [&admin, &p1] {
                let r = a.send(get(path, token)).await;
                assert_eq!(
                    r.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "[{}] {path}: {}",
                    a.name,
                    r.text()
                );
                assert_eq!(field(&r), name, "[{}] {path}", a.name);
            }
        }
        // JSON values at any depth, named by their path; a Markdown body keeps its lines.
        let r = a
            .call(
                "POST",
                "/api/v1/threads",
                Some(&p1),
                Some(json!({"subject": "发货\u{0}问题", "body": "x"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        assert_eq!(field(&r), "subject");
        let r = a
            .call(
                "POST",
                "/api/v1/segments",
                Some(&admin),
                Some(json!({"name": "华东", "filter": {"regions": ["华东", "华\u{7}北"]}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        assert_eq!(field(&r), "filter.regions[1]");
        let r = a
            .call(
                "POST",
                "/api/v1/threads",
                Some(&p1),
                Some(json!({"subject": "发货问题", "body": "第一行\n第二行\n\t缩进"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
        let r = a
            .call(
                "POST",
                "/api/v1/threads",
                Some(&p1),
                Some(json!({"subject": "发货问题", "body": "a\u{0}b"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        assert_eq!(field(&r), "body");

        // The login form is shown again with the error, never a 500.
        let req = Request::builder()
            .method("POST")
            .uri("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("email=a%00%40b.c&password=liaison-demo"))
            .expect("request");
        let r = a.send(req).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        assert!(
            r.content_type.starts_with("text/html"),
            "{}",
            r.content_type
        );
        assert!(r.text().contains("id=\"login-error\""), "[{}]", a.name);
        assert!(r.text().contains("name=\"password\""));

        // A page's query and a posted form: the error page saying which field, not a 500.
        let cookie = crate::pages::browser_login(a, "channel@demo.example").await;
        let req = Request::builder()
            .uri("/console/partners?q=%00")
            .header(header::COOKIE, &cookie)
            .header(header::ACCEPT_LANGUAGE, "en")
            .body(Body::empty())
            .expect("request");
        let r = a.send(req).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        assert!(
            r.content_type.starts_with("text/html"),
            "{}",
            r.content_type
        );
        assert!(r.text().contains("control characters"), "{}", r.text());
        let body = format!(
            "_csrf={}&name=%E5%8D%8E%00%E4%B8%9C&region=%E5%8D%8E%E4%B8%9C",
            crate::pages::csrf(&cookie)
        );
        let req = Request::builder()
            .method("POST")
            .uri("/console/segments")
            .header(header::COOKIE, &cookie)
            .header(header::ACCEPT_LANGUAGE, "en")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        let r = a.send(req).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        assert!(r.text().contains("name: "), "{}", r.text());
    }
}

/// RFC 9110 §11.1: the authentication scheme is case-insensitive.
#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let t = a.login("staff@demo.example").await;
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            let req = Request::builder()
                .uri("/api/v1/me")
                .header(header::AUTHORIZATION, format!("{scheme} {t}"))
                .body(Body::empty())
                .expect("request");
            let r = a.send(req).await;
            assert_eq!(r.status, StatusCode::OK, "[{}] {scheme}", a.name);
        }
        let req = Request::builder()
            .uri("/api/v1/me")
            .header(header::AUTHORIZATION, format!("Basic {t}"))
            .body(Body::empty())
            .expect("request");
        assert_eq!(a.send(req).await.status, StatusCode::UNAUTHORIZED);
    }
}

/// A cookie-authenticated API write without the CSRF token is refused for that reason, in the
/// caller's language, not as a matter of role.
#[tokio::test]
async fn a_missing_csrf_token_is_named_as_such() {
    let (apps, _g) = apps().await;
    let a = &apps[0];
    let cookie = crate::pages::browser_login(a, "admin@demo.example").await;
    for (lang, says) in [
        ("en", "CSRF"),
        ("zh-CN", "CSRF 令牌"),
        ("zh-TW", "CSRF 權杖"),
    ] {
        let req = Request::builder()
            .method("POST")
            .uri("/api/v1/notifications/read")
            .header(header::COOKIE, &cookie)
            .header(header::ACCEPT_LANGUAGE, lang)
            .body(Body::empty())
            .expect("request");
        let r = a.send(req).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let detail = r.json()["detail"].as_str().unwrap_or("").to_string();
        assert!(detail.contains(says), "{lang}: {detail}");
        assert!(!detail.contains("role"), "{lang}: {detail}");
        assert_eq!(r.json()["type"], "https://liaison.example/problems/csrf");
    }
    // A page's form without its token says the same.
    let req = Request::builder()
        .method("POST")
        .uri("/console/segments")
        .header(header::COOKIE, &cookie)
        .header(header::ACCEPT_LANGUAGE, "en")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("name=x"))
        .expect("request");
    let r = a.send(req).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("CSRF"), "{}", r.text());
}

async fn headers_of(router: &axum::Router, req: Request<Body>) -> axum::http::HeaderMap {
    router
        .clone()
        .oneshot(req)
        .await
        .expect("response")
        .headers()
        .clone()
}

/// §7.2.1 (access controlled, transmission protected): answers holding data are never cached,
/// the page's base cannot be redirected, and behind HTTPS the browser is told to stay there.
#[tokio::test]
async fn answers_are_not_cached_and_transport_headers_are_set() {
    let (apps, _g) = apps().await;
    let a = &apps[0];
    let t = a.login("admin@demo.example").await;
    let h = headers_of(&a.router, get("/api/v1/me", &t)).await;
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    let csp = h[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap_or("")
        .to_string();
    assert!(csp.contains("base-uri 'none'"), "{csp}");
    assert!(h.get(header::STRICT_TRANSPORT_SECURITY).is_none());
    let cookie = crate::pages::browser_login(a, "admin@demo.example").await;
    let req = Request::builder()
        .uri("/console/home")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .expect("request");
    assert_eq!(
        headers_of(&a.router, req).await[header::CACHE_CONTROL],
        "no-store"
    );
    let req = Request::builder()
        .uri("/static/app.css")
        .body(Body::empty())
        .expect("request");
    assert_eq!(
        headers_of(&a.router, req).await[header::CACHE_CONTROL],
        "public, max-age=300"
    );

    let secure = liaison_web::app(liaison_web::AppState::new(
        a.db.clone(),
        liaison_web::WebConfig {
            secure_cookies: true,
            ..Default::default()
        },
    ));
    let req = Request::builder()
        .uri("/login")
        .body(Body::empty())
        .expect("request");
    let h = headers_of(&secure, req).await;
    assert!(
        h[header::STRICT_TRANSPORT_SECURITY]
            .to_str()
            .unwrap_or("")
            .starts_with("max-age="),
        "{h:?}"
    );
}

/// §7.2.2: segments describe other partners, so a partner user is neither granted them in its
/// permission list nor told they exist (404, as for requests), and the document says so.
#[tokio::test]
async fn partner_users_are_not_granted_segments_and_the_document_says_404() {
    let (apps, _g) = apps().await;
    let doc = liaison_web::api::openapi();
    for a in &apps {
        let p1 = a.login("p1@demo.example").await;
        let me = a.call("GET", "/api/v1/me", Some(&p1), None).await.json();
        let perms = me["permissions"].as_array().cloned().unwrap_or_default();
        assert!(!perms.contains(&json!("read_segments")), "{perms:?}");
        for path in ["/api/v1/segments", "/api/v1/requests"] {
            let r = a.call("GET", path, Some(&p1), None).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{}] {path}", a.name);
            assert!(
                doc["paths"][path]["get"]["responses"]["404"].is_object(),
                "{path}: 404 undocumented"
            );
        }
        let staff = a.login("staff@demo.example").await;
        let me = a.call("GET", "/api/v1/me", Some(&staff), None).await.json();
        assert!(
            me["permissions"]
                .as_array()
                .is_some_and(|p| p.contains(&json!("read_segments")))
        );
    }
}

fn op<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    &doc["paths"][path][method]
}

/// The OpenAPI document describes the answers the server gives.
#[tokio::test]
async fn the_document_describes_every_answer() {
    let doc = liaison_web::api::openapi();
    let (apps, _g) = apps().await;
    let a = &apps[0];
    for (e, _) in liaison_web::api::endpoints() {
        let o = op(&doc, e.method, e.path);
        let responses = &o["responses"];
        // Unreadable JSON is a 400 wherever a JSON body is read.
        if e.body.is_some_and(|b| b != "Upload") {
            assert!(responses["400"].is_object(), "{} {}: 400", e.method, e.path);
        }
        if e.auth && e.method != "get" {
            let key = o["parameters"]
                .as_array()
                .and_then(|ps| ps.iter().find(|p| p["name"] == "Idempotency-Key"))
                .cloned()
                .unwrap_or(Value::Null);
            assert_eq!(key["schema"]["minLength"], 1, "{} {}", e.method, e.path);
            assert!(key["schema"]["pattern"].is_string());
            assert!(responses["422"].is_object(), "{} {}: 422", e.method, e.path);
        }
        // Every operation may be rate limited or fail; every authenticated one may be a 401.
        if e.auth {
            assert!(responses["401"].is_object(), "{} {}", e.method, e.path);
        }
    }
    let login = &op(&doc, "post", "/api/v1/auth/login")["responses"];
    for status in ["401", "422", "429"] {
        assert!(login[status].is_object(), "login {status}");
    }
    for (m, p) in [
        ("post", "/api/v1/partners"),
        ("post", "/api/v1/users"),
        ("post", "/api/v1/departments"),
    ] {
        assert!(
            op(&doc, m, p)["responses"]["409"].is_object(),
            "{m} {p}: 409"
        );
    }
    for p in ["/api/v1/exports/partners", "/api/v1/exports/contacts"] {
        let content = &op(&doc, "get", p)["responses"]["200"]["content"];
        assert!(content["text/csv"].is_object(), "{p}");
        assert!(
            content["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]
                .is_object()
        );
        assert!(content["application/json"].is_null(), "{p}");
    }
    // A draft's form holds nulls for what was not filled in; the schema allows them.
    let staff = a.login("staff@demo.example").await;
    let draft = a
        .call(
            "POST",
            "/api/v1/requests",
            Some(&staff),
            Some(json!({"title": "草稿"})),
        )
        .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.text());
    let form = draft.json()["form"].clone();
    let form_schema = {
        let reference = doc["components"]["schemas"]["Request"]["properties"]["form"]["$ref"]
            .as_str()
            .unwrap_or("")
            .trim_start_matches("#/components/schemas/")
            .to_string();
        doc["components"]["schemas"][reference]["properties"].clone()
    };
    for (k, v) in form.as_object().cloned().unwrap_or_default() {
        if v.is_null() {
            let allows_null = form_schema[&k]["type"]
                .as_array()
                .is_some_and(|t| t.contains(&json!("null")))
                || form_schema[&k]["anyOf"]
                    .as_array()
                    .is_some_and(|t| t.contains(&json!({"type": "null"})));
            assert!(allows_null, "form.{k} is null: {}", form_schema[&k]);
        }
    }
}

/// SPEC R2: sixteen copies of one write sent at once with one `Idempotency-Key` have one
/// effect and one answer; the key with another body is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_copies_of_one_key_have_one_effect_and_one_answer() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let t = a.login("channel@demo.example").await;
        let send = |body: Value| {
            let router = a.router.clone();
            let t = t.clone();
            async move {
                let req = Request::builder()
                    .method("POST")
                    .uri("/api/v1/partners")
                    .header(header::AUTHORIZATION, format!("Bearer {t}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .header("idempotency-key", "r2-create-partner")
                    .body(Body::from(body.to_string()))
                    .expect("request");
                let resp = router.oneshot(req).await.expect("response");
                let status = resp.status();
                let bytes = http_body_util::BodyExt::collect(resp.into_body())
                    .await
                    .expect("body")
                    .to_bytes();
                (status, bytes)
            }
        };
        let body = json!({"code": "R2-ONCE", "name": "幂等伙伴", "kind": "agent",
            "region": "华东", "tier": "A"});
        let tasks: Vec<_> = (0..16).map(|_| tokio::spawn(send(body.clone()))).collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.expect("task"));
        }
        let (first_status, first_body) = answers[0].clone();
        assert_eq!(
            first_status,
            StatusCode::CREATED,
            "[{}] {}",
            a.name,
            String::from_utf8_lossy(&first_body)
        );
        for (status, bytes) in &answers {
            assert_eq!(*status, first_status, "[{}]", a.name);
            assert_eq!(bytes, &first_body, "[{}]", a.name);
        }
        let n: i64 =
            a.db.fetch_one(liaison_db::q(
                "SELECT COUNT(*) FROM partners WHERE code = 'R2-ONCE'",
            ))
            .await
            .expect("count");
        assert_eq!(n, 1, "[{}] one effect", a.name);
        // The same key with another body.
        let (status, bytes) = send(
            json!({"code": "R2-OTHER", "name": "另一个", "kind": "agent",
            "region": "华东", "tier": "A"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        assert_eq!(v["errors"][0]["field"], "Idempotency-Key");
    }
}

/// Found by the fuzzer (scripts/fuzz): removing a contact that an NDA on the register still
/// names (§7.1.2 keeps the register) was a 500 from the foreign key; it is a 409, on both.
#[tokio::test]
async fn removing_a_contact_an_nda_names_is_a_conflict_not_a_500() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let channel = a.login("channel@demo.example").await;
        let pid = a.partner_id("SH-D001").await;
        let c = a
            .call(
                "POST",
                &format!("/api/v1/partners/{pid}/contacts"),
                Some(&channel),
                Some(json!({"name": "保密联系人", "email": "nda-holder@hengtong.example"})),
            )
            .await;
        assert_eq!(c.status, StatusCode::CREATED, "[{}] {}", a.name, c.text());
        let cid = c.json()["id"].as_str().unwrap_or("").to_string();
        let now = chrono::Utc::now();
        let nda = a
            .call(
                "POST",
                "/api/v1/ndas",
                Some(&channel),
                Some(json!({"partner": "SH-D001", "contact_id": cid,
                    "signed_at": now - chrono::Duration::days(1),
                    "expires_at": now + chrono::Duration::days(365)})),
            )
            .await;
        assert_eq!(
            nda.status,
            StatusCode::CREATED,
            "[{}] {}",
            a.name,
            nda.text()
        );
        let r = a
            .call(
                "DELETE",
                &format!("/api/v1/partners/{pid}/contacts/{cid}"),
                Some(&channel),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{}] {}", a.name, r.text());
        assert_eq!(r.content_type, "application/problem+json");
    }
}
