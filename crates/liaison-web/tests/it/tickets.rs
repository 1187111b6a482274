//! Problem tickets over HTTP (policy §3.4; issue 12): another partner's ticket does not exist
//! (404) on the API and the portal; staff outside the holding department do not see it (404)
//! and partners may not work it (403); internal notes and their files never reach the
//! partner; bad input is a 422 naming the field; only admins change the settings and only
//! report readers see the report; the console and portal pages render in every language; and
//! in Chromium p1 reports a problem with a photo on a phone, staff answer and resolve it, and
//! p1 rates it.

use crate::browser::{chromium, log_in, phone, serve};
use crate::pages::{browser_login, csrf, get};
use crate::{TestApp, apps};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fantoccini::Locator;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// A 1×1 PNG: a photo as far as the file check is concerned.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

async fn actor_of(a: &TestApp, email: &str) -> liaison_core::Actor {
    liaison_db::user::list_users(&a.db)
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.email == email)
        .expect("demo user")
        .actor()
}

/// §3.4.2: marketing problems go to the marketing department, to staff@ (the rule the demo
/// company has; set here so the tests do not depend on it).
async fn route_marketing_to_staff(a: &TestApp) {
    let admin = actor_of(a, "admin@demo.example").await;
    let staff = actor_of(a, "staff@demo.example").await;
    let rule = liaison_app::tickets::RouteInput {
        kind: Some("marketing".into()),
        department_id: staff.department_id,
        assignee_id: Some(staff.user_id),
        ..Default::default()
    };
    liaison_app::tickets::update_routes(&a.db, &admin, &[rule])
        .await
        .expect("routing rule");
}

/// p1 raises a marketing ticket through the API; returns its JSON.
async fn raise(a: &TestApp, token: &str, subject: &str) -> Value {
    let r = a
        .call(
            "POST",
            "/api/v1/tickets",
            Some(token),
            Some(json!({"kind": "marketing", "subject": subject,
                "description": "华东区门店反映新品陈列物料不足。\n请尽快补发海报和台卡。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
    r.json()
}

/// The fields a 422 names, sorted.
fn fields(r: &crate::Reply) -> Vec<String> {
    let mut f: Vec<String> = r.json()["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|x| x["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    f.sort();
    f.dedup();
    f
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

/// A multipart form as a browser sends it: text fields, then files in `files` parts.
fn multipart(
    path: &str,
    cookie: &str,
    pairs: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> Request<Body> {
    let boundary = "----liaison-test-7MA4YWxkTrZu0gW";
    let mut body: Vec<u8> = Vec::new();
    for (k, v) in pairs {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
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
        .header(header::ACCEPT_LANGUAGE, "zh-CN")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
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

#[tokio::test]
async fn a_partners_ticket_does_not_exist_for_another_partner() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        route_marketing_to_staff(a).await;
        let (p1, p2, staff) = (
            a.login("p1@demo.example").await,
            a.login("p2@demo.example").await,
            a.login("staff@demo.example").await,
        );
        let t = raise(a, &p1, "新品陈列物料不足").await;
        assert_eq!(t["state"], "new", "[{n}] {t}");
        assert_eq!(t["priority"], "normal", "[{n}] {t}");
        assert!(t["first_response_due_at"].is_string(), "[{n}] {t}");
        assert!(t["resolution_due_at"].is_string(), "[{n}] {t}");
        assert_eq!(t["breached"], json!([]), "[{n}] {t}");
        let id = t["id"].as_str().expect("id").to_string();
        // A reply with a photo from the holder, through the page.
        let cookie = browser_login(a, "staff@demo.example").await;
        let (status, _, page) = send(
            a,
            multipart(
                &format!("/console/tickets/{id}/reply"),
                &cookie,
                &[
                    ("_csrf", &csrf(&cookie)),
                    ("body", "已安排补发，请查收照片中的物料清单。"),
                    ("action", "reply"),
                ],
                &[("物料清单.png", PNG)],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}] {page}");
        let shown = a
            .call("GET", &format!("/api/v1/tickets/{id}"), Some(&p1), None)
            .await
            .json();
        let file = shown["files"][0]["id"].as_str().expect("file").to_string();
        assert_eq!(shown["files"][0]["filename"], "物料清单.png", "[{n}]");
        let r = a
            .call(
                "GET",
                &format!("/api/v1/tickets/{id}/files/{file}"),
                Some(&p1),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}]");
        assert!(r.body.starts_with(b"\x89PNG"), "[{n}]");

        // p2: not found, whatever it tries.
        for (method, path, body) in [
            ("GET", format!("/api/v1/tickets/{id}"), None),
            ("GET", format!("/api/v1/tickets/{id}/files/{file}"), None),
            (
                "POST",
                format!("/api/v1/tickets/{id}/replies"),
                Some(json!({"body": "我们也有同样的问题"})),
            ),
            (
                "POST",
                format!("/api/v1/tickets/{id}/rate"),
                Some(json!({"score": 1})),
            ),
            (
                "POST",
                format!("/api/v1/tickets/{id}/reopen"),
                Some(json!({})),
            ),
            (
                "POST",
                format!("/api/v1/tickets/{id}/merge"),
                Some(json!({"into": id})),
            ),
            ("POST", format!("/api/v1/tickets/{id}/watch"), None),
        ] {
            let r = a.call(method, &path, Some(&p2), body).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}] p2 {method} {path}");
        }
        let mine = a
            .call("GET", "/api/v1/tickets", Some(&p2), None)
            .await
            .json();
        assert!(
            mine["items"]
                .as_array()
                .is_some_and(|i| i.iter().all(|t| t["id"] != id.as_str())),
            "[{n}] {mine}"
        );
        let p2_cookie = browser_login(a, "p2@demo.example").await;
        for path in [
            format!("/portal/tickets/{id}"),
            format!("/portal/tickets/{id}/files/{file}"),
        ] {
            let r = a.send(get(&path, Some(&p2_cookie), "zh-CN")).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}] {path}");
        }
        let (status, _, _) = send(
            a,
            form(
                &format!("/portal/tickets/{id}/rate"),
                &p2_cookie,
                &[("_csrf", &csrf(&p2_cookie)), ("score", "1")],
            ),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "[{n}] p2 rates on the portal"
        );
        let list = a
            .send(get("/portal/tickets", Some(&p2_cookie), "zh-CN"))
            .await;
        assert!(!list.text().contains("新品陈列物料不足"), "[{n}]");
        let r = a
            .call("GET", "/api/v1/tickets", Some(&staff), None)
            .await
            .json();
        assert!(
            r["items"]
                .as_array()
                .is_some_and(|i| i.iter().any(|t| t["id"] == id.as_str())),
            "[{n}] the holder's list: {r}"
        );
    }
}

#[tokio::test]
async fn staff_outside_the_holding_department_and_partners_may_not_work_a_ticket() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        route_marketing_to_staff(a).await;
        let (p1, rnd) = (
            a.login("p1@demo.example").await,
            a.login("rnd@demo.example").await,
        );
        let t = raise(a, &p1, "门店海报印刷错误").await;
        let id = t["id"].as_str().expect("id").to_string();
        let second = raise(a, &p1, "门店海报印刷错误（重复）").await;
        let other = second["id"].as_str().expect("id").to_string();
        let actions = [
            ("assign", json!({"priority": "high"})),
            (
                "resolve",
                json!({"resolution": "已重印", "root_cause": "other"}),
            ),
            ("merge", json!({"into": other})),
        ];
        // R&D staff: not their department's, not watching: it does not exist for them.
        let r = a
            .call("GET", &format!("/api/v1/tickets/{id}"), Some(&rnd), None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}]");
        for (action, body) in &actions {
            let r = a
                .call(
                    "POST",
                    &format!("/api/v1/tickets/{id}/{action}"),
                    Some(&rnd),
                    Some(body.clone()),
                )
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}] R&D {action}");
        }
        let rnd_cookie = browser_login(a, "rnd@demo.example").await;
        let r = a
            .send(get(
                &format!("/console/tickets/{id}"),
                Some(&rnd_cookie),
                "zh-CN",
            ))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}]");
        let queue = a
            .send(get(
                "/console/tickets?queue=all",
                Some(&rnd_cookie),
                "zh-CN",
            ))
            .await;
        assert_eq!(queue.status, StatusCode::OK, "[{n}]");
        assert!(!queue.text().contains("门店海报印刷错误"), "[{n}]");
        // The partner's own user: may read, may not work it.
        for (action, body) in &actions {
            let r = a
                .call(
                    "POST",
                    &format!("/api/v1/tickets/{id}/{action}"),
                    Some(&p1),
                    Some(body.clone()),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "[{n}] p1 {action}: {}",
                r.text()
            );
        }
        let p1_cookie = browser_login(a, "p1@demo.example").await;
        let r = a
            .send(get("/console/tickets", Some(&p1_cookie), "zh-CN"))
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "[{n}] the console is not for partners"
        );
        // Nor can they watch what they cannot read (watching would open it to them).
        let r = a
            .call(
                "POST",
                &format!("/api/v1/tickets/{id}/watch"),
                Some(&rnd),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}]");
    }
}

#[tokio::test]
async fn internal_notes_and_their_files_never_reach_the_partner() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        route_marketing_to_staff(a).await;
        let (p1, staff) = (
            a.login("p1@demo.example").await,
            a.login("staff@demo.example").await,
        );
        let t = raise(a, &p1, "促销价格被竞争对手压低").await;
        let id = t["id"].as_str().expect("id").to_string();
        let secret = "内部备注：底价还可让 3%，先别告诉伙伴";
        let r = a
            .call(
                "POST",
                &format!("/api/v1/tickets/{id}/replies"),
                Some(&staff),
                Some(json!({"body": secret, "internal": true})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{n}] {}", r.text());
        let cookie = browser_login(a, "staff@demo.example").await;
        let (status, _, page) = send(
            a,
            multipart(
                &format!("/console/tickets/{id}/reply"),
                &cookie,
                &[
                    ("_csrf", &csrf(&cookie)),
                    ("body", "内部：附上成本核算表"),
                    ("action", "note"),
                ],
                &[("成本核算.png", PNG)],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}] {page}");
        let full = a
            .call("GET", &format!("/api/v1/tickets/{id}"), Some(&staff), None)
            .await
            .json();
        let note_file = full["files"][0]["id"].as_str().expect("file").to_string();
        assert_eq!(
            full["events"]
                .as_array()
                .map(|e| e.iter().filter(|e| e["internal"] == true).count()),
            Some(2),
            "[{n}] {full}"
        );
        let console = a
            .send(get(
                &format!("/console/tickets/{id}"),
                Some(&cookie),
                "zh-CN",
            ))
            .await;
        assert_eq!(console.status, StatusCode::OK, "[{n}]");
        let html = console.text();
        assert!(html.contains("底价还可让 3%"), "[{n}] staff see the note");
        assert!(
            html.contains("ev-internal") && html.contains("内部备注"),
            "[{n}] marked internal"
        );
        assert!(html.contains("成本核算.png"), "[{n}]");

        // p1: neither in the API answer, nor on the portal page, nor the file.
        let seen = a
            .call("GET", &format!("/api/v1/tickets/{id}"), Some(&p1), None)
            .await;
        assert_eq!(seen.status, StatusCode::OK, "[{n}]");
        let text = seen.text();
        for hidden in ["底价", "成本核算", note_file.as_str()] {
            assert!(
                !text.contains(hidden),
                "[{n}] p1's API answer shows {hidden}"
            );
        }
        assert!(
            seen.json()["events"]
                .as_array()
                .is_some_and(|e| e.iter().all(|e| e["internal"] == false)),
            "[{n}]"
        );
        let p1_cookie = browser_login(a, "p1@demo.example").await;
        let portal = a
            .send(get(
                &format!("/portal/tickets/{id}"),
                Some(&p1_cookie),
                "zh-CN",
            ))
            .await;
        assert_eq!(portal.status, StatusCode::OK, "[{n}]");
        assert!(portal.text().contains("促销价格被竞争对手压低"), "[{n}]");
        for hidden in ["底价", "成本核算", "内部备注", note_file.as_str()] {
            assert!(
                !portal.text().contains(hidden),
                "[{n}] the portal shows {hidden}"
            );
        }
        let r = a
            .call(
                "GET",
                &format!("/api/v1/tickets/{id}/files/{note_file}"),
                Some(&p1),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}]");
        let r = a
            .send(get(
                &format!("/portal/tickets/{id}/files/{note_file}"),
                Some(&p1_cookie),
                "zh-CN",
            ))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}]");
        let r = a
            .send(get(
                &format!("/console/tickets/{id}/files/{note_file}"),
                Some(&cookie),
                "zh-CN",
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] staff download it");
        assert!(r.body.starts_with(b"\x89PNG"), "[{n}]");
    }
}

#[tokio::test]
async fn a_ticket_is_answered_resolved_rated_reopened_and_merged_over_http() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        route_marketing_to_staff(a).await;
        let (p1, staff) = (
            a.login("p1@demo.example").await,
            a.login("staff@demo.example").await,
        );
        let r = a
            .call(
                "POST",
                "/api/v1/tickets",
                Some(&p1),
                Some(json!({"subject": "没有类型", "description": "缺少类型"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert_eq!(fields(&r), ["kind"], "[{n}] {}", r.text());
        let t = raise(a, &p1, "经销商培训资料缺页").await;
        let id = t["id"].as_str().expect("id").to_string();
        let path = format!("/api/v1/tickets/{id}");
        let r = a
            .call(
                "POST",
                &format!("{path}/replies"),
                Some(&staff),
                Some(json!({"body": "请拍照告知缺少哪几页。", "waiting_partner": true})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{n}] {}", r.text());
        assert_eq!(r.json()["state"], "waiting_partner", "[{n}]");
        let r = a
            .call(
                "POST",
                &format!("{path}/replies"),
                Some(&p1),
                Some(json!({"body": "第 12 至 15 页。"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{n}] {}", r.text());
        assert_eq!(r.json()["state"], "open", "[{n}]");
        let r = a
            .call(
                "POST",
                &format!("{path}/resolve"),
                Some(&staff),
                Some(json!({"resolution": "已补寄完整资料。\n请查收。", "root_cause": "no_such_cause"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert_eq!(fields(&r), ["root_cause"], "[{n}] {}", r.text());
        let r = a
            .call(
                "POST",
                &format!("{path}/resolve"),
                Some(&staff),
                Some(json!({"resolution": "已补寄完整资料。\n请查收。", "root_cause": "documentation"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        assert_eq!(r.json()["state"], "resolved", "[{n}]");
        let r = a
            .call(
                "POST",
                &format!("{path}/rate"),
                Some(&p1),
                Some(json!({"score": 9})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert_eq!(fields(&r), ["score"], "[{n}] {}", r.text());
        let r = a
            .call(
                "POST",
                &format!("{path}/rate"),
                Some(&p1),
                Some(json!({"score": 5, "comment": "处理很快"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        assert_eq!(r.json()["state"], "closed", "[{n}]");
        assert_eq!(r.json()["rating"], 5, "[{n}]");
        let r = a
            .call(
                "POST",
                &format!("{path}/reopen"),
                Some(&p1),
                Some(json!({"reason": "第 16 页也缺。"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        assert_eq!(r.json()["state"], "open", "[{n}]");
        assert_eq!(r.json()["reopen_count"], 1, "[{n}]");
        // A duplicate merged into it, through the console page's form.
        let dup = raise(a, &p1, "培训资料缺页（再次提交）").await;
        let dup_id = dup["id"].as_str().expect("id").to_string();
        let cookie = browser_login(a, "staff@demo.example").await;
        let shown = a
            .send(get(
                &format!("/console/tickets/{dup_id}"),
                Some(&cookie),
                "zh-CN",
            ))
            .await;
        assert!(
            shown.text().contains(&format!("<option value=\"{id}\">")),
            "[{n}] the partner's open ticket is offered"
        );
        let (status, location, _) = send(
            a,
            form(
                &format!("/console/tickets/{dup_id}/merge"),
                &cookie,
                &[("_csrf", &csrf(&cookie)), ("into", &id), ("into_id", "")],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        assert_eq!(location, format!("/console/tickets/{id}?saved=1"), "[{n}]");
        let merged = a
            .call("GET", &format!("/api/v1/tickets/{dup_id}"), Some(&p1), None)
            .await
            .json();
        assert_eq!(merged["state"], "closed", "[{n}]");
        assert_eq!(merged["merged_into"], id.as_str(), "[{n}]");
        let survivor = a.send(get(&location, Some(&cookie), "zh-CN")).await.text();
        assert!(
            survivor.contains("培训资料缺页（再次提交）") && survivor.contains("ticket-saved"),
            "[{n}] the survivor tells of the duplicate"
        );
    }
}

#[tokio::test]
async fn ticket_forms_show_errors_beside_their_fields_and_keep_the_text() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        route_marketing_to_staff(a).await;
        let p1_cookie = browser_login(a, "p1@demo.example").await;
        // The portal's form: no kind, a file that is not what it says.
        let (status, _, page) = send(
            a,
            multipart(
                "/portal/tickets",
                &p1_cookie,
                &[
                    ("_csrf", &csrf(&p1_cookie)),
                    ("kind", ""),
                    ("priority", "normal"),
                    ("product_id", ""),
                    ("subject", "展柜灯箱不亮"),
                    ("description", "门店的展柜灯箱通电后不亮。\n已检查电源。"),
                ],
                &[("灯箱.png", b"not a png")],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(page.contains("id=\"error-kind\""), "[{n}] {page}");
        assert!(page.contains("id=\"error-files\""), "[{n}]");
        assert!(page.contains("展柜灯箱不亮"), "[{n}] the subject is kept");
        assert!(
            page.contains("已检查电源。"),
            "[{n}] the description is kept"
        );
        // Sent properly, with the photo: on to the ticket with its notice.
        let (status, location, _) = send(
            a,
            multipart(
                "/portal/tickets",
                &p1_cookie,
                &[
                    ("_csrf", &csrf(&p1_cookie)),
                    ("kind", "marketing"),
                    ("priority", "high"),
                    ("product_id", ""),
                    ("product_text", "LX 展柜灯箱"),
                    ("subject", "展柜灯箱不亮"),
                    ("description", "门店的展柜灯箱通电后不亮。"),
                ],
                &[("灯箱.png", PNG)],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        assert!(
            location.starts_with("/portal/tickets/") && location.ends_with("?saved=1"),
            "[{n}] {location}"
        );
        let id = location
            .trim_start_matches("/portal/tickets/")
            .trim_end_matches("?saved=1")
            .to_string();
        let shown = a
            .send(get(&location, Some(&p1_cookie), "zh-CN"))
            .await
            .text();
        assert!(shown.contains("id=\"ticket-saved\""), "[{n}]");
        assert!(
            shown.contains("class=\"thumb\""),
            "[{n}] the photo as a thumbnail"
        );
        // The console's forms: a call recorded for an unknown partner, then for SH-D001 (its
        // code typed in lower case); an empty reply; a resolution without a cause.
        let cookie = browser_login(a, "staff@demo.example").await;
        let call = |partner: &'static str| {
            multipart(
                "/console/tickets",
                &cookie,
                &[
                    ("_csrf", &csrf(&cookie)),
                    ("partner_id", partner),
                    ("via", "phone"),
                    ("kind", "customer_complaint"),
                    ("priority", "urgent"),
                    ("product_id", ""),
                    ("subject", "终端客户电话投诉安装延误"),
                    ("description", "客户来电：安装已延误一周。"),
                ],
                &[],
            )
        };
        let (status, _, page) = send(a, call("NO-SUCH-9")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(page.contains("id=\"error-partner_id\""), "[{n}]");
        assert!(
            page.contains("终端客户电话投诉安装延误"),
            "[{n}] the subject is kept"
        );
        let (status, location, _) = send(a, call("sh-d001")).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        let call_id = location
            .trim_start_matches("/console/tickets/")
            .trim_end_matches("?saved=1")
            .to_string();
        let staff = a.login("staff@demo.example").await;
        let recorded = a
            .call(
                "GET",
                &format!("/api/v1/tickets/{call_id}"),
                Some(&staff),
                None,
            )
            .await
            .json();
        assert_eq!(recorded["via"], "phone", "[{n}] {recorded}");
        assert_eq!(recorded["partner_code"], "SH-D001", "[{n}]");
        assert_eq!(recorded["priority"], "urgent", "[{n}]");
        let (status, _, page) = send(
            a,
            multipart(
                &format!("/console/tickets/{id}/reply"),
                &cookie,
                &[
                    ("_csrf", &csrf(&cookie)),
                    ("body", "  "),
                    ("action", "reply"),
                ],
                &[],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(page.contains("id=\"error-body\""), "[{n}]");
        let (status, _, page) = send(
            a,
            form(
                &format!("/console/tickets/{id}/resolve"),
                &cookie,
                &[
                    ("_csrf", &csrf(&cookie)),
                    ("resolution", "已更换灯管。\n请确认。"),
                    ("root_cause", ""),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(page.contains("id=\"error-root_cause\""), "[{n}]");
        assert!(
            page.contains("已更换灯管。\n请确认。"),
            "[{n}] the resolution is kept"
        );
        // The partner's rating form: 9 stars is refused beside the stars.
        let (status, _, _) = send(
            a,
            form(
                &format!("/console/tickets/{id}/resolve"),
                &cookie,
                &[
                    ("_csrf", &csrf(&cookie)),
                    ("resolution", "已更换灯管。"),
                    ("root_cause", "product_defect"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        let (status, _, page) = send(
            a,
            form(
                &format!("/portal/tickets/{id}/rate"),
                &p1_cookie,
                &[
                    ("_csrf", &csrf(&p1_cookie)),
                    ("score", "9"),
                    ("comment", "好"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(page.contains("id=\"error-score\""), "[{n}]");
        let (status, location, _) = send(
            a,
            form(
                &format!("/portal/tickets/{id}/rate"),
                &p1_cookie,
                &[
                    ("_csrf", &csrf(&p1_cookie)),
                    ("score", "4"),
                    ("comment", "好"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        assert_eq!(location, format!("/portal/tickets/{id}?saved=1"), "[{n}]");
    }
}

#[tokio::test]
async fn only_admins_change_ticket_settings_and_only_report_readers_see_reports() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let (channel, staff, admin) = (
            a.login("channel@demo.example").await,
            a.login("staff@demo.example").await,
            a.login("admin@demo.example").await,
        );
        let settings = a
            .call("GET", "/api/v1/ticket-settings", Some(&channel), None)
            .await;
        assert_eq!(settings.status, StatusCode::OK, "[{n}]");
        let r = a
            .call(
                "PUT",
                "/api/v1/ticket-settings",
                Some(&channel),
                Some(settings.json()),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}]");
        let r = a
            .call(
                "PUT",
                "/api/v1/ticket-routes",
                Some(&channel),
                Some(json!({"rules": []})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}]");
        let r = a
            .call(
                "POST",
                "/api/v1/root-causes",
                Some(&staff),
                Some(json!({"code": "packaging", "name": "包装破损"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}]");
        let r = a
            .call("GET", "/api/v1/ticket-reports", Some(&staff), None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}]");
        let r = a
            .call("GET", "/api/v1/ticket-reports", Some(&channel), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());

        let staff_cookie = browser_login(a, "staff@demo.example").await;
        for path in ["/console/ticket-reports", "/console/settings/tickets"] {
            let r = a.send(get(path, Some(&staff_cookie), "zh-CN")).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}] {path}");
        }
        let channel_cookie = browser_login(a, "channel@demo.example").await;
        let r = a
            .send(get(
                "/console/settings/tickets",
                Some(&channel_cookie),
                "zh-CN",
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}]");
        let (status, _, _) = send(
            a,
            form(
                "/console/settings/tickets/causes",
                &channel_cookie,
                &[
                    ("_csrf", &csrf(&channel_cookie)),
                    ("which", "new"),
                    ("code", "packaging"),
                    ("name", "包装破损"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{n}]");

        // The admin's page: SLA in hours (1.5 h is 90 minutes), a bad value named.
        let cookie = browser_login(a, "admin@demo.example").await;
        let token = csrf(&cookie);
        let mut pairs: Vec<(&str, &str)> = vec![
            ("_csrf", &token),
            ("first_urgent", "1.5"),
            ("resolution_urgent", "8"),
            ("first_high", "4"),
            ("resolution_high", "18"),
            ("first_normal", "8"),
            ("resolution_normal", "45"),
            ("first_low", "18"),
            ("resolution_low", "90"),
            ("auto_close_days", "7"),
            ("reopen_days", "14"),
            ("warn_minutes", "60"),
        ];
        pairs[1].1 = "很快";
        let (status, _, page) = send(a, form("/console/settings/tickets", &cookie, &pairs)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(page.contains("id=\"error-first-urgent\""), "[{n}]");
        assert!(page.contains("value=\"很快\""), "[{n}] kept as typed");
        pairs[1].1 = "1.5";
        let (status, location, page) =
            send(a, form("/console/settings/tickets", &cookie, &pairs)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}] {page}");
        assert_eq!(
            location, "/console/settings/tickets?saved=settings",
            "[{n}]"
        );
        let saved = a
            .call("GET", "/api/v1/ticket-settings", Some(&admin), None)
            .await
            .json();
        assert_eq!(
            saved["sla"]["urgent"]["first_response_minutes"], 90,
            "[{n}] {saved}"
        );
        // A routing rule without a department is named by its row.
        let (status, _, page) = send(
            a,
            form(
                "/console/settings/tickets/routes",
                &cookie,
                &[
                    ("_csrf", &token),
                    ("rows", "2"),
                    ("rules[0].kind", "product_quality"),
                    ("rules[0].department_id", ""),
                    ("rules[1].kind", ""),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(page.contains("id=\"error-route-department-0\""), "[{n}]");
        // A cause added, then retired.
        let (status, _, _) = send(
            a,
            form(
                "/console/settings/tickets/causes",
                &cookie,
                &[
                    ("_csrf", &token),
                    ("which", "new"),
                    ("code", "packaging"),
                    ("name", "包装破损"),
                    ("name_en", "Packaging"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        let (status, _, _) = send(
            a,
            form(
                "/console/settings/tickets/causes",
                &cookie,
                &[
                    ("_csrf", &token),
                    ("which", "packaging"),
                    ("name", "包装破损"),
                    ("name_en", "Packaging"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        let causes = a
            .call("GET", "/api/v1/root-causes", Some(&staff), None)
            .await
            .json();
        let packaging = causes["items"]
            .as_array()
            .and_then(|i| i.iter().find(|c| c["code"] == "packaging").cloned());
        assert_eq!(
            packaging.map(|c| c["active"].clone()),
            Some(json!(false)),
            "[{n}] {causes}"
        );
    }
}

#[tokio::test]
async fn ticket_pages_render_in_every_language_without_codes() {
    let (apps, _g) = apps().await;
    let a = &apps[0];
    route_marketing_to_staff(a).await;
    let p1 = a.login("p1@demo.example").await;
    let staff = a.login("staff@demo.example").await;
    let t = raise(a, &p1, "经销商返利核对有误").await;
    let id = t["id"].as_str().expect("id").to_string();
    for (body, internal) in [("请提供对账单。", false), ("财务已在核对。", true)] {
        let r = a
            .call(
                "POST",
                &format!("/api/v1/tickets/{id}/replies"),
                Some(&staff),
                Some(json!({"body": body, "internal": internal})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let r = a
        .call(
            "POST",
            &format!("/api/v1/tickets/{id}/resolve"),
            Some(&staff),
            Some(json!({"resolution": "已更正返利金额。", "root_cause": "pricing"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let staff_c = browser_login(a, "staff@demo.example").await;
    let head_c = browser_login(a, "head@demo.example").await;
    let admin_c = browser_login(a, "admin@demo.example").await;
    let p1_c = browser_login(a, "p1@demo.example").await;
    // Phrases of the English catalogue (not words that could be data) never on a Chinese page.
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
            (&staff_c, "/console/tickets".to_string(), "ticket-table"),
            (
                &staff_c,
                "/console/tickets?queue=all&state=resolved".to_string(),
                "经销商返利核对有误",
            ),
            (
                &staff_c,
                format!("/console/tickets/{id}"),
                "经销商返利核对有误",
            ),
            (
                &staff_c,
                "/console/tickets/new".to_string(),
                "ticket-new-form",
            ),
            (&head_c, "/console/ticket-reports".to_string(), "<svg"),
            (
                &admin_c,
                "/console/settings/tickets".to_string(),
                "routes-form",
            ),
            (&p1_c, "/portal/tickets".to_string(), "经销商返利核对有误"),
            (
                &p1_c,
                "/portal/tickets/new".to_string(),
                "capture=\"environment\"",
            ),
            (&p1_c, format!("/portal/tickets/{id}"), "rate-form"),
        ] {
            let r = a.send(get(&path, Some(cookie), lang)).await;
            assert_eq!(r.status, StatusCode::OK, "{lang} {path}: {}", r.text());
            let html = r.text();
            assert!(html.contains(expect), "{lang} {path} lacks {expect}");
            for raw in [
                "ticket_page.",
                "ticket.state.",
                "ticket.kind.",
                "ticket.priority.",
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
    // The report: a bar per cause, in an inline SVG, and the downloads of the same figures.
    let report = a
        .send(get("/console/ticket-reports", Some(&head_c), "zh-CN"))
        .await
        .text();
    assert!(report.contains("id=\"chart-cause\""), "{report}");
    assert!(report.contains("价格政策"), "the cause by its name");
    assert!(
        report.contains("/api/v1/ticket-reports/export?format=xlsx"),
        "download link"
    );
    let csv = a
        .send(get(
            "/api/v1/ticket-reports/export?format=csv",
            Some(&head_c),
            "zh-CN",
        ))
        .await;
    assert_eq!(
        csv.status,
        StatusCode::OK,
        "the API takes the session for a download"
    );
    assert!(csv.text().contains("价格政策"), "{}", csv.text());
    let bad = a
        .send(get(
            "/console/ticket-reports?from=2026-12-31&to=2026-01-01",
            Some(&head_c),
            "zh-CN",
        ))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("id=\"error-to\""), "{}", bad.text());
}

#[tokio::test]
async fn the_queue_pages_by_25_and_counts_its_tabs() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        route_marketing_to_staff(a).await;
        let p1 = a.login("p1@demo.example").await;
        for i in 0..27 {
            raise(a, &p1, &format!("第 {i} 号陈列问题")).await;
        }
        let cookie = browser_login(a, "staff@demo.example").await;
        let first = a
            .send(get("/console/tickets", Some(&cookie), "zh-CN"))
            .await
            .text();
        assert_eq!(first.matches("class=\"row-link\"").count(), 25, "[{n}]");
        assert!(
            first.contains("tab-mine\" aria-current=\"page\""),
            "[{n}] mine first"
        );
        assert!(first.contains("id=\"count-mine\">27<"), "[{n}]");
        assert!(first.contains("第 26 号陈列问题"), "[{n}] newest first");
        let next = first
            .split("id=\"next-page\"")
            .next()
            .and_then(|s| s.rsplit("href=\"").next())
            .map(|h| h.split('"').next().unwrap_or("").replace("&amp;", "&"))
            .expect("a link to the next page");
        let second = a.send(get(&next, Some(&cookie), "zh-CN")).await.text();
        assert_eq!(
            second.matches("class=\"row-link\"").count(),
            2,
            "[{n}] {next}"
        );
        assert!(second.contains("第 0 号陈列问题"), "[{n}]");
        assert!(!second.contains("id=\"next-page\""), "[{n}]");
        let urgent = a
            .send(get(
                "/console/tickets?queue=all&priority=urgent",
                Some(&cookie),
                "zh-CN",
            ))
            .await
            .text();
        assert_eq!(urgent.matches("class=\"row-link\"").count(), 0, "[{n}]");
        let r = a
            .send(get("/console/tickets?queue=nobody", Some(&cookie), "zh-CN"))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
    }
}

/// §3.4 in a browser: p1 reports a marketing problem with a photo on a phone; staff@ answers
/// it in the console and resolves it with a root cause; p1 confirms it with five stars.
#[tokio::test]
async fn p1_reports_a_problem_with_a_photo_staff_resolve_it_and_p1_rates_it_in_chromium() {
    let (apps, _g) = apps().await;
    let a = &apps[0];
    route_marketing_to_staff(a).await;
    let addr = serve(a.router.clone()).await;
    let base = format!("http://{addr}");
    let photo = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ticket-photo.png");
    std::fs::write(&photo, PNG).expect("photo");

    let (phone_driver, p) = phone().await;
    p.goto(&format!("{base}/portal/tickets/new"))
        .await
        .expect("goto");
    log_in(&p, "p1@demo.example").await;
    p.wait()
        .for_element(Locator::Id("ticket-new-form"))
        .await
        .expect("the form");
    p.find(Locator::Css("#ticket-kind option[value='marketing']"))
        .await
        .expect("kind")
        .click()
        .await
        .expect("choose");
    p.find(Locator::Id("ticket-subject"))
        .await
        .expect("subject")
        .send_keys("门店促销海报褪色")
        .await
        .expect("type");
    p.find(Locator::Id("ticket-description"))
        .await
        .expect("description")
        .send_keys("上周收到的促销海报两天就褪色了，见照片。")
        .await
        .expect("type");
    p.find(Locator::Id("ticket-files"))
        .await
        .expect("file input")
        .send_keys(&photo.display().to_string())
        .await
        .expect("choose the photo");
    p.find(Locator::Id("ticket-submit"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    p.wait()
        .for_element(Locator::Id("ticket-saved"))
        .await
        .expect("the new ticket's page");
    let url = p.current_url().await.expect("url");
    let id = url
        .path()
        .trim_start_matches("/portal/tickets/")
        .to_string();
    assert_eq!(id.len(), 36, "{url}");
    let scroll = p
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .expect("scroll width");
    assert!(
        scroll.as_i64().is_some_and(|w| w <= 420),
        "no sideways scrolling: {scroll}"
    );

    let (desk_driver, c) = chromium(json!({"binary": "/usr/bin/chromium",
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--lang=zh-CN", "--window-size=1280,900"],
        "prefs": {"intl.accept_languages": "zh-CN,zh"}}))
    .await;
    c.goto(&format!("{base}/login?next=/console/tickets"))
        .await
        .expect("goto");
    log_in(&c, "staff@demo.example").await;
    c.wait()
        .for_element(Locator::Css(&format!("#ticket-table tr[data-id='{id}']")))
        .await
        .expect("the ticket in staff@'s queue");
    // The keyboard: j focuses the first row's link, Enter opens it.
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    c.perform_actions(
        KeyActions::new("keys".into())
            .then(KeyAction::Down { value: 'j' })
            .then(KeyAction::Up { value: 'j' }),
    )
    .await
    .expect("j");
    let focused = c
        .active_element()
        .await
        .expect("focus")
        .attr("href")
        .await
        .expect("href");
    assert_eq!(focused, Some(format!("/console/tickets/{id}")));
    c.active_element()
        .await
        .expect("focus")
        .send_keys("\u{e007}")
        .await
        .expect("enter");
    c.wait()
        .for_element(Locator::Id("reply-form"))
        .await
        .expect("the ticket in the console");
    let thumb = c
        .find(Locator::Css("#ticket-files img.thumb"))
        .await
        .expect("the photo as a thumbnail");
    let loaded = c
        .execute_async(
            "const img = arguments[0], done = arguments[arguments.length - 1];
             img.scrollIntoView();
             if (img.complete && img.naturalWidth) { done(img.naturalWidth); return; }
             img.addEventListener('load', () => done(img.naturalWidth));
             img.addEventListener('error', () => done(-1));",
            vec![serde_json::to_value(&thumb).expect("element")],
        )
        .await
        .expect("image");
    assert_eq!(loaded, json!(1), "the thumbnail loads");
    c.find(Locator::Id("reply-body"))
        .await
        .expect("reply")
        .send_keys("抱歉！新一批防褪色海报明天寄出。")
        .await
        .expect("type");
    c.find(Locator::Id("reply-send"))
        .await
        .expect("send")
        .click()
        .await
        .expect("click");
    c.wait()
        .for_element(Locator::Css("#ticket-state[data-state='open']"))
        .await
        .expect("answered: open");
    c.find(Locator::Id("resolve-text"))
        .await
        .expect("resolution")
        .send_keys("已寄出防褪色海报，并更换了印刷供应商。")
        .await
        .expect("type");
    c.find(Locator::Css(
        "#resolve-cause option[value='product_defect']",
    ))
    .await
    .expect("cause")
    .click()
    .await
    .expect("choose");
    c.find(Locator::Id("resolve-submit"))
        .await
        .expect("resolve")
        .click()
        .await
        .expect("click");
    c.wait()
        .for_element(Locator::Css("#ticket-state[data-state='resolved']"))
        .await
        .expect("resolved");
    let cause = c
        .find(Locator::Id("ticket-root-cause"))
        .await
        .expect("cause")
        .text()
        .await
        .expect("text");
    assert_eq!(cause, "产品缺陷");
    c.close().await.expect("close");
    drop(desk_driver);

    p.goto(&format!("{base}/portal/tickets/{id}"))
        .await
        .expect("goto");
    p.wait()
        .for_element(Locator::Id("rate-form"))
        .await
        .expect("the rating form");
    let answer = p
        .find(Locator::Id("timeline"))
        .await
        .expect("timeline")
        .text()
        .await
        .expect("text");
    assert!(answer.contains("防褪色海报明天寄出"), "{answer}");
    p.find(Locator::Css("label[for='score-5']"))
        .await
        .expect("five stars")
        .click()
        .await
        .expect("tap");
    p.find(Locator::Id("rate-comment"))
        .await
        .expect("comment")
        .send_keys("处理及时，谢谢！")
        .await
        .expect("type");
    p.find(Locator::Id("rate-submit"))
        .await
        .expect("send")
        .click()
        .await
        .expect("tap");
    let rating = p
        .wait()
        .for_element(Locator::Id("ticket-rating"))
        .await
        .expect("the rating shown")
        .text()
        .await
        .expect("text");
    assert!(
        rating.contains("★★★★★") && rating.contains("5/5"),
        "{rating}"
    );
    let state = p
        .find(Locator::Id("ticket-state"))
        .await
        .expect("state")
        .attr("data-state")
        .await
        .expect("attr");
    assert_eq!(state.as_deref(), Some("closed"));
    p.close().await.expect("close");
    drop(phone_driver);
    let t = liaison_db::tickets::find_ticket(&a.db, id.parse().expect("uuid"))
        .await
        .expect("ticket");
    assert_eq!(t.rating, Some(5));
    assert_eq!(t.state, liaison_core::tickets::TicketState::Closed);
}
