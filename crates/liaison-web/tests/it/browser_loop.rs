//! Issue 9 in Chromium, the loop as people live it, on a desktop (staff) and a 390×844 phone
//! (the partner), with a real SMTP server and the delivery worker running: staff submits →
//! the head's bell shows 1 and the e-mail arrives → head and channel management approve → p1
//! confirms → p1 asks under the message → staff's bell → staff answers → p1's bell and e-mail
//! → p1 sees the answer under the message and in 我的提问. Then a confidential request to a
//! partner without an NDA shows the gap and cannot be approved to nobody.

use crate::browser::{chromium, log_in, phone, serve};
use fantoccini::{Client, Locator};
use liaison_channels::testing::SmtpServer;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

async fn desktop() -> (crate::browser::Driver, Client) {
    chromium(json!({"binary": "/usr/bin/chromium", "args": [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--lang=zh-CN", "--window-size=1280,900"],
        "prefs": {"intl.accept_languages": "zh-CN,zh"}}))
    .await
}

async fn click(c: &Client, id: &str) {
    c.wait()
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click #{id}: {e}"));
}

async fn text(c: &Client, id: &str) -> String {
    c.wait()
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"))
        .text()
        .await
        .unwrap_or_default()
}

async fn fill(c: &Client, id: &str, value: &str) {
    c.wait()
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"))
        .send_keys(value)
        .await
        .unwrap_or_else(|e| panic!("type into #{id}: {e}"));
}

/// Logs out (if logged in), then opens `path`, which asks for a login as `email`.
async fn as_user(c: &Client, base: &str, email: &str, path: &str) {
    if c.find(Locator::Id("logout")).await.is_ok() {
        click(c, "logout").await;
        // The logout's answer is the login page: wait for it, so the next page is not raced
        // by the logout still in flight.
        c.wait()
            .for_element(Locator::Id("login-submit"))
            .await
            .expect("logged out");
    }
    c.goto(&format!("{base}{path}")).await.expect("goto");
    log_in(c, email).await;
    // The login page has a <main> too: wait until the browser has left it.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while c
        .current_url()
        .await
        .is_ok_and(|u| u.path().starts_with("/login"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "still on the login page"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    c.wait()
        .for_element(Locator::Css("main"))
        .await
        .expect("a page after login");
}

/// The subjects of the mails the SMTP server received for `to`, waiting up to 20 s for one
/// containing `want`.
fn mail_for(smtp: &SmtpServer, to: &str, want: &str) -> Vec<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let subjects: Vec<String> = smtp
            .mails()
            .iter()
            .filter_map(|raw| mailparse::parse_mail(raw).ok())
            .filter(|m| {
                m.headers
                    .iter()
                    .any(|h| h.get_key().eq_ignore_ascii_case("to") && h.get_value().contains(to))
            })
            .filter_map(|m| {
                m.headers
                    .iter()
                    .find(|h| h.get_key().eq_ignore_ascii_case("subject"))
                    .map(|h| h.get_value())
            })
            .collect();
        if subjects.iter().any(|s| s.contains(want)) || std::time::Instant::now() > deadline {
            return subjects;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn bell(c: &Client) -> String {
    match c.find(Locator::Id("bell-count")).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

#[tokio::test]
async fn the_loop_tells_everyone_what_waits_for_them_in_chromium() {
    // Monday 7 December 2026, 10:00 in Shanghai: inside working hours, so e-mails go at once.
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-07T02:00:00Z")
        .expect("time")
        .with_timezone(&chrono::Utc);
    let clock = Arc::new(liaison_core::FixedClock::new(at));
    let (apps, _g) = crate::apps_with(clock).await;
    let a = &apps[0];
    let smtp = SmtpServer::start();
    let mailer =
        liaison_channels::email::Mailer::new(&smtp.url(), "Liaison <noreply@liaison.test>")
            .expect("mailer");
    let addr = serve(a.router.clone()).await;
    let base = format!("http://{addr}");
    let worker = liaison_worker::Worker::new(
        a.db.clone(),
        liaison_worker::WorkerConfig {
            id: "browser-loop".into(),
            poll: Duration::from_millis(100),
            public_url: base.clone(),
            ..Default::default()
        },
        liaison_worker::Transport::live(Some(mailer)),
    );
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async move {
        let _ = stop_rx.await;
    }));

    // Staff's draft (through the API), submitted in the browser.
    let staff = a.login("staff@demo.example").await;
    let title = "十二月返利结算安排";
    let created = a
        .call(
            "POST",
            "/api/v1/requests",
            Some(&staff),
            Some(json!({
                "title": title, "purpose": "告知经销商返利结算安排",
                "body": "本季度返利将于下月 10 日前结算。", "category": "product",
                "audience": {"partners": [a.partner_id("SH-D001").await]},
                "ack_required": true, "ack_due_at": (at + chrono::Duration::days(3)).to_rfc3339(),
            })),
        )
        .await;
    let rid = created.json()["id"].as_str().expect("id").to_string();

    let (driver, c) = desktop().await;
    as_user(
        &c,
        &base,
        "staff@demo.example",
        &format!("/console/requests/{rid}"),
    )
    .await;
    click(&c, "request-submit").await;
    // Wait for the page after the post (the old page has a state badge too).
    c.wait()
        .for_element(Locator::Css(
            "#request-state[data-state='pending_dept_head']",
        ))
        .await
        .expect("submitted");

    // The head lands on 我的待办 with the bell at 1, and the e-mail reached the SMTP server.
    as_user(&c, &base, "head@demo.example", "/").await;
    assert_eq!(c.current_url().await.expect("url").path(), "/console/home");
    assert_eq!(bell(&c).await, "1", "the head's bell");
    assert!(text(&c, "home-to_review").await.contains(title));
    let subjects = mail_for(&smtp, "head@demo.example", title);
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("待您审核") && s.contains(title)),
        "{subjects:?}"
    );
    click(&c, "bell").await;
    c.wait()
        .for_element(Locator::Id("notify-list"))
        .await
        .expect("notifications");
    c.find(Locator::Css("#notify-list a"))
        .await
        .expect("item")
        .click()
        .await
        .expect("open");
    click(&c, "review-approve").await;
    c.wait()
        .for_element(Locator::Css(
            "#request-state[data-state='pending_channel_review']",
        ))
        .await
        .expect("the head's step approved");
    assert_eq!(bell(&c).await, "", "opened, so read");

    // The worker's first sweep also told channel management of the demo partners' overdue
    // business figures and p1 of its figures due (issue 13), and of overdue action items,
    // visits and a short cadence (issue 14); this story is about the request.
    {
        let mut tx = a.db.begin().await.expect("tx");
        tx.execute(liaison_db::q(
            "UPDATE notifications SET read_at = created_at WHERE (kind LIKE 'data_%' OR kind IN ('cadence_short', 'task_due', 'task_overdue', 'task_assigned', 'visit_overdue', 'meeting_invited')) AND read_at IS NULL",
        ))
        .await
        .expect("read");
        tx.commit().await.expect("commit");
    }
    as_user(&c, &base, "channel@demo.example", "/").await;
    assert_eq!(
        bell(&c).await,
        "1",
        "channel management is told it is their step"
    );
    c.goto(&format!("{base}/console/requests/{rid}"))
        .await
        .expect("goto");
    click(&c, "review-approve").await;
    let state = c
        .wait()
        .for_element(Locator::Css("#request-state[data-state='dispatched']"))
        .await
        .expect("dispatched");
    assert!(!state.text().await.unwrap_or_default().is_empty());
    click(&c, "logout").await;

    // p1 on a phone: 我的待办 lists the message to confirm; confirm, then ask under it.
    let (pdriver, p) = phone().await;
    as_user(&p, &base, "p1@demo.example", "/").await;
    assert_eq!(p.current_url().await.expect("url").path(), "/portal/home");
    assert!(text(&p, "home-to_confirm").await.contains(title));
    p.find(Locator::Css("#home-to_confirm a"))
        .await
        .expect("item")
        .click()
        .await
        .expect("open");
    click(&p, "ack-button").await;
    p.wait()
        .for_element(Locator::Css("#ack-state[data-acked='true']"))
        .await
        .expect("acked");
    fill(&p, "reply-body", "返利会打到哪个账户？").await;
    click(&p, "reply-submit").await;
    p.wait()
        .for_element(Locator::Id("reply-sent"))
        .await
        .expect("sent");

    // Staff (the requester) is told of the question, and answers it.
    as_user(&c, &base, "staff@demo.example", "/console/notifications").await;
    let list = text(&c, "notify-list").await;
    assert!(list.contains("提问"), "{list}");
    c.find(Locator::Css(
        "#notify-list li[data-kind='question_routed'] a",
    ))
    .await
    .expect("the question")
    .click()
    .await
    .expect("open");
    fill(&c, "answer-body", "打到贵司登记的结算账户。").await;
    click(&c, "answer-submit").await;
    c.wait()
        .for_element(Locator::Css("#thread-state.status-answered"))
        .await
        .expect("answered");

    // p1's bell and e-mail; the answer under the message and in 我的提问.
    p.goto(&format!("{base}/portal/home")).await.expect("home");
    assert_eq!(bell(&p).await, "1", "p1's bell");
    let subjects = mail_for(&smtp, "p1@demo.example", "您的提问已有答复");
    assert!(
        subjects.iter().any(|s| s.contains("您的提问已有答复")),
        "{subjects:?}"
    );
    p.find(Locator::Css("#home-answers a"))
        .await
        .expect("answer")
        .click()
        .await
        .expect("open");
    assert!(text(&p, "posts").await.contains("打到贵司登记的结算账户。"));
    click(&p, "question-message").await;
    let qa = p
        .wait()
        .for_element(Locator::Css("section.qa"))
        .await
        .expect("Q&A under the message");
    assert!(
        qa.text()
            .await
            .unwrap_or_default()
            .contains("打到贵司登记的结算账户。")
    );
    p.goto(&format!("{base}/portal/questions"))
        .await
        .expect("questions");
    assert!(text(&p, "questions-answered").await.contains(title));
    let width = p
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .expect("w");
    assert!(
        width.as_i64().is_some_and(|w| w <= 390),
        "no sideways scrolling: {width}"
    );
    p.close().await.expect("close");
    drop(pdriver);

    // A confidential request to BJ-D002 (no NDA): the gap is shown and approval is blocked.
    let secret = a
        .call(
            "POST",
            "/api/v1/requests",
            Some(&staff),
            Some(json!({
                "title": "机密：明年底价", "purpose": "仅限核心伙伴", "body": "底价表见附件。",
                "category": "product", "classification": "confidential",
                "audience": {"partners": [a.partner_id("BJ-D002").await]},
            })),
        )
        .await;
    let sid = secret.json()["id"].as_str().expect("id").to_string();
    let submitted = a
        .call(
            "POST",
            &format!("/api/v1/requests/{sid}/submit"),
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(submitted.status, 200, "{}", submitted.text());
    as_user(
        &c,
        &base,
        "head@demo.example",
        &format!("/console/requests/{sid}"),
    )
    .await;
    let gap = c
        .wait()
        .for_element(Locator::Id("nda-gap"))
        .await
        .expect("the NDA gap");
    assert_eq!(
        gap.attr("data-covered").await.expect("attr").as_deref(),
        Some("0")
    );
    assert!(
        text(&c, "nda-gap-count")
            .await
            .parse::<i64>()
            .is_ok_and(|n| n > 0)
    );
    let approve = c.find(Locator::Id("review-approve")).await.expect("button");
    assert!(
        !approve.is_enabled().await.expect("enabled?"),
        "cannot approve to nobody"
    );
    c.close().await.expect("close");
    drop(driver);
    let _ = stop_tx.send(());
    let _ = running.await;
}
