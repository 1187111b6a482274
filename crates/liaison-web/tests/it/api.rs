//! The JSON API: authentication, the role matrix, partner isolation, validation errors,
//! imports and the OpenAPI document.

use crate::apps;
use axum::http::StatusCode;
use serde_json::json;

/// Every authenticated endpoint refuses anonymous callers with 401 problem+json.
#[tokio::test]
async fn unauthenticated_api_calls_answer_401() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let pid = a.partner_id("SH-D001").await;
        for (e, _) in liaison_web::api::endpoints() {
            if !e.auth {
                continue;
            }
            let path = e.path.replace("{id}", &pid).replace("{contact_id}", &pid);
            let r = a.call(&e.method.to_uppercase(), &path, None, None).await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "[{}] {} {path}",
                a.name,
                e.method
            );
            assert_eq!(
                r.content_type, "application/problem+json",
                "[{}] {path}",
                a.name
            );
        }
    }
}

/// §7.2.1 / SPEC G4: a partner user sees only its own partner; any other partner's object is
/// a 404, and company-only endpoints refuse it.
#[tokio::test]
async fn partner_users_see_only_their_own_partner() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let own = a.partner_id("SH-D001").await;
        let other = a.partner_id("BJ-D002").await;
        let p1 = a.login("p1@demo.example").await;
        let list = a.call("GET", "/api/v1/partners", Some(&p1), None).await;
        assert_eq!(list.status, StatusCode::OK);
        let items = list.json()["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            items.len(),
            1,
            "[{}] p1 sees {} partners",
            a.name,
            items.len()
        );
        assert_eq!(items[0]["code"], "SH-D001");
        assert_eq!(
            a.call("GET", &format!("/api/v1/partners/{own}"), Some(&p1), None)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            a.call(
                "GET",
                &format!("/api/v1/partners/{own}/contacts"),
                Some(&p1),
                None
            )
            .await
            .status,
            StatusCode::OK
        );
        let contacts = a
            .call(
                "GET",
                &format!("/api/v1/partners/{other}/contacts"),
                Some(&p1),
                None,
            )
            .await;
        let other_contact = {
            let admin = a.login("admin@demo.example").await;
            let c = a
                .call(
                    "GET",
                    &format!("/api/v1/partners/{other}/contacts"),
                    Some(&admin),
                    None,
                )
                .await;
            c.json()["items"][0]["id"]
                .as_str()
                .expect("contact")
                .to_string()
        };
        assert_eq!(contacts.status, StatusCode::NOT_FOUND, "[{}]", a.name);
        for (method, path, body) in [
            ("GET", format!("/api/v1/partners/{other}"), None),
            ("GET", format!("/api/v1/partners/{other}/history"), None),
            (
                "GET",
                format!("/api/v1/partners/{other}/contacts/{other_contact}"),
                None,
            ),
            (
                "PATCH",
                format!("/api/v1/partners/{other}"),
                Some(json!({"name": "hijack"})),
            ),
            (
                "PATCH",
                format!("/api/v1/partners/{other}/contacts/{other_contact}"),
                Some(json!({"name": "hijack"})),
            ),
            (
                "DELETE",
                format!("/api/v1/partners/{other}/contacts/{other_contact}"),
                None,
            ),
            (
                "POST",
                format!("/api/v1/partners/{other}/contacts"),
                Some(json!({"name": "x", "email": "x@y.cn"})),
            ),
            ("GET", "/api/v1/segments".to_string(), None),
        ] {
            let r = a.call(method, &path, Some(&p1), body).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "[{}] p1 {method} {path}: {}",
                a.name,
                r.text()
            );
        }
        // Its own record is read-only for a partner user; company functions are refused.
        assert_eq!(
            a.call(
                "PATCH",
                &format!("/api/v1/partners/{own}"),
                Some(&p1),
                Some(json!({"name": "x"}))
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        for path in [
            "/api/v1/users",
            "/api/v1/audit",
            "/api/v1/exports/partners",
            "/api/v1/departments",
        ] {
            assert_eq!(
                a.call("GET", path, Some(&p1), None).await.status,
                StatusCode::FORBIDDEN,
                "[{}] {path}",
                a.name
            );
        }
        // The other partner's user is scoped the same way.
        let p2 = a.login("p2@demo.example").await;
        assert_eq!(
            a.call("GET", &format!("/api/v1/partners/{own}"), Some(&p2), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
}

/// §4.2.1: channel management owns the registry; other company roles read it.
#[tokio::test]
async fn each_role_is_allowed_and_refused_what_the_policy_says() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let new_partner = |code: &str| json!({"code": code, "name": "苏州新渠道贸易有限公司", "kind": "distributor", "region": "华东", "tier": "B"});
        for (email, can_write, can_export, is_admin) in [
            ("admin@demo.example", true, true, true),
            ("channel@demo.example", true, true, false),
            ("head@demo.example", false, true, false),
            ("exec@demo.example", false, true, false),
            ("staff@demo.example", false, false, false),
        ] {
            let t = a.login(email).await;
            assert_eq!(
                a.call("GET", "/api/v1/partners?limit=5", Some(&t), None)
                    .await
                    .status,
                StatusCode::OK,
                "[{}] {email}",
                a.name
            );
            let code = format!(
                "T-{}",
                email.split('@').next().unwrap_or("x").to_uppercase()
            );
            let r = a
                .call(
                    "POST",
                    "/api/v1/partners",
                    Some(&t),
                    Some(new_partner(&code)),
                )
                .await;
            let want = if can_write {
                StatusCode::CREATED
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(
                r.status,
                want,
                "[{}] {email} create partner: {}",
                a.name,
                r.text()
            );
            let seg = a
                .call(
                    "POST",
                    "/api/v1/segments",
                    Some(&t),
                    Some(json!({"name": format!("seg {email}"), "filter": {"tiers": ["A"]}})),
                )
                .await;
            assert_eq!(seg.status, want, "[{}] {email} create segment", a.name);
            let exp = a
                .call("GET", "/api/v1/exports/partners?format=csv", Some(&t), None)
                .await;
            assert_eq!(
                exp.status == StatusCode::OK,
                can_export,
                "[{}] {email} export: {}",
                a.name,
                exp.status
            );
            let user = a.call("POST", "/api/v1/users", Some(&t), Some(json!({"email": format!("new-{code}@demo.example"), "name": "新同事", "password": "Str0ng-password", "roles": ["staff"], "department": "sales"}))).await;
            assert_eq!(
                user.status == StatusCode::CREATED,
                is_admin,
                "[{}] {email} create user: {}",
                a.name,
                user.status
            );
            let audit = a.call("GET", "/api/v1/audit/verify", Some(&t), None).await;
            assert_eq!(
                audit.status == StatusCode::OK,
                is_admin,
                "[{}] {email} audit",
                a.name
            );
            if is_admin {
                assert!(
                    audit.json()["Intact"]["rows"].as_i64().unwrap_or(0) > 10,
                    "[{}] {}",
                    a.name,
                    audit.text()
                );
            }
        }
    }
}

/// Bad input is a 422 naming each field, malformed JSON a 400, never a 500.
#[tokio::test]
async fn invalid_input_gets_field_messages() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let t = a.login("channel@demo.example").await;
        let r = a.call("POST", "/api/v1/partners", Some(&t), Some(json!({"code": "?", "kind": "wholesaler", "timezone": "Mars/Base", "working_hours": "18:00-09:00"}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.content_type, "application/problem+json");
        let fields: Vec<String> = r.json()["errors"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e["field"].as_str().map(str::to_string))
            .collect();
        for f in [
            "code",
            "name",
            "kind",
            "region",
            "tier",
            "timezone",
            "working_hours",
        ] {
            assert!(
                fields.iter().any(|x| x == f),
                "[{}] no error for {f}: {fields:?}",
                a.name
            );
        }
        let dup = a.call("POST", "/api/v1/partners", Some(&t), Some(json!({"code": "SH-D001", "name": "x", "kind": "agent", "region": "华东", "tier": "A"}))).await;
        assert_eq!(
            dup.status,
            StatusCode::CONFLICT,
            "[{}] {}",
            a.name,
            dup.text()
        );
        let req = axum::http::Request::builder()
            .method("POST")
            .uri("/api/v1/partners")
            .header("authorization", format!("Bearer {t}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from("{not json"))
            .expect("request");
        assert_eq!(a.send(req).await.status, StatusCode::BAD_REQUEST);
        for q in [
            "limit=0",
            "limit=abc",
            "sort=size",
            "kind=wholesaler",
            "cursor=%%%",
        ] {
            let r = a
                .call("GET", &format!("/api/v1/partners?{q}"), Some(&t), None)
                .await;
            assert!(
                r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::BAD_REQUEST,
                "[{}] {q}: {}",
                a.name,
                r.status
            );
        }
        let login = a
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"email": "", "password": ""})),
            )
            .await;
        assert_eq!(login.status, StatusCode::UNPROCESSABLE_ENTITY);
        let wrong = a
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"email": "admin@demo.example", "password": "wrong-password"})),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
}

/// SPEC A5: an import with bad rows reports every bad row and writes nothing.
#[tokio::test]
async fn import_with_bad_rows_writes_nothing_and_reports_each_row() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let t = a.login("channel@demo.example").await;
        let before = liaison_db::partner::count_partners(
            &a.db,
            liaison_core::Scope::All,
            &Default::default(),
        )
        .await
        .expect("count");
        let csv = "\u{feff}编码,名称,类型,区域,等级\nIM-001,杭州新伙伴,distributor,华东,A\nIM-002,,agent,华北,B\nIM-003,广州伙伴,wholesaler,华南,C\n";
        let req = axum::http::Request::builder()
            .method("POST")
            .uri("/api/v1/imports/partners?filename=p.csv")
            .header("authorization", format!("Bearer {t}"))
            .header("content-type", "text/csv")
            .body(axum::body::Body::from(csv))
            .expect("request");
        let r = a.send(req).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            r.text()
        );
        let rows: Vec<i64> = r.json()["errors"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e["row"].as_i64())
            .collect();
        assert_eq!(rows, vec![3, 4], "[{}] {}", a.name, r.text());
        let after = liaison_db::partner::count_partners(
            &a.db,
            liaison_core::Scope::All,
            &Default::default(),
        )
        .await
        .expect("count");
        assert_eq!(before, after, "[{}] a bad file wrote rows", a.name);

        let good = "code,name,kind,region,tier,owner,tags\nIM-001,杭州新伙伴,distributor,华东,A,channel@demo.example,新品;重点\nSH-D001,上海恒通商贸有限公司(更新),distributor,华东,A,,\n";
        let req = axum::http::Request::builder()
            .method("POST")
            .uri("/api/v1/imports/partners?filename=p.csv")
            .header("authorization", format!("Bearer {t}"))
            .body(axum::body::Body::from(good))
            .expect("request");
        let r = a.send(req).await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(r.json()["created"], 1);
        assert_eq!(r.json()["updated"], 1);
        let found = a
            .call("GET", "/api/v1/partners?q=杭州新伙伴", Some(&t), None)
            .await
            .json();
        assert_eq!(
            found["items"][0]["tags"],
            json!(["新品", "重点"]),
            "[{}]",
            a.name
        );
        // The export carries a BOM and the Chinese names.
        let exp = a
            .call(
                "GET",
                "/api/v1/exports/partners?format=csv&q=IM-001",
                Some(&t),
                None,
            )
            .await;
        assert!(exp.body.starts_with(b"\xEF\xBB\xBF"));
        assert!(exp.text().contains("杭州新伙伴"));
    }
}

#[tokio::test]
async fn openapi_describes_every_endpoint() {
    let (apps, _g) = apps().await;
    let a = &apps[0];
    let r = a.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for (e, _) in liaison_web::api::endpoints() {
        assert!(
            doc["paths"][e.path][e.method].is_object(),
            "{} {} missing",
            e.method,
            e.path
        );
    }
    assert!(doc["paths"].as_object().map_or(0, |p| p.len()) >= 20);
    let schemas = &doc["components"]["schemas"];
    for (e, _) in liaison_web::api::endpoints() {
        // A JSON body says it takes no other fields (the server answers 422 naming one).
        if let Some(body) = e.body.filter(|b| *b != "Upload") {
            assert_eq!(
                schemas[body]["additionalProperties"], false,
                "{body} of {} {} is not closed",
                e.method, e.path
            );
        }
        // A list names the schema of its items.
        let ok = e.ok.1;
        if ok.ends_with("List") || ok.ends_with("Page") {
            let items = &schemas[ok]["properties"]["items"]["items"];
            assert!(
                items["$ref"].is_string() || items["properties"].is_object(),
                "{ok} of {} {} has untyped items: {items}",
                e.method,
                e.path
            );
        }
    }
    // The contract as a whole: a change to it shows in review.
    insta::assert_json_snapshot!("openapi", doc);
    let health = a.call("GET", "/readyz", None, None).await;
    assert_eq!(health.json()["status"], "ok");
}

/// Pagination walks every partner once.
#[tokio::test]
async fn cursor_pages_cover_the_list_once() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let t = a.login("staff@demo.example").await;
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/partners?limit=7&sort=name&cursor={c}"),
                None => "/api/v1/partners?limit=7&sort=name".to_string(),
            };
            let page = a.call("GET", &path, Some(&t), None).await.json();
            for p in page["items"].as_array().cloned().unwrap_or_default() {
                seen.push(p["code"].as_str().unwrap_or("").to_string());
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(seen.len(), unique.len(), "[{}] duplicates", a.name);
        assert!(seen.len() >= 40, "[{}] only {}", a.name, seen.len());
    }
}

/// DESIGN: a mutating call repeated with the same Idempotency-Key runs once.
#[tokio::test]
async fn idempotency_key_replays_the_first_response() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let t = a.login("channel@demo.example").await;
        let send = |body: serde_json::Value, key: &str| {
            axum::http::Request::builder()
                .method("POST")
                .uri("/api/v1/partners")
                .header("authorization", format!("Bearer {t}"))
                .header("content-type", "application/json")
                .header("idempotency-key", key)
                .body(axum::body::Body::from(body.to_string()))
                .expect("request")
        };
        let body = json!({"code": "IDEM-1", "name": "幂等测试伙伴", "kind": "store", "region": "华东", "tier": "C"});
        let first = a.send(send(body.clone(), "k-123")).await;
        assert_eq!(
            first.status,
            StatusCode::CREATED,
            "[{}] {}",
            a.name,
            first.text()
        );
        let again = a.send(send(body.clone(), "k-123")).await;
        assert_eq!(again.status, StatusCode::CREATED, "[{}]", a.name);
        assert_eq!(
            again.json()["id"],
            first.json()["id"],
            "[{}] replay must return the first partner",
            a.name
        );
        let other = a.send(send(json!({"code": "IDEM-2", "name": "x", "kind": "store", "region": "华东", "tier": "C"}), "k-123")).await;
        assert_eq!(
            other.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}]",
            a.name
        );
        let n = a
            .call("GET", "/api/v1/partners?q=IDEM", Some(&t), None)
            .await
            .json()["items"]
            .as_array()
            .map_or(0, Vec::len);
        assert_eq!(
            n, 1,
            "[{}] the repeated request created a second partner",
            a.name
        );
    }
}
