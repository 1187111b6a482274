//! Confidential content (policy §7.1.2, §7.2.1; SPEC G2, G3) and corrections (§1.3.1).

use crate::apps;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde_json::json;

#[tokio::test]
async fn confidential_message_skips_recipients_without_nda_and_is_encrypted_at_rest() {
    let (apps, guard) = apps().await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let (sh, bj) = (a.partner_id("SH-D001").await, a.partner_id("BJ-D002").await);
        // Only SH-D001 has a valid NDA; BJ-D002's expired yesterday.
        for (partner, signed, expires) in [
            (
                "SH-D001",
                Utc::now() - Duration::days(30),
                Utc::now() + Duration::days(300),
            ),
            (
                "BJ-D002",
                Utc::now() - Duration::days(400),
                Utc::now() - Duration::days(1),
            ),
        ] {
            let r = a.call("POST", "/api/v1/ndas", Some(&channel), Some(json!({"partner": partner, "signed_at": signed, "expires_at": expires, "document": "NDA-2026.pdf"}))).await;
            assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
        }
        let marker = "绝密配方-XYZ123";
        let form = json!({
            "title": "新品成本结构（保密）", "purpose": "仅限签署保密协议的伙伴", "body": format!("内容：{marker}"),
            "category": "product", "classification": "confidential", "audience": {"partners": [sh, bj]},
        });
        // Issue 9: the gap is shown before approval, and approving to part of the audience
        // needs the reviewer's explicit choice.
        let r = a
            .call("POST", "/api/v1/requests", Some(&head), Some(form.clone()))
            .await;
        let draft = r.json()["id"].as_str().expect("id").to_string();
        a.call(
            "POST",
            &format!("/api/v1/requests/{draft}/submit"),
            Some(&head),
            None,
        )
        .await;
        let cov = a
            .call(
                "GET",
                &format!("/api/v1/requests/{draft}/coverage"),
                Some(&channel),
                None,
            )
            .await
            .json();
        assert!(
            cov["uncovered_count"].as_i64() > Some(0),
            "[{}] {cov}",
            a.name
        );
        assert!(
            cov["uncovered"]
                .as_array()
                .is_some_and(|u| u.iter().all(|x| x["partner_code"] == "BJ-D002")),
            "[{}] {cov}",
            a.name
        );
        let refused = a
            .call(
                "POST",
                &format!("/api/v1/requests/{draft}/approve"),
                Some(&channel),
                None,
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            refused.text()
        );
        assert_eq!(
            refused.json()["errors"][0]["field"],
            "send_to_covered_only",
            "[{}]",
            a.name
        );
        // Another partner's user and an unprivileged partner user learn nothing.
        for who in ["p1@demo.example", "p2@demo.example"] {
            let t = a.login(who).await;
            let r = a
                .call(
                    "GET",
                    &format!("/api/v1/requests/{draft}/coverage"),
                    Some(&t),
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{}] {who}", a.name);
        }
        let d = a
            .dispatch_approving(
                &head,
                &channel,
                form,
                Some(json!({"send_to_covered_only": true})),
            )
            .await;
        let held = d["held_back"].as_array().cloned().unwrap_or_default();
        assert!(!held.is_empty(), "[{}] {d}", a.name);
        assert!(
            held.iter().all(|h| h["partner_code"] == "BJ-D002"
                && h["reason"].as_str().is_some_and(|r| r.contains("NDA"))),
            "[{}] {held:?}",
            a.name
        );
        let id = d["id"].as_str().expect("id");
        let receipts = a
            .call(
                "GET",
                &format!("/api/v1/requests/{id}/deliveries"),
                Some(&channel),
                None,
            )
            .await
            .json();
        assert!(
            receipts["items"]
                .as_array()
                .is_some_and(|i| !i.is_empty() && i.iter().all(|x| x["partner_code"] == "SH-D001")),
            "[{}] {receipts}",
            a.name
        );

        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        assert_eq!(
            a.call("GET", "/api/v1/inbox", Some(&p2), None).await.json()["items"],
            json!([]),
            "[{}] p2 has no NDA",
            a.name
        );
        let mid =
            a.call("GET", "/api/v1/inbox", Some(&p1), None).await.json()["items"][0]["message_id"]
                .as_str()
                .expect("mid")
                .to_string();
        let opened = a
            .call("GET", &format!("/api/v1/inbox/{mid}"), Some(&p1), None)
            .await
            .json();
        let body = opened["body"].as_str().expect("body");
        assert_eq!(
            liaison_core::marks::unmarked(body),
            format!("内容：{marker}"),
            "[{}] decrypted for the recipient",
            a.name
        );
        assert_ne!(
            body,
            format!("内容：{marker}"),
            "[{}] §7.3: the recipient's copy carries its marks",
            a.name
        );
        // Another partner's user cannot list p1's NDAs.
        let ndas = a.call("GET", "/api/v1/ndas", Some(&p2), None).await.json();
        assert!(
            ndas["items"]
                .as_array()
                .is_some_and(|i| i.iter().all(|n| n["partner_code"] == "BJ-D002")),
            "[{}] {ndas}",
            a.name
        );
        assert_eq!(
            a.call(
                "POST",
                "/api/v1/ndas",
                Some(&p2),
                Some(json!({"partner": "BJ-D002"}))
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        let bad = a
            .call(
                "POST",
                "/api/v1/ndas",
                Some(&channel),
                Some(json!({"partner": "NOPE"})),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

        // At rest: neither the message nor the request form holds the plaintext.
        let plain: i64 =
            a.db.fetch_one(
                liaison_db::q("SELECT COUNT(*) FROM messages WHERE body LIKE $1")
                    .bind(format!("%{marker}%")),
            )
            .await
            .expect("count");
        let sealed: i64 =
            a.db.fetch_one(liaison_db::q(
                "SELECT COUNT(*) FROM messages WHERE body LIKE 'enc:v1:%'",
            ))
            .await
            .expect("count");
        let forms: i64 =
            a.db.fetch_one(
                liaison_db::q("SELECT COUNT(*) FROM requests WHERE form LIKE $1")
                    .bind(format!("%{marker}%")),
            )
            .await
            .expect("count");
        assert_eq!((plain, forms), (0, 0), "[{}] plaintext stored", a.name);
        assert_eq!(sealed, 1, "[{}]", a.name);
        if a.name == "sqlite" {
            let mut bytes = Vec::new();
            for f in ["test.db", "test.db-wal"] {
                bytes.extend(std::fs::read(guard.0.join(f)).unwrap_or_default());
            }
            assert!(bytes.len() > 10_000, "the database file was not found");
            let needle = marker.as_bytes();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "the plaintext is in the SQLite file"
            );
        }
    }
}

/// §1.3.1: a correction is a new linked message to the same recipients; the original stays.
#[tokio::test]
async fn a_correction_reaches_the_same_recipients_and_links_both_ways() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let sh = a.partner_id("SH-D001").await;
        let original = a.dispatch(&head, &channel, json!({
            "title": "展会时间通知", "purpose": "通知展会安排", "body": "展会于 5 月 10 日举行。", "audience": {"partners": [sh]},
        }))
        .await;
        let p1 = a.login("p1@demo.example").await;
        let first =
            a.call("GET", "/api/v1/inbox", Some(&p1), None).await.json()["items"][0]["message_id"]
                .as_str()
                .expect("mid")
                .to_string();
        let bad = a
            .call(
                "POST",
                "/api/v1/requests",
                Some(&head),
                Some(json!({"title": "更正", "purpose": "更正日期", "body": "x", "corrects": sh})),
            )
            .await;
        let bad_id = bad.json()["id"].as_str().expect("id").to_string();
        assert_eq!(
            a.call(
                "POST",
                &format!("/api/v1/requests/{bad_id}/submit"),
                Some(&head),
                None
            )
            .await
            .status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "corrects must name a sent message"
        );
        let correction = a.dispatch(&head, &channel, json!({
            "title": "更正：展会时间", "purpose": "更正展会日期", "body": "展会改于 5 月 12 日举行。", "corrects": first,
        }))
        .await;
        assert_ne!(correction["message_id"], original["message_id"]);
        let inbox = a.call("GET", "/api/v1/inbox", Some(&p1), None).await.json();
        let items = inbox["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 2, "[{}] the original stays: {inbox}", a.name);
        assert_eq!(items[0]["corrects_id"], first.as_str(), "[{}]", a.name);
        assert_eq!(
            items[1]["corrected_by"], items[0]["message_id"],
            "[{}]",
            a.name
        );
    }
}

/// SPEC B1, G3: attachments are type-checked, travel with the message, reach only its
/// recipients, and are encrypted at rest when the request is confidential.
#[tokio::test]
async fn attachments_are_checked_delivered_and_sealed() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let head = a.login("head@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let sh = a.partner_id("SH-D001").await;
        a.call("POST", "/api/v1/ndas", Some(&channel), Some(json!({"partner": "SH-D001", "signed_at": Utc::now() - Duration::days(1), "expires_at": Utc::now() + Duration::days(30)}))).await;
        let r = a.call("POST", "/api/v1/requests", Some(&head), Some(json!({
            "title": "2027 价格表（保密）", "purpose": "价格调整", "body": "见附件。", "classification": "confidential", "audience": {"partners": [sh]},
        }))).await.json();
        let id = r["id"].as_str().expect("id").to_string();
        let pdf = b"%PDF-1.7\n% 2027 price list\n".to_vec();
        let upload = |name: &str, bytes: Vec<u8>, token: &str| {
            axum::http::Request::builder()
                .method("POST")
                .uri(format!("/api/v1/requests/{id}/attachments?filename={name}"))
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::from(bytes))
                .expect("request")
        };
        let bad = a
            .send(upload("price.pdf", b"MZ\x90\x00 not a pdf".to_vec(), &head))
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            bad.text()
        );
        assert_eq!(
            a.send(upload("run.exe", b"MZ".to_vec(), &head))
                .await
                .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            a.send(upload("price.pdf", pdf.clone(), &channel))
                .await
                .status,
            StatusCode::FORBIDDEN,
            "only the requester attaches"
        );
        let ok = a.send(upload("price.pdf", pdf.clone(), &head)).await;
        assert_eq!(ok.status, StatusCode::CREATED, "[{}] {}", a.name, ok.text());
        let sealed: i64 =
            a.db.fetch_one(liaison_db::q(
                "SELECT COUNT(*) FROM attachments WHERE data LIKE 'enc:v1:%'",
            ))
            .await
            .expect("count");
        assert_eq!(
            sealed, 1,
            "[{}] a confidential attachment is stored encrypted",
            a.name
        );
        a.call(
            "POST",
            &format!("/api/v1/requests/{id}/submit"),
            Some(&head),
            None,
        )
        .await;
        assert_eq!(
            a.call(
                "POST",
                &format!("/api/v1/requests/{id}/approve"),
                Some(&channel),
                None
            )
            .await
            .json()["state"],
            "dispatched"
        );
        // Attaching after submission is refused.
        assert_eq!(
            a.send(upload("late.pdf", pdf.clone(), &head)).await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );

        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        let mid =
            a.call("GET", "/api/v1/inbox", Some(&p1), None).await.json()["items"][0]["message_id"]
                .as_str()
                .expect("mid")
                .to_string();
        let list = a
            .call(
                "GET",
                &format!("/api/v1/inbox/{mid}/attachments"),
                Some(&p1),
                None,
            )
            .await
            .json();
        let aid = list["items"][0]["id"]
            .as_str()
            .expect("attachment")
            .to_string();
        let file = a
            .call(
                "GET",
                &format!("/api/v1/inbox/{mid}/attachments/{aid}"),
                Some(&p1),
                None,
            )
            .await;
        assert_eq!(
            file.body, pdf,
            "[{}] the recipient gets the file back",
            a.name
        );
        assert_eq!(file.content_type, "application/pdf");
        assert_eq!(
            a.call(
                "GET",
                &format!("/api/v1/inbox/{mid}/attachments/{aid}"),
                Some(&p2),
                None
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            a.call(
                "GET",
                &format!("/api/v1/inbox/{mid}/attachments"),
                Some(&p2),
                None
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );
    }
}
