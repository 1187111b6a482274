//! Site visits and call logs over HTTP (policy §2.2.2, §2.2.3; issue 14): another partner's
//! visits and calls are 404 on the API, partner users get 403 on every write and never read a
//! report's problems; staff plan and report a visit through the console's forms; the console
//! and portal pages render in every language without catalogue codes.

use crate::pages::{browser_login, csrf, get};
use crate::{TestApp, apps};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

async fn partner_of(a: &TestApp, code: &str) -> String {
    liaison_db::partner::resolve_partner_ref(&a.db, code)
        .await
        .expect("lookup")
        .expect("a demo partner")
        .to_string()
}

/// A visit to `partner` planned and reported by the channel manager, and a call logged.
async fn visit_and_call(a: &TestApp, channel: &str, partner: &str) -> (String, String) {
    let r = a
        .call(
            "POST",
            "/api/v1/visits",
            Some(channel),
            Some(json!({"partner_id": partner, "planned_on": "2026-01-12", "purpose": "季度经营回顾"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    let id = v["id"].as_str().expect("id").to_string();
    let r = a
        .call(
            "PATCH",
            &format!("/api/v1/visits/{id}"),
            Some(channel),
            Some(json!({"version": v["version"], "report": {"visited_on": "2026-01-12", "findings": "门店陈列整齐",
                "problems": "内部：回款偏慢", "actions": [{"title": "补充样品", "due_on": "2026-02-01"}]}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["tasks"].as_array().map(Vec::len), Some(1));
    let r = a
        .call(
            "POST",
            "/api/v1/calls",
            Some(channel),
            Some(json!({"partner_id": partner, "direction": "inbound", "duration_minutes": 8,
                "summary": "询问新品到货时间", "follow_ups": [{"title": "回电告知到货日", "due_on": "2026-02-03"}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    (id, r.json()["id"].as_str().expect("call id").to_string())
}

#[tokio::test]
async fn visits_and_calls_api_hides_another_partners_and_refuses_partner_writes() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let channel = a.login("channel@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        let sh = partner_of(a, "SH-D001").await;
        let (visit, call) = visit_and_call(a, &channel, &sh).await;
        for path in [
            format!("/api/v1/visits/{visit}"),
            format!("/api/v1/calls/{call}"),
            format!("/api/v1/visits?partner={sh}"),
            format!("/api/v1/calls?partner={sh}"),
        ] {
            let r = a.call("GET", &path, Some(&p2), None).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "{} {path}: {}",
                a.name,
                r.text()
            );
        }
        // p1 reads its own, never the problems.
        let r = a
            .call("GET", &format!("/api/v1/visits/{visit}"), Some(&p1), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["problems"], Value::Null, "{}", a.name);
        assert_eq!(r.json()["findings"], json!("门店陈列整齐"));
        assert!(!r.text().contains("回款偏慢"), "{}", a.name);
        let r = a.call("GET", "/api/v1/visits", Some(&p1), None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(!r.text().contains("回款偏慢"), "{}", a.name);
        let r = a
            .call("GET", "/api/v1/calls?from=2020-01-01", Some(&p1), None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.json()["items"].as_array().map(Vec::len),
            Some(1),
            "{}",
            a.name
        );
        // Partner users may not write.
        for (method, path, body) in [
            (
                "POST",
                "/api/v1/visits".to_string(),
                json!({"partner_id": sh, "planned_on": "2026-03-01", "purpose": "x"}),
            ),
            (
                "PATCH",
                format!("/api/v1/visits/{visit}"),
                json!({"state": "cancelled"}),
            ),
            (
                "POST",
                "/api/v1/calls".to_string(),
                json!({"partner_id": sh, "direction": "outbound", "summary": "x"}),
            ),
        ] {
            let r = a.call(method, &path, Some(&p1), Some(body)).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{} {method} {path}: {}",
                a.name,
                r.text()
            );
        }
        // Staff: the overdue list, and bad input is a 422 naming every field at once.
        let r = a
            .call("GET", "/api/v1/visits?overdue=true", Some(&channel), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let r = a
            .call("GET", "/api/v1/visits?overdue=true", Some(&p1), None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
        let r = a
            .call(
                "POST",
                "/api/v1/visits",
                Some(&channel),
                Some(json!({"planned_on": "soon"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        for f in ["partner_id", "planned_on", "purpose"] {
            assert!(r.text().contains(f), "{} names {f}: {}", a.name, r.text());
        }
        let r = a
            .call(
                "POST",
                "/api/v1/calls",
                Some(&channel),
                Some(json!({"partner_id": sh, "direction": "outbound", "summary": "x", "oops": 1})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    }
}

fn form(path: &str, cookie: &str, lang: &str, pairs: &[(&str, &str)]) -> Request<Body> {
    let mut all = vec![("_csrf".to_string(), csrf(cookie))];
    all.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let body = serde_urlencoded::to_string(&all).expect("form");
    Request::builder()
        .method("POST")
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT_LANGUAGE, lang)
        .body(Body::from(body))
        .expect("request")
}

#[tokio::test]
async fn visit_and_call_pages_render_in_every_language_without_codes() {
    let (apps, _g) = apps().await;
    let a = &apps[0];
    let channel = a.login("channel@demo.example").await;
    let sh = partner_of(a, "SH-D001").await;
    let (visit, call) = visit_and_call(a, &channel, &sh).await;
    let channel_c = browser_login(a, "channel@demo.example").await;
    let p1_c = browser_login(a, "p1@demo.example").await;
    // Staff plan a visit through the form; the report form then waits on its page.
    let r = a
        .send(form(
            "/console/visits",
            &channel_c,
            "zh-CN",
            &[
                ("partner_id", "SH-D001"),
                ("planned_on", "2026-12-20"),
                ("purpose", "新品培训"),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let listed = a
        .call("GET", "/api/v1/visits?state=planned", Some(&channel), None)
        .await
        .json();
    let vid = listed["items"]
        .as_array()
        .and_then(|items| items.iter().find(|v| v["purpose"] == json!("新品培训")))
        .and_then(|v| v["id"].as_str())
        .expect("the planned visit")
        .to_string();
    let planned = format!("/console/visits/{vid}");
    // A form with errors names them in the page's language.
    let r = a
        .send(form(
            "/console/visits",
            &channel_c,
            "zh-CN",
            &[("partner_id", "NOPE"), ("planned_on", ""), ("purpose", "")],
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("error-partner_id") && r.text().contains("error-planned_on"),
        "{}",
        r.text()
    );
    let english: Vec<(&str, &str)> = liaison_i18n::keys(liaison_i18n::Lang::En)
        .into_iter()
        .filter_map(|k| {
            let en = liaison_i18n::lookup(liaison_i18n::Lang::En, k)?;
            let zh = liaison_i18n::lookup(liaison_i18n::Lang::ZhCn, k)?;
            (en != zh && en.contains(' ') && en.len() >= 12 && !en.contains('{')).then_some((k, en))
        })
        .collect();
    for lang in ["zh-CN", "zh-TW", "en"] {
        for (cookie, path, expect) in [
            (&channel_c, "/console/visits".to_string(), "overdue-visits"),
            (
                &channel_c,
                "/console/visits/new".to_string(),
                "visit-new-form",
            ),
            (&channel_c, format!("/console/visits/{visit}"), "回款偏慢"),
            (&channel_c, planned.clone(), "visit-report-form"),
            (&channel_c, "/console/calls".to_string(), "询问新品到货时间"),
            (
                &channel_c,
                "/console/calls/new?partner=SH-D001".to_string(),
                "call-new-form",
            ),
            (
                &channel_c,
                format!("/console/calls/{call}"),
                "回电告知到货日",
            ),
            (&p1_c, "/portal/visits".to_string(), "门店陈列整齐"),
        ] {
            let r = a.send(get(&path, Some(cookie), lang)).await;
            assert_eq!(r.status, StatusCode::OK, "{lang} {path}: {}", r.text());
            let html = r.text();
            assert!(html.contains(expect), "{lang} {path} lacks {expect}");
            for raw in [
                "visit_page.",
                "call_page.",
                "visit.state.",
                "call.direction.",
                "task.status.",
                "nav.",
                "{{",
                "{ $",
            ] {
                assert!(!html.contains(raw), "{lang} {path} shows {raw}");
            }
            if lang != "en" {
                for (k, en) in &english {
                    assert!(
                        !html.contains(en),
                        "{lang} {path} shows {k} in English: {en}"
                    );
                }
            }
        }
    }
    // The portal never shows the internal problems; another partner's visit is 404 there.
    let portal = a
        .send(get("/portal/visits", Some(&p1_c), "zh-CN"))
        .await
        .text();
    assert!(!portal.contains("回款偏慢"), "{portal}");
    let p2_c = browser_login(a, "p2@demo.example").await;
    let r = a
        .send(get(
            &format!("/console/visits/{visit}"),
            Some(&p2_c),
            "zh-CN",
        ))
        .await;
    assert_ne!(r.status, StatusCode::OK);
    // Staff report the planned visit through the form.
    let version = a
        .call(
            "GET",
            &format!("/api/v1/visits/{vid}"),
            Some(&channel),
            None,
        )
        .await
        .json()["version"]
        .to_string();
    let r = a
        .send(form(
            &format!("/console/visits/{vid}/report"),
            &channel_c,
            "zh-CN",
            &[
                ("version", &version),
                ("visited_on", "2026-01-20"),
                ("findings", "培训完成"),
                ("problems", ""),
                ("action_title_0", "寄送培训资料"),
                ("action_owner_0", ""),
                ("action_due_0", "2026-02-10"),
            ],
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = a
        .send(get(&planned, Some(&channel_c), "zh-CN"))
        .await
        .text();
    assert!(
        page.contains("寄送培训资料") && page.contains("培训完成"),
        "{page}"
    );
}

/// A 1×1 PNG: a photo as far as the file check is concerned.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// The channel manager, at the partner's door with a phone, writes the visit report with an
/// action item for the partner's contact and adds a photo; the page fits the phone.
#[tokio::test]
async fn staff_report_a_visit_with_a_photo_on_a_phone_in_chromium() {
    use crate::browser::{log_in, phone, serve};
    use fantoccini::Locator;
    let (apps, _g) = apps().await;
    let a = &apps[0];
    let channel = a.login("channel@demo.example").await;
    let sh = partner_of(a, "SH-D001").await;
    let r = a
        .call(
            "POST",
            "/api/v1/visits",
            Some(&channel),
            Some(json!({"partner_id": sh, "planned_on": "2026-01-15", "purpose": "门店巡检"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().expect("id").to_string();
    let addr = serve(a.router.clone()).await;
    let base = format!("http://{addr}");
    let photo = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("visit-photo.png");
    std::fs::write(&photo, PNG).expect("photo");

    let (driver, p) = phone().await;
    p.goto(&format!("{base}/console/visits/{id}"))
        .await
        .expect("goto");
    log_in(&p, "channel@demo.example").await;
    p.wait()
        .for_element(Locator::Id("visit-report-form"))
        .await
        .expect("the report form");
    let scroll = p
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .expect("scroll width");
    assert!(
        scroll.as_i64().is_some_and(|w| w <= 420),
        "no sideways scrolling: {scroll}"
    );
    for (field, text) in [
        ("report-findings", "门店整洁，新品上架及时。"),
        ("report-problems", "店员对促销政策不熟悉。"),
        ("action-title-0", "发送促销政策说明"),
    ] {
        p.find(Locator::Id(field))
            .await
            .expect(field)
            .send_keys(text)
            .await
            .expect("type");
    }
    // The due day through the date input's script value (typing into a date field is
    // locale-dependent in Chromium).
    p.execute(
        "document.getElementById('action-due-0').value = '2026-02-15'; document.querySelectorAll('#action-owner-0 option')[1].selected = true;",
        vec![],
    )
    .await
    .expect("due day and owner");
    p.find(Locator::Id("report-submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    p.wait()
        .for_element(Locator::Id("visit-report"))
        .await
        .expect("the report on the visit's page");
    p.find(Locator::Id("visit-photo"))
        .await
        .expect("photo input")
        .send_keys(&photo.display().to_string())
        .await
        .expect("choose the photo");
    p.find(Locator::Id("visit-photo-submit"))
        .await
        .expect("upload")
        .click()
        .await
        .expect("click");
    p.wait()
        .for_element(Locator::Css("#visit-photos a[href*='/files/']"))
        .await
        .expect("the photo listed");
    let html = p.source().await.expect("source");
    assert!(html.contains("发送促销政策说明"), "the action item");
    p.close().await.expect("close");
    drop(driver);
    let page = a
        .call("GET", &format!("/api/v1/visits/{id}"), Some(&channel), None)
        .await
        .json();
    assert_eq!(page["state"], json!("done"));
    assert_eq!(page["files"].as_array().map(Vec::len), Some(1));
    assert!(page["tasks"][0]["owner_contact_id"].is_string(), "{page}");
}
