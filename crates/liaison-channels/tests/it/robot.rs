//! IM robots against HTTP servers on loopback that behave like the platforms: they check the
//! WeCom key, recompute DingTalk's and Feishu's signatures from the received timestamp and the
//! shared secret (stale timestamps > 1 h refused), answer in the platforms' reply formats, and
//! count the requests that reach them.

use crate::common::{SECRET_SENTENCE, notice};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use liaison_channels::robot::{Robot, RobotClient, RobotKind, validate_url};
use liaison_channels::{Notice, NoticeKind, SendError, sign};
use liaison_core::partner::Lang;
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

const SECRET: &str = "SEC7f3a9c2e41b8d65f0e9a7c3b2d1e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2";
const WECOM_KEY: &str = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";
const DINGTALK_TOKEN: &str = "c8f2d7e1a9b34f6e8d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e";
const FEISHU_HOOK: &str = "2c3f4e5d-6a7b-8c9d-0e1f-2a3b4c5d6e7f";
const SLACK_TOKEN: &str = "Xk9sLq2WvB7nR4tY8uP3mZ6c";

/// What a forced reply looks like (to try the error paths).
#[derive(Clone)]
struct Forced {
    status: u16,
    body: String,
    retry_after: Option<String>,
}

#[derive(Clone, Debug)]
struct Seen {
    query: HashMap<String, String>,
    headers: HeaderMap,
    body: Vec<u8>,
}

#[derive(Default)]
struct Platforms {
    last: Mutex<Option<Seen>>,
    forced: Mutex<Option<Forced>>,
}

impl Platforms {
    fn record(&self, query: &HashMap<String, String>, headers: &HeaderMap, body: &[u8]) {
        *self.last.lock().unwrap() = Some(Seen {
            query: query.clone(),
            headers: headers.clone(),
            body: body.to_vec(),
        });
    }

    fn forced(&self) -> Option<Response> {
        let f = self.forced.lock().unwrap().clone()?;
        let mut r = Response::builder()
            .status(f.status)
            .header("content-type", "application/json");
        if let Some(ra) = f.retry_after {
            r = r.header("retry-after", ra);
        }
        Some(r.body(axum::body::Body::from(f.body)).unwrap())
    }

    fn force(&self, status: u16, body: &str, retry_after: Option<&str>) {
        *self.forced.lock().unwrap() = Some(Forced {
            status,
            body: body.to_owned(),
            retry_after: retry_after.map(str::to_owned),
        });
    }

    fn last_json(&self) -> Value {
        let seen = self.last.lock().unwrap().clone().expect("a request");
        serde_json::from_slice(&seen.body).unwrap()
    }

    fn last(&self) -> Seen {
        self.last.lock().unwrap().clone().expect("a request")
    }
}

type Shared = Arc<Platforms>;
type Q = Query<HashMap<String, String>>;

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

fn reply(v: Value) -> Response {
    axum::Json(v).into_response()
}

/// WeCom group robot: the key in the query; `{"errcode":0,"errmsg":"ok"}`.
async fn wecom(State(p): State<Shared>, Query(q): Q, headers: HeaderMap, body: Bytes) -> Response {
    p.record(&q, &headers, &body);
    if let Some(r) = p.forced() {
        return r;
    }
    if q.get("key").map(String::as_str) != Some(WECOM_KEY) {
        return reply(json!({"errcode": 93000, "errmsg": "invalid webhook url"}));
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return reply(json!({"errcode": 40001, "errmsg": "invalid json"}));
    };
    let content = v["markdown"]["content"].as_str().unwrap_or("");
    if v["msgtype"] != "markdown" || content.is_empty() {
        return reply(json!({"errcode": 40008, "errmsg": "invalid message type"}));
    }
    if content.len() > 4096 {
        return reply(
            json!({"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}),
        );
    }
    reply(json!({"errcode": 0, "errmsg": "ok"}))
}

/// DingTalk custom robot with 加签: `timestamp` (ms) and `sign` in the query.
async fn dingtalk(
    State(p): State<Shared>,
    Query(q): Q,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    p.record(&q, &headers, &body);
    if let Some(r) = p.forced() {
        return r;
    }
    if q.get("access_token").map(String::as_str) != Some(DINGTALK_TOKEN) {
        return reply(json!({"errcode": 300001, "errmsg": "token is not exist"}));
    }
    let ts: i64 = q.get("timestamp").and_then(|t| t.parse().ok()).unwrap_or(0);
    let now = chrono::Utc::now().timestamp_millis();
    if (now - ts).abs() > 3_600_000 {
        return reply(
            json!({"errcode": 310000, "errmsg": "sign not match, more: [timestamp invalid]"}),
        );
    }
    let expected = BASE64.encode(hmac_sha256(
        SECRET.as_bytes(),
        format!("{ts}\n{SECRET}").as_bytes(),
    ));
    if q.get("sign") != Some(&expected) {
        return reply(json!({"errcode": 310000, "errmsg": "sign not match"}));
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if v["msgtype"] != "actionCard" || v["actionCard"]["text"].as_str().is_none() {
        return reply(json!({"errcode": 40035, "errmsg": "缺少参数 json"}));
    }
    reply(json!({"errcode": 0, "errmsg": "ok"}))
}

/// Feishu custom bot with 签名校验: `timestamp` (s, a string) and `sign` in the body.
async fn feishu(
    State(p): State<Shared>,
    Path(hook): Path<String>,
    Query(q): Q,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    p.record(&q, &headers, &body);
    if let Some(r) = p.forced() {
        return r;
    }
    if hook != FEISHU_HOOK {
        return reply(
            json!({"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}),
        );
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let ts: i64 = v["timestamp"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let now = chrono::Utc::now().timestamp();
    let expected = BASE64.encode(hmac_sha256(format!("{ts}\n{SECRET}").as_bytes(), b""));
    if (now - ts).abs() > 3600 || v["sign"].as_str() != Some(expected.as_str()) {
        return reply(json!({
            "code": 19021,
            "msg": "sign match fail or timestamp is not within one hour from current time"
        }));
    }
    if v["msg_type"] != "interactive" || !v["card"]["elements"].is_array() {
        return reply(json!({"code": 9499, "msg": "Bad Request"}));
    }
    reply(
        json!({"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}),
    )
}

/// Slack incoming webhook: token in the path; the reply body is `ok`.
async fn slack(
    State(p): State<Shared>,
    Path((_t, _b, token)): Path<(String, String, String)>,
    Query(q): Q,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    p.record(&q, &headers, &body);
    if let Some(r) = p.forced() {
        return r;
    }
    if token != SLACK_TOKEN {
        return (StatusCode::FORBIDDEN, "invalid_token").into_response();
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if !v["blocks"].is_array() || v["text"].as_str().is_none() {
        return (StatusCode::BAD_REQUEST, "invalid_payload").into_response();
    }
    (StatusCode::OK, "ok").into_response()
}

/// A receiver of Liaison's generic webhook: checks the timestamp's age and the signature with
/// `verify_webhook`, as the docs tell receivers to.
async fn receiver(
    State(p): State<Shared>,
    Query(q): Q,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    p.record(&q, &headers, &body);
    if let Some(r) = p.forced() {
        return r;
    }
    let ts: i64 = headers
        .get("x-liaison-timestamp")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let sig = headers
        .get("x-liaison-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if (chrono::Utc::now().timestamp() - ts).abs() > 300
        || !sign::verify_webhook(SECRET, ts, &body, sig)
    {
        return (StatusCode::UNAUTHORIZED, "bad signature").into_response();
    }
    StatusCode::NO_CONTENT.into_response()
}

struct Server {
    base: String,
    p: Shared,
}

async fn start() -> Server {
    // The platforms are played by servers on this machine (development setting).
    liaison_channels::robot::allow_local_targets(true);
    let p: Shared = Arc::new(Platforms::default());
    let app = Router::new()
        .route("/cgi-bin/webhook/send", post(wecom))
        .route("/robot/send", post(dingtalk))
        .route("/open-apis/bot/v2/hook/{hook}", post(feishu))
        .route("/services/{t}/{b}/{token}", post(slack))
        .route("/hooks/liaison", post(receiver))
        .with_state(p.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Server { base, p }
}

impl Server {
    fn robot(&self, kind: RobotKind) -> Robot {
        let (url, secret) = match kind {
            RobotKind::Wecom => (
                format!("{}/cgi-bin/webhook/send?key={WECOM_KEY}", self.base),
                None,
            ),
            RobotKind::Dingtalk => (
                format!("{}/robot/send?access_token={DINGTALK_TOKEN}", self.base),
                Some(SECRET),
            ),
            RobotKind::Feishu => (
                format!("{}/open-apis/bot/v2/hook/{FEISHU_HOOK}", self.base),
                Some(SECRET),
            ),
            RobotKind::Slack => (
                format!("{}/services/T0LIAISON/B0LIAISON/{SLACK_TOKEN}", self.base),
                None,
            ),
            RobotKind::Webhook => (format!("{}/hooks/liaison", self.base), Some(SECRET)),
        };
        Robot {
            id: Uuid::now_v7(),
            kind,
            url,
            secret: secret.map(str::to_owned),
        }
    }
}

/// No error text or Debug output may carry a secret, the WeCom key or another URL token.
fn assert_clean(s: &str) {
    for secret in [
        SECRET,
        WECOM_KEY,
        DINGTALK_TOKEN,
        FEISHU_HOOK,
        SLACK_TOKEN,
        "c0ffee",
    ] {
        assert!(!s.contains(secret), "leaked {secret}: {s}");
    }
    assert!(!s.contains("key="), "query string: {s}");
}

fn err_text(e: &SendError) -> String {
    let s = format!("{e} {e:?}");
    assert_clean(&s);
    s
}

fn notice_with_urgency() -> Notice {
    let mut n = notice(Lang::ZhCn);
    n.importance = "important".to_owned();
    n.urgency = "urgent".to_owned();
    n
}

/// §2.1.2 daily work by IM, §4.3.2 confirmation: WeCom markdown has no buttons, so the
/// confirmation is a link line `[确认收到](url)` beside the portal link.
#[tokio::test]
async fn wecom_markdown_carries_the_confirm_link_and_the_portal_link() {
    let s = start().await;
    let client = RobotClient::new();
    let n = notice_with_urgency();
    client.send(&s.robot(RobotKind::Wecom), &n).await.unwrap();
    let v = s.p.last_json();
    assert_eq!(v["msgtype"], "markdown");
    let content = v["markdown"]["content"].as_str().unwrap();
    let confirm = n.confirm_url.as_deref().unwrap();
    assert!(
        content.contains(&format!("[确认收到]({confirm})")),
        "{content}"
    );
    assert!(content.contains(&n.view_url), "{content}");
    assert!(
        content.contains("【紧急】【重要】关于第三季度返利政策调整的通知"),
        "{content}"
    );
    assert!(content.contains("返利比例调整如下"), "{content}");

    // A long body is cut to WeCom's 4096 bytes, the links kept.
    let mut long = notice(Lang::ZhCn);
    long.body = Some("很长的正文。".repeat(1000));
    client
        .send(&s.robot(RobotKind::Wecom), &long)
        .await
        .unwrap();
    let v = s.p.last_json();
    let content = v["markdown"]["content"].as_str().unwrap();
    assert!(content.len() <= 4096 && content.contains(&long.view_url));
}

/// DingTalk 加签: the server recomputes the signature; the actionCard's single button confirms.
#[tokio::test]
async fn dingtalk_signature_verifies_and_the_action_card_button_confirms() {
    let s = start().await;
    let client = RobotClient::new();
    let n = notice(Lang::ZhCn);
    for _ in 0..5 {
        // Several timestamps: base64 signatures with + and / must be URL-encoded.
        client
            .send(&s.robot(RobotKind::Dingtalk), &n)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let q = s.p.last().query;
    assert!(
        q.contains_key("timestamp") && q.contains_key("sign"),
        "{q:?}"
    );
    let v = s.p.last_json();
    assert_eq!(v["msgtype"], "actionCard");
    assert_eq!(v["actionCard"]["singleTitle"], "确认收到");
    assert_eq!(v["actionCard"]["singleURL"], n.confirm_url.clone().unwrap());
    assert_eq!(v["actionCard"]["title"], n.title);
    let text = v["actionCard"]["text"].as_str().unwrap();
    assert!(
        text.contains(&n.view_url) && text.contains("返利比例调整如下"),
        "{text}"
    );

    // Without anything to confirm, the button opens the message in the portal.
    let mut info = notice(Lang::En);
    info.ack_required = false;
    info.confirm_url = None;
    client
        .send(&s.robot(RobotKind::Dingtalk), &info)
        .await
        .unwrap();
    let v = s.p.last_json();
    assert!(v["actionCard"].get("singleURL").is_none());
    assert_eq!(v["actionCard"]["btns"][0]["actionURL"], info.view_url);
    assert_eq!(
        v["actionCard"]["btns"][0]["title"],
        "View in the partner portal"
    );

    // A wrong secret: DingTalk answers 200 with errcode 310000, which is no success.
    let mut wrong = s.robot(RobotKind::Dingtalk);
    wrong.secret = Some("SECwrong-secret-0000".to_owned());
    let e = client.send(&wrong, &n).await.unwrap_err();
    assert!(matches!(e, SendError::Permanent(_)), "{e:?}");
    let t = err_text(&e);
    assert!(
        t.contains("310000") && !t.contains("SECwrong-secret-0000"),
        "{t}"
    );
}

/// Feishu 签名校验: timestamp and sign in the body, recomputed by the server; the card's
/// primary button is the confirmation link.
#[tokio::test]
async fn feishu_signed_card_has_a_confirm_button() {
    let s = start().await;
    let client = RobotClient::new();
    let n = notice_with_urgency();
    client.send(&s.robot(RobotKind::Feishu), &n).await.unwrap();
    let v = s.p.last_json();
    assert_eq!(v["msg_type"], "interactive");
    assert_eq!(
        v["card"]["header"]["title"]["content"],
        "【紧急】【重要】关于第三季度返利政策调整的通知"
    );
    assert_eq!(v["card"]["header"]["template"], "red");
    let elements = v["card"]["elements"].as_array().unwrap();
    let action = elements.iter().find(|e| e["tag"] == "action").unwrap();
    assert_eq!(action["actions"][0]["url"], n.confirm_url.clone().unwrap());
    assert_eq!(action["actions"][0]["text"]["content"], "确认收到");
    assert_eq!(action["actions"][1]["url"], n.view_url);
    assert!(
        elements[0]["text"]["content"]
            .as_str()
            .unwrap()
            .contains("返利比例调整如下")
    );

    let mut wrong = s.robot(RobotKind::Feishu);
    wrong.secret = Some("another-secret".to_owned());
    let e = client.send(&wrong, &n).await.unwrap_err();
    assert!(matches!(e, SendError::Permanent(_)), "{e:?}");
    assert!(err_text(&e).contains("19021"));
}

/// Slack incoming webhook: mrkdwn section and link buttons; the reply body `ok` is success.
#[tokio::test]
async fn slack_ok_reply_is_success_and_the_button_confirms() {
    let s = start().await;
    let client = RobotClient::new();
    let n = notice(Lang::En);
    client.send(&s.robot(RobotKind::Slack), &n).await.unwrap();
    let v = s.p.last_json();
    assert!(v["text"].as_str().unwrap().contains(&n.title));
    let blocks = v["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "section");
    assert_eq!(blocks[0]["text"]["type"], "mrkdwn");
    assert!(
        blocks[0]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("*10 月 1 日*")
    );
    let actions = blocks.iter().find(|b| b["type"] == "actions").unwrap();
    assert_eq!(
        actions["elements"][0]["url"],
        n.confirm_url.clone().unwrap()
    );
    assert_eq!(actions["elements"][0]["text"]["text"], "Confirm receipt");
    assert_eq!(actions["elements"][1]["url"], n.view_url);

    // Slack's errors come as 4xx with a word: permanent.
    let mut bad = s.robot(RobotKind::Slack);
    bad.url = bad.url.replace(SLACK_TOKEN, "revoked-token-123");
    let e = client.send(&bad, &n).await.unwrap_err();
    assert!(matches!(e, SendError::Permanent(_)), "{e:?}");
    let t = err_text(&e);
    assert!(t.contains("403") && !t.contains("revoked-token-123"), "{t}");
}

/// The generic webhook is signed (`X-Liaison-Signature` verifies with `verify_webhook`) and
/// carries the delivery id as its idempotency key.
#[tokio::test]
async fn generic_webhook_is_signed_and_carries_the_delivery_id() {
    let s = start().await;
    let client = RobotClient::new();
    let mut n = notice(Lang::ZhCn);
    n.kind = NoticeKind::Reminder;
    n.sequence = 1;
    client.send(&s.robot(RobotKind::Webhook), &n).await.unwrap();
    let seen = s.p.last();
    let h = |name: &str| seen.headers.get(name).unwrap().to_str().unwrap().to_owned();
    assert_eq!(h("x-liaison-delivery"), n.delivery_id.to_string());
    assert_eq!(h("content-type"), "application/json");
    let ts: i64 = h("x-liaison-timestamp").parse().unwrap();
    assert!(sign::verify_webhook(
        SECRET,
        ts,
        &seen.body,
        &h("x-liaison-signature")
    ));
    assert!(!sign::verify_webhook(
        "other",
        ts,
        &seen.body,
        &h("x-liaison-signature")
    ));
    let v: Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(v["type"], "reminder");
    assert_eq!(v["delivery_id"], n.delivery_id.to_string());
    assert_eq!(v["message_id"], n.message_id.to_string());
    assert_eq!(v["title"], n.title);
    assert_eq!(v["body"], n.body.clone().unwrap());
    assert_eq!(v["ack_required"], true);
    assert_eq!(v["ack_due_at"], "2026-11-20T10:00:00Z");
    assert_eq!(v["confirm_url"], n.confirm_url.clone().unwrap());
    assert_eq!(v["view_url"], n.view_url);
    assert_eq!(v["sequence"], 1);
    assert_eq!(v["classification"], "internal");

    // Without a secret there is no signature header (and this receiver refuses it).
    let mut unsigned = s.robot(RobotKind::Webhook);
    unsigned.secret = None;
    let e = client.send(&unsigned, &n).await.unwrap_err();
    assert!(matches!(e, SendError::Permanent(_)), "{e:?}");
    assert!(s.p.last().headers.get("x-liaison-signature").is_none());
}

/// Outbound events to an admin's endpoint: the same signing, the event id as idempotency key.
#[tokio::test]
async fn outbound_events_are_signed_like_the_webhook() {
    let s = start().await;
    let client = RobotClient::new();
    let id = Uuid::now_v7();
    let body = br#"{"type":"delivery.failed","id":"x"}"#;
    client
        .post_event(&format!("{}/hooks/liaison", s.base), SECRET, id, body)
        .await
        .unwrap();
    let seen = s.p.last();
    assert_eq!(seen.body, body);
    assert_eq!(seen.headers["x-liaison-delivery"], id.to_string().as_str());
    assert_eq!(seen.headers["x-liaison-event"], id.to_string().as_str());
    let e = client
        .post_event(
            &format!("{}/hooks/liaison", s.base),
            "wrong-secret",
            id,
            body,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, SendError::Permanent(_)), "{e:?}");
    assert!(!err_text(&e).contains("wrong-secret"));
    let e = client
        .post_event("http://example.com/hooks", SECRET, id, body)
        .await
        .unwrap_err();
    assert!(matches!(e, SendError::Permanent(_)), "{e:?}");
}

/// A 200 is not a success when the JSON carries a platform error: WeCom/DingTalk `errcode`,
/// Feishu `code`. Rate-limit codes are Throttled, 5xx Transient, other 4xx Permanent; 429 honours
/// Retry-After.
#[tokio::test]
async fn platform_error_codes_and_statuses_map_to_the_right_send_error() {
    let s = start().await;
    let client = RobotClient::new();
    let n = notice(Lang::ZhCn);
    let wecom = s.robot(RobotKind::Wecom);
    let ding = s.robot(RobotKind::Dingtalk);
    let feishu = s.robot(RobotKind::Feishu);
    let slack = s.robot(RobotKind::Slack);
    let hook = s.robot(RobotKind::Webhook);

    s.p.force(
        200,
        r#"{"errcode":310000,"errmsg":"keywords not in content"}"#,
        None,
    );
    for r in [&wecom, &ding] {
        let e = client.send(r, &n).await.unwrap_err();
        assert!(matches!(e, SendError::Permanent(_)), "{e:?}");
        assert!(err_text(&e).contains("310000"));
    }
    s.p.force(
        200,
        r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#,
        None,
    );
    assert!(matches!(
        client.send(&wecom, &n).await,
        Err(SendError::Throttled { .. })
    ));
    s.p.force(
        200,
        r#"{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}"#,
        None,
    );
    assert!(matches!(
        client.send(&ding, &n).await,
        Err(SendError::Throttled { .. })
    ));
    s.p.force(200, r#"{"code":11232,"msg":"frequency limited psm"}"#, None);
    assert!(matches!(
        client.send(&feishu, &n).await,
        Err(SendError::Throttled { .. })
    ));
    // Issue 10: the other "too fast" answers are waits too, DingTalk's for its 10-minute block.
    s.p.force(200, r#"{"code":9499,"msg":"Too Many Request"}"#, None);
    assert!(matches!(
        client.send(&feishu, &n).await,
        Err(SendError::Throttled { .. })
    ));
    s.p.force(200, r#"{"errcode":410100,"errmsg":"send too fast"}"#, None);
    assert_eq!(
        client.send(&ding, &n).await,
        Err(SendError::Throttled {
            retry_after: Duration::from_secs(600)
        })
    );
    s.p.force(
        200,
        r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#,
        None,
    );
    assert_eq!(
        client.send(&wecom, &n).await,
        Err(SendError::Throttled {
            retry_after: Duration::from_secs(60)
        })
    );
    s.p.force(
        200,
        r#"{"StatusCode":19024,"StatusMessage":"Key Words Not Found"}"#,
        None,
    );
    let e = client.send(&feishu, &n).await.unwrap_err();
    assert!(
        matches!(e, SendError::Permanent(_)) && err_text(&e).contains("19024"),
        "{e:?}"
    );
    s.p.force(200, "<html>captive portal</html>", None);
    assert!(matches!(
        client.send(&wecom, &n).await,
        Err(SendError::Permanent(_))
    ));
    s.p.force(200, "not ok", None);
    assert!(matches!(
        client.send(&slack, &n).await,
        Err(SendError::Permanent(_))
    ));
    s.p.force(200, "whatever", None);
    assert_eq!(client.send(&hook, &n).await, Ok(()));

    s.p.force(500, "{}", None);
    for r in [&wecom, &ding, &feishu, &slack, &hook] {
        let e = client.send(r, &n).await.unwrap_err();
        assert!(matches!(e, SendError::Transient(_)), "{:?}: {e:?}", r.kind);
        assert!(err_text(&e).contains("500"));
    }
    s.p.force(408, "", None);
    assert!(matches!(
        client.send(&hook, &n).await,
        Err(SendError::Transient(_))
    ));
    s.p.force(429, "rate_limited", Some("7"));
    assert_eq!(
        client.send(&slack, &n).await,
        Err(SendError::Throttled {
            retry_after: Duration::from_secs(7)
        })
    );
    s.p.force(404, "no_service", None);
    assert!(matches!(
        client.send(&slack, &n).await,
        Err(SendError::Permanent(_))
    ));
    s.p.force(302, "", None);
    assert!(matches!(
        client.send(&hook, &n).await,
        Err(SendError::Permanent(_))
    ));
}

/// §7.2.1: a confidential or secret message reaches no chat with its body, whatever the
/// platform; the title (reviewed), the notice and the portal link do.
#[tokio::test]
async fn confidential_robot_messages_carry_only_the_notice_and_the_link() {
    let s = start().await;
    let client = RobotClient::new();
    for kind in [
        RobotKind::Wecom,
        RobotKind::Dingtalk,
        RobotKind::Feishu,
        RobotKind::Slack,
        RobotKind::Webhook,
    ] {
        let mut n = notice(if kind == RobotKind::Slack {
            Lang::En
        } else {
            Lang::ZhCn
        });
        n.classification = if kind == RobotKind::Feishu {
            "secret"
        } else {
            "confidential"
        }
        .to_owned();
        n.body = Some(SECRET_SENTENCE.to_owned());
        client.send(&s.robot(kind), &n).await.unwrap();
        let raw = String::from_utf8(s.p.last().body).unwrap();
        let v: Value = serde_json::from_str(&raw).unwrap();
        let text = v.to_string();
        assert!(!text.contains(SECRET_SENTENCE), "{kind}: {text}");
        assert!(text.contains(&n.view_url), "{kind}: {text}");
        match kind {
            RobotKind::Webhook => assert!(v["body"].is_null()),
            RobotKind::Slack => assert!(
                text.contains("read it in the partner portal") || text.contains("partner portal"),
                "{text}"
            ),
            _ => assert!(text.contains("请登录合作伙伴门户阅读"), "{kind}: {text}"),
        }
    }
}

/// Secrets, the WeCom key and URL tokens appear in no error text and no Debug output, even when
/// a platform or the network error names them.
#[tokio::test]
async fn secrets_and_keys_never_appear_in_errors_or_debug() {
    let s = start().await;
    let client = RobotClient::new();
    let n = notice(Lang::ZhCn);
    for kind in [
        RobotKind::Wecom,
        RobotKind::Dingtalk,
        RobotKind::Feishu,
        RobotKind::Slack,
        RobotKind::Webhook,
    ] {
        let r = s.robot(kind);
        assert_clean(&format!("{r:?} {client:?}"));
    }
    let wecom = s.robot(RobotKind::Wecom);
    s.p.force(
        200,
        &format!(
            r#"{{"errcode":93000,"errmsg":"invalid webhook url {WECOM_KEY}, hint: [1700000000_1], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=93000&key={WECOM_KEY}"}}"#
        ),
        None,
    );
    let e = client.send(&wecom, &n).await.unwrap_err();
    let t = err_text(&e);
    assert!(
        t.contains("93000")
            && t.contains("invalid webhook url ***")
            && t.contains("https://open.work.weixin.qq.com/devtool/…"),
        "{t}"
    );
    s.p.force(
        400,
        &format!("bad request for {} with {SECRET}", wecom.url),
        None,
    );
    err_text(
        &client
            .send(&s.robot(RobotKind::Dingtalk), &n)
            .await
            .unwrap_err(),
    );

    // Nobody listening: the transport error names the host, not the key.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = Robot {
        id: Uuid::now_v7(),
        kind: RobotKind::Wecom,
        url: format!("http://127.0.0.1:{port}/cgi-bin/webhook/send?key={WECOM_KEY}"),
        secret: None,
    };
    let e = client.send(&down, &n).await.unwrap_err();
    assert!(matches!(e, SendError::Transient(_)), "{e:?}");
    let t = err_text(&e);
    assert!(
        t.contains(&format!("http://127.0.0.1:{port}/cgi-bin/…")),
        "{t}"
    );

    // A non-loopback http:// robot is refused before any request.
    let plain_http = Robot {
        url: format!("http://qyapi.example.com/cgi-bin/webhook/send?key={WECOM_KEY}"),
        ..down.clone()
    };
    let e = client.send(&plain_http, &n).await.unwrap_err();
    assert!(matches!(e, SendError::Permanent(_)), "{e:?}");
    err_text(&e);
    assert!(validate_url(&plain_http.url).is_err());
}
