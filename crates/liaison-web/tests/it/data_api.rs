//! The business-data API (issue 13, policy §3.3): submissions as JSON rows, as a CSV body and
//! as a multipart form; a bad one is a 422 listing each bad row and stores nothing; another
//! partner's figures are 404 and an unprivileged user is refused.

use crate::apps;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

/// The latest month that has ended, as the API's `period`.
pub(crate) fn last_month() -> String {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    liaison_core::data::Period::containing(liaison_core::data::PeriodKind::Monthly, today)
        .prev()
        .to_string()
}

pub(crate) fn rows(units: &[i64]) -> serde_json::Value {
    json!(
        units
            .iter()
            .map(|u| json!({"product_code": "LX-SM100", "region": "上海", "units": u, "amount_cny": "1234.50"}))
            .collect::<Vec<_>>()
    )
}

/// §3.3.1: p1 submits JSON rows; a bad row is a 422 naming the row and column, in the
/// request's language, and nothing is stored; the good one is a new version.
#[tokio::test]
async fn json_rows_are_checked_and_stored_whole() {
    let (apps, _g) = apps().await;
    let period = last_month();
    for a in &apps {
        let p1 = a.login("p1@demo.example").await;
        let bad = a
            .call(
                "POST",
                "/api/v1/submissions",
                Some(&p1),
                Some(json!({"dataset": "sales", "period": period, "rows": rows(&[5, -3, 7])})),
            )
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            bad.text()
        );
        let body = bad.json();
        assert_eq!(body["errors"][0]["row"], 2, "[{}] {body}", a.name);
        assert_eq!(body["errors"][0]["column"], "units");
        assert_eq!(body["error_count"], 1);
        let rejected = body["submission_id"].as_str().expect("id").to_string();
        let errors = a
            .call(
                "GET",
                &format!("/api/v1/submissions/{rejected}/errors"),
                Some(&p1),
                None,
            )
            .await;
        assert_eq!(errors.status, StatusCode::OK);
        assert_eq!(errors.json()["state"], "rejected");
        let stored: i64 =
            a.db.fetch_one(liaison_db::q("SELECT COUNT(*) FROM data_points"))
                .await
                .expect("count");
        assert_eq!(
            stored, 0,
            "[{}] a rejected submission stored figures",
            a.name
        );

        let good = a
            .call(
                "POST",
                "/api/v1/submissions",
                Some(&p1),
                Some(json!({"dataset": "sales", "period": period, "rows": rows(&[5, 3, 7])})),
            )
            .await;
        assert_eq!(
            good.status,
            StatusCode::CREATED,
            "[{}] {}",
            a.name,
            good.text()
        );
        assert_eq!(good.json()["row_count"], 3);
        assert_eq!(good.json()["version"], 1);
        assert_eq!(good.json()["state"], "current");
        let list = a
            .call("GET", "/api/v1/submissions?state=current", Some(&p1), None)
            .await;
        assert_eq!(list.json()["items"].as_array().map(Vec::len), Some(1));
        let trend = a
            .call(
                "GET",
                &format!("/api/v1/trends?dataset=sales&measure=units&to={period}"),
                Some(&p1),
                None,
            )
            .await;
        assert_eq!(trend.status, StatusCode::OK, "{}", trend.text());
        let values = trend.json()["values"].clone();
        assert_eq!(
            values.as_array().and_then(|v| v.last()).cloned(),
            Some(json!(15.0))
        );
    }
}

/// The same figures as a CSV body (query names the data set) and as a multipart form, and
/// an Idempotency-Key replays the first answer.
#[tokio::test]
async fn csv_bodies_and_forms_are_streamed_in() {
    let (apps, _g) = apps().await;
    let period = last_month();
    let csv = "product_code,region,units,amount_cny\nLX-SM100,上海,4,100.00\nLX-PC10,江苏,6,50.5\n";
    for a in &apps {
        let p1 = a.login("p1@demo.example").await;
        let req = |key: &str| {
            Request::builder()
                .method("POST")
                .uri(format!(
                    "/api/v1/submissions?dataset=sales&period={period}&filename=sales.csv"
                ))
                .header(header::AUTHORIZATION, format!("Bearer {p1}"))
                .header(header::CONTENT_TYPE, "text/csv")
                .header("Idempotency-Key", key)
                .body(Body::from(csv))
                .expect("request")
        };
        let first = a.send(req("k-csv-1")).await;
        assert_eq!(
            first.status,
            StatusCode::CREATED,
            "[{}] {}",
            a.name,
            first.text()
        );
        let again = a.send(req("k-csv-1")).await;
        assert_eq!(again.status, StatusCode::CREATED);
        assert_eq!(
            again.json()["id"],
            first.json()["id"],
            "the replay is the first answer"
        );

        let boundary = "XyZ";
        let form = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"dataset\"\r\n\r\nsales\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"period\"\r\n\r\n{period}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
        );
        let r = a
            .send(
                Request::builder()
                    .method("POST")
                    .uri("/api/v1/submissions")
                    .header(header::AUTHORIZATION, format!("Bearer {p1}"))
                    .header(
                        header::CONTENT_TYPE,
                        format!("multipart/form-data; boundary={boundary}"),
                    )
                    .body(Body::from(form))
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
        assert_eq!(r.json()["version"], 2, "a resubmission is the next version");
        assert_eq!(r.json()["file_name"], "s.csv");
        let first_id = first.json()["id"].as_str().expect("id").to_string();
        let old = a
            .call(
                "GET",
                &format!("/api/v1/submissions/{first_id}"),
                Some(&p1),
                None,
            )
            .await;
        assert_eq!(
            old.json()["state"],
            "superseded",
            "the version before is kept"
        );
        let rows = a
            .call(
                "GET",
                &format!("/api/v1/submissions/{first_id}/rows"),
                Some(&p1),
                None,
            )
            .await;
        assert!(
            rows.text().contains("LX-PC10,江苏,6,50.5"),
            "{}",
            rows.text()
        );
    }
}

/// Partners see only their own figures (404), the benchmark of a small group is withheld,
/// an unprivileged employee is refused, and a partner cannot define data sets.
#[tokio::test]
async fn other_partners_and_unprivileged_users_are_refused() {
    let (apps, _g) = apps().await;
    let period = last_month();
    for a in &apps {
        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        let staff = a.login("staff@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let sh = a.partner_id("SH-D001").await;
        let r = a
            .call(
                "POST",
                "/api/v1/submissions",
                Some(&p1),
                Some(json!({"dataset": "sales", "period": period, "rows": rows(&[9])})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let id = r.json()["id"].as_str().expect("id").to_string();
        for path in [
            format!("/api/v1/submissions/{id}"),
            format!("/api/v1/submissions/{id}/errors"),
            format!("/api/v1/submissions/{id}/rows"),
            format!("/api/v1/trends?dataset=sales&partner={sh}"),
            format!("/api/v1/data-obligations?partner={sh}"),
        ] {
            let r = a.call("GET", &path, Some(&p2), None).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "[{}] p2 {path}: {}",
                a.name,
                r.text()
            );
        }
        let list = a.call("GET", "/api/v1/submissions", Some(&p2), None).await;
        assert_eq!(list.json()["items"].as_array().map(Vec::len), Some(0));
        // p2 cannot submit for p1's partner.
        let r = a
            .call(
                "POST",
                "/api/v1/submissions",
                Some(&p2),
                Some(json!({"dataset": "sales", "period": period, "partner_id": sh, "rows": rows(&[1])})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
        // p2's own trend: p1 is the only other distributor with figures: withheld.
        let t = a
            .call(
                "GET",
                "/api/v1/trends?dataset=sales&measure=units",
                Some(&p2),
                None,
            )
            .await;
        assert_eq!(t.status, StatusCode::OK);
        assert_eq!(t.json()["benchmark_withheld"], true, "{}", t.text());
        assert!(
            t.json()["benchmark"]
                .as_array()
                .is_some_and(|b| b.iter().all(|x| x.is_null()))
        );
        for path in [
            "/api/v1/submissions".to_string(),
            "/api/v1/data-overdue".to_string(),
            format!("/api/v1/trends?dataset=sales&partner={sh}"),
            format!("/api/v1/submissions/{id}"),
        ] {
            let r = a.call("GET", &path, Some(&staff), None).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "[{}] staff {path}: {}",
                a.name,
                r.text()
            );
            let r = a.call("GET", &path, Some(&channel), None).await;
            assert_eq!(
                r.status,
                StatusCode::OK,
                "[{}] channel {path}: {}",
                a.name,
                r.text()
            );
        }
        let r = a
            .call(
                "POST",
                "/api/v1/datasets",
                Some(&p1),
                Some(json!({"code": "x", "name_zh": "x", "columns": []})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = a
            .call(
                "GET",
                "/api/v1/datasets/sales/template?format=xlsx",
                Some(&p1),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.starts_with(b"PK"), "an XLSX template");
    }
}

/// §7.2.2 (issue 15 item 1): the demo's sales are confidential. Staff outside the circle of
/// SH-D001's figures (an admin) get its trend restricted, with the submission to ask on, and
/// company totals without it, saying how many partners were left out; its channel manager and
/// the partner itself read the figures; another partner's user is 404 and an unprivileged
/// employee 403.
#[tokio::test]
async fn a_confidential_partners_trend_is_restricted_to_staff_outside_its_circle() {
    let (apps, _g) = apps().await;
    let period = last_month();
    for a in &apps {
        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        let staff = a.login("staff@demo.example").await;
        let admin = a.login("admin@demo.example").await;
        let channel = a.login("channel@demo.example").await;
        let sh = a.partner_id("SH-D001").await;
        let r = a
            .call(
                "POST",
                "/api/v1/submissions",
                Some(&p1),
                Some(json!({"dataset": "sales", "period": period, "rows": rows(&[9])})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let id = r.json()["id"].as_str().expect("id").to_string();
        let one = format!(
            "/api/v1/trends?dataset=sales&measure=units&partner={sh}&from={period}&to={period}"
        );
        let t = a.call("GET", &one, Some(&admin), None).await;
        assert_eq!(t.status, StatusCode::OK, "[{}] {}", a.name, t.text());
        let body = t.json();
        assert_eq!(body["restricted"], true, "[{}] {body}", a.name);
        assert_eq!(body["values"], json!([null]), "[{}] {body}", a.name);
        assert_eq!(body["ask_on"], json!(id), "[{}] {body}", a.name);
        let t = a.call("GET", &one, Some(&channel), None).await;
        let body = t.json();
        assert_eq!(body["restricted"], false, "[{}] {body}", a.name);
        assert_eq!(body["values"], json!([9.0]), "[{}] {body}", a.name);
        let mine = format!("/api/v1/trends?dataset=sales&measure=units&from={period}&to={period}");
        let t = a.call("GET", &mine, Some(&p1), None).await;
        assert_eq!(
            t.json()["values"],
            json!([9.0]),
            "[{}] {}",
            a.name,
            t.text()
        );
        assert_eq!(t.json()["restricted"], false);
        // Company totals: the admin knows no partner's figures; SH-D001's are left out.
        let t = a.call("GET", &mine, Some(&admin), None).await;
        let body = t.json();
        assert!(
            body["withheld_partners"].as_i64().is_some_and(|n| n >= 1),
            "[{}] {body}",
            a.name
        );
        assert_eq!(body["values"], json!([null]), "[{}] {body}", a.name);
        // The list shows the admin the submission by its title only.
        let list = a
            .call(
                "GET",
                "/api/v1/submissions?dataset=sales",
                Some(&admin),
                None,
            )
            .await;
        let items = list.json()["items"].as_array().cloned().unwrap_or_default();
        let row = items.iter().find(|x| x["id"] == json!(id)).expect("listed");
        assert_eq!(row["restricted"], true, "[{}] {row}", a.name);
        assert!(row["file_name"].is_null());
        // Another partner's user: not found; an employee without the data permissions: 403.
        let r = a.call("GET", &one, Some(&p2), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{}] {}", a.name, r.text());
        let r = a.call("GET", &one, Some(&staff), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{}] {}", a.name, r.text());
    }
}
