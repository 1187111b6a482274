//! Business-data benchmarks (issue 13). Usage:
//!
//! ```sh
//! cargo run --release -p liaison-app --example data_bench -- sqlite:///tmp/db/liaison.db upload 1000000
//! cargo run --release -p liaison-app --example data_bench -- postgres://postgres@127.0.0.1/bench upload 1000000
//! cargo run --release -p liaison-app --example data_bench -- sqlite:///tmp/db/liaison.db detect 100000
//! cargo run --release -p liaison-app --example data_bench -- sqlite:///tmp/db/liaison.db csv 1000000 /tmp/sales.csv
//! ```
//!
//! - `upload N`: writes an N-row sales CSV (about 60 bytes a row) to a temporary file, then
//!   submits it for SH-D001 through `liaison_app::data::submit` (streamed, checked row by row,
//!   stored in sealed chunks, figures added up, anomalies judged), printing the time and the
//!   process's resident memory before and after (VmRSS, and the peak VmHWM).
//! - `detect N`: gives N generated distributors 13 months of sales figures (two products, two
//!   measures: 4 series each) straight in SQL, then times `liaison_app::data::detect` over all
//!   of them for the last month.
//! - `csv N FILE`: only writes the CSV (for the API benchmark with curl).

use liaison_app::data::{self as app, Outcome, Progress, Source, SubmitInput};
use liaison_core::data::{Period, PeriodKind, SubmissionVia};
use liaison_core::{Actor, SystemClock};
use liaison_db::{Backend, Db, q};
use std::io::Write;
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

/// Resident and peak memory of this process in MB (Linux).
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn last_month() -> Period {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    Period::containing(PeriodKind::Monthly, today).prev()
}

fn write_csv(path: &std::path::Path, rows: usize) -> R<u64> {
    let products = [
        "LX-SM100", "LX-SM150", "LX-SM200", "LX-VF075", "LX-VF220", "LX-PC10", "LX-PC20", "LX-HMI7",
    ];
    let regions = ["上海", "江苏", "浙江", "安徽", "福建", "江西", "山东"];
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(f, "product_code,region,units,amount_cny")?;
    for i in 0..rows {
        let units = 1 + (i * 7919) % 400;
        let cents = (i * 104_729) % 100;
        writeln!(
            f,
            "{},{},{},{}.{:02}",
            products[i % products.len()],
            regions[(i / 8) % regions.len()],
            units,
            units * 1_850 + i % 997,
            cents
        )?;
    }
    f.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

#[tokio::main]
async fn main() -> R<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: data_bench DATABASE_URL upload|detect|csv N [FILE]";
    let url = args.get(1).ok_or(usage)?;
    let what = args.get(2).ok_or(usage)?.as_str();
    let n: usize = args.get(3).ok_or(usage)?.parse()?;
    if what == "csv" {
        let path = std::path::PathBuf::from(args.get(4).ok_or(usage)?);
        let size = write_csv(&path, n)?;
        println!(
            "{} rows, {:.1} MB in {}",
            n,
            size as f64 / 1e6,
            path.display()
        );
        return Ok(());
    }
    let key = liaison_db::crypto::Cipher::generate_text()?;
    let db = Db::connect(url, Arc::new(SystemClock))
        .await?
        .with_cipher(liaison_db::crypto::Cipher::from_text(&key)?);
    db.migrate().await?;
    liaison_demo::load(&db, 0, &|_| {}).await?;
    let channel = actor(&db, "channel@demo.example").await?;
    let period = last_month();
    match what {
        "upload" => {
            let path = std::env::temp_dir().join(format!("data-bench-{}.csv", std::process::id()));
            let size = write_csv(&path, n)?;
            let sh = liaison_db::partner::resolve_partner_ref(&db, "SH-D001")
                .await?
                .ok_or("SH-D001 missing")?;
            let (rss0, _) = memory();
            for round in 1..=2 {
                let started = Instant::now();
                let input = SubmitInput {
                    dataset: Some("sales".into()),
                    period: Some(period.to_string()),
                    partner_id: Some(sh),
                    rows: None,
                };
                let source = Source::File {
                    reader: Box::new(std::fs::File::open(&path)?),
                    name: Some("sales.csv".into()),
                };
                let outcome = app::submit(
                    &db,
                    &channel,
                    &input,
                    source,
                    SubmissionVia::Cli,
                    Progress::default(),
                )
                .await?;
                let secs = started.elapsed().as_secs_f64();
                let (rss, hwm) = memory();
                match outcome {
                    Outcome::Accepted { submission, .. } => println!(
                        "round {round}: {} rows ({:.1} MB) accepted as version {} in {secs:.2} s ({:.0} rows/s); RSS {rss0:.0} → {rss:.0} MB (+{:.0}), peak {hwm:.0} MB",
                        submission.row_count,
                        size as f64 / 1e6,
                        submission.version,
                        n as f64 / secs,
                        rss - rss0
                    ),
                    Outcome::Rejected { submission, errors } => {
                        println!(
                            "rejected: {} errors, first {:?}",
                            submission.error_count,
                            errors.first()
                        );
                    }
                }
            }
            let _ = std::fs::remove_file(&path);
        }
        "detect" => {
            let started = Instant::now();
            liaison_demo::load(&db, n, &|_| {}).await?;
            println!(
                "{n} partners generated in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            let d = liaison_db::data::find_dataset_by_code(&db, "sales").await?;
            let periods = period.last(13);
            let started = Instant::now();
            seed_points(&db, d.id, &periods, channel.user_id).await?;
            println!(
                "figures of 13 months seeded in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            let points: i64 = db.fetch_one(q("SELECT COUNT(*) FROM data_points")).await?;
            let started = Instant::now();
            let found = app::detect(&db, &d, period, None).await?;
            println!(
                "detect over {points} figures ({} series): {found} anomalies in {:.2} s",
                points / 13,
                started.elapsed().as_secs_f64()
            );
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}

/// Thirteen months of two products' units and amounts for every generated distributor (code
/// `LT-…`), and a current submission for the last month; one partner in a thousand triples.
async fn seed_points(db: &Db, dataset: uuid::Uuid, periods: &[Period], by: uuid::Uuid) -> R<()> {
    let last = periods.last().ok_or("no periods")?.to_string();
    let now = db.now();
    let uuid_of = match db.backend() {
        Backend::Sqlite => "randomblob(16)",
        Backend::Postgres => "gen_random_uuid()",
    };
    let mut tx = db.begin().await?;
    tx.execute(
        liaison_db::Q::dynamic(format!(
            "INSERT INTO submissions (id, dataset_id, partner_id, period, version, state, via,
                 row_count, error_count, errors, submitted_by, submitted_at)
             SELECT {uuid_of}, $1, p.id, $2, 1, 'current', 'api', 4, 0, '[]', $3, $4
             FROM partners p WHERE p.code LIKE 'GEN-%'"
        ))
        .bind(dataset)
        .bind(last.as_str())
        .bind(by)
        .bind(now),
    )
    .await?;
    for (m, period) in periods.iter().enumerate() {
        let p = period.to_string();
        for (k, product) in ["LX-SM100", "LX-VF220"].iter().enumerate() {
            for (measure, scale) in [("units", 1.0), ("amount_cny", 2350.0)] {
                let spike = if m + 1 == periods.len() {
                    "CASE WHEN (CAST(substr(p.code, 5) AS INTEGER) % 1000) = 7 THEN 3.0 ELSE 1.0 END"
                } else {
                    "1.0"
                };
                let sql = format!(
                    "INSERT INTO data_points (dataset_id, partner_id, series, measure, period, value,
                         row_count, submission_id)
                     SELECT $1, p.id, $2, $3, $4,
                            (100.0 + {k} * 40 + ((CAST(substr(p.code, 5) AS INTEGER) * 31 + {m} * 17) % 11)) * $5 * {spike},
                            1, s.id
                     FROM partners p JOIN submissions s ON s.partner_id = p.id AND s.dataset_id = $1
                     WHERE p.code LIKE 'GEN-%'"
                );
                tx.execute(
                    liaison_db::Q::dynamic(sql)
                        .bind(dataset)
                        .bind(*product)
                        .bind(measure)
                        .bind(p.as_str())
                        .bind(scale),
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}
