//! API tokens for partners' systems over HTTP (issue 15, item 5; SPEC H2, policy §7.2.1): made
//! by a partner admin or channel management, shown once, stored hashed; a token does only what
//! its scopes allow (a read token cannot confirm), every call is in the audit chain, each token
//! has its minute; revoked or expired it is 401; another partner's tokens and data are never
//! reachable. On both backends.

use crate::pages::{browser_login, csrf, get};
use crate::{TestApp, apps, apps_with};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Duration, Utc};
use liaison_db::q;
use serde_json::{Value, json};
use std::sync::Arc;

/// A message to `code`'s partner asking for a confirmation, dispatched; its message id.
async fn message_to(a: &TestApp, code: &str, title: &str) -> String {
    let head = a.login("head@demo.example").await;
    let channel = a.login("channel@demo.example").await;
    let pid = a.partner_id(code).await;
    let d = a
        .dispatch(
            &head,
            &channel,
            json!({"title": title, "purpose": "告知伙伴", "body": "请查收并确认。",
                   "audience": {"partners": [pid]}, "ack_required": true,
                   "ack_due_at": (Utc::now() + Duration::days(5)).to_rfc3339()}),
        )
        .await;
    d["message_id"].as_str().expect("message id").to_string()
}

/// `who` makes a token; the 201 answer.
async fn make_token(a: &TestApp, who: &str, body: Value) -> Value {
    let r = a
        .call("POST", "/api/v1/api-tokens", Some(who), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
    r.json()
}

async fn audited_calls(a: &TestApp, token_id: &str) -> Vec<Value> {
    let rows: Vec<String> = a
        .db
        .fetch_all(
            q("SELECT detail FROM audit_log WHERE action = 'api_token.call' AND entity_id = $1 ORDER BY seq")
                .bind(uuid::Uuid::parse_str(token_id).expect("uuid")),
        )
        .await
        .expect("audit rows");
    rows.iter()
        .map(|d| serde_json::from_str(d).expect("json detail"))
        .collect()
}

/// An admin makes p2 its partner's admin, as the user page would.
async fn make_p2_an_admin(a: &TestApp) {
    let find = |email: &'static str| async move {
        liaison_db::user::find_user_by_email(&a.db, email)
            .await
            .expect("query")
            .expect("demo login")
    };
    let admin = find("admin@demo.example").await;
    let p2 = find("p2@demo.example").await;
    liaison_db::user::update_user(
        &a.db,
        admin.id,
        p2.id,
        &liaison_db::user::UserInput {
            email: p2.email.clone(),
            name: p2.name.clone(),
            roles: vec!["partner_user,partner_admin".into()],
            partner: Some("BJ-D002".into()),
            ..Default::default()
        },
        true,
    )
    .await
    .expect("p2 becomes its partner's admin");
}

/// SPEC H2: the token is in the creation answer once; the list shows name, scopes, creator,
/// expiry, last use and state, never the token; only its SHA-256 is stored.
#[tokio::test]
async fn a_token_is_shown_once_and_stored_hashed() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let p1 = a.login("p1@demo.example").await;
        let made = make_token(
            a,
            &p1,
            json!({"name": "ERP 恒通", "scopes": ["inbox:read"]}),
        )
        .await;
        let raw = made["token"].as_str().expect("token").to_string();
        let id = made["id"].as_str().expect("id").to_string();
        assert!(raw.starts_with("lpt_"), "[{}] {raw}", a.name);
        assert_eq!(made["partner_id"], a.partner_id("SH-D001").await.as_str());
        assert_eq!(made["scopes"], json!(["inbox:read"]));
        assert_eq!(made["state"], "active");
        assert!(made["last_used_at"].is_null());

        let list = a.call("GET", "/api/v1/api-tokens", Some(&p1), None).await;
        assert_eq!(list.status, StatusCode::OK, "[{}] {}", a.name, list.text());
        assert!(
            !list.text().contains(&raw),
            "[{}] the list shows the token",
            a.name
        );
        let item = &list.json()["items"][0];
        assert_eq!(item["id"], id.as_str());
        assert_eq!(item["name"], "ERP 恒通");
        assert_eq!(item["created_by_name"], "刘洋 Liu Yang (恒通商贸)");
        assert!(item.get("token").is_none(), "[{}] {item}", a.name);
        let one = a
            .call("GET", &format!("/api/v1/api-tokens/{id}"), Some(&p1), None)
            .await;
        assert_eq!(one.status, StatusCode::OK);
        assert!(!one.text().contains(&raw));

        let stored: i64 =
            a.db.fetch_one(
                q("SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1")
                    .bind(liaison_db::sha256_hex(raw.as_bytes())),
            )
            .await
            .expect("count");
        assert_eq!(stored, 1, "[{}] stored as its SHA-256", a.name);
        let in_clear: i64 = a
            .db
            .fetch_one(
                q("SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1 OR hint = $1 OR name = $1")
                    .bind(raw.as_str()),
            )
            .await
            .expect("count");
        assert_eq!(
            in_clear, 0,
            "[{}] the token is nowhere in the table",
            a.name
        );

        // It works, and its use is seen.
        let inbox = a.call("GET", "/api/v1/inbox", Some(&raw), None).await;
        assert_eq!(
            inbox.status,
            StatusCode::OK,
            "[{}] {}",
            a.name,
            inbox.text()
        );
        let after = a
            .call("GET", &format!("/api/v1/api-tokens/{id}"), Some(&p1), None)
            .await
            .json();
        assert!(after["last_used_at"].is_string(), "[{}] {after}", a.name);
        // The service user is no one's login: not in the user list, not a portal login.
        let admin = a.login("admin@demo.example").await;
        let users = a.call("GET", "/api/v1/users", Some(&admin), None).await;
        assert!(
            !users.text().contains("api-tokens.invalid"),
            "[{}] a token's user is listed",
            a.name
        );
    }
}

/// SPEC H2: a token with the read scope reads the inbox but cannot confirm (403 problem+json
/// naming the scope); a token with inbox:ack confirms. Every call is audited with its status.
#[tokio::test]
async fn a_read_token_cannot_acknowledge_and_an_ack_token_can() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let mid = message_to(a, "SH-D001", "年终对账安排").await;
        let p1 = a.login("p1@demo.example").await;
        let reader = make_token(
            a,
            &p1,
            json!({"name": "ERP 只读", "scopes": ["inbox:read"]}),
        )
        .await;
        let read = reader["token"].as_str().expect("token");
        let acker = make_token(
            a,
            &p1,
            json!({"name": "ERP 确认", "scopes": ["inbox:read", "inbox:ack"]}),
        )
        .await;
        let ack = acker["token"].as_str().expect("token");

        let inbox = a.call("GET", "/api/v1/inbox", Some(read), None).await;
        assert_eq!(
            inbox.status,
            StatusCode::OK,
            "[{}] {}",
            a.name,
            inbox.text()
        );
        assert!(inbox.text().contains(&mid), "[{}] {}", a.name, inbox.text());
        let msg = a
            .call("GET", &format!("/api/v1/inbox/{mid}"), Some(read), None)
            .await;
        assert_eq!(msg.status, StatusCode::OK, "[{}] {}", a.name, msg.text());

        let refused = a
            .call(
                "POST",
                &format!("/api/v1/inbox/{mid}/ack"),
                Some(read),
                None,
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "[{}] {}",
            a.name,
            refused.text()
        );
        assert_eq!(refused.content_type, "application/problem+json");
        assert!(
            refused.json()["detail"]
                .as_str()
                .is_some_and(|d| d.contains("inbox:ack")),
            "[{}] {}",
            a.name,
            refused.text()
        );
        let acked_by_read: i64 =
            a.db.fetch_one(
                q("SELECT COUNT(*) FROM deliveries WHERE message_id = $1 AND acked_at IS NOT NULL")
                    .bind(uuid::Uuid::parse_str(&mid).expect("uuid")),
            )
            .await
            .expect("count");
        assert_eq!(acked_by_read, 0, "[{}] nothing was confirmed", a.name);

        let done = a
            .call("POST", &format!("/api/v1/inbox/{mid}/ack"), Some(ack), None)
            .await;
        assert_eq!(done.status, StatusCode::OK, "[{}] {}", a.name, done.text());
        assert!(
            done.json()["acked_at"].is_string(),
            "[{}] {}",
            a.name,
            done.text()
        );

        // Outside every scope: the partner list, the caller's own tokens, the user list.
        for (m, p) in [
            ("GET", "/api/v1/partners"),
            ("GET", "/api/v1/api-tokens"),
            ("GET", "/api/v1/me"),
        ] {
            let r = a.call(m, p, Some(ack), None).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "[{}] {m} {p}: {}",
                a.name,
                r.text()
            );
        }

        let rows = audited_calls(a, reader["id"].as_str().expect("id")).await;
        let seen: Vec<(String, String, i64)> = rows
            .iter()
            .map(|d| {
                (
                    d["method"].as_str().unwrap_or("").to_string(),
                    d["path"].as_str().unwrap_or("").to_string(),
                    d["status"].as_i64().unwrap_or(0),
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                ("get".into(), "/api/v1/inbox".into(), 200),
                ("get".into(), format!("/api/v1/inbox/{mid}"), 200),
                ("post".into(), format!("/api/v1/inbox/{mid}/ack"), 403),
            ],
            "[{}] every call audited",
            a.name
        );
        assert_eq!(
            audited_calls(a, acker["id"].as_str().expect("id"))
                .await
                .len(),
            4,
            "[{}]",
            a.name
        );
        // Who: the token's own service user, named after it.
        let actor: String =
            a.db.fetch_one(
                q(
                    "SELECT u.name FROM audit_log l JOIN users u ON u.id = l.actor_id
                    WHERE l.action = 'api_token.call' AND l.entity_id = $1 LIMIT 1",
                )
                .bind(uuid::Uuid::parse_str(reader["id"].as_str().expect("id")).expect("uuid")),
            )
            .await
            .expect("actor");
        assert_eq!(actor, "ERP 只读 (API)", "[{}]", a.name);
        let verdict = liaison_db::audit::verify(&a.db).await.expect("verify");
        assert!(
            matches!(verdict, liaison_db::audit::Verdict::Intact { .. }),
            "[{}] {verdict:?}",
            a.name
        );
    }
}

/// §7.2.2: a token acts for its partner only: another partner's message and ticket are 404.
#[tokio::test]
async fn another_partners_data_is_never_reachable_with_a_token() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let theirs = message_to(a, "BJ-D002", "京联专属通知").await;
        let p2 = a.login("p2@demo.example").await;
        let ticket = a
            .call(
                "POST",
                "/api/v1/tickets",
                Some(&p2),
                Some(json!({"kind": "product_quality", "subject": "到货破损", "description": "外箱破损三件。"})),
            )
            .await;
        assert_eq!(
            ticket.status,
            StatusCode::CREATED,
            "[{}] {}",
            a.name,
            ticket.text()
        );
        let tid = ticket.json()["id"].as_str().expect("id").to_string();

        let p1 = a.login("p1@demo.example").await;
        let all = make_token(
            a,
            &p1,
            json!({"name": "全部", "scopes": ["inbox:read", "inbox:ack", "data:submit", "tickets"]}),
        )
        .await;
        let t = all["token"].as_str().expect("token");
        for (m, p) in [
            ("GET", format!("/api/v1/inbox/{theirs}")),
            ("POST", format!("/api/v1/inbox/{theirs}/ack")),
            ("GET", format!("/api/v1/tickets/{tid}")),
        ] {
            let r = a.call(m, &p, Some(t), None).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "[{}] {m} {p}: {}",
                a.name,
                r.text()
            );
        }
        let inbox = a.call("GET", "/api/v1/inbox", Some(t), None).await;
        assert!(!inbox.text().contains(&theirs), "[{}]", a.name);
        let tickets = a.call("GET", "/api/v1/tickets", Some(t), None).await;
        assert_eq!(
            tickets.status,
            StatusCode::OK,
            "[{}] {}",
            a.name,
            tickets.text()
        );
        assert!(!tickets.text().contains(&tid), "[{}]", a.name);
        // A token opens no page: the portal sends it to the login page.
        let page = a
            .send(
                Request::builder()
                    .uri("/portal/inbox")
                    .header(header::AUTHORIZATION, format!("Bearer {t}"))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_ne!(
            page.status,
            StatusCode::OK,
            "[{}] a token opened a page",
            a.name
        );
    }
}

/// A partner admin manages only its own partner's tokens: another partner's are 404; a plain
/// partner user and staff without the role are refused (403); channel management makes one
/// for any partner and admins see them all.
#[tokio::test]
async fn only_the_partners_admin_and_channel_management_manage_its_tokens() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let p1 = a.login("p1@demo.example").await;
        let mine = make_token(a, &p1, json!({"name": "ERP", "scopes": ["tickets"]})).await;
        let id = mine["id"].as_str().expect("id").to_string();
        let sh = a.partner_id("SH-D001").await;
        let bj = a.partner_id("BJ-D002").await;

        // p2 without the role: 403; staff: 403.
        let p2 = a.login("p2@demo.example").await;
        let staff = a.login("staff@demo.example").await;
        for who in [&p2, &staff] {
            for (m, p, body) in [
                ("GET", "/api/v1/api-tokens".to_string(), None),
                (
                    "POST",
                    "/api/v1/api-tokens".to_string(),
                    Some(json!({"partner_id": sh, "name": "x", "scopes": ["tickets"]})),
                ),
                ("GET", format!("/api/v1/api-tokens/{id}"), None),
                ("DELETE", format!("/api/v1/api-tokens/{id}"), None),
            ] {
                let r = a.call(m, &p, Some(who), body).await;
                assert_eq!(
                    r.status,
                    StatusCode::FORBIDDEN,
                    "[{}] {m} {p}: {}",
                    a.name,
                    r.text()
                );
            }
        }

        // p2 as its own partner's admin: p1's token does not exist for it.
        make_p2_an_admin(a).await;
        let p2 = a.login("p2@demo.example").await;
        for (m, p) in [
            ("GET", format!("/api/v1/api-tokens/{id}")),
            ("DELETE", format!("/api/v1/api-tokens/{id}")),
            ("GET", format!("/api/v1/api-tokens?partner={sh}")),
        ] {
            let r = a.call(m, &p, Some(&p2), None).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "[{}] {m} {p}: {}",
                a.name,
                r.text()
            );
        }
        let r = a
            .call(
                "POST",
                "/api/v1/api-tokens",
                Some(&p2),
                Some(json!({"partner_id": sh, "name": "冒名", "scopes": ["inbox:read"]})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{}] {}", a.name, r.text());
        let own = a.call("GET", "/api/v1/api-tokens", Some(&p2), None).await;
        assert_eq!(
            own.json()["items"],
            json!([]),
            "[{}] {}",
            a.name,
            own.text()
        );
        let still = a
            .call("GET", &format!("/api/v1/api-tokens/{id}"), Some(&p1), None)
            .await;
        assert_eq!(
            still.json()["state"],
            "active",
            "[{}] p2 revoked p1's",
            a.name
        );

        // Channel management makes one for 京联; the admin sees both.
        let channel = a.login("channel@demo.example").await;
        let theirs = make_token(
            a,
            &channel,
            json!({"partner_id": bj, "name": "京联 ERP", "scopes": ["data:submit"],
                   "expires_at": (Utc::now() + Duration::days(30)).to_rfc3339()}),
        )
        .await;
        assert_eq!(theirs["partner_id"], bj.as_str());
        let none = a
            .call(
                "POST",
                "/api/v1/api-tokens",
                Some(&channel),
                Some(json!({"name": "无伙伴", "scopes": ["tickets"]})),
            )
            .await;
        assert_eq!(
            none.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            none.text()
        );
        let admin = a.login("admin@demo.example").await;
        let all = a
            .call("GET", "/api/v1/api-tokens", Some(&admin), None)
            .await
            .json();
        assert_eq!(
            all["items"].as_array().map(Vec::len),
            Some(2),
            "[{}] {all}",
            a.name
        );
        let bj_only = a
            .call(
                "GET",
                &format!("/api/v1/api-tokens?partner={bj}"),
                Some(&admin),
                None,
            )
            .await
            .json();
        assert_eq!(
            bj_only["items"][0]["id"], theirs["id"],
            "[{}] {bj_only}",
            a.name
        );
        assert_eq!(bj_only["items"].as_array().map(Vec::len), Some(1));

        // Bad input: every field named at once.
        let bad = a
            .call(
                "POST",
                "/api/v1/api-tokens",
                Some(&p1),
                Some(json!({"name": "", "scopes": ["inbox:write"],
                       "expires_at": (Utc::now() + Duration::days(900)).to_rfc3339()})),
            )
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            bad.text()
        );
        let mut fields: Vec<String> = bad.json()["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter_map(|x| x["field"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        fields.sort();
        assert_eq!(
            fields,
            ["expires_at", "name", "scopes"],
            "[{}] {}",
            a.name,
            bad.text()
        );
    }
}

/// Revoked: 401 at once, and its service user is inactive. Expired: 401 when its time comes.
#[tokio::test]
async fn a_revoked_or_expired_token_is_refused() {
    let clock = Arc::new(liaison_core::FixedClock::new(Utc::now()));
    let (apps, _g) = apps_with(clock.clone()).await;
    for a in &apps {
        let p1 = a.login("p1@demo.example").await;
        let gone = make_token(a, &p1, json!({"name": "旧 ERP", "scopes": ["inbox:read"]})).await;
        let t = gone["token"].as_str().expect("token");
        assert_eq!(
            a.call("GET", "/api/v1/inbox", Some(t), None).await.status,
            StatusCode::OK
        );
        let id = gone["id"].as_str().expect("id");
        let del = a
            .call(
                "DELETE",
                &format!("/api/v1/api-tokens/{id}"),
                Some(&p1),
                None,
            )
            .await;
        assert_eq!(
            del.status,
            StatusCode::NO_CONTENT,
            "[{}] {}",
            a.name,
            del.text()
        );
        let r = a.call("GET", "/api/v1/inbox", Some(t), None).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "[{}] {}",
            a.name,
            r.text()
        );
        assert_eq!(r.content_type, "application/problem+json");
        let tried = audited_calls(a, id).await;
        assert_eq!(
            tried.last().map(|d| d["status"].clone()),
            Some(json!(401)),
            "[{}] a revoked token's attempt is recorded: {tried:?}",
            a.name
        );
        let shown = a
            .call("GET", &format!("/api/v1/api-tokens/{id}"), Some(&p1), None)
            .await
            .json();
        assert_eq!(shown["state"], "revoked", "[{}] {shown}", a.name);
        assert!(shown["revoked_at"].is_string());
        let again = a
            .call(
                "DELETE",
                &format!("/api/v1/api-tokens/{id}"),
                Some(&p1),
                None,
            )
            .await;
        assert_eq!(again.status, StatusCode::NO_CONTENT, "[{}]", a.name);

        let short = make_token(
            a,
            &p1,
            json!({"name": "试用", "scopes": ["inbox:read"],
                   "expires_at": (clock_now(&clock) + Duration::hours(1)).to_rfc3339()}),
        )
        .await;
        let s = short["token"].as_str().expect("token");
        assert_eq!(
            a.call("GET", "/api/v1/inbox", Some(s), None).await.status,
            StatusCode::OK
        );
        clock.advance(Duration::hours(2));
        let late = a.call("GET", "/api/v1/inbox", Some(s), None).await;
        assert_eq!(
            late.status,
            StatusCode::UNAUTHORIZED,
            "[{}] {}",
            a.name,
            late.text()
        );
        let p1 = a.login("p1@demo.example").await;
        let listed = a
            .call(
                "GET",
                &format!("/api/v1/api-tokens/{}", short["id"].as_str().expect("id")),
                Some(&p1),
                None,
            )
            .await
            .json();
        assert_eq!(listed["state"], "expired", "[{}] {listed}", a.name);
        let past = a
            .call(
                "POST",
                "/api/v1/api-tokens",
                Some(&p1),
                Some(json!({"name": "过去", "scopes": ["inbox:read"],
                       "expires_at": (clock_now(&clock) - Duration::hours(1)).to_rfc3339()})),
            )
            .await;
        assert_eq!(
            past.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            past.text()
        );
    }
}

fn clock_now(c: &liaison_core::FixedClock) -> chrono::DateTime<Utc> {
    use liaison_core::Clock;
    c.now()
}

/// Each token has its minute: past the limit 429 with Retry-After, the first refusal audited;
/// another token is not held back; the next minute it works again.
#[tokio::test]
async fn a_token_over_its_minute_is_told_to_wait() {
    let clock = Arc::new(liaison_core::FixedClock::new(Utc::now()));
    let (dbs, _g) = liaison_db::testing::all_backends_with(clock.clone())
        .await
        .expect("test databases");
    for (name, db) in dbs {
        liaison_demo::load(&db, 0, &|_| {}).await.expect("demo");
        let config = liaison_web::WebConfig {
            api_token_per_minute: 3,
            ..Default::default()
        };
        let router = liaison_web::app(liaison_web::AppState::new(db.clone(), config));
        let a = TestApp { name, router, db };
        let p1 = a.login("p1@demo.example").await;
        let one = make_token(&a, &p1, json!({"name": "快", "scopes": ["inbox:read"]})).await;
        let other = make_token(&a, &p1, json!({"name": "慢", "scopes": ["inbox:read"]})).await;
        let t = one["token"].as_str().expect("token");
        for _ in 0..3 {
            assert_eq!(
                a.call("GET", "/api/v1/inbox", Some(t), None).await.status,
                StatusCode::OK
            );
        }
        for _ in 0..2 {
            let resp = tower::ServiceExt::oneshot(
                a.router.clone(),
                Request::builder()
                    .uri("/api/v1/inbox")
                    .header(header::AUTHORIZATION, format!("Bearer {t}"))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
            assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "[{name}]");
            let wait = resp
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            assert_eq!(wait, Some(60), "[{name}] Retry-After");
        }
        let o = other["token"].as_str().expect("token");
        assert_eq!(
            a.call("GET", "/api/v1/inbox", Some(o), None).await.status,
            StatusCode::OK,
            "[{name}] another token has its own minute"
        );
        clock.advance(Duration::seconds(61));
        assert_eq!(
            a.call("GET", "/api/v1/inbox", Some(t), None).await.status,
            StatusCode::OK
        );
        let rows = audited_calls(&a, one["id"].as_str().expect("id")).await;
        let statuses: Vec<i64> = rows
            .iter()
            .map(|d| d["status"].as_i64().unwrap_or(0))
            .collect();
        assert_eq!(statuses, [200, 200, 200, 429, 200], "[{name}] {rows:?}");
        assert_eq!(
            rows[4]["refused_before"], 1,
            "[{name}] the second refusal is counted"
        );
    }
}

/// The pages: p1 (its partner's admin) makes a token under "API access" and sees it once with
/// a copy button; channel management finds the section on the partner's page; p2 (no role)
/// is refused.
#[tokio::test]
async fn the_portal_and_the_console_make_and_revoke_tokens() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let p1 = browser_login(a, "p1@demo.example").await;
        let page = a.send(get("/portal/api-tokens", Some(&p1), "en")).await;
        assert_eq!(page.status, StatusCode::OK, "[{}] {}", a.name, page.text());
        assert!(
            page.text().contains("id=\"api-token-form\""),
            "[{}]",
            a.name
        );
        assert!(
            page.text().contains("id=\"nav-api-tokens\""),
            "[{}]",
            a.name
        );
        let post = |path: &str, pairs: &[(&str, &str)]| {
            Request::builder()
                .method("POST")
                .uri(path)
                .header(header::COOKIE, p1.as_str())
                .header(header::ACCEPT_LANGUAGE, "zh-CN")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(
                    serde_urlencoded::to_string(pairs).expect("form"),
                ))
                .expect("request")
        };
        let token = csrf(&p1);
        let bad = a
            .send(post(
                "/portal/api-tokens",
                &[("_csrf", &token), ("name", "ERP")],
            ))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        assert!(
            bad.text().contains("api-token-error-scopes"),
            "[{}]",
            a.name
        );
        let made = a
            .send(post(
                "/portal/api-tokens",
                &[
                    ("_csrf", &token),
                    ("name", "恒通 ERP"),
                    ("scopes", "inbox:read"),
                    ("scopes", "inbox:ack"),
                    ("expires_on", ""),
                ],
            ))
            .await;
        assert_eq!(made.status, StatusCode::OK, "[{}] {}", a.name, made.text());
        let html = made.text();
        assert!(html.contains("id=\"new-token\""), "[{}]", a.name);
        assert!(html.contains("data-copy=\"new-token\""), "[{}]", a.name);
        let raw = html
            .split("id=\"new-token\" class=\"token-value\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .expect("the token on the page")
            .to_string();
        assert!(raw.starts_with("lpt_"), "[{}] {raw}", a.name);
        assert_eq!(
            a.call("GET", "/api/v1/inbox", Some(&raw), None)
                .await
                .status,
            StatusCode::OK
        );
        let listed = a
            .send(get("/portal/api-tokens", Some(&p1), "zh-CN"))
            .await
            .text();
        assert!(
            listed.contains("恒通 ERP") && !listed.contains(&raw),
            "[{}]",
            a.name
        );

        let id: uuid::Uuid =
            a.db.fetch_one(q("SELECT id FROM api_tokens WHERE name = '恒通 ERP'"))
                .await
                .expect("token row");
        let revoke = a
            .send(post(
                &format!("/portal/api-tokens/{id}/revoke"),
                &[("_csrf", &token)],
            ))
            .await;
        assert_eq!(
            revoke.status,
            StatusCode::SEE_OTHER,
            "[{}] {}",
            a.name,
            revoke.text()
        );
        assert_eq!(
            a.call("GET", "/api/v1/inbox", Some(&raw), None)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );

        let channel = browser_login(a, "channel@demo.example").await;
        let sh = a.partner_id("SH-D001").await;
        let partner = a
            .send(get(
                &format!("/console/partners/{sh}"),
                Some(&channel),
                "en",
            ))
            .await;
        assert!(partner.text().contains("id=\"api-tokens\""), "[{}]", a.name);
        assert!(partner.text().contains("恒通 ERP"), "[{}]", a.name);
        let staff = browser_login(a, "staff@demo.example").await;
        let not_staff = a
            .send(get(&format!("/console/partners/{sh}"), Some(&staff), "en"))
            .await;
        assert!(
            !not_staff.text().contains("id=\"api-tokens\""),
            "[{}]",
            a.name
        );
        let p2 = browser_login(a, "p2@demo.example").await;
        let refused = a.send(get("/portal/api-tokens", Some(&p2), "en")).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{}]", a.name);
        let home = a.send(get("/portal/home", Some(&p2), "en")).await;
        assert!(
            !home.text().contains("id=\"nav-api-tokens\""),
            "[{}]",
            a.name
        );
    }
}
