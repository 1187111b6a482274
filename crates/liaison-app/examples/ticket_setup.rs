//! Benchmark data for problem tickets (issue 12). Usage (on a demo database: `liaison demo`):
//!
//! ```sh
//! cargo run --release -p liaison-app --example ticket_setup -- sqlite://./liaison-data/liaison.db 10000
//! cargo run --release -p liaison-app --example ticket_setup -- sqlite://./r/liaison.db 1000 --copies 100
//! ```
//!
//! Raises N tickets through `liaison_app::tickets::create` (p1, p2 and channel management on
//! the demo partners' behalf, every kind and priority, products from the catalogue), answers
//! two in three and resolves half with a root cause (a third of those rated), timing each
//! operation. `--copies K` then copies every ticket K-1 more times in SQL (new ids, times moved
//! back a day per copy; SQLite only) for the root-cause report over many tickets, and times
//! `report` over the whole range.

use liaison_app::tickets::{self as app, RateInput, ReplyInput, ResolveInput, TicketInput};
use liaison_core::tickets::TicketVia;
use liaison_core::{Actor, SystemClock};
use liaison_db::{Backend, Db, q};
use std::sync::Arc;
use std::time::Instant;

async fn actor(db: &Db, email: &str) -> Result<Actor, Box<dyn std::error::Error>> {
    let users = liaison_db::user::list_users(db).await?;
    Ok(users
        .iter()
        .find(|u| u.email == email)
        .ok_or("demo user missing: run `liaison demo` first")?
        .actor())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .ok_or("usage: ticket_setup DATABASE_URL N [--copies K]")?;
    let n: usize = args
        .get(2)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000);
    let copies: usize = match args.iter().position(|a| a == "--copies") {
        Some(i) => args.get(i + 1).ok_or("--copies K")?.parse()?,
        None => 1,
    };
    let db = Db::connect(url, Arc::new(SystemClock)).await?;
    db.migrate().await?;
    liaison_demo::load(&db, 0, &|_| {}).await?;
    let p1 = actor(&db, "p1@demo.example").await?;
    let p2 = actor(&db, "p2@demo.example").await?;
    let channel = actor(&db, "channel@demo.example").await?;
    let mut partners: Vec<uuid::Uuid> = Vec::new();
    for code in [
        "GZ-D003", "CD-D004", "WH-D005", "HZ-D008", "NJ-D009", "SZ-A001", "EC-001", "ST-001",
    ] {
        partners.extend(liaison_db::partner::resolve_partner_ref(&db, code).await?);
    }
    let products: Vec<uuid::Uuid> = liaison_db::product::list_products(&db, &Default::default())
        .await?
        .into_iter()
        .filter(|p| p.code != "LX-HMI7")
        .map(|p| p.id)
        .collect();
    let kinds = [
        "product_quality",
        "marketing",
        "customer_complaint",
        "other",
    ];
    let priorities = ["normal", "high", "normal", "low", "urgent", "normal"];
    let causes = [
        "product_defect",
        "documentation",
        "logistics",
        "pricing",
        "training",
    ];
    let (mut create_ms, mut answer_ms, mut resolve_ms) = (Vec::new(), Vec::new(), Vec::new());
    let started = Instant::now();
    for i in 0..n {
        let (who, partner) = match i % 3 {
            0 => (&p1, None),
            1 => (&p2, None),
            _ => (&channel, partners.get(i % partners.len().max(1)).copied()),
        };
        let kind = kinds[i % kinds.len()];
        let input = TicketInput {
            kind: Some(kind.into()),
            priority: Some(priorities[i % priorities.len()].into()),
            subject: Some(format!("基准工单 {i}：客户现场设备报警")),
            description: Some("客户现场设备连续运行后报过热故障，请协助分析原因。".into()),
            product_id: (kind == "product_quality").then(|| products[i % products.len()]),
            partner_id: partner,
            via: partner.map(|_| "phone".to_string()),
            ..Default::default()
        };
        let t0 = Instant::now();
        let t = app::create(&db, who, &input, Vec::new(), TicketVia::Api).await?;
        create_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        if i % 3 != 2 {
            let t0 = Instant::now();
            app::reply(
                &db,
                &channel,
                t.id,
                &ReplyInput {
                    body: Some("已收到，正在处理。".into()),
                    ..Default::default()
                },
                Vec::new(),
                TicketVia::Api,
            )
            .await?;
            answer_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        }
        if i % 2 == 0 {
            let t0 = Instant::now();
            app::resolve(
                &db,
                &channel,
                t.id,
                &ResolveInput {
                    resolution: Some("已更换部件并补充说明。".into()),
                    root_cause: Some(causes[i % causes.len()].into()),
                },
            )
            .await?;
            resolve_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
            if i % 3 == 0 && i % 6 == 0 {
                app::rate(
                    &db,
                    &p1,
                    t.id,
                    &RateInput {
                        score: Some(3 + (i % 3) as i64),
                        comment: None,
                    },
                )
                .await?;
            }
        }
    }
    println!(
        "{n} tickets in {:.1} s: create median {:.2} ms, answer median {:.2} ms, resolve median {:.2} ms",
        started.elapsed().as_secs_f64(),
        median(create_ms),
        median(answer_ms),
        median(resolve_ms)
    );
    if copies > 1 {
        if db.backend() != Backend::Sqlite {
            return Err("--copies copies rows with SQLite's SQL only".into());
        }
        let t0 = Instant::now();
        for k in 1..copies {
            let mut tx = db.begin().await?;
            tx.execute(
                q("INSERT INTO tickets (id, partner_id, raised_by, via, kind, priority, product_id, product_text,
                      subject, description, classification, state, department_id, assignee_id, first_response_at,
                      first_response_due_at, resolution_due_at, paused_at, paused_minutes, warned_first,
                      warned_resolution, resolved_at, resolution, root_cause, closed_at, rating, rating_comment,
                      rated_at, reopen_count, merged_into, version, created_at, updated_at)
                   SELECT randomblob(16), partner_id, raised_by, via, kind, priority, product_id, product_text,
                      subject, description, classification, state, department_id, assignee_id, first_response_at,
                      NULL, NULL, paused_at, paused_minutes, warned_first, warned_resolution,
                      strftime('%Y-%m-%dT%H:%M:%fZ', resolved_at, $1), resolution, root_cause, closed_at, rating,
                      rating_comment, rated_at, reopen_count, NULL, version,
                      strftime('%Y-%m-%dT%H:%M:%fZ', created_at, $1), updated_at
                   FROM tickets WHERE created_at >= $2")
                .bind(format!("-{k} days"))
                .bind(db.now() - chrono::Duration::hours(12)),
            )
            .await?;
            tx.commit().await?;
        }
        let total: i64 = db.fetch_one(q("SELECT COUNT(*) FROM tickets")).await?;
        println!(
            "copied to {total} tickets in {:.1} s",
            t0.elapsed().as_secs_f64()
        );
    }
    let now = db.now();
    let from = now - chrono::Duration::days(copies as i64 + 2);
    let mut times = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        let r = app::report(&db, &channel, from, now).await?;
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
        if times.len() == 1 {
            println!(
                "report over {} tickets ({} rated, {} recurrences)",
                r.totals.raised,
                r.totals.rated,
                r.recurrences.len()
            );
        }
    }
    println!(
        "report: median {:.1} ms of 5 runs {:?}",
        median(times.clone()),
        times
    );
    Ok(())
}
