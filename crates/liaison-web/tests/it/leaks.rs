//! Confidentiality, completed (issue 15; policy §7.2.2, §7.3) over HTTP: the leak trace, leak
//! incidents, access requests and access lists, each endpoint refused to another partner's
//! user and to those without the role; the pages in Chinese; the reader's marked, watermarked
//! copy in the portal.

use crate::{TestApp, apps};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

const NOTICE: &str = "各位合作伙伴：自2027年1月1日起，华东区一级经销商的结算价下调3%，返利方案同步调整。\
本方案仅限签署保密协议的合作伙伴知悉，请勿外传。新的月度目标与季度激励将于下周一的经销商大会上公布，\
请各位负责人准时出席。Product pricing for the VF220 series stays confidential until the public launch. \
如有疑问，请联系渠道管理部的刘经理。我们将在月底前完成系统切换，届时请使用新的价格表下单。";

/// A page as a logged-in browser sees it (the bearer token works for pages too).
async fn page(a: &TestApp, token: &str, path: &str) -> (StatusCode, String) {
    let r = a
        .send(
            Request::builder()
                .uri(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::ACCEPT_LANGUAGE, "zh-CN")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    (r.status, r.text())
}

/// Retyped into a chat: zero-width characters gone, spaces folded, sentences 2 to 4.
fn excerpt(body: &str) -> String {
    let visible: String = body
        .chars()
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'))
        .collect();
    let sentences: Vec<&str> = visible.split_inclusive(['。', '.']).collect();
    sentences[1..4]
        .concat()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The story both tests start from: p1's partner under an NDA, a confidential notice to it
/// filed by head@ and approved by channel@; returns the request, its message and p1's copy.
async fn confidential_to_p1(
    a: &TestApp,
    head: &str,
    channel: &str,
    p1: &str,
) -> (String, String, String) {
    let n = a.name;
    let sh = a.partner_id("SH-D001").await;
    let r = a
        .call(
            "POST",
            "/api/v1/ndas",
            Some(channel),
            Some(json!({"partner": "SH-D001",
                "signed_at": chrono::Utc::now() - chrono::Duration::days(30),
                "expires_at": chrono::Utc::now() + chrono::Duration::days(300)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "[{n}] {}", r.text());
    let req = a
        .dispatch_approving(
            head,
            channel,
            json!({"title": "华东结算价调整（保密）", "purpose": "告知核心伙伴", "body": NOTICE,
                   "category": "product", "classification": "confidential", "audience": {"partners": [sh]}}),
            Some(json!({"send_to_covered_only": true})),
        )
        .await;
    let rid = req["id"].as_str().expect("id").to_string();
    let mid = req["message_id"].as_str().expect("message").to_string();
    let body = a
        .call("GET", &format!("/api/v1/inbox/{mid}"), Some(p1), None)
        .await
        .json()["body"]
        .as_str()
        .expect("body")
        .to_string();
    (rid, mid, body)
}

#[tokio::test]
async fn trace_incident_and_access_over_http_each_refused_to_those_outside() {
    let (apps, _guard) = apps().await;
    for a in &apps {
        let n = a.name;
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let exec = a.login("exec@demo.example").await;
        let admin = a.login("admin@demo.example").await;
        let staff = a.login("staff@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        let sh = a.partner_id("SH-D001").await;
        let (rid, mid, body) = confidential_to_p1(a, &head, &channel, &p1).await;
        // p1's copy: marked for p1, and watermarked with p1's name on the page.
        assert_ne!(body, NOTICE, "[{n}] marked");
        assert_eq!(liaison_core::marks::unmarked(&body), NOTICE, "[{n}]");
        let (status, html) = page(a, &p1, &format!("/portal/inbox/{mid}")).await;
        assert_eq!(status, StatusCode::OK, "[{n}]");
        assert!(html.contains("id=\"watermark\""), "[{n}] watermark");
        assert!(html.contains("此副本带有你的专属标记"), "[{n}]");

        // The trace: channel management finds p1's copy first; staff and partners may not trace.
        let leaked = excerpt(&body);
        let t = a
            .call(
                "POST",
                "/api/v1/leak-trace",
                Some(&channel),
                Some(json!({"text": leaked})),
            )
            .await;
        assert_eq!(t.status, StatusCode::OK, "[{n}] {}", t.text());
        let t = t.json();
        assert_eq!(t["candidates"][0]["partner_id"], json!(sh), "[{n}] {t}");
        let contact = liaison_db::user::find_user_by_email(&a.db, "p1@demo.example")
            .await
            .expect("user")
            .and_then(|u| u.contact_id)
            .expect("p1's contact");
        assert_eq!(t["candidates"][0]["contact_id"], json!(contact), "[{n}]");
        for who in [&staff, &p1, &p2] {
            let r = a
                .call(
                    "POST",
                    "/api/v1/leak-trace",
                    Some(who),
                    Some(json!({"text": leaked})),
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}] {}", r.text());
        }
        let r = a
            .call(
                "POST",
                "/api/v1/leak-trace",
                Some(&channel),
                Some(json!({"text": "短"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert_eq!(r.json()["errors"][0]["field"], "text", "[{n}]");

        // The incident from the trace: reported by channel management, contained by the
        // executive; others outside get 404, partners 403.
        let best = &t["candidates"][0];
        let r = a
            .call(
                "POST",
                "/api/v1/incidents",
                Some(&channel),
                Some(json!({
                "title": "华东结算价外泄", "severity": "critical", "message_id": mid,
                "description": "同行群里出现原文", "leaked_text": leaked,
                "suspects": [{"delivery_id": best["delivery_id"], "partner_id": best["partner_id"],
                              "contact_id": best["contact_id"], "score": best["score"]}]})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{n}] {}", r.text());
        let iid = r.json()["id"].as_str().expect("incident").to_string();
        let path = format!("/api/v1/incidents/{iid}");
        assert_eq!(
            a.call("GET", &path, Some(&admin), None).await.status,
            StatusCode::NOT_FOUND,
            "[{n}]"
        );
        assert_eq!(
            a.call("GET", &path, Some(&staff), None).await.status,
            StatusCode::NOT_FOUND,
            "[{n}]"
        );
        for who in [&p1, &p2] {
            assert_eq!(
                a.call("GET", &path, Some(who), None).await.status,
                StatusCode::FORBIDDEN,
                "[{n}]"
            );
            assert_eq!(
                a.call("GET", "/api/v1/incidents", Some(who), None)
                    .await
                    .status,
                StatusCode::FORBIDDEN,
                "[{n}]"
            );
        }
        assert_eq!(
            a.call("GET", "/api/v1/incidents", Some(&staff), None)
                .await
                .json()["items"],
            json!([]),
            "[{n}] staff see only what they reported"
        );
        let shown = a.call("GET", &path, Some(&exec), None).await;
        assert_eq!(shown.status, StatusCode::OK, "[{n}]");
        assert_eq!(shown.json()["events"][1]["kind"], "notified", "[{n}]");
        let r = a
            .call("POST", &format!("{path}/contain"), Some(&staff), None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}]");
        let r = a
            .call("POST", &format!("{path}/contain"), Some(&exec), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        assert_eq!(r.json()["contained"]["recalled"], 1, "[{n}]");
        let gone = a
            .call("GET", &format!("/api/v1/inbox/{mid}"), Some(&p1), None)
            .await;
        assert_eq!(gone.status, StatusCode::GONE, "[{n}] recalled");
        let r = a
            .call(
                "PATCH",
                &path,
                Some(&channel),
                Some(json!({"state": "closed"})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{n}] {}",
            r.text()
        );
        let (status, html) = page(a, &channel, &format!("/console/incidents/{iid}")).await;
        assert_eq!(status, StatusCode::OK, "[{n}]");
        assert!(
            html.contains("华东结算价外泄") && html.contains("已控制"),
            "[{n}]"
        );

        // Need-to-know: the admin sees the title only, asks; the requester grants.
        let seen = a
            .call(
                "GET",
                &format!("/api/v1/requests/{rid}"),
                Some(&admin),
                None,
            )
            .await
            .json();
        assert_eq!(seen["restricted"], true, "[{n}] {seen}");
        assert!(seen["form"]["body"].is_null(), "[{n}]");
        let (status, html) = page(a, &admin, &format!("/console/requests/{rid}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("id=\"restricted\"") && !html.contains("结算价下调"),
            "[{n}]"
        );
        let r = a
            .call(
                "POST",
                "/api/v1/access-requests",
                Some(&p2),
                Some(json!({"item_kind": "request", "item_id": rid, "reason": "看看"})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "[{n}] partners never see requests"
        );
        let r = a
            .call(
                "POST",
                "/api/v1/access-requests",
                Some(&admin),
                Some(json!({"item_kind": "request", "item_id": rid, "reason": "审计抽查"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{n}] {}", r.text());
        let arid = r.json()["id"].as_str().expect("id").to_string();
        let apath = format!("/api/v1/access-requests/{arid}");
        assert_eq!(
            a.call("GET", &apath, Some(&staff), None).await.status,
            StatusCode::NOT_FOUND,
            "[{n}]"
        );
        assert_eq!(
            a.call("GET", &apath, Some(&p1), None).await.status,
            StatusCode::FORBIDDEN,
            "[{n}]"
        );
        let r = a
            .call(
                "PATCH",
                &apath,
                Some(&admin),
                Some(json!({"decision": "grant"})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "[{n}] the asker does not decide"
        );
        let (status, html) = page(a, &head, "/console/access-requests").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("审计抽查"), "[{n}]");
        let r = a
            .call(
                "PATCH",
                &apath,
                Some(&head),
                Some(json!({"decision": "grant", "note": "同意"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        let whole = a
            .call(
                "GET",
                &format!("/api/v1/requests/{rid}"),
                Some(&admin),
                None,
            )
            .await
            .json();
        assert_eq!(whole["restricted"], false, "[{n}]");
        assert_eq!(whole["form"]["body"], NOTICE, "[{n}]");
        // The access list: the requester reads and replaces it; others may not.
        let lpath = format!("/api/v1/requests/{rid}/access");
        let list = a.call("GET", &lpath, Some(&head), None).await;
        assert_eq!(list.status, StatusCode::OK, "[{n}]");
        assert_eq!(
            list.json()["users"].as_array().map(Vec::len),
            Some(1),
            "[{n}]"
        );
        let r = a
            .call(
                "PUT",
                &lpath,
                Some(&head),
                Some(json!({"users": [], "roles": ["executive"]})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        assert_eq!(r.json()["roles"], json!(["executive"]), "[{n}]");
        let r = a
            .call(
                "PUT",
                &lpath,
                Some(&admin),
                Some(json!({"users": [], "roles": []})),
            )
            .await;
        assert!(
            matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "[{n}] {}",
            r.status
        );
        assert_eq!(
            a.call("GET", &lpath, Some(&p1), None).await.status,
            StatusCode::NOT_FOUND,
            "[{n}]"
        );
        let r = a
            .call(
                "PUT",
                &lpath,
                Some(&head),
                Some(json!({"roles": ["partner_user"]})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");

        // The pages in Chinese.
        for (who, path, text) in [
            (&channel, "/console/leak-trace", "泄密追溯"),
            (&channel, "/console/incidents", "华东结算价外泄"),
            (&staff, "/console/incidents/new", "报告泄密"),
            (&admin, "/console/access-requests", "查阅申请"),
        ] {
            let (status, html) = page(a, who, path).await;
            assert_eq!(status, StatusCode::OK, "[{n}] {path}");
            assert!(html.contains(text), "[{n}] {path}");
            assert!(
                !html.contains("leak.") && !html.contains("incident."),
                "[{n}] {path}: raw keys"
            );
        }
        let (status, _) = page(a, &staff, "/console/leak-trace").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{n}]");
        let (status, _) = page(a, &p1, "/console/incidents").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{n}]");
        let _: Value = json!(null);
    }
}

/// Issue 15's browser step: channel@ pastes a leaked paragraph on the trace page, reads which
/// copy it came from and opens the incident from the result, in Chromium.
#[tokio::test]
async fn a_channel_manager_traces_a_pasted_paragraph_and_opens_the_incident_in_chromium() {
    use crate::browser::{desktop, log_in, serve};
    use fantoccini::Locator;
    let (apps, _g) = apps().await;
    let a = &apps[0];
    let head = a.login("head@demo.example").await;
    let channel = a.login("channel@demo.example").await;
    let p1 = a.login("p1@demo.example").await;
    let sh = a.partner_id("SH-D001").await;
    let (_, _, body) = confidential_to_p1(a, &head, &channel, &p1).await;
    let leaked = excerpt(&body);
    let contact = liaison_db::user::find_user_by_email(&a.db, "p1@demo.example")
        .await
        .expect("user")
        .and_then(|u| u.contact_id)
        .expect("p1's contact");
    let contact_name = liaison_db::partner::find_contact(
        &a.db,
        liaison_core::Scope::All,
        uuid::Uuid::parse_str(&sh).expect("id"),
        contact,
    )
    .await
    .expect("contact")
    .name;

    let addr = serve(a.router.clone()).await;
    let (driver, c) = desktop().await;
    c.goto(&format!("http://{addr}/console/leak-trace"))
        .await
        .expect("goto");
    log_in(&c, "channel@demo.example").await;
    c.wait()
        .for_element(Locator::Id("trace-text"))
        .await
        .expect("the trace page after login");
    // Pasted, as from a chat.
    c.execute(
        "document.getElementById('trace-text').value = arguments[0];",
        vec![json!(leaked)],
    )
    .await
    .expect("paste");
    c.find(Locator::Id("trace-submit"))
        .await
        .expect("trace")
        .click()
        .await
        .expect("click");
    let first = c
        .wait()
        .for_element(Locator::Css("#trace-table tr.candidate"))
        .await
        .expect("candidates");
    let row = first.text().await.expect("text");
    assert!(
        row.contains(&contact_name) && row.contains("SH-D001"),
        "{row}"
    );
    c.find(Locator::Id("trace-open-incident"))
        .await
        .expect("open incident")
        .click()
        .await
        .expect("click");
    let title = c
        .wait()
        .for_element(Locator::Id("incident-title"))
        .await
        .expect("the incident page");
    assert!(title.text().await.expect("text").contains("华东结算价调整"));
    let suspects = c
        .find(Locator::Id("incident-suspects"))
        .await
        .expect("suspects")
        .text()
        .await
        .expect("text");
    assert!(suspects.contains(&contact_name), "{suspects}");
    assert!(
        c.current_url()
            .await
            .expect("url")
            .path()
            .starts_with("/console/incidents/")
    );
    c.close().await.expect("close");
    drop(driver);
}

/// §7.3 from a photo of the screen: p1 reads their confidential copy in the portal, the page
/// is captured as a picture (a screenshot, no code inside the file), and the trace reads the
/// copy number printed on it and names p1's copy; a picture of something else says why not.
#[tokio::test]
async fn a_screenshot_of_a_confidential_page_names_its_reader() {
    use crate::browser::{desktop, log_in, serve};
    use fantoccini::Locator;
    let (apps, _g) = apps().await;
    let a = &apps[0];
    let head = a.login("head@demo.example").await;
    let channel = a.login("channel@demo.example").await;
    let p1 = a.login("p1@demo.example").await;
    let sh = a.partner_id("SH-D001").await;
    let (_, mid, _) = confidential_to_p1(a, &head, &channel, &p1).await;

    let addr = serve(a.router.clone()).await;
    let (driver, c) = desktop().await;
    c.goto(&format!("http://{addr}/portal/inbox/{mid}"))
        .await
        .expect("goto");
    log_in(&c, "p1@demo.example").await;
    let code = c
        .wait()
        .for_element(Locator::Css("#copy-code code"))
        .await
        .expect("the copy number under the text")
        .text()
        .await
        .expect("text");
    assert_eq!(code.len(), 11, "{code}");
    let watermark = c
        .find(Locator::Id("watermark"))
        .await
        .expect("watermark")
        .html(true)
        .await
        .expect("html");
    assert!(
        watermark.contains(&code),
        "the watermark repeats the number"
    );
    let shot = c.screenshot().await.expect("screenshot");
    c.close().await.expect("close");
    drop(driver);
    std::fs::create_dir_all("../../target/test-artifacts").ok();
    std::fs::write("../../target/test-artifacts/leaked-screen.png", &shot).ok();

    let t = trace_upload(a, &channel, "photo.png", &shot).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text());
    let t = t.json();
    let best = &t["candidates"][0];
    assert_eq!(best["partner_id"], json!(sh), "{t}");
    let contact = liaison_db::user::find_user_by_email(&a.db, "p1@demo.example")
        .await
        .expect("user")
        .and_then(|u| u.contact_id)
        .expect("p1's contact");
    assert_eq!(best["contact_id"], json!(contact), "{t}");
    assert!(best["score"].as_f64().expect("score") >= 0.8, "{t}");
    assert_eq!(t["sources"][0]["message_id"], json!(mid), "{t}");
    // A picture with no copy number in it is refused with the reason.
    let blank = trace_upload(a, &channel, "blank.png", &png_image(320, 200)).await;
    assert_eq!(
        blank.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        blank.text()
    );
    assert!(blank.text().contains("\"file\""), "{}", blank.text());
    // Read by text recognition (installed by scripts/install-deps), it carries no code.
    assert!(
        blank.text().contains("Liaison") && !blank.text().contains("tesseract"),
        "{}",
        blank.text()
    );
}

/// One confidential item of a kind need-to-know covers beyond requests: where its API and page
/// read it, a text only its full reading shows, and its id as an access-request item.
struct Classified {
    kind: &'static str,
    id: String,
    api: String,
    page: String,
    marker: &'static str,
}

/// POSTs `body` to `path` as the holder of `token`, which must answer 201; the answer.
async fn created(a: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let r = a.call("POST", path, Some(token), Some(body)).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "[{}] {path}: {}",
        a.name,
        r.text()
    );
    r.json()
}

/// §7.2.2 beyond requests: a confidential ticket, meeting, data submission and policy version,
/// each made the way its area makes it.
async fn classified_items(a: &TestApp) -> Vec<Classified> {
    let n = a.name;
    let p1 = a.login("p1@demo.example").await;
    let channel = a.login("channel@demo.example").await;
    let staff = a.login("staff@demo.example").await;
    let sh = a.partner_id("SH-D001").await;
    let mut out = Vec::new();

    let body = json!({"kind": "marketing", "subject": "保密：华东返利争议",
        "description": "争议金额 TICKET-MARK-7731 元，请勿外传。", "classification": "confidential"});
    let r = created(a, &p1, "/api/v1/tickets", body).await;
    let id = r["id"].as_str().expect("ticket").to_string();
    out.push(Classified {
        kind: "ticket",
        api: format!("/api/v1/tickets/{id}"),
        page: format!("/console/tickets/{id}"),
        id,
        marker: "TICKET-MARK-7731",
    });

    let day = chrono::Utc::now() + chrono::Duration::days(20);
    let r = created(
        a,
        &channel,
        "/api/v1/meetings",
        json!({"kind": "ad_hoc", "title": "保密：年度返利谈判",
                "starts_at": day.format("%Y-%m-%dT10:00").to_string(),
                "ends_at": day.format("%Y-%m-%dT11:00").to_string(), "timezone": "Asia/Shanghai",
                "agenda": "底价 MEETING-MARK-4410", "classification": "confidential",
                "invitees": {"partners": [sh], "contacts": [], "segments": [], "users": []}}),
    )
    .await;
    let id = r["id"].as_str().expect("meeting").to_string();
    out.push(Classified {
        kind: "meeting",
        api: format!("/api/v1/meetings/{id}"),
        page: format!("/console/meetings/{id}"),
        id,
        marker: "MEETING-MARK-4410",
    });

    let mut tx = a.db.begin().await.expect("begin");
    tx.execute(liaison_db::q(
        "UPDATE datasets SET classification = 'confidential' WHERE code = 'sales'",
    ))
    .await
    .expect("confidential data set");
    tx.commit().await.expect("commit");
    let rows = crate::data_api::rows(&[5, 3]);
    let period = crate::data_api::last_month();
    let body = json!({"dataset": "sales", "period": period, "rows": rows});
    let r = created(a, &p1, "/api/v1/submissions", body).await;
    let id = r["id"].as_str().expect("submission").to_string();
    out.push(Classified {
        kind: "submission",
        api: format!("/api/v1/submissions/{id}/rows"),
        page: format!("/console/data/submissions/{id}"),
        id,
        marker: "LX-SM100",
    });

    let r = created(
        a,
        &staff,
        "/api/v1/policies",
        json!({"kind": "sales", "title": "核心伙伴保密返利", "audience": {"partners": [sh]}}),
    )
    .await;
    let pid = r["id"].as_str().expect("policy").to_string();
    let r = created(
        a,
        &staff,
        &format!("/api/v1/policies/{pid}/versions"),
        json!({"body": "第一条 核心伙伴返利 POLICY-MARK-9902。",
                "effective_at": (chrono::Utc::now() + chrono::Duration::days(40)).to_rfc3339(),
                "classification": "confidential"}),
    )
    .await;
    assert_eq!(r["classification"], "confidential", "[{n}]");
    let id = r["id"].as_str().expect("version").to_string();
    out.push(Classified {
        kind: "policy_version",
        api: format!("/api/v1/policies/{pid}/versions/1"),
        page: format!("/console/policies/{pid}?v=1"),
        id,
        marker: "POLICY-MARK-9902",
    });
    out
}

/// How many `action` entries the audit chain holds for the item, by `user`.
async fn reads(a: &TestApp, action: &str, kind: &str, item: &str, user: &str) -> usize {
    liaison_db::audit::list(&a.db, None, None, 1000)
        .await
        .expect("audit")
        .iter()
        .filter(|r| {
            r.action == action
                && r.entity == kind
                && r.entity_id.map(|i| i.to_string()).as_deref() == Some(item)
                && r.actor_name.as_deref().is_some_and(|n| n.contains(user))
        })
        .count()
}

/// Issue 15, G4 for every kind: the admin (outside each item's circle) gets the title only from
/// the API and the page, asks, the owner grants, then the admin reads the body; both reads are
/// in the audit chain; another partner's user gets 404; the owner keeps the list, others may
/// not; p1 still reads its own partner's ticket and submission.
#[tokio::test]
async fn every_kind_of_confidential_item_is_title_only_outside_its_circle_until_granted() {
    let (apps, _guard) = apps().await;
    for a in &apps {
        let n = a.name;
        let admin = a.login("admin@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        let exec = a.login("exec@demo.example").await;
        for it in classified_items(a).await {
            let k = it.kind;
            // Title only: API and page.
            let r = a.call("GET", &it.api, Some(&admin), None).await;
            if k == "submission" {
                assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}] {k}: rows withheld");
                let s = a
                    .call(
                        "GET",
                        &format!("/api/v1/submissions/{}", it.id),
                        Some(&admin),
                        None,
                    )
                    .await;
                assert_eq!(s.json()["restricted"], true, "[{n}] {k} {}", s.text());
            } else {
                assert_eq!(r.status, StatusCode::OK, "[{n}] {k} {}", r.text());
                assert!(!r.text().contains(it.marker), "[{n}] {k}: body shown");
                assert_eq!(r.json()["restricted"], true, "[{n}] {k} {}", r.text());
            }
            let (status, html) = page(a, &admin, &it.page).await;
            assert_eq!(status, StatusCode::OK, "[{n}] {k}");
            assert!(html.contains("id=\"restricted\""), "[{n}] {k}: no notice");
            assert!(html.contains("id=\"ask-form\""), "[{n}] {k}: no ask button");
            assert!(
                !html.contains("id=\"reply-form\""),
                "[{n}] {k}: no working blind"
            );
            if k == "ticket" {
                let r = a
                    .call(
                        "POST",
                        &format!("{}/replies", it.api),
                        Some(&admin),
                        Some(json!({"body": "已阅"})),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}] {}", r.text());
            }
            assert!(!html.contains(it.marker) || k == "submission", "[{n}] {k}");
            assert!(
                reads(a, "access.read_title", k, &it.id, "Admin").await >= 1,
                "[{n}] {k}: title read not audited"
            );
            // Another partner's user: nothing, not even a way to ask.
            let r = a.call("GET", &it.api, Some(&p2), None).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}] {k}: p2");
            let r = a
                .call(
                    "POST",
                    "/api/v1/access-requests",
                    Some(&p2),
                    Some(json!({"item_kind": k, "item_id": it.id, "reason": "看看"})),
                )
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}] {k}: p2 asks");
            // The admin asks; the owner is named on the request and grants it.
            let r = a
                .call(
                    "POST",
                    "/api/v1/access-requests",
                    Some(&admin),
                    Some(json!({"item_kind": k, "item_id": it.id, "reason": "年度审计抽查"})),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "[{n}] {k} {}", r.text());
            let asked = r.json();
            let owner_id = asked["owner_id"].as_str().expect("owner").to_string();
            let owner_email: String =
                a.db.fetch_one(
                    liaison_db::q("SELECT email FROM users WHERE id = $1")
                        .bind(uuid::Uuid::parse_str(&owner_id).expect("uuid")),
                )
                .await
                .expect("owner");
            let owner = a.login(&owner_email).await;
            let (_, html) = page(a, &admin, &it.page).await;
            assert!(html.contains("id=\"access-asked\""), "[{n}] {k}: asked");
            let lpath = format!("/api/v1/access/{k}/{}", it.id);
            assert_eq!(
                a.call("GET", &lpath, Some(&admin), None).await.status,
                StatusCode::FORBIDDEN,
                "[{n}] {k}: a title-only reader does not see the list"
            );
            let r = a
                .call(
                    "PUT",
                    &lpath,
                    Some(&admin),
                    Some(json!({"users": [], "roles": ["admin"]})),
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}] {k}: only owners");
            assert_eq!(
                a.call("GET", &lpath, Some(&p2), None).await.status,
                StatusCode::NOT_FOUND,
                "[{n}] {k}: p2 list"
            );
            let r = a
                .call(
                    "PATCH",
                    &format!(
                        "/api/v1/access-requests/{}",
                        asked["id"].as_str().expect("id")
                    ),
                    Some(&owner),
                    Some(json!({"decision": "grant", "note": "同意"})),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "[{n}] {k} {}", r.text());
            // Now the body, audited as a whole read.
            let r = a.call("GET", &it.api, Some(&admin), None).await;
            assert_eq!(r.status, StatusCode::OK, "[{n}] {k}");
            assert!(r.text().contains(it.marker), "[{n}] {k}: body after grant");
            let (_, html) = page(a, &admin, &it.page).await;
            assert!(
                !html.contains("id=\"restricted\""),
                "[{n}] {k}: still restricted"
            );
            assert!(
                reads(a, "access.read", k, &it.id, "Admin").await >= 1,
                "[{n}] {k}: whole read not audited"
            );
            // The owner's list names the admin; the owner's page shows the editor.
            let list = a.call("GET", &lpath, Some(&owner), None).await;
            assert_eq!(list.status, StatusCode::OK, "[{n}] {k} {}", list.text());
            assert_eq!(
                list.json()["users"].as_array().map(Vec::len),
                Some(1),
                "[{n}] {k}"
            );
            let (_, html) = page(a, &owner, &it.page).await;
            assert!(
                html.contains("id=\"access-list\""),
                "[{n}] {k}: no list editor"
            );
            let r = a
                .call(
                    "PUT",
                    &lpath,
                    Some(&owner),
                    Some(json!({"users": [], "roles": ["executive"]})),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "[{n}] {k} {}", r.text());
            // The executive reads it now by role, yet does not keep the list.
            let r = a
                .call("PUT", &lpath, Some(&exec), Some(json!({"users": []})))
                .await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "[{n}] {k}: exec {}",
                r.text()
            );
        }
        // Partners keep reading their own items (the list restricts staff).
        let mine = a
            .call("GET", "/api/v1/tickets", Some(&p1), None)
            .await
            .json();
        let tid = mine["items"]
            .as_array()
            .and_then(|i| i.iter().find(|t| t["subject"] == "保密：华东返利争议"))
            .and_then(|t| t["id"].as_str())
            .expect("p1's ticket")
            .to_string();
        let r = a
            .call("GET", &format!("/api/v1/tickets/{tid}"), Some(&p1), None)
            .await;
        assert!(
            r.text().contains("TICKET-MARK-7731"),
            "[{n}] p1 reads its ticket"
        );
    }
}

/// A two-page PDF as a partner might be sent (classic cross-reference table).
fn two_page_pdf() -> Vec<u8> {
    let content = "BT /F1 24 Tf 72 720 Td (Price list 2027) Tj ET";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /MediaBox [0 0 595 842] >>".into(),
        "<< /Type /Page /Parent 2 0 R /Contents 5 0 R /Resources << /Font << /F1 6 0 R >> >> >>"
            .into(),
        "<< /Type /Page /Parent 2 0 R /Contents 5 0 R /Resources << /Font << /F1 6 0 R >> >> >>"
            .into(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn png_image(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut wr = enc.write_header().expect("header");
    let px: Vec<u8> = (0..w * h * 3).map(|i| (i % 251) as u8).collect();
    wr.write_image_data(&px).expect("data");
    wr.finish().expect("finish");
    out
}

/// A baseline JPEG of `w`×`h` with a gradient, as a phone camera would send one.
fn jpeg_image(w: u16, h: u16) -> Vec<u8> {
    let px: Vec<u8> = (0..u32::from(w) * u32::from(h) * 3)
        .map(|i| (i % 241) as u8)
        .collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 85)
        .encode(&px, w, h, jpeg_encoder::ColorType::Rgb)
        .expect("encode");
    out
}

/// A multipart upload of one `file` to the leak trace.
async fn trace_upload(a: &TestApp, token: &str, name: &str, bytes: &[u8]) -> crate::Reply {
    let boundary = "liaison-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    a.send(
        Request::builder()
            .method("POST")
            .uri("/api/v1/leak-trace")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .expect("request"),
    )
    .await
}

/// §7.3, SPEC G6: a confidential PDF or picture downloaded by a partner's person is their own
/// copy (a visible stamp with their partner, e-mail and time; an invisible code naming their
/// delivery), and the leaked file, uploaded to the trace, names them first.
#[tokio::test]
async fn downloaded_confidential_files_are_marked_per_recipient_and_traced_back() {
    let (apps, _guard) = apps().await;
    for a in &apps {
        let n = a.name;
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let staff = a.login("staff@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        let sh = a.partner_id("SH-D001").await;
        let bj = a.partner_id("BJ-D002").await;
        for code in ["SH-D001", "BJ-D002"] {
            let r = a
                .call(
                    "POST",
                    "/api/v1/ndas",
                    Some(&channel),
                    Some(json!({"partner": code,
                        "signed_at": chrono::Utc::now() - chrono::Duration::days(30),
                        "expires_at": chrono::Utc::now() + chrono::Duration::days(300)})),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "[{n}] {}", r.text());
        }
        let r = a
            .call(
                "POST",
                "/api/v1/requests",
                Some(&head),
                Some(json!({"title": "2027 价格表（保密）", "purpose": "价格调整", "body": "见附件。",
                    "classification": "confidential", "audience": {"partners": [sh, bj]}})),
            )
            .await
            .json();
        let rid = r["id"].as_str().expect("id").to_string();
        let pdf = two_page_pdf();
        let png_src = png_image(240, 160);
        let jpg_src = jpeg_image(200, 120);
        for (name, bytes) in [
            ("价格表.pdf", &pdf),
            ("海报.png", &png_src),
            ("门店照片.jpg", &jpg_src),
        ] {
            let up = a
                .send(
                    Request::builder()
                        .method("POST")
                        .uri(format!(
                            "/api/v1/requests/{rid}/attachments?filename={}",
                            percent_encoding::utf8_percent_encode(
                                name,
                                percent_encoding::NON_ALPHANUMERIC
                            )
                        ))
                        .header(header::AUTHORIZATION, format!("Bearer {head}"))
                        .body(Body::from(bytes.clone()))
                        .expect("request"),
                )
                .await;
            assert_eq!(up.status, StatusCode::CREATED, "[{n}] {}", up.text());
        }
        a.call(
            "POST",
            &format!("/api/v1/requests/{rid}/submit"),
            Some(&head),
            None,
        )
        .await;
        let r = a
            .call(
                "POST",
                &format!("/api/v1/requests/{rid}/approve"),
                Some(&channel),
                None,
            )
            .await
            .json();
        assert_eq!(r["state"], "dispatched", "[{n}] {r}");
        let mid = r["message_id"].as_str().expect("message").to_string();

        // Each partner's person downloads both files.
        let mut copies = Vec::new();
        for (token, email) in [(&p1, "p1@demo.example"), (&p2, "p2@demo.example")] {
            let list = a
                .call(
                    "GET",
                    &format!("/api/v1/inbox/{mid}/attachments"),
                    Some(token),
                    None,
                )
                .await
                .json();
            let mut files = Vec::new();
            for item in list["items"].as_array().expect("items") {
                let aid = item["id"].as_str().expect("id");
                let f = a
                    .call(
                        "GET",
                        &format!("/api/v1/inbox/{mid}/attachments/{aid}"),
                        Some(token),
                        None,
                    )
                    .await;
                assert_eq!(f.status, StatusCode::OK, "[{n}]");
                files.push((f.content_type.clone(), f.body));
            }
            let pdf_copy = files
                .iter()
                .find(|f| f.0 == "application/pdf")
                .expect("pdf")
                .1
                .clone();
            let png_copy = files
                .iter()
                .find(|f| f.0 == "image/png")
                .expect("png")
                .1
                .clone();
            let jpg_copy = files
                .iter()
                .find(|f| f.0 == "image/jpeg")
                .expect("jpeg")
                .1
                .clone();
            // The PDF still reads, with its two pages, each stamped with the reader's e-mail.
            assert_ne!(pdf_copy, pdf, "[{n}] marked");
            let doc = lopdf::Document::load_mem(&pdf_copy).expect("the marked PDF parses");
            let pages = doc.get_pages();
            assert_eq!(pages.len(), 2, "[{n}]");
            for id in pages.values() {
                let content = doc.get_page_content(*id);
                let text = String::from_utf8_lossy(&content);
                assert!(text.contains(email), "[{n}] stamp names {email}");
                assert!(text.contains("Price list 2027"), "[{n}] the page is kept");
            }
            // The picture decodes at its own size.
            let dec = png::Decoder::new(std::io::Cursor::new(&png_copy[..]));
            let reader = dec.read_info().expect("the marked PNG decodes");
            assert_eq!(reader.info().size(), (240, 160), "[{n}]");
            assert_ne!(png_copy, png_src, "[{n}] marked");
            let mut dec = jpeg_decoder::Decoder::new(std::io::Cursor::new(&jpg_copy[..]));
            dec.decode().expect("the marked JPEG decodes");
            let info = dec.info().expect("info");
            assert_eq!((info.width, info.height), (200, 120), "[{n}]");
            assert_ne!(jpg_copy, jpg_src, "[{n}] marked");
            copies.push((pdf_copy, png_copy, jpg_copy));
        }
        assert_ne!(
            copies[0].0, copies[1].0,
            "[{n}] each reader's PDF is their own"
        );
        assert_ne!(
            copies[0].1, copies[1].1,
            "[{n}] each reader's picture is their own"
        );
        assert_ne!(
            copies[0].2, copies[1].2,
            "[{n}] each reader's photo is their own"
        );
        let audited: i64 =
            a.db.fetch_one(liaison_db::q(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'attachment.download'",
            ))
            .await
            .expect("count");
        assert_eq!(
            audited, 6,
            "[{n}] every download of a marked kind is audited"
        );

        // The leaked files name their readers first, with certainty.
        let contact = |email: &'static str| async move {
            liaison_db::user::find_user_by_email(&a.db, email)
                .await
                .expect("user")
                .and_then(|u| u.contact_id)
        };
        for (bytes, name, partner, email) in [
            (&copies[0].0, "leak.pdf", &sh, "p1@demo.example"),
            (&copies[1].1, "leak.png", &bj, "p2@demo.example"),
            (&copies[0].1, "leak.png", &sh, "p1@demo.example"),
            (&copies[1].2, "leak.jpg", &bj, "p2@demo.example"),
            (&copies[0].2, "leak.jpg", &sh, "p1@demo.example"),
        ] {
            let t = trace_upload(a, &channel, name, bytes).await;
            assert_eq!(t.status, StatusCode::OK, "[{n}] {}", t.text());
            let t = t.json();
            let best = &t["candidates"][0];
            assert_eq!(best["partner_id"], json!(partner), "[{n}] {t}");
            // A person who is their partner's contact is named; one who is not (p2) reads
            // under the partner's first delivery.
            if let Some(c) = contact(email).await {
                assert_eq!(best["contact_id"], json!(c), "[{n}]");
            }
            assert_eq!(best["score"], json!(1.0), "[{n}]");
            assert!(best["delivery_id"].is_string(), "[{n}]");
        }
        // A staff copy carries its reader's name; traced, it names no partner delivery.
        let list = a
            .call(
                "GET",
                &format!("/api/v1/requests/{rid}/attachments"),
                Some(&head),
                None,
            )
            .await
            .json();
        let aid = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["content_type"] == "application/pdf")
            .and_then(|i| i["id"].as_str())
            .expect("pdf")
            .to_string();
        let own = a
            .call(
                "GET",
                &format!("/api/v1/requests/{rid}/attachments/{aid}"),
                Some(&head),
                None,
            )
            .await;
        assert_eq!(own.status, StatusCode::OK, "[{n}]");
        let doc = lopdf::Document::load_mem(&own.body).expect("the staff copy parses");
        let first = *doc.get_pages().values().next().expect("page");
        let text = String::from_utf8_lossy(&doc.get_page_content(first)).into_owned();
        assert!(
            text.contains("head@demo.example"),
            "[{n}] stamp names the staff reader"
        );
        let r = trace_upload(a, &channel, "staff.pdf", &own.body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{n}] {}",
            r.text()
        );
        assert!(r.text().contains("head@demo.example"), "[{n}] {}", r.text());

        // Only channel management and leadership trace; an unmarked or broken file says why.
        for who in [&staff, &p1, &p2] {
            let r = trace_upload(a, who, "leak.pdf", &copies[0].0).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}] {}", r.text());
        }
        for bad in [
            &pdf[..],
            b"%PDF-1.4 broken",
            b"\x89PNG\r\n\x1a\n\0\0",
            b"\xff\xfe\x00",
        ] {
            let r = trace_upload(a, &channel, "x.bin", bad).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "[{n}] {}",
                r.text()
            );
            assert_eq!(r.json()["errors"][0]["field"], "file", "[{n}]");
        }
        // The console page takes the same file.
        let cookie = crate::pages::browser_login(a, "channel@demo.example").await;
        let token = crate::pages::csrf(&cookie);
        let r = a
            .send(crate::data_pages::upload(
                "/console/leak-trace",
                &cookie,
                "zh-CN",
                &[("_csrf", token.as_str()), ("text", "")],
                Some(("泄露.pdf", &copies[0].0)),
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}]");
        let html = r.text();
        assert!(html.contains("id=\"trace-table\""), "[{n}] result table");
        assert!(html.contains("SH-D001"), "[{n}] names p1's partner");
    }
}
