//! Benchmark set-up for confirmations under load: on a `liaison demo --partners N` database,
//! dispatches one message that asks for a confirmation to every partner, gives K generated
//! partners a portal user with a session, and writes `tokens.txt` (one bearer token a line)
//! and `message.txt` for `scripts/bench-ack.lua`. Usage:
//!
//! ```sh
//! cargo run --release -p liaison-app --example ack_setup -- sqlite://./liaison-data/liaison.db 40000
//! ```

use chrono::Duration;
use liaison_app::request;
use liaison_core::SystemClock;
use liaison_core::request::{Audience, RequestInput};
use liaison_core::review::Decision;
use liaison_db::user::{SessionKind, UserInput};
use liaison_db::{Db, q};
use std::io::Write;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: ack_setup DATABASE_URL USERS")?;
    let k: usize = args.next().unwrap_or_else(|| "12000".into()).parse()?;
    liaison_db::password::use_light_params();
    let db = Db::connect(&url, Arc::new(SystemClock)).await?;
    db.migrate().await?;
    let users = liaison_db::user::list_users(&db).await?;
    let find = |e: &str| {
        users
            .iter()
            .find(|u| u.email == e)
            .map(|u| u.actor())
            .ok_or("run `liaison demo --partners N` first")
    };
    let (staff, head, channel) = (
        find("staff@demo.example")?,
        find("head@demo.example")?,
        find("channel@demo.example")?,
    );
    let segment = liaison_db::segment::insert_segment(
        &db,
        channel.user_id,
        &liaison_db::segment::SegmentInput {
            name: Some(format!("ack bench {}", uuid::Uuid::now_v7())),
            description: None,
            filter: Some(liaison_core::partner::PartnerFilter {
                q: Some("gen-".into()),
                ..Default::default()
            }),
        },
    )
    .await?;
    let r = liaison_db::request::insert_request(
        &db,
        &staff,
        &RequestInput {
            title: Some("请确认收到：年度框架协议".into()),
            purpose: Some("ack benchmark".into()),
            body: Some("请在截止时间前确认。".into()),
            audience: Some(Audience {
                segments: vec![segment.id],
                ..Default::default()
            }),
            ack_required: Some(true),
            ack_due_at: Some(db.now() + Duration::days(7)),
            ..Default::default()
        },
    )
    .await?;
    request::submit(&db, &staff, r.id.into()).await?;
    request::decide(&db, &head, r.id.into(), Decision::Approve, "").await?;
    let done = request::decide(&db, &channel, r.id.into(), Decision::Approve, "").await?;
    let message = done.message_id.ok_or("not dispatched")?;
    let mut tokens = std::fs::File::create("tokens.txt")?;
    let codes: Vec<String> = (1..=k).map(|i| format!("GEN-{i:07}")).collect();
    let existing: i64 = db
        .fetch_one(q("SELECT COUNT(*) FROM users WHERE email LIKE 'bench-%'"))
        .await?;
    for (i, code) in codes.iter().enumerate() {
        let email = format!("bench-{}-{i}@load.example", existing);
        let u = liaison_db::user::insert_user(
            &db,
            None,
            &UserInput {
                email,
                name: format!("Bench {i}"),
                password: "Bench-password-1".into(),
                roles: vec!["partner_user".into()],
                partner: Some(code.clone()),
                ..Default::default()
            },
        )
        .await?;
        let t =
            liaison_db::user::create_session(&db, &u, SessionKind::Api, Duration::hours(4)).await?;
        writeln!(tokens, "{t}")?;
    }
    std::fs::write("message.txt", message.to_string())?;
    println!("message {message}; {k} partner users with tokens in tokens.txt");
    Ok(())
}
