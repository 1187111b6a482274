//! The one-click rating page (issue 12 item 5; §3.4.2, §6.1.3): the link in the resolution
//! e-mail opens a page where the partner confirms and rates without a password; bad input is
//! refused on the page; a forged link is the partner's "link not valid" page.

use crate::apps;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

#[tokio::test]
async fn a_partner_rates_a_resolved_ticket_from_the_link_in_its_email() {
    let (apps, _guard) = apps().await;
    for app in apps {
        let name = app.name;
        let p1 = app.login("p1@demo.example").await;
        let staff = app.login("staff@demo.example").await;
        let r = app
            .call(
                "POST",
                "/api/v1/tickets",
                Some(&p1),
                Some(json!({"kind": "marketing", "subject": "门店海报褪色", "description": "新海报一周就褪色。"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{name}: {}", r.text());
        let id = r.json()["id"].as_str().expect("id").to_string();
        let r = app
            .call(
                "POST",
                &format!("/api/v1/tickets/{id}/resolve"),
                Some(&staff),
                Some(
                    json!({"resolution": "已更换耐晒材质并补寄。", "root_cause": "product_defect"}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.text());
        let token = liaison_app::tickets::rating_token(&app.db, id.parse().expect("uuid"))
            .await
            .expect("token");
        liaison_app::tickets::by_link(&app.db, &token)
            .await
            .expect("the link's ticket and rater");
        let page = app
            .call("GET", &format!("/rate/{token}?score=5"), None, None)
            .await;
        let html = page.text();
        assert_eq!(page.status, StatusCode::OK, "{name}: {html}");
        assert!(
            html.contains("门店海报褪色") && html.contains("已更换耐晒材质"),
            "{name}"
        );
        assert!(
            html.contains(r#"id="score-5" checked"#),
            "{name}: the star tapped is chosen"
        );
        let post = |body: &'static str| {
            Request::builder()
                .method("POST")
                .uri(format!("/rate/{token}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .expect("request")
        };
        let bad = app.send(post("score=9&comment=")).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(bad.text().contains("field-error"), "{name}");
        let ok = app.send(post("score=5&comment=%E5%BE%88%E5%A5%BD")).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{name}");
        let t = app
            .call("GET", &format!("/api/v1/tickets/{id}"), Some(&p1), None)
            .await
            .json();
        assert_eq!(t["rating"], 5, "{name}: {t}");
        assert_eq!(t["state"], "closed", "{name}");
        assert_eq!(t["rating_comment"], "很好", "{name}");
        let done = app
            .call("GET", &format!("/rate/{token}?done=1"), None, None)
            .await;
        assert!(done.text().contains(r#"data-score="5""#), "{name}");
        // One letter changed: the link is not valid.
        let mut forged: Vec<char> = token.chars().collect();
        forged[3] = if forged[3] == 'A' { 'B' } else { 'A' };
        let forged: String = forged.into_iter().collect();
        let r = app
            .call("GET", &format!("/rate/{forged}"), None, None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{name}");
    }
}
