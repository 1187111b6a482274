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
