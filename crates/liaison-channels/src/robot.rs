//! IM robots for daily work (policy §2.1.2): WeCom, DingTalk and Feishu/Lark group robots, Slack
//! incoming webhooks and Liaison's signed generic webhook. Each gets a Markdown card with the
//! confirmation action (§4.3.2) and the portal link; confidential and secret bodies stay out
//! (§7.2.1). How often a robot is posted to is the worker's to decide, with the sliding minute
//! every worker shares (`liaison_db::robot::take_send_slot`); a platform's "too fast" comes back
//! as `Throttled`.
//!
//! Replies are read the platforms' way: a 200 whose JSON carries an error code is a failure.

use crate::markdown::Flavor;
use crate::text::{self, truncate_bytes};
use crate::{Notice, NoticeKind, SendError, markdown, sign};
use liaison_core::validate::Msg;
use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RobotKind {
    Wecom,
    Dingtalk,
    Feishu,
    Slack,
    Webhook,
}

impl RobotKind {
    pub const ALL: &'static [RobotKind] = &[
        RobotKind::Wecom,
        RobotKind::Dingtalk,
        RobotKind::Feishu,
        RobotKind::Slack,
        RobotKind::Webhook,
    ];

    /// The same names as `liaison_core::partner::Channel`.
    pub fn as_str(self) -> &'static str {
        match self {
            RobotKind::Wecom => "wecom",
            RobotKind::Dingtalk => "dingtalk",
            RobotKind::Feishu => "feishu",
            RobotKind::Slack => "slack",
            RobotKind::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        RobotKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == t)
            .ok_or_else(|| {
                format!(
                    "'{}' is not one of wecom, dingtalk, feishu, slack, webhook",
                    s.trim()
                )
            })
    }

    fn platform(self) -> &'static str {
        match self {
            RobotKind::Wecom => "WeCom",
            RobotKind::Dingtalk => "DingTalk",
            RobotKind::Feishu => "Feishu",
            RobotKind::Slack => "Slack",
            RobotKind::Webhook => "webhook",
        }
    }
}

impl fmt::Display for RobotKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A registered robot. The URL may hold a key (WeCom `?key=`, DingTalk `?access_token=`, Slack
/// and Feishu in the path), so Debug shows the id and kind only.
#[derive(Clone)]
pub struct Robot {
    pub id: Uuid,
    pub kind: RobotKind,
    pub url: String,
    /// DingTalk 加签 / Feishu 签名校验 secret, or the generic webhook's HMAC key.
    pub secret: Option<String>,
}

impl fmt::Debug for Robot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Robot")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        url::Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// Whether robots and endpoints may point at this machine or the local network (development
/// and tests only: `liaison serve --allow-local-targets`). Off, a URL naming a loopback,
/// private or link-local address is refused, so that a robot cannot be aimed at internal
/// services.
static ALLOW_LOCAL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns local targets on or off for this process.
pub fn allow_local_targets(on: bool) {
    ALLOW_LOCAL.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// An address of this machine, a private or shared network, or a range no public service
/// uses (documentation, benchmarking, multicast, reserved); IPv4 inside IPv6 (mapped,
/// compatible, NAT64, 6to4) is judged as the IPv4 address it carries.
pub fn is_local_ip(ip: &IpAddr) -> bool {
    fn v4(ip: &std::net::Ipv4Addr) -> bool {
        let [a, b, c, _] = ip.octets();
        ip.is_loopback()
            || ip.is_private()
            || ip.is_link_local()
            || ip.is_unspecified()
            || ip.is_broadcast()
            || ip.is_multicast()
            || ip.is_documentation()
            || a == 0
            || a >= 240
            || (a == 100 && (b & 0xc0) == 64)
            || (a == 198 && (b & 0xfe) == 18)
            || (a == 192 && b == 0 && c == 0)
    }
    match ip {
        IpAddr::V4(ip) => v4(ip),
        IpAddr::V6(ip) => {
            let seg = ip.segments();
            let embedded = |hi: u16, lo: u16| {
                std::net::Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)
            };
            ip.is_loopback()
                || ip.is_unspecified()
                || ip.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80
                || (seg[0] & 0xffc0) == 0xfec0
                || ip.to_ipv4().is_some_and(|m| v4(&m))
                || (seg[0] == 0x64 && seg[1] == 0xff9b && v4(&embedded(seg[6], seg[7])))
                || (seg[0] == 0x2002 && v4(&embedded(seg[1], seg[2])))
        }
    }
}

/// An address or name of this machine or a private network. Names without a dot and the
/// usual private suffixes count as local; other names are checked again when resolved.
fn is_local(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost"
                || !d.contains('.')
                || [
                    ".localhost",
                    ".local",
                    ".internal",
                    ".lan",
                    ".home.arpa",
                    ".svc",
                    ".cluster.local",
                ]
                .iter()
                .any(|s| d.ends_with(s))
        }
        url::Host::Ipv4(ip) => is_local_ip(&IpAddr::V4(*ip)),
        url::Host::Ipv6(ip) => is_local_ip(&IpAddr::V6(*ip)),
    }
}

/// Resolves robot and endpoint hosts, keeping only public addresses unless local targets are
/// allowed: a public name that points inside the network, or is rebound to it between the
/// check and the connection, is refused when connecting.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let all: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allow = ALLOW_LOCAL.load(std::sync::atomic::Ordering::Relaxed);
            let public: Vec<std::net::SocketAddr> = all
                .into_iter()
                .filter(|a| allow || !is_local_ip(&a.ip()))
                .collect();
            if public.is_empty() {
                return Err(format!(
                    "{host} resolves to no public address (only this machine or a private network)"
                )
                .into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

/// URL rules for registering a robot or an outbound-event endpoint: https:// to a public host;
/// with local targets allowed (development), also any local host and http:// to loopback. No
/// user:password@.
pub fn validate_url(url: &str) -> Result<(), Msg> {
    validate_url_with(url, ALLOW_LOCAL.load(std::sync::atomic::Ordering::Relaxed))
}

/// `validate_url` with the local-target switch given.
pub fn validate_url_with(url: &str, allow_local: bool) -> Result<(), Msg> {
    let u = Url::parse(url.trim()).map_err(|e| Msg::new("validate.url").arg("reason", e))?;
    let Some(host) = u.host() else {
        return Err(Msg::new("validate.url_no_host"));
    };
    if !u.username().is_empty() || u.password().is_some() {
        return Err(Msg::new("validate.url_credentials").arg("url", redact_url(url)));
    }
    if !allow_local && is_local(&host) {
        return Err(Msg::new("validate.url_local").arg("url", redact_url(url)));
    }
    match u.scheme() {
        "https" => Ok(()),
        "http" if allow_local && is_loopback(&host) => Ok(()),
        "http" => Err(Msg::new("validate.url_http").arg("url", redact_url(url))),
        s => Err(Msg::new("validate.url_scheme").arg("scheme", s)),
    }
}

/// A URL safe to show and log: `scheme://host[:port]/first-segment` and `/…` or `?…` for what
/// was cut (deeper path segments and the query are where platforms put their keys).
pub fn redact_url(url: &str) -> String {
    let Ok(u) = Url::parse(url.trim()) else {
        return "<invalid URL>".to_owned();
    };
    let mut s = format!("{}://{}", u.scheme(), u.host_str().unwrap_or(""));
    if let Some(port) = u.port() {
        s.push_str(&format!(":{port}"));
    }
    let segments: Vec<&str> = u
        .path_segments()
        .map(|p| p.filter(|x| !x.is_empty()).collect())
        .unwrap_or_default();
    match segments.first() {
        // A long first segment may itself be a token.
        Some(first) if first.len() <= 32 => {
            s.push('/');
            s.push_str(first);
            if segments.len() > 1 {
                s.push_str("/…");
            } else if u.query().is_some() {
                s.push_str("?…");
            }
        }
        Some(_) => s.push_str("/…"),
        None => {
            s.push('/');
            if u.query().is_some() {
                s.push_str("?…");
            }
        }
    }
    s
}

/// The HTTP client for robots and outbound events.
#[derive(Clone)]
pub struct RobotClient {
    http: reqwest::Client,
}

impl fmt::Debug for RobotClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RobotClient").finish_non_exhaustive()
    }
}

const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How much of a reply we read: platform replies are a few hundred bytes.
const MAX_REPLY: usize = 64 * 1024;
/// When a 429 carries no Retry-After.
const DEFAULT_RETRY: Duration = Duration::from_secs(60);
const MAX_RETRY: Duration = Duration::from_secs(3600);

/// rustls with the ring provider and Mozilla's roots (webpki-roots), set explicitly so that no
/// process-wide default provider is needed and no system certificate store is required.
fn tls_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn http_client() -> Result<reqwest::Client, String> {
    let tls = tls_config().map_err(|e| format!("TLS setup: {e}"))?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        // A webhook that redirects elsewhere is misconfigured; following it could carry the
        // message (and a signature) to a host nobody registered.
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(PublicOnly))
        .user_agent(concat!("Liaison/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("HTTP client setup: {e}"))
}

/// DingTalk throttles a robot for 10 minutes once it exceeds 20 messages a minute.
const DINGTALK_THROTTLE: Duration = Duration::from_secs(600);
/// WeCom: "api freq out of limit".
const WECOM_RATE_LIMITED: i64 = 45009;
/// DingTalk: "send too fast, exceed 20 times per minute", and the gateway's flow control.
const DINGTALK_RATE_LIMITED: &[i64] = &[130101, 410100];
/// Feishu/Lark: "frequency limited" (the bot's and the tenant's).
const FEISHU_RATE_LIMITED: &[i64] = &[11232, 9499];

/// Body budgets per platform (bytes of Markdown), below the platforms' message limits (WeCom
/// markdown: 4096 bytes in all).
const WECOM_MAX: usize = 4096;
const DINGTALK_BODY_MAX: usize = 8000;
const FEISHU_BODY_MAX: usize = 8000;
/// Slack: a section's text is at most 3000 characters.
const SLACK_SECTION_MAX: usize = 3000;

impl Default for RobotClient {
    fn default() -> Self {
        Self::new()
    }
}

impl RobotClient {
    /// # Panics
    /// Only if the fixed TLS/HTTP configuration cannot be built, which a unit test rules out.
    pub fn new() -> Self {
        match http_client() {
            Ok(http) => Self { http },
            Err(e) => panic!("{e}"),
        }
    }

    /// The JSON each platform receives: a Markdown card with a confirm button (when
    /// `confirm_url`) and a view link. Feishu's `timestamp` and `sign` are added at send time.
    pub fn payload(kind: RobotKind, n: &Notice) -> Value {
        match kind {
            RobotKind::Wecom => wecom(n),
            RobotKind::Dingtalk => dingtalk(n),
            RobotKind::Feishu => feishu(n),
            RobotKind::Slack => slack(n),
            RobotKind::Webhook => webhook(n),
        }
    }

    /// Signs as the platform requires, POSTs, and reads the reply; a platform's rate limit
    /// is `Throttled` with its wait.
    pub async fn send(&self, robot: &Robot, n: &Notice) -> Result<(), SendError> {
        let scrub = Scrub::new(&robot.url, robot.secret.as_deref());
        validate_url(&robot.url)
            .map_err(|e| SendError::Permanent(format!("robot URL refused: {e}")))?;

        let secret = robot.secret.as_deref().filter(|s| !s.is_empty());
        let mut payload = Self::payload(robot.kind, n);
        let mut url = robot.url.trim().to_owned();
        let mut headers = HeaderMap::new();
        match (robot.kind, secret) {
            (RobotKind::Dingtalk, Some(secret)) => {
                let ts = chrono::Utc::now().timestamp_millis();
                let sep = if url.contains('?') { '&' } else { '?' };
                url = format!(
                    "{url}{sep}timestamp={ts}&sign={}",
                    sign::dingtalk(secret, ts)
                );
            }
            (RobotKind::Feishu, Some(secret)) => {
                let ts = chrono::Utc::now().timestamp();
                if let Value::Object(m) = &mut payload {
                    m.insert("timestamp".to_owned(), Value::String(ts.to_string()));
                    m.insert("sign".to_owned(), Value::String(sign::feishu(secret, ts)));
                }
            }
            _ => {}
        }
        let body = serde_json::to_vec(&payload)
            .map_err(|e| SendError::Permanent(format!("payload: {e}")))?;
        if robot.kind == RobotKind::Webhook {
            signed_headers(&mut headers, n.delivery_id, secret, &body);
        }
        let reply = self.post(&url, headers, body, &scrub).await?;
        reply.check(robot.kind, &scrub)
    }

    /// Outbound events to an admin's endpoint: the generic webhook's signing
    /// (`X-Liaison-Timestamp`, `X-Liaison-Signature` when `secret` is not empty), the event id
    /// as the idempotency header (`X-Liaison-Delivery`, also sent as `X-Liaison-Event`).
    pub async fn post_event(
        &self,
        url: &str,
        secret: &str,
        event_id: Uuid,
        body: &[u8],
    ) -> Result<(), SendError> {
        let scrub = Scrub::new(url, Some(secret));
        validate_url(url).map_err(|e| SendError::Permanent(format!("event URL refused: {e}")))?;
        let mut headers = HeaderMap::new();
        signed_headers(
            &mut headers,
            event_id,
            Some(secret).filter(|s| !s.is_empty()),
            body,
        );
        if let Ok(v) = HeaderValue::from_str(&event_id.to_string()) {
            headers.insert("x-liaison-event", v);
        }
        let reply = self
            .post(url.trim(), headers, body.to_vec(), &scrub)
            .await?;
        reply.check(RobotKind::Webhook, &scrub)
    }

    async fn post(
        &self,
        url: &str,
        mut headers: HeaderMap,
        body: Vec<u8>,
        scrub: &Scrub,
    ) -> Result<Reply, SendError> {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let mut resp = self
            .http
            .post(url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| network_error(&e, scrub))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let mut bytes = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() >= MAX_REPLY {
                        bytes.truncate(MAX_REPLY);
                        break;
                    }
                }
                Ok(None) => break,
                // The status is what counts; a reply cut short is read as far as it came.
                Err(_) => break,
            }
        }
        Ok(Reply {
            status,
            retry_after,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

/// `X-Liaison-Delivery`, `X-Liaison-Timestamp` and, with a secret, `X-Liaison-Signature`.
fn signed_headers(headers: &mut HeaderMap, id: Uuid, secret: Option<&str>, body: &[u8]) {
    let ts = chrono::Utc::now().timestamp();
    if let Ok(v) = HeaderValue::from_str(&id.to_string()) {
        headers.insert("x-liaison-delivery", v);
    }
    if let Ok(v) = HeaderValue::from_str(&ts.to_string()) {
        headers.insert("x-liaison-timestamp", v);
    }
    if let Some(secret) = secret
        && let Ok(v) = HeaderValue::from_str(&sign::webhook(secret, ts, body))
    {
        headers.insert("x-liaison-signature", v);
    }
}

/// Seconds, or an HTTP date; at least a second and at most an hour.
fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    let d = if let Ok(secs) = v.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
        let secs = (at.timestamp() - chrono::Utc::now().timestamp()).max(0);
        Duration::from_secs(u64::try_from(secs).unwrap_or(0))
    };
    Some(d.clamp(Duration::from_secs(1), MAX_RETRY))
}

/// Removes what must never be stored or shown from texts that came from outside (platform
/// messages, transport errors): URLs beyond their first path segment, the robot's secret, and
/// the key-like parts of its URL.
struct Scrub {
    redacted: String,
    hidden: Vec<String>,
}

impl Scrub {
    fn new(url: &str, secret: Option<&str>) -> Self {
        let mut hidden: Vec<String> = Vec::new();
        if let Some(s) = secret.filter(|s| s.len() >= 4) {
            hidden.push(s.to_owned());
        }
        if let Ok(u) = Url::parse(url.trim()) {
            hidden.extend(
                u.query_pairs()
                    .map(|(_, v)| v.into_owned())
                    .filter(|v| v.len() >= 6),
            );
            // Path tokens (Slack, Feishu): long, or mixed with digits; not words like "send".
            if let Some(segs) = u.path_segments() {
                hidden.extend(
                    segs.skip(1)
                        .filter(|s| {
                            s.len() >= 16 || (s.len() >= 8 && s.chars().any(|c| c.is_ascii_digit()))
                        })
                        .map(str::to_owned),
                );
            }
            if let Some(q) = u.query() {
                hidden.push(q.to_owned());
            }
        }
        // Longest first, so that a value containing another is removed whole.
        hidden.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Self {
            redacted: redact_url(url),
            hidden,
        }
    }

    fn clean(&self, s: &str) -> String {
        let mut out: String = s
            .split_inclusive(char::is_whitespace)
            .map(|w| {
                let core = w.trim_end();
                if let Some(i) = core.find("://") {
                    let start = core[..i]
                        .rfind(|c: char| !c.is_ascii_alphanumeric())
                        .map_or(0, |j| j + 1);
                    let tail = &w[core.len()..];
                    format!("{}{}{tail}", &core[..start], redact_url(&core[start..]))
                } else {
                    w.to_owned()
                }
            })
            .collect();
        for h in &self.hidden {
            out = out.replace(h.as_str(), "***");
        }
        truncate_bytes(out.trim(), 300)
    }
}

fn network_error(e: &reqwest::Error, scrub: &Scrub) -> SendError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    // The innermost cause says most ("Connection refused"); reqwest's own text names the URL.
    let mut cause: Option<String> = None;
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        cause = Some(s.to_string());
        src = s.source();
    }
    let detail = cause
        .map(|c| format!(": {}", scrub.clean(&c)))
        .unwrap_or_default();
    SendError::Transient(format!("{} {what}{detail}", scrub.redacted))
}

struct Reply {
    status: u16,
    retry_after: Option<Duration>,
    body: String,
}

impl Reply {
    fn check(&self, kind: RobotKind, scrub: &Scrub) -> Result<(), SendError> {
        let at = &scrub.redacted;
        // Only the status and the platform's own code and message are kept: a reply body is
        // not copied into the error, which staff see, whatever the URL points at.
        let excerpt = String::new;
        match self.status {
            429 => {
                return Err(SendError::Throttled {
                    retry_after: self.retry_after.unwrap_or(DEFAULT_RETRY),
                });
            }
            408 | 500..=599 => {
                return Err(SendError::Transient(format!(
                    "{} replied HTTP {}{}",
                    at,
                    self.status,
                    excerpt()
                )));
            }
            200..=299 => {}
            300..=399 => {
                return Err(SendError::Permanent(format!(
                    "{at} replied with a redirect (HTTP {}); register the final URL",
                    self.status
                )));
            }
            s => {
                return Err(SendError::Permanent(format!(
                    "{at} refused the message: HTTP {s}{}",
                    excerpt()
                )));
            }
        }
        let platform = kind.platform();
        let json = || serde_json::from_str::<Value>(&self.body);
        let refused = |code: i64, msg: &str| {
            let msg = scrub.clean(msg);
            SendError::Permanent(format!(
                "{platform} refused the message: code {code}{}",
                if msg.is_empty() {
                    String::new()
                } else {
                    format!(" ({msg})")
                }
            ))
        };
        let unreadable = || {
            SendError::Permanent(format!(
                "{at} answered with something that is not a {platform} reply{}",
                excerpt()
            ))
        };
        match kind {
            RobotKind::Webhook => Ok(()),
            RobotKind::Slack => {
                if self.body.trim() == "ok" {
                    Ok(())
                } else {
                    // Slack answers with a short error token (invalid_token, no_service, ...):
                    // that much is kept, never a longer body.
                    let token = self.body.trim();
                    let reason = if !token.is_empty()
                        && token.len() <= 64
                        && token.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    {
                        format!(": {token}")
                    } else {
                        excerpt()
                    };
                    Err(SendError::Permanent(format!(
                        "Slack did not accept the message{reason}"
                    )))
                }
            }
            RobotKind::Wecom | RobotKind::Dingtalk => {
                let v = json().map_err(|_| unreadable())?;
                let code = v.get("errcode").and_then(Value::as_i64).unwrap_or(0);
                let msg = v.get("errmsg").and_then(Value::as_str).unwrap_or("");
                match (kind, code) {
                    (_, 0) => Ok(()),
                    // "System busy": try again later.
                    (_, -1) => Err(SendError::Transient(format!(
                        "{platform} is busy (code -1); trying again"
                    ))),
                    (RobotKind::Wecom, WECOM_RATE_LIMITED) => Err(SendError::Throttled {
                        retry_after: DEFAULT_RETRY,
                    }),
                    (RobotKind::Dingtalk, c) if DINGTALK_RATE_LIMITED.contains(&c) => {
                        Err(SendError::Throttled {
                            retry_after: DINGTALK_THROTTLE,
                        })
                    }
                    _ => Err(refused(code, msg)),
                }
            }
            RobotKind::Feishu => {
                let v = json().map_err(|_| unreadable())?;
                let code = v
                    .get("code")
                    .and_then(Value::as_i64)
                    .or_else(|| v.get("StatusCode").and_then(Value::as_i64))
                    .unwrap_or(0);
                let msg = v
                    .get("msg")
                    .or_else(|| v.get("StatusMessage"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                match code {
                    0 => Ok(()),
                    c if FEISHU_RATE_LIMITED.contains(&c) => Err(SendError::Throttled {
                        retry_after: self.retry_after.unwrap_or(DEFAULT_RETRY),
                    }),
                    _ => Err(refused(code, msg)),
                }
            }
        }
    }
}

/// The body through the one sanitiser for the platform's Markdown (issue 10, item 7: no raw
/// HTML, no link but http(s) and mailto), or the classified notice (§7.2.1), cut to `max`
/// bytes.
fn body_md(n: &Notice, flavor: Flavor, max: usize) -> String {
    match n.shown_body() {
        Some(md) => truncate_bytes(&markdown::render(md.trim(), flavor), max),
        None => markdown::escape(&text::classified_notice(n.lang, &n.classification), flavor),
    }
}

fn due(n: &Notice) -> Option<String> {
    match (n.ack_required, n.ack_due_at, n.kind) {
        (true, Some(d), NoticeKind::Message | NoticeKind::Reminder) => {
            Some(text::due_line(n.lang, d))
        }
        _ => None,
    }
}

fn kind_name(k: NoticeKind) -> &'static str {
    match k {
        NoticeKind::Message => "message",
        NoticeKind::Reminder => "reminder",
        NoticeKind::Overdue => "overdue",
    }
}

/// WeCom group robot: `markdown` (no buttons there, so the confirmation is a link line).
fn wecom(n: &Notice) -> Value {
    let md = |s: &str| markdown::escape(s, Flavor::Wecom);
    let mut head = format!("### {}\n", md(&text::subject(n)));
    if let Some(lead) = text::lead(n) {
        head.push_str(&format!("> {}\n", md(&lead)));
    }
    let mut tail = String::new();
    if let Some(d) = due(n) {
        tail.push_str(&format!("\n<font color=\"warning\">{d}</font>"));
    }
    if let Some(c) = &n.confirm_url {
        tail.push_str(&format!("\n[{}]({c})", text::confirm_label(n.lang)));
    }
    tail.push_str(&format!("\n[{}]({})", text::view_label(n.lang), n.view_url));
    if !n.sender.trim().is_empty() {
        tail.push_str(&format!(
            "\n<font color=\"comment\">{}</font>",
            md(&text::sender_line(n.lang, n.sender.trim()))
        ));
    }
    let room = WECOM_MAX.saturating_sub(head.len() + tail.len() + 2);
    let content = format!("{head}\n{}\n{tail}", body_md(n, Flavor::Wecom, room));
    json!({"msgtype": "markdown", "markdown": {"content": truncate_bytes(&content, WECOM_MAX)}})
}

/// DingTalk custom robot: an `actionCard` whose single button confirms, or that opens the
/// message in the portal when there is nothing to confirm.
fn dingtalk(n: &Notice) -> Value {
    let md = |s: &str| markdown::escape(s, Flavor::Dingtalk);
    let subject = text::subject(n);
    let mut t = format!("### {}\n\n", md(&subject));
    if let Some(lead) = text::lead(n) {
        t.push_str(&format!("> {}\n\n", md(&lead)));
    }
    t.push_str(&body_md(n, Flavor::Dingtalk, DINGTALK_BODY_MAX));
    t.push_str("\n\n");
    if let Some(d) = due(n) {
        t.push_str(&format!("**{d}**\n\n"));
    }
    if n.confirm_url.is_some() {
        t.push_str(&format!(
            "[{}]({})\n\n",
            text::view_label(n.lang),
            n.view_url
        ));
    }
    if !n.sender.trim().is_empty() {
        t.push_str(&md(&text::sender_line(n.lang, n.sender.trim())));
    }
    let card = match &n.confirm_url {
        Some(c) => json!({
            "title": subject,
            "text": t.trim_end(),
            "btnOrientation": "0",
            "singleTitle": text::confirm_label(n.lang),
            "singleURL": c,
        }),
        None => json!({
            "title": subject,
            "text": t.trim_end(),
            "btnOrientation": "0",
            "btns": [{"title": text::view_label(n.lang), "actionURL": n.view_url}],
        }),
    };
    json!({"msgtype": "actionCard", "actionCard": card})
}

/// Feishu/Lark custom bot: an `interactive` card (header, lark_md body, buttons, note).
fn feishu(n: &Notice) -> Value {
    let template = if n.is_urgent() {
        "red"
    } else if n.is_important() {
        "orange"
    } else {
        "blue"
    };
    let mut md = String::new();
    if let Some(lead) = text::lead(n) {
        md.push_str(&format!(
            "**{}**\n\n",
            markdown::escape(&lead, Flavor::Lark)
        ));
    }
    md.push_str(&body_md(n, Flavor::Lark, FEISHU_BODY_MAX));
    let mut elements = vec![json!({"tag": "div", "text": {"tag": "lark_md", "content": md}})];
    if let Some(d) = due(n) {
        elements
            .push(json!({"tag": "div", "text": {"tag": "lark_md", "content": format!("**{d}**")}}));
    }
    let mut actions = Vec::new();
    if let Some(c) = &n.confirm_url {
        actions.push(json!({
            "tag": "button",
            "text": {"tag": "plain_text", "content": text::confirm_label(n.lang)},
            "type": "primary",
            "url": c,
        }));
    }
    actions.push(json!({
        "tag": "button",
        "text": {"tag": "plain_text", "content": text::view_label(n.lang)},
        "type": "default",
        "url": n.view_url,
    }));
    elements.push(json!({"tag": "action", "actions": actions}));
    if !n.sender.trim().is_empty() {
        elements.push(json!({
            "tag": "note",
            "elements": [{"tag": "plain_text", "content": text::sender_line(n.lang, n.sender.trim())}],
        }));
    }
    json!({
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": true},
            "header": {"title": {"tag": "plain_text", "content": text::subject(n)}, "template": template},
            "elements": elements,
        },
    })
}

fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut o: String = s.chars().take(max.saturating_sub(1)).collect();
    o.push('…');
    o
}

/// Slack incoming webhook: a mrkdwn section, a context line and link buttons; `text` is the
/// notification fallback.
fn slack(n: &Notice) -> Value {
    let subject = text::subject(n);
    let mut section = format!("*{}*\n", markdown::slack_mrkdwn(&subject));
    if let Some(lead) = text::lead(n) {
        section.push_str(&format!("_{}_\n", markdown::slack_mrkdwn(&lead)));
    }
    section.push('\n');
    let body = match n.shown_body() {
        Some(md) => markdown::slack_mrkdwn(md),
        None => markdown::slack_mrkdwn(&text::classified_notice(n.lang, &n.classification)),
    };
    section.push_str(&body);
    let fallback = match n.shown_body() {
        Some(md) => format!("{subject}\n{}", markdown::plain_text(md)),
        None => format!(
            "{subject}\n{}",
            text::classified_notice(n.lang, &n.classification)
        ),
    };
    let mut blocks = vec![json!({
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate_chars(&section, SLACK_SECTION_MAX)},
    })];
    let mut context: Vec<String> = Vec::new();
    if let Some(d) = due(n) {
        context.push(d);
    }
    if !n.sender.trim().is_empty() {
        context.push(text::sender_line(n.lang, n.sender.trim()));
    }
    if !context.is_empty() {
        blocks.push(json!({
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": markdown::slack_mrkdwn(&context.join(" · "))}],
        }));
    }
    let mut buttons = Vec::new();
    if let Some(c) = &n.confirm_url {
        buttons.push(json!({
            "type": "button",
            "action_id": "confirm",
            "style": "primary",
            "text": {"type": "plain_text", "text": text::confirm_label(n.lang)},
            "url": c,
        }));
    }
    buttons.push(json!({
        "type": "button",
        "action_id": "view",
        "text": {"type": "plain_text", "text": text::view_label(n.lang)},
        "url": n.view_url,
    }));
    blocks.push(json!({"type": "actions", "elements": buttons}));
    // The fallback is Slack text too: `<!channel>` or `<script>` in a body must stay text.
    let fallback = markdown::escape(&fallback, Flavor::Slack);
    json!({"text": truncate_chars(&fallback, 3000), "blocks": blocks})
}

/// Liaison's generic webhook: the notice as data.
fn webhook(n: &Notice) -> Value {
    json!({
        "type": kind_name(n.kind),
        "delivery_id": n.delivery_id,
        "message_id": n.message_id,
        "lang": n.lang.tag(),
        "sender": n.sender,
        "title": n.title,
        "body": n.shown_body(),
        "importance": n.importance,
        "urgency": n.urgency,
        "classification": n.classification,
        "ack_required": n.ack_required,
        "ack_due_at": n.ack_due_at.map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "view_url": n.view_url,
        "confirm_url": n.confirm_url,
        "sequence": n.sequence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_http_client_builds_with_ring_and_webpki_roots() {
        assert!(http_client().is_ok());
        let _ = RobotClient::new();
    }

    #[test]
    fn robot_urls_must_be_public_https_unless_local_targets_are_allowed() {
        for ok in [
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
            "https://open.feishu.cn/open-apis/bot/v2/hook/x",
        ] {
            assert_eq!(validate_url_with(ok, false), Ok(()), "{ok}");
        }
        // Aimed at this machine or the local network: refused in production...
        for local in [
            "https://127.0.0.1:9200/_search",
            "https://10.1.2.3/x",
            "https://172.16.0.9/x",
            "https://192.168.1.2/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/x",
            "https://localhost/x",
            "https://db.internal/x",
            "https://[::1]/x",
            "https://[fd00::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "http://127.0.0.1:8080/hook",
        ] {
            let e = validate_url_with(local, false)
                .expect_err(local)
                .to_string();
            assert!(e.contains("private network"), "{local}: {e}");
        }
        // ...and accepted for local development, http only to loopback.
        for ok in [
            "http://127.0.0.1:8080/hook",
            "http://127.8.9.10/hook",
            "http://localhost:3000/x",
            "http://[::1]:9000/x",
            "https://192.168.1.2/hook",
        ] {
            assert_eq!(validate_url_with(ok, true), Ok(()), "{ok}");
        }
        for bad in [
            "http://example.com/hook?key=SECRETKEY",
            "http://10.0.0.1/hook",
            "http://192.168.1.2/hook",
            "ftp://example.com/x",
            "https://user:pw@example.com/x",
            "not a url",
            "http://localhost.evil.example/x",
        ] {
            let e = validate_url_with(bad, true).expect_err(bad).to_string();
            assert!(!e.contains("SECRETKEY") && !e.contains("pw@"), "{e}");
        }
        let e = validate_url_with("http://example.com/hook?key=SECRETKEY", true)
            .expect_err("plain http")
            .to_string();
        assert!(e.contains("https://"), "{e}");
    }

    #[test]
    fn addresses_inside_the_network_are_local_in_every_spelling() {
        for local in [
            "127.0.0.1",
            "10.0.0.1",
            "0.1.2.3",
            "198.18.0.1",
            "192.0.0.1",
            "224.0.0.1",
            "240.0.0.1",
            "::1",
            "::127.0.0.1",
            "::10.0.0.1",
            "::ffff:10.0.0.1",
            "ff02::1",
            "fec0::1",
            "fd00::1",
            "fe80::1",
            "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::",
        ] {
            let ip: IpAddr = local.parse().expect(local);
            assert!(is_local_ip(&ip), "{local}");
        }
        for public in ["1.1.1.1", "203.119.0.1", "2400:3200::1", "64:ff9b::808:808"] {
            let ip: IpAddr = public.parse().expect(public);
            assert!(!is_local_ip(&ip), "{public}");
        }
        for name in [
            "https://db/x",
            "https://kubernetes.default.svc/x",
            "https://2130706433/x",
        ] {
            assert!(validate_url_with(name, false).is_err(), "{name}");
        }
    }

    /// A public-looking name that resolves inside the network is refused when connecting.
    #[tokio::test]
    async fn names_resolving_to_local_addresses_are_refused_at_connect_time() {
        use reqwest::dns::Resolve;
        let name: reqwest::dns::Name = "localhost".parse().expect("name");
        let refused = PublicOnly.resolve(name).await;
        assert!(refused.is_err(), "localhost resolves to loopback only");
    }

    #[test]
    fn redacted_urls_keep_the_host_and_first_segment_only() {
        assert_eq!(
            redact_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123"),
            "https://qyapi.weixin.qq.com/cgi-bin/…"
        );
        assert_eq!(
            redact_url("https://oapi.dingtalk.com/robot/send?access_token=tok"),
            "https://oapi.dingtalk.com/robot/…"
        );
        assert_eq!(
            redact_url("http://127.0.0.1:8080/wecom?key=abc"),
            "http://127.0.0.1:8080/wecom?…"
        );
        assert_eq!(
            redact_url("https://hooks.slack.com/services/T0/B0/XXXX"),
            "https://hooks.slack.com/services/…"
        );
        assert_eq!(redact_url("https://h.example/"), "https://h.example/");
        assert_eq!(
            redact_url("https://h.example/0123456789abcdef0123456789abcdef0"),
            "https://h.example/…"
        );
        assert_eq!(redact_url("::"), "<invalid URL>");
    }

    #[test]
    fn scrub_removes_urls_queries_and_secrets_from_platform_text() {
        let s = Scrub::new(
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY-693a91f6",
            Some("SECsecret123"),
        );
        let t = s.clean(
            "invalid webhook url, hint: [1] more info at https://open.work.weixin.qq.com/devtool/query?e=93000 key KEY-693a91f6 SECsecret123",
        );
        assert!(!t.contains("e=93000"), "{t}");
        assert!(!t.contains("KEY-693a91f6"), "{t}");
        assert!(!t.contains("SECsecret123"), "{t}");
        assert!(
            t.contains("https://open.work.weixin.qq.com/devtool/…"),
            "{t}"
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("0"), Some(Duration::from_secs(1)));
        assert_eq!(parse_retry_after("999999"), Some(MAX_RETRY));
        assert!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").is_some());
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn robot_kinds_use_the_channel_names() {
        for k in RobotKind::ALL {
            assert_eq!(RobotKind::parse(k.as_str()), Ok(*k));
            let ch = liaison_core::partner::Channel::parse(k.as_str());
            assert_eq!(ch.map(|c| c.as_str()), Ok(k.as_str()));
        }
        assert!(RobotKind::parse("email").is_err());
    }
}
