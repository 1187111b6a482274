//! Meetings benchmarks (issue 14). Usage:
//!
//! ```sh
//! /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:2525 -c aiosmtpd.handlers.Sink &  # Debian python3-aiosmtpd
//! cargo run --release -p liaison-worker --example meetings_bench -- sqlite:///tmp/mb/liaison.db invite 5000 smtp://127.0.0.1:2525
//! cargo run --release -p liaison-worker --example meetings_bench -- sqlite:///tmp/mb/liaison.db cadence 5
//! ```
//!
//! - `invite N SMTP_URL`: the demo company plus N load-test partners (two contacts each), one
//!   partner conference inviting every partner; times the invitation (one transaction: the
//!   attendees and one job per person), then the worker draining every invitation (an e-mail
//!   with its own `text/calendar` part) to the SMTP server, and prints mails per second.
//! - `cadence YEARS`: YEARS years of regular meetings (a conference, four quarterly and twelve
//!   monthly meetings a year, plus three ad hoc a month) before this year, then times
//!   `liaison_app::meetings::cadence` for each of those years (the view's work).

use liaison_app::meetings::{self as app, MeetingInput};
use liaison_core::{Actor, SystemClock};
use liaison_db::meetings::Invitees;
use liaison_db::{Db, q};
use std::sync::Arc;
use std::time::Instant;

type R<T> = Result<T, Box<dyn std::error::Error>>;

async fn actor(db: &Db, email: &str) -> R<Actor> {
    let users = liaison_db::user::list_users(db).await?;
    Ok(users
        .iter()
        .find(|u| u.email == email)
        .ok_or("demo user missing")?
        .actor())
}

#[tokio::main]
async fn main() -> R<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: meetings_bench DATABASE_URL invite N SMTP_URL | cadence YEARS";
    let (Some(url), Some(cmd), Some(n)) = (args.first(), args.get(1), args.get(2)) else {
        return Err(usage.into());
    };
    let n: usize = n.parse()?;
    let key = liaison_db::crypto::Cipher::generate_text()?;
    let db = Db::connect(url, Arc::new(SystemClock))
        .await?
        .with_cipher(liaison_db::crypto::Cipher::from_text(&key)?);
    db.migrate().await?;
    let started = Instant::now();
    liaison_demo::load(&db, if cmd == "invite" { n } else { 0 }, &|_| {}).await?;
    eprintln!("setup: {:.1} s", started.elapsed().as_secs_f64());
    let channel = actor(&db, "channel@demo.example").await?;
    match cmd.as_str() {
        "invite" => {
            let smtp = args.get(3).ok_or(usage)?;
            let partners: Vec<uuid::Uuid> = db.fetch_all(q("SELECT id FROM partners")).await?;
            let starts = (chrono::Utc::now() + chrono::Duration::days(45))
                .format("%Y-%m-%dT13:30")
                .to_string();
            let ends = (chrono::Utc::now() + chrono::Duration::days(45))
                .format("%Y-%m-%dT17:30")
                .to_string();
            let t = Instant::now();
            let m = app::create(
                &db,
                &channel,
                &MeetingInput {
                    kind: Some("partner_conference".into()),
                    title: Some("合作伙伴大会".into()),
                    starts_at: Some(starts),
                    ends_at: Some(ends),
                    place: Some("上海国际会议中心".into()),
                    agenda: Some("1. 年度政策\n2. 新品路线图\n3. 颁奖".into()),
                    invitees: Some(Invitees {
                        partners,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )
            .await?;
            let planned = t.elapsed();
            let t = Instant::now();
            app::invite(&db, &channel, m.id).await?;
            let invited = t.elapsed();
            let jobs: i64 = db
                .fetch_one(q(
                    "SELECT COUNT(*) FROM jobs WHERE kind = 'invite' AND state = 'queued'",
                ))
                .await?;
            println!(
                "planned with {} attendees in {:.2} s; invited ({jobs} mails queued) in {:.2} s",
                liaison_db::meetings::list_attendees(&db, m.id, false)
                    .await?
                    .len(),
                planned.as_secs_f64(),
                invited.as_secs_f64()
            );
            let mailer =
                liaison_channels::email::Mailer::new(smtp, "Liaison <noreply@liaison.test>")?;
            let worker = liaison_worker::Worker::new(
                db.clone(),
                liaison_worker::WorkerConfig {
                    id: "bench".into(),
                    public_url: "http://liaison.test".into(),
                    ..Default::default()
                },
                liaison_worker::Transport::live(Some(mailer)),
            );
            let t = Instant::now();
            let pass = worker
                .drain()
                .await
                .map_err(|e| -> Box<dyn std::error::Error> { e.to_string().into() })?;
            let secs = t.elapsed().as_secs_f64();
            let left: i64 = db
                .fetch_one(q(
                    "SELECT COUNT(*) FROM jobs WHERE kind = 'invite' AND state <> 'done'",
                ))
                .await?;
            println!(
                "drained {} jobs in {secs:.1} s: {:.0} mails/s; not done: {left}",
                pass.jobs,
                pass.jobs as f64 / secs
            );
        }
        "cadence" => {
            use chrono::Datelike;
            let this = chrono::Utc::now().year();
            let sh = liaison_db::partner::resolve_partner_ref(&db, "SH-D001")
                .await?
                .ok_or("SH-D001")?;
            let t = Instant::now();
            let mut made = 0;
            for y in (this - n as i32)..this {
                for m in 1..=12u32 {
                    let mut kinds = vec!["monthly", "ad_hoc", "ad_hoc", "ad_hoc"];
                    if m % 3 == 0 {
                        kinds.push("quarterly");
                    }
                    if m == 4 {
                        kinds.push("partner_conference");
                    }
                    for (i, k) in kinds.iter().enumerate() {
                        let day = 3 + i as u32 * 5;
                        let input = MeetingInput {
                            kind: Some((*k).into()),
                            title: Some(format!("{y}-{m:02} {k}")),
                            starts_at: Some(format!("{y}-{m:02}-{day:02}T10:00")),
                            ends_at: Some(format!("{y}-{m:02}-{day:02}T11:00")),
                            invitees: Some(Invitees {
                                partners: vec![sh],
                                ..Default::default()
                            }),
                            ..Default::default()
                        };
                        app::create(&db, &channel, &input).await?;
                        made += 1;
                    }
                }
            }
            println!(
                "{made} meetings over {n} years written in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            let mut times = Vec::new();
            for _ in 0..20 {
                for y in (this - n as i32)..=this {
                    let t = Instant::now();
                    let rows = app::cadence(&db, &channel, y).await?;
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                    assert_eq!(rows.len(), 17);
                }
            }
            times.sort_by(|a, b| a.total_cmp(b));
            let pct = |p: f64| times[((times.len() as f64 - 1.0) * p) as usize];
            println!(
                "cadence of one year, {} reads: median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                times.len(),
                pct(0.5),
                pct(0.99),
                pct(1.0)
            );
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}
