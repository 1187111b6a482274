//! Account security over the API and the pages (issue 15 item 4, policy §7.2.3, SPEC G8):
//! enrolling a second factor, logging in with it (the `totp-required` answer, a wrong code
//! counting as a failed login, replays and recovery codes refused a second time), remind and
//! enforce, one's sessions and "log out everywhere else", breached passwords, and the alert at a
//! login from a new device. The clock is the test's, so TOTP steps move only when it says.

use crate::{TestApp, apps_with};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use liaison_core::totp;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const FIREFOX_MAC: &str =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0";

/// Saturday 5 December 2026, 10:00:05 UTC: five seconds into a TOTP step.
fn start() -> Arc<liaison_core::FixedClock> {
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-05T10:00:05Z")
        .expect("time")
        .with_timezone(&chrono::Utc);
    Arc::new(liaison_core::FixedClock::new(at))
}

fn step(a: &TestApp) -> u64 {
    totp::step_at(a.db.now().timestamp())
}

fn code_at(secret: &str, step: u64) -> String {
    totp::code(&totp::base32_decode(secret).expect("base32"), step)
}

async fn login_with(a: &TestApp, email: &str, body: Value, ua: Option<&str>) -> crate::Reply {
    let mut b = Request::builder()
        .method("POST")
        .uri("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(ua) = ua {
        b = b.header(header::USER_AGENT, ua);
    }
    let mut body = body;
    body["email"] = json!(email);
    if body.get("password").is_none() {
        body["password"] = json!("liaison-demo");
    }
    a.send(b.body(Body::from(body.to_string())).expect("request"))
        .await
}

/// Starts and confirms a second factor for the holder of `token`; answers the secret and the
/// recovery codes. The confirming code uses up the current step.
async fn enrol(a: &TestApp, token: &str) -> (String, Vec<String>) {
    let r = a.call("POST", "/api/v1/me/totp", Some(token), None).await;
    assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
    let secret = r.json()["secret"].as_str().expect("secret").to_string();
    let c = a
        .call(
            "POST",
            "/api/v1/me/totp/confirm",
            Some(token),
            Some(json!({"code": code_at(&secret, step(a))})),
        )
        .await;
    assert_eq!(c.status, StatusCode::OK, "[{}] {}", a.name, c.text());
    let codes: Vec<String> = c.json()["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    (secret, codes)
}

fn problem_type(r: &crate::Reply) -> String {
    r.json()["type"].as_str().unwrap_or("").to_string()
}

/// §7.2.3: exec@ enrols (not in force before confirmation), then logs in only with a code:
/// without one the answer is 401 `totp-required`; a code of the previous step is accepted, the
/// same step twice or one two steps back is not; a recovery code works once; turning it off
/// needs a proof.
#[tokio::test]
async fn an_enrolled_executive_logs_in_with_a_code_and_replays_are_refused() {
    let clock = start();
    let (apps, _g) = apps_with(clock.clone()).await;
    for a in &apps {
        let exec = a.login("exec@demo.example").await;
        let r = a.call("POST", "/api/v1/me/totp", Some(&exec), None).await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
        let secret = r.json()["secret"].as_str().expect("secret").to_string();
        assert_eq!(
            totp::base32_decode(&secret).map(|b| b.len()),
            Some(totp::SECRET_BYTES)
        );
        let url = r.json()["otpauth_url"].as_str().unwrap_or("").to_string();
        assert_eq!(
            url,
            format!(
                "otpauth://totp/Liaison:exec@demo.example?secret={secret}&issuer=Liaison&algorithm=SHA1&digits=6&period=30"
            )
        );
        // Not in force until confirmed: the password alone still logs in.
        let plain = login_with(a, "exec@demo.example", json!({}), None).await;
        assert_eq!(
            plain.status,
            StatusCode::OK,
            "[{}] {}",
            a.name,
            plain.text()
        );
        let wrong = a
            .call(
                "POST",
                "/api/v1/me/totp/confirm",
                Some(&exec),
                Some(json!({"code": code_at(&secret, step(a) + 5)})),
            )
            .await;
        assert_eq!(
            wrong.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}]",
            a.name
        );
        let s0 = step(a);
        let ok = a
            .call(
                "POST",
                "/api/v1/me/totp/confirm",
                Some(&exec),
                Some(json!({"code": code_at(&secret, s0)})),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "[{}] {}", a.name, ok.text());
        let codes: Vec<String> = ok.json()["recovery_codes"]
            .as_array()
            .expect("codes")
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        assert_eq!(codes.len(), 10);
        // Stored sealed and hashed: neither the secret nor a code is in the database as is.
        let stored: Vec<(String,)> = liaison_db_rows(
            a,
            "SELECT secret FROM user_totp UNION ALL SELECT code_hash FROM totp_recovery_codes",
        )
        .await;
        assert!(
            stored
                .iter()
                .all(|(v,)| !v.contains(&secret) && !codes.iter().any(|c| v.contains(c.as_str())))
        );
        assert!(stored.iter().any(|(v,)| v.starts_with("enc:v1:")), "sealed");

        // Without the code: 401 problem+json of type totp-required.
        let none = login_with(a, "exec@demo.example", json!({}), None).await;
        assert_eq!(none.status, StatusCode::UNAUTHORIZED, "[{}]", a.name);
        assert!(none.content_type.starts_with("application/problem+json"));
        assert!(
            problem_type(&none).ends_with("totp-required"),
            "{}",
            none.text()
        );
        // A wrong password is still plain unauthenticated (enrolment is not revealed).
        let bad = login_with(
            a,
            "exec@demo.example",
            json!({"password": "not-the-password", "totp": code_at(&secret, s0)}),
            None,
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
        assert!(
            problem_type(&bad).ends_with("/unauthenticated"),
            "{}",
            bad.text()
        );
        // The confirming code's step is used up: the same code again is a replay.
        let replay = login_with(
            a,
            "exec@demo.example",
            json!({"totp": code_at(&secret, s0)}),
            None,
        )
        .await;
        assert_eq!(
            replay.status,
            StatusCode::UNAUTHORIZED,
            "[{}] replay",
            a.name
        );
        assert!(problem_type(&replay).ends_with("totp-required"));
        // Two steps later, the code of the previous step (never used) is accepted ...
        clock.advance(chrono::Duration::seconds(60));
        let prev = login_with(
            a,
            "exec@demo.example",
            json!({"totp": code_at(&secret, s0 + 1)}),
            None,
        )
        .await;
        assert_eq!(
            prev.status,
            StatusCode::OK,
            "[{}] previous step: {}",
            a.name,
            prev.text()
        );
        // ... and then neither it again nor the current one of an older step, nor two back.
        let again = login_with(
            a,
            "exec@demo.example",
            json!({"totp": code_at(&secret, s0 + 1)}),
            None,
        )
        .await;
        assert_eq!(
            again.status,
            StatusCode::UNAUTHORIZED,
            "[{}] same step twice",
            a.name
        );
        clock.advance(chrono::Duration::seconds(30));
        let two_back = login_with(
            a,
            "exec@demo.example",
            json!({"totp": code_at(&secret, s0 + 1)}),
            None,
        )
        .await;
        assert_eq!(
            two_back.status,
            StatusCode::UNAUTHORIZED,
            "[{}] two steps back",
            a.name
        );
        let now = login_with(
            a,
            "exec@demo.example",
            json!({"totp": code_at(&secret, step(a))}),
            None,
        )
        .await;
        assert_eq!(now.status, StatusCode::OK, "[{}] {}", a.name, now.text());
        let token = now.json()["token"].as_str().expect("token").to_string();
        let me = a.call("GET", "/api/v1/me", Some(&token), None).await;
        assert_eq!(me.json()["user"]["email"], "exec@demo.example");

        // A recovery code works once, in any case and grouping.
        let rc = codes[3].to_uppercase().replace('-', " ");
        let first = login_with(a, "exec@demo.example", json!({"totp": rc}), None).await;
        assert_eq!(
            first.status,
            StatusCode::OK,
            "[{}] {}",
            a.name,
            first.text()
        );
        let second = login_with(a, "exec@demo.example", json!({"totp": codes[3]}), None).await;
        assert_eq!(
            second.status,
            StatusCode::UNAUTHORIZED,
            "[{}] a recovery code twice",
            a.name
        );
        let status = a.call("GET", "/api/v1/me/totp", Some(&token), None).await;
        assert_eq!(status.json()["enrolled"], true);
        assert_eq!(status.json()["recovery_codes_left"], 9);
        // Nobody else's: another partner's user and staff see only their own (none), and
        // turning "theirs" off leaves exec's in force.
        for who in ["p2@demo.example", "staff@demo.example"] {
            let t = a.login(who).await;
            let theirs = a.call("GET", "/api/v1/me/totp", Some(&t), None).await;
            assert_eq!(theirs.json()["enrolled"], false, "[{}] {who}", a.name);
            let off = a
                .call("DELETE", "/api/v1/me/totp", Some(&t), Some(json!({})))
                .await;
            assert_eq!(off.status, StatusCode::NO_CONTENT, "[{}] {who}", a.name);
        }
        let still = login_with(a, "exec@demo.example", json!({}), None).await;
        assert!(
            problem_type(&still).ends_with("totp-required"),
            "[{}] exec's second factor is still in force",
            a.name
        );

        // Turning it off needs a proof; a wrong one is refused, the password does it.
        let no_proof = a
            .call("DELETE", "/api/v1/me/totp", Some(&token), Some(json!({})))
            .await;
        assert_eq!(no_proof.status, StatusCode::UNPROCESSABLE_ENTITY);
        let wrong_pw = a
            .call(
                "DELETE",
                "/api/v1/me/totp",
                Some(&token),
                Some(json!({"password": "nope-nope-nope"})),
            )
            .await;
        assert_eq!(wrong_pw.status, StatusCode::UNPROCESSABLE_ENTITY);
        let off = a
            .call(
                "DELETE",
                "/api/v1/me/totp",
                Some(&token),
                Some(json!({"password": "liaison-demo"})),
            )
            .await;
        assert_eq!(
            off.status,
            StatusCode::NO_CONTENT,
            "[{}] {}",
            a.name,
            off.text()
        );
        let plain = login_with(a, "exec@demo.example", json!({}), None).await;
        assert_eq!(
            plain.status,
            StatusCode::OK,
            "[{}] the password alone again",
            a.name
        );
    }
}

async fn liaison_db_rows(a: &TestApp, sql: &'static str) -> Vec<(String,)> {
    a.db.fetch_all::<String>(liaison_db::q(sql))
        .await
        .expect("rows")
        .into_iter()
        .map(|r| (r,))
        .collect()
}

/// §7.2.3, the limiter: a wrong code counts as a failed login, so after the free failures the
/// pair is slowed (429) even with the right code.
#[tokio::test]
async fn a_wrong_code_counts_as_a_failed_login() {
    let clock = start();
    let (apps, _g) = apps_with(clock.clone()).await;
    for a in &apps {
        let staff = a.login("staff@demo.example").await;
        let (secret, _) = enrol(a, &staff).await;
        let s = step(a);
        for _ in 0..4 {
            let r = login_with(
                a,
                "staff@demo.example",
                json!({"totp": code_at(&secret, s + 7)}),
                None,
            )
            .await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "[{}] {}",
                a.name,
                r.text()
            );
        }
        clock.advance(chrono::Duration::seconds(30));
        let slowed = login_with(
            a,
            "staff@demo.example",
            json!({"totp": code_at(&secret, step(a))}),
            None,
        )
        .await;
        assert_eq!(
            slowed.status,
            StatusCode::TOO_MANY_REQUESTS,
            "[{}] {}",
            a.name,
            slowed.text()
        );
    }
}

/// §7.2.3: in `remind` (the demo's mode) an unenrolled executive works and sees the banner; in
/// `enforce` their API calls are refused with 403 `totp-enrolment-required` except enrolment,
/// their pages lead to the enrolment page, and once enrolled everything answers again. Others
/// are not held. Only admins change the mode.
#[tokio::test]
async fn enforce_holds_an_unenrolled_executive_to_enrolment_and_remind_only_asks() {
    let clock = start();
    let (apps, _g) = apps_with(clock.clone()).await;
    for a in &apps {
        let admin = a.login("admin@demo.example").await;
        let mode = a
            .call("GET", "/api/v1/security-settings", Some(&admin), None)
            .await;
        assert_eq!(
            mode.json()["totp_mode"],
            "remind",
            "[{}] the demo reminds",
            a.name
        );
        let exec = a.login("exec@demo.example").await;
        let partners = a.call("GET", "/api/v1/partners", Some(&exec), None).await;
        assert_eq!(
            partners.status,
            StatusCode::OK,
            "[{}] remind lets them work",
            a.name
        );
        let cookie = crate::pages::browser_login(a, "exec@demo.example").await;
        let page = a
            .send(crate::pages::get("/console/partners", Some(&cookie), "en"))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text().contains("id=\"totp-remind\""),
            "[{}] the banner",
            a.name
        );
        let staff_cookie = crate::pages::browser_login(a, "staff@demo.example").await;
        let staff_page = a
            .send(crate::pages::get(
                "/console/partners",
                Some(&staff_cookie),
                "en",
            ))
            .await;
        assert!(
            !staff_page.text().contains("id=\"totp-remind\""),
            "staff are not asked"
        );

        // Neither a partner's user nor staff may change the mode.
        for who in ["staff@demo.example", "p1@demo.example"] {
            let t = a.login(who).await;
            let r = a
                .call(
                    "PUT",
                    "/api/v1/security-settings",
                    Some(&t),
                    Some(json!({"totp_mode": "enforce"})),
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "[{}] {who}", a.name);
        }
        let p1 = a.login("p1@demo.example").await;
        let r = a
            .call("GET", "/api/v1/security-settings", Some(&p1), None)
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "[{}] a partner's user",
            a.name
        );

        let set = a
            .call(
                "PUT",
                "/api/v1/security-settings",
                Some(&admin),
                Some(json!({"totp_mode": "enforce"})),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "[{}] {}", a.name, set.text());
        let bad = a
            .call(
                "PUT",
                "/api/v1/security-settings",
                Some(&admin),
                Some(json!({"totp_mode": "sometimes"})),
            )
            .await;
        assert_eq!(
            bad.status,
            StatusCode::FORBIDDEN,
            "[{}] the admin too is held now: {}",
            a.name,
            bad.text()
        );

        // The executive: logs in, but only enrolment answers.
        let held = a.call("GET", "/api/v1/partners", Some(&exec), None).await;
        assert_eq!(
            held.status,
            StatusCode::FORBIDDEN,
            "[{}] {}",
            a.name,
            held.text()
        );
        assert!(
            problem_type(&held).ends_with("totp-enrolment-required"),
            "{}",
            held.text()
        );
        let me = a.call("GET", "/api/v1/me", Some(&exec), None).await;
        assert_eq!(me.status, StatusCode::OK);
        let page = a
            .send(crate::pages::get("/console/partners", Some(&cookie), "en"))
            .await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "[{}] the page leads to enrolment",
            a.name
        );
        let enrol_page = a
            .send(crate::pages::get("/account/security", Some(&cookie), "en"))
            .await;
        assert_eq!(enrol_page.status, StatusCode::OK);
        assert!(enrol_page.text().contains("id=\"totp-enforced\""));
        // Staff are not held.
        let staff = a.login("staff@demo.example").await;
        let free = a.call("GET", "/api/v1/partners", Some(&staff), None).await;
        assert_eq!(free.status, StatusCode::OK, "[{}] staff", a.name);

        enrol(a, &exec).await;
        let back = a.call("GET", "/api/v1/partners", Some(&exec), None).await;
        assert_eq!(
            back.status,
            StatusCode::OK,
            "[{}] enrolled: {}",
            a.name,
            back.text()
        );
        clock.advance(chrono::Duration::seconds(30));
    }
}

/// §7.2.3: one's live sessions are listed with their device, and "log out everywhere else"
/// ends the others at once (their tokens answer 401); another partner's user cannot end
/// someone else's session.
#[tokio::test]
async fn sessions_are_listed_and_logged_out_everywhere_else() {
    let (apps, _g) = apps_with(start()).await;
    for a in &apps {
        let first = login_with(a, "p1@demo.example", json!({}), Some(CHROME_WINDOWS)).await;
        let t1 = first.json()["token"].as_str().expect("token").to_string();
        let second = login_with(a, "p1@demo.example", json!({}), Some(FIREFOX_MAC)).await;
        let t2 = second.json()["token"].as_str().expect("token").to_string();
        let list = a.call("GET", "/api/v1/me/sessions", Some(&t1), None).await;
        assert_eq!(list.status, StatusCode::OK, "[{}] {}", a.name, list.text());
        let items = list.json()["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 2, "[{}] {}", a.name, list.text());
        let current: Vec<&Value> = items.iter().filter(|i| i["current"] == true).collect();
        assert_eq!(current.len(), 1);
        assert_eq!(current[0]["device"], "Chrome · Windows");
        let other = items
            .iter()
            .find(|i| i["current"] == false)
            .expect("the other");
        assert_eq!(other["device"], "Firefox · macOS");
        assert_eq!(other["kind"], "api");
        let other_id = other["id"].as_str().expect("id").to_string();

        // p2 (another partner's user) and staff cannot end p1's session: it does not exist for them.
        for who in ["p2@demo.example", "staff@demo.example"] {
            let t = a.login(who).await;
            let r = a
                .call(
                    "DELETE",
                    &format!("/api/v1/me/sessions/{other_id}"),
                    Some(&t),
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{}] {who}", a.name);
            let mine = a.call("GET", "/api/v1/me/sessions", Some(&t), None).await;
            assert!(
                !mine.text().contains(&other_id),
                "[{}] {who} sees only their own",
                a.name
            );
        }
        let still = a.call("GET", "/api/v1/me", Some(&t2), None).await;
        assert_eq!(
            still.status,
            StatusCode::OK,
            "[{}] p1's other session lives",
            a.name
        );

        let out = a
            .call("DELETE", "/api/v1/me/sessions", Some(&t1), None)
            .await;
        assert_eq!(out.status, StatusCode::OK, "[{}] {}", a.name, out.text());
        assert_eq!(out.json()["revoked"], 1);
        let gone = a.call("GET", "/api/v1/me", Some(&t2), None).await;
        assert_eq!(
            gone.status,
            StatusCode::UNAUTHORIZED,
            "[{}] the other token",
            a.name
        );
        let kept = a.call("GET", "/api/v1/me", Some(&t1), None).await;
        assert_eq!(kept.status, StatusCode::OK, "[{}] this one stays", a.name);

        // Ending one by id, then it is gone from the list.
        let t3 = a.login("p1@demo.example").await;
        let list = a.call("GET", "/api/v1/me/sessions", Some(&t1), None).await;
        let third = list.json()["items"]
            .as_array()
            .and_then(|v| v.iter().find(|i| i["current"] == false).cloned())
            .expect("a third session");
        let id = third["id"].as_str().expect("id");
        let r = a
            .call(
                "DELETE",
                &format!("/api/v1/me/sessions/{id}"),
                Some(&t1),
                None,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::NO_CONTENT,
            "[{}] {}",
            a.name,
            r.text()
        );
        assert_eq!(
            a.call("GET", "/api/v1/me", Some(&t3), None).await.status,
            StatusCode::UNAUTHORIZED
        );
        let again = a
            .call(
                "DELETE",
                &format!("/api/v1/me/sessions/{id}"),
                Some(&t1),
                None,
            )
            .await;
        assert_eq!(
            again.status,
            StatusCode::NOT_FOUND,
            "[{}] an ended session",
            a.name
        );
    }
}

/// §7.2.3: a person setting a password from the breached list is refused with its own
/// message, in their language; the demo's password is not on it.
#[tokio::test]
async fn a_breached_password_is_refused() {
    let (apps, _g) = apps_with(start()).await;
    for a in &apps {
        let admin = a.login("admin@demo.example").await;
        for pw in ["woaini1314", "Qq123456789", "1qaz2wsx3edc"] {
            let req = Request::builder()
                .method("POST")
                .uri("/api/v1/users")
                .header(header::AUTHORIZATION, format!("Bearer {admin}"))
                .header(header::ACCEPT_LANGUAGE, "en")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"email": "new-hire@demo.example", "name": "新同事", "password": pw,
                           "roles": ["staff"], "department": "sales"})
                    .to_string(),
                ))
                .expect("request");
            let r = a.send(req).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "[{}] {pw}",
                a.name
            );
            let errors = r.json()["errors"].as_array().cloned().unwrap_or_default();
            let e = errors
                .iter()
                .find(|e| e["field"] == "password")
                .expect("password error");
            assert_eq!(e["code"], "validate.password_breached", "{pw}");
            assert!(
                e["message"].as_str().unwrap_or("").contains("leaked"),
                "{}",
                r.text()
            );
        }
        let ok = a
            .call("POST", "/api/v1/users", Some(&admin), Some(json!({"email": "new-hire@demo.example",
                "name": "新同事", "password": "Liaison-Demo-2026", "roles": ["staff"], "department": "sales"})))
            .await;
        assert_eq!(ok.status, StatusCode::CREATED, "[{}] {}", a.name, ok.text());
    }
}

async fn device_alerts(a: &TestApp, token: &str) -> Vec<Value> {
    let r = a
        .call("GET", "/api/v1/notifications", Some(token), None)
        .await;
    r.json()["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n["kind"] == "login_new_device")
        .collect()
}

/// §7.2.3: the first device of all is not news; a login from a device the person never used
/// is told once (bell and an e-mail job), naming the device and address; the same device again
/// is not.
#[tokio::test]
async fn a_login_from_a_new_device_is_told_once() {
    let (apps, _g) = apps_with(start()).await;
    for a in &apps {
        let first = login_with(a, "head@demo.example", json!({}), Some(CHROME_WINDOWS)).await;
        let t = first.json()["token"].as_str().expect("token").to_string();
        assert!(
            device_alerts(a, &t).await.is_empty(),
            "[{}] the first device",
            a.name
        );
        // A newer Chrome on the same system is the same device.
        login_with(
            a,
            "head@demo.example",
            json!({}),
            Some(&CHROME_WINDOWS.replace("131.0", "132.0")),
        )
        .await;
        assert!(
            device_alerts(a, &t).await.is_empty(),
            "[{}] same device",
            a.name
        );
        let jobs_before = count_notify_jobs(a).await;
        login_with(a, "head@demo.example", json!({}), Some(FIREFOX_MAC)).await;
        let alerts = device_alerts(a, &t).await;
        assert_eq!(alerts.len(), 1, "[{}] {alerts:?}", a.name);
        let title = alerts[0]["title"].as_str().unwrap_or("");
        assert!(
            title.contains("Firefox · macOS") && title.contains("local"),
            "[{}] {title}",
            a.name
        );
        assert_eq!(alerts[0]["link"], "/account/security");
        assert_eq!(
            count_notify_jobs(a).await,
            jobs_before + 1,
            "[{}] the e-mail is queued",
            a.name
        );
        login_with(a, "head@demo.example", json!({}), Some(FIREFOX_MAC)).await;
        assert_eq!(
            device_alerts(a, &t).await.len(),
            1,
            "[{}] told once",
            a.name
        );
    }
}

async fn count_notify_jobs(a: &TestApp) -> i64 {
    a.db.fetch_one::<i64>(liaison_db::q(
        "SELECT COUNT(*) FROM jobs WHERE kind = 'notify'",
    ))
    .await
    .expect("jobs")
}

/// The login form's second step (§7.2.3): a right password for an enrolled account asks for
/// the code (no session yet, the password not in the page), a wrong code says so, the right
/// one opens the session. The account security page shows the enrolment's QR code as SVG.
#[tokio::test]
async fn the_login_form_asks_for_the_code_after_the_password() {
    let clock = start();
    let (apps, _g) = apps_with(clock.clone()).await;
    for a in &apps {
        // The page is everyone's, in every language, with no raw keys: p1's in the portal.
        let p1 = crate::pages::browser_login(a, "p1@demo.example").await;
        for lang in ["zh-CN", "zh-TW", "en"] {
            let page = a
                .send(crate::pages::get("/account/security", Some(&p1), lang))
                .await;
            assert_eq!(page.status, StatusCode::OK, "[{}] {lang}", a.name);
            let html = page.text();
            assert!(html.contains("id=\"session-table\"") && html.contains("id=\"totp-start\""));
            assert!(
                !html.contains("security.") && !html.contains("login."),
                "[{}] {lang}: raw keys",
                a.name
            );
            assert!(
                !html.contains("id=\"mode-form\""),
                "the mode is the admin's"
            );
        }
        // Enrolling on the page: the QR code and the written-out key.
        let cookie = crate::pages::browser_login(a, "exec@demo.example").await;
        let csrf = crate::pages::csrf(&cookie);
        let started = post_form(
            a,
            "/account/security/totp/start",
            &cookie,
            &[("_csrf", &csrf)],
        )
        .await;
        assert_eq!(started.0, StatusCode::SEE_OTHER);
        let page = a
            .send(crate::pages::get("/account/security", Some(&cookie), "en"))
            .await;
        let html = page.text();
        assert!(
            html.contains("<svg id=\"totp-qr\""),
            "[{}] the QR code",
            a.name
        );
        let secret: String = html
            .split("id=\"totp-secret\">")
            .nth(1)
            .and_then(|r| r.split('<').next())
            .expect("the key on the page")
            .replace(' ', "");
        let confirmed = post_form(
            a,
            "/account/security/totp/confirm",
            &cookie,
            &[("_csrf", &csrf), ("code", &code_at(&secret, step(a)))],
        )
        .await;
        assert_eq!(confirmed.0, StatusCode::OK, "[{}] {}", a.name, confirmed.2);
        assert!(confirmed.2.contains("id=\"recovery-codes\""), "shown once");
        let again = a
            .send(crate::pages::get("/account/security", Some(&cookie), "en"))
            .await;
        assert!(!again.text().contains("id=\"recovery-codes\""), "only once");
        assert!(again.text().contains("data-state=\"on\""));
        clock.advance(chrono::Duration::seconds(30));

        let (status, _, body) = login_form(
            a,
            &[("email", "exec@demo.example"), ("password", "liaison-demo")],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "[{}] {body}", a.name);
        assert!(
            body.contains("id=\"totp-form\""),
            "[{}] the second step",
            a.name
        );
        assert!(
            !body.contains("liaison-demo\""),
            "the password is not carried in the page"
        );
        let pending: String = body
            .split("name=\"pending\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("the step's token")
            .to_string();
        let (status, cookie, _) = login_form(a, &[("pending", &pending), ("totp", "000000")]).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "[{}] a wrong code",
            a.name
        );
        assert!(cookie.is_empty());
        let (status, cookie, _) = login_form(
            a,
            &[("pending", &pending), ("totp", &code_at(&secret, step(a)))],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{}] the right code", a.name);
        assert!(cookie.starts_with("liaison_session="), "{cookie}");
        // A forged step token is not a login.
        let (status, cookie, _) = login_form(a, &[("pending", "AAAA"), ("totp", "123456")]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(cookie.is_empty());
        clock.advance(chrono::Duration::seconds(30));
    }
}

/// POSTs a form; the status, the session cookie set (if any) and the body.
async fn login_form(a: &TestApp, pairs: &[(&str, &str)]) -> (StatusCode, String, String) {
    let req = Request::builder()
        .method("POST")
        .uri("/login")
        .header(header::ACCEPT_LANGUAGE, "en")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(
            serde_urlencoded::to_string(pairs).expect("form"),
        ))
        .expect("request");
    send_raw(a, req).await
}

async fn post_form(
    a: &TestApp,
    path: &str,
    cookie: &str,
    pairs: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let req = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT_LANGUAGE, "en")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(
            serde_urlencoded::to_string(pairs).expect("form"),
        ))
        .expect("request");
    send_raw(a, req).await
}

async fn send_raw(a: &TestApp, req: Request<Body>) -> (StatusCode, String, String) {
    use http_body_util::BodyExt;
    let resp = a.router.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let cookie = resp
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .filter(|c| !c.ends_with('='))
        .unwrap_or("")
        .to_string();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, cookie, String::from_utf8_lossy(&body).into_owned())
}

/// §7.2.3: changing one's own password proves the current one, meets the password rules
/// (the breached list included) and ends every other session; the API and the page alike.
/// Another partner's user cannot use p1's password, and a wrong current one counts as a
/// failed login.
#[tokio::test]
async fn one_changes_ones_own_password_and_other_sessions_end() {
    let (apps, _g) = apps_with(start()).await;
    for a in &apps {
        let n = a.name;
        let t1 = a.login("p1@demo.example").await;
        let t2 = a.login("p1@demo.example").await;
        let change = |token: String, current: &'static str, new: &'static str| async move {
            a.call(
                "POST",
                "/api/v1/me/password",
                Some(&token),
                Some(json!({"current": current, "new": new})),
            )
            .await
        };
        let field = |r: &crate::Reply| r.json()["errors"][0]["field"].as_str().map(str::to_string);
        let r = change(t1.clone(), "not-my-password", "Liaison-Demo-2027").await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{n}] {}",
            r.text()
        );
        assert_eq!(field(&r).as_deref(), Some("current"), "[{n}]");
        let r = change(t1.clone(), "liaison-demo", "woaini1314").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert_eq!(field(&r).as_deref(), Some("new"), "[{n}]");
        assert_eq!(r.json()["errors"][0]["code"], "validate.password_breached");
        let r = change(t1.clone(), "liaison-demo", "liaison-demo").await;
        assert_eq!(field(&r).as_deref(), Some("new"), "[{n}] the same one");
        // Another partner's user: p1's password is not theirs.
        let p2 = a.login("p2@demo.example").await;
        let r = a
            .call(
                "POST",
                "/api/v1/me/password",
                Some(&p2),
                Some(json!({"current": "not-p2s", "new": "Liaison-Demo-2027"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}] p2");
        let r = a
            .call(
                "POST",
                "/api/v1/me/password",
                None,
                Some(json!({"current": "liaison-demo", "new": "Liaison-Demo-2027"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{n}] no login");
        let r = a
            .call(
                "POST",
                "/api/v1/me/password",
                Some(&t1),
                Some(json!({"current": "liaison-demo", "new": "Liaison-Demo-2027", "old": 1})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{n}] unknown field"
        );

        let r = change(t1.clone(), "liaison-demo", "Liaison-Demo-2027").await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        assert_eq!(r.json()["sessions_ended"], 1, "[{n}]");
        assert_eq!(
            a.call("GET", "/api/v1/me", Some(&t2), None).await.status,
            StatusCode::UNAUTHORIZED,
            "[{n}] the other session ended"
        );
        assert_eq!(
            a.call("GET", "/api/v1/me", Some(&t1), None).await.status,
            StatusCode::OK,
            "[{n}] this one stays"
        );
        let old = login_with(a, "p1@demo.example", json!({}), None).await;
        assert_eq!(
            old.status,
            StatusCode::UNAUTHORIZED,
            "[{n}] the old password"
        );
        let new = login_with(
            a,
            "p1@demo.example",
            json!({"password": "Liaison-Demo-2027"}),
            None,
        )
        .await;
        assert_eq!(new.status, StatusCode::OK, "[{n}] {}", new.text());
        let audited = liaison_db::audit::list(&a.db, None, None, 200)
            .await
            .expect("audit")
            .iter()
            .filter(|r| r.action == "account.password_changed")
            .count();
        assert_eq!(audited, 1, "[{n}]");

        // The page: the form is there; a mismatch is shown, a good change ends other sessions.
        let cookie = crate::pages::browser_login(a, "staff@demo.example").await;
        let other = a.login("staff@demo.example").await;
        let page = a
            .send(crate::pages::get(
                "/account/security",
                Some(&cookie),
                "zh-CN",
            ))
            .await;
        assert!(page.text().contains("id=\"password-form\""), "[{n}]");
        assert!(page.text().contains("修改密码"), "[{n}]");
        let csrf = crate::pages::csrf(&cookie);
        let (status, _, body) = post_form(
            a,
            "/account/security/password",
            &cookie,
            &[
                ("_csrf", &csrf),
                ("current", "liaison-demo"),
                ("new", "Liaison-Demo-2027"),
                ("new_again", "Liaison-Demo-2028"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(
            body.contains("id=\"security-error\""),
            "[{n}] mismatch shown"
        );
        let (status, _, _) = post_form(
            a,
            "/account/security/password",
            &cookie,
            &[
                ("_csrf", &csrf),
                ("current", "liaison-demo"),
                ("new", "Liaison-Demo-2027"),
                ("new_again", "Liaison-Demo-2027"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{n}]");
        assert_eq!(
            a.call("GET", "/api/v1/me", Some(&other), None).await.status,
            StatusCode::UNAUTHORIZED,
            "[{n}] staff's API session ended"
        );
        let page = a
            .send(crate::pages::get("/account/security", Some(&cookie), "en"))
            .await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "[{n}] the page's own session stays"
        );
    }
}
