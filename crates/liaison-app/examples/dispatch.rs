//! Benchmark: dispatch one approved request to every contact of a large demo
//! (`liaison demo --partners 100000` gives 200,000 contacts). Usage:
//!
//! ```sh
//! cargo run --release -p liaison-app --example dispatch -- sqlite://./liaison-data/liaison.db
//! ```
//!
//! It files a request from staff@demo.example to a segment of every active partner, has the
//! head and channel management approve it, and times the final approval, which freezes the
//! message and writes every delivery in one statement inside one transaction.

use liaison_app::request;
use liaison_core::request::{Audience, RequestInput};
use liaison_core::review::Decision;
use liaison_core::{Actor, SystemClock};
use liaison_db::{Db, q};
use std::sync::Arc;
use std::time::Instant;

async fn actor(db: &Db, email: &str) -> Result<Actor, Box<dyn std::error::Error>> {
    let users = liaison_db::user::list_users(db).await?;
    let user = users
        .iter()
        .find(|u| u.email == email)
        .ok_or("demo user missing: run `liaison demo` first")?;
    Ok(user.actor())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: dispatch DATABASE_URL")?;
    let db = Db::connect(&url, Arc::new(SystemClock)).await?;
    db.migrate().await?;
    let staff = actor(&db, "staff@demo.example").await?;
    let head = actor(&db, "head@demo.example").await?;
    let channel = actor(&db, "channel@demo.example").await?;
    let contacts: i64 = db.fetch_one(q("SELECT COUNT(*) FROM contacts")).await?;
    let segment = liaison_db::segment::insert_segment(
        &db,
        channel.user_id,
        &liaison_db::segment::SegmentInput {
            name: Some(format!("bench all active {}", uuid::Uuid::now_v7())),
            description: None,
            filter: Some(liaison_core::partner::PartnerFilter {
                statuses: vec![liaison_core::partner::PartnerStatus::Active],
                ..Default::default()
            }),
        },
    )
    .await?;
    let r = liaison_db::request::insert_request(
        &db,
        &staff,
        &RequestInput {
            title: Some("基准测试：全体伙伴通知".into()),
            purpose: Some("dispatch benchmark".into()),
            body: Some("测试正文".into()),
            audience: Some(Audience {
                segments: vec![segment.id],
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await?;
    request::submit(&db, &staff, r.id.into()).await?;
    request::decide(&db, &head, r.id.into(), Decision::Approve, "").await?;
    let started = Instant::now();
    let done = request::decide(&db, &channel, r.id.into(), Decision::Approve, "").await?;
    let elapsed = started.elapsed();
    let message = done.message_id.ok_or("not dispatched")?;
    let deliveries: i64 = db
        .fetch_one(q("SELECT COUNT(*) FROM deliveries WHERE message_id = $1").bind(message))
        .await?;
    println!(
        "{:?}: dispatched {deliveries} deliveries ({contacts} contacts) in {:.3} s (final approval incl. dispatch, one transaction)",
        db.backend(),
        elapsed.as_secs_f64()
    );
    Ok(())
}
