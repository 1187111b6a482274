//! Web tests: the app is built exactly as `liaison serve` builds it, on every database backend
//! available (SQLite always, PostgreSQL when LIAISON_TEST_PG_URL is set), with the demo data.

mod account;
mod admin;
mod api;
mod api_tokens;
mod attack;
mod browser;
mod browser_loop;
mod confidential;
mod data_api;
mod data_pages;
mod delivery;
mod exchange;
mod hardening;
mod kpi;
mod language;
mod leaks;
mod meeting_pages;
mod meetings_api;
mod offline;
mod pages;
mod people;
mod policies;
mod products;
mod rating_link;
mod requests;
mod search;
mod surveys;
mod threads;
mod tickets;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use liaison_db::Db;
use liaison_web::{AppState, WebConfig, app};
use serde_json::Value;
use tower::ServiceExt;

pub struct TestApp {
    pub name: &'static str,
    pub router: axum::Router,
    pub db: Db,
}

pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Every backend with the demo company loaded; keep the guard alive for the test.
pub async fn apps() -> (Vec<TestApp>, liaison_db::testing::TempDir) {
    apps_with(std::sync::Arc::new(liaison_core::SystemClock)).await
}

/// The same with a clock the test controls.
pub async fn apps_with(
    clock: std::sync::Arc<dyn liaison_core::Clock>,
) -> (Vec<TestApp>, liaison_db::testing::TempDir) {
    let (dbs, guard) = liaison_db::testing::all_backends_with(clock)
        .await
        .expect("test databases");
    let mut out = Vec::new();
    for (name, db) in dbs {
        liaison_demo::load(&db, 0, &|_| {})
            .await
            .expect("demo data");
        // Tests register robots and endpoints served on this machine.
        liaison_channels::robot::allow_local_targets(true);
        let router = app(AppState::new(db.clone(), WebConfig::default()));
        out.push(TestApp { name, router, db });
    }
    (out, guard)
}

impl TestApp {
    pub async fn send(&self, req: Request<Body>) -> Reply {
        let resp = self.router.clone().oneshot(req).await.expect("response");
        let status = resp.status();
        let content_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = resp
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        Reply {
            status,
            content_type,
            body,
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string())),
            None => b.body(Body::empty()),
        };
        self.send(req.expect("request")).await
    }

    pub async fn login(&self, email: &str) -> String {
        let r = self
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"email": email, "password": "liaison-demo"})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "[{}] login {email}: {}",
            self.name,
            r.text()
        );
        r.json()["token"].as_str().expect("token").to_string()
    }

    /// The story most tests start from (§4.1.1, §4.2.1): the department head files `body` as a
    /// request and submits it, channel management approves it, and it is dispatched. Returns
    /// the request as the final approval answered it.
    pub async fn dispatch(&self, head: &str, channel: &str, body: Value) -> Value {
        self.dispatch_approving(head, channel, body, None).await
    }

    /// The same with the approval's body (e.g. `send_to_covered_only`).
    pub async fn dispatch_approving(
        &self,
        head: &str,
        channel: &str,
        body: Value,
        approve: Option<Value>,
    ) -> Value {
        let r = self
            .call("POST", "/api/v1/requests", Some(head), Some(body))
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "[{}] {}",
            self.name,
            r.text()
        );
        let id = r.json()["id"].as_str().expect("id").to_string();
        let path = format!("/api/v1/requests/{id}");
        let s = self
            .call("POST", &format!("{path}/submit"), Some(head), None)
            .await;
        assert_eq!(s.status, StatusCode::OK, "[{}] {}", self.name, s.text());
        let d = self
            .call("POST", &format!("{path}/approve"), Some(channel), approve)
            .await;
        assert_eq!(
            d.json()["state"],
            "dispatched",
            "[{}] {}",
            self.name,
            d.text()
        );
        d.json()
    }

    /// The id of a partner by code, as the admin sees it.
    pub async fn partner_id(&self, code: &str) -> String {
        let id = liaison_db::partner::resolve_partner_ref(&self.db, code)
            .await
            .expect("query")
            .expect("partner");
        id.to_string()
    }
}
