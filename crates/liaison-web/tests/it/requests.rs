//! The communication loop end to end (policy §4): request form, review chain, dispatch to the
//! partner inbox, reads and confirmations, on every backend.

use crate::{TestApp, apps, apps_with};
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use liaison_core::FixedClock;
use serde_json::{Value, json};
use std::sync::Arc;

async fn new_request(a: &TestApp, token: &str, extra: Value) -> String {
    let pid = a.partner_id("SH-D001").await;
    let mut body = json!({
        "title": "2027 年度返利政策说明",
        "purpose": "告知华东经销商新的返利规则",
        "body": "自 2027 年 1 月 1 日起，季度返利按新规则结算。",
        "category": "product",
        "channels": ["email"],
        "audience": {"partners": [pid]},
        "ack_required": true,
        "ack_due_at": (Utc::now() + Duration::days(3)).to_rfc3339(),
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let r = a
        .call("POST", "/api/v1/requests", Some(token), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
    r.json()["id"].as_str().expect("id").to_string()
}

async fn act(a: &TestApp, token: &str, id: &str, action: &str, comment: &str) -> crate::Reply {
    a.call(
        "POST",
        &format!("/api/v1/requests/{id}/{action}"),
        Some(token),
        Some(json!({"comment": comment})),
    )
    .await
}

/// §4.1.1 → §4.2 → §4.3 → §4.4: staff → head → channel → executive → p1's inbox → read → confirm.
#[tokio::test]
async fn a_major_request_walks_the_whole_chain_to_the_partner_inbox() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let staff = a.login("staff@demo.example").await;
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let exec = a.login("exec@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        let id = new_request(a, &staff, json!({"importance": "major"})).await;

        let r = act(a, &staff, &id, "submit", "").await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(r.json()["state"], "pending_dept_head");
        assert_eq!(
            r.json()["chain"],
            json!(["dept_head", "channel_review", "executive"]),
            "[{}] §4.2.2",
            a.name
        );
        // Nobody decides on their own request; a step belongs to its reviewers only.
        assert_eq!(
            act(a, &staff, &id, "approve", "").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            act(a, &channel, &id, "approve", "").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            act(a, &head, &id, "reject", "").await.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a rejection needs a comment"
        );
        assert_eq!(
            act(a, &head, &id, "approve", "同意").await.json()["state"],
            "pending_channel_review"
        );
        assert_eq!(
            act(a, &exec, &id, "approve", "").await.status,
            StatusCode::FORBIDDEN,
            "[{}] not the executive's step yet",
            a.name
        );
        assert_eq!(
            act(a, &channel, &id, "approve", "合规").await.json()["state"],
            "pending_executive"
        );
        let done = act(a, &exec, &id, "approve", "").await;
        assert_eq!(
            done.json()["state"],
            "dispatched",
            "[{}] {}",
            a.name,
            done.text()
        );
        let history = a
            .call("GET", &format!("/api/v1/requests/{id}"), Some(&staff), None)
            .await
            .json();
        let steps: Vec<&str> = history["reviews"]
            .as_array()
            .map(|v| v.iter().filter_map(|r| r["step"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(steps, vec!["dept_head", "channel_review", "executive"]);

        // Receipts: one row per contact and channel it can be reached on.
        let receipts = a
            .call(
                "GET",
                &format!("/api/v1/requests/{id}/deliveries"),
                Some(&channel),
                None,
            )
            .await
            .json();
        let total = receipts["summary"]["total"].as_i64().unwrap_or(0);
        assert!(total >= 2, "[{}] {receipts}", a.name);
        assert!(
            receipts["items"]
                .as_array()
                .is_some_and(|i| i.iter().all(|d| d["partner_code"] == "SH-D001"))
        );
        assert_eq!(
            a.call(
                "GET",
                &format!("/api/v1/requests/{id}/deliveries"),
                Some(&p1),
                None
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );

        // The partner's inbox.
        let inbox = a.call("GET", "/api/v1/inbox", Some(&p1), None).await.json();
        assert_eq!(inbox["counts"]["unread"], 1, "[{}] {inbox}", a.name);
        assert_eq!(inbox["counts"]["to_confirm"], 1);
        let mid = inbox["items"][0]["message_id"]
            .as_str()
            .expect("message")
            .to_string();
        assert_eq!(
            a.call("GET", "/api/v1/inbox", Some(&p2), None).await.json()["items"],
            json!([]),
            "[{}] p2 sees p1's mail",
            a.name
        );
        assert_eq!(
            a.call("GET", &format!("/api/v1/inbox/{mid}"), Some(&p2), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            a.call("POST", &format!("/api/v1/inbox/{mid}/ack"), Some(&p2), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            a.call("GET", "/api/v1/inbox", Some(&staff), None)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let opened = a
            .call("GET", &format!("/api/v1/inbox/{mid}"), Some(&p1), None)
            .await
            .json();
        assert!(
            opened["body"]
                .as_str()
                .is_some_and(|b| b.contains("季度返利"))
        );
        assert!(opened["read_at"].is_string());
        let acked = a
            .call("POST", &format!("/api/v1/inbox/{mid}/ack"), Some(&p1), None)
            .await
            .json();
        assert!(acked["acked_at"].is_string(), "[{}] {acked}", a.name);
        assert_eq!(acked["late"], false);
        let summary = a
            .call(
                "GET",
                &format!("/api/v1/requests/{id}/deliveries"),
                Some(&staff),
                None,
            )
            .await
            .json()["summary"]
            .clone();
        assert_eq!(
            summary["acknowledged"].as_i64(),
            Some(total),
            "[{}] every delivery to p1's partner counts as confirmed",
            a.name
        );
        // §4.4: p1 asks back; the requester answers and closes the loop.
        let reply = a
            .call(
                "POST",
                &format!("/api/v1/inbox/{mid}/replies"),
                Some(&p1),
                Some(json!({"body": "新规则是否适用于 12 月的订单？"})),
            )
            .await;
        assert!(reply.status.is_success(), "[{}] {}", a.name, reply.text());
        let thread = reply.json()["id"].as_str().expect("thread").to_string();
        let answered = a
            .call(
                "POST",
                &format!("/api/v1/threads/{thread}/replies"),
                Some(&staff),
                Some(json!({"body": "适用于 2027 年 1 月起的订单。"})),
            )
            .await;
        assert_eq!(
            answered.status,
            StatusCode::OK,
            "[{}] {}",
            a.name,
            answered.text()
        );
        assert_eq!(answered.json()["state"], "answered");
        let closed = a
            .call(
                "POST",
                &format!("/api/v1/threads/{thread}/close"),
                Some(&staff),
                None,
            )
            .await
            .json();
        assert_eq!(closed["state"], "closed", "[{}] {closed}", a.name);
        assert!(
            closed["first_answer_seconds"].as_i64().is_some(),
            "[{}] time to first answer: {closed}",
            a.name
        );
        // Requests are company-internal.
        assert_eq!(
            a.call("GET", &format!("/api/v1/requests/{id}"), Some(&p1), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn heads_skip_their_own_step_and_requests_can_be_returned_rejected_and_withdrawn() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let staff = a.login("staff@demo.example").await;
        let id = new_request(a, &head, json!({})).await;
        let r = act(a, &head, &id, "submit", "").await.json();
        assert_eq!(
            r["state"], "pending_channel_review",
            "[{}] a head's own request skips §4.1.1's first step",
            a.name
        );
        let r = act(a, &channel, &id, "return", "请补充生效日期")
            .await
            .json();
        assert_eq!(r["state"], "returned");
        let edited = a
            .call(
                "PATCH",
                &format!("/api/v1/requests/{id}"),
                Some(&head),
                Some(json!({"purpose": "补充后的目的"})),
            )
            .await;
        assert_eq!(
            edited.status,
            StatusCode::OK,
            "[{}] {}",
            a.name,
            edited.text()
        );
        assert_eq!(
            act(a, &head, &id, "submit", "").await.json()["state"],
            "pending_channel_review"
        );
        assert_eq!(
            act(a, &channel, &id, "reject", "不符合政策").await.json()["state"],
            "rejected"
        );
        assert_eq!(
            act(a, &channel, &id, "approve", "").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );

        let id2 = new_request(a, &staff, json!({})).await;
        assert_eq!(
            act(a, &staff, &id2, "submit", "").await.json()["state"],
            "pending_dept_head"
        );
        assert_eq!(
            act(a, &head, &id2, "withdraw", "").await.status,
            StatusCode::FORBIDDEN,
            "only the requester withdraws"
        );
        assert_eq!(
            act(a, &staff, &id2, "withdraw", "").await.json()["state"],
            "withdrawn"
        );
        // A draft that lacks what the policy asks for cannot be submitted.
        let bare = a
            .call(
                "POST",
                "/api/v1/requests",
                Some(&staff),
                Some(json!({"title": "只有标题"})),
            )
            .await
            .json();
        let bare_id = bare["id"].as_str().expect("id").to_string();
        let r = act(a, &staff, &bare_id, "submit", "").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("audience"));
    }
}

/// §3.1.2: a policy change announced with less than 14 days' notice needs an executive, and
/// secret content too (§4.2.2).
#[tokio::test]
async fn short_notice_policy_changes_and_secret_content_need_an_executive() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let soon = (Utc::now() + Duration::days(5)).to_rfc3339();
        let id = new_request(a, &head, json!({"category": "policy", "effective_at": soon, "change_reason": "成本变化", "impact": "返利下调"})).await;
        let r = act(a, &head, &id, "submit", "").await.json();
        assert_eq!(
            r["chain"],
            json!(["channel_review", "executive"]),
            "[{}] {r}",
            a.name
        );
        // Findings carry a stable code and a message in the caller's language (zh-CN here).
        assert!(
            r["findings"].as_array().is_some_and(|f| {
                f.iter().any(|x| {
                    x["code"] == "short_notice"
                        && x["message"].as_str().is_some_and(|s| s.contains("§3.1.2"))
                })
            }),
            "[{}] {r}",
            a.name
        );
        let id = new_request(
            a,
            &head,
            json!({"classification": "secret", "body": "内部价 底价 信息"}),
        )
        .await;
        let r = act(a, &head, &id, "submit", "").await.json();
        assert_eq!(r["chain"], json!(["channel_review", "executive"]));
        assert!(
            r["findings"].as_array().is_some_and(|f| f
                .iter()
                .any(|x| x["code"] == "sensitive_term"
                    && x["term"] == "内部价"
                    && x["message"] == "敏感词：内部价")),
            "[{}] sensitive terms are flagged: {r}",
            a.name
        );
    }
}

/// §4.3.2: a confirmation after the deadline is recorded as late.
#[tokio::test]
async fn a_confirmation_after_the_deadline_is_late() {
    let clock = Arc::new(FixedClock::new(Utc::now()));
    let (apps, _g) = apps_with(clock.clone()).await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let id = new_request(
            a,
            &head,
            json!({"ack_due_at": (clock_now(&clock) + Duration::hours(2)).to_rfc3339()}),
        )
        .await;
        act(a, &head, &id, "submit", "").await;
        assert_eq!(
            act(a, &channel, &id, "approve", "").await.json()["state"],
            "dispatched"
        );
        clock.advance(Duration::hours(3));
        let mid =
            a.call("GET", "/api/v1/inbox", Some(&p1), None).await.json()["items"][0]["message_id"]
                .as_str()
                .expect("message")
                .to_string();
        let acked = a
            .call("POST", &format!("/api/v1/inbox/{mid}/ack"), Some(&p1), None)
            .await
            .json();
        assert_eq!(acked["late"], true, "[{}] {acked}", a.name);
        let summary = a
            .call(
                "GET",
                &format!("/api/v1/requests/{id}/deliveries"),
                Some(&channel),
                None,
            )
            .await
            .json()["summary"]
            .clone();
        assert_eq!(
            summary["overdue"], 0,
            "[{}] confirmed deliveries are not overdue",
            a.name
        );
        clock.advance(Duration::hours(-3));
    }
}

fn clock_now(c: &FixedClock) -> chrono::DateTime<Utc> {
    use liaison_core::Clock;
    c.now()
}

/// §6.1.2 groundwork: who has not confirmed, exportable as CSV (with BOM) and XLSX.
#[tokio::test]
async fn the_unconfirmed_list_exports_as_csv_and_xlsx() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let bj = a.partner_id("BJ-D002").await;
        let sh = a.partner_id("SH-D001").await;
        let id = new_request(a, &head, json!({"audience": {"partners": [sh, bj]}})).await;
        act(a, &head, &id, "submit", "").await;
        assert_eq!(
            act(a, &channel, &id, "approve", "").await.json()["state"],
            "dispatched"
        );
        let mid =
            a.call("GET", "/api/v1/inbox", Some(&p1), None).await.json()["items"][0]["message_id"]
                .as_str()
                .expect("mid")
                .to_string();
        a.call("POST", &format!("/api/v1/inbox/{mid}/ack"), Some(&p1), None)
            .await;
        let csv = a
            .call(
                "GET",
                &format!("/api/v1/requests/{id}/deliveries/export?unconfirmed=true&format=csv"),
                Some(&channel),
                None,
            )
            .await;
        assert_eq!(csv.status, StatusCode::OK, "[{}] {}", a.name, csv.text());
        assert!(csv.body.starts_with(b"\xEF\xBB\xBF"));
        assert!(
            csv.text().contains("BJ-D002") && !csv.text().contains("SH-D001"),
            "[{}] {}",
            a.name,
            csv.text()
        );
        let xlsx = a
            .call(
                "GET",
                &format!("/api/v1/requests/{id}/deliveries/export?format=xlsx"),
                Some(&channel),
                None,
            )
            .await;
        assert!(xlsx.body.starts_with(b"PK\x03\x04"), "[{}]", a.name);
        assert_eq!(
            a.call(
                "GET",
                &format!("/api/v1/requests/{id}/deliveries/export"),
                Some(&p1),
                None
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );
    }
}

/// §4.2.1 and §3.1.2 numbers are settings an admin edits, and the pre-check uses them.
#[tokio::test]
async fn the_pre_check_uses_the_admins_terms_and_notice_period() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let admin = a.login("admin@demo.example").await;
        let head = a.login("head@demo.example").await;
        let defaults = a
            .call("GET", "/api/v1/settings/review", Some(&head), None)
            .await
            .json();
        assert_eq!(defaults["policy_notice_days"], 14);
        assert_eq!(
            a.call(
                "PUT",
                "/api/v1/settings/review",
                Some(&head),
                Some(json!({"policy_notice_days": 30}))
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        let bad = a
            .call(
                "PUT",
                "/api/v1/settings/review",
                Some(&admin),
                Some(json!({"policy_notice_days": 0})),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let set = a
            .call(
                "PUT",
                "/api/v1/settings/review",
                Some(&admin),
                Some(json!({"policy_notice_days": 30, "sensitive_terms": ["限时特价"]})),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "[{}] {}", a.name, set.text());
        let in20 = (Utc::now() + Duration::days(20)).to_rfc3339();
        let id = new_request(a, &head, json!({"body": "限时特价活动", "category": "policy", "effective_at": in20, "change_reason": "促销", "impact": "价格"})).await;
        let r = act(a, &head, &id, "submit", "").await.json();
        let findings = r["findings"].to_string();
        assert!(
            findings.contains("限时特价")
                && findings.contains(r#""days":30"#)
                && findings.contains("不足 30 天"),
            "[{}] {findings}",
            a.name
        );
        assert_eq!(
            r["chain"].as_array().and_then(|c| c.last()).cloned(),
            Some(json!("executive")),
            "[{}] 20 days' notice is short of 30",
            a.name
        );
    }
}

/// §4.1.1/§4.2: any eligible reviewer decides a step, unless the step is set to need all.
#[tokio::test]
async fn a_step_set_to_need_everyone_waits_for_every_eligible_reviewer() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let admin = a.login("admin@demo.example").await;
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let channel2 = a.login("channel2@demo.example").await;
        let set = a
            .call(
                "PUT",
                "/api/v1/settings/review",
                Some(&admin),
                Some(json!({"need_all_steps": ["channel_review"]})),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "[{}] {}", a.name, set.text());
        assert_eq!(
            a.call(
                "PUT",
                "/api/v1/settings/review",
                Some(&admin),
                Some(json!({"need_all_steps": ["ceo"]}))
            )
            .await
            .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let id = new_request(a, &head, json!({})).await;
        assert_eq!(
            act(a, &head, &id, "submit", "").await.json()["state"],
            "pending_channel_review"
        );
        assert_eq!(
            act(a, &channel, &id, "approve", "").await.json()["state"],
            "pending_channel_review",
            "[{}] one of two channel managers",
            a.name
        );
        assert_eq!(
            act(a, &channel, &id, "approve", "").await.status,
            StatusCode::CONFLICT
        );
        assert_eq!(
            act(a, &channel2, &id, "approve", "").await.json()["state"],
            "dispatched",
            "[{}]",
            a.name
        );
    }
}

/// §4.3: an approved request with a later send time waits for it, then goes out.
#[tokio::test]
async fn a_scheduled_request_waits_for_its_send_time() {
    let clock = Arc::new(FixedClock::new(Utc::now()));
    let (apps, _g) = apps_with(clock.clone()).await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let send_at = clock_now(&clock) + Duration::hours(1);
        let id = new_request(a, &head, json!({"send_at": send_at.to_rfc3339(), "ack_due_at": (send_at + Duration::days(2)).to_rfc3339()})).await;
        act(a, &head, &id, "submit", "").await;
        assert_eq!(
            act(a, &channel, &id, "approve", "").await.json()["state"],
            "approved",
            "[{}] waits for send_at",
            a.name
        );
        assert_eq!(
            liaison_db::request::dispatch_due(&a.db)
                .await
                .expect("sweep"),
            0
        );
        assert_eq!(
            a.call("GET", "/api/v1/inbox", Some(&p1), None).await.json()["items"],
            json!([])
        );
        clock.advance(Duration::hours(2));
        assert_eq!(
            liaison_db::request::dispatch_due(&a.db)
                .await
                .expect("sweep"),
            1,
            "[{}]",
            a.name
        );
        let r = a
            .call("GET", &format!("/api/v1/requests/{id}"), Some(&head), None)
            .await
            .json();
        assert_eq!(r["state"], "dispatched");
        assert_eq!(
            a.call("GET", "/api/v1/inbox", Some(&p1), None).await.json()["items"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        clock.advance(Duration::hours(-2));
    }
}
