//! A real headless Chromium (Debian's chromium + chromium-driver, installed by
//! scripts/install-deps) logs in and reads the partner list.

use fantoccini::{ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Driver(Child);
impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = a.router.clone();
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });

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
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({"binary": "/usr/bin/chromium", "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--lang=zh-CN", "--window-size=1280,900"]}),
    );
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let c = client.expect("cannot start a Chromium session through chromedriver");
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
    c.find(Locator::Id("email"))
        .await
        .expect("email")
        .send_keys("channel@demo.example")
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
