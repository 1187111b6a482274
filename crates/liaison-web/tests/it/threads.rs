//! Replies and the closed loop (policy §4.4, §4.1.2; SPEC B4, B7): a partner's reply lands
//! with the responsible staff, is answered (time to first answer), followed up, closed and
//! reopened; other partners and unassigned staff cannot reach it; every step is audited.

use crate::{TestApp, apps, apps_with};
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use liaison_core::FixedClock;
use serde_json::{Value, json};
use std::sync::Arc;

/// head@ writes a request to SH-D001, channel@ approves it: the message is in p1's inbox.
async fn dispatched_to_p1(a: &TestApp, head: &str, channel: &str, extra: Value) -> String {
    let pid = a.partner_id("SH-D001").await;
    let mut body = json!({
        "title": "新品到货安排",
        "purpose": "告知华东经销商到货时间",
        "body": "第一批新品预计下周三到达华东仓。",
        "category": "product",
        "channels": ["portal"],
        "audience": {"partners": [pid]},
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let d = a.dispatch(head, channel, body).await;
    d["message_id"].as_str().expect("message id").to_string()
}

async fn user_id(a: &TestApp, token: &str) -> String {
    a.call("GET", "/api/v1/me", Some(token), None).await.json()["user"]["id"]
        .as_str()
        .expect("user id")
        .to_string()
}

async fn post(a: &TestApp, path: &str, token: &str, body: Value) -> crate::Reply {
    a.call("POST", path, Some(token), Some(body)).await
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|t| t["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The actions audited for one thread, oldest first.
async fn audited(a: &TestApp, partner: &str, thread: &str) -> Vec<String> {
    let rows = liaison_db::audit::list(&a.db, Some(partner.parse().expect("uuid")), None, 500)
        .await
        .expect("audit");
    let mut actions: Vec<String> = rows
        .into_iter()
        .filter(|r| {
            r.entity == "thread" && r.entity_id.map(|i| i.to_string()).as_deref() == Some(thread)
        })
        .map(|r| r.action)
        .collect();
    actions.reverse();
    actions
}

/// §4.4: p1 replies to a message → the requester answers → p1 follows up → closed → reopened.
#[tokio::test]
async fn a_reply_to_a_message_is_answered_followed_up_and_closed() {
    let clock = Arc::new(FixedClock::new(Utc::now()));
    let (apps, _g) = apps_with(clock.clone()).await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let staff = a.login("staff@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        let sh = a.partner_id("SH-D001").await;
        let mid = dispatched_to_p1(a, &head, &channel, json!({})).await;

        // Another partner cannot reply to p1's message; staff have no inbox.
        let r = post(
            a,
            &format!("/api/v1/inbox/{mid}/replies"),
            &p2,
            json!({"body": "我们也想问"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{}] {}", a.name, r.text());
        let r = post(
            a,
            &format!("/api/v1/inbox/{mid}/replies"),
            &staff,
            json!({"body": "x"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{}] {}", a.name, r.text());
        let r = post(
            a,
            &format!("/api/v1/inbox/{mid}/replies"),
            &p1,
            json!({"body": "  "}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            r.text()
        );
        assert_eq!(
            r.json()["errors"][0]["field"],
            "body",
            "[{}] {}",
            a.name,
            r.text()
        );

        // p1 replies: the thread lands with the requester (head@) and is open.
        let r = post(
            a,
            &format!("/api/v1/inbox/{mid}/replies"),
            &p1,
            json!({"body": "到货后能否先发华东二仓？"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
        let t = r.json();
        let tid = t["id"].as_str().expect("thread id").to_string();
        assert_eq!(t["state"], "open");
        assert_eq!(t["message_id"], mid.as_str());
        assert_eq!(t["partner_code"], "SH-D001");
        assert_eq!(
            t["assignee_id"],
            user_id(a, &head).await.as_str(),
            "[{}] {t}",
            a.name
        );
        assert_eq!(t["first_answer_seconds"], Value::Null);
        assert_eq!(t["posts"][0]["from_partner"], true);
        assert!(
            t["subject"]
                .as_str()
                .is_some_and(|s| s.contains("新品到货安排"))
        );

        // A second reply on the message joins the same unclosed thread.
        let r = post(
            a,
            &format!("/api/v1/inbox/{mid}/replies"),
            &p1,
            json!({"body": "补充：需要 200 箱。"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(r.json()["id"], tid.as_str());
        assert_eq!(r.json()["post_count"], 2);

        // The requester sees it among their threads; channel management sees everything.
        let mine = a
            .call(
                "GET",
                "/api/v1/threads?view=mine&state=open",
                Some(&head),
                None,
            )
            .await;
        assert_eq!(mine.status, StatusCode::OK, "[{}] {}", a.name, mine.text());
        assert!(
            ids(&mine.json()).contains(&tid),
            "[{}] {}",
            a.name,
            mine.text()
        );
        assert!(mine.json()["counts"]["open"].as_i64().unwrap_or(0) >= 1);
        let all = a
            .call("GET", "/api/v1/threads", Some(&channel), None)
            .await
            .json();
        assert!(ids(&all).contains(&tid), "[{}] {all}", a.name);
        let shown = a
            .call(
                "GET",
                &format!("/api/v1/threads/{tid}"),
                Some(&channel),
                None,
            )
            .await;
        assert_eq!(shown.status, StatusCode::OK);

        // Staff neither assigned nor in channel management: not found, not listed.
        let path = format!("/api/v1/threads/{tid}");
        assert_eq!(
            a.call("GET", &path, Some(&staff), None).await.status,
            StatusCode::NOT_FOUND
        );
        let r = post(
            a,
            &format!("{path}/replies"),
            &staff,
            json!({"body": "我来回答"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{}] {}", a.name, r.text());
        assert_eq!(
            a.call("POST", &format!("{path}/close"), Some(&staff), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let listed = a
            .call("GET", "/api/v1/threads", Some(&staff), None)
            .await
            .json();
        assert!(!ids(&listed).contains(&tid), "[{}] {listed}", a.name);

        // Another partner: not found, not listed.
        assert_eq!(
            a.call("GET", &path, Some(&p2), None).await.status,
            StatusCode::NOT_FOUND
        );
        let r = post(a, &format!("{path}/replies"), &p2, json!({"body": "?"})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(
            a.call("POST", &format!("{path}/close"), Some(&p2), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let listed = a
            .call("GET", "/api/v1/threads", Some(&p2), None)
            .await
            .json();
        assert!(!ids(&listed).contains(&tid), "[{}] {listed}", a.name);

        // head@ answers 90 minutes later: answered, with the time to first answer.
        clock.advance(Duration::minutes(90));
        let r = post(a, &format!("{path}/replies"), &head, json!({"body": ""})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["field"], "body");
        let r = post(
            a,
            &format!("{path}/replies"),
            &head,
            json!({"body": "可以，已安排二仓。"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        let t = r.json();
        assert_eq!(t["state"], "answered", "[{}] {t}", a.name);
        assert_eq!(t["first_answer_seconds"], 5400, "[{}] {t}", a.name);
        assert_eq!(t["posts"][2]["from_partner"], false);

        // p1 follows up: open again; a second answer keeps the first answer time.
        clock.advance(Duration::minutes(10));
        let r = post(
            a,
            &format!("{path}/replies"),
            &p1,
            json!({"body": "收到，谢谢。周三几点？"}),
        )
        .await;
        assert_eq!(r.json()["state"], "open", "[{}] {}", a.name, r.text());
        let r = post(
            a,
            &format!("{path}/replies"),
            &channel,
            json!({"body": "上午十点。"}),
        )
        .await;
        assert_eq!(r.json()["state"], "answered", "[{}] {}", a.name, r.text());
        assert_eq!(r.json()["first_answer_seconds"], 5400);

        // head closes; staff cannot post to a closed thread; p1's reply reopens it.
        let r = a
            .call("POST", &format!("{path}/close"), Some(&head), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(r.json()["state"], "closed");
        assert!(r.json()["closed_at"].is_string());
        let closed = a
            .call("GET", "/api/v1/threads?state=closed", Some(&p1), None)
            .await
            .json();
        assert!(ids(&closed).contains(&tid), "[{}] {closed}", a.name);
        let r = post(
            a,
            &format!("{path}/replies"),
            &head,
            json!({"body": "再补充一点"}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            r.text()
        );
        assert_eq!(r.json()["errors"][0]["field"], "state");
        let r = post(
            a,
            &format!("{path}/replies"),
            &p1,
            json!({"body": "还有一个问题。"}),
        )
        .await;
        assert_eq!(r.json()["state"], "open", "[{}] {}", a.name, r.text());
        assert_eq!(r.json()["closed_at"], Value::Null);

        // The partner may close its own thread; then a reply on the message starts a new one.
        let r = a
            .call("POST", &format!("{path}/close"), Some(&p1), None)
            .await;
        assert_eq!(r.json()["state"], "closed", "[{}] {}", a.name, r.text());
        let r = post(
            a,
            &format!("/api/v1/inbox/{mid}/replies"),
            &p1,
            json!({"body": "新问题"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
        assert_ne!(r.json()["id"], tid.as_str());

        assert_eq!(
            audited(a, &sh, &tid).await,
            vec![
                "thread.create",
                "thread.reply",
                "thread.reply",
                "thread.reply",
                "thread.reply",
                "thread.close",
                "thread.reply",
                "thread.close",
            ],
            "[{}] every mutation is audited",
            a.name
        );
        let admin = a.login("admin@demo.example").await;
        let log = a
            .call("GET", "/api/v1/audit?limit=100", Some(&admin), None)
            .await
            .json();
        assert!(
            log["items"].as_array().is_some_and(|rows| rows
                .iter()
                .any(|r| r["action"] == "thread.close" && r["entity_id"] == tid.as_str())),
            "[{}] {log}",
            a.name
        );
        let verdict = a
            .call("GET", "/api/v1/audit/verify", Some(&admin), None)
            .await
            .json();
        assert!(verdict["Intact"].is_object(), "[{}] {verdict}", a.name);
    }
}

/// §4.1.2, SPEC B4: a partner opens a thread of its own; it lands with its channel manager.
#[tokio::test]
async fn a_partner_thread_lands_with_its_channel_manager() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let staff = a.login("staff@demo.example").await;
        let sh = a.partner_id("SH-D001").await;

        let r = post(
            a,
            "/api/v1/threads",
            &p1,
            json!({"subject": "", "body": " ", "category": "weather"}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            r.text()
        );
        let fields: Vec<String> = r.json()["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter_map(|f| f["field"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            fields,
            vec!["subject", "body", "category"],
            "[{}] {}",
            a.name,
            r.text()
        );
        let r = post(
            a,
            "/api/v1/threads",
            &staff,
            json!({"subject": "s", "body": "b"}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "[{}] staff do not open partner threads",
            a.name
        );

        let r = post(a, "/api/v1/threads", &p1, json!({"subject": "返利结算疑问", "body": "三季度返利何时到账？", "category": "problem"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
        let t = r.json();
        let tid = t["id"].as_str().expect("id").to_string();
        assert_eq!(t["state"], "open");
        assert_eq!(t["message_id"], Value::Null);
        assert_eq!(t["category"], "problem");
        assert_eq!(
            t["assignee_id"],
            user_id(a, &channel).await.as_str(),
            "[{}] {t}",
            a.name
        );
        assert_eq!(t["assignee_name"], "陈立 Chen Li");

        let mine = a
            .call("GET", "/api/v1/threads?view=mine", Some(&channel), None)
            .await
            .json();
        assert!(ids(&mine).contains(&tid), "[{}] {mine}", a.name);
        let own = a
            .call("GET", "/api/v1/threads", Some(&p1), None)
            .await
            .json();
        assert_eq!(ids(&own), vec![tid.clone()], "[{}] {own}", a.name);
        assert_eq!(own["counts"]["open"], 1);
        assert_eq!(
            a.call("GET", &format!("/api/v1/threads/{tid}"), Some(&p2), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            a.call("GET", &format!("/api/v1/threads/{tid}"), Some(&staff), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );

        let r = post(
            a,
            &format!("/api/v1/threads/{tid}/replies"),
            &channel,
            json!({"body": "下周五到账。"}),
        )
        .await;
        assert_eq!(r.json()["state"], "answered", "[{}] {}", a.name, r.text());
        assert!(
            r.json()["first_answer_seconds"]
                .as_i64()
                .is_some_and(|s| s >= 0)
        );
        let r = a
            .call(
                "POST",
                &format!("/api/v1/threads/{tid}/close"),
                Some(&channel),
                None,
            )
            .await;
        assert_eq!(r.json()["state"], "closed");
        // Closing again changes nothing and writes nothing.
        let r = a
            .call(
                "POST",
                &format!("/api/v1/threads/{tid}/close"),
                Some(&p1),
                None,
            )
            .await;
        assert_eq!(r.json()["state"], "closed");
        assert_eq!(
            audited(a, &sh, &tid).await,
            vec!["thread.create", "thread.reply", "thread.close"],
            "[{}]",
            a.name
        );

        // Bad filters and ids.
        let r = a
            .call("GET", "/api/v1/threads?state=pending", Some(&p1), None)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["errors"][0]["field"], "state");
        assert_eq!(
            a.call("GET", "/api/v1/threads/not-a-uuid", Some(&p1), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            a.call("GET", "/api/v1/threads", None, None).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

/// §7.2.1: a reply to a confidential message is encrypted at rest like the message.
#[tokio::test]
async fn replies_to_confidential_messages_are_encrypted_at_rest() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let r = post(a, "/api/v1/ndas", &channel, json!({"partner": "SH-D001",
            "signed_at": Utc::now() - Duration::days(30), "expires_at": Utc::now() + Duration::days(300)})).await;
        assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
        let mid = dispatched_to_p1(
            a,
            &head,
            &channel,
            json!({"classification": "confidential",
            "purpose": "仅限签署保密协议的伙伴"}),
        )
        .await;
        let marker = "回复密语-QW7781";
        let r = post(
            a,
            &format!("/api/v1/inbox/{mid}/replies"),
            &p1,
            json!({"body": format!("关于价格：{marker}")}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
        let t = r.json();
        assert_eq!(t["classification"], "confidential");
        assert!(
            t["posts"][0]["body"]
                .as_str()
                .is_some_and(|b| b.contains(marker))
        );
        let plain: i64 =
            a.db.fetch_one(
                liaison_db::q("SELECT COUNT(*) FROM thread_posts WHERE body LIKE $1")
                    .bind(format!("%{marker}%")),
            )
            .await
            .expect("count");
        assert_eq!(plain, 0, "[{}] the reply is stored in plain text", a.name);
        let tid = t["id"].as_str().expect("id");
        let shown = a
            .call("GET", &format!("/api/v1/threads/{tid}"), Some(&head), None)
            .await
            .json();
        assert!(
            shown["posts"][0]["body"]
                .as_str()
                .is_some_and(|b| b.contains(marker)),
            "[{}] {shown}",
            a.name
        );
    }
}
