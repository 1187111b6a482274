//! The admin pages of issue 9 (item 11's dead ends): a user changed and deactivated (their
//! sessions end, their login is refused), never one's own admin access; a department renamed
//! and given a head; the pre-check's sensitive terms edited in the console and read by the next
//! submission. Each refused to partner users and staff; every invalid field reported at once.

use crate::pages::{browser_login, get};
use crate::{TestApp, apps};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

fn post_form(path: &str, cookie: &str, pairs: &[(&str, &str)]) -> Request<Body> {
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

/// The fields a 422 names, sorted.
fn fields(problem: &Value) -> Vec<String> {
    let mut f: Vec<String> = problem["errors"]
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

async fn user(a: &TestApp, email: &str) -> liaison_db::user::User {
    liaison_db::user::list_users(&a.db)
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.email == email)
        .expect("demo user")
}

async fn department(a: &TestApp, code: &str) -> liaison_db::user::Department {
    liaison_db::user::find_department_by_code(&a.db, code)
        .await
        .expect("query")
        .expect("demo department")
}

async fn audited(a: &TestApp, action: &str) -> usize {
    liaison_db::audit::list(&a.db, None, None, 500)
        .await
        .expect("audit log")
        .iter()
        .filter(|r| r.action == action)
        .count()
}

#[tokio::test]
async fn a_deactivated_user_is_logged_out_at_once_and_cannot_log_in() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let admin_token = a.login("admin@demo.example").await;
        let admin = browser_login(a, "admin@demo.example").await;
        let staff_token = a.login("staff@demo.example").await;
        let staff_cookie = browser_login(a, "staff@demo.example").await;
        let staff = user(a, "staff@demo.example").await;
        // Seen once, so the session is cached: deactivation must reach the cache too.
        assert_eq!(
            a.call("GET", "/api/v1/me", Some(&staff_token), None)
                .await
                .status,
            StatusCode::OK
        );

        let path = format!("/api/v1/users/{}", staff.id);
        let r = a
            .call(
                "PATCH",
                &path,
                Some(&admin_token),
                Some(json!({"name": "孙晓明 Sun Xiaoming", "lang": "zh-TW"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(r.json()["name"], "孙晓明 Sun Xiaoming", "[{}]", a.name);
        assert_eq!(r.json()["lang"], "zh-TW", "[{}]", a.name);
        assert_eq!(r.json()["email"], "staff@demo.example", "[{}]", a.name);
        assert_eq!(r.json()["active"], true, "[{}]", a.name);
        assert_eq!(
            a.call("GET", "/api/v1/me", Some(&staff_token), None)
                .await
                .status,
            StatusCode::OK,
            "[{}] a change without a new password keeps the sessions",
            a.name
        );

        // The list links each user to the edit page; the page shows the stored values.
        let list = a.send(get("/console/users", Some(&admin), "zh-CN")).await;
        assert_eq!(list.status, StatusCode::OK, "[{}]", a.name);
        let edit_link = format!("href=\"/console/users/{}\"", staff.id);
        assert!(list.text().contains(&edit_link), "[{}]", a.name);
        let page = format!("/console/users/{}", staff.id);
        let edit = a.send(get(&page, Some(&admin), "zh-CN")).await;
        assert_eq!(edit.status, StatusCode::OK, "[{}] {}", a.name, edit.text());
        let html = edit.text();
        assert!(html.contains("孙晓明 Sun Xiaoming"), "[{}]", a.name);
        assert!(html.contains("账号启用"), "[{}]", a.name);
        assert!(
            html.contains(r#"value="zh-TW" selected"#),
            "[{}] the stored language is chosen",
            a.name
        );

        // Deactivated from the page: the active box left unticked.
        let dept = staff
            .department_id
            .expect("staff has a department")
            .to_string();
        let r = a
            .send(post_form(
                &page,
                &admin,
                &[
                    ("_csrf", &crate::pages::csrf(&admin)),
                    ("name", "孙晓明 Sun Xiaoming"),
                    ("email", "staff@demo.example"),
                    ("roles", "staff"),
                    ("department", &dept),
                    ("partner", ""),
                    ("lang", "zh-CN"),
                    ("password", ""),
                ],
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{}] {}", a.name, r.text());
        assert_eq!(
            a.call("GET", "/api/v1/me", Some(&staff_token), None)
                .await
                .status,
            StatusCode::UNAUTHORIZED,
            "[{}] the token stops working at once",
            a.name
        );
        let home = a
            .send(get("/console/home", Some(&staff_cookie), "zh-CN"))
            .await;
        assert_ne!(home.status, StatusCode::OK, "[{}] the cookie too", a.name);
        let login = a
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"email": "staff@demo.example", "password": "liaison-demo"})),
            )
            .await;
        assert_eq!(login.status, StatusCode::UNAUTHORIZED, "[{}]", a.name);
        let list = a
            .send(get("/console/users", Some(&admin), "zh-CN"))
            .await
            .text();
        assert!(
            list.contains("user-inactive") && list.contains("已停用"),
            "[{}] the list shows the deactivated user as such",
            a.name
        );
        assert!(audited(a, "user.update").await >= 2, "[{}]", a.name);

        // Active again through the API: the same password logs in.
        let r = a
            .call(
                "PATCH",
                &path,
                Some(&admin_token),
                Some(json!({"active": true})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(r.json()["name"], "孙晓明 Sun Xiaoming", "[{}]", a.name);
        a.login("staff@demo.example").await;
    }
}

#[tokio::test]
async fn an_admin_cannot_deactivate_themselves_or_drop_their_own_admin_role() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let token = a.login("admin@demo.example").await;
        let cookie = browser_login(a, "admin@demo.example").await;
        let me = user(a, "admin@demo.example").await;
        let path = format!("/api/v1/users/{}", me.id);
        let r = a
            .call(
                "PATCH",
                &path,
                Some(&token),
                Some(json!({"active": false, "roles": ["staff"], "name": ""})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            r.text()
        );
        assert_eq!(
            fields(&r.json()),
            ["active", "name", "roles"],
            "[{}]",
            a.name
        );
        let codes = r.json()["errors"].to_string();
        assert!(
            codes.contains("validate.deactivate_self") && codes.contains("validate.keep_own_admin"),
            "[{}] {codes}",
            a.name
        );
        let page = format!("/console/users/{}", me.id);
        let r = a
            .send(post_form(
                &page,
                &cookie,
                &[
                    ("_csrf", &crate::pages::csrf(&cookie)),
                    ("name", "系统管理员 Admin"),
                    ("email", "admin@demo.example"),
                    ("roles", "channel_manager"),
                ],
            ))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        let html = r.text();
        assert!(
            html.contains("您不能停用自己的账号") && html.contains("您不能移除自己的管理员角色"),
            "[{}] both refusals beside their fields",
            a.name
        );
        assert!(html.contains(r#"id="error-active""#), "[{}]", a.name);
        // Still an active admin, still logged in.
        let me = a.call("GET", "/api/v1/me", Some(&token), None).await;
        assert_eq!(me.status, StatusCode::OK, "[{}]", a.name);
        assert!(
            me.json()["permissions"].to_string().contains("admin_users"),
            "[{}] {}",
            a.name,
            me.text()
        );
        // Other changes to oneself are fine.
        let r = a
            .call("PATCH", &path, Some(&token), Some(json!({"lang": "en"})))
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
    }
}

#[tokio::test]
async fn a_department_renamed_and_given_a_new_head_shows_on_the_users_page() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let admin = browser_login(a, "admin@demo.example").await;
        let token = a.login("admin@demo.example").await;
        let rnd = department(a, "rnd").await;
        let exec = user(a, "exec@demo.example").await;
        let r = a
            .send(post_form(
                &format!("/console/departments/{}", rnd.id),
                &admin,
                &[
                    ("_csrf", &crate::pages::csrf(&admin)),
                    ("name", "研发中心"),
                    ("name_en", "R&D Centre"),
                    ("head", &exec.id.to_string()),
                ],
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{}] {}", a.name, r.text());
        let page = a
            .send(get(
                "/console/users?department_saved=1",
                Some(&admin),
                "zh-CN",
            ))
            .await
            .text();
        let section = page
            .split(r#"id="dept-rnd""#)
            .nth(1)
            .and_then(|s| s.split("</details>").next())
            .unwrap_or("");
        assert!(
            section.contains("研发中心")
                && section.contains("R&amp;D Centre")
                && section.contains(&exec.name),
            "[{}] {section}",
            a.name
        );
        assert!(page.contains(r#"id="department-saved""#), "[{}]", a.name);

        // Through the API: the head by e-mail; other fields stay.
        let path = format!("/api/v1/departments/{}", rnd.id);
        let r = a
            .call(
                "PATCH",
                &path,
                Some(&token),
                Some(json!({"head": "channel@demo.example"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        assert_eq!(r.json()["name"], "研发中心", "[{}]", a.name);
        assert_eq!(r.json()["head_name"], "陈立 Chen Li", "[{}]", a.name);
        let list = a
            .call("GET", "/api/v1/departments", Some(&token), None)
            .await
            .json();
        assert!(
            list["items"]
                .as_array()
                .is_some_and(|d| d.iter().any(|d| d["code"] == "rnd"
                    && d["head_name"] == "陈立 Chen Li"
                    && d["name_en"] == "R&D Centre")),
            "[{}] {list}",
            a.name
        );
        let r = a
            .call("PATCH", &path, Some(&token), Some(json!({"head": ""})))
            .await;
        assert!(
            r.json()["head_user_id"].is_null(),
            "[{}] {}",
            a.name,
            r.text()
        );
        assert_eq!(audited(a, "department.update").await, 3, "[{}]", a.name);
    }
}

#[tokio::test]
async fn terms_saved_from_the_page_change_what_the_next_submission_flags() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let admin = browser_login(a, "admin@demo.example").await;
        let page = a
            .send(get("/console/settings/review", Some(&admin), "zh-CN"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "[{}] {}", a.name, page.text());
        let html = page.text();
        assert!(
            html.contains("底价") && html.contains("保证收益") && html.contains(r#"value="14""#),
            "[{}] the current terms and notice period",
            a.name
        );
        assert!(
            html.contains(r#"href="/console/settings/review""#),
            "[{}] linked from the admin menu",
            a.name
        );
        let r = a
            .send(post_form(
                "/console/settings/review",
                &admin,
                &[
                    ("_csrf", &crate::pages::csrf(&admin)),
                    ("sensitive_terms", "渠道返点\r\n底价\r\n\r\n渠道返点\r\n"),
                    ("policy_notice_days", "21"),
                    ("need_all_steps", "channel_review"),
                ],
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{}] {}", a.name, r.text());
        let shown = a
            .send(get(
                "/console/settings/review?saved=1",
                Some(&admin),
                "zh-CN",
            ))
            .await
            .text();
        assert!(
            shown.contains("渠道返点\n底价</textarea>") && shown.contains(r#"value="21""#),
            "[{}] the saved values",
            a.name
        );
        let staff = a.login("staff@demo.example").await;
        let api = a
            .call("GET", "/api/v1/settings/review", Some(&staff), None)
            .await
            .json();
        assert_eq!(
            api,
            json!({"policy_notice_days": 21, "sensitive_terms": ["渠道返点", "底价"],
                   "need_all_steps": ["channel_review"], "policy_kind_notice_days": {}}),
            "[{}]",
            a.name
        );
        assert_eq!(audited(a, "settings.update").await, 1, "[{}]", a.name);

        // The next submission is checked against the new list: the new term flagged, a term
        // taken off no longer.
        let r = a
            .call(
                "POST",
                "/api/v1/requests",
                Some(&staff),
                Some(json!({
                    "title": "季度渠道返点说明", "purpose": "告知返点政策",
                    "body": "本季度渠道返点按销量计算，保证收益不变。",
                    "audience": {"partners": [a.partner_id("SH-D001").await]},
                })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
        let id = r.json()["id"].as_str().expect("id").to_string();
        let s = a
            .call(
                "POST",
                &format!("/api/v1/requests/{id}/submit"),
                Some(&staff),
                None,
            )
            .await;
        assert_eq!(s.status, StatusCode::OK, "[{}] {}", a.name, s.text());
        let findings = s.json()["findings"].clone();
        let terms: Vec<&str> = findings
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["code"] == "sensitive_term")
            .filter_map(|f| f["term"].as_str())
            .collect();
        assert_eq!(terms, ["渠道返点"], "[{}] {findings}", a.name);
    }
}

#[tokio::test]
async fn the_admin_pages_and_endpoints_refuse_partner_users_and_staff() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let target = user(a, "head@demo.example").await;
        let dept = department(a, "sales").await;
        for who in ["p1@demo.example", "p2@demo.example", "staff@demo.example"] {
            let token = a.login(who).await;
            let cookie = browser_login(a, who).await;
            let t = crate::pages::csrf(&cookie);
            for page in [
                format!("/console/users/{}", target.id),
                "/console/settings/review".to_string(),
            ] {
                let r = a.send(get(&page, Some(&cookie), "zh-CN")).await;
                assert_eq!(r.status, StatusCode::FORBIDDEN, "[{}] {who} {page}", a.name);
            }
            for (page, pairs) in [
                (
                    format!("/console/users/{}", target.id),
                    vec![
                        ("name", "篡改"),
                        ("email", "head@demo.example"),
                        ("roles", "admin"),
                    ],
                ),
                (
                    format!("/console/departments/{}", dept.id),
                    vec![("name", "篡改"), ("head", "")],
                ),
                (
                    "/console/settings/review".to_string(),
                    vec![("sensitive_terms", "无"), ("policy_notice_days", "1")],
                ),
            ] {
                let mut all = vec![("_csrf", t.as_str())];
                all.extend(pairs);
                let r = a.send(post_form(&page, &cookie, &all)).await;
                assert_eq!(r.status, StatusCode::FORBIDDEN, "[{}] {who} {page}", a.name);
            }
            for (method, path, body) in [
                (
                    "PATCH",
                    format!("/api/v1/users/{}", target.id),
                    json!({"roles": ["admin"]}),
                ),
                (
                    "PATCH",
                    format!("/api/v1/departments/{}", dept.id),
                    json!({"name": "篡改"}),
                ),
                (
                    "PUT",
                    "/api/v1/settings/review".to_string(),
                    json!({"sensitive_terms": []}),
                ),
            ] {
                let r = a.call(method, &path, Some(&token), Some(body)).await;
                assert_eq!(
                    r.status,
                    StatusCode::FORBIDDEN,
                    "[{}] {who} {method} {path}: {}",
                    a.name,
                    r.text()
                );
            }
        }
        // Nothing changed.
        assert_eq!(user(a, "head@demo.example").await.roles, target.roles);
        assert_eq!(department(a, "sales").await.name, "销售部");
        assert_eq!(audited(a, "settings.update").await, 0, "[{}]", a.name);
        let anonymous = a
            .call(
                "PATCH",
                &format!("/api/v1/users/{}", target.id),
                None,
                Some(json!({"active": false})),
            )
            .await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "[{}]", a.name);
    }
}

#[tokio::test]
async fn bad_input_is_refused_with_every_invalid_field() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let token = a.login("admin@demo.example").await;
        let admin = browser_login(a, "admin@demo.example").await;
        let staff = user(a, "staff@demo.example").await;
        let p1 = user(a, "p1@demo.example").await;
        let sales = department(a, "sales").await;

        let path = format!("/api/v1/users/{}", staff.id);
        let r = a
            .call(
                "PATCH",
                &path,
                Some(&token),
                Some(
                    json!({"email": "not-an-email", "name": "", "roles": ["boss"],
                            "department": "nowhere", "lang": "fr", "password": "short"}),
                ),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            r.text()
        );
        assert_eq!(
            fields(&r.json()),
            ["department", "email", "lang", "name", "password", "roles"],
            "[{}] {}",
            a.name,
            r.text()
        );
        let r = a
            .call(
                "PATCH",
                &path,
                Some(&token),
                Some(json!({"nickname": "小孙"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        assert_eq!(fields(&r.json()), ["nickname"], "[{}]", a.name);
        let r = a
            .call(
                "PATCH",
                &format!("/api/v1/users/{}", uuid::Uuid::now_v7()),
                Some(&token),
                Some(json!({"name": "无人"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{}]", a.name);
        assert_eq!(
            user(a, "staff@demo.example").await.name,
            staff.name,
            "[{}] nothing written",
            a.name
        );

        let dpath = format!("/api/v1/departments/{}", sales.id);
        let r = a
            .call(
                "PATCH",
                &dpath,
                Some(&token),
                Some(json!({"name": " ", "name_en": "S".repeat(101), "head": "p1@demo.example"})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            a.name,
            r.text()
        );
        assert_eq!(
            fields(&r.json()),
            ["head", "name", "name_en"],
            "[{}] a partner user heads no department",
            a.name
        );

        let r = a
            .call(
                "PUT",
                "/api/v1/settings/review",
                Some(&token),
                Some(
                    json!({"policy_notice_days": 0, "sensitive_terms": ["长".repeat(51)],
                            "need_all_steps": ["ceo"]}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        assert_eq!(
            fields(&r.json()),
            ["need_all_steps", "policy_notice_days", "sensitive_terms"],
            "[{}] {}",
            a.name,
            r.text()
        );

        // The pages: every error beside its field, in Chinese, the typed values kept.
        let r = a
            .send(post_form(
                &format!("/console/users/{}", staff.id),
                &admin,
                &[
                    ("_csrf", &crate::pages::csrf(&admin)),
                    ("name", "孙晓明"),
                    ("email", "孙晓明@"),
                    ("partner", "NO-SUCH"),
                    ("password", "short"),
                    ("active", "1"),
                ],
            ))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        let html = r.text();
        for f in ["email", "roles", "partner", "password"] {
            assert!(
                html.contains(&format!(r#"id="error-{f}""#)),
                "[{}] {f} has its error",
                a.name
            );
        }
        assert!(html.contains("孙晓明@"), "[{}] typed values kept", a.name);
        assert!(!html.contains("is required"), "[{}]", a.name);

        let r = a
            .send(post_form(
                &format!("/console/departments/{}", sales.id),
                &admin,
                &[
                    ("_csrf", &crate::pages::csrf(&admin)),
                    ("name", ""),
                    ("name_en", "Sales"),
                    ("head", &p1.id.to_string()),
                ],
            ))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        let section = r
            .text()
            .split(r#"id="dept-sales""#)
            .nth(1)
            .and_then(|s| s.split("</details>").next())
            .unwrap_or("")
            .to_string();
        assert_eq!(
            section.matches(r#"class="field-error""#).count(),
            2,
            "[{}] name and head: {section}",
            a.name
        );
        assert!(section.contains("不能为空"), "[{}]", a.name);

        let r = a
            .send(post_form(
                "/console/settings/review",
                &admin,
                &[
                    ("_csrf", &crate::pages::csrf(&admin)),
                    ("sensitive_terms", &format!("新词\n{}", "长".repeat(51))),
                    ("policy_notice_days", "两周"),
                ],
            ))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}]", a.name);
        let html = r.text();
        assert!(
            html.contains(r#"id="error-sensitive_terms""#)
                && html.contains(r#"id="error-policy_notice_days""#)
                && html.contains("两周"),
            "[{}]",
            a.name
        );
        assert_eq!(
            audited(a, "settings.update").await,
            0,
            "[{}] nothing saved",
            a.name
        );
    }
}
