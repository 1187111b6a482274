//! The soak (SPEC R8, issue 10): a mixed load held for many minutes at half the measured
//! capacity, to show that nothing degrades with time. Run by `scripts/soak.sh MINUTES`, which
//! starts a release server with the demo data and its worker; this program then
//!
//! 1. sets up 30 partners, each with a contact who prefers WeCom and a WeCom robot pointing at
//!    a local receiver that answers like WeCom;
//! 2. fills p1's inbox to a whole page, measures the capacity of the read mix (inbox, search, confirmations) for 15 s with 32
//!    connections, and takes half of it as the rate;
//! 3. holds that rate open-loop for MINUTES, mixing inbox reads (p1), search (channel
//!    management), confirmations (p1 confirms the messages it received) and, once a second, the
//!    whole request flow (staff drafts to a soak partner, and every tenth time also to 刘洋 of
//!    p1's partner, submits, the department head and channel management approve, the worker
//!    posts to the robot);
//! 4. prints per minute: operations, 5xx, other failures, p99 in ms (all, and by kind), the
//!    server's RSS in MiB, the database file's size (`SOAK_DB`) and the robot posts received; then the totals and the verdict: 0 errors, p99 drift at
//!    most 1.2× and RSS within ±10 % after warm-up.
//!
//! Usage: `soak BASE_URL SERVER_PID MINUTES [RATE]` (RATE skips the capacity run).

use axum::body::Bytes;
use axum::http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Http = Client<HttpConnector, Full<Bytes>>;

const SOAK_PARTNERS: usize = 30;
const WARM_UP_MINUTES: usize = 1;
const INBOX: usize = 0;
const SEARCH: usize = 1;
const ACK: usize = 2;
const FLOW: usize = 3;

#[derive(Clone)]
struct Ctx {
    http: Http,
    base: String,
    p1: String,
    channel: String,
    staff: String,
    head: String,
    liu: String,
    partners: Arc<Vec<String>>,
    messages: Arc<Mutex<Vec<String>>>,
}

/// What one minute saw.
#[derive(Default)]
struct Minute {
    latencies_us: Vec<u64>,
    /// The same, by kind: inbox, search, confirmation, request flow step.
    by_kind: [Vec<u64>; 4],
    server_errors: u64,
    other_errors: u64,
}

struct Stats {
    minute: Mutex<Minute>,
    total_ops: AtomicU64,
    total_5xx: AtomicU64,
    total_other: AtomicU64,
    overload: AtomicU64,
}

impl Stats {
    fn record(&self, kind: usize, started: Instant, status: Result<StatusCode, String>) {
        let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.total_ops.fetch_add(1, Ordering::Relaxed);
        let Ok(mut m) = self.minute.lock() else {
            return;
        };
        m.latencies_us.push(us);
        if let Some(k) = m.by_kind.get_mut(kind) {
            k.push(us);
        }
        match status {
            Ok(s) if s.is_server_error() => {
                m.server_errors += 1;
                self.total_5xx.fetch_add(1, Ordering::Relaxed);
            }
            Ok(s) if s.is_success() => {}
            Ok(s) => {
                m.other_errors += 1;
                self.total_other.fetch_add(1, Ordering::Relaxed);
                eprintln!("unexpected status {s}");
            }
            Err(e) => {
                m.other_errors += 1;
                self.total_other.fetch_add(1, Ordering::Relaxed);
                eprintln!("request failed: {e}");
            }
        }
    }
}

async fn call(
    ctx: &Ctx,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Result<(StatusCode, Value), String> {
    let mut req = Request::builder()
        .method(method)
        .uri(format!("{}{path}", ctx.base));
    if !token.is_empty() {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    let bytes = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            Bytes::from(b.to_string())
        }
        None => Bytes::new(),
    };
    let req = req.body(Full::new(bytes)).map_err(|e| e.to_string())?;
    let resp = ctx.http.request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Ok((status, value))
}

async fn must(ctx: &Ctx, method: Method, path: &str, token: &str, body: Option<Value>) -> Value {
    match call(ctx, method.clone(), path, token, body).await {
        Ok((s, v)) if s.is_success() => v,
        Ok((s, v)) => panic!("{method} {path}: {s} {v}"),
        Err(e) => panic!("{method} {path}: {e}"),
    }
}

async fn login(ctx: &Ctx, email: &str) -> String {
    let v = must(
        ctx,
        Method::POST,
        "/api/v1/auth/login",
        "",
        Some(json!({"email": email, "password": "liaison-demo"})),
    )
    .await;
    v["token"].as_str().unwrap_or_default().to_string()
}

/// A local robot receiver that answers like WeCom and counts what it gets.
async fn receiver(posts: Arc<AtomicU64>) -> std::io::Result<u16> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let app = axum::Router::new().route(
        "/cgi-bin/webhook/send",
        axum::routing::post(move || {
            let posts = posts.clone();
            async move {
                posts.fetch_add(1, Ordering::Relaxed);
                axum::Json(json!({"errcode": 0, "errmsg": "ok"}))
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(port)
}

async fn setup(ctx: &mut Ctx, robot_port: u16) {
    let stamp = chrono::Utc::now().format("%H%M%S");
    let mut partners = Vec::new();
    for k in 0..SOAK_PARTNERS {
        let p = must(
            ctx,
            Method::POST,
            "/api/v1/partners",
            &ctx.channel,
            Some(
                json!({"code": format!("SOAK{stamp}-{k:02}"), "name": format!("耐久测试伙伴 {k}"),
                        "kind": "distributor", "region": "华东", "tier": "B"}),
            ),
        )
        .await;
        let id = p["id"].as_str().unwrap_or_default().to_string();
        must(
            ctx,
            Method::POST,
            &format!("/api/v1/partners/{id}/contacts"),
            &ctx.channel,
            Some(
                json!({"name": format!("耐久联系人 {k}"), "email": format!("soak{k}@soak.example"),
                        "preferred_channels": ["portal", "wecom"]}),
            ),
        )
        .await;
        must(
            ctx,
            Method::POST,
            &format!("/api/v1/partners/{id}/robots"),
            &ctx.channel,
            Some(json!({"kind": "wecom",
                        "url": format!("http://127.0.0.1:{robot_port}/cgi-bin/webhook/send?key=soak{k}")})),
        )
        .await;
        partners.push(id);
    }
    ctx.partners = Arc::new(partners);
    // p1 is 刘洋, a contact of SH-D001: the flow's messages reach p1's inbox to confirm.
    let me = must(ctx, Method::GET, "/api/v1/me", &ctx.p1, None).await;
    ctx.liu = me["user"]["contact_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!ctx.liu.is_empty(), "p1 is linked to a contact: {me}");
}

/// One request through the whole review to dispatch; the message goes to p1's list to confirm.
/// Urgent, so the worker posts it at once rather than in the partners' working hours (§5.3.2).
async fn flow(ctx: &Ctx, stats: &Stats, n: u64) {
    let partner = &ctx.partners[(n as usize) % ctx.partners.len()];
    let due = (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339();
    // Every tenth message also reaches 刘洋 (p1) to confirm: a partner gets a few messages a
    // day, not one a second, and the soak is about time, not one inbox's growth.
    let audience = if n.is_multiple_of(10) {
        json!({"partners": [partner], "contacts": [ctx.liu]})
    } else {
        json!({"partners": [partner]})
    };
    let t = Instant::now();
    let created = call(
        ctx,
        Method::POST,
        "/api/v1/requests",
        &ctx.staff,
        Some(
            json!({"title": format!("耐久测试通知 {n}"), "purpose": "告知渠道伙伴",
                    "body": "请各位伙伴知悉并确认。", "channels": ["portal", "wecom"],
                    "ack_required": true, "ack_due_at": due, "urgency": "urgent",
                    "audience": audience}),
        ),
    )
    .await;
    let id = match &created {
        Ok((s, v)) if s.is_success() => v["id"].as_str().unwrap_or_default().to_string(),
        _ => String::new(),
    };
    stats.record(FLOW, t, created.map(|(s, _)| s));
    if id.is_empty() {
        return;
    }
    let mut message = None;
    for (path, token) in [
        ("submit", &ctx.staff),
        ("approve", &ctx.head),
        ("approve", &ctx.channel),
    ] {
        let t = Instant::now();
        let r = call(
            ctx,
            Method::POST,
            &format!("/api/v1/requests/{id}/{path}"),
            token,
            None,
        )
        .await;
        let ok = matches!(&r, Ok((s, _)) if s.is_success());
        if let Ok((_, v)) = &r {
            message = v["message_id"].as_str().map(String::from);
        }
        stats.record(FLOW, t, r.map(|(s, _)| s));
        if !ok {
            return;
        }
    }
    if !n.is_multiple_of(10) {
        return;
    }
    if let (Some(m), Ok(mut list)) = (message, ctx.messages.lock()) {
        list.push(m);
    }
}

/// One read-mix operation: inbox 6, search 2, confirmation 2 in 10.
async fn read_op(ctx: &Ctx, stats: &Stats, n: u64) {
    let t = Instant::now();
    let r = match n % 10 {
        0..=5 => call(ctx, Method::GET, "/api/v1/inbox", &ctx.p1, None).await,
        6 | 7 => {
            let q = ["%E8%8B%8F%E5%B7%9E", "%E8%BF%94%E5%88%A9", "SH-D", "notice"]
                [(n / 10 % 4) as usize];
            call(
                ctx,
                Method::GET,
                &format!("/api/v1/search?q={q}"),
                &ctx.channel,
                None,
            )
            .await
        }
        _ => {
            let m = ctx
                .messages
                .lock()
                .ok()
                .and_then(|l| (!l.is_empty()).then(|| l[(n as usize / 10) % l.len()].clone()));
            match m {
                Some(m) => {
                    call(
                        ctx,
                        Method::POST,
                        &format!("/api/v1/inbox/{m}/ack"),
                        &ctx.p1,
                        None,
                    )
                    .await
                }
                None => call(ctx, Method::GET, "/api/v1/inbox", &ctx.p1, None).await,
            }
        }
    };
    let kind = match n % 10 {
        0..=5 => INBOX,
        6 | 7 => SEARCH,
        _ => ACK,
    };
    stats.record(kind, t, r.map(|(s, _)| s));
}

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|k| k.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn p99_ms(mut v: Vec<u64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable();
    let i = ((v.len() as f64) * 0.99).ceil() as usize;
    v[i.clamp(1, v.len()) - 1] as f64 / 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn new_stats() -> Arc<Stats> {
    Arc::new(Stats {
        minute: Mutex::new(Minute::default()),
        total_ops: AtomicU64::new(0),
        total_5xx: AtomicU64::new(0),
        total_other: AtomicU64::new(0),
        overload: AtomicU64::new(0),
    })
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(base), Some(pid), Some(minutes)) = (
        args.get(1).cloned(),
        args.get(2).and_then(|p| p.parse::<u32>().ok()),
        args.get(3).and_then(|m| m.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: soak BASE_URL SERVER_PID MINUTES [RATE]");
        std::process::exit(2);
    };
    let fixed_rate = args.get(4).and_then(|r| r.parse::<f64>().ok());
    // The database file, to print its size beside the RSS (SQLite's page cache grows with it).
    let db_file = std::env::var("SOAK_DB").ok();
    // Request flows a second (default 1): more makes the data grow faster, to see in minutes
    // what an hour's growth does.
    let flows_per_s = std::env::var("SOAK_FLOWS")
        .ok()
        .and_then(|f| f.parse::<f64>().ok())
        .filter(|f| *f > 0.0)
        .unwrap_or(1.0);
    let http: Http = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(256)
        .build_http();
    let mut ctx = Ctx {
        http,
        base,
        p1: String::new(),
        channel: String::new(),
        staff: String::new(),
        head: String::new(),
        liu: String::new(),
        partners: Arc::new(Vec::new()),
        messages: Arc::new(Mutex::new(Vec::new())),
    };
    ctx.p1 = login(&ctx, "p1@demo.example").await;
    ctx.channel = login(&ctx, "channel@demo.example").await;
    ctx.staff = login(&ctx, "staff@demo.example").await;
    ctx.head = login(&ctx, "head@demo.example").await;
    let posts = Arc::new(AtomicU64::new(0));
    let port = match receiver(posts.clone()).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot start the robot receiver: {e}");
            std::process::exit(1);
        }
    };
    setup(&mut ctx, port).await;
    // p1's inbox filled to a whole page (50) before the capacity run: an inbox read costs more
    // with every message on its page, so measuring with a short page and soaking with a full
    // one would load the server past half its capacity as the page fills.
    let warm = new_stats();
    for n in 0..50 {
        flow(&ctx, &warm, n * 10).await;
    }

    let rate = match fixed_rate {
        Some(r) => r,
        None => {
            let stats = new_stats();
            let until = Instant::now() + Duration::from_secs(15);
            let counter = Arc::new(AtomicU64::new(0));
            let mut tasks = Vec::new();
            for _ in 0..32 {
                let (ctx, stats, counter) = (ctx.clone(), stats.clone(), counter.clone());
                tasks.push(tokio::spawn(async move {
                    while Instant::now() < until {
                        let n = counter.fetch_add(1, Ordering::Relaxed);
                        read_op(&ctx, &stats, n).await;
                    }
                }));
            }
            for t in tasks {
                let _ = t.await;
            }
            let capacity = stats.total_ops.load(Ordering::Relaxed) as f64 / 15.0;
            println!("capacity (read mix, 32 connections, 15 s): {capacity:.0} ops/s");
            capacity / 2.0
        }
    };
    println!(
        "rate: {rate:.0} ops/s of the read mix and {flows_per_s} request flow/s, for {minutes} min"
    );
    println!(
        "minute    ops    5xx  other  p99_ms  inbox search    ack   flow  rss_mib db_mib wal_mib  robot_posts  overload"
    );

    let stats = new_stats();
    let started = Instant::now();
    let in_flight = Arc::new(tokio::sync::Semaphore::new(512));
    let reader = {
        let (ctx, stats, in_flight) = (ctx.clone(), stats.clone(), in_flight.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut n = 0u64;
            loop {
                tick.tick().await;
                n += 1;
                let Ok(permit) = in_flight.clone().try_acquire_owned() else {
                    stats.overload.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let (ctx, stats) = (ctx.clone(), stats.clone());
                tokio::spawn(async move {
                    read_op(&ctx, &stats, n).await;
                    drop(permit);
                });
            }
        })
    };
    let flows = {
        let (ctx, stats) = (ctx.clone(), stats.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / flows_per_s));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut n = 100u64;
            loop {
                tick.tick().await;
                n += 1;
                let (ctx, stats) = (ctx.clone(), stats.clone());
                tokio::spawn(async move { flow(&ctx, &stats, n).await });
            }
        })
    };

    let mut rows: Vec<(f64, f64)> = Vec::new();
    for minute in 1..=minutes {
        let next = started + Duration::from_secs(60 * minute as u64);
        tokio::time::sleep_until(next.into()).await;
        let m = match stats.minute.lock() {
            Ok(mut g) => std::mem::take(&mut *g),
            Err(_) => Minute::default(),
        };
        let ops = m.latencies_us.len();
        let p99 = p99_ms(m.latencies_us);
        let rss = rss_mib(pid);
        let kinds: Vec<String> = m
            .by_kind
            .into_iter()
            .map(|k| format!("{:>6.1}", p99_ms(k)))
            .collect();
        let size = |suffix: &str| {
            db_file
                .as_deref()
                .and_then(|f| std::fs::metadata(format!("{f}{suffix}")).ok())
                .map_or(0.0, |m| m.len() as f64 / 1048576.0)
        };
        let (db_mib, wal_mib) = (size(""), size("-wal"));
        rows.push((p99, rss));
        println!(
            "{minute:>6} {ops:>6} {:>6} {:>6} {p99:>7.1} {} {rss:>8.1} {db_mib:>6.1} {wal_mib:>7.1} {:>12} {:>9}",
            m.server_errors,
            m.other_errors,
            kinds.join(" "),
            posts.load(Ordering::Relaxed),
            stats.overload.load(Ordering::Relaxed),
        );
    }
    reader.abort();
    flows.abort();

    let total_5xx = stats.total_5xx.load(Ordering::Relaxed);
    let total_other = stats.total_other.load(Ordering::Relaxed);
    let after: Vec<(f64, f64)> = rows.iter().skip(WARM_UP_MINUTES).copied().collect();
    let window = after.len().clamp(1, 5);
    let early = median(after.iter().take(window).map(|r| r.0).collect());
    let late = median(after.iter().rev().take(window).map(|r| r.0).collect());
    let drift = if early > 0.0 { late / early } else { 0.0 };
    let rss_first = after.first().map_or(0.0, |r| r.1);
    let rss_last = after.last().map_or(0.0, |r| r.1);
    let rss_change = if rss_first > 0.0 {
        (rss_last - rss_first) / rss_first * 100.0
    } else {
        0.0
    };
    let sent = ctx.messages.lock().map_or(0, |l| l.len());
    println!(
        "total: {} ops, {total_5xx} 5xx, {total_other} other failures, {} shed (client at 512 in flight)",
        stats.total_ops.load(Ordering::Relaxed),
        stats.overload.load(Ordering::Relaxed)
    );
    println!(
        "dispatched {sent} requests; the robot receiver got {} posts",
        posts.load(Ordering::Relaxed)
    );
    println!(
        "p99 drift (median of the last {window} min / of the first {window} after warm-up): {early:.1} ms -> {late:.1} ms = {drift:.2}x"
    );
    println!("RSS after warm-up: {rss_first:.1} MiB -> {rss_last:.1} MiB ({rss_change:+.1} %)");
    let pass = total_5xx == 0 && total_other == 0 && drift <= 1.2 && rss_change.abs() <= 10.0;
    println!("verdict: {}", if pass { "PASS" } else { "FAIL" });
    if !pass {
        std::process::exit(1);
    }
}
