//! Real servers on loopback for the worker to talk to: an SMTP server (Debian's
//! python3-aiosmtpd writing a Maildir) and HTTP servers that behave like DingTalk, Feishu and a
//! signed-webhook receiver, checking signatures the way the platforms do.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// The real SMTP server the worker mails to (aiosmtpd, shared with liaison-channels' tests).
pub use liaison_channels::testing::SmtpServer as Smtp;

/// What a platform server received: each request's JSON body and headers.
#[derive(Clone, Default)]
pub struct Seen(Arc<Mutex<Vec<Request>>>);

/// One request a server received: its JSON body and its headers.
pub type Request = (Value, HashMap<String, String>);

impl Seen {
    pub fn bodies(&self) -> Vec<Value> {
        self.0
            .lock()
            .map(|v| v.iter().map(|(b, _)| b.clone()).collect())
            .unwrap_or_default()
    }
    pub fn all(&self) -> Vec<Request> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
    fn push(&self, body: Value, headers: &HeaderMap) {
        let h = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        if let Ok(mut v) = self.0.lock() {
            v.push((body, h));
        }
    }
}

#[derive(Clone)]
struct Platform {
    secret: String,
    seen: Seen,
    /// Status to answer with (500 for a failing endpoint).
    status: StatusCode,
}

/// Serves `router` on a free loopback port; returns the base URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// A DingTalk custom robot with 加签: `sign` must be base64(HMAC-SHA256(secret,
/// timestamp + "\n" + secret)) of a timestamp (ms) within an hour, or it answers errcode
/// 310000 in a 200, as DingTalk does.
pub async fn dingtalk(secret: &str) -> (String, Seen) {
    async fn handle(
        State(p): State<Platform>,
        Query(q): Query<HashMap<String, String>>,
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, axum::Json<Value>) {
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let ts = q.get("timestamp").and_then(|t| t.parse::<i64>().ok());
        let fresh =
            ts.is_some_and(|t| (chrono::Utc::now().timestamp_millis() - t).abs() < 3_600_000);
        let expected = ts.map(|t| {
            b64(&hmac(
                p.secret.as_bytes(),
                format!("{t}\n{}", p.secret).as_bytes(),
            ))
        });
        let ok = fresh
            && q.get("access_token").map(String::as_str) == Some("DTOKEN")
            && expected.is_some()
            && q.get("sign") == expected.as_ref();
        p.seen.push(body, &headers);
        if ok {
            (
                StatusCode::OK,
                axum::Json(json!({"errcode": 0, "errmsg": "ok"})),
            )
        } else {
            (
                StatusCode::OK,
                axum::Json(json!({"errcode": 310000, "errmsg": "sign not match"})),
            )
        }
    }
    let seen = Seen::default();
    let p = Platform {
        secret: secret.into(),
        seen: seen.clone(),
        status: StatusCode::OK,
    };
    let base = serve(
        Router::new()
            .route("/robot/send", post(handle))
            .with_state(p),
    )
    .await;
    (format!("{base}/robot/send?access_token=DTOKEN"), seen)
}

/// A Feishu/Lark custom bot with signature check: the body's `sign` must be
/// base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = "")), timestamp in seconds.
pub async fn feishu(secret: &str) -> (String, Seen) {
    async fn handle(
        State(p): State<Platform>,
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, axum::Json<Value>) {
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let ts = body["timestamp"]
            .as_str()
            .and_then(|t| t.parse::<i64>().ok());
        let fresh = ts.is_some_and(|t| (chrono::Utc::now().timestamp() - t).abs() < 3600);
        let expected = ts.map(|t| b64(&hmac(format!("{t}\n{}", p.secret).as_bytes(), b"")));
        let ok = fresh && expected.is_some() && body["sign"].as_str() == expected.as_deref();
        p.seen.push(body, &headers);
        if ok {
            (
                StatusCode::OK,
                axum::Json(json!({"code": 0, "msg": "success", "data": {}})),
            )
        } else {
            (
                StatusCode::OK,
                axum::Json(
                    json!({"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}),
                ),
            )
        }
    }
    let seen = Seen::default();
    let p = Platform {
        secret: secret.into(),
        seen: seen.clone(),
        status: StatusCode::OK,
    };
    let base = serve(
        Router::new()
            .route("/open-apis/bot/v2/hook/{id}", post(handle))
            .with_state(p),
    )
    .await;
    (format!("{base}/open-apis/bot/v2/hook/abc-123"), seen)
}

/// A receiver of signed webhooks (generic robots and outbound events): checks
/// `X-Liaison-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))` and answers
/// `status` when it holds (401 when not).
pub async fn webhook(secret: &str, status: StatusCode) -> (String, Seen) {
    async fn handle(State(p): State<Platform>, headers: HeaderMap, body: Bytes) -> StatusCode {
        let ts = headers
            .get("x-liaison-timestamp")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let sig = headers
            .get("x-liaison-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut signed = ts.as_bytes().to_vec();
        signed.push(b'.');
        signed.extend_from_slice(&body);
        let expected = format!("sha256={}", hex::encode(hmac(p.secret.as_bytes(), &signed)));
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        p.seen.push(json, &headers);
        if sig == expected {
            p.status
        } else {
            StatusCode::UNAUTHORIZED
        }
    }
    let seen = Seen::default();
    let p = Platform {
        secret: secret.into(),
        seen: seen.clone(),
        status,
    };
    let base = serve(Router::new().route("/hook", post(handle)).with_state(p)).await;
    (format!("{base}/hook"), seen)
}

/// Every decoded text part of a mail, concatenated.
pub fn text_of(m: &mailparse::ParsedMail<'_>) -> String {
    let mut out = String::new();
    if m.subparts.is_empty() {
        out.push_str(&m.get_body().unwrap_or_default());
    }
    for p in &m.subparts {
        out.push_str(&text_of(p));
    }
    out
}

/// One answer of a [`counting_robot`]: status, body, and a `Retry-After` header.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub body: &'static str,
    pub retry_after: Option<&'static str>,
}

impl Answer {
    pub const fn json(body: &'static str) -> Self {
        Self {
            status: 200,
            body,
            retry_after: None,
        }
    }
}

/// A post as a [`counting_robot`] received it: when by the test's clock, its body, and
/// whether it was accepted.
#[derive(Clone, Debug)]
pub struct Post {
    pub at: chrono::DateTime<chrono::Utc>,
    pub body: Value,
    pub accepted: bool,
}

#[derive(Clone, Default)]
pub struct Posts(Arc<Mutex<Vec<Post>>>);

impl Posts {
    pub fn all(&self) -> Vec<Post> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
    pub fn accepted(&self) -> Vec<Post> {
        self.all().into_iter().filter(|p| p.accepted).collect()
    }
    /// The most posts received (accepted or not) in one sliding minute [s, s + 60 s).
    pub fn most_in_a_minute(&self) -> usize {
        let times: Vec<_> = self.all().iter().map(|p| p.at).collect();
        times
            .iter()
            .map(|s| {
                times
                    .iter()
                    .filter(|t| **t >= *s && **t < *s + chrono::Duration::seconds(60))
                    .count()
            })
            .max()
            .unwrap_or(0)
    }
}

#[derive(Clone)]
struct Counting {
    clock: Arc<liaison_core::FixedClock>,
    per_minute: usize,
    ok: Answer,
    busy: Answer,
    first: Arc<Mutex<std::collections::VecDeque<Answer>>>,
    posts: Posts,
}

/// A robot platform that counts as WeCom, DingTalk and Feishu do (issue 10): it notes when, by
/// the test's clock, each post arrives, and answers `busy` to one that makes more than
/// `per_minute` in the sliding minute, and `first` (in order) to the first posts; `ok`
/// otherwise. Serves any path; returns the URL to register.
pub async fn counting_robot(
    clock: Arc<liaison_core::FixedClock>,
    per_minute: usize,
    ok: Answer,
    busy: Answer,
    first: Vec<Answer>,
) -> (String, Posts) {
    async fn handle(State(c): State<Counting>, body: Bytes) -> axum::response::Response {
        use axum::response::IntoResponse;
        use liaison_core::Clock;
        let at = c.clock.now();
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let in_minute = c
            .posts
            .all()
            .iter()
            .filter(|p| p.at > at - chrono::Duration::seconds(60))
            .count();
        let scripted = c.first.lock().ok().and_then(|mut f| f.pop_front());
        let answer = match scripted {
            Some(a) => a,
            None if in_minute >= c.per_minute => c.busy.clone(),
            None => c.ok.clone(),
        };
        let accepted = answer.body == c.ok.body && answer.status == c.ok.status;
        if let Ok(mut v) = c.posts.0.lock() {
            v.push(Post { at, body, accepted });
        }
        let mut headers = HeaderMap::new();
        if let Some(r) = answer.retry_after
            && let Ok(v) = r.parse()
        {
            headers.insert("retry-after", v);
        }
        let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
        (status, headers, answer.body).into_response()
    }
    let posts = Posts::default();
    let c = Counting {
        clock,
        per_minute,
        ok,
        busy,
        first: Arc::new(Mutex::new(first.into())),
        posts: posts.clone(),
    };
    let base = serve(
        Router::new()
            .route("/robot/send", post(handle))
            .with_state(c),
    )
    .await;
    (format!("{base}/robot/send?key=ROBOTKEY"), posts)
}
