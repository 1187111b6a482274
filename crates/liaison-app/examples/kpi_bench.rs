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
use liaison_db::kpi as repo;
use liaison_db::{Backend, Db, Q, q};
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

/// A notice of the load: its request, message and when it went out.
struct Notice {
    i: i64,
    request: Uuid,
    message: Uuid,
    person: Uuid,
    department: Option<Uuid>,
    sent: chrono::DateTime<chrono::Utc>,
    ack: bool,
    deadline: Option<chrono::DateTime<chrono::Utc>>,
}

/// A message id a millisecond apart from the one before: copies' ids take the message id's
/// first ten bytes (its millisecond and 26 more bits), and ids made within one millisecond by
/// `Uuid::now_v7` share those (its counter moves in the bits after).
fn message_id(i: usize) -> Uuid {
    let ms = chrono::Utc::now().timestamp_millis() as u64 + i as u64;
    Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        ms / 1000,
        (ms % 1000) as u32 * 1_000_000,
    ))
}

/// This process's CPU time so far in seconds (user and system, every thread: SQLite runs on
/// sqlx's worker threads), from `/proc/self/stat` in ticks of 1/100 s; 0 elsewhere. Printed
/// beside wall times because the machine is shared.
fn cpu() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1.to_string();
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

/// The 1, 5 and 15 minute load averages (`/proc/loadavg`).
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
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
    println!("load average at the start: {}", load());
    let db = Db::connect(&url, Arc::new(SystemClock)).await?;
    db.migrate().await?;
    // A database the bench has filled before is timed again as it is (a 10 M set-up takes
    // minutes).
    let written: i64 = db.fetch_one(q("SELECT COUNT(*) FROM deliveries")).await?;
    let reuse = written >= n as i64;
    let started = Instant::now();
    if !reuse {
        liaison_demo::load(&db, PARTNERS, &|_| {}).await?;
    }
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
    // Fifty notices a transaction: their requests and messages in two multi-row inserts, their
    // 100,000 copies in one INSERT ... SELECT (ids as dispatch writes them: the message id's
    // time and a row number, so the ledger's key is appended to).
    let all: Vec<usize> = if reuse {
        Vec::new()
    } else {
        (0..notices).collect()
    };
    for batch in all.chunks(50) {
        let rows: Vec<Notice> = batch
            .iter()
            .map(|&i| {
                let day: NaiveDate = month.from + Duration::days((i as i64) % month_days);
                let sent = app::day_start(day) + Duration::hours(2 + (i as i64 % 8));
                let (person, department) = people[i % people.len()];
                let ack = i.is_multiple_of(3);
                Notice {
                    i: i as i64,
                    request: Uuid::now_v7(),
                    message: message_id(i),
                    person,
                    department,
                    sent,
                    ack,
                    deadline: ack.then(|| sent + Duration::days(2)),
                }
            })
            .collect();
        let mut tx = db.begin().await?;
        let mut req = Q::dynamic(String::new());
        let mut vals = Vec::new();
        for r in &rows {
            let (a, b, c, d, e) = (
                req.arg(r.request),
                req.arg(r.person),
                req.arg(r.department),
                req.arg(r.message),
                req.arg(r.sent),
            );
            vals.push(format!(
                "({a}, {b}, {c}, '基准测试通知', '{{}}', 'other', 'normal', 'internal', 'dispatched', '[]', '[]', {d}, 1, {e}, {e})"
            ));
        }
        let req = req.replace_sql(format!(
            "INSERT INTO requests (id, requester_id, department_id, title, form, category, importance,
                 classification, state, chain, findings, message_id, version, created_at, updated_at)
             VALUES {}",
            vals.join(", ")
        ));
        tx.execute(req).await?;
        let mut msg = Q::dynamic(String::new());
        let mut vals = Vec::new();
        for r in &rows {
            let (a, b, c, d, e) = (
                msg.arg(r.message),
                msg.arg(r.request),
                msg.arg(r.ack),
                msg.arg(r.deadline),
                msg.arg(r.sent),
            );
            vals.push(format!(
                "({a}, {b}, '基准测试通知', '正文', 'other', 'normal', 'normal', 'internal', {c}, {d}, {e})"
            ));
        }
        let msg = msg.replace_sql(format!(
            "INSERT INTO messages (id, request_id, title, body, category, importance, urgency,
                 classification, ack_required, ack_due_at, created_at)
             VALUES {}",
            vals.join(", ")
        ));
        tx.execute(msg).await?;
        // One copy per load-test partner's first contact: read after 0-95 hours (by the row's
        // number), confirmed an hour later where asked; every 25th never read, every 40th dead.
        let mut ins = Q::dynamic(String::new());
        let mut vals = Vec::new();
        for r in &rows {
            let (a, b, c, d) = (
                ins.arg(r.message),
                ins.arg(r.sent),
                ins.arg(r.ack),
                ins.arg(r.i),
            );
            vals.push(format!("({a}, {b}, {c}, {d})"));
        }
        let (id, time): (&str, fn(&str) -> String) = match db.backend() {
            Backend::Sqlite => (
                "unhex(substr(hex(n.message_id), 1, 20) || printf('%012X', x.rn))",
                |h| {
                    format!(
                        "strftime('%Y-%m-%dT%H:%M:%f', n.sent, '+' || ({h}) || ' hours') || '000Z'"
                    )
                },
            ),
            Backend::Postgres => (
                "CAST(substr(replace(CAST(n.message_id AS TEXT), '-', ''), 1, 20) || lpad(to_hex(x.rn), 12, '0') AS UUID)",
                |h| format!("n.sent + ({h}) * interval '1 hour'"),
            ),
        };
        let hours = "((x.rn + n.k) * 7) % 96";
        let read = time(hours);
        let acked = time(&format!("{hours} + 1"));
        let first_contact = match db.backend() {
            Backend::Sqlite => "MIN(c.id)",
            Backend::Postgres => "(ARRAY_AGG(c.id ORDER BY c.id))[1]",
        };
        let ins = ins.replace_sql(format!(
            "WITH n (message_id, sent, ack, k) AS (VALUES {})
             INSERT INTO deliveries (id, message_id, partner_id, contact_id, channel, state, created_at,
                 read_at, acked_at, late, ack_required)
             SELECT {id}, n.message_id, x.partner_id, x.contact_id, 'portal',
                    CASE WHEN (x.rn + n.k) % 40 = 0 THEN 'dead' WHEN (x.rn + n.k) % 25 = 0 THEN 'delivered'
                         WHEN n.ack THEN 'acknowledged' ELSE 'read' END,
                    n.sent,
                    CASE WHEN (x.rn + n.k) % 40 = 0 OR (x.rn + n.k) % 25 = 0 THEN NULL ELSE {read} END,
                    CASE WHEN (x.rn + n.k) % 40 = 0 OR (x.rn + n.k) % 25 = 0 OR NOT n.ack THEN NULL ELSE {acked} END,
                    FALSE, n.ack
               FROM n CROSS JOIN
                    (SELECT p.id AS partner_id, {first_contact} AS contact_id, ROW_NUMBER() OVER (ORDER BY p.id) AS rn
                       FROM partners p JOIN contacts c ON c.partner_id = p.id
                      WHERE p.code LIKE 'GEN-%' GROUP BY p.id) x
              ORDER BY n.k, x.rn",
            vals.join(", ")
        ));
        tx.execute(ins).await?;
        tx.commit().await?;
    }
    let count: i64 = db.fetch_one(q("SELECT COUNT(*) FROM deliveries")).await?;
    println!(
        "{count} deliveries ({notices} notices in {}): written in {:.1} s",
        month.code(),
        started.elapsed().as_secs_f64()
    );
    let (started, c0) = (Instant::now(), cpu());
    let r = app::rebuild(&db, None).await?;
    println!(
        "rebuild (cold, every day from {:?}): {:.2} s (CPU {:.2} s), {} messages, {} rows",
        r.from,
        started.elapsed().as_secs_f64(),
        cpu() - c0,
        r.messages,
        r.rows
    );
    let days = Days::of(month);
    let (started, c0) = (Instant::now(), cpu());
    app::rebuild(&db, Some(month.from)).await?;
    let rep = app::report(&db, &exec, days, GroupBy::Department).await?;
    println!(
        "month rebuilt cold and reported: {:.2} s (CPU {:.2} s; accuracy {}/{}, timeliness {}/{})",
        started.elapsed().as_secs_f64(),
        cpu() - c0,
        rep.total.accuracy.numerator,
        rep.total.accuracy.denominator,
        rep.total.timeliness.numerator,
        rep.total.timeliness.denominator
    );
    // What they are made of: the month's days recomputed alone (one pass over its
    // deliveries), the messages' basis, and the reads a report makes.
    let t = Instant::now();
    let basis = repo::all_messages(&db).await?;
    println!(
        "  messages' basis ({} messages): {:.1} ms",
        basis.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    let (t, c0) = (Instant::now(), cpu());
    let rows =
        repo::recompute_days(&db, month.from, month.to - Duration::days(1), db.now()).await?;
    println!(
        "  the month's days recomputed ({rows} rows): {:.1} ms (CPU {:.2} s)",
        t.elapsed().as_secs_f64() * 1000.0,
        cpu() - c0
    );
    let narrow = repo::Narrow::default();
    for g in [GroupBy::Department, GroupBy::Partner, GroupBy::Region] {
        let t = Instant::now();
        let sums = repo::delivery_sums(&db, month.from, month.to, g, narrow).await?;
        println!(
            "  delivery sums by {g} ({} groups): {:.1} ms",
            sums.len(),
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
    let (a, b) = (app::day_start(month.from), app::day_start(month.to));
    let t = Instant::now();
    let seen = repo::observed(&db, a, b, None).await?;
    println!(
        "  observed behaviour ({} partners met): {:.1} ms",
        seen.attendance.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    let t = Instant::now();
    let answers = app::survey_scores(&db, a, b).await?;
    println!(
        "  survey scores ({}): {:.1} ms",
        answers.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    let t = Instant::now();
    let groups = repo::partner_groups(&db).await?;
    println!(
        "  partners' kind, region, tier ({}): {:.1} ms",
        groups.len(),
        t.elapsed().as_secs_f64() * 1000.0
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
    println!("load average at the end: {}", load());
    Ok(())
}
