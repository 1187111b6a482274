//! Benchmarks of issue 15 (policy §7.3). Usage:
//!
//! ```sh
//! cargo run --release -p liaison-app --example leaks_bench -- DATABASE_URL trace 100000
//! cargo run --release -p liaison-app --example leaks_bench -- DATABASE_URL dispatch 5000
//! ```
//!
//! `trace N`: the demo company, a confidential notice to p1's partner, and N recipients of it
//! in all (rows copied from p1's delivery with new contacts); then, five times, a recipient
//! chosen at random has the middle three sentences of their copy retyped (zero-width characters
//! gone, spaces folded) and the text is traced; prints each trace's time and whether that
//! recipient came first.
//!
//! `dispatch P`: the demo company with P load-test partners (two contacts each), every partner
//! under an NDA, a confidential notice to all of them approved and dispatched (timed, as the
//! `dispatch` example does), then every recipient's marked copy written once (timed): what
//! marks cost beside the dispatch. Marks are written when a copy is read, not at dispatch.

use liaison_core::request::{Audience, RequestInput};
use liaison_core::review::Decision;
use liaison_core::{Actor, SystemClock};
use liaison_db::{Db, q};
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

const NOTICE: &str = "各位合作伙伴：自2027年1月1日起，华东区一级经销商的结算价下调3%，返利方案同步调整。\
本方案仅限签署保密协议的合作伙伴知悉，请勿外传。新的月度目标与季度激励将于下周一的经销商大会上公布，\
请各位负责人准时出席。Product pricing for the VF220 series stays confidential until the public launch. \
如有疑问，请联系渠道管理部的刘经理。我们将在月底前完成系统切换，届时请使用新的价格表下单。";

type R<T> = Result<T, Box<dyn std::error::Error>>;

async fn actor(db: &Db, email: &str) -> R<Actor> {
    Ok(liaison_db::user::find_user_by_email(db, email)
        .await?
        .ok_or("demo user missing")?
        .actor())
}

fn middle_three(copy: &str) -> String {
    let visible: String = copy
        .chars()
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}'))
        .collect();
    let sentences: Vec<&str> = visible.split_inclusive(['。', '.']).collect();
    let mid = sentences.len() / 2;
    sentences[mid - 1..=mid + 1]
        .concat()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Approves every step of a submitted request (covered recipients only) and returns the time
/// of the final approval, which dispatches.
async fn approve_all(db: &Db, id: Uuid) -> R<(f64, Uuid)> {
    let head = actor(db, "head@demo.example").await?;
    let channel = actor(db, "channel@demo.example").await?;
    let exec = actor(db, "exec@demo.example").await?;
    loop {
        let r = liaison_db::request::find_request(db, id).await?;
        let Some(step) = r.state.step() else {
            return Err("not dispatched".into());
        };
        let who = match step {
            liaison_core::review::Step::DeptHead => &head,
            liaison_core::review::Step::ChannelReview => &channel,
            liaison_core::review::Step::Executive => &exec,
        };
        let started = Instant::now();
        let done =
            liaison_app::request::decide_with(db, who, id.into(), Decision::Approve, "", true)
                .await?;
        if let Some(m) = done.message_id {
            return Ok((started.elapsed().as_secs_f64(), m));
        }
    }
}

async fn confidential(db: &Db, audience: Audience) -> R<Uuid> {
    let staff = actor(db, "staff@demo.example").await?;
    let r = liaison_app::request::create(
        db,
        &staff,
        &RequestInput {
            title: Some("基准测试：保密通知".into()),
            purpose: Some("leak benchmark".into()),
            body: Some(NOTICE.into()),
            classification: Some("confidential".into()),
            audience: Some(audience),
            ..Default::default()
        },
    )
    .await?;
    liaison_app::request::submit(db, &staff, r.id.into()).await?;
    Ok(r.id)
}

async fn ndas_for_all(db: &Db) -> R<()> {
    let admin = actor(db, "admin@demo.example").await?;
    let now = db.now();
    let sql = match db.backend() {
        liaison_db::Backend::Sqlite => {
            "INSERT INTO ndas (id, partner_id, signed_at, expires_at, created_by, created_at)
             SELECT randomblob(16), id, $1, $2, $3, $1 FROM partners"
        }
        liaison_db::Backend::Postgres => {
            "INSERT INTO ndas (id, partner_id, signed_at, expires_at, created_by, created_at)
             SELECT gen_random_uuid(), id, $1, $2, $3, $1 FROM partners"
        }
    };
    let mut tx = db.begin().await?;
    tx.execute(
        q(sql)
            .bind(now - chrono::Duration::days(10))
            .bind(now + chrono::Duration::days(300))
            .bind(admin.user_id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> R<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: leaks_bench DATABASE_URL (trace N | dispatch PARTNERS)";
    let url = args.next().ok_or(usage)?;
    let what = args.next().ok_or(usage)?;
    let n: usize = args.next().ok_or(usage)?.parse()?;
    let cipher =
        liaison_db::crypto::Cipher::from_text(&liaison_db::crypto::Cipher::generate_text()?)?;
    let db = Db::connect(&url, Arc::new(SystemClock))
        .await?
        .with_cipher(cipher);
    db.migrate().await?;
    match what.as_str() {
        "trace" => {
            liaison_demo::load(&db, 0, &|_| {}).await?;
            ndas_for_all(&db).await?;
            let p1 = actor(&db, "p1@demo.example").await?;
            let id = confidential(
                &db,
                Audience {
                    partners: vec![p1.partner_id.ok_or("p1")?],
                    ..Default::default()
                },
            )
            .await?;
            let (_, m) = approve_all(&db, id).await?;
            let like: Uuid = db
                .fetch_one(q("SELECT id FROM deliveries WHERE message_id = $1 LIMIT 1").bind(m))
                .await?;
            let have: i64 = db
                .fetch_one(q("SELECT COUNT(*) FROM deliveries WHERE message_id = $1").bind(m))
                .await?;
            let started = Instant::now();
            let mut tx = db.begin().await?;
            tx.execute(q(
                "CREATE TEMP TABLE copy_row AS SELECT * FROM deliveries WHERE 1 = 0",
            ))
            .await?;
            tx.execute(q("INSERT INTO copy_row SELECT * FROM deliveries WHERE id = $1").bind(like))
                .await?;
            for _ in have as usize..n {
                tx.execute(
                    q("UPDATE copy_row SET id = $1, contact_id = $2")
                        .bind(Uuid::now_v7())
                        .bind(Uuid::now_v7()),
                )
                .await?;
                tx.execute(q("INSERT INTO deliveries SELECT * FROM copy_row"))
                    .await?;
            }
            tx.execute(q("DROP TABLE copy_row")).await?;
            tx.commit().await?;
            eprintln!(
                "{n} recipients written in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            let recipients = liaison_db::incidents::recipients(&db, m).await?;
            let channel = actor(&db, "channel@demo.example").await?;
            let mut times = Vec::new();
            for k in 0..5usize {
                let r = recipients[(k * 7919 + 13) % recipients.len()];
                let copy = liaison_app::leaks::copy_of_delivery(&db, r.delivery_id, NOTICE)?;
                let text = middle_three(&copy);
                let started = Instant::now();
                let t = liaison_app::leaks::trace(&db, &channel, &text).await?;
                let secs = started.elapsed().as_secs_f64();
                times.push(secs);
                let first = t.candidates.first().map(|c| c.delivery_id) == Some(r.delivery_id);
                println!(
                    "{:?}: traced among {} recipients in {:.3} s; {} marks; the leaker first: {first}; score {:.2} vs next {:.2}",
                    db.backend(),
                    recipients.len(),
                    secs,
                    t.marks,
                    t.candidates.first().map_or(0.0, |c| c.score),
                    t.candidates.get(1).map_or(0.0, |c| c.score),
                );
            }
            times.sort_by(f64::total_cmp);
            println!("median {:.3} s, worst {:.3} s", times[2], times[4]);
        }
        "dispatch" => {
            liaison_demo::load(&db, n, &|_| {}).await?;
            ndas_for_all(&db).await?;
            let id = confidential(
                &db,
                Audience {
                    all: true,
                    ..Default::default()
                },
            )
            .await?;
            let (dispatch, m) = approve_all(&db, id).await?;
            let started = Instant::now();
            let recipients = liaison_db::incidents::recipients(&db, m).await?;
            let mut bytes = 0usize;
            for r in &recipients {
                bytes += liaison_app::leaks::copy_of_delivery(&db, r.delivery_id, NOTICE)?.len();
            }
            let marking = started.elapsed().as_secs_f64();
            println!(
                "{:?}: dispatch of the confidential notice to {} recipients {:.3} s (final approval, one transaction); \
                 every recipient's marked copy {:.3} s ({:.1} µs each, {} bytes) = {:.1} % of the dispatch",
                db.backend(),
                recipients.len(),
                dispatch,
                marking,
                marking * 1e6 / recipients.len().max(1) as f64,
                bytes,
                marking * 100.0 / dispatch
            );
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}
