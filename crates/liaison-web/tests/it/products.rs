//! Products, launches and feedback over HTTP (policy §3.2; issue 11): the API keeps partners
//! apart (404), refuses roles that may not (403) and unknown fields (422); the launch feed opens
//! in a third-party iCalendar reader; the pages render in all three languages without codes;
//! and in Chromium R&D answers p1's feedback and p1 sees the new state on a phone.

use crate::browser::{chromium, log_in, phone, serve};
use crate::pages::{browser_login, get};
use crate::{TestApp, apps};
use axum::http::StatusCode;
use fantoccini::Locator;
use serde_json::{Value, json};

async fn product_id(a: &TestApp, code: &str) -> String {
    liaison_db::product::find_product_by_code(&a.db, code)
        .await
        .expect("find")
        .expect("demo product")
        .id
        .to_string()
}

#[tokio::test]
async fn the_catalogue_api_shows_a_partner_only_its_products() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let (p1, p2, rd, staff) = (
            a.login("p1@demo.example").await,
            a.login("p2@demo.example").await,
            a.login("rd@demo.example").await,
            a.login("staff@demo.example").await,
        );
        let hmi = product_id(a, "LX-HMI7").await;
        let list = a.call("GET", "/api/v1/products", Some(&p2), None).await;
        assert_eq!(list.status, StatusCode::OK, "[{n}] {}", list.text());
        let items = list.json()["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 11, "[{n}]");
        assert!(items.iter().all(|p| p["id"] != hmi.as_str()), "[{n}]");
        let r = a
            .call("GET", &format!("/api/v1/products/{hmi}"), Some(&p2), None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}]");
        let r = a
            .call("GET", &format!("/api/v1/products/{hmi}"), Some(&p1), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}]");
        assert_eq!(r.json()["parameters"][0]["type"], "number", "[{n}]");
        let page = a
            .call("GET", "/api/v1/products?limit=5", Some(&staff), None)
            .await
            .json();
        assert_eq!(page["items"].as_array().map(Vec::len), Some(5), "[{n}]");
        assert_eq!(page["next_cursor"], "5", "[{n}]");
        let found = a
            .call(
                "GET",
                "/api/v1/products?q=%E5%8F%98%E9%A2%91",
                Some(&staff),
                None,
            )
            .await
            .json();
        assert_eq!(
            found["items"].as_array().map(Vec::len),
            Some(4),
            "[{n}] 变频: {found}"
        );

        let body = json!({"code": "LX-NEW1", "name_zh": "新型伺服驱动器", "category": "伺服电机",
            "parameters": [{"name": "额定电流", "value": 4.5, "unit": "A", "type": "number"}]});
        let r = a
            .call("POST", "/api/v1/products", Some(&staff), Some(body.clone()))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}]");
        let mut bad = body.clone();
        bad["colour"] = json!("red");
        let r = a
            .call("POST", "/api/v1/products", Some(&rd), Some(bad))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        let mut bad = body.clone();
        bad["parameters"][0]["value"] = json!("四点五");
        let r = a
            .call("POST", "/api/v1/products", Some(&rd), Some(bad))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(
            r.text().contains("parameters[0].value"),
            "[{n}] {}",
            r.text()
        );
        let r = a
            .call("POST", "/api/v1/products", Some(&rd), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{n}] {}", r.text());
        let id = r.json()["id"].as_str().expect("id").to_string();
        let r = a
            .call(
                "PATCH",
                &format!("/api/v1/products/{id}"),
                Some(&rd),
                Some(json!({"status": "launched", "version": 1})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        assert_eq!(r.json()["status"], "launched", "[{n}]");
        let r = a
            .call(
                "PATCH",
                &format!("/api/v1/products/{id}"),
                Some(&rd),
                Some(json!({"status": "planned", "version": 1})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{n}]");
        // A datasheet, downloadable by a partner who may see the product.
        let up = a
            .send(
                axum::http::Request::builder()
                    .method("POST")
                    .uri(format!(
                        "/api/v1/products/{id}/documents?filename=%E8%AF%B4%E6%98%8E%E4%B9%A6.pdf"
                    ))
                    .header("authorization", format!("Bearer {rd}"))
                    .header("content-type", "application/pdf")
                    .body(axum::body::Body::from("%PDF-1.7 datasheet"))
                    .expect("request"),
            )
            .await;
        assert_eq!(up.status, StatusCode::CREATED, "[{n}] {}", up.text());
        let doc = up.json()["id"].as_str().expect("doc").to_string();
        let r = a
            .call(
                "GET",
                &format!("/api/v1/products/{id}/documents/{doc}"),
                Some(&p1),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}]");
        assert!(r.body.starts_with(b"%PDF"), "[{n}]");
    }
}

#[tokio::test]
async fn feedback_over_the_api_never_crosses_partners() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let (p1, p2, rd, staff) = (
            a.login("p1@demo.example").await,
            a.login("p2@demo.example").await,
            a.login("rd@demo.example").await,
            a.login("staff@demo.example").await,
        );
        let pc20 = product_id(a, "LX-PC20").await;
        let body = json!({"product_id": pc20, "kind": "improvement",
            "description": "建议 PC20 的编程软件支持中文变量名。\n客户工程师反馈强烈。", "customer_impact": "调试效率"});
        let r = a
            .call("POST", "/api/v1/feedback", Some(&p1), Some(body.clone()))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{n}] {}", r.text());
        let id = r.json()["id"].as_str().expect("id").to_string();
        assert_eq!(r.json()["state"], "new", "[{n}]");
        let r = a
            .call("POST", "/api/v1/feedback", Some(&rd), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}] R&D does not submit");
        let r = a
            .call("GET", &format!("/api/v1/feedback/{id}"), Some(&p2), None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}]");
        let mine = a
            .call("GET", "/api/v1/feedback", Some(&p2), None)
            .await
            .json();
        let mine = mine["items"].as_array().cloned().unwrap_or_default();
        assert!(!mine.is_empty(), "[{n}] p2 has demo items");
        assert!(mine.iter().all(|f| f["partner_code"] == "BJ-D002"), "[{n}]");
        let r = a.call("GET", "/api/v1/feedback", Some(&staff), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}]");
        let r = a
            .call(
                "GET",
                "/api/v1/feedback?state=new&kind=improvement",
                Some(&rd),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}]");
        assert!(
            r.json()["items"]
                .as_array()
                .is_some_and(|i| i.iter().any(|f| f["id"] == id.as_str())),
            "[{n}] in R&D's queue"
        );
        let triage = json!({"state": "under_review", "answer": "正在评估，下月答复。"});
        for (token, status) in [(&p1, StatusCode::FORBIDDEN), (&p2, StatusCode::NOT_FOUND)] {
            let r = a
                .call(
                    "PATCH",
                    &format!("/api/v1/feedback/{id}"),
                    Some(token),
                    Some(triage.clone()),
                )
                .await;
            assert_eq!(r.status, status, "[{n}]");
        }
        let r = a
            .call(
                "PATCH",
                &format!("/api/v1/feedback/{id}"),
                Some(&rd),
                Some(triage),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        let seen: Value = a
            .call("GET", &format!("/api/v1/feedback/{id}"), Some(&p1), None)
            .await
            .json();
        assert_eq!(seen["state"], "under_review", "[{n}]");
        assert_eq!(seen["answer"], "正在评估，下月答复。", "[{n}]");
        let r = a
            .call(
                "PATCH",
                &format!("/api/v1/feedback/{id}"),
                Some(&rd),
                Some(json!({"state": "new"})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{n}] no way back"
        );
        let r = a
            .call(
                "POST",
                &format!("/api/v1/feedback/{id}/merge"),
                Some(&rd),
                Some(json!({"into": id})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{n}] not into itself"
        );
    }
}

/// The Python interpreter of a virtual environment holding the `icalendar` package (a
/// third-party RFC 5545 reader), made once under the build's temporary folder.
pub(crate) fn icalendar_python() -> std::path::PathBuf {
    use std::process::Command;
    if let Ok(p) = std::env::var("LIAISON_ICALENDAR_PYTHON") {
        return p.into();
    }
    let venv = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("icalendar-venv");
    let python = venv.join("bin/python");
    let ready = |py: &std::path::Path| {
        Command::new(py)
            .args(["-c", "import icalendar"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ready(&python) {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            made,
            "python3 -m venv failed: install python3-venv (scripts/install-deps)"
        );
        let installed = Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "icalendar==6.1.0"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            installed && ready(&python),
            "cannot install the icalendar package"
        );
    }
    python
}

/// §3.2.2: the launch feed opens in a third-party reader (Python's `icalendar`): every launch
/// the partner may see is an all-day event with its Chinese summary.
#[tokio::test]
async fn the_launch_feed_opens_in_a_third_party_calendar_reader() {
    let (apps, _g) = apps().await;
    let python = icalendar_python();
    for a in &apps {
        let n = a.name;
        let p1 = a.login("p1@demo.example").await;
        let r = a.call("GET", "/api/v1/launches.ics", Some(&p1), None).await;
        assert_eq!(r.status, StatusCode::OK, "[{n}]");
        assert!(
            r.content_type.starts_with("text/calendar"),
            "[{n}] {}",
            r.content_type
        );
        let path =
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("launches-{n}.ics"));
        std::fs::write(&path, &r.body).expect("write");
        let out = std::process::Command::new(&python)
            .arg("-c")
            .arg(
                "import sys, json, icalendar\n\
                 cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n\
                 ev = [{'summary': str(e.get('summary')), 'start': e.decoded('dtstart').isoformat(), 'uid': str(e.get('uid'))} for e in cal.walk('VEVENT')]\n\
                 print(json.dumps(ev, ensure_ascii=False))",
            )
            .arg(&path)
            .output()
            .expect("python");
        assert!(
            out.status.success(),
            "[{n}] {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let events: Value = serde_json::from_slice(&out.stdout).expect("json");
        let events = events.as_array().cloned().unwrap_or_default();
        assert_eq!(
            events.len(),
            3,
            "[{n}] the demo's three launches: {events:?}"
        );
        assert!(
            events.iter().any(|e| e["summary"]
                .as_str()
                .is_some_and(|s| s.contains("伺服电机 SM300"))),
            "[{n}] {events:?}"
        );
        let staff = a.login("staff@demo.example").await;
        let r = a
            .call("GET", "/api/v1/launches", Some(&staff), None)
            .await
            .json();
        assert_eq!(r["items"].as_array().map(Vec::len), Some(3), "[{n}]");
        assert!(r["items"][0]["notice_on"].is_string(), "[{n}]");
    }
}

#[tokio::test]
async fn product_pages_render_in_every_language_without_codes() {
    let (apps, _g) = apps().await;
    let a = &apps[0];
    let rd = browser_login(a, "rd@demo.example").await;
    let p1 = browser_login(a, "p1@demo.example").await;
    let staff = browser_login(a, "staff@demo.example").await;
    let pid = product_id(a, "LX-SM150").await;
    let fid = liaison_app::feedback::list(
        &a.db,
        &liaison_db::user::list_users(&a.db)
            .await
            .expect("users")
            .into_iter()
            .find(|u| u.email == "rd@demo.example")
            .expect("rd")
            .actor(),
        &Default::default(),
        None,
        1,
    )
    .await
    .expect("queue")[0]
        .id;
    for lang in ["zh-CN", "zh-TW", "en"] {
        for (cookie, path) in [
            (&rd, "/console/products".to_string()),
            (&rd, format!("/console/products/{pid}")),
            (&rd, "/console/products/new".to_string()),
            (&rd, format!("/console/products/{pid}/edit")),
            (&rd, "/console/launches".to_string()),
            (&rd, "/console/feedback".to_string()),
            (&rd, format!("/console/feedback/{fid}")),
            (&p1, "/portal/products".to_string()),
            (&p1, format!("/portal/products/{pid}")),
            (&p1, "/portal/launches".to_string()),
            (&p1, "/portal/feedback".to_string()),
        ] {
            let r = a.send(get(&path, Some(cookie), lang)).await;
            assert_eq!(r.status, StatusCode::OK, "{lang} {path}: {}", r.text());
            let html = r.text();
            for raw in ["product.", "feedback.", "launch.", "{{", "{ $"] {
                assert!(!html.contains(raw), "{lang} {path} shows {raw}");
            }
        }
    }
    let r = a.send(get("/console/feedback", Some(&staff), "en")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "staff outside R&D");
    let r = a
        .send(get("/console/products/new", Some(&staff), "en"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// §3.2.3 in a browser: R&D answers p1's feedback in the console; p1 sees the new state and
/// the answer in the portal on a phone.
#[tokio::test]
async fn rd_answers_feedback_and_p1_sees_it_on_a_phone_in_chromium() {
    let (apps, _g) = apps().await;
    let a = &apps[0];
    let p1 = a.login("p1@demo.example").await;
    let pid = product_id(a, "LX-VF220").await;
    let r = a
        .call(
            "POST",
            "/api/v1/feedback",
            Some(&p1),
            Some(json!({"product_id": pid, "kind": "customer_need", "description": "客户需要 VF220 的防尘外壳选件。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let fid = r.json()["id"].as_str().expect("id").to_string();
    let addr = serve(a.router.clone()).await;
    let base = format!("http://{addr}");

    let (driver, c) = chromium(json!({"binary": "/usr/bin/chromium",
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--lang=zh-CN", "--window-size=1280,900"],
        "prefs": {"intl.accept_languages": "zh-CN,zh"}}))
    .await;
    c.goto(&format!("{base}/login?next=/console/feedback/{fid}"))
        .await
        .expect("goto");
    log_in(&c, "rd@demo.example").await;
    c.wait()
        .for_element(Locator::Id("triage-state"))
        .await
        .expect("triage form");
    c.find(Locator::Css("#triage-state option[value='planned']"))
        .await
        .expect("option")
        .click()
        .await
        .expect("choose");
    c.find(Locator::Id("triage-answer"))
        .await
        .expect("answer")
        .send_keys("防尘外壳选件已列入下季度计划。")
        .await
        .expect("type");
    c.find(Locator::Id("triage-save"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    c.wait()
        .for_element(Locator::Id("feedback-saved"))
        .await
        .expect("saved");
    c.close().await.expect("close");
    drop(driver);

    let (driver, c) = phone().await;
    c.goto(&format!("{base}/portal/feedback"))
        .await
        .expect("goto");
    log_in(&c, "p1@demo.example").await;
    let list = c
        .wait()
        .for_element(Locator::Id("my-feedback"))
        .await
        .expect("my feedback");
    let width = c
        .execute("return window.innerWidth", vec![])
        .await
        .expect("width");
    assert!(width.as_i64().is_some_and(|w| w <= 420), "a phone: {width}");
    let state = list
        .find(Locator::Css(&format!("[data-id='{fid}']")))
        .await
        .expect("the item")
        .text()
        .await
        .expect("text");
    assert_eq!(state, "已列入计划");
    c.goto(&format!("{base}/portal/feedback/{fid}"))
        .await
        .expect("goto");
    let answer = c
        .wait()
        .for_element(Locator::Id("feedback-answer"))
        .await
        .expect("answer")
        .text()
        .await
        .expect("text");
    assert!(answer.contains("防尘外壳"), "{answer}");
    let scroll = c
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .expect("scroll width");
    assert!(
        scroll.as_i64().is_some_and(|w| w <= 420),
        "no sideways scrolling: {scroll}"
    );
    c.close().await.expect("close");
    drop(driver);
}
