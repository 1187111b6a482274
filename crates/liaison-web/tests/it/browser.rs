//! A real headless Chromium (Debian's chromium + chromium-driver, installed by
//! scripts/install-deps) logs in and reads the partner list, and on a phone-sized screen a
//! partner reads and confirms a message in the portal inbox.

use fantoccini::{ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub(crate) struct Driver(Child);
impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

/// Starts chromedriver and a Chromium session with these `goog:chromeOptions`.
pub(crate) async fn chromium(options: serde_json::Value) -> (Driver, fantoccini::Client) {
    let port = free_port();
    let driver = Driver(
        Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is missing: run scripts/install-deps"),
    );
    let url = format!("http://127.0.0.1:{port}");
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    for _ in 0..50 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => return (driver, c),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    panic!("cannot start a Chromium session through chromedriver");
}

/// Serves the app on a free loopback port, as `liaison serve` does; returns its address.
pub(crate) async fn serve(router: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    addr
}

/// Chromium as a 390×844 phone (touch, 3× pixels) reading Simplified Chinese.
pub(crate) async fn phone() -> (Driver, fantoccini::Client) {
    chromium(serde_json::json!({"binary": "/usr/bin/chromium",
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--lang=zh-CN", "--window-size=390,844"],
        "prefs": {"intl.accept_languages": "zh-CN,zh"},
        "mobileEmulation": {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0, "touch": true}}}))
    .await
}

/// Chromium as a 1280×900 desktop reading Simplified Chinese.
pub(crate) async fn desktop() -> (Driver, fantoccini::Client) {
    chromium(serde_json::json!({"binary": "/usr/bin/chromium",
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--lang=zh-CN", "--window-size=1280,900"],
        "prefs": {"intl.accept_languages": "zh-CN,zh"}}))
    .await
}

/// The element with this id, once it is on the page (the driver's wait; a panic names it).
pub(crate) async fn wait_id(c: &fantoccini::Client, id: &str) -> fantoccini::elements::Element {
    c.wait()
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"))
}

/// Fills in the login form with a demo login and submits it.
pub(crate) async fn log_in(c: &fantoccini::Client, email: &str) {
    c.find(Locator::Id("email"))
        .await
        .expect("email")
        .send_keys(email)
        .await
        .expect("type");
    c.find(Locator::Id("password"))
        .await
        .expect("password")
        .send_keys("liaison-demo")
        .await
        .expect("type");
    c.find(Locator::Id("login-submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

#[tokio::test]
async fn a_channel_manager_logs_in_and_sees_the_partner_list_in_chromium() {
    let (apps, _g) = crate::apps().await;
    let a = &apps[0];
    let addr = serve(a.router.clone()).await;

    let (driver, c) = desktop().await;
    let base = format!("http://{addr}");
    c.goto(&format!("{base}/console/partners"))
        .await
        .expect("goto");
    // Not logged in: sent to the login page.
    assert!(
        c.current_url()
            .await
            .expect("url")
            .path()
            .starts_with("/login")
    );
    log_in(&c, "channel@demo.example").await;
    let table = c
        .wait()
        .for_element(Locator::Id("partner-table"))
        .await
        .expect("partner table");
    let text = table.text().await.expect("text");
    assert!(text.contains("上海恒通商贸有限公司"), "{text}");
    assert_eq!(
        c.current_url().await.expect("url").path(),
        "/console/partners"
    );
    // Search narrows the list to the matching partner.
    let q = c.find(Locator::Id("q")).await.expect("search");
    q.send_keys("京联").await.expect("type");
    q.send_keys("\u{e007}").await.expect("enter");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let text = c
        .find(Locator::Id("partner-table"))
        .await
        .expect("table")
        .text()
        .await
        .expect("text");
    assert!(
        text.contains("北京京联贸易有限公司") && !text.contains("上海恒通"),
        "{text}"
    );
    c.close().await.expect("close");
    drop(driver);
}

/// The partner side on a phone: p1 opens the inbox in a 390×844 window, reads the message and
/// confirms it with one tap.
#[tokio::test]
async fn a_partner_reads_and_confirms_a_message_on_a_phone_in_chromium() {
    use axum::http::StatusCode;
    use serde_json::json;
    let (apps, _g) = crate::apps().await;
    let a = &apps[0];
    // A dispatched request to SH-D001 that asks for a confirmation, through the API.
    let staff = a.login("staff@demo.example").await;
    let head = a.login("head@demo.example").await;
    let channel = a.login("channel@demo.example").await;
    let title = "华东区季度返利结算通知";
    let created = a
        .call(
            "POST",
            "/api/v1/requests",
            Some(&staff),
            Some(json!({
                "title": title,
                "purpose": "告知经销商返利结算安排",
                "body": "各位合作伙伴：\n\n本季度返利将于下月 10 日前结算。\n如有疑问请联系渠道经理。",
                "category": "product",
                "audience": {"partners": [a.partner_id("SH-D001").await]},
                "ack_required": true,
                "ack_due_at": (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339(),
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = created.json()["id"].as_str().expect("id").to_string();
    for (token, action) in [
        (&staff, "submit"),
        (&head, "approve"),
        (&channel, "approve"),
    ] {
        let r = a
            .call(
                "POST",
                &format!("/api/v1/requests/{id}/{action}"),
                Some(token),
                Some(json!({"comment": ""})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text());
    }
    let shown = a
        .call("GET", &format!("/api/v1/requests/{id}"), Some(&staff), None)
        .await
        .json();
    assert_eq!(shown["state"], "dispatched");
    let mid = shown["message_id"].as_str().expect("message").to_string();

    let addr = serve(a.router.clone()).await;
    let (driver, c) = phone().await;
    let base = format!("http://{addr}");
    c.goto(&format!("{base}/portal/inbox")).await.expect("goto");
    // Not logged in: the login page, which then returns to the inbox.
    assert!(
        c.current_url()
            .await
            .expect("url")
            .path()
            .starts_with("/login")
    );
    log_in(&c, "p1@demo.example").await;
    let list = c
        .wait()
        .for_element(Locator::Id("inbox-list"))
        .await
        .expect("inbox list");
    assert_eq!(c.current_url().await.expect("url").path(), "/portal/inbox");
    let width = c
        .execute("return window.innerWidth", vec![])
        .await
        .expect("width");
    assert!(
        width.as_i64().is_some_and(|w| w <= 420),
        "a phone-sized viewport: {width}"
    );
    let text = list.text().await.expect("text");
    assert!(text.contains(title), "{text}");
    assert_eq!(
        c.find(Locator::Id("count-to-confirm"))
            .await
            .expect("count")
            .text()
            .await
            .expect("text"),
        "1"
    );
    // The menu folds away on a phone.
    assert!(
        !c.find(Locator::Id("nav"))
            .await
            .expect("nav")
            .is_displayed()
            .await
            .expect("displayed")
    );
    c.find(Locator::Css(&format!("a[href='/portal/inbox/{mid}']")))
        .await
        .expect("message link")
        .click()
        .await
        .expect("tap");
    let body = c
        .wait()
        .for_element(Locator::Id("message-body"))
        .await
        .expect("message body");
    assert!(
        body.text()
            .await
            .expect("text")
            .contains("本季度返利将于下月 10 日前结算。")
    );
    let button = c.find(Locator::Id("ack-button")).await.expect("confirm");
    assert!(button.is_displayed().await.expect("displayed"));
    button.click().await.expect("tap");
    let state = c
        .wait()
        .for_element(Locator::Id("ack-state"))
        .await
        .expect("confirmed state");
    assert_eq!(
        state.attr("data-acked").await.expect("attr").as_deref(),
        Some("true")
    );
    let confirmed = state.text().await.expect("text");
    assert!(confirmed.contains("已确认收到"), "in Chinese: {confirmed}");
    assert!(
        c.find(Locator::Id("ack-button")).await.is_err(),
        "confirmed once, the button is gone"
    );
    // §4.4.1: a question about the message, from the phone.
    c.find(Locator::Id("reply-body"))
        .await
        .expect("reply box")
        .send_keys("请问新规则是否适用于 12 月订单？")
        .await
        .expect("type");
    c.find(Locator::Id("reply-submit"))
        .await
        .expect("send")
        .click()
        .await
        .expect("tap");
    c.wait()
        .for_element(Locator::Id("reply-sent"))
        .await
        .expect("reply sent notice");
    let posts: i64 =
        a.db.fetch_one(liaison_db::q(
            "SELECT COUNT(*) FROM thread_posts WHERE body LIKE '%12 月订单%'",
        ))
        .await
        .expect("count");
    assert_eq!(posts, 1, "the question reached the company as a thread");
    // The inbox shows it confirmed and nothing left to confirm.
    c.find(Locator::Id("back-to-inbox"))
        .await
        .expect("back")
        .click()
        .await
        .expect("tap");
    let list = c
        .wait()
        .for_element(Locator::Id("inbox-list"))
        .await
        .expect("inbox list");
    assert!(list.text().await.expect("text").contains("已确认"));
    assert_eq!(
        c.find(Locator::Id("count-to-confirm"))
            .await
            .expect("count")
            .text()
            .await
            .expect("text"),
        "0"
    );
    c.close().await.expect("close");
    drop(driver);
}

/// §4.3.2 on a phone: the one-click link from p1's e-mail opens the message in a 390×844
/// window with no login, and one tap confirms it for the partner.
#[tokio::test]
async fn a_partner_confirms_with_one_tap_from_a_link_on_a_phone_in_chromium() {
    use axum::http::StatusCode;
    use serde_json::json;
    let (apps, _g) = crate::apps().await;
    let a = &apps[0];
    let head = a.login("head@demo.example").await;
    let channel = a.login("channel@demo.example").await;
    let title = "华东区新品到货确认通知";
    let body = "新品将于本周五送达贵司仓库，请安排收货。";
    let created = a
        .call(
            "POST",
            "/api/v1/requests",
            Some(&head),
            Some(json!({
                "title": title,
                "purpose": "确认经销商已知晓到货安排",
                "body": body,
                "category": "product",
                "channels": ["email"],
                "audience": {"partners": [a.partner_id("SH-D001").await]},
                "ack_required": true,
                "ack_due_at": (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339(),
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = created.json()["id"].as_str().expect("id").to_string();
    for (token, action) in [(&head, "submit"), (&channel, "approve")] {
        let r = a
            .call(
                "POST",
                &format!("/api/v1/requests/{id}/{action}"),
                Some(token),
                Some(json!({"comment": ""})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text());
    }
    let board = a
        .call(
            "GET",
            &format!("/api/v1/requests/{id}/deliveries"),
            Some(&channel),
            None,
        )
        .await
        .json();
    let email = board["items"]
        .as_array()
        .and_then(|i| i.iter().find(|d| d["channel"] == "email"))
        .and_then(|d| d["id"].as_str())
        .and_then(|d| uuid::Uuid::parse_str(d).ok())
        .unwrap_or_else(|| panic!("an e-mail delivery to SH-D001: {board}"));
    let token = liaison_db::link::sign(
        a.db.cipher().expect("key"),
        email,
        chrono::Utc::now() + chrono::Duration::days(10),
    );

    let addr = serve(a.router.clone()).await;
    let (driver, c) = phone().await;
    c.goto(&format!("http://{addr}/ack/{token}"))
        .await
        .expect("goto");
    // What the partner first sees, kept for when an assertion below fails.
    let opened = c.screenshot().await.expect("screenshot");
    std::fs::write("/tmp/one-click-opened.png", opened).expect("write the screenshot");
    // No login page: the signed link is the credential.
    assert_eq!(
        c.current_url().await.expect("url").path(),
        format!("/ack/{token}")
    );
    let shown = c
        .wait()
        .for_element(Locator::Id("message-title"))
        .await
        .expect("message title")
        .text()
        .await
        .expect("text");
    assert_eq!(shown, title);
    let text = c
        .find(Locator::Id("message-body"))
        .await
        .expect("message body")
        .text()
        .await
        .expect("text");
    assert!(text.contains(body), "{text}");
    let width = c
        .execute("return window.innerWidth", vec![])
        .await
        .expect("width");
    assert!(
        width.as_i64().is_some_and(|w| w <= 420),
        "a phone-sized viewport: {width}"
    );
    let button = c.find(Locator::Id("ack-button")).await.expect("confirm");
    assert!(button.is_displayed().await.expect("displayed"));
    button.click().await.expect("tap");
    let state = c
        .wait()
        .for_element(Locator::Id("ack-state"))
        .await
        .expect("confirmed state");
    assert_eq!(
        state.attr("data-acked").await.expect("attr").as_deref(),
        Some("true")
    );
    assert!(
        c.find(Locator::Id("ack-thanks"))
            .await
            .expect("thanks")
            .is_displayed()
            .await
            .expect("displayed")
    );
    assert!(
        c.find(Locator::Id("ack-button")).await.is_err(),
        "confirmed once, the button is gone"
    );
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write("/tmp/one-click.png", png).expect("write the screenshot");
    c.close().await.expect("close");
    drop(driver);

    let summary = a
        .call(
            "GET",
            &format!("/api/v1/requests/{id}/deliveries"),
            Some(&channel),
            None,
        )
        .await
        .json()["summary"]
        .clone();
    assert!(
        summary["total"].as_i64().is_some_and(|t| t >= 2),
        "{summary}"
    );
    assert_eq!(
        summary["acknowledged"], summary["total"],
        "every delivery to p1's partner counts as confirmed: {summary}"
    );
}

/// Issue 11: p1 on a phone opens "Policies in force" / "Coming into force", reads what the
/// newest version changed (marked word by word) and acknowledges it with one tap (§3.1.1).
#[tokio::test]
async fn a_partner_reads_a_policy_change_and_acknowledges_it_on_a_phone_in_chromium() {
    let (apps, _g) = crate::apps().await;
    let a = &apps[0];
    let id = crate::policies::published_policy(a).await;
    let addr = serve(a.router.clone()).await;
    let (driver, c) = phone().await;
    let base = format!("http://{addr}");
    c.goto(&format!("{base}/portal/policies"))
        .await
        .expect("goto");
    log_in(&c, "p1@demo.example").await;
    c.wait()
        .for_element(Locator::Id("policies-coming"))
        .await
        .expect("the policies page");
    c.find(Locator::Css(&format!(
        "#policies-coming a[href='/portal/policies/{id}?v=2']"
    )))
    .await
    .expect("version 2 is coming into force")
    .click()
    .await
    .expect("open it");
    let diff = c
        .wait()
        .for_element(Locator::Id("policy-diff"))
        .await
        .expect("what changed");
    let inserted = diff
        .find(Locator::Css("ins"))
        .await
        .expect("an inserted word")
        .text()
        .await
        .expect("text");
    assert_eq!(inserted, "2.5%");
    let fits = c
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .await
        .expect("width");
    assert_eq!(
        fits,
        serde_json::json!(true),
        "no sideways scrolling at 390 px"
    );
    c.find(Locator::Id("ack-button"))
        .await
        .expect("the acknowledge button")
        .click()
        .await
        .expect("tap");
    let state = c
        .wait()
        .for_element(Locator::Id("ack-state"))
        .await
        .expect("acknowledged")
        .attr("data-acked")
        .await
        .expect("attr");
    assert_eq!(state.as_deref(), Some("true"));
    let _ = c.close().await;
    drop(driver);
}

/// Issue 13 on a phone: p1 downloads the sales template, uploads a file with a bad cell, reads
/// the report in Chinese, fixes the file from the report's link and uploads it again, then
/// reads its trend beside the peers' median. Six other distributors reported the same months
/// first, so the peer group (distributors nationwide: 华东 alone has too few) has five or more.
#[tokio::test]
async fn a_partner_uploads_fixes_and_reads_its_trend_beside_peers_on_a_phone_in_chromium() {
    use crate::data_pages::{months, product, seed_sales};
    let (apps, _g) = crate::apps().await;
    let a = &apps[0];
    let periods = months(a, 3);
    for (k, (code, region)) in [
        ("BJ-D002", "北京"),
        ("GZ-D003", "广东"),
        ("CD-D004", "四川"),
        ("WH-D005", "湖北"),
        ("XA-D006", "陕西"),
        ("SY-D007", "辽宁"),
    ]
    .into_iter()
    .enumerate()
    {
        for (i, p) in periods.iter().enumerate() {
            seed_sales(a, code, region, p, 60 + 15 * k as i64 + 5 * i as i64, false).await;
        }
    }
    for p in &periods[..2] {
        seed_sales(a, "SH-D001", "上海", p, 95, false).await;
    }
    let last = periods[2].clone();
    let code = product(a).await;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let bad = dir.join("p1-sales-with-an-error.csv");
    let good = dir.join("p1-sales.csv");
    let header = "product_code,region,units,amount_cny\n";
    std::fs::write(
        &bad,
        format!("{header}{code},上海,12O,36000.00\n{code},浙江,40,12000.00\n"),
    )
    .expect("file");
    std::fs::write(
        &good,
        format!("{header}{code},上海,120,36000.00\n{code},浙江,40,12000.00\n"),
    )
    .expect("file");
    let addr = serve(a.router.clone()).await;
    let base = format!("http://{addr}");
    let (driver, p) = phone().await;
    p.goto(&format!("{base}/portal/data")).await.expect("goto");
    log_in(&p, "p1@demo.example").await;
    p.wait()
        .for_element(Locator::Id("upload-form"))
        .await
        .expect("the data page");
    // The template: the link, and what the browser gets from it.
    let href = p
        .find(Locator::Id("template-sales-csv"))
        .await
        .expect("template link")
        .attr("href")
        .await
        .expect("href");
    assert_eq!(href.as_deref(), Some("/portal/data/templates/sales.csv"));
    let got = p
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch('/portal/data/templates/sales.csv').then(r => r.text().then(
                 body => done([r.status, r.headers.get('content-type'), body])));",
            vec![],
        )
        .await
        .expect("fetch the template");
    assert_eq!(got[0], 200, "{got}");
    assert!(
        got[1].as_str().is_some_and(|c| c.starts_with("text/csv")),
        "{got}"
    );
    assert!(
        got[2]
            .as_str()
            .is_some_and(|b| b.contains("product_code,region,units,amount_cny")),
        "{got}"
    );
    // A file with a letter O in a number.
    let choose = |period: String, file: std::path::PathBuf| {
        let p = p.clone();
        async move {
            p.find(Locator::Css("#upload-dataset option[value='sales']"))
                .await
                .expect("sales")
                .click()
                .await
                .expect("choose");
            let input = p.find(Locator::Id("upload-period")).await.expect("period");
            input.clear().await.expect("clear");
            input.send_keys(&period).await.expect("type");
            p.find(Locator::Id("upload-file"))
                .await
                .expect("file input")
                .send_keys(&file.display().to_string())
                .await
                .expect("choose the file");
            p.find(Locator::Id("upload-submit"))
                .await
                .expect("submit")
                .click()
                .await
                .expect("click");
        }
    };
    choose(last.clone(), bad).await;
    let table = p
        .wait()
        .for_element(Locator::Id("error-table"))
        .await
        .expect("the report's errors");
    let text = table.text().await.expect("text");
    let integer = liaison_i18n::t(liaison_i18n::Lang::ZhCn, "data.cell.integer");
    assert!(
        text.contains(integer) && text.contains("销量") && text.contains('2'),
        "{text}"
    );
    let scroll = p
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .expect("scroll width");
    assert!(
        scroll.as_i64().is_some_and(|w| w <= 420),
        "no sideways scrolling: {scroll}"
    );
    // Fix it and upload again from the report.
    p.find(Locator::Id("upload-again"))
        .await
        .expect("the link")
        .click()
        .await
        .expect("click");
    let period = p
        .wait()
        .for_element(Locator::Id("upload-period"))
        .await
        .expect("the form again")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(period.as_deref(), Some(last.as_str()), "filled in");
    choose(last.clone(), good).await;
    let done = p
        .wait()
        .for_element(Locator::Id("submission-accepted"))
        .await
        .expect("accepted")
        .text()
        .await
        .expect("text");
    assert!(done.contains('2'), "{done}");
    // The trend: p1's line, the peers' median dashed and their middle half shaded.
    p.goto(&format!(
        "{base}/portal/data/trends?dataset=sales&measure=units"
    ))
    .await
    .expect("goto");
    let chart = p
        .wait()
        .for_element(Locator::Css("#trend svg.chart"))
        .await
        .expect("the chart");
    let svg = chart.html(false).await.expect("svg");
    let median = liaison_i18n::t(liaison_i18n::Lang::ZhCn, "data.page.trend.peer_median");
    assert!(svg.contains(median), "the median's legend: {svg}");
    assert!(svg.contains("stroke-dasharray"), "a dashed line: {svg}");
    let note = p
        .find(Locator::Id("peer-note"))
        .await
        .expect("the peer note")
        .text()
        .await
        .expect("text");
    assert!(note.contains("全国"), "the kind nationwide: {note}");
    let table = p
        .find(Locator::Id("trend-table"))
        .await
        .expect("the table")
        .text()
        .await
        .expect("text");
    assert!(table.contains(&last) && table.contains("160"), "{table}");
    let scroll = p
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .expect("scroll width");
    assert!(
        scroll.as_i64().is_some_and(|w| w <= 420),
        "no sideways scrolling: {scroll}"
    );
    let _ = p.close().await;
    drop(driver);
}

/// Issue 15 item 4 (§7.2.3) on a phone in Chromium: exec@ is reminded to set up a second
/// factor, enrols it on the account security page (the test reads the key shown there and
/// computes the codes itself with `liaison_core::totp`), gets the recovery codes once, logs out,
/// and logs in with the password and a code. The server's clock is the test's, so the next
/// login's code is of a later step than the confirming one (a replay would be refused).
#[tokio::test]
async fn an_executive_enrols_a_second_factor_and_logs_in_with_it_in_chromium() {
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-07T02:00:05Z")
        .expect("time")
        .with_timezone(&chrono::Utc);
    let clock = std::sync::Arc::new(liaison_core::FixedClock::new(at));
    let (apps, _g) = crate::apps_with(clock.clone()).await;
    let a = &apps[0];
    let addr = serve(a.router.clone()).await;
    let base = format!("http://{addr}");
    let (driver, c) = phone().await;
    let wait_for = |id: &'static str| {
        let c = c.clone();
        async move {
            c.wait()
                .for_element(Locator::Id(id))
                .await
                .unwrap_or_else(|e| panic!("#{id}: {e}"))
        }
    };
    let code_now = |secret: &str| {
        let key = liaison_core::totp::base32_decode(secret).expect("the key is base32");
        liaison_core::totp::code(&key, liaison_core::totp::step_at(a.db.now().timestamp()))
    };

    c.goto(&format!("{base}/console/home")).await.expect("goto");
    log_in(&c, "exec@demo.example").await;
    // The demo reminds (no one is enrolled): the banner leads to the security page.
    wait_for("totp-remind-link")
        .await
        .click()
        .await
        .expect("click");
    wait_for("totp-start").await.click().await.expect("start");
    let secret = wait_for("totp-secret")
        .await
        .text()
        .await
        .expect("the key")
        .replace(' ', "");
    assert_eq!(secret.len(), 32, "20 bytes in base32: {secret}");
    assert!(c.find(Locator::Id("totp-qr")).await.is_ok(), "the QR code");
    wait_for("totp-code")
        .await
        .send_keys(&code_now(&secret))
        .await
        .expect("type");
    wait_for("totp-confirm")
        .await
        .click()
        .await
        .expect("confirm");
    let codes = wait_for("recovery-codes").await;
    let items = codes
        .find_all(Locator::Css("li"))
        .await
        .expect("recovery codes");
    assert_eq!(items.len(), 10);
    assert_eq!(
        wait_for("totp-state")
            .await
            .attr("data-state")
            .await
            .expect("state"),
        Some("on".to_string())
    );

    clock.advance(chrono::Duration::seconds(30));
    wait_for("logout").await.click().await.expect("logout");
    wait_for("login-submit").await;
    log_in(&c, "exec@demo.example").await;
    // The second step: the code, not a session yet.
    wait_for("totp")
        .await
        .send_keys(&code_now(&secret))
        .await
        .expect("type the code");
    wait_for("totp-submit").await.click().await.expect("verify");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while c
        .current_url()
        .await
        .is_ok_and(|u| u.path().starts_with("/login"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "still on the login page"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    wait_for("nav-home").await;
    assert_eq!(c.current_url().await.expect("url").path(), "/console/home");
    assert!(
        c.find(Locator::Id("totp-remind")).await.is_err(),
        "enrolled: no more reminder"
    );
    c.close().await.expect("close");
    drop(driver);
}

/// Issue 16 item 2 (§6.2.1): p1 on a phone finds the open survey on its home page, answers it
/// with taps (a rating, the NPS, two choices and a text) and is thanked; the page never scrolls
/// sideways, and the answer is its partner's.
#[tokio::test]
async fn a_partner_answers_an_open_survey_on_a_phone_in_chromium() {
    use axum::http::StatusCode;
    use serde_json::json;
    let (apps, _g) = crate::apps().await;
    let a = &apps[0];
    let channel = a.login("channel@demo.example").await;
    let sh = a.partner_id("SH-D001").await;
    let closes = (chrono::Utc::now() + chrono::Duration::days(10))
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d")
        .to_string();
    let r = a
        .call(
            "POST",
            "/api/v1/surveys",
            Some(&channel),
            Some(json!({
                "title": {"zh-cn": "第四季度渠道伙伴满意度调查"},
                "questions": [
                    {"kind": "rating", "text": {"zh-cn": "您对我们的沟通是否满意？"}, "required": true, "measure": "satisfaction"},
                    {"kind": "nps", "text": {"zh-cn": "您向同行推荐我们的可能性？"}, "required": true, "measure": "nps"},
                    {"kind": "multiple", "text": {"zh-cn": "您常用的沟通渠道"}, "choices": [{"zh-cn": "邮件"}, {"zh-cn": "企业微信"}, {"zh-cn": "电话"}]},
                    {"kind": "text", "text": {"zh-cn": "您的建议"}}
                ],
                "audience": {"partners": [sh]},
                "closes_on": closes,
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().expect("id").to_string();
    let r = a
        .call(
            "POST",
            &format!("/api/v1/surveys/{id}/send"),
            Some(&channel),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let addr = serve(a.router.clone()).await;
    let (driver, c) = phone().await;
    let base = format!("http://{addr}");
    c.goto(&format!("{base}/portal/home")).await.expect("goto");
    log_in(&c, "p1@demo.example").await;
    let section = c
        .wait()
        .for_element(Locator::Id("home-surveys_to_answer"))
        .await
        .expect("the home page's surveys");
    assert!(
        section
            .text()
            .await
            .expect("text")
            .contains("第四季度渠道伙伴满意度调查")
    );
    section
        .find(Locator::Css("a"))
        .await
        .expect("the survey's link")
        .click()
        .await
        .expect("tap");
    c.wait()
        .for_element(Locator::Id("survey-answer-form"))
        .await
        .expect("the form");
    assert_eq!(
        c.current_url().await.expect("url").path(),
        format!("/portal/surveys/{id}")
    );
    for tap in ["a-q1-4", "a-q2-9", "a-q3-0", "a-q3-1"] {
        c.find(Locator::Id(tap))
            .await
            .expect(tap)
            .click()
            .await
            .expect("tap");
    }
    c.find(Locator::Id("a-q4"))
        .await
        .expect("text")
        .send_keys("促销政策请提前两周通知")
        .await
        .expect("type");
    let fits = c
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1 && window.innerWidth <= 420",
            vec![],
        )
        .await
        .expect("width");
    assert_eq!(
        fits,
        json!(true),
        "a phone-sized page without sideways scrolling"
    );
    c.find(Locator::Id("survey-submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("tap");
    let thanks = c
        .wait()
        .for_element(Locator::Id("survey-thanks"))
        .await
        .expect("thanked");
    assert!(thanks.text().await.expect("text").contains("谢谢"));
    c.close().await.expect("close");
    drop(driver);
    let stored = liaison_db::surveys::answers(&a.db, uuid::Uuid::parse_str(&id).expect("id"), None)
        .await
        .expect("answers");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].partner_code.as_deref(), Some("SH-D001"));
    assert_eq!(
        stored[0].answer.values.get("q1"),
        Some(&liaison_core::surveys::Value::Number(4))
    );
    assert_eq!(stored[0].answer.texts["q4"], "促销政策请提前两周通知");
}

/// Issue 15 (SPEC H2) in Chromium: p1, its partner's admin, opens "API access" in the portal,
/// makes a token for its ERP, sees the secret once on the page after, finds the token listed
/// without it, and revokes it (confirming the browser's question).
#[tokio::test]
async fn a_partner_admin_makes_an_api_token_sees_it_once_and_revokes_it_in_chromium() {
    let (apps, _g) = crate::apps().await;
    let a = &apps[0];
    let addr = serve(a.router.clone()).await;
    let base = format!("http://{addr}");
    let (driver, c) = desktop().await;
    c.goto(&format!("{base}/portal/inbox")).await.expect("goto");
    log_in(&c, "p1@demo.example").await;
    wait_id(&c, "nav-api-tokens")
        .await
        .click()
        .await
        .expect("API access");
    wait_id(&c, "api-tokens").await;
    assert_eq!(
        c.current_url().await.expect("url").path(),
        "/portal/api-tokens"
    );
    c.find(Locator::Css("#api-token-form summary"))
        .await
        .expect("the form's summary")
        .click()
        .await
        .expect("open the form");
    wait_id(&c, "api-token-name")
        .await
        .send_keys("恒通 ERP 对接")
        .await
        .expect("type");
    wait_id(&c, "api-token-scope-inbox-read")
        .await
        .click()
        .await
        .expect("scope");
    wait_id(&c, "api-token-save")
        .await
        .click()
        .await
        .expect("save");
    let secret = wait_id(&c, "new-token")
        .await
        .text()
        .await
        .expect("the token");
    assert!(secret.starts_with("lpt_"), "{secret}");
    let page = c.source().await.expect("source");
    assert!(page.contains("id=\"api-token-copy\""), "a copy button");
    // The secret works once shown: the ERP reads p1's inbox with it.
    let r = a.call("GET", "/api/v1/inbox", Some(&secret), None).await;
    assert_eq!(r.status, axum::http::StatusCode::OK, "{}", r.text());

    wait_id(&c, "api-token-back")
        .await
        .click()
        .await
        .expect("back");
    let table = wait_id(&c, "api-token-table").await;
    let text = table.text().await.expect("list");
    assert!(text.contains("恒通 ERP 对接"), "{text}");
    let listed = c.source().await.expect("source");
    assert!(!listed.contains(&secret), "the list never shows the secret");
    let id = a
        .call(
            "GET",
            "/api/v1/api-tokens",
            Some(&a.login("p1@demo.example").await),
            None,
        )
        .await
        .json()["items"][0]["id"]
        .as_str()
        .expect("token id")
        .to_string();
    c.find(Locator::Id(&format!("api-token-revoke-{id}")))
        .await
        .expect("revoke button")
        .click()
        .await
        .expect("revoke");
    c.accept_alert().await.expect("confirm the revocation");
    let state = c
        .wait()
        .for_element(Locator::Css(&format!(
            "#api-token-state-{id}.token-revoked"
        )))
        .await
        .expect("revoked");
    assert!(!state.text().await.expect("state").is_empty());
    let r = a.call("GET", "/api/v1/inbox", Some(&secret), None).await;
    assert!(
        matches!(
            r.status,
            axum::http::StatusCode::UNAUTHORIZED | axum::http::StatusCode::FORBIDDEN
        ),
        "revoked at once: {}",
        r.status
    );
    c.close().await.expect("close");
    drop(driver);
}
