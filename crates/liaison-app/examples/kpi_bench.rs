//! Benchmarks of issue 16 (policy §6, the evaluation). Usage:
//!
//! ```sh
//! cargo run --release -p liaison-app --example kpi_bench -- DATABASE_URL 1000000
//! ```
//!
//! The demo company with 2,000 load-test partners; N deliveries in last month (a notice to
//! every load-test partner's first contact, so N / 2,000 notices from ten people of five
//! departments spread over the month's days; one in three asks for a confirmation with a
//! deadline, the others fall under the working-hours rule; read, confirmed, late, never read
//! and dead copies in fixed shares). Then, timed:
//!
//! - `rebuild`: `liaison_app::kpi::rebuild(None)` over everything (cold: no aggregates);
//! - `month rebuilt cold`: the aggregates of last month and this one recomputed
//!   (`rebuild(Some(first day of last month))`) and the report read once;
//! - `report`: the month's report from the aggregates, by department, by partner, by region,
//!   five times each (the median printed).

use chrono::{Duration, NaiveDate};
use liaison_app::kpi::{self as app, Days};
use liaison_core::kpi::GroupBy;
use liaison_core::{Actor, SystemClock};
use liaison_db::{Backend, Db, q};
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

type R<T> = Result<T, Box<dyn std::error::Error>>;

const PARTNERS: usize = 2000;

async fn actor(db: &Db, email: &str) -> R<Actor> {
    Ok(liaison_db::user::find_user_by_email(db, email)
        .await?
        .ok_or("demo user missing")?
        .actor())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

#[tokio::main]
async fn main() -> R<()> {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).ok_or("DATABASE_URL")?.clone();
    let n: usize = args
        .get(2)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let db = Db::connect(&url, Arc::new(SystemClock)).await?;
    db.migrate().await?;
    let started = Instant::now();
    liaison_demo::load(&db, PARTNERS, &|_| {}).await?;
    println!(
        "demo with {PARTNERS} partners: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let exec = actor(&db, "exec@demo.example").await?;
    let people: Vec<(Uuid, Option<Uuid>)> = liaison_db::user::list_users(&db)
        .await?
        .into_iter()
        .filter(|u| u.partner_id.is_none() && u.department_id.is_some())
        .map(|u| (u.id, u.department_id))
        .take(10)
        .collect();
    let today = app::this_month(&db);
    let month = today.previous();
    let month_days = (month.to - month.from).num_days();
    let notices = n.div_ceil(PARTNERS);
    let started = Instant::now();
    for i in 0..notices {
        let day: NaiveDate = month.from + Duration::days((i as i64) % month_days);
        let sent = app::day_start(day) + Duration::hours(2 + (i as i64 % 8));
        let (person, department) = people[i % people.len()];
        let ack = i.is_multiple_of(3);
        let deadline = ack.then(|| sent + Duration::days(2));
        let (request, message) = (Uuid::now_v7(), Uuid::now_v7());
        let mut tx = db.begin().await?;
        tx.execute(
            q("INSERT INTO requests (id, requester_id, department_id, title, form, category, importance,
                 classification, state, chain, findings, message_id, version, created_at, updated_at)
               VALUES ($1, $2, $3, '基准测试通知', '{}', 'other', 'normal', 'internal', 'dispatched',
                       '[]', '[]', $4, 1, $5, $5)")
            .bind(request)
            .bind(person)
            .bind(department)
            .bind(message)
            .bind(sent),
        )
        .await?;
        tx.execute(
            q("INSERT INTO messages (id, request_id, title, body, category, importance, urgency,
                 classification, ack_required, ack_due_at, created_at)
               VALUES ($1, $2, '基准测试通知', '正文', 'other', 'normal', 'normal', 'internal', $3, $4, $5)")
            .bind(message)
            .bind(request)
            .bind(ack)
            .bind(deadline)
            .bind(sent),
        )
        .await?;
        // One copy per load-test partner's first contact: read after 0-95 hours (by the row's
        // number), confirmed an hour later where asked; every 25th never read, every 40th dead.
        let (id, hours) = match db.backend() {
            Backend::Sqlite => ("randomblob(16)", "(x.rn * 7) % 96"),
            Backend::Postgres => ("gen_random_uuid()", "(x.rn * 7) % 96"),
        };
        let time = |h: &str| match db.backend() {
            Backend::Sqlite => {
                format!("strftime('%Y-%m-%dT%H:%M:%f', $2, '+' || ({h}) || ' hours') || '000Z'")
            }
            Backend::Postgres => format!("$2::timestamptz + ({h}) * interval '1 hour'"),
        };
        let read = time(hours);
        let acked = time(&format!("{hours} + 1"));
        let sql = format!(
            "INSERT INTO deliveries (id, message_id, partner_id, contact_id, channel, state, created_at,
                 read_at, acked_at, late, ack_required)
             SELECT {id}, $1, x.partner_id, x.contact_id, 'portal',
                    CASE WHEN x.rn % 40 = 0 THEN 'dead' WHEN x.rn % 25 = 0 THEN 'delivered'
                         WHEN $3 THEN 'acknowledged' ELSE 'read' END,
                    $2,
                    CASE WHEN x.rn % 40 = 0 OR x.rn % 25 = 0 THEN NULL ELSE {read} END,
                    CASE WHEN x.rn % 40 = 0 OR x.rn % 25 = 0 OR NOT $3 THEN NULL ELSE {acked} END,
                    FALSE, $3
               FROM (SELECT p.id AS partner_id, MIN(c.id) AS contact_id, ROW_NUMBER() OVER (ORDER BY p.id) + $4 AS rn
                       FROM partners p JOIN contacts c ON c.partner_id = p.id
                      WHERE p.code LIKE 'GEN-%' GROUP BY p.id) x"
        );
        let sql = if db.backend() == Backend::Postgres {
            sql.replace("MIN(c.id)", "(ARRAY_AGG(c.id ORDER BY c.id))[1]")
        } else {
            sql
        };
        tx.execute(
            liaison_db::Q::dynamic(sql)
                .bind(message)
                .bind(sent)
                .bind(ack)
                .bind(i as i64),
        )
        .await?;
        tx.commit().await?;
    }
    let count: i64 = db.fetch_one(q("SELECT COUNT(*) FROM deliveries")).await?;
    println!(
        "{count} deliveries ({notices} notices in {}): written in {:.1} s",
        month.code(),
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let r = app::rebuild(&db, None).await?;
    println!(
        "rebuild (cold, every day from {:?}): {:.2} s, {} messages, {} rows",
        r.from,
        started.elapsed().as_secs_f64(),
        r.messages,
        r.rows
    );
    let days = Days::of(month);
    let started = Instant::now();
    app::rebuild(&db, Some(month.from)).await?;
    let rep = app::report(&db, &exec, days, GroupBy::Department).await?;
    println!(
        "month rebuilt cold and reported: {:.2} s (accuracy {}/{}, timeliness {}/{})",
        started.elapsed().as_secs_f64(),
        rep.total.accuracy.numerator,
        rep.total.accuracy.denominator,
        rep.total.timeliness.numerator,
        rep.total.timeliness.denominator
    );
    for g in [
        GroupBy::Department,
        GroupBy::Person,
        GroupBy::Channel,
        GroupBy::Region,
        GroupBy::Partner,
    ] {
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let rep = app::report(&db, &exec, days, g).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(rep.groups.len());
        }
        println!(
            "report by {g} from the aggregates: {:.1} ms (median of 5)",
            median(times)
        );
    }
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        std::hint::black_box(app::scorecards(&db, &exec, month, app::Level::Person).await?);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("scorecard by person: {:.1} ms (median of 5)", median(times));
    Ok(())
}
