//! The delivery engine over HTTP: one-click links, receipts actions, robots, calendar, endpoints.
//! Policy §4.3.2 (confirmation replies), §4.4.1 (reminders), §2.1.2 (IM robots), §5.3.2
//! (working days), §7.2.1 (confidential content), on every backend.

use crate::{Reply, TestApp, apps};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use liaison_db::q;
use serde_json::{Value, json};
use uuid::Uuid;

const TITLE: &str = "2027 年度返利政策说明（一键确认）";
const BODY: &str = "自 2027 年 1 月 1 日起，季度返利按新规则结算。";

/// A request dispatched to SH-D001: `requester` writes it, channel management approves it.
struct Sent {
    request: String,
    message: String,
}

async fn dispatched(a: &TestApp, requester: &str, channel: &str, extra: Value) -> Sent {
    let sh = a.partner_id("SH-D001").await;
    let mut body = json!({
        "title": TITLE,
        "purpose": "告知华东经销商新的返利规则",
        "body": BODY,
        "category": "product",
        "channels": ["email", "wecom"],
        "audience": {"partners": [sh]},
        "ack_required": true,
        "ack_due_at": (Utc::now() + Duration::days(3)).to_rfc3339(),
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let r = a
        .call("POST", "/api/v1/requests", Some(requester), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
    let request = r.json()["id"].as_str().expect("id").to_string();
    for (token, action) in [(requester, "submit"), (channel, "approve")] {
        let r = a
            .call(
                "POST",
                &format!("/api/v1/requests/{request}/{action}"),
                Some(token),
                Some(json!({"comment": ""})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "[{}] {action}: {}",
            a.name,
            r.text()
        );
    }
    let shown = a
        .call(
            "GET",
            &format!("/api/v1/requests/{request}"),
            Some(requester),
            None,
        )
        .await
        .json();
    assert_eq!(shown["state"], "dispatched", "[{}] {shown}", a.name);
    let message = shown["message_id"].as_str().expect("message").to_string();
    Sent { request, message }
}

/// A second contact of SH-D001, reached by e-mail and WeCom as well as in the portal.
async fn add_wecom_contact(a: &TestApp, channel: &str) {
    let sh = a.partner_id("SH-D001").await;
    let r = a
        .call(
            "POST",
            &format!("/api/v1/partners/{sh}/contacts"),
            Some(channel),
            Some(
                json!({"name": "陈静", "email": "chen.jing@sh-d001.example", "title": "采购经理",
                        "preferred_channels": ["portal", "email", "wecom"]}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
}

/// The receipts board of a request, as channel management sees it.
async fn receipts(a: &TestApp, channel: &str, request: &str) -> Value {
    let r = a
        .call(
            "GET",
            &format!("/api/v1/requests/{request}/deliveries"),
            Some(channel),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
    r.json()
}

fn items(board: &Value) -> Vec<Value> {
    board["items"].as_array().cloned().unwrap_or_default()
}

/// The first delivery of the board on `channel`.
fn delivery_on(a: &TestApp, board: &Value, channel: &str) -> Value {
    items(board)
        .into_iter()
        .find(|d| d["channel"] == channel)
        .unwrap_or_else(|| panic!("[{}] no {channel} delivery: {board}", a.name))
}

fn uuid_of(v: &Value) -> Uuid {
    Uuid::parse_str(v["id"].as_str().expect("id")).expect("uuid")
}

/// A one-click link for `delivery`, signed as dispatch signs it.
fn link(a: &TestApp, delivery: &Value, expires: DateTime<Utc>) -> String {
    liaison_db::link::sign(a.db.cipher().expect("key"), uuid_of(delivery), expires)
}

/// Stands in for the worker: writes a delivery or job state directly.
async fn exec(a: &TestApp, query: liaison_db::Q) -> u64 {
    let mut tx = a.db.begin().await.expect("begin");
    let n = tx.execute(query).await.expect("write");
    tx.commit().await.expect("commit");
    n
}

/// The fields a 422 names.
fn fields(r: &Reply) -> Vec<String> {
    r.json()["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|f| f["field"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn refused(s: StatusCode) -> bool {
    s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND
}

async fn post_page(a: &TestApp, path: &str) -> Reply {
    let req = axum::http::Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::empty())
        .expect("request");
    a.send(req).await
}

async fn acks_recorded(a: &TestApp, message: &str) -> i64 {
    a.db.fetch_one(
        q("SELECT COUNT(*) FROM audit_log WHERE action = 'message.ack' AND entity_id = $1")
            .bind(Uuid::parse_str(message).expect("uuid")),
    )
    .await
    .expect("count")
}

/// §4.3.2: the link in an e-mail or IM card opens the message on a page of its own, with no
/// password, and the page thanks the partner after the tap.
#[tokio::test]
async fn the_one_click_page_shows_the_message_and_thanks_after_the_tap() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let sent = dispatched(a, &head, &channel, json!({})).await;
        let email = delivery_on(a, &receipts(a, &channel, &sent.request).await, "email");
        let token = link(a, &email, Utc::now() + Duration::days(7));

        let page = a.call("GET", &format!("/ack/{token}"), None, None).await;
        assert_eq!(page.status, StatusCode::OK, "[{}] {}", a.name, page.text());
        assert!(page.content_type.starts_with("text/html"), "[{}]", a.name);
        let html = page.text();
        assert!(
            html.contains(TITLE) && html.contains(BODY) && html.contains("id=\"ack-button\""),
            "[{}] the page shows the message and the button: {html}",
            a.name
        );
        let done = post_page(a, &format!("/ack/{token}")).await;
        assert!(
            done.status.is_redirection(),
            "[{}] {} {}",
            a.name,
            done.status,
            done.text()
        );
        let thanks = a
            .call("GET", &format!("/ack/{token}?done=1"), None, None)
            .await
            .text();
        assert!(
            thanks.contains("data-acked=\"true\"") && thanks.contains("id=\"ack-thanks\""),
            "[{}] {thanks}",
            a.name
        );
    }
}

/// §4.3.2: the link in an e-mail confirms with one tap and no password, and a receipt counts
/// once per recipient partner whatever the channel it came through.
#[tokio::test]
async fn a_one_click_link_confirms_the_message_once_for_its_partner() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        add_wecom_contact(a, &channel).await;
        let sent = dispatched(a, &head, &channel, json!({})).await;
        let board = receipts(a, &channel, &sent.request).await;
        let email = delivery_on(a, &board, "email");
        let token = link(a, &email, Utc::now() + Duration::days(7));

        let shown = a
            .call("GET", &format!("/api/v1/ack/{token}"), None, None)
            .await;
        assert_eq!(
            shown.status,
            StatusCode::OK,
            "[{}] {}",
            a.name,
            shown.text()
        );
        assert_eq!(shown.json()["title"], TITLE, "[{}]", a.name);
        assert_eq!(shown.json()["body"], BODY, "[{}]", a.name);
        assert!(shown.json()["acked_at"].is_null(), "[{}]", a.name);

        let done = post_page(a, &format!("/ack/{token}")).await;
        assert!(
            done.status == StatusCode::SEE_OTHER || done.status == StatusCode::FOUND,
            "[{}] the tap redirects to the confirmation: {} {}",
            a.name,
            done.status,
            done.text()
        );
        let after = receipts(a, &channel, &sent.request).await;
        let summary = &after["summary"];
        assert_eq!(
            summary["acknowledged"], summary["total"],
            "[{}] the partner's every delivery counts as confirmed: {summary}",
            a.name
        );
        let rows = items(&after);
        let acked_at = rows[0]["acked_at"].clone();
        assert!(acked_at.is_string(), "[{}] {after}", a.name);
        assert!(
            rows.iter()
                .all(|d| d["acked_via"] == email["channel"] && d["acked_at"] == acked_at),
            "[{}] confirmed through the e-mail link, at one time: {after}",
            a.name
        );
        let inbox = a.call("GET", "/api/v1/inbox", Some(&p1), None).await.json();
        let item = items(&inbox)
            .into_iter()
            .find(|i| i["message_id"] == sent.message.as_str())
            .unwrap_or_else(|| panic!("[{}] not in p1's inbox: {inbox}", a.name));
        assert_eq!(
            item["acked_at"], acked_at,
            "[{}] p1 sees it confirmed",
            a.name
        );
        assert_eq!(inbox["counts"]["to_confirm"], 0, "[{}] {inbox}", a.name);

        // Tapping again, through the page or the API, changes nothing.
        let again = post_page(a, &format!("/ack/{token}")).await;
        assert!(
            again.status.is_redirection(),
            "[{}] {}",
            a.name,
            again.status
        );
        let api = a
            .call("POST", &format!("/api/v1/ack/{token}"), None, None)
            .await;
        assert_eq!(api.status, StatusCode::OK, "[{}] {}", a.name, api.text());
        assert_eq!(api.json()["acked_at"], acked_at, "[{}]", a.name);
        // Then in the portal: still the one receipt, from the link.
        let portal = a
            .call(
                "POST",
                &format!("/api/v1/inbox/{}/ack", sent.message),
                Some(&p1),
                None,
            )
            .await;
        assert_eq!(
            portal.status,
            StatusCode::OK,
            "[{}] {}",
            a.name,
            portal.text()
        );
        assert_eq!(portal.json()["acked_at"], acked_at, "[{}]", a.name);
        let last = receipts(a, &channel, &sent.request).await;
        assert_eq!(last["summary"], after["summary"], "[{}]", a.name);
        assert!(
            items(&last)
                .iter()
                .all(|d| d["acked_via"] == email["channel"] && d["acked_at"] == acked_at),
            "[{}] {last}",
            a.name
        );
        assert_eq!(
            acks_recorded(a, &sent.message).await,
            1,
            "[{}] one confirmation in the audit log",
            a.name
        );
    }
}

/// §4.3.2: a link works only as it was signed and until it expires, and the partner is told
/// which, so they know to ask for a new one or confirm in the portal.
#[tokio::test]
async fn an_altered_link_is_not_found_and_an_expired_one_is_gone() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let sent = dispatched(a, &head, &channel, json!({})).await;
        let email = delivery_on(a, &receipts(a, &channel, &sent.request).await, "email");

        let good = link(a, &email, Utc::now() + Duration::days(7));
        let mut bytes = good.into_bytes();
        bytes[10] = if bytes[10] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(bytes).expect("ascii");
        for path in [
            format!("/api/v1/ack/{altered}"),
            "/api/v1/ack/not-a-token".to_string(),
        ] {
            for method in ["GET", "POST"] {
                let r = a.call(method, &path, None, None).await;
                assert_eq!(
                    r.status,
                    StatusCode::NOT_FOUND,
                    "[{}] {method} {path}",
                    a.name
                );
                assert!(
                    r.content_type.starts_with("application/problem+json"),
                    "[{}] {}",
                    a.name,
                    r.content_type
                );
            }
        }
        let page = a.call("GET", &format!("/ack/{altered}"), None, None).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "[{}]", a.name);
        assert!(page.content_type.starts_with("text/html"), "[{}]", a.name);
        // Issue 9: the partner's page, in their language, not the console's 404.
        let text = page.text();
        assert!(
            text.contains("id=\"link-invalid\"") && text.contains("链接无效或已过期"),
            "[{}] {text}",
            a.name
        );
        assert!(
            text.contains("class=\"portal\"") && !text.contains("管理后台"),
            "[{}]",
            a.name
        );
        let page = post_page(a, &format!("/ack/{altered}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "[{}]", a.name);

        let expired = link(a, &email, Utc::now() - Duration::hours(1));
        for method in ["GET", "POST"] {
            let r = a
                .call(method, &format!("/api/v1/ack/{expired}"), None, None)
                .await;
            assert_eq!(
                r.status,
                StatusCode::GONE,
                "[{}] {method} {}",
                a.name,
                r.text()
            );
            assert!(
                r.content_type.starts_with("application/problem+json"),
                "[{}] {}",
                a.name,
                r.content_type
            );
            assert!(
                r.json()["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("expired")),
                "[{}] the problem says the link expired: {}",
                a.name,
                r.text()
            );
        }
        for page in [
            a.call("GET", &format!("/ack/{expired}"), None, None).await,
            post_page(a, &format!("/ack/{expired}")).await,
        ] {
            assert_eq!(
                page.status,
                StatusCode::GONE,
                "[{}] {}",
                a.name,
                page.text()
            );
            assert!(page.content_type.starts_with("text/html"), "[{}]", a.name);
            assert!(
                page.text().contains("expired") && !page.text().contains(BODY),
                "[{}] an error page, not the message: {}",
                a.name,
                page.text()
            );
        }
        let summary = receipts(a, &channel, &sent.request).await["summary"].clone();
        assert_eq!(summary["acknowledged"], 0, "[{}] {summary}", a.name);
    }
}

/// §7.2.1: a confidential message does not travel in a link; the partner logs in to read and
/// confirm it.
#[tokio::test]
async fn a_confidential_message_is_neither_shown_nor_confirmed_by_link() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let nda = a
            .call(
                "POST",
                "/api/v1/ndas",
                Some(&channel),
                Some(json!({"partner": "SH-D001", "signed_at": Utc::now() - Duration::days(30),
                            "expires_at": Utc::now() + Duration::days(300), "document": "NDA-2026.pdf"})),
            )
            .await;
        assert_eq!(
            nda.status,
            StatusCode::CREATED,
            "[{}] {}",
            a.name,
            nda.text()
        );
        let secret = "保密成本结构-ABC789";
        let sent = dispatched(
            a,
            &head,
            &channel,
            json!({"classification": "confidential", "body": format!("内容：{secret}")}),
        )
        .await;
        let email = delivery_on(a, &receipts(a, &channel, &sent.request).await, "email");
        let token = link(a, &email, Utc::now() + Duration::days(7));

        let shown = a
            .call("GET", &format!("/api/v1/ack/{token}"), None, None)
            .await;
        assert_eq!(
            shown.status,
            StatusCode::OK,
            "[{}] {}",
            a.name,
            shown.text()
        );
        assert_eq!(shown.json()["title"], TITLE, "[{}]", a.name);
        assert!(
            !shown.text().contains(secret),
            "[{}] the body needs a login: {}",
            a.name,
            shown.text()
        );
        let r = a
            .call("POST", &format!("/api/v1/ack/{token}"), None, None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{}] {}", a.name, r.text());
        assert!(
            r.json()["detail"]
                .as_str()
                .is_some_and(|d| d.contains("log in")),
            "[{}] says to log in: {}",
            a.name,
            r.text()
        );
        let page = post_page(a, &format!("/ack/{token}")).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "[{}]", a.name);
        assert!(page.content_type.starts_with("text/html"), "[{}]", a.name);
        let summary = receipts(a, &channel, &sent.request).await["summary"].clone();
        assert_eq!(summary["acknowledged"], 0, "[{}] {summary}", a.name);

        let page = a.call("GET", &format!("/ack/{token}"), None, None).await;
        assert_eq!(page.status, StatusCode::OK, "[{}] {}", a.name, page.text());
        let html = page.text();
        assert!(
            html.contains("id=\"confidential-notice\"") && html.contains(TITLE),
            "[{}] {html}",
            a.name
        );
        assert!(
            !html.contains(secret) && !html.contains("id=\"message-body\""),
            "[{}] the body is not on the page",
            a.name
        );
        assert!(
            !html.contains("id=\"ack-button\""),
            "[{}] no button to confirm unread",
            a.name
        );
    }
}

/// §4.4.1: the requester or channel management reminds the unconfirmed recipients now, on the
/// channels their copy went out on; nobody who confirmed is reminded.
#[tokio::test]
async fn the_requester_or_channel_management_reminds_unconfirmed_recipients_now() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let staff = a.login("staff@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        add_wecom_contact(a, &channel).await;
        let sent = dispatched(a, &head, &channel, json!({})).await;
        let mid = Uuid::parse_str(&sent.message).expect("uuid");
        // The worker sent every push delivery.
        let push = exec(
            a,
            q(
                "UPDATE deliveries SET state = 'sent', next_at = NULL, sent_at = $1
                WHERE message_id = $2 AND channel <> 'portal'",
            )
            .bind(Utc::now())
            .bind(mid),
        )
        .await;
        assert_eq!(
            push, 4,
            "[{}] three e-mails (王伟, 刘洋, 陈静) and one WeCom message",
            a.name
        );
        let remind = format!("/api/v1/requests/{}/remind", sent.request);

        let r = a.call("POST", &remind, Some(&head), None).await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(
            r.json(),
            json!({"reminders": push}),
            "[{}] the requester",
            a.name
        );
        let board = receipts(a, &channel, &sent.request).await;
        for d in items(&board) {
            assert_eq!(
                d["next_at"].is_string(),
                d["channel"] != "portal",
                "[{}] a reminder is queued on each push channel, not the portal: {d}",
                a.name
            );
        }
        // Queued already: asking again adds nothing.
        assert_eq!(
            a.call("POST", &remind, Some(&head), None).await.json(),
            json!({"reminders": 0}),
            "[{}]",
            a.name
        );
        exec(
            a,
            q("UPDATE deliveries SET next_at = NULL WHERE message_id = $1").bind(mid),
        )
        .await;
        let r = a.call("POST", &remind, Some(&channel), None).await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(
            r.json(),
            json!({"reminders": push}),
            "[{}] channel management",
            a.name
        );
        for (who, token) in [("staff", &staff), ("p1", &p1)] {
            let r = a.call("POST", &remind, Some(token), None).await;
            assert!(
                refused(r.status),
                "[{}] {who} may not remind: {}",
                a.name,
                r.status
            );
        }
        // Once the partner confirmed, nobody of it is reminded.
        a.call(
            "POST",
            &format!("/api/v1/inbox/{}/ack", sent.message),
            Some(&p1),
            None,
        )
        .await;
        exec(
            a,
            q("UPDATE deliveries SET next_at = NULL WHERE message_id = $1").bind(mid),
        )
        .await;
        assert_eq!(
            a.call("POST", &remind, Some(&channel), None).await.json(),
            json!({"reminders": 0}),
            "[{}]",
            a.name
        );

        let plain = dispatched(
            a,
            &head,
            &channel,
            json!({"ack_required": false, "ack_due_at": null}),
        )
        .await;
        let r = a
            .call(
                "POST",
                &format!("/api/v1/requests/{}/remind", plain.request),
                Some(&channel),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] nothing to confirm, nothing to remind: {}",
            a.name,
            r.text()
        );
    }
}

/// Channel management sends dead deliveries again from a fresh attempt count: one, or all of
/// a message's; what went out is not sent twice.
#[tokio::test]
async fn channel_management_sends_dead_deliveries_again() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let staff = a.login("staff@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        add_wecom_contact(a, &channel).await;
        let sent = dispatched(a, &head, &channel, json!({})).await;
        let mid = Uuid::parse_str(&sent.message).expect("uuid");
        let board = receipts(a, &channel, &sent.request).await;
        let push: Vec<Value> = items(&board)
            .into_iter()
            .filter(|d| d["channel"] != "portal")
            .collect();
        assert_eq!(push.len(), 4, "[{}] {board}", a.name);
        exec(
            a,
            q("UPDATE deliveries SET state = 'sent', next_at = NULL, sent_at = $1 WHERE message_id = $2 AND channel <> 'portal'")
                .bind(Utc::now())
                .bind(mid),
        )
        .await;
        let (one, other) = (uuid_of(&push[0]), uuid_of(&push[1]));
        for d in [one, other] {
            exec(
                a,
                q(
                    "UPDATE deliveries SET state = 'dead', next_at = NULL, attempts = 6,
                         last_error = '550 mailbox unavailable' WHERE id = $1",
                )
                .bind(d),
            )
            .await;
        }
        let retry = format!("/api/v1/requests/{}/retry", sent.request);
        let state_of = |board: &Value, id: Uuid| {
            items(board)
                .into_iter()
                .find(|d| d["id"] == id.to_string().as_str())
                .expect("delivery")
        };

        let r = a
            .call(
                "POST",
                &retry,
                Some(&channel),
                Some(json!({"delivery_id": one})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(r.json(), json!({"queued": 1}), "[{}]", a.name);
        let b = receipts(a, &channel, &sent.request).await;
        let d = state_of(&b, one);
        assert_eq!(
            (d["state"].clone(), d["attempts"].clone()),
            (json!("queued"), json!(0)),
            "[{}] {d}",
            a.name
        );
        assert!(d["next_at"].is_string(), "[{}] {d}", a.name);
        assert_eq!(state_of(&b, other)["state"], "dead", "[{}]", a.name);

        let r = a.call("POST", &retry, Some(&channel), None).await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(
            r.json(),
            json!({"queued": 1}),
            "[{}] every dead one",
            a.name
        );
        let d = state_of(&receipts(a, &channel, &sent.request).await, other);
        assert_eq!(
            (d["state"].clone(), d["attempts"].clone()),
            (json!("queued"), json!(0)),
            "[{}] {d}",
            a.name
        );

        let went_out = push
            .get(2)
            .map(uuid_of)
            .unwrap_or_else(|| uuid_of(&push[0]));
        exec(
            a,
            q("UPDATE deliveries SET state = 'sent', next_at = NULL WHERE id = $1").bind(went_out),
        )
        .await;
        let r = a
            .call(
                "POST",
                &retry,
                Some(&channel),
                Some(json!({"delivery_id": went_out})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] a sent delivery is not sent again: {}",
            a.name,
            r.text()
        );

        for (who, token) in [("head (the requester)", &head), ("staff", &staff)] {
            let r = a.call("POST", &retry, Some(token), None).await;
            assert!(refused(r.status), "[{}] {who}: {}", a.name, r.status);
        }
        assert_eq!(
            a.call("POST", &retry, Some(&p1), None).await.status,
            StatusCode::NOT_FOUND,
            "[{}] partners do not see requests",
            a.name
        );
    }
}

/// §2.1.2 and §7.2.1: a partner's IM robot is kept sealed; its key and secret never leave the
/// server, and only channel management manages robots.
#[tokio::test]
async fn robot_keys_and_secrets_are_sealed_and_never_shown() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let channel = a.login("channel@demo.example").await;
        let staff = a.login("staff@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        let sh = a.partner_id("SH-D001").await;
        let bj = a.partner_id("BJ-D002").await;
        let robots = format!("/api/v1/partners/{sh}/robots");
        let created = a
            .call(
                "POST",
                &robots,
                Some(&channel),
                Some(json!({"kind": "dingtalk", "label": "恒通商贸工作群",
                            "url": "https://oapi.dingtalk.com/robot/send?access_token=SECRETTOKEN",
                            "secret": "SEC123"})),
            )
            .await;
        assert_eq!(
            created.status,
            StatusCode::CREATED,
            "[{}] {}",
            a.name,
            created.text()
        );
        let text = created.text();
        assert!(
            !text.contains("SECRETTOKEN") && !text.contains("SEC123"),
            "[{}] {text}",
            a.name
        );
        let robot = created.json();
        assert_eq!(robot["signed"], true, "[{}] {robot}", a.name);
        assert_eq!(robot["kind"], "dingtalk", "[{}]", a.name);
        assert!(
            robot["url_hint"]
                .as_str()
                .is_some_and(|h| h.starts_with("https://oapi.dingtalk.com/")),
            "[{}] {robot}",
            a.name
        );
        let rid = robot["id"].as_str().expect("id").to_string();
        let list = a.call("GET", &robots, Some(&channel), None).await;
        assert_eq!(list.status, StatusCode::OK, "[{}] {}", a.name, list.text());
        assert!(
            items(&list.json()).iter().any(|r| r["id"] == rid.as_str()),
            "[{}] {}",
            a.name,
            list.text()
        );
        assert!(
            !list.text().contains("SECRETTOKEN") && !list.text().contains("SEC123"),
            "[{}]",
            a.name
        );
        let sealed: i64 =
            a.db.fetch_one(
                q("SELECT COUNT(*) FROM robots WHERE id = $1
                      AND url LIKE 'enc:v1:%' AND secret LIKE 'enc:v1:%'")
                .bind(Uuid::parse_str(&rid).expect("uuid")),
            )
            .await
            .expect("count");
        let plain: i64 =
            a.db.fetch_one(q(
                "SELECT COUNT(*) FROM robots WHERE url LIKE '%SECRETTOKEN%' OR secret LIKE '%SEC123%'
                     OR url_hint LIKE '%SECRETTOKEN%'",
            ))
            .await
            .expect("count");
        assert_eq!(
            (sealed, plain),
            (1, 0),
            "[{}] the URL and the secret are sealed at rest",
            a.name
        );

        // One contact's own robot.
        let sh_contact = items(
            &a.call(
                "GET",
                &format!("/api/v1/partners/{sh}/contacts"),
                Some(&channel),
                None,
            )
            .await
            .json(),
        )[0]["id"]
            .clone();
        let own = a
            .call(
                "POST",
                &robots,
                Some(&channel),
                Some(json!({"kind": "wecom", "contact_id": sh_contact,
                            "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K1"})),
            )
            .await;
        assert_eq!(
            own.status,
            StatusCode::CREATED,
            "[{}] {}",
            a.name,
            own.text()
        );
        assert_eq!(own.json()["contact_id"], sh_contact, "[{}]", a.name);
        assert_eq!(own.json()["signed"], false, "[{}]", a.name);

        let bj_contact = items(
            &a.call(
                "GET",
                &format!("/api/v1/partners/{bj}/contacts"),
                Some(&channel),
                None,
            )
            .await
            .json(),
        )[0]["id"]
            .clone();
        for (body, field) in [
            (
                json!({"kind": "fax", "url": "https://hooks.example.com/x"}),
                "kind",
            ),
            (json!({"kind": "wecom", "url": "ftp://x"}), "url"),
            (
                json!({"kind": "slack", "url": "http://hooks.example.com/x"}),
                "url",
            ),
            (
                json!({"kind": "webhook", "url": "https://hooks.example.com/x"}),
                "secret",
            ),
            (
                json!({"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K2",
                       "contact_id": bj_contact}),
                "contact_id",
            ),
        ] {
            let r = a
                .call("POST", &robots, Some(&channel), Some(body.clone()))
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "[{}] {body}: {}",
                a.name,
                r.text()
            );
            assert!(
                fields(&r).iter().any(|f| f == field),
                "[{}] {body} names {field}: {}",
                a.name,
                r.text()
            );
        }
        assert_eq!(
            items(&a.call("GET", &robots, Some(&channel), None).await.json()).len(),
            2,
            "[{}] nothing invalid was stored",
            a.name
        );

        let one = format!("{robots}/{rid}");
        for (who, token) in [("p1", &p1), ("p2", &p2), ("staff", &staff)] {
            for (method, path, body) in [
                ("GET", robots.as_str(), None),
                (
                    "POST",
                    robots.as_str(),
                    Some(json!({"kind": "slack", "url": "https://hooks.slack.com/services/T/B/X"})),
                ),
                ("DELETE", one.as_str(), None),
            ] {
                let r = a.call(method, path, Some(token), body).await;
                assert!(
                    refused(r.status),
                    "[{}] {who} {method} {path}: {}",
                    a.name,
                    r.status
                );
            }
        }
        let r = a.call("DELETE", &one, Some(&channel), None).await;
        assert_eq!(
            r.status,
            StatusCode::NO_CONTENT,
            "[{}] {}",
            a.name,
            r.text()
        );
        assert_eq!(
            a.call("DELETE", &one, Some(&channel), None).await.status,
            StatusCode::NOT_FOUND,
            "[{}]",
            a.name
        );
        assert!(
            !items(&a.call("GET", &robots, Some(&channel), None).await.json())
                .iter()
                .any(|r| r["id"] == rid.as_str()),
            "[{}]",
            a.name
        );
    }
}

/// §5.3.2: online communication waits for working days; the calendar of public holidays and
/// make-up working days ships with mainland China's and channel management edits it.
#[tokio::test]
async fn the_working_day_calendar_knows_holidays_and_make_up_days_and_is_edited() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let channel = a.login("channel@demo.example").await;
        let staff = a.login("staff@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let kind_on = |list: &Value, date: &str| {
            items(list)
                .into_iter()
                .find(|d| d["date"] == date)
                .map(|d| d["kind"].clone())
        };
        let r = a
            .call("GET", "/api/v1/calendar?year=2026", Some(&staff), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        let list = r.json();
        assert_eq!(
            kind_on(&list, "2026-02-14"),
            Some(json!("workday")),
            "[{}] 春节调休上班: {list}",
            a.name
        );
        assert_eq!(
            kind_on(&list, "2026-10-01"),
            Some(json!("holiday")),
            "[{}] 国庆节",
            a.name
        );
        assert!(
            items(&list)
                .iter()
                .all(|d| d["date"].as_str().is_some_and(|s| s.starts_with("2026-"))),
            "[{}] one year",
            a.name
        );
        let r = a
            .call("GET", "/api/v1/calendar?year=abc", Some(&staff), None)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        assert_eq!(fields(&r), vec!["year"], "[{}] {}", a.name, r.text());

        let day = "/api/v1/calendar/2026-12-24";
        let r = a
            .call(
                "PUT",
                day,
                Some(&channel),
                Some(json!({"kind": "holiday", "name": "公司年会"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(
            r.json(),
            json!({"date": "2026-12-24", "kind": "holiday", "name": "公司年会"}),
            "[{}]",
            a.name
        );
        let list = a
            .call("GET", "/api/v1/calendar?year=2026", Some(&staff), None)
            .await
            .json();
        assert_eq!(
            kind_on(&list, "2026-12-24"),
            Some(json!("holiday")),
            "[{}]",
            a.name
        );

        for (path, body, field) in [
            (
                "/api/v1/calendar/2026-13-01",
                json!({"kind": "holiday", "name": "x"}),
                "date",
            ),
            (
                "/api/v1/calendar/2026-2-1",
                json!({"kind": "holiday", "name": "x"}),
                "date",
            ),
            (
                "/api/v1/calendar/2026-12-25",
                json!({"kind": "weekend", "name": "x"}),
                "kind",
            ),
            (
                "/api/v1/calendar/2026-12-25",
                json!({"kind": "workday", "name": " "}),
                "name",
            ),
        ] {
            let r = a
                .call("PUT", path, Some(&channel), Some(body.clone()))
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "[{}] {path} {body}: {}",
                a.name,
                r.text()
            );
            assert_eq!(fields(&r), vec![field], "[{}] {path} {body}", a.name);
        }
        for (who, token) in [("staff", &staff), ("p1", &p1)] {
            let r = a
                .call(
                    "PUT",
                    day,
                    Some(token),
                    Some(json!({"kind": "workday", "name": "改掉"})),
                )
                .await;
            assert!(refused(r.status), "[{}] {who} PUT: {}", a.name, r.status);
            let r = a.call("DELETE", day, Some(token), None).await;
            assert!(refused(r.status), "[{}] {who} DELETE: {}", a.name, r.status);
        }
        let r = a.call("DELETE", day, Some(&channel), None).await;
        assert_eq!(
            r.status,
            StatusCode::NO_CONTENT,
            "[{}] {}",
            a.name,
            r.text()
        );
        assert_eq!(
            a.call("DELETE", day, Some(&channel), None).await.status,
            StatusCode::NOT_FOUND,
            "[{}] an ordinary day again",
            a.name
        );
        let list = a
            .call("GET", "/api/v1/calendar?year=2026", Some(&staff), None)
            .await
            .json();
        assert_eq!(kind_on(&list, "2026-12-24"), None, "[{}]", a.name);
    }
}

/// §4.4.1 leaves the numbers open: when to remind and how often to try are settings an admin
/// edits.
#[tokio::test]
async fn reminder_lead_time_and_attempts_are_admin_settings() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let admin = a.login("admin@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let path = "/api/v1/settings/delivery";
        let r = a.call("GET", path, Some(&channel), None).await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(
            r.json(),
            json!({"remind_before_hours": 24, "max_attempts": 6}),
            "[{}] defaults",
            a.name
        );
        for (who, token) in [("channel", &channel), ("p1", &p1)] {
            let r = a
                .call("PUT", path, Some(token), Some(json!({"max_attempts": 3})))
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "[{}] {who}", a.name);
        }
        for (body, field) in [
            (json!({"remind_before_hours": 0}), "remind_before_hours"),
            (json!({"remind_before_hours": 337}), "remind_before_hours"),
            (json!({"max_attempts": 0}), "max_attempts"),
            (json!({"max_attempts": 21}), "max_attempts"),
        ] {
            let r = a.call("PUT", path, Some(&admin), Some(body.clone())).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "[{}] {body}: {}",
                a.name,
                r.text()
            );
            assert_eq!(fields(&r), vec![field], "[{}] {body}", a.name);
        }
        let r = a
            .call(
                "PUT",
                path,
                Some(&admin),
                Some(json!({"remind_before_hours": 48, "max_attempts": 3})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        let r = a
            .call("PUT", path, Some(&admin), Some(json!({"max_attempts": 4})))
            .await;
        assert_eq!(
            r.json(),
            json!({"remind_before_hours": 48, "max_attempts": 4}),
            "[{}] a partial change keeps the rest",
            a.name
        );
        assert_eq!(
            a.call("GET", path, Some(&channel), None).await.json(),
            json!({"remind_before_hours": 48, "max_attempts": 4}),
            "[{}]",
            a.name
        );
    }
}

/// SPEC H3: an admin registers endpoints that receive signed events; a one-click confirmation
/// becomes an `event` job, visible with its state to the admin only.
#[tokio::test]
async fn a_confirmation_becomes_an_event_job_for_the_admins_endpoint() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let admin = a.login("admin@demo.example").await;
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let staff = a.login("staff@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let secret = "0123456789abcdef";
        let created = a
            .call(
                "POST",
                "/api/v1/event-endpoints",
                Some(&admin),
                Some(json!({"url": "http://127.0.0.1:9/hook", "secret": secret,
                            "events": ["delivery.acknowledged"]})),
            )
            .await;
        assert_eq!(
            created.status,
            StatusCode::CREATED,
            "[{}] {}",
            a.name,
            created.text()
        );
        assert!(
            !created.text().contains(secret),
            "[{}] {}",
            a.name,
            created.text()
        );
        let ep = created.json();
        assert_eq!(
            ep["events"],
            json!(["delivery.acknowledged"]),
            "[{}]",
            a.name
        );
        let eid = ep["id"].as_str().expect("id").to_string();
        let sealed: i64 =
            a.db.fetch_one(
                q("SELECT COUNT(*) FROM event_endpoints WHERE id = $1
                      AND secret LIKE 'enc:v1:%' AND secret NOT LIKE $2")
                .bind(Uuid::parse_str(&eid).expect("uuid"))
                .bind(format!("%{secret}%")),
            )
            .await
            .expect("count");
        assert_eq!(sealed, 1, "[{}] the secret is sealed at rest", a.name);
        let list = a
            .call("GET", "/api/v1/event-endpoints", Some(&admin), None)
            .await;
        assert_eq!(list.status, StatusCode::OK, "[{}] {}", a.name, list.text());
        assert!(!list.text().contains(secret), "[{}]", a.name);
        assert!(
            items(&list.json()).iter().any(|e| e["id"] == eid.as_str()),
            "[{}]",
            a.name
        );

        for (body, field) in [
            (
                json!({"url": "https://hooks.example.com/e", "secret": secret, "events": ["delivery.exploded"]}),
                "events",
            ),
            (
                json!({"url": "https://hooks.example.com/e", "secret": "short", "events": ["*"]}),
                "secret",
            ),
            (
                json!({"url": "http://example.com", "secret": secret, "events": ["*"]}),
                "url",
            ),
        ] {
            let r = a
                .call(
                    "POST",
                    "/api/v1/event-endpoints",
                    Some(&admin),
                    Some(body.clone()),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "[{}] {body}: {}",
                a.name,
                r.text()
            );
            assert_eq!(fields(&r), vec![field], "[{}] {body}", a.name);
        }

        let one = format!("/api/v1/event-endpoints/{eid}");
        for (who, token) in [("channel", &channel), ("staff", &staff), ("p1", &p1)] {
            for (method, path, body) in [
                ("GET", "/api/v1/event-endpoints", None),
                (
                    "POST",
                    "/api/v1/event-endpoints",
                    Some(json!({"url": "https://hooks.example.com/e", "secret": secret})),
                ),
                ("DELETE", one.as_str(), None),
                ("GET", "/api/v1/jobs", None),
            ] {
                let r = a.call(method, path, Some(token), body).await;
                assert!(
                    refused(r.status),
                    "[{}] {who} {method} {path}: {}",
                    a.name,
                    r.status
                );
            }
        }

        let sent = dispatched(a, &head, &channel, json!({})).await;
        let email = delivery_on(a, &receipts(a, &channel, &sent.request).await, "email");
        let token = link(a, &email, Utc::now() + Duration::days(7));
        let done = post_page(a, &format!("/ack/{token}")).await;
        assert!(done.status.is_redirection(), "[{}] {}", a.name, done.status);
        let jobs = a
            .call("GET", "/api/v1/jobs?kind=event", Some(&admin), None)
            .await;
        assert_eq!(jobs.status, StatusCode::OK, "[{}] {}", a.name, jobs.text());
        let events: Vec<Value> = items(&jobs.json())
            .into_iter()
            .filter(|j| j["payload"]["endpoint_id"] == eid.as_str())
            .collect();
        assert_eq!(events.len(), 1, "[{}] {}", a.name, jobs.text());
        let job = &events[0];
        assert_eq!(job["kind"], "event", "[{}]", a.name);
        assert_eq!(
            job["payload"]["event"]["type"], "delivery.acknowledged",
            "[{}] {job}",
            a.name
        );
        assert_eq!(
            job["payload"]["event"]["data"]["message_id"],
            sent.message.as_str(),
            "[{}] {job}",
            a.name
        );
        assert_eq!(
            job["payload"]["event"]["data"]["via"], "email",
            "[{}]",
            a.name
        );
        let jid = job["id"].as_str().expect("id").to_string();
        let rerun = format!("/api/v1/jobs/{jid}/retry");
        let r = a.call("POST", &rerun, Some(&admin), None).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] only a dead job runs again: {}",
            a.name,
            r.text()
        );
        exec(
            a,
            q("UPDATE jobs SET state = 'dead', attempts = 8, run_at = NULL WHERE id = $1")
                .bind(Uuid::parse_str(&jid).expect("uuid")),
        )
        .await;
        let r = a.call("POST", &rerun, Some(&admin), None).await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(r.json(), json!({"queued": 1}), "[{}]", a.name);
        let again = a
            .call(
                "GET",
                "/api/v1/jobs?kind=event&state=queued",
                Some(&admin),
                None,
            )
            .await
            .json();
        assert!(
            items(&again)
                .iter()
                .any(|j| j["id"] == jid.as_str() && j["attempts"] == 0),
            "[{}] {again}",
            a.name
        );

        let r = a.call("DELETE", &one, Some(&admin), None).await;
        assert_eq!(
            r.status,
            StatusCode::NO_CONTENT,
            "[{}] {}",
            a.name,
            r.text()
        );
        assert_eq!(
            a.call("DELETE", &one, Some(&admin), None).await.status,
            StatusCode::NOT_FOUND,
            "[{}]",
            a.name
        );
    }
}

/// Snapshot of the contract: every endpoint of the delivery engine is in the OpenAPI document.
#[tokio::test]
async fn openapi_lists_the_delivery_endpoints() {
    let (apps, _g) = apps().await;
    let a = &apps[0];
    let doc = a.call("GET", "/api/openapi.json", None, None).await.json();
    for (method, path) in [
        ("post", "/api/v1/requests/{id}/remind"),
        ("post", "/api/v1/requests/{id}/retry"),
        ("get", "/api/v1/settings/delivery"),
        ("put", "/api/v1/settings/delivery"),
        ("get", "/api/v1/partners/{id}/robots"),
        ("post", "/api/v1/partners/{id}/robots"),
        ("delete", "/api/v1/partners/{id}/robots/{robot_id}"),
        ("get", "/api/v1/calendar"),
        ("put", "/api/v1/calendar/{date}"),
        ("delete", "/api/v1/calendar/{date}"),
        ("get", "/api/v1/event-endpoints"),
        ("post", "/api/v1/event-endpoints"),
        ("delete", "/api/v1/event-endpoints/{id}"),
        ("get", "/api/v1/jobs"),
        ("post", "/api/v1/jobs/{id}/retry"),
        ("get", "/api/v1/ack/{token}"),
        ("post", "/api/v1/ack/{token}"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is missing from the OpenAPI document"
        );
    }
}

/// Issue 10, item 2: a delivery the worker put back for a robot's rate limit says so on the
/// receipts board: why (the robot's minute is full, or the platform asked to slow down), until
/// when, and how many waits it had, in each of the three languages with no raw key; the count
/// of waiting deliveries is among the engine's figures; the API carries the same fields.
#[tokio::test]
async fn a_delivery_waiting_for_a_robot_rate_limit_shows_why_and_until_when() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        add_wecom_contact(a, &channel).await;
        let sent = dispatched(a, &head, &channel, json!({})).await;
        let board = receipts(a, &channel, &sent.request).await;
        let wecom = uuid_of(&delivery_on(a, &board, "wecom"));
        let cookie = crate::pages::browser_login(a, "channel@demo.example").await;
        let until = Utc::now() + Duration::minutes(10);
        for (reason, phrases) in [
            (
                "robot_minute",
                [
                    ("zh-CN", "该机器人本分钟的 20 条已用完"),
                    ("zh-TW", "該機器人本分鐘的 20 則已用完"),
                    ("en", "20 messages a minute are used"),
                ],
            ),
            (
                "platform",
                [
                    ("zh-CN", "平台要求放慢发送"),
                    ("zh-TW", "平台要求放慢傳送"),
                    ("en", "the platform asked to slow down"),
                ],
            ),
        ] {
            exec(
                a,
                q("UPDATE deliveries SET next_at = $1, rate_waits = rate_waits + 1, wait_reason = $2
                    WHERE id = $3")
                .bind(until)
                .bind(reason)
                .bind(wecom),
            )
            .await;
            let board = receipts(a, &channel, &sent.request).await;
            let d = delivery_on(a, &board, "wecom");
            assert_eq!(
                (d["wait_reason"].as_str(), d["attempts"].as_i64()),
                (Some(reason), Some(0)),
                "[{}] {d}",
                a.name
            );
            assert!(d["next_at"].is_string() && d["rate_waits"].as_i64() >= Some(1));
            assert_eq!(board["summary"]["rate_limited"], 1, "[{}]", a.name);
            let waits = d["rate_waits"].as_i64().unwrap_or(0);
            for (lang, phrase) in phrases {
                let page = a
                    .send(crate::pages::get(
                        &format!("/console/requests/{}", sent.request),
                        Some(&format!("{cookie}; liaison_lang={lang}")),
                        lang,
                    ))
                    .await;
                assert_eq!(page.status, StatusCode::OK, "[{}] {lang}", a.name);
                let html = page.text();
                let note = html
                    .split(&format!("id=\"wait-{wecom}\""))
                    .nth(1)
                    .and_then(|rest| rest.split("</small>").next())
                    .unwrap_or_else(|| panic!("[{}] {lang}: no wait note for {reason}", a.name));
                assert!(
                    note.contains(phrase) && note.contains("<time datetime="),
                    "[{}] {lang} {reason}: {note}",
                    a.name
                );
                let count = html
                    .split("id=\"count-rate-limited\"")
                    .nth(1)
                    .and_then(|rest| rest.split("</span>").next())
                    .unwrap_or("");
                assert!(count.ends_with(" 1"), "[{}] {lang}: {count}", a.name);
                assert!(
                    html.contains(&format!("id=\"waits-{wecom}\""))
                        && html.contains(&format!(" {waits}</small>")),
                    "[{}] {lang}: the waits counted",
                    a.name
                );
                for raw in ["receipts.", "delivery.rate", "robot_minute<", ">platform"] {
                    assert!(!html.contains(raw), "[{}] {lang}: raw {raw}", a.name);
                }
            }
        }
    }
}
