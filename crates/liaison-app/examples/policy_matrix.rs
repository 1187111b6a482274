//! Benchmark (issue 11): the acknowledgement matrix of one policy sent to every partner of a
//! large demo (`liaison demo --partners 100000`), in three versions. Usage:
//!
//! ```sh
//! cargo run --release -p liaison-app --example policy_matrix -- sqlite://./liaison-data/liaison.db
//! ```
//!
//! It creates a policy for all partners and publishes three versions through the review chain
//! (each dispatch writes a delivery per contact), marks a third of the partners as having
//! acknowledged version 1 and a sixth version 2, then times the matrix: the totals per version
//! with the first page of 50 partners (what the console page and the API compute), a later
//! page, and pages served back to back by 16 concurrent callers for 5 seconds.

use liaison_app::policies as lib;
use liaison_core::policies::{PolicyInput, VersionInput};
use liaison_core::request::Audience;
use liaison_core::review::Decision;
use liaison_core::{Actor, SystemClock};
use liaison_db::{Db, q};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn actor(db: &Db, email: &str) -> Result<Actor, Box<dyn std::error::Error>> {
    let users = liaison_db::user::list_users(db).await?;
    let user = users
        .iter()
        .find(|u| u.email == email)
        .ok_or("demo user missing: run `liaison demo --partners 100000` first")?;
    Ok(user.actor())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: policy_matrix DATABASE_URL")?;
    let db = Db::connect(&url, Arc::new(SystemClock)).await?;
    db.migrate().await?;
    let staff = actor(&db, "staff@demo.example").await?;
    let head = actor(&db, "head@demo.example").await?;
    let channel = actor(&db, "channel@demo.example").await?;
    let partners: i64 = db
        .fetch_one(q("SELECT COUNT(*) FROM partners WHERE status = 'active'"))
        .await?;
    let policy = lib::create(
        &db,
        &staff,
        &PolicyInput {
            kind: Some("sales".into()),
            title: Some(format!("基准测试政策 {}", uuid::Uuid::now_v7())),
            audience: Some(Audience {
                all: true,
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await?;
    let started = Instant::now();
    for n in 1..=3 {
        let v = lib::create_version(
            &db,
            &staff,
            policy.id,
            &VersionInput {
                body: Some(format!("第一条 返利比例为 {n}%。\n\n第二条 按季度结算。")),
                effective_at: Some(db.now() + chrono::Duration::days(40)),
                change_reason: (n > 1).then(|| "调整".to_string()),
                impact: (n > 1).then(|| "返利变化".to_string()),
                important: Some(true),
                ack_due_at: None,
                classification: None,
            },
        )
        .await?;
        let rid = v.request_id.ok_or("no request")?;
        liaison_app::request::submit(&db, &staff, rid.into()).await?;
        liaison_app::request::decide(&db, &head, rid.into(), Decision::Approve, "").await?;
        liaison_app::request::decide(&db, &channel, rid.into(), Decision::Approve, "").await?;
    }
    println!(
        "published 3 versions to {partners} partners in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Confirmations, written directly: every third partner confirmed v1, every sixth v2.
    let view = lib::get(&db, &staff, policy.id).await?;
    for (n, every) in [(1usize, 3i64), (2, 6)] {
        let m = view.versions[n - 1].message_id.ok_or("not sent")?;
        let mut tx = db.begin().await?;
        tx.execute(
            q("UPDATE deliveries SET acked_at = created_at WHERE message_id = $1 AND partner_id IN
                (SELECT id FROM partners WHERE code LIKE 'GEN-%' AND CAST(SUBSTR(code, 5) AS INTEGER) % $2 = 0)")
            .bind(m)
            .bind(every),
        )
        .await?;
        tx.commit().await?;
    }
    let mut first = Vec::new();
    for _ in 0..15 {
        let t = Instant::now();
        let m = lib::matrix(&db, &channel, policy.id, None, 50).await?;
        first.push(t.elapsed().as_secs_f64() * 1000.0);
        if m.rows.len() != 50 {
            return Err(format!("a page of {} rows", m.rows.len()).into());
        }
    }
    let head_page = lib::matrix(&db, &channel, policy.id, None, 50).await?;
    println!(
        "totals: {}",
        head_page
            .versions
            .iter()
            .map(|v| {
                format!(
                    "v{} sent {} acknowledged {}",
                    v.n,
                    v.sent.unwrap_or_default(),
                    v.acknowledged.unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    );
    println!(
        "matrix (totals per version + first page of 50): median {:.1} ms, min {:.1} ms over 15",
        median(first.clone()),
        first.iter().copied().fold(f64::MAX, f64::min)
    );
    let cursor = head_page.next.clone();
    let t = Instant::now();
    lib::matrix(&db, &channel, policy.id, cursor.as_deref(), 50).await?;
    println!("second page: {:.1} ms", t.elapsed().as_secs_f64() * 1000.0);

    // Pages back to back: 16 callers for 5 seconds.
    let until = Instant::now() + Duration::from_secs(5);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (db, channel, id, cursor) = (db.clone(), channel.clone(), policy.id, cursor.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < until {
                if lib::matrix(&db, &channel, id, cursor.as_deref(), 50)
                    .await
                    .is_ok()
                {
                    n += 1;
                }
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap_or(0);
    }
    println!(
        "later pages served: {total} in 5 s = {:.0} pages/s (16 concurrent callers, service layer)",
        total as f64 / 5.0
    );
    let t = Instant::now();
    let all = lib::matrix_all(&db, &channel, policy.id).await?;
    println!(
        "whole matrix for the export: {} rows in {:.2} s",
        all.rows.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
