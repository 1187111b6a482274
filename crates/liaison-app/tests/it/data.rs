//! Business data exchange through the service layer (policy §3.3; issue 13), on every backend:
//! each schema rule refuses a bad row by row and column in words a partner reads; a file with
//! one bad row stores nothing; the same figures arrive alike as GBK, UTF-16 and XLSX; a
//! resubmission supersedes and keeps the version before; due days fall on the working
//! calendar; a planted anomaly is found and a seasonal peak is not; the follow-up runs between
//! the partner and its channel manager; the peer benchmark is withheld below five peers; and
//! another partner's figures do not exist.

use crate::{Cast, backends, count};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use liaison_app::Error;
use liaison_app::data::{
    self as app, AnomalyQuery, FollowUpInput, Outcome, Progress, Source, Standing, SubmissionQuery,
    SubmitInput, TrendQuery,
};
use liaison_core::access::ItemKind;
use liaison_core::data::{AnomalyState, Baseline, SubmissionState, SubmissionVia};
use liaison_core::notify::NotifyKind;
use liaison_core::{Actor, FixedClock};
use liaison_db::Db;
use liaison_db::data::{CellError, Submission, Whose};
use liaison_db::partner::Partner;
use liaison_i18n::Lang;
use serde_json::{Value, json};
use std::io::Cursor;
use std::sync::Arc;
use uuid::Uuid;

/// `y-m-d h:m:s` in Shanghai (the company's zone).
fn bj(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    liaison_core::calendar::Tz::Asia__Shanghai
        .with_ymd_and_hms(y, m, d, h, min, s)
        .single()
        .expect("a valid time")
        .with_timezone(&Utc)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

/// The database on a clock the test moves, set to `at`.
fn clocked(db: &Db, at: DateTime<Utc>) -> (Db, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(at));
    (db.with_clock(clock.clone()), clock)
}

fn set(clock: &FixedClock, at: DateTime<Utc>) {
    use liaison_core::Clock;
    clock.advance(at - clock.now());
}

/// One row of the demo's `sales` data set as the API takes it.
fn sale(product: &str, region: &str, units: i64, amount: &str) -> Value {
    json!({"product_code": product, "region": region, "units": units, "amount_cny": amount})
}

fn input(dataset: &str, period: &str, partner: Option<Uuid>) -> SubmitInput {
    SubmitInput {
        dataset: Some(dataset.into()),
        period: Some(period.into()),
        partner_id: partner,
        rows: None,
    }
}

async fn submit(
    db: &Db,
    who: &Actor,
    dataset: &str,
    period: &str,
    partner: Option<Uuid>,
    source: Source,
    detect: bool,
) -> Result<Outcome, Error> {
    app::submit_with(
        db,
        who,
        &input(dataset, period, partner),
        source,
        SubmissionVia::Portal,
        Progress::default(),
        detect,
    )
    .await
}

async fn rows(
    db: &Db,
    who: &Actor,
    period: &str,
    partner: Option<Uuid>,
    rows: Vec<Value>,
    detect: bool,
) -> Outcome {
    submit(
        db,
        who,
        "sales",
        period,
        partner,
        Source::Rows(rows),
        detect,
    )
    .await
    .unwrap_or_else(|e| panic!("submission of {period}: {e:?}"))
}

fn file(bytes: Vec<u8>, name: &str) -> Source {
    Source::File {
        reader: Box::new(Cursor::new(bytes)),
        name: Some(name.into()),
    }
}

#[track_caller]
fn accepted(o: Outcome) -> Submission {
    match o {
        Outcome::Accepted { submission, .. } => submission,
        Outcome::Rejected { errors, .. } => panic!("rejected: {errors:?}"),
    }
}

#[track_caller]
fn rejected(o: Outcome) -> (Submission, Vec<CellError>) {
    match o {
        Outcome::Rejected { submission, errors } => (submission, errors),
        Outcome::Accepted { submission, .. } => panic!("accepted: {submission:?}"),
    }
}

async fn partner(db: &Db, code: &str) -> Partner {
    liaison_db::partner::find_partners_by_codes(db, &[code.to_string()])
        .await
        .expect("partners")
        .pop()
        .unwrap_or_else(|| panic!("{code} is a demo partner"))
}

/// A demo login by its e-mail address.
async fn staff_user(db: &Db, email: &str) -> Actor {
    liaison_db::user::list_users(db)
        .await
        .expect("users")
        .iter()
        .find(|u| u.email == email)
        .unwrap_or_else(|| panic!("{email} is a demo login"))
        .actor()
}

async fn dataset_id(db: &Db, code: &str) -> Uuid {
    liaison_db::data::find_dataset_by_code(db, code)
        .await
        .expect("data set")
        .id
}

/// A partner's stored figures of `sales` for one period: (series, measure, value), sorted.
async fn figures(db: &Db, partner: Uuid, period: &str) -> Vec<(String, String, f64)> {
    let ds = dataset_id(db, "sales").await;
    let mut out: Vec<(String, String, f64)> =
        liaison_db::data::histories(db, ds, &[period.to_string()], &Whose::Partner(partner))
            .await
            .expect("histories")
            .into_iter()
            .flat_map(|h| {
                h.values
                    .into_iter()
                    .map(move |(_, v)| (h.series.clone(), h.measure.clone(), v))
            })
            .collect();
    out.sort_by(|a, b| a.partial_cmp(b).expect("comparable"));
    out
}

async fn notified(db: &Db, user: Uuid, kind: NotifyKind) -> usize {
    liaison_db::notify::list(db, user, false, None, 500)
        .await
        .expect("notifications")
        .iter()
        .filter(|n| n.kind == kind)
        .count()
}

fn keys(errors: &[CellError]) -> Vec<(u64, &str, &str)> {
    errors
        .iter()
        .map(|e| (e.row, e.column.as_str(), e.key.as_str()))
        .collect()
}

/// Every error renders to real words, different in Chinese and English.
#[track_caller]
fn renders_in_both_languages(name: &str, errors: &[CellError]) {
    for e in errors {
        let zh = app::render_error(e, Lang::ZhCn);
        let en = app::render_error(e, Lang::En);
        assert!(!zh.is_empty() && !en.is_empty(), "{name}: {e:?}");
        assert_ne!(zh, e.key, "{name}: zh-CN has no text for {}", e.key);
        assert_ne!(en, e.key, "{name}: en has no text for {}", e.key);
        assert_ne!(zh, en, "{name}: {} is not translated", e.key);
        for (_, v) in &e.args {
            assert!(
                zh.contains(v.as_str()) && en.contains(v.as_str()),
                "{name}: {} lost its argument {v}: {zh} / {en}",
                e.key
            );
        }
    }
}

/// The bad rows of [`each_schema_rule_refuses_a_bad_row_by_row_and_column`], as the API takes
/// them, and the (row offset, column, key) each must give.
fn bad_sales() -> (Vec<Value>, Vec<(u64, &'static str, &'static str)>) {
    (
        vec![
            sale("LX-SM100", "上海", 10, "1000.50"),
            json!({"product_code": "LX-SM100", "region": "上海", "amount_cny": "10.00"}),
            sale("LX-SM150", "江苏", -3, "10.00"),
            json!({"product_code": "LX-SM150", "region": "江苏", "units": "1.5", "amount_cny": "10"}),
            sale("LX-VF220", "浙江", 4, "12.345"),
            sale("LX-NOPE9", "上海", 4, "12.34"),
            sale("LX-PC10", "北京", 4, "12.34"),
        ],
        vec![
            (2, "units", "data.cell.required"),
            (3, "units", "data.cell.negative"),
            (4, "units", "data.cell.integer"),
            (5, "amount_cny", "data.cell.scale"),
            (6, "product_code", "data.cell.product"),
            (7, "region", "data.cell.region_not_yours"),
        ],
    )
}

/// §3.3.1 "accurately", D7: each rule of the schema refuses a bad row with its own message,
/// named by row and column — required, not negative, a whole number, at most the decimals the
/// column allows, 0–100 for a share, a product code in the catalogue, a region of the
/// partner's own (p1 is in 华东: 北京 is not its) — from JSON rows and from a CSV file alike;
/// nothing of a refused submission is stored, and the messages read in Chinese and English.
#[tokio::test]
async fn each_schema_rule_refuses_a_bad_row_by_row_and_column() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let (db, _clock) = clocked(&db, bj(2026, 12, 15, 10, 0, 0));
        let (bad, expected) = bad_sales();

        // JSON rows: row 1 is the first object.
        let (s, errors) = rejected(rows(&db, &cast.p1, "2026-11", None, bad.clone(), true).await);
        assert_eq!(keys(&errors), expected, "{name}: JSON rows");
        assert_eq!(s.state, SubmissionState::Rejected, "{name}");
        assert_eq!((s.row_count, s.error_count), (7, 6), "{name}");
        renders_in_both_languages(name, &errors);
        // What is kept is what was found, and reads the same after a round trip.
        let (_, stored) = app::submission_errors(&db, &cast.p1, s.id)
            .await
            .expect("errors");
        assert_eq!(stored, errors, "{name}");
        assert_eq!(
            app::render_error(&stored[4], Lang::En),
            "'LX-NOPE9' is not a product code in the catalogue",
            "{name}"
        );

        // The same rows in a CSV file: the header is row 1, so each row is one further down.
        let mut csv = String::from("product_code,region,units,amount_cny\n");
        for r in &bad {
            let cell = |k: &str| match r.get(k) {
                None => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
            };
            csv.push_str(&format!(
                "{},{},{},{}\n",
                cell("product_code"),
                cell("region"),
                cell("units"),
                cell("amount_cny")
            ));
        }
        let (s, errors) = rejected(
            submit(
                &db,
                &cast.p1,
                "sales",
                "2026-11",
                None,
                file(csv.into_bytes(), "sales.csv"),
                true,
            )
            .await
            .expect("submitted"),
        );
        let shifted: Vec<_> = expected.iter().map(|(r, c, k)| (r + 1, *c, *k)).collect();
        assert_eq!(keys(&errors), shifted, "{name}: CSV");
        assert_eq!(s.file_name.as_deref(), Some("sales.csv"), "{name}");
        renders_in_both_languages(name, &errors);

        // A header without a required column, with one the data set does not have.
        let csv = "product_code,region,amount_cny,colour\nLX-SM100,上海,10,红\n";
        let (_, errors) = rejected(
            submit(
                &db,
                &cast.p1,
                "sales",
                "2026-11",
                None,
                file(csv.as_bytes().to_vec(), "sales.csv"),
                true,
            )
            .await
            .expect("submitted"),
        );
        assert_eq!(
            keys(&errors),
            vec![
                (1, "units", "data.file.missing_column"),
                (1, "colour", "data.file.unknown_column"),
                (2, "units", "data.cell.required"),
            ],
            "{name}"
        );
        renders_in_both_languages(name, &errors);

        // A share above 100 % (market share, quarterly).
        let share = |v: &str| json!({"category": "变频器", "region": "上海", "share_pct": v});
        let (_, errors) = rejected(
            submit(
                &db,
                &cast.p1,
                "market_share",
                "2026-Q3",
                None,
                Source::Rows(vec![share("35.5"), share("100.5"), share("-1")]),
                true,
            )
            .await
            .expect("submitted"),
        );
        assert_eq!(
            keys(&errors),
            vec![
                (2, "share_pct", "data.cell.above"),
                (3, "share_pct", "data.cell.negative")
            ],
            "{name}"
        );
        renders_in_both_languages(name, &errors);
        assert!(
            app::render_error(&errors[0], Lang::ZhCn).contains("100"),
            "{name}: the bound is named"
        );

        // Nothing of the refused submissions was stored.
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM data_points").await,
            0,
            "{name}"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM submission_chunks").await,
            0,
            "{name}"
        );
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM submissions WHERE state <> 'rejected'"
            )
            .await,
            0,
            "{name}"
        );
        // The good rows alone are accepted.
        let s = accepted(rows(&db, &cast.p1, "2026-11", None, bad[..1].to_vec(), true).await);
        assert_eq!((s.version, s.row_count), (1, 1), "{name}");
    }
}

/// D7: a file is stored whole or not at all. One bad row in 10,000 stores nothing — no rows,
/// no figures, no current version — and the rejected submission names that row; so does one
/// bad row after the first 20,000-row chunk was already written (it is rolled back).
#[tokio::test]
async fn one_bad_row_in_ten_thousand_stores_nothing() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let (db, _clock) = clocked(&db, bj(2026, 12, 15, 10, 0, 0));
        let products = ["LX-SM100", "LX-SM150", "LX-VF220", "LX-PC10"];
        let regions = ["上海", "江苏", "浙江", "安徽"];
        let big = |n: usize, bad: usize| {
            let mut csv = String::from("product_code,region,units,amount_cny\n");
            for i in 1..=n {
                let units = if i == bad {
                    "-5".to_string()
                } else {
                    (i % 97 + 1).to_string()
                };
                csv.push_str(&format!(
                    "{},{},{units},{}.{:02}\n",
                    products[i % 4],
                    regions[i % 4],
                    i * 3,
                    i % 100
                ));
            }
            csv.into_bytes()
        };
        for (n, bad) in [(10_000, 6_000), (25_000, 24_000)] {
            let (s, errors) = rejected(
                submit(
                    &db,
                    &cast.p1,
                    "sales",
                    "2026-11",
                    None,
                    file(big(n, bad), "big.csv"),
                    true,
                )
                .await
                .expect("submitted"),
            );
            // Data row `bad` is spreadsheet row `bad + 1` (the header is row 1).
            assert_eq!(
                keys(&errors),
                vec![(bad as u64 + 1, "units", "data.cell.negative")],
                "{name}: {n} rows"
            );
            assert_eq!(
                (s.state, s.row_count, s.error_count, s.version),
                (SubmissionState::Rejected, n as i64, 1, 0),
                "{name}: {n} rows"
            );
            let (_, stored) = app::submission_errors(&db, &cast.p1, s.id)
                .await
                .expect("errors");
            assert_eq!(stored, errors, "{name}");
            assert_eq!(
                count(&db, "SELECT COUNT(*) FROM data_points").await,
                0,
                "{name}"
            );
            assert_eq!(
                count(&db, "SELECT COUNT(*) FROM submission_chunks").await,
                0,
                "{name}: {n} rows"
            );
            assert_eq!(
                count(
                    &db,
                    "SELECT COUNT(*) FROM submissions WHERE state = 'current'"
                )
                .await,
                0,
                "{name}"
            );
            let (_, csv) = app::submission_csv(&db, &cast.p1, s.id).await.expect("csv");
            assert_eq!(
                String::from_utf8(csv).expect("utf-8").lines().count(),
                1,
                "{name}: only the header"
            );
        }
        // Every error is counted; the first thousand are kept.
        let mut csv = String::from("product_code,region,units,amount_cny\n");
        for _ in 0..1_500 {
            csv.push_str("LX-SM100,上海,-1,1\n");
        }
        let (s, errors) = rejected(
            submit(
                &db,
                &cast.p1,
                "sales",
                "2026-11",
                None,
                file(csv.into_bytes(), "bad.csv"),
                true,
            )
            .await
            .expect("submitted"),
        );
        assert_eq!((s.error_count, errors.len()), (1_500, 1_000), "{name}");
        let (_, stored) = app::submission_errors(&db, &cast.p1, s.id)
            .await
            .expect("errors");
        assert_eq!(
            (stored.len(), stored.last().map(|e| e.row)),
            (1_000, Some(1_001)),
            "{name}"
        );
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM submissions WHERE state = 'rejected'"
            )
            .await,
            3,
            "{name}"
        );
        // Without the bad row, all 25,000 rows are stored in two chunks.
        let s = accepted(
            submit(
                &db,
                &cast.p1,
                "sales",
                "2026-11",
                None,
                file(big(25_000, 0), "big.csv"),
                false,
            )
            .await
            .expect("submitted"),
        );
        assert_eq!((s.row_count, s.version), (25_000, 1), "{name}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM submission_chunks").await,
            2,
            "{name}"
        );
        let (_, csv) = app::submission_csv(&db, &cast.p1, s.id).await.expect("csv");
        assert_eq!(
            String::from_utf8(csv).expect("utf-8").lines().count(),
            25_001,
            "{name}"
        );
    }
}

/// The figures of [`the_same_figures_arrive_alike_as_gbk_utf16_and_xlsx`]: Chinese headers
/// (the labels) and Chinese regions, so a wrong decoding shows.
fn figures_table() -> Vec<[String; 4]> {
    let products = ["LX-SM100", "LX-SM150", "LX-VF220", "LX-PC10"];
    let regions = ["上海", "江苏省", "浙江", "CN-AH", "福建省"];
    let mut out = vec![[
        "产品编码".to_string(),
        "省份".to_string(),
        "销量".to_string(),
        "销售额".to_string(),
    ]];
    for i in 0..60usize {
        out.push([
            products[i % 4].to_string(),
            regions[i % 5].to_string(),
            (i * 7 % 50 + 1).to_string(),
            format!("{}.{}", 1000 + i * 13, i % 10),
        ]);
    }
    out
}

fn table_csv(t: &[[String; 4]]) -> String {
    t.iter().map(|r| r.join(",") + "\r\n").collect()
}

fn table_xlsx(t: &[[String; 4]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in t.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell.parse::<f64>() {
                // Figures as numbers, as Excel keeps them.
                Ok(v) if r > 0 && c >= 2 => sheet.write_number(r, c, v),
                _ => sheet.write_string(r, c, cell),
            }
            .expect("cell written");
        }
    }
    book.save_to_buffer().expect("workbook saved")
}

/// D7: partners' spreadsheets come as GBK CSV (Excel on Chinese Windows), UTF-16 CSV
/// ("Unicode text") and XLSX; the same figures arrive alike from each — the same rows, the
/// same figures, the same stored rows.
#[tokio::test]
async fn the_same_figures_arrive_alike_as_gbk_utf16_and_xlsx() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let (db, _clock) = clocked(&db, bj(2026, 12, 15, 10, 0, 0));
        let p1 = cast.p1.partner_id.expect("p1 has a partner");
        let t = figures_table();
        let text = table_csv(&t);
        let (gbk, _, lossy) = encoding_rs::GBK.encode(&text);
        assert!(!lossy, "GBK holds every character");
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut utf8 = "\u{feff}".as_bytes().to_vec();
        utf8.extend(text.as_bytes());
        let sources = [
            ("2026-08", utf8, "utf8.csv"),
            ("2026-09", gbk.into_owned(), "gbk.csv"),
            ("2026-10", utf16, "utf16.csv"),
            ("2026-11", table_xlsx(&t), "figures.xlsx"),
        ];
        let mut seen = Vec::new();
        for (period, bytes, file_name) in sources {
            let s = accepted(
                submit(
                    &db,
                    &cast.p1,
                    "sales",
                    period,
                    None,
                    file(bytes, file_name),
                    false,
                )
                .await
                .unwrap_or_else(|e| panic!("{name}: {file_name}: {e:?}")),
            );
            assert_eq!(s.row_count, 60, "{name}: {file_name}");
            let (_, stored) = app::submission_csv(&db, &cast.p1, s.id).await.expect("csv");
            let stored = String::from_utf8(stored).expect("utf-8");
            assert!(
                stored.contains("\nLX-SM150,江苏,8,1013.1\n"),
                "{name}: {file_name}: {stored}"
            );
            seen.push((file_name, figures(&db, p1, period).await, stored));
        }
        let (_, first, rows) = &seen[0];
        // Four products and the total, two measures each.
        assert_eq!(first.len(), 10, "{name}: {first:?}");
        let units: f64 = t[1..].iter().map(|r| r[2].parse::<f64>().expect("n")).sum();
        assert!(
            first.contains(&(String::new(), "units".into(), units)),
            "{name}: {first:?}"
        );
        for (file_name, other, other_rows) in &seen[1..] {
            assert_eq!(other, first, "{name}: {file_name}");
            assert_eq!(other_rows, rows, "{name}: {file_name}");
        }
    }
}

/// §3.3.1, D7: a resubmission for the same period becomes version 2 and current; version 1 is
/// superseded and kept (listed, its rows still readable); the period's figures are replaced,
/// not added to. A refused attempt in between changes nothing.
#[tokio::test]
async fn a_resubmission_supersedes_and_keeps_the_version_before() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let (db, clock) = clocked(&db, bj(2026, 12, 3, 10, 0, 0));
        let p1 = cast.p1.partner_id.expect("p1 has a partner");
        let v1 = accepted(
            rows(
                &db,
                &cast.p1,
                "2026-11",
                None,
                vec![
                    sale("LX-SM100", "上海", 10, "1000"),
                    sale("LX-SM150", "江苏", 5, "500"),
                ],
                true,
            )
            .await,
        );
        assert_eq!(
            (v1.version, v1.state),
            (1, SubmissionState::Current),
            "{name}"
        );
        clock.advance(chrono::Duration::minutes(5));
        // A refused attempt: v1 stays current, its figures intact.
        let (bad, _) = rejected(
            rows(
                &db,
                &cast.p1,
                "2026-11",
                None,
                vec![sale("LX-SM100", "上海", -1, "1")],
                true,
            )
            .await,
        );
        assert_eq!(bad.version, 0, "{name}");
        let total = |f: &[(String, String, f64)]| {
            f.iter()
                .find(|(s, m, _)| s.is_empty() && m == "units")
                .map(|(_, _, v)| *v)
        };
        assert_eq!(
            total(&figures(&db, p1, "2026-11").await),
            Some(15.0),
            "{name}"
        );
        clock.advance(chrono::Duration::minutes(5));
        let v2 = accepted(
            rows(
                &db,
                &cast.p1,
                "2026-11",
                None,
                vec![sale("LX-SM100", "上海", 7, "700")],
                true,
            )
            .await,
        );
        assert_eq!(
            (v2.version, v2.state),
            (2, SubmissionState::Current),
            "{name}"
        );
        let list = app::submissions(
            &db,
            &cast.p1,
            &SubmissionQuery {
                dataset: Some("sales".into()),
                period: Some("2026-11".into()),
                ..Default::default()
            },
            50,
        )
        .await
        .expect("list");
        let listed: Vec<(i64, SubmissionState)> =
            list.iter().map(|s| (s.version, s.state)).collect();
        assert_eq!(
            listed,
            vec![
                (2, SubmissionState::Current),
                (0, SubmissionState::Rejected),
                (1, SubmissionState::Superseded)
            ],
            "{name}"
        );
        let old = app::submission(&db, &cast.p1, v1.id).await.expect("v1");
        assert_eq!(old.state, SubmissionState::Superseded, "{name}");
        assert!(old.superseded_at.is_some(), "{name}");
        // Replaced, not summed: 7, not 22; LX-SM150 is gone with v1.
        let now = figures(&db, p1, "2026-11").await;
        assert_eq!(total(&now), Some(7.0), "{name}");
        assert!(
            !now.iter().any(|(s, _, _)| s == "LX-SM150"),
            "{name}: {now:?}"
        );
        let (file_name, v1_csv) = app::submission_csv(&db, &cast.p1, v1.id)
            .await
            .expect("csv");
        assert!(file_name.ends_with("-v1.csv"), "{name}: {file_name}");
        assert_eq!(
            String::from_utf8(v1_csv).expect("utf-8"),
            "\u{feff}product_code,region,units,amount_cny\nLX-SM100,上海,10,1000\nLX-SM150,江苏,5,500\n",
            "{name}"
        );
        let (_, v2_csv) = app::submission_csv(&db, &cast.p1, v2.id)
            .await
            .expect("csv");
        assert!(
            String::from_utf8(v2_csv)
                .expect("utf-8")
                .ends_with("\nLX-SM100,上海,7,700\n"),
            "{name}"
        );
    }
}

/// §3.3.1 "on time" with §5.3.2: July's sales fall due on the 5th working day of August (Fri
/// 7 Aug); a holiday the admin adds on Wed 5 Aug moves it to Mon 10 Aug. Submitted before the
/// end of the due day is on time, a second after midnight is late; an obligation not met
/// past its due day stands overdue.
#[tokio::test]
async fn due_days_fall_on_the_working_calendar_and_on_time_is_recorded() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let (db, clock) = clocked(&db, bj(2026, 8, 3, 9, 0, 0));
        let p1 = cast.p1.partner_id.expect("p1 has a partner");
        let p2 = cast.p2.partner_id.expect("p2 has a partner");
        let due = |list: &[app::Obligation], ds: &str| {
            list.iter()
                .find(|o| o.dataset_code == ds && o.period == "2026-07")
                .map(|o| (o.due_on, o.standing))
        };
        let before = app::obligations(&db, &cast.p1, p1, 1).await.expect("owed");
        assert_eq!(
            due(&before, "sales"),
            Some((day(2026, 8, 7), Standing::Due)),
            "{name}"
        );
        assert_eq!(
            due(&before, "inventory"),
            Some((day(2026, 8, 5), Standing::Due)),
            "{name}"
        );
        liaison_db::calendar::save_day(
            &db,
            cast.admin.user_id,
            "2026-08-05",
            "holiday",
            "测试假日",
        )
        .await
        .expect("holiday added");
        let after = app::obligations(&db, &cast.p1, p1, 1).await.expect("owed");
        assert_eq!(
            due(&after, "sales"),
            Some((day(2026, 8, 10), Standing::Due)),
            "{name}: the holiday is skipped"
        );
        assert_eq!(
            due(&after, "inventory"),
            Some((day(2026, 8, 6), Standing::Due)),
            "{name}"
        );

        // The last minute of the due day: on time.
        set(&clock, bj(2026, 8, 10, 23, 59, 0));
        let on_time = accepted(
            rows(
                &db,
                &cast.p1,
                "2026-07",
                None,
                vec![sale("LX-SM100", "上海", 10, "1000")],
                true,
            )
            .await,
        );
        assert_eq!(on_time.due_on, Some(day(2026, 8, 10)), "{name}");
        assert_eq!(on_time.on_time, Some(true), "{name}");
        // Just after midnight: late.
        set(&clock, bj(2026, 8, 11, 0, 0, 30));
        let late = accepted(
            rows(
                &db,
                &cast.p2,
                "2026-07",
                None,
                vec![sale("LX-SM100", "北京", 10, "1000")],
                true,
            )
            .await,
        );
        assert_eq!(late.on_time, Some(false), "{name}");
        let mine = app::obligations(&db, &cast.p1, p1, 1).await.expect("owed");
        assert_eq!(
            due(&mine, "sales"),
            Some((day(2026, 8, 10), Standing::OnTime)),
            "{name}"
        );
        assert_eq!(
            due(&mine, "inventory"),
            Some((day(2026, 8, 6), Standing::Overdue)),
            "{name}"
        );
        let theirs = app::obligations(&db, &cast.p2, p2, 1).await.expect("owed");
        assert_eq!(
            due(&theirs, "sales"),
            Some((day(2026, 8, 10), Standing::Late)),
            "{name}"
        );
        let late_ones = app::submissions(
            &db,
            &cast.channel,
            &SubmissionQuery {
                on_time: Some(false),
                ..Default::default()
            },
            50,
        )
        .await
        .expect("list");
        let ids: Vec<Uuid> = late_ones.iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![late.id], "{name}");
    }
}

/// p1's steady sales of LX-SM100 (about 100 units a month) beside a steady 2,000 of LX-SM150,
/// month `i` of a run.
fn steady(i: usize) -> Vec<Value> {
    let jitter = [100, 102, 98, 101, 99, 100, 103, 97, 100, 101, 99, 100];
    vec![
        sale("LX-SM100", "上海", jitter[i % 12], "10000"),
        sale("LX-SM150", "江苏", 2000 + (i % 3) as i64, "200000"),
    ]
}

/// Twelve months of steady history for p1 ending with the month before `month`.
async fn steady_history(db: &Db, p1: &Actor, month: &str) {
    let end = liaison_core::data::Period::parse(month)
        .expect("period")
        .prev();
    for (i, p) in end.last(12).iter().enumerate() {
        accepted(rows(db, p1, &p.to_string(), None, steady(i), false).await);
    }
}

/// The month with LX-SM100 at 3.5 times its usual 100 units.
fn spike() -> Vec<Value> {
    vec![
        sale("LX-SM100", "上海", 350, "10000"),
        sale("LX-SM150", "江苏", 2001, "200000"),
    ]
}

/// §3.3.2: a figure far from the partner's own history is found, and explained with the
/// ratio; the product's spike is found on its series alone (the total moved too little).
#[tokio::test]
async fn a_planted_anomaly_is_found_and_explained_with_its_ratio() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let (db, _clock) = clocked(&db, bj(2026, 12, 15, 10, 0, 0));
        steady_history(&db, &cast.p1, "2026-11").await;
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM anomalies").await,
            0,
            "{name}"
        );
        let o = rows(&db, &cast.p1, "2026-11", None, spike(), true).await;
        let Outcome::Accepted { anomalies: n, .. } = o else {
            panic!("{name}: {o:?}")
        };
        assert_eq!(n, 1, "{name}");
        let list = app::anomalies(&db, &cast.channel, &AnomalyQuery::default(), 50)
            .await
            .expect("anomalies");
        assert_eq!(list.len(), 1, "{name}: {list:?}");
        let a = &list[0];
        assert_eq!(
            (a.series.as_str(), a.measure.as_str(), a.period.as_str()),
            ("LX-SM100", "units", "2026-11"),
            "{name}"
        );
        assert_eq!(
            (a.baseline, a.state),
            (Some(Baseline::History), AnomalyState::Open),
            "{name}"
        );
        assert!(
            (a.ratio.expect("ratio") - 3.5).abs() < 0.01,
            "{name}: {a:?}"
        );
        assert_eq!(a.owner_id, Some(cast.channel.user_id), "{name}");
        for (lang, words) in [(Lang::En, "3.5×"), (Lang::ZhCn, "3.5 倍")] {
            let view = app::anomaly(&db, &cast.p1, a.id, lang).await.expect("view");
            assert!(
                view.explanation.contains(words) && view.explanation.contains("350"),
                "{name}: {}",
                view.explanation
            );
        }
        // The channel manager is told; p1's people are asked to look.
        assert_eq!(
            notified(&db, cast.channel.user_id, NotifyKind::DataAnomaly).await,
            1,
            "{name}"
        );
        assert_eq!(
            notified(&db, cast.p1.user_id, NotifyKind::DataFollowUp).await,
            1,
            "{name}"
        );
    }
}

/// One month of a seasonal series: growing slowly, three times higher every November (the
/// 11.11 peak), with a little noise.
fn seasonal(i: usize) -> i64 {
    let month = i % 12;
    let base = 1000.0 + i as f64 * 3.0;
    let peak = if month == 10 { 3.0 } else { 1.0 };
    (base * peak * (1.0 + ((i * 7) % 5) as f64 * 0.01)).round() as i64
}

/// §3.3.2: a peak that recurs every November is the season, not an anomaly: with three years
/// of p2's history (from January 2024) its third November is judged against the usual yearly
/// change and passes. The control: another distributor whose November is three times its
/// usual November is found, on the seasonal baseline.
#[tokio::test]
async fn a_normal_seasonal_peak_is_not_an_anomaly() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let (db, _clock) = clocked(&db, bj(2026, 12, 15, 10, 0, 0));
        let gz = partner(&db, "GZ-D003").await;
        let months = liaison_core::data::Period::parse("2026-11")
            .expect("period")
            .last(35);
        assert_eq!(months[0].to_string(), "2024-01");
        let row = |region: &str, units: i64| {
            vec![sale("LX-VF220", region, units, &format!("{}", units * 250))]
        };
        for (i, p) in months[..34].iter().enumerate() {
            let p = p.to_string();
            accepted(rows(&db, &cast.p2, &p, None, row("北京", seasonal(i)), false).await);
            accepted(
                rows(
                    &db,
                    &cast.channel,
                    &p,
                    Some(gz.id),
                    row("广东", seasonal(i)),
                    false,
                )
                .await,
            );
        }
        let o = rows(
            &db,
            &cast.p2,
            "2026-11",
            None,
            row("北京", seasonal(34)),
            true,
        )
        .await;
        assert!(
            matches!(o, Outcome::Accepted { anomalies: 0, .. }),
            "{name}: {o:?}"
        );
        let o = rows(
            &db,
            &cast.channel,
            "2026-11",
            Some(gz.id),
            row("广东", seasonal(34) * 3),
            true,
        )
        .await;
        assert!(
            matches!(o, Outcome::Accepted { anomalies: n, .. } if n > 0),
            "{name}: {o:?}"
        );
        // GZ-D003's channel manager reads its figures (§7.2.2: sales are confidential).
        let owner = staff_user(&db, "channel2@demo.example").await;
        let list = app::anomalies(&db, &owner, &AnomalyQuery::default(), 50)
            .await
            .expect("anomalies");
        assert!(!list.is_empty(), "{name}");
        for a in &list {
            assert_eq!(a.partner_id, gz.id, "{name}: p2's peak flagged: {a:?}");
            assert_eq!(a.baseline, Some(Baseline::Seasonal), "{name}: {a:?}");
        }
    }
}

/// §3.3.2 "discuss, analyse, find the cause, act": p1 gives the cause (explained); only its
/// channel manager closes (p1 may not); p2 cannot see or touch p1's anomaly; a corrected
/// resubmission whose figure is normal marks the open anomaly corrected.
#[tokio::test]
async fn an_anomaly_is_followed_up_between_the_partner_and_its_channel_manager() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let (db, _clock) = clocked(&db, bj(2026, 12, 15, 10, 0, 0));
        let p1 = cast.p1.partner_id.expect("p1 has a partner");
        steady_history(&db, &cast.p1, "2026-10").await;
        accepted(rows(&db, &cast.p1, "2026-10", None, spike(), true).await);
        let list = app::anomalies(&db, &cast.p1, &AnomalyQuery::default(), 50)
            .await
            .expect("anomalies");
        assert_eq!(list.len(), 1, "{name}");
        let id = list[0].id;
        let say = |kind: &str, body: &str| FollowUpInput {
            kind: Some(kind.into()),
            body: Some(body.into()),
        };

        // p2: another partner's anomaly does not exist.
        assert!(
            matches!(
                app::anomaly(&db, &cast.p2, id, Lang::ZhCn).await,
                Err(Error::NotFound)
            ),
            "{name}"
        );
        assert!(
            matches!(
                app::follow_up(&db, &cast.p2, id, &say("comment", "看看")).await,
                Err(Error::NotFound)
            ),
            "{name}"
        );
        let theirs = app::anomalies(
            &db,
            &cast.p2,
            &AnomalyQuery {
                partner: Some(p1),
                ..Default::default()
            },
            50,
        )
        .await
        .expect("list");
        assert!(theirs.is_empty(), "{name}");
        assert!(
            app::anomalies(&db, &cast.p2, &AnomalyQuery::default(), 50)
                .await
                .expect("list")
                .is_empty(),
            "{name}"
        );

        let before = notified(&db, cast.channel.user_id, NotifyKind::DataAnomaly).await;
        let v = app::follow_up(
            &db,
            &cast.p1,
            id,
            &say("cause", "双十一提前备货，一次性进货"),
        )
        .await
        .expect("cause");
        assert_eq!(v.anomaly.state, AnomalyState::Explained, "{name}");
        assert_eq!(
            notified(&db, cast.channel.user_id, NotifyKind::DataAnomaly).await,
            before + 1,
            "{name}: the channel manager is told"
        );
        assert!(
            matches!(
                app::follow_up(&db, &cast.p1, id, &say("closed", "")).await,
                Err(Error::Forbidden)
            ),
            "{name}: a partner does not close"
        );
        let v = app::follow_up(&db, &cast.channel, id, &say("closed", "原因合理，已核实"))
            .await
            .expect("closed");
        assert_eq!(v.anomaly.state, AnomalyState::Closed, "{name}");
        assert!(v.anomaly.closed_at.is_some(), "{name}");
        let thread: Vec<(String, bool)> = v
            .follow_ups
            .iter()
            .map(|f| (f.kind.as_str().to_string(), f.author_is_partner))
            .collect();
        assert_eq!(
            thread,
            vec![("cause".to_string(), true), ("closed".to_string(), false)],
            "{name}"
        );

        // November: another spike, then corrected.
        accepted(rows(&db, &cast.p1, "2026-11", None, spike(), true).await);
        let open = app::anomalies(
            &db,
            &cast.p1,
            &AnomalyQuery {
                state: Some(AnomalyState::Open),
                ..Default::default()
            },
            50,
        )
        .await
        .expect("open");
        assert_eq!(open.len(), 1, "{name}: {open:?}");
        assert_eq!(open[0].period, "2026-11", "{name}");
        let o = rows(&db, &cast.p1, "2026-11", None, steady(5), true).await;
        let fixed = accepted(o);
        assert_eq!(fixed.version, 2, "{name}");
        let v = app::anomaly(&db, &cast.p1, open[0].id, Lang::En)
            .await
            .expect("view");
        assert_eq!(v.anomaly.state, AnomalyState::Corrected, "{name}");
        let last = v.follow_ups.last().expect("a follow-up");
        assert_eq!(last.kind.as_str(), "corrected", "{name}");
        assert_eq!(
            (last.author_id, last.author_is_partner),
            (Some(cast.p1.user_id), true),
            "{name}: p1 corrected its figures, not its channel manager"
        );
        // The closed one stays closed.
        let v = app::anomaly(&db, &cast.channel, id, Lang::En)
            .await
            .expect("view");
        assert_eq!(v.anomaly.state, AnomalyState::Closed, "{name}");
    }
}

/// §3.3.2: a partner without a channel manager still has its corrected figure marked
/// corrected (the correction is its submitter's, not an owner's).
#[tokio::test]
async fn a_corrected_resubmission_is_marked_corrected_without_a_channel_manager() {
    use liaison_core::partner::PartnerInput;
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let (db, _clock) = clocked(&db, bj(2026, 12, 15, 10, 0, 0));
        let p = liaison_app::partner::create(
            &db,
            &cast.admin,
            PartnerInput {
                code: Some("NB-D099".into()),
                name: Some("宁波无主商贸有限公司".into()),
                kind: Some("distributor".into()),
                region: Some("华东".into()),
                tier: Some("C".into()),
                ..Default::default()
            },
        )
        .await
        .expect("partner");
        assert_eq!(p.owner_id, None, "{name}");
        let end = liaison_core::data::Period::parse("2026-10").expect("period");
        for (i, period) in end.last(12).iter().enumerate() {
            let period = period.to_string();
            accepted(rows(&db, &cast.admin, &period, Some(p.id), steady(i), false).await);
        }
        accepted(rows(&db, &cast.admin, "2026-11", Some(p.id), spike(), true).await);
        let query = AnomalyQuery {
            partner: Some(p.id),
            ..Default::default()
        };
        let found = app::anomalies(&db, &cast.admin, &query, 50)
            .await
            .expect("anomalies");
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        assert_eq!(found[0].owner_id, None, "{name}");
        accepted(rows(&db, &cast.admin, "2026-11", Some(p.id), steady(5), true).await);
        // Nobody owns the partner's confidential figures, so the admin sees the anomaly
        // without them (§7.2.2); the store says it was corrected by the admin's submission.
        let v = app::anomaly(&db, &cast.admin, found[0].id, Lang::En)
            .await
            .expect("view");
        assert!(v.anomaly.restricted && v.anomaly.value.is_none(), "{name}");
        assert_eq!(v.anomaly.state, AnomalyState::Corrected, "{name}");
        let follow_ups = liaison_db::data::list_follow_ups(&db, found[0].id)
            .await
            .expect("follow-ups");
        assert_eq!(
            follow_ups.last().and_then(|f| f.author_id),
            Some(cast.admin.user_id),
            "{name}"
        );
    }
}

fn november(measure: &str) -> TrendQuery {
    TrendQuery {
        dataset: Some("sales".into()),
        measure: Some(measure.into()),
        from: Some("2026-11".into()),
        to: Some("2026-11".into()),
        ..Default::default()
    }
}

/// D9, §7.2.2: the peer benchmark (other distributors' figures) is withheld while fewer than
/// five peers reported and shown from five; it never holds the viewer's own figure (p1's
/// extreme figure does not move it); and p2, seeing p1 among only four peers, learns nothing.
#[tokio::test]
async fn the_peer_benchmark_is_withheld_below_five_peers_and_never_holds_ones_own_figure() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let (db, _clock) = clocked(&db, bj(2026, 12, 15, 10, 0, 0));
        accepted(
            rows(
                &db,
                &cast.p1,
                "2026-11",
                None,
                vec![sale("LX-SM100", "上海", 1_000_000, "1")],
                false,
            )
            .await,
        );
        accepted(
            rows(
                &db,
                &cast.p2,
                "2026-11",
                None,
                vec![sale("LX-SM100", "北京", 10, "1")],
                false,
            )
            .await,
        );
        for (code, region, units) in [
            ("GZ-D003", "广东", 20),
            ("CD-D004", "四川", 30),
            ("WH-D005", "湖北", 40),
        ] {
            let p = partner(&db, code).await;
            accepted(
                rows(
                    &db,
                    &cast.channel,
                    "2026-11",
                    Some(p.id),
                    vec![sale("LX-SM100", region, units, "1")],
                    false,
                )
                .await,
            );
        }
        // Four peers each: withheld for both.
        for who in [&cast.p1, &cast.p2] {
            let t = app::trend(&db, who, &november("units"))
                .await
                .expect("trend");
            assert!(t.benchmark_withheld, "{name}: {t:?}");
            assert!(t.benchmark.iter().all(Option::is_none), "{name}");
            assert!(t.peer_group.is_none(), "{name}");
        }
        let t = app::trend(&db, &cast.p2, &november("units"))
            .await
            .expect("trend");
        assert_eq!(t.values, vec![Some(10.0)], "{name}: p2 sees its own");
        // A fifth peer reports.
        let xa = partner(&db, "XA-D006").await;
        accepted(
            rows(
                &db,
                &cast.channel,
                "2026-11",
                Some(xa.id),
                vec![sale("LX-SM100", "陕西", 50, "1")],
                false,
            )
            .await,
        );
        let t = app::trend(&db, &cast.p1, &november("units"))
            .await
            .expect("trend");
        assert!(!t.benchmark_withheld, "{name}");
        assert_eq!(t.values, vec![Some(1_000_000.0)], "{name}");
        let b = t.benchmark[0].expect("a benchmark");
        // p2, GZ, CD, WH, XA: 10 20 30 40 50 (with p1 the median would be 35).
        assert_eq!(
            (b.q1, b.median, b.q3, b.peers),
            (20.0, 30.0, 40.0, 5),
            "{name}"
        );
        let g = t.peer_group.expect("peer group");
        assert_eq!((g.kind.as_str(), g.region), ("distributor", None), "{name}");
        // The same for one product.
        let t = app::trend(
            &db,
            &cast.p1,
            &TrendQuery {
                series: Some("LX-SM100".into()),
                ..november("units")
            },
        )
        .await
        .expect("trend");
        assert_eq!(t.benchmark[0].map(|b| b.median), Some(30.0), "{name}");
    }
}

/// §7.2.2, SPEC G2: another partner's figures do not exist for a partner user — its
/// submissions, their errors and rows, its trend; a partner cannot submit for another;
/// staff without the data role are refused the company's figures.
#[tokio::test]
async fn another_partners_figures_do_not_exist() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let (db, _clock) = clocked(&db, bj(2026, 12, 15, 10, 0, 0));
        let p1 = cast.p1.partner_id.expect("p1 has a partner");
        let good = accepted(
            rows(
                &db,
                &cast.p1,
                "2026-11",
                None,
                vec![sale("LX-SM100", "上海", 10, "1000")],
                true,
            )
            .await,
        );
        let (bad, _) = rejected(
            rows(
                &db,
                &cast.p1,
                "2026-10",
                None,
                vec![sale("LX-SM100", "北京", 10, "1000")],
                true,
            )
            .await,
        );
        accepted(
            rows(
                &db,
                &cast.p2,
                "2026-11",
                None,
                vec![sale("LX-SM100", "北京", 3, "300")],
                true,
            )
            .await,
        );
        for id in [good.id, bad.id] {
            assert!(
                matches!(
                    app::submission(&db, &cast.p2, id).await,
                    Err(Error::NotFound)
                ),
                "{name}"
            );
            assert!(
                matches!(
                    app::submission_errors(&db, &cast.p2, id).await,
                    Err(Error::NotFound)
                ),
                "{name}"
            );
            assert!(
                matches!(
                    app::submission_csv(&db, &cast.p2, id).await,
                    Err(Error::NotFound)
                ),
                "{name}"
            );
        }
        let theirs = TrendQuery {
            partner: Some(p1),
            ..november("units")
        };
        assert!(
            matches!(
                app::trend(&db, &cast.p2, &theirs).await,
                Err(Error::NotFound)
            ),
            "{name}"
        );
        assert!(
            matches!(
                app::obligations(&db, &cast.p2, p1, 3).await,
                Err(Error::NotFound)
            ),
            "{name}"
        );
        for partner in [None, Some(p1)] {
            let list = app::submissions(
                &db,
                &cast.p2,
                &SubmissionQuery {
                    partner,
                    ..Default::default()
                },
                100,
            )
            .await
            .expect("list");
            assert!(list.iter().all(|s| s.partner_id != p1), "{name}: {list:?}");
            assert_eq!(list.len(), usize::from(partner.is_none()), "{name}");
        }
        // p2 cannot submit for p1: nothing is stored.
        let before = count(&db, "SELECT COUNT(*) FROM submissions").await;
        let r = submit(
            &db,
            &cast.p2,
            "sales",
            "2026-11",
            Some(p1),
            Source::Rows(vec![sale("LX-SM100", "上海", 999, "1")]),
            true,
        )
        .await;
        assert!(matches!(r, Err(Error::NotFound)), "{name}: {r:?}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM submissions").await,
            before,
            "{name}"
        );
        assert_eq!(
            app::submission(&db, &cast.p1, good.id)
                .await
                .expect("own")
                .state,
            SubmissionState::Current,
            "{name}"
        );
        // Staff without the data role: refused, not shown.
        assert!(
            matches!(
                app::submissions(&db, &cast.staff, &SubmissionQuery::default(), 50).await,
                Err(Error::Forbidden)
            ),
            "{name}"
        );
        assert!(
            matches!(
                app::trend(&db, &cast.staff, &theirs).await,
                Err(Error::Forbidden)
            ),
            "{name}"
        );
        assert!(
            matches!(app::overdue(&db, &cast.staff).await, Err(Error::Forbidden)),
            "{name}"
        );
        assert!(
            matches!(
                app::submission(&db, &cast.staff, good.id).await,
                Err(Error::Forbidden)
            ),
            "{name}"
        );
        // Nor through a partner's obligations (which carry its submissions) or the series it
        // reported; and staff do not submit.
        assert!(
            matches!(
                app::obligations(&db, &cast.staff, p1, 3).await,
                Err(Error::Forbidden)
            ),
            "{name}"
        );
        for partner in [Some(p1), None] {
            let r = app::series_options(&db, &cast.staff, "sales", partner).await;
            assert!(matches!(r, Err(Error::Forbidden)), "{name}: {r:?}");
        }
        let r = submit(
            &db,
            &cast.staff,
            "sales",
            "2026-11",
            Some(p1),
            Source::Rows(vec![sale("LX-SM100", "上海", 1, "1")]),
            true,
        )
        .await;
        assert!(matches!(r, Err(Error::Forbidden)), "{name}: {r:?}");
        // p2's series are its own.
        assert_eq!(
            app::series_options(&db, &cast.p2, "sales", Some(p1))
                .await
                .expect("series"),
            vec!["LX-SM100".to_string()],
            "{name}"
        );
        assert_eq!(
            app::obligations(&db, &cast.channel, p1, 1)
                .await
                .expect("channel management reads them")
                .iter()
                .filter(|o| o.submission.is_some())
                .count(),
            1,
            "{name}"
        );
        // Those with it see both.
        let all = app::submissions(&db, &cast.head, &SubmissionQuery::default(), 50)
            .await
            .expect("list");
        assert_eq!(all.len(), 3, "{name}");
    }
}

/// §3.3.1: once past the due day, a distributor that has not sent July's sales is on its
/// channel manager's overdue list (and one that has is not); the sweep reminds a few days
/// before the due day and tells the channel manager once past it — each once.
#[tokio::test]
async fn the_overdue_are_listed_and_reminded_once() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        // Wednesday 5 Aug: July's sales are due Friday 7 Aug (3 days' notice).
        let (db, clock) = clocked(&db, bj(2026, 8, 5, 9, 0, 0));
        let p2 = cast.p2.partner_id.expect("p2 has a partner");
        let sent = app::sweep(&db).await.expect("sweep");
        assert!(sent > 0, "{name}");
        let due = notified(&db, cast.p2.user_id, NotifyKind::DataDue).await;
        assert!(due >= 1, "{name}: p2 is reminded of July");
        assert_eq!(app::sweep(&db).await.expect("sweep"), 0, "{name}: once");
        let p1_due = notified(&db, cast.p1.user_id, NotifyKind::DataDue).await;

        // p1 sends its sales on time; then the due day passes.
        accepted(
            rows(
                &db,
                &cast.p1,
                "2026-07",
                None,
                vec![sale("LX-SM100", "上海", 10, "1000")],
                true,
            )
            .await,
        );
        set(&clock, bj(2026, 8, 12, 9, 0, 0));
        let list = app::overdue(&db, &cast.channel).await.expect("overdue");
        let sales: Vec<&app::Overdue> = list
            .iter()
            .filter(|o| o.dataset_code == "sales" && o.period == "2026-07")
            .collect();
        let bj = sales
            .iter()
            .find(|o| o.partner_id == p2)
            .unwrap_or_else(|| panic!("{name}: BJ-D002 is overdue: {sales:?}"));
        assert_eq!(bj.due_on, day(2026, 8, 7), "{name}");
        assert_eq!(bj.days_late, 5, "{name}");
        assert_eq!(bj.owner_id, Some(cast.channel.user_id), "{name}");
        // The home page's view: the same count, and the list's first two in the same order.
        let (count, page) = app::overdue_page(&db, &cast.channel, Some(2))
            .await
            .expect("overdue page");
        assert_eq!(count, list.len() as i64, "{name}");
        assert_eq!(
            page.iter()
                .map(|o| (o.partner_id, &o.period))
                .collect::<Vec<_>>(),
            list.iter()
                .take(2)
                .map(|o| (o.partner_id, &o.period))
                .collect::<Vec<_>>(),
            "{name}"
        );
        assert!(
            !sales
                .iter()
                .any(|o| Some(o.partner_id) == cast.p1.partner_id),
            "{name}: p1 sent its sales"
        );
        assert!(
            list.iter()
                .any(|o| o.dataset_code == "inventory" && Some(o.partner_id) == cast.p1.partner_id),
            "{name}: but not its inventory"
        );

        // The second quarter's market shares were past due on 5 Aug already and their
        // channel managers told then; July's are new.
        let before = notified(&db, cast.channel.user_id, NotifyKind::DataOverdue).await;
        let sent = app::sweep(&db).await.expect("sweep");
        let july: Vec<&app::Overdue> = list.iter().filter(|o| o.period == "2026-07").collect();
        // One notice per channel manager and data set, however many of their partners are late.
        let mut pairs: Vec<(uuid::Uuid, &str)> = july
            .iter()
            .filter_map(|o| o.owner_id.map(|w| (w, o.dataset_code.as_str())))
            .collect();
        pairs.sort();
        pairs.dedup();
        let owned = pairs
            .iter()
            .filter(|(w, _)| *w == cast.channel.user_id)
            .count();
        assert!(owned > 0, "{name}");
        assert!(
            july.iter()
                .filter(|o| o.owner_id == Some(cast.channel.user_id))
                .count()
                > owned,
            "{name}: several of channel's partners are late"
        );
        assert_eq!(
            notified(&db, cast.channel.user_id, NotifyKind::DataOverdue).await,
            before + owned,
            "{name}: one message per channel manager and data set"
        );
        assert_eq!(sent, pairs.len(), "{name}");
        assert_eq!(app::sweep(&db).await.expect("sweep"), 0, "{name}: once");
        // p1 was never reminded again of what it had sent.
        assert_eq!(
            notified(&db, cast.p1.user_id, NotifyKind::DataDue).await,
            p1_due,
            "{name}"
        );
    }
}

/// The channel manager of a partner (the owner of its figures, §7.2.2), as an actor.
async fn owner_of(db: &Db, partner: Uuid) -> Actor {
    let p = liaison_db::partner::find_partner(db, liaison_core::Scope::All, partner)
        .await
        .expect("partner");
    let owner = p.owner_id.expect("the demo partner has a channel manager");
    liaison_db::user::list_users(db)
        .await
        .expect("users")
        .iter()
        .find(|u| u.id == owner)
        .expect("owner")
        .actor()
}

async fn audited(db: &Db, action: &str, actor: Uuid, entity: Uuid) -> i64 {
    db.fetch_one::<i64>(
        liaison_db::q(
            "SELECT COUNT(*) FROM audit_log WHERE action = $1 AND actor_id = $2 AND entity_id = $3",
        )
        .bind(action)
        .bind(actor)
        .bind(entity),
    )
    .await
    .expect("audit count")
}

/// §7.2.2 (issue 15 item 1, SPEC G4): the figures of a confidential data set (the demo's
/// sales) reach no one on the staff outside the circle of a partner's figures by another path
/// than the submission: the partner's trend is restricted, company totals leave the partner
/// out and say so, its anomaly shows no figures and cannot be followed up, the submission list
/// names no file, and the reads are audited. After its channel manager grants access on a
/// submission the same reader gets them all; the partner always sees its own. A secret data
/// set's figures are not there at all for those outside.
#[tokio::test]
async fn a_confidential_data_sets_figures_reach_no_one_outside_the_circle_by_any_path() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let (db, _clock) = clocked(&db, bj(2026, 12, 15, 10, 0, 0));
        let p1 = cast.p1.partner_id.expect("p1");
        let p2 = cast.p2.partner_id.expect("p2");
        let owner = owner_of(&db, p1).await;
        let outsider = &cast.admin;
        assert!(owner.user_id != outsider.user_id, "{name}");
        assert!(
            owner_of(&db, p2).await.user_id != outsider.user_id,
            "{name}"
        );
        steady_history(&db, &cast.p1, "2026-11").await;
        let csv =
            "产品编码,省份,销量,销售额\r\nLX-SM100,上海,350,10000\r\nLX-SM150,江苏,2001,200000\r\n";
        let sub = accepted(
            submit(
                &db,
                &cast.p1,
                "sales",
                "2026-11",
                None,
                file(csv.as_bytes().to_vec(), "p1-sales-2026-11.csv"),
                true,
            )
            .await
            .expect("submit"),
        );
        let p2_rows = vec![sale("LX-SM100", "北京", 80, "8000")];
        accepted(rows(&db, &cast.p2, "2026-11", None, p2_rows, false).await);
        let p1_query = TrendQuery {
            partner: Some(p1),
            ..november("units")
        };

        // The partner's series: restricted, no values, where to ask; the read audited.
        let tr = app::trend(&db, outsider, &p1_query).await.expect("trend");
        assert!(tr.restricted, "{name}");
        assert!(tr.values.iter().all(Option::is_none), "{name}: {tr:?}");
        assert!(tr.benchmark.iter().all(Option::is_none), "{name}");
        assert_eq!(tr.ask_on, Some(sub.id), "{name}");
        assert_eq!(
            audited(&db, "access.read_title", outsider.user_id, sub.id).await,
            1,
            "{name}"
        );
        let series = app::series_options(&db, outsider, "sales", Some(p1))
            .await
            .expect("series");
        assert!(series.is_empty(), "{name}: {series:?}");
        // The owner reads it whole.
        let tr = app::trend(&db, &owner, &p1_query).await.expect("trend");
        assert!(
            !tr.restricted && tr.values == vec![Some(2351.0)],
            "{name}: {tr:?}"
        );

        // Company totals: nobody's figures the outsider may know; two partners left out.
        let total = app::trend(&db, outsider, &november("units"))
            .await
            .expect("totals");
        assert_eq!(total.values, vec![None], "{name}");
        assert_eq!(total.withheld_partners, 2, "{name}");
        let by_region = app::trend(
            &db,
            outsider,
            &TrendQuery {
                group: Some("region".into()),
                ..november("units")
            },
        )
        .await
        .expect("groups");
        assert!(
            by_region.groups.is_empty(),
            "{name}: {:?}",
            by_region.groups
        );
        let own_total = app::trend(&db, &owner, &november("units"))
            .await
            .expect("totals");
        assert!(
            own_total.values[0].is_some_and(|v| v >= 2351.0),
            "{name}: {own_total:?}"
        );
        assert!(own_total.withheld_partners < 2, "{name}");

        // The anomaly: listed without its figures, opened by its title only (audited), not
        // followed up.
        let listed = app::anomalies(&db, outsider, &AnomalyQuery::default(), 50)
            .await
            .expect("anomalies");
        let a = listed
            .iter()
            .find(|a| a.partner_id == p1)
            .expect("listed by what it is about");
        assert!(a.restricted, "{name}");
        assert_eq!(
            (a.value, a.expected, a.score, a.ratio, a.baseline),
            (None, None, None, None, None),
            "{name}"
        );
        let d = app::dataset(&db, outsider, "sales").await.expect("dataset");
        assert!(
            !app::explain(&d, a, Lang::En).contains("350"),
            "{name}: the explanation holds no figure"
        );
        let v = app::anomaly(&db, outsider, a.id, Lang::En)
            .await
            .expect("title only");
        assert!(v.anomaly.restricted && v.anomaly.value.is_none(), "{name}");
        assert!(v.follow_ups.is_empty(), "{name}");
        assert_eq!(
            audited(&db, "access.read_title", outsider.user_id, sub.id).await,
            2,
            "{name}"
        );
        let e = app::follow_up(
            &db,
            outsider,
            a.id,
            &FollowUpInput {
                kind: Some("comment".into()),
                body: Some("看看".into()),
            },
        )
        .await
        .expect_err("a title-only reader does not follow up");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        let anomaly_id = a.id;

        // The submission list: the partner, period and data set, no file name.
        let subs = app::submissions(&db, outsider, &SubmissionQuery::default(), 50)
            .await
            .expect("submissions");
        let row = subs.iter().find(|s| s.id == sub.id).expect("listed");
        assert!(row.restricted && row.file_name.is_none(), "{name}");
        let subs = app::submissions(&db, &owner, &SubmissionQuery::default(), 50)
            .await
            .expect("submissions");
        let row = subs.iter().find(|s| s.id == sub.id).expect("listed");
        assert_eq!(
            row.file_name.as_deref(),
            Some("p1-sales-2026-11.csv"),
            "{name}"
        );

        // The partner sees its own figures.
        let mine = app::trend(&db, &cast.p1, &november("units"))
            .await
            .expect("own trend");
        assert!(
            !mine.restricted && mine.values == vec![Some(2351.0)],
            "{name}"
        );
        let mine = app::anomaly(&db, &cast.p1, anomaly_id, Lang::En)
            .await
            .expect("own anomaly");
        assert_eq!(mine.anomaly.value, Some(350.0), "{name}");

        // Asked and granted on the submission: the outsider reads the figures by every path.
        let asked = liaison_app::access::ask(
            &db,
            outsider,
            ItemKind::Submission,
            sub.id,
            "季度经营分析需要",
        )
        .await
        .expect("ask");
        liaison_app::access::decide(&db, &owner, asked.id, true, "")
            .await
            .expect("grant");
        let tr = app::trend(&db, outsider, &p1_query).await.expect("trend");
        assert!(
            !tr.restricted && tr.values == vec![Some(2351.0)],
            "{name}: {tr:?}"
        );
        assert!(
            audited(&db, "access.read", outsider.user_id, sub.id).await >= 1,
            "{name}"
        );
        let total = app::trend(&db, outsider, &november("units"))
            .await
            .expect("totals");
        assert_eq!(total.values, vec![Some(2351.0)], "{name}");
        assert_eq!(
            total.withheld_partners, 1,
            "{name}: p2's are still left out"
        );
        let v = app::anomaly(&db, outsider, anomaly_id, Lang::En)
            .await
            .expect("whole");
        assert!(
            !v.anomaly.restricted && v.anomaly.value == Some(350.0),
            "{name}"
        );
        let subs = app::submissions(&db, outsider, &SubmissionQuery::default(), 50)
            .await
            .expect("submissions");
        let row = subs.iter().find(|s| s.id == sub.id).expect("listed");
        assert!(!row.restricted && row.file_name.is_some(), "{name}");

        // Secret: another outsider finds neither the partner's series nor its anomaly.
        let mut tx = db.begin().await.expect("tx");
        tx.execute(liaison_db::q(
            "UPDATE datasets SET classification = 'secret' WHERE code = 'sales'",
        ))
        .await
        .expect("secret");
        tx.commit().await.expect("commit");
        let other = &cast.exec;
        let e = app::trend(&db, other, &p1_query)
            .await
            .expect_err("not found");
        assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
        let e = app::anomaly(&db, other, anomaly_id, Lang::En)
            .await
            .expect_err("not found");
        assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
        let listed = app::anomalies(&db, other, &AnomalyQuery::default(), 50)
            .await
            .expect("anomalies");
        assert!(listed.iter().all(|a| a.id != anomaly_id), "{name}");
        let total = app::trend(&db, other, &november("units"))
            .await
            .expect("totals");
        assert_eq!(
            (total.values.clone(), total.withheld_partners),
            (vec![None], 2),
            "{name}"
        );
        // The granted reader still reads it.
        let v = app::anomaly(&db, outsider, anomaly_id, Lang::En)
            .await
            .expect("whole");
        assert_eq!(v.anomaly.value, Some(350.0), "{name}");
    }
}
