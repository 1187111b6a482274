//! Business data's pages (policy §3.3; issue 13): the portal and console pages render in every
//! language without a raw key; a file with a bad row uploaded through the portal form is
//! reported cell by cell and stores nothing, and the fixed file is accepted; another partner's
//! report and anomaly do not exist (404); staff without the data permissions are refused the
//! console's pages (403); a file uploaded on a partner's behalf is checked in the background
//! and its progress page reaches done; the settings forms name their bad fields.

use crate::pages::{browser_login, csrf, get};
use crate::{TestApp, apps};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use liaison_app::data::{self as app, Progress, Source, SubmitInput};
use liaison_core::data::{PeriodKind, SubmissionVia};
use serde_json::json;
use tower::ServiceExt;

pub(crate) async fn actor_of(a: &TestApp, email: &str) -> liaison_core::Actor {
    liaison_db::user::list_users(&a.db)
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.email == email)
        .expect("demo user")
        .actor()
}

/// The last `n` closed months, oldest first (`2026-09`, `2026-10`, `2026-11`).
pub(crate) fn months(a: &TestApp, n: usize) -> Vec<String> {
    let today =
        a.db.now()
            .with_timezone(&liaison_core::calendar::COMPANY_ZONE)
            .date_naive();
    app::last_closed(PeriodKind::Monthly, today)
        .last(n)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// The catalogue's first product code.
pub(crate) async fn product(a: &TestApp) -> String {
    let mut codes = liaison_db::data::product_codes(&a.db).await.expect("codes");
    codes.sort();
    codes.into_iter().next().expect("a product")
}

/// Sales figures for a partner (by code) in `period`, as its channel manager submits them in
/// bulk (no anomaly detection); the region must be one the partner covers.
pub(crate) async fn seed_sales(
    a: &TestApp,
    partner: &str,
    region: &str,
    period: &str,
    units: i64,
    detect: bool,
) -> liaison_db::data::Submission {
    let channel = actor_of(a, "channel@demo.example").await;
    let pid = liaison_db::partner::resolve_partner_ref(&a.db, partner)
        .await
        .expect("query")
        .expect("partner");
    let code = product(a).await;
    let rows = vec![
        json!({"product_code": code, "region": region, "units": units,
        "amount_cny": format!("{}.50", units * 300)}),
    ];
    let input = SubmitInput {
        dataset: Some("sales".into()),
        period: Some(period.into()),
        partner_id: Some(pid),
        rows: None,
    };
    let out = app::submit_with(
        &a.db,
        &channel,
        &input,
        Source::Rows(rows),
        SubmissionVia::Console,
        Progress::default(),
        detect,
    )
    .await
    .expect("submitted");
    match out {
        app::Outcome::Accepted { submission, .. } => submission,
        app::Outcome::Rejected { errors, .. } => panic!("[{}] refused: {errors:?}", a.name),
    }
}

/// A multipart form as a browser sends it: text fields, then one file in the `file` part.
pub(crate) fn upload(
    path: &str,
    cookie: &str,
    lang: &str,
    pairs: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Request<Body> {
    let boundary = "----liaison-data-9fQ2xZbT";
    let mut body: Vec<u8> = Vec::new();
    for (k, v) in pairs {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Request::builder()
        .method("POST")
        .uri(path)
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT_LANGUAGE, lang)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request")
}

fn form(path: &str, cookie: &str, pairs: &[(&str, &str)]) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(path)
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT_LANGUAGE, "zh-CN")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(
            serde_urlencoded::to_string(pairs).expect("form"),
        ))
        .expect("request")
}

/// Sends a page request; the status, the redirect's target and the page.
async fn send(a: &TestApp, req: Request<Body>) -> (StatusCode, String, String) {
    let resp = a.router.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let location = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        location,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// A page with no catalogue key, placeholder or template syntax left in it.
fn assert_clean(name: &str, path: &str, lang: &str, html: &str) {
    for raw in [
        "data.page.",
        "data.period_kind.",
        "data.cell.",
        "data.period_unit",
        "nav.",
        "kind.distributor",
        "{{",
        "{ $",
    ] {
        assert!(!html.contains(raw), "[{name}] {lang} {path} shows {raw}");
    }
}

/// A file of sales rows: a header, then `product,region,units,amount` lines.
fn sales_csv(rows: &[(&str, &str, &str, &str)]) -> Vec<u8> {
    let mut s = String::from("product_code,region,units,amount_cny\n");
    for (p, r, u, m) in rows {
        s.push_str(&format!("{p},{r},{u},{m}\n"));
    }
    s.into_bytes()
}

#[tokio::test]
async fn data_pages_render_in_every_language_without_raw_keys() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let periods = months(a, 3);
        // A submission and an anomaly to show: p1's history, then a month ten times bigger.
        let history = months(a, 8);
        for (i, p) in history.iter().enumerate() {
            let last = i + 1 == history.len();
            seed_sales(
                a,
                "SH-D001",
                "上海",
                p,
                if last { 1500 } else { 100 + i as i64 },
                last,
            )
            .await;
        }
        let p1 = actor_of(a, "p1@demo.example").await;
        let found = app::anomalies(&a.db, &p1, &Default::default(), 10)
            .await
            .expect("anomalies");
        let anomaly = found.first().expect("an anomaly").id;
        let sub = found[0].submission_id;
        let english: Vec<(&str, &str)> = liaison_i18n::keys(liaison_i18n::Lang::En)
            .into_iter()
            .filter(|k| k.starts_with("data.page."))
            .filter_map(|k| {
                let en = liaison_i18n::lookup(liaison_i18n::Lang::En, k)?;
                let zh = liaison_i18n::lookup(liaison_i18n::Lang::ZhCn, k)?;
                (en != zh && en.contains(' ') && en.len() >= 12 && !en.contains('{'))
                    .then_some((k, en))
            })
            .collect();
        let p1_c = browser_login(a, "p1@demo.example").await;
        let channel_c = browser_login(a, "channel@demo.example").await;
        let admin_c = browser_login(a, "admin@demo.example").await;
        for lang in ["zh-CN", "zh-TW", "en"] {
            for (cookie, path, expect) in [
                (&p1_c, "/portal/data".to_string(), "upload-form"),
                (
                    &p1_c,
                    format!("/portal/data/submissions/{sub}"),
                    "submission-accepted",
                ),
                (
                    &p1_c,
                    format!("/portal/data/anomalies/{anomaly}"),
                    "follow-form",
                ),
                (&p1_c, "/portal/data/trends".to_string(), "<svg"),
                (
                    &p1_c,
                    format!("/portal/data/trends?dataset=inventory&from={}", periods[0]),
                    "trend-table",
                ),
                (&channel_c, "/console/data".to_string(), "overdue-table"),
                (
                    &channel_c,
                    format!("/console/data/submissions/{sub}"),
                    "rows-csv",
                ),
                (
                    &channel_c,
                    format!("/console/data/anomalies/{anomaly}"),
                    "follow-form",
                ),
                (
                    &channel_c,
                    "/console/data/trends?group=region".to_string(),
                    "<svg",
                ),
                (
                    &channel_c,
                    "/console/data/trends?partner=SH-D001".to_string(),
                    "<svg",
                ),
                (
                    &channel_c,
                    "/console/data/import".to_string(),
                    "import-form",
                ),
                (
                    &admin_c,
                    "/console/settings/data".to_string(),
                    "dataset-form",
                ),
                // §7.2.2: the admin is outside the circle of SH-D001's confidential sales.
                (
                    &admin_c,
                    "/console/data/trends?partner=SH-D001".to_string(),
                    "trend-ask",
                ),
                (
                    &admin_c,
                    "/console/data/trends".to_string(),
                    "trend-withheld-partners",
                ),
                (
                    &admin_c,
                    format!("/console/data/anomalies/{anomaly}"),
                    "ask-form",
                ),
                (
                    &admin_c,
                    "/console/data?state=current&on_time=no&dataset=sales".to_string(),
                    "submission-table",
                ),
            ] {
                let r = a.send(get(&path, Some(cookie), lang)).await;
                assert_eq!(
                    r.status,
                    StatusCode::OK,
                    "[{n}] {lang} {path}: {}",
                    r.text()
                );
                let html = r.text();
                assert!(html.contains(expect), "[{n}] {lang} {path} lacks {expect}");
                assert_clean(n, &path, lang, &html);
                if lang != "en" {
                    for (k, en) in &english {
                        assert!(
                            !html.contains(en),
                            "[{n}] {lang} {path} shows {k} in English"
                        );
                    }
                }
            }
        }
        // The portal's page names the data sets and columns by their labels.
        let page = a.send(get("/portal/data", Some(&p1_c), "en")).await.text();
        assert!(page.contains("Monthly sales"), "[{n}]");
        assert!(page.contains("id=\"nav-data\""), "[{n}] the portal menu");
        let page = a
            .send(get("/portal/data", Some(&p1_c), "zh-CN"))
            .await
            .text();
        assert!(page.contains("月度销售"), "[{n}]");
        // The anomaly is explained in the reader's words (months, not a code).
        let an = a
            .send(get(
                &format!("/portal/data/anomalies/{anomaly}"),
                Some(&p1_c),
                "zh-CN",
            ))
            .await
            .text();
        assert!(an.contains("个月"), "[{n}] {an}");
        assert!(!an.contains("monthly"), "[{n}]");
        // Templates: CSV and XLSX, the header row the file checker expects.
        let r = a
            .send(get(
                "/portal/data/templates/sales.csv",
                Some(&p1_c),
                "zh-CN",
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}]");
        assert!(r.content_type.starts_with("text/csv"), "[{n}]");
        assert!(
            r.text().contains("product_code,region,units,amount_cny"),
            "[{n}] {}",
            r.text()
        );
        let r = a
            .send(get(
                "/portal/data/templates/sales.xlsx",
                Some(&p1_c),
                "zh-CN",
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}]");
        assert!(r.body.starts_with(b"PK"), "[{n}] an xlsx is a zip");
        let r = a
            .send(get(
                "/portal/data/templates/sales.pdf",
                Some(&p1_c),
                "zh-CN",
            ))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}]");
        // The trend as CSV: the same rows the table shows.
        let r = a
            .send(get(
                "/portal/data/trends?dataset=sales&measure=units&format=csv",
                Some(&p1_c),
                "en",
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}]");
        let csv = r.text();
        assert!(csv.contains("Period,Our figures"), "[{n}] {csv}");
        assert!(csv.contains(&format!("{},1500", history[7])), "[{n}] {csv}");
        let r = a
            .send(get(
                "/portal/data/trends?dataset=sales&format=xlsx",
                Some(&p1_c),
                "en",
            ))
            .await;
        assert!(r.body.starts_with(b"PK"), "[{n}]");
        // The stored rows of the console's report.
        let r = a
            .send(get(
                &format!("/console/data/submissions/{sub}/rows.csv"),
                Some(&channel_c),
                "en",
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}]");
        assert!(r.text().contains("上海,1500,"), "[{n}] {}", r.text());
    }
}

#[tokio::test]
async fn a_bad_row_is_reported_and_stores_nothing_and_the_fixed_file_is_accepted() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let period = months(a, 1).remove(0);
        let code = product(a).await;
        let cookie = browser_login(a, "p1@demo.example").await;
        let token = csrf(&cookie);
        let fields = [
            ("_csrf", token.as_str()),
            ("dataset", "sales"),
            ("period", period.as_str()),
        ];
        // No file: the form again, naming it.
        let (status, _, page) = send(
            a,
            upload("/portal/data/submissions", &cookie, "zh-CN", &fields, None),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {page}");
        assert!(page.contains("id=\"error-file\""), "[{n}]");
        // Row 3 has a word for its units and a province outside 华东.
        let bad = sales_csv(&[
            (&code, "上海", "120", "36000.00"),
            (&code, "北京", "一百", "30000.00"),
            (&code, "江苏", "80", "24000.00"),
        ]);
        let (status, location, page) = send(
            a,
            upload(
                "/portal/data/submissions",
                &cookie,
                "zh-CN",
                &fields,
                Some(("销售.csv", &bad)),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}] {page}");
        assert!(location.starts_with("/portal/data/submissions/"), "[{n}]");
        let report = a.send(get(&location, Some(&cookie), "zh-CN")).await;
        assert_eq!(report.status, StatusCode::OK, "[{n}]");
        let html = report.text();
        assert!(html.contains("id=\"error-table\""), "[{n}] {html}");
        assert!(html.contains("id=\"upload-again\""), "[{n}]");
        for expect in [
            "销量",
            "省份",
            liaison_i18n::t(liaison_i18n::Lang::ZhCn, "data.cell.integer"),
            "北京",
            "<td data-label=\"行\" class=\"num\">3</td>",
        ] {
            assert!(
                html.contains(expect),
                "[{n}] the report lacks {expect}: {html}"
            );
        }
        assert_clean(n, &location, "zh-CN", &html);
        let en = a.send(get(&location, Some(&cookie), "en")).await.text();
        assert!(en.contains("must be a whole number"), "[{n}] {en}");
        assert!(en.contains("Units") && en.contains("Province"), "[{n}]");
        // Nothing stored: no current figures for the period.
        let p1 = actor_of(a, "p1@demo.example").await;
        let current = app::submissions(
            &a.db,
            &p1,
            &app::SubmissionQuery {
                period: Some(period.clone()),
                state: Some(liaison_core::data::SubmissionState::Current),
                ..Default::default()
            },
            10,
        )
        .await
        .expect("list");
        assert!(current.is_empty(), "[{n}] {current:?}");
        let rejected_id = location.rsplit('/').next().unwrap_or("").to_string();
        // Fix and upload again: the link fills in the form.
        let again = a
            .send(get(
                &format!("/portal/data?dataset=sales&period={period}"),
                Some(&cookie),
                "zh-CN",
            ))
            .await
            .text();
        assert!(again.contains(&format!("value=\"{period}\"")), "[{n}]");
        let good = sales_csv(&[
            (&code, "上海", "120", "36000.00"),
            (&code, "浙江", "100", "30000.00"),
            (&code, "江苏", "80", "24,000.00"),
        ]);
        let (status, location, page) = send(
            a,
            upload(
                "/portal/data/submissions",
                &cookie,
                "zh-CN",
                &fields,
                Some(("销售.csv", &good)),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}] {page}");
        let html = a.send(get(&location, Some(&cookie), "zh-CN")).await.text();
        assert!(html.contains("id=\"submission-accepted\""), "[{n}] {html}");
        assert!(html.contains("id=\"submission-rows\">3<"), "[{n}]");
        // The list shows both, the refused one by its word.
        let list = a
            .send(get("/portal/data", Some(&cookie), "zh-CN"))
            .await
            .text();
        assert!(list.contains(&rejected_id), "[{n}]");
        assert!(list.contains("已退回") && list.contains("已接收"), "[{n}]");
        // A forged post (no token) changes nothing.
        let (status, _, _) = send(
            a,
            upload(
                "/portal/data/submissions",
                &cookie,
                "zh-CN",
                &[("dataset", "sales"), ("period", period.as_str())],
                Some(("销售.csv", &good)),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{n}]");
    }
}

#[tokio::test]
async fn another_partners_report_and_anomaly_do_not_exist_and_the_follow_up_runs_both_ways() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let history = months(a, 8);
        let mut last = None;
        for (i, p) in history.iter().enumerate() {
            let big = i + 1 == history.len();
            last = Some(
                seed_sales(
                    a,
                    "SH-D001",
                    "江苏",
                    p,
                    if big { 2000 } else { 90 + i as i64 },
                    big,
                )
                .await,
            );
        }
        let sub = last.expect("submitted").id;
        let p1 = actor_of(a, "p1@demo.example").await;
        let anomaly = app::anomalies(&a.db, &p1, &Default::default(), 10)
            .await
            .expect("anomalies")
            .first()
            .expect("an anomaly")
            .id;
        let p1_c = browser_login(a, "p1@demo.example").await;
        let p2_c = browser_login(a, "p2@demo.example").await;
        for path in [
            format!("/portal/data/submissions/{sub}"),
            format!("/portal/data/submissions/{sub}/rows.csv"),
            format!("/portal/data/anomalies/{anomaly}"),
        ] {
            let r = a.send(get(&path, Some(&p2_c), "zh-CN")).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}] p2 {path}");
            let r = a.send(get(&path, Some(&p1_c), "zh-CN")).await;
            assert_eq!(r.status, StatusCode::OK, "[{n}] p1 {path}");
        }
        let path = format!("/portal/data/anomalies/{anomaly}/follow-ups");
        let (status, _, _) = send(
            a,
            form(
                &path,
                &p2_c,
                &[("_csrf", &csrf(&p2_c)), ("kind", "comment"), ("body", "?")],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "[{n}] p2 answers");
        let p2_list = a
            .send(get("/portal/data", Some(&p2_c), "zh-CN"))
            .await
            .text();
        assert!(!p2_list.contains(&sub.to_string()), "[{n}]");
        // p1: an empty answer names the field; then the cause.
        let (status, _, page) = send(
            a,
            form(
                &path,
                &p1_c,
                &[("_csrf", &csrf(&p1_c)), ("kind", "cause"), ("body", "  ")],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(page.contains("id=\"error-body\""), "[{n}]");
        let (status, location, _) = send(
            a,
            form(
                &path,
                &p1_c,
                &[
                    ("_csrf", &csrf(&p1_c)),
                    ("kind", "cause"),
                    ("body", "双十一大促，江苏门店集中备货。"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        let page = a.send(get(&location, Some(&p1_c), "zh-CN")).await.text();
        assert!(page.contains("双十一大促"), "[{n}]");
        assert!(page.contains("已说明"), "[{n}] the state by its word");
        // A partner may not close it.
        let (status, _, _) = send(
            a,
            form(
                &path,
                &p1_c,
                &[("_csrf", &csrf(&p1_c)), ("kind", "closed"), ("body", "")],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{n}]");
        // The channel manager records an action and closes it on the console.
        let channel_c = browser_login(a, "channel@demo.example").await;
        let cpath = format!("/console/data/anomalies/{anomaly}/follow-ups");
        let (status, location, _) = send(
            a,
            form(
                &cpath,
                &channel_c,
                &[
                    ("_csrf", &csrf(&channel_c)),
                    ("kind", "closed"),
                    ("body", "原因合理。"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        assert!(location.starts_with("/console/data/anomalies/"), "[{n}]");
        let page = a
            .send(get(&location, Some(&channel_c), "zh-CN"))
            .await
            .text();
        assert!(page.contains("已关闭"), "[{n}]");
    }
}

#[tokio::test]
async fn staff_without_the_data_permissions_are_refused_the_console_pages() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let sub = seed_sales(a, "BJ-D002", "北京", &months(a, 1)[0], 50, false).await;
        let staff = browser_login(a, "staff@demo.example").await;
        let channel = browser_login(a, "channel@demo.example").await;
        let p1 = browser_login(a, "p1@demo.example").await;
        for path in [
            "/console/data".to_string(),
            "/console/data/trends".to_string(),
            "/console/data/import".to_string(),
            "/console/settings/data".to_string(),
            format!("/console/data/submissions/{}", sub.id),
            format!("/console/data/submissions/{}/rows.csv", sub.id),
        ] {
            let r = a.send(get(&path, Some(&staff), "zh-CN")).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}] staff {path}");
            let r = a.send(get(&path, Some(&channel), "zh-CN")).await;
            assert_eq!(r.status, StatusCode::OK, "[{n}] channel {path}");
            let r = a.send(get(&path, Some(&p1), "zh-CN")).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}] p1 {path}");
        }
        // The menu offers the pages only to those who may open them.
        let home = a
            .send(get("/console/home", Some(&staff), "zh-CN"))
            .await
            .text();
        assert!(!home.contains("id=\"nav-data\""), "[{n}]");
        let home = a
            .send(get("/console/home", Some(&channel), "zh-CN"))
            .await
            .text();
        assert!(home.contains("id=\"nav-data\""), "[{n}]");
        assert!(home.contains("id=\"nav-data-settings\""), "[{n}]");
        // Staff may not upload on a partner's behalf either.
        let (status, _, _) = send(
            a,
            upload(
                "/console/data/import",
                &staff,
                "zh-CN",
                &[("_csrf", &csrf(&staff)), ("partner", "BJ-D002")],
                None,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{n}]");
    }
}

#[tokio::test]
async fn a_console_import_shows_its_progress_until_done() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let period = months(a, 2).remove(0);
        let code = product(a).await;
        let cookie = browser_login(a, "channel@demo.example").await;
        let token = csrf(&cookie);
        // Missing partner and file: the form again, naming both.
        let (status, _, page) = send(
            a,
            upload(
                "/console/data/import",
                &cookie,
                "zh-CN",
                &[("_csrf", &token), ("dataset", "sales"), ("period", &period)],
                None,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(page.contains("id=\"error-partner\""), "[{n}]");
        assert!(page.contains("id=\"error-file\""), "[{n}]");
        let regions = ["北京", "天津", "河北"];
        let rows: Vec<(String, &str, String, String)> = (0..5000)
            .map(|i| {
                (
                    code.clone(),
                    regions[i % 3],
                    (10 + i % 7).to_string(),
                    format!("{}.00", 3000 + i % 11),
                )
            })
            .collect();
        let refs: Vec<(&str, &str, &str, &str)> = rows
            .iter()
            .map(|(a, b, c, d)| (a.as_str(), *b, c.as_str(), d.as_str()))
            .collect();
        let file = sales_csv(&refs);
        let (status, location, page) = send(
            a,
            upload(
                "/console/data/import",
                &cookie,
                "zh-CN",
                &[
                    ("_csrf", &token),
                    ("partner", "BJ-D002"),
                    ("dataset", "sales"),
                    ("period", &period),
                ],
                Some(("京联-销售.csv", &file)),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}] {page}");
        assert!(location.starts_with("/console/data/import/"), "[{n}]");
        let mut page = String::new();
        for _ in 0..300 {
            let r = a.send(get(&location, Some(&cookie), "zh-CN")).await;
            assert_eq!(r.status, StatusCode::OK, "[{n}]");
            page = r.text();
            assert_clean(n, &location, "zh-CN", &page);
            if page.contains("id=\"import-done\"") {
                break;
            }
            assert!(page.contains("http-equiv=\"refresh\""), "[{n}] {page}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(
            page.contains("id=\"import-done\""),
            "[{n}] never done: {page}"
        );
        assert!(!page.contains("http-equiv=\"refresh\""), "[{n}]");
        assert!(page.contains("id=\"import-rows\">5000<"), "[{n}] {page}");
        let report = page
            .split("href=\"/console/data/submissions/")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("a link to the report")
            .to_string();
        let r = a
            .send(get(
                &format!("/console/data/submissions/{report}"),
                Some(&cookie),
                "zh-CN",
            ))
            .await;
        assert!(r.text().contains("id=\"submission-accepted\""), "[{n}]");
        assert!(
            r.text().contains("控制台代为上传"),
            "[{n}] sent through the console"
        );
        // Only the one who started it sees its progress.
        let admin = browser_login(a, "admin@demo.example").await;
        let r = a.send(get(&location, Some(&admin), "zh-CN")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}]");
    }
}

#[tokio::test]
async fn the_data_settings_forms_save_and_name_their_bad_fields() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let cookie = browser_login(a, "admin@demo.example").await;
        let token = csrf(&cookie);
        // Thresholds out of range.
        let (status, _, page) = send(
            a,
            form(
                "/console/settings/data/thresholds",
                &cookie,
                &[
                    ("_csrf", &token),
                    ("score", "50"),
                    ("min_history", "6"),
                    ("peer_percentile", "10"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(page.contains("id=\"error-score\""), "[{n}]");
        let (status, location, _) = send(
            a,
            form(
                "/console/settings/data/thresholds",
                &cookie,
                &[
                    ("_csrf", &token),
                    ("score", "4"),
                    ("min_history", "8"),
                    ("peer_percentile", "5"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        let page = a.send(get(&location, Some(&cookie), "zh-CN")).await.text();
        assert!(page.contains("name=\"min_history\" value=\"8\""), "[{n}]");
        // A new data set: the second row's column name is bad, and named beside its row.
        let mut fields = vec![
            ("_csrf", token.clone()),
            ("id", String::new()),
            ("version", "0".into()),
            ("rows", "3".into()),
            ("code", "returns".into()),
            ("name_zh", "月度退货".into()),
            ("name_en", "Monthly returns".into()),
            ("classification", "confidential".into()),
            ("series_by", "product_code".into()),
            ("active", "on".into()),
            ("columns[0].name", "product_code".into()),
            ("columns[0].label_zh", "产品编码".into()),
            ("columns[0].kind", "product_code".into()),
            ("columns[0].required", "on".into()),
            ("columns[2].name", "Units Returned".into()),
            ("columns[2].label_zh", "退货数量".into()),
            ("columns[2].kind", "integer".into()),
            ("columns[2].min", "0".into()),
        ];
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _, page) =
            send(a, form("/console/settings/data/datasets", &cookie, &pairs)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] {page}");
        let row2 = page.split("columns[2].name").nth(1).unwrap_or("");
        assert!(
            row2.contains("field-error"),
            "[{n}] the error is beside the third row"
        );
        fields.iter_mut().for_each(|(k, v)| {
            if *k == "columns[2].name" {
                *v = "units_returned".into();
            }
        });
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, location, page) =
            send(a, form("/console/settings/data/datasets", &cookie, &pairs)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}] {page}");
        let page = a.send(get(&location, Some(&cookie), "zh-CN")).await.text();
        assert!(page.contains("月度退货"), "[{n}]");
        assert!(
            page.contains("value=\"units_returned\""),
            "[{n}] the edit form"
        );
        // A requirement for it, monthly for agents.
        let (status, _, _) = send(
            a,
            form(
                "/console/settings/data/requirements",
                &cookie,
                &[
                    ("_csrf", &token),
                    ("dataset", "returns"),
                    ("partner_kind", "agent"),
                    ("period", "monthly"),
                    ("due_working_days", "five"),
                    ("remind_days", "2"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        let (status, _, _) = send(
            a,
            form(
                "/console/settings/data/requirements",
                &cookie,
                &[
                    ("_csrf", &token),
                    ("dataset", "returns"),
                    ("partner_kind", "agent"),
                    ("period", "monthly"),
                    ("due_working_days", "5"),
                    ("remind_days", "2"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        let admin = actor_of(a, "admin@demo.example").await;
        let reqs = app::requirements(&a.db, &admin)
            .await
            .expect("requirements");
        assert!(
            reqs.iter().any(|r| r.dataset_code == "returns" && r.active),
            "[{n}]"
        );
    }
}
