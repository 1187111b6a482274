//! The policy library over HTTP (issue 11; policy §3.1): the API names the issue keeps, the
//! matrix export read by third-party parsers, partners refused what was not announced to them,
//! and the console and portal pages.

use crate::exchange::{csv_rows, xlsx_rows};
use crate::pages::{browser_login, csrf, get};
use crate::{TestApp, apps};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

/// A policy for SH-D001 (p1's partner) with version 1 published through the review chain and
/// version 2 drafted; returns the policy id.
pub(crate) async fn published_policy(a: &TestApp) -> String {
    let staff = a.login("staff@demo.example").await;
    let head = a.login("head@demo.example").await;
    let channel = a.login("channel@demo.example").await;
    let p1_partner = a.partner_id("SH-D001").await;
    let r = a
        .call(
            "POST",
            "/api/v1/policies",
            Some(&staff),
            Some(json!({"kind": "sales", "title": "渠道返利政策", "audience": {"partners": [p1_partner]}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
    let id = r.json()["id"].as_str().expect("id").to_string();
    let due = (chrono::Utc::now() + chrono::Duration::days(40)).to_rfc3339();
    for (n, body, change) in [
        (
            1,
            "第一条 适用于全部渠道伙伴。\n\n第二条 返利比例为3%，按季度结算。",
            json!({}),
        ),
        (
            2,
            "第一条 适用于全部渠道伙伴。\n\n第二条 返利比例为2.5%，按月结算。",
            json!({"change_reason": "成本上涨", "impact": "返利下降 0.5 个百分点"}),
        ),
    ] {
        let mut body = json!({"body": body, "effective_at": due});
        if let (Some(b), Some(c)) = (body.as_object_mut(), change.as_object()) {
            b.extend(c.clone());
        }
        let v = a
            .call(
                "POST",
                &format!("/api/v1/policies/{id}/versions"),
                Some(&staff),
                Some(body),
            )
            .await;
        assert_eq!(v.status, StatusCode::CREATED, "[{}] {}", a.name, v.text());
        assert_eq!(v.json()["n"], n);
        assert_eq!(v.json()["state"], "draft");
        let rid = v.json()["request_id"]
            .as_str()
            .expect("request")
            .to_string();
        for (who, action) in [
            (&staff, "submit"),
            (&head, "approve"),
            (&channel, "approve"),
        ] {
            let r = a
                .call(
                    "POST",
                    &format!("/api/v1/requests/{rid}/{action}"),
                    Some(who),
                    None,
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::OK,
                "[{}] {action}: {}",
                a.name,
                r.text()
            );
        }
    }
    id
}

#[tokio::test]
async fn the_policy_api_publishes_versions_and_partners_see_only_their_own() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let id = published_policy(a).await;
        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        let channel = a.login("channel@demo.example").await;

        let list = a.call("GET", "/api/v1/policies", Some(&p1), None).await;
        assert_eq!(list.status, StatusCode::OK);
        let items = list.json()["items"].as_array().cloned().unwrap_or_default();
        assert!(
            items.iter().any(|p| p["id"] == id.as_str()),
            "[{}] {}",
            a.name,
            list.text()
        );
        let v2 = a
            .call(
                "GET",
                &format!("/api/v1/policies/{id}/versions/2"),
                Some(&p1),
                None,
            )
            .await;
        assert_eq!(v2.status, StatusCode::OK, "[{}] {}", a.name, v2.text());
        assert_eq!(v2.json()["state"], "scheduled");
        assert_eq!(v2.json()["acknowledgement"], "pending");
        assert!(
            v2.json().get("request_id").is_none(),
            "a partner sees no request"
        );

        let d = a
            .call(
                "GET",
                &format!("/api/v1/policies/{id}/versions/2/diff"),
                Some(&p1),
                None,
            )
            .await;
        assert_eq!(d.status, StatusCode::OK, "[{}] {}", a.name, d.text());
        let spans: Vec<Value> = d.json()["paragraphs"][1]["spans"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            spans
                .iter()
                .any(|s| s["op"] == "insert" && s["text"] == "2.5%"),
            "{}",
            d.text()
        );
        assert!(
            spans
                .iter()
                .any(|s| s["op"] == "delete" && s["text"] == "季度"),
            "{}",
            d.text()
        );

        // p2's partner was not in the audience: 404 for the policy and everything under it.
        for path in [
            format!("/api/v1/policies/{id}"),
            format!("/api/v1/policies/{id}/versions/1"),
            format!("/api/v1/policies/{id}/versions/2/diff"),
        ] {
            let r = a.call("GET", &path, Some(&p2), None).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{}] p2 {path}", a.name);
        }
        // Partner users write nothing and read no matrix.
        let r = a
            .call(
                "POST",
                "/api/v1/policies",
                Some(&p1),
                Some(json!({"kind": "sales", "title": "x", "audience": {"all": true}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{}] {}", a.name, r.text());
        let r = a
            .call(
                "GET",
                &format!("/api/v1/policies/{id}/acknowledgements"),
                Some(&p1),
                None,
            )
            .await;
        assert!(
            matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "[{}] {}",
            a.name,
            r.status
        );
        // Bad input says what to fix.
        let r = a
            .call(
                "POST",
                "/api/v1/policies",
                Some(&channel),
                Some(json!({"kind": "weird", "audience": {}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<String> = r.json()["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter_map(|x| x["field"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        for f in ["kind", "title", "audience"] {
            assert!(
                fields.iter().any(|x| x == f),
                "[{}] {f} in {fields:?}",
                a.name
            );
        }

        // p1 acknowledges version 2 (its message); the matrix shows it.
        let message = v2.json()["message_id"].as_str().expect("sent").to_string();
        let ack = a
            .call(
                "POST",
                &format!("/api/v1/inbox/{message}/ack"),
                Some(&p1),
                None,
            )
            .await;
        assert_eq!(ack.status, StatusCode::OK, "[{}] {}", a.name, ack.text());
        let m = a
            .call(
                "GET",
                &format!("/api/v1/policies/{id}/acknowledgements"),
                Some(&channel),
                None,
            )
            .await;
        assert_eq!(m.status, StatusCode::OK, "[{}] {}", a.name, m.text());
        assert_eq!(m.json()["rows"][0]["code"], "SH-D001");
        assert_eq!(
            m.json()["rows"][0]["cells"],
            json!(["pending", "acknowledged"])
        );

        // The export opens in third-party readers, with Chinese labels when asked.
        let csv = a
            .call(
                "GET",
                &format!("/api/v1/policies/{id}/acknowledgements/export?format=csv&labels=zh-CN"),
                Some(&channel),
                None,
            )
            .await;
        assert_eq!(csv.status, StatusCode::OK, "[{}] {}", a.name, csv.text());
        let rows = csv_rows(&csv);
        assert_eq!(
            rows[0],
            vec!["合作伙伴编码", "合作伙伴名称", "第 1 版", "第 2 版"]
        );
        assert_eq!(rows[1][0], "SH-D001");
        assert_eq!(rows[1][2..], ["待确认".to_string(), "已确认".to_string()]);
        let xlsx = a
            .call(
                "GET",
                &format!("/api/v1/policies/{id}/acknowledgements/export?format=xlsx&labels=codes"),
                Some(&channel),
                None,
            )
            .await;
        let rows = xlsx_rows(&xlsx);
        assert_eq!(rows[0], vec!["partner_code", "partner_name", "v1", "v2"]);
        assert_eq!(
            rows[1][2..],
            ["pending".to_string(), "acknowledged".to_string()]
        );
    }
}

#[tokio::test]
async fn console_and_portal_show_the_library_the_change_and_take_the_acknowledgement() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let id = published_policy(a).await;
        let channel = browser_login(a, "channel@demo.example").await;
        let list = a
            .send(get("/console/policies", Some(&channel), "zh-CN"))
            .await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.text().contains("渠道返利政策"), "[{}]", a.name);
        let page = a
            .send(get(
                &format!("/console/policies/{id}?v=2"),
                Some(&channel),
                "zh-CN",
            ))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text().contains("<ins>2.5%</ins>"),
            "[{}] {}",
            a.name,
            page.text()
        );
        assert!(page.text().contains("已公告待生效"));
        let matrix = a
            .send(get(
                &format!("/console/policies/{id}/acknowledgements"),
                Some(&channel),
                "zh-CN",
            ))
            .await;
        assert_eq!(matrix.status, StatusCode::OK);
        assert!(matrix.text().contains("SH-D001") && matrix.text().contains("待确认"));

        let p1 = browser_login(a, "p1@demo.example").await;
        let mine = a.send(get("/portal/policies", Some(&p1), "zh-CN")).await;
        assert_eq!(mine.status, StatusCode::OK);
        assert!(mine.text().contains("即将生效") && mine.text().contains("渠道返利政策"));
        let show = a
            .send(get(
                &format!("/portal/policies/{id}?v=2"),
                Some(&p1),
                "zh-CN",
            ))
            .await;
        assert!(
            show.text().contains("<del>季度</del>"),
            "[{}] {}",
            a.name,
            show.text()
        );
        let req = Request::builder()
            .method("POST")
            .uri(format!("/portal/policies/{id}/versions/2/ack"))
            .header(header::COOKIE, &p1)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("_csrf={}", csrf(&p1))))
            .expect("request");
        assert_eq!(a.send(req).await.status, StatusCode::SEE_OTHER);
        let show = a
            .send(get(
                &format!("/portal/policies/{id}?v=2"),
                Some(&p1),
                "zh-CN",
            ))
            .await;
        assert!(show.text().contains("data-acked=\"true\""), "[{}]", a.name);
        // Another partner's user: not found.
        let p2 = browser_login(a, "p2@demo.example").await;
        let r = a
            .send(get(&format!("/portal/policies/{id}"), Some(&p2), "zh-CN"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{}]", a.name);
    }
}
