//! The home page of each role at scale (issue 16 item 6). Usage:
//!
//! ```sh
//! cargo run --release -p liaison-app --example home_bench -- DATABASE_URL PARTNERS [ROUNDS]
//! ```
//!
//! The demo company and its whole history (requests, tickets, figures, meetings, incidents),
//! then PARTNERS load-test partners (two contacts each); then, for each demo login, ROUNDS
//! (default 50) calls of `liaison_app::home::dashboard` after one warm-up: prints the median,
//! the 99th percentile and the largest time, and how many sections and items the page held.

use liaison_core::SystemClock;
use liaison_core::partner::Lang;
use liaison_db::Db;
use std::sync::Arc;
use std::time::Instant;

type R<T> = Result<T, Box<dyn std::error::Error>>;

const ROLES: [&str; 7] = [
    "channel@demo.example",
    "head@demo.example",
    "staff@demo.example",
    "exec@demo.example",
    "admin@demo.example",
    "p1@demo.example",
    "p2@demo.example",
];

#[tokio::main]
async fn main() -> R<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: home_bench DATABASE_URL PARTNERS [ROUNDS]";
    let url = args.next().ok_or(usage)?;
    let partners: usize = args.next().ok_or(usage)?.parse()?;
    let rounds: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(50);
    let cipher =
        liaison_db::crypto::Cipher::from_text(&liaison_db::crypto::Cipher::generate_text()?)?;
    let db = Db::connect(&url, Arc::new(SystemClock))
        .await?
        .with_cipher(cipher);
    db.migrate().await?;
    let started = Instant::now();
    // The history first (its messages go to the demo company's partners), then the load-test
    // partners, so every query a home page makes runs over PARTNERS partners.
    liaison_demo::load(&db, 0, &|_| {}).await?;
    liaison_demo::history(&db).await?;
    liaison_demo::load(&db, partners, &|_| {}).await?;
    println!(
        "demo with {partners} load-test partners and its history: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if std::env::var_os("HOME_BENCH_PARTS").is_some() {
        parts(&db).await?;
    }
    println!("role | median ms | p99 ms | max ms | sections | items");
    for email in ROLES {
        let actor = liaison_db::user::find_user_by_email(&db, email)
            .await?
            .ok_or("demo user missing")?
            .actor();
        let home = liaison_app::home::dashboard(&db, &actor, Lang::ZhCn).await?;
        let items: usize = home.sections.iter().map(|s| s.items.len()).sum();
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let t = Instant::now();
            liaison_app::home::dashboard(&db, &actor, Lang::ZhCn).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
        println!(
            "{email} | {:.1} | {:.1} | {:.1} | {} | {items}",
            at(0.5),
            at(0.99),
            times[times.len() - 1],
            home.sections.len()
        );
    }
    Ok(())
}

/// With `HOME_BENCH_PARTS` set: what each of channel management's lists costs, once warm.
async fn parts(db: &Db) -> R<()> {
    use liaison_app::tickets::{Queue, list, queue_filter};
    let a = liaison_db::user::find_user_by_email(db, "channel@demo.example")
        .await?
        .ok_or("demo user missing")?
        .actor();
    for round in 0..2 {
        let mut times = Vec::new();
        let t = Instant::now();
        liaison_app::data::overdue_page(db, &a, Some(10)).await?;
        times.push(("overdue_page", t.elapsed()));
        let t = Instant::now();
        liaison_app::data::anomalies(db, &a, &Default::default(), 50).await?;
        times.push(("anomalies", t.elapsed()));
        let t = Instant::now();
        let f = queue_filter(db, &a, Queue::BreachingSoon).await?;
        list(db, &a, &f, None, 50).await?;
        times.push(("tickets_breaching", t.elapsed()));
        let t = Instant::now();
        liaison_app::meetings::cadence(db, &a, 2026).await?;
        times.push(("cadence", t.elapsed()));
        let t = Instant::now();
        liaison_app::meetings::tasks(db, &a, None, false).await?;
        times.push(("tasks", t.elapsed()));
        let t = Instant::now();
        liaison_app::request::list(db, &a, liaison_db::request::RequestView::ToReview, None, 50)
            .await?;
        times.push(("to_review", t.elapsed()));
        if round == 1 {
            for (k, d) in times {
                println!("  {k}: {:.1} ms", d.as_secs_f64() * 1000.0);
            }
        }
    }
    Ok(())
}
