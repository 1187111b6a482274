//! Files in and out over HTTP (SPEC A5, H1): imports take Chinese values from CSV and XLSX and
//! answer in the caller's language; exports give people their language's labels and systems
//! the codes, with local times; the receipts board exports everyone; the partner list finds a
//! partner by a contact's name or phone.

use crate::{Reply, TestApp, apps};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A request with a bearer token or a session cookie, and the caller's languages.
fn req(method: &str, path: &str, auth: &str, lang: Option<&str>, body: Body) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    b = if auth.contains('=') {
        b.header(header::COOKIE, auth)
    } else {
        b.header(header::AUTHORIZATION, format!("Bearer {auth}"))
    };
    if let Some(l) = lang {
        b = b.header(header::ACCEPT_LANGUAGE, l);
    }
    b.body(body).expect("request")
}

async fn get(a: &TestApp, path: &str, auth: &str, lang: Option<&str>) -> Reply {
    a.send(req("GET", path, auth, lang, Body::empty())).await
}

async fn upload(
    a: &TestApp,
    path: &str,
    auth: &str,
    lang: &str,
    bytes: Vec<u8>,
    xlsx: bool,
) -> Reply {
    let mut r = req("POST", path, auth, Some(lang), Body::from(bytes));
    let ct = if xlsx { XLSX } else { "text/csv" };
    r.headers_mut()
        .insert(header::CONTENT_TYPE, ct.parse().expect("content type"));
    a.send(r).await
}

/// The rows of an exported CSV as a third-party parser reads them (after the UTF-8 BOM).
pub(crate) fn csv_rows(r: &Reply) -> Vec<Vec<String>> {
    assert!(r.body.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    assert!(r.content_type.starts_with("text/csv"), "{}", r.content_type);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&r.body[3..]);
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|rec| rec.expect("valid CSV").iter().map(str::to_string).collect())
        .collect();
    assert!(
        rows.iter().all(|row| row.len() == rows[0].len()),
        "every record has the header's width"
    );
    rows
}

/// The rows of an exported workbook's first sheet as a third-party parser reads them.
pub(crate) fn xlsx_rows(r: &Reply) -> Vec<Vec<String>> {
    use calamine::Reader;
    assert_eq!(r.content_type, XLSX);
    let mut book: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(r.body.clone())).expect("valid XLSX");
    let range = book
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("readable sheet");
    range
        .rows()
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .collect()
}

fn workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, cells) in rows.iter().enumerate() {
        for (c, text) in cells.iter().enumerate() {
            sheet
                .write_string(r as u32, c as u16, *text)
                .expect("cell written");
        }
    }
    book.save_to_buffer().expect("workbook saved")
}

/// SPEC A5: Chinese values from CSV and XLSX through the API; a bad value named in the
/// caller's language; only channel management imports (§4.2.1).
#[tokio::test]
async fn the_api_imports_chinese_values_and_answers_in_the_callers_language() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let channel = a.login("channel@demo.example").await;
        let csv = "\u{feff}编码,名称,类型,区域,等级,状态\n\
            WEB-001,南京经销商,经销商,华东,A,合作中\n\
            WEB-002,苏州门店,门店,华东,B,暂停\n";
        let r = upload(
            a,
            "/api/v1/imports/partners?filename=p.csv",
            &channel,
            "zh-CN",
            csv.into(),
            false,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(r.json()["created"], 2, "[{}]", a.name);
        let book = workbook(&[
            &["代碼", "名稱", "類型", "區域", "等級", "狀態"],
            &["WEB-003", "台北電商", "電商平台", "華南", "A", "潛在"],
        ]);
        let r = upload(a, "/api/v1/imports/partners", &channel, "zh-TW", book, true).await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        let found = a
            .call("GET", "/api/v1/partners?q=WEB", Some(&channel), None)
            .await
            .json();
        let mut got: Vec<(String, String, String)> = found["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|p| {
                let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
                (s("code"), s("kind"), s("status"))
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                ("WEB-001".into(), "distributor".into(), "active".into()),
                ("WEB-002".into(), "store".into(), "suspended".into()),
                ("WEB-003".into(), "ecommerce".into(), "prospect".into()),
            ],
            "[{}]",
            a.name
        );

        let bad = "编码,名称,类型,区域,等级\nWEB-009,批发伙伴,批发商,华东,A\n";
        for (lang, expected) in [
            (
                "zh-CN",
                "第 2 行 类型：'批发商' 不是可选值（经销商、代理商、电商平台、线下门店、其他）",
            ),
            (
                "zh-TW,zh;q=0.8",
                "第 2 列 類型：「批发商」不是可選的值（經銷商、代理商、電商平台、實體門市、其他）",
            ),
            (
                "en-US",
                "Row 2, Type: '批发商' is not one of the allowed values (Distributor, Agent, E-commerce platform, Retail store, Other)",
            ),
        ] {
            let r = upload(
                a,
                "/api/v1/imports/partners",
                &channel,
                lang,
                bad.into(),
                false,
            )
            .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
            assert_eq!(
                r.json()["errors"],
                json!([{"row": 2, "field": "kind", "message": expected}]),
                "[{}] {lang}",
                a.name
            );
        }
        // The console's import page lists the same sentences.
        let cookie = crate::pages::browser_login(a, "channel@demo.example").await;
        let page = get(a, "/console/partners/import", &cookie, Some("zh-CN")).await;
        assert!(
            page.text().contains("经销商"),
            "[{}] the values hint",
            a.name
        );

        for who in ["staff@demo.example", "p1@demo.example", "p2@demo.example"] {
            let t = a.login(who).await;
            let r = upload(
                a,
                "/api/v1/imports/partners",
                &t,
                "zh-CN",
                csv.into(),
                false,
            )
            .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "[{}] {who}", a.name);
        }
    }
}

/// Exports: codes for a system that sends no Accept-Language or an English one (as before),
/// Chinese labels for a Chinese caller or on request, and either file reads back unchanged.
#[tokio::test]
async fn exports_give_systems_codes_and_chinese_callers_labels() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let channel = a.login("channel@demo.example").await;
        let path = "/api/v1/exports/partners?q=SH-D001";
        for lang in [None, Some("en-US,en;q=0.9")] {
            let rows = csv_rows(&get(a, path, &channel, lang).await);
            assert_eq!(
                rows[0][..6],
                ["code", "name", "kind", "region", "tier", "status"]
            );
            assert_eq!(
                (rows[1][2].as_str(), rows[1][5].as_str()),
                ("distributor", "active")
            );
        }
        let rows = csv_rows(&get(a, path, &channel, Some("zh-CN,zh;q=0.9")).await);
        assert_eq!(
            rows[0][..6],
            ["编码", "名称", "类型", "区域", "等级", "状态"]
        );
        assert_eq!(
            (rows[1][2].as_str(), rows[1][5].as_str()),
            ("经销商", "合作中")
        );
        let rows =
            csv_rows(&get(a, &format!("{path}&labels=codes"), &channel, Some("zh-CN")).await);
        assert_eq!(rows[1][2], "distributor", "[{}] labels=codes wins", a.name);
        let rows = xlsx_rows(
            &get(
                a,
                &format!("{path}&labels=zh-TW&format=xlsx"),
                &channel,
                None,
            )
            .await,
        );
        assert_eq!(rows[0][..3], ["代碼", "名稱", "類型"]);
        assert_eq!(rows[1][2], "經銷商", "[{}]", a.name);
        let r = get(a, &format!("{path}&labels=klingon"), &channel, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);

        let contacts = get(
            a,
            "/api/v1/exports/contacts?q=SH-D001&format=xlsx",
            &channel,
            Some("zh-CN"),
        )
        .await;
        let rows = xlsx_rows(&contacts);
        assert_eq!(rows[0][0], "伙伴编码", "[{}]", a.name);
        assert!(
            rows[1][6].contains("伙伴门户"),
            "[{}] {:?}",
            a.name,
            rows[1]
        );
        // The Chinese file imports back unchanged.
        let r = upload(
            a,
            "/api/v1/imports/contacts",
            &channel,
            "zh-CN",
            contacts.body.clone(),
            true,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(r.json()["created"], 0, "[{}]", a.name);
        let again = get(
            a,
            "/api/v1/exports/contacts?q=SH-D001&format=xlsx",
            &channel,
            Some("zh-CN"),
        )
        .await;
        assert_eq!(xlsx_rows(&again), rows, "[{}]", a.name);

        // §4.2.1: staff and partner users export nothing, in any language.
        for who in ["staff@demo.example", "p1@demo.example", "p2@demo.example"] {
            let t = a.login(who).await;
            for p in [
                "/api/v1/exports/partners?labels=zh-CN",
                "/api/v1/exports/contacts?labels=codes",
            ] {
                let r = get(a, p, &t, Some("zh-CN")).await;
                assert_eq!(r.status, StatusCode::FORBIDDEN, "[{}] {who} {p}", a.name);
            }
        }
    }
}

/// Issue 9, dead end: the receipts board exports everyone, not only the unconfirmed, with
/// Beijing times and the offset; partner users never get it.
#[tokio::test]
async fn the_receipts_board_exports_every_receipt_in_local_time() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let sh = a.partner_id("SH-D001").await;
        let bj = a.partner_id("BJ-D002").await;
        let r = a
            .dispatch(
                &head,
                &channel,
                json!({"title": "春节发货安排", "purpose": "告知", "body": "请知悉。", "category": "product",
                       "channels": ["email"], "ack_required": true,
                       "ack_due_at": (chrono::Utc::now() + chrono::Duration::days(5)).to_rfc3339(),
                       "audience": {"partners": [sh, bj]}}),
            )
            .await;
        let id = r["id"].as_str().expect("id").to_string();
        let mid =
            a.call("GET", "/api/v1/inbox", Some(&p1), None).await.json()["items"][0]["message_id"]
                .as_str()
                .expect("p1 has the message")
                .to_string();
        let ack = a
            .call("POST", &format!("/api/v1/inbox/{mid}/ack"), Some(&p1), None)
            .await;
        assert_eq!(ack.status, StatusCode::OK, "[{}] {}", a.name, ack.text());

        let cookie = crate::pages::browser_login(a, "channel@demo.example").await;
        let page = get(
            a,
            &format!("/console/requests/{id}"),
            &cookie,
            Some("zh-CN"),
        )
        .await;
        let html = page.text();
        assert!(
            html.contains(&format!(
                "href=\"/console/requests/{id}/export?format=csv\" id=\"export-all-csv\""
            )) && html.contains(&format!(
                "href=\"/console/requests/{id}/export?format=xlsx\" id=\"export-all-xlsx\""
            )) && html.contains("导出全部回执（CSV）"),
            "[{}] the full export buttons",
            a.name
        );
        let all = csv_rows(
            &get(
                a,
                &format!("/console/requests/{id}/export?format=csv"),
                &cookie,
                Some("zh-CN"),
            )
            .await,
        );
        assert_eq!(
            all[0],
            [
                "伙伴编码",
                "伙伴名称",
                "联系人",
                "渠道",
                "状态",
                "阅读时间",
                "确认时间",
                "逾期确认"
            ]
        );
        let confirmed: Vec<&Vec<String>> = all.iter().filter(|r| r[4] == "已确认").collect();
        assert!(
            !confirmed.is_empty(),
            "[{}] confirmed receipts are in: {all:?}",
            a.name
        );
        assert!(all.iter().any(|r| r[0] == "BJ-D002"), "[{}]", a.name);
        assert_eq!(confirmed[0][7], "否", "[{}] confirmed on time", a.name);
        assert!(
            all.iter()
                .skip(1)
                .filter(|r| r[6].is_empty())
                .all(|r| r[7].is_empty()),
            "[{}] nothing said of lateness before a confirmation: {all:?}",
            a.name
        );
        let at = &confirmed[0][6];
        assert!(
            at.ends_with(" +08:00")
                && chrono::DateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S %:z").is_ok(),
            "[{}] local time with the offset: {at}",
            a.name
        );
        let book = xlsx_rows(
            &get(
                a,
                &format!("/console/requests/{id}/export?format=xlsx"),
                &cookie,
                Some("zh-CN"),
            )
            .await,
        );
        assert_eq!(book.len(), all.len(), "[{}]", a.name);
        // A system reads codes and RFC 3339 times with the same offset.
        let api = csv_rows(
            &get(
                a,
                &format!("/api/v1/requests/{id}/deliveries/export"),
                &channel,
                None,
            )
            .await,
        );
        assert_eq!(api[0][4], "state");
        let acked = api
            .iter()
            .find(|r| r[4] == "acknowledged")
            .expect("acknowledged");
        assert!(
            acked[6].ends_with("+08:00") && chrono::DateTime::parse_from_rfc3339(&acked[6]).is_ok(),
            "[{}] {}",
            a.name,
            acked[6]
        );
        // Partner users, their own partner's or another's, never get the board.
        let p1_cookie = crate::pages::browser_login(a, "p1@demo.example").await;
        for (who, auth) in [("p1", p1.as_str()), ("p1 page", p1_cookie.as_str())] {
            let path = if who.ends_with("page") {
                format!("/console/requests/{id}/export?format=csv")
            } else {
                format!("/api/v1/requests/{id}/deliveries/export?labels=zh-CN")
            };
            let r = get(a, &path, auth, Some("zh-CN")).await;
            assert!(
                matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                "[{}] {who}: {}",
                a.name,
                r.status
            );
            assert!(!r.text().contains("SH-D001"), "[{}] {who}", a.name);
        }
        let p2 = a.login("p2@demo.example").await;
        let r = get(
            a,
            &format!("/api/v1/requests/{id}/deliveries/export?labels=codes"),
            &p2,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{}] p2", a.name);
    }
}

/// Issue 9, dead end: the partner list finds a partner by a contact's name (王伟) and by a
/// contact's phone number as people type it; a partner user still sees only their own.
#[tokio::test]
async fn the_partner_search_finds_contacts_by_name_and_phone() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let channel = a.login("channel@demo.example").await;
        let bj = a.partner_id("BJ-D002").await;
        let r = a
            .call(
                "POST",
                &format!("/api/v1/partners/{bj}/contacts"),
                Some(&channel),
                Some(json!({"name": "王伟", "phone": "+86 139 1234 5678", "email": "wang.wei@bj.example"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
        for q in [
            "王伟",
            "13912345678",
            "139%201234%205678",
            "%2B86%20139-1234-5678",
            "wang.wei",
        ] {
            let found = a
                .call(
                    "GET",
                    &format!("/api/v1/partners?q={}", q),
                    Some(&channel),
                    None,
                )
                .await;
            assert_eq!(found.status, StatusCode::OK, "[{}] {q}", a.name);
            let codes: Vec<&str> = found.json()["items"]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|p| p["code"].as_str())
                        .map(|c| if c == "BJ-D002" { "BJ-D002" } else { "other" })
                        .collect()
                })
                .unwrap_or_default();
            assert!(
                codes.contains(&"BJ-D002"),
                "[{}] q={q}: {}",
                a.name,
                found.text()
            );
        }
        // Nobody else has that number; a name no contact has finds nothing.
        let none = a
            .call(
                "GET",
                "/api/v1/partners?q=13912345678",
                Some(&channel),
                None,
            )
            .await
            .json();
        assert_eq!(
            none["items"].as_array().map(Vec::len),
            Some(1),
            "[{}]",
            a.name
        );
        let none = a
            .call("GET", "/api/v1/partners?q=欧阳不存在", Some(&channel), None)
            .await
            .json();
        assert_eq!(
            none["items"].as_array().map(Vec::len),
            Some(0),
            "[{}]",
            a.name
        );
        // The console list too.
        let cookie = crate::pages::browser_login(a, "channel@demo.example").await;
        let page = get(
            a,
            &format!("/console/partners?q={}", "%E7%8E%8B%E4%BC%9F"),
            &cookie,
            Some("zh-CN"),
        )
        .await;
        assert!(page.text().contains("BJ-D002"), "[{}] console list", a.name);
        // p1 (SH-D001) searching for BJ-D002's contact finds nothing of another partner.
        let p1 = a.login("p1@demo.example").await;
        let r = a
            .call("GET", "/api/v1/partners?q=13912345678", Some(&p1), None)
            .await;
        assert!(!r.text().contains("BJ-D002"), "[{}] {}", a.name, r.text());
    }
}
