//! Surveys over HTTP and on pages (issue 16 item 2, §6.2.1): channel management writes and
//! sends; a partner sees only the surveys it is invited to (p2 on p1's: 404) and answers them;
//! an unprivileged user is refused (403); leadership reads results and exports; the console's
//! and portal's pages and the one-click link's form, in three languages, with no raw keys.

use crate::pages::{browser_login, csrf, get};
use crate::{TestApp, apps};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

fn closes_on(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d")
        .to_string()
}

fn body(partners: Vec<String>, anonymous: bool) -> Value {
    json!({
        "title": {"zh-cn": "渠道伙伴满意度调查", "en": "Partner satisfaction survey"},
        "intro": {"zh-cn": "约需 3 分钟。", "en": "About 3 minutes."},
        "questions": [
            {"kind": "rating", "text": {"zh-cn": "您对沟通是否满意？", "en": "How satisfied are you with our communication?"}, "required": true, "measure": "satisfaction"},
            {"kind": "nps", "text": {"zh-cn": "推荐可能性？", "en": "How likely are you to recommend us?"}, "required": true, "measure": "nps"},
            {"kind": "multiple", "text": {"zh-cn": "常用渠道", "en": "Channels you use"}, "choices": [{"zh-cn": "邮件", "en": "E-mail"}, {"zh-cn": "企业微信", "en": "WeCom"}, {"zh-cn": "电话", "en": "Phone"}]},
            {"kind": "text", "text": {"zh-cn": "您的建议", "en": "Your suggestions"}}
        ],
        "audience": {"partners": partners},
        "anonymous": anonymous,
        "schedule": "once",
        "closes_on": closes_on(14),
        "remind_days": 3
    })
}

async fn sent_survey(a: &TestApp, channel: &str, partners: Vec<String>) -> String {
    let r = a
        .call(
            "POST",
            "/api/v1/surveys",
            Some(channel),
            Some(body(partners, false)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "[{}] {}", a.name, r.text());
    let id = r.json()["id"].as_str().expect("id").to_string();
    let r = a
        .call(
            "POST",
            &format!("/api/v1/surveys/{id}/send"),
            Some(channel),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "[{}] {}", a.name, r.text());
    assert_eq!(r.json()["state"], "open");
    id
}

#[tokio::test]
async fn partners_answer_only_their_invitations_and_leadership_reads_the_results() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let channel = a.login("channel@demo.example").await;
        let exec = a.login("exec@demo.example").await;
        let staff = a.login("staff@demo.example").await;
        let p1 = a.login("p1@demo.example").await;
        let p2 = a.login("p2@demo.example").await;
        let sh = a.partner_id("SH-D001").await;
        // Only channel management writes surveys.
        for who in [&p1, &staff] {
            let r = a
                .call(
                    "POST",
                    "/api/v1/surveys",
                    Some(who),
                    Some(body(vec![sh.clone()], false)),
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}] {}", r.text());
        }
        // Bad input names its field.
        let mut bad = body(vec![sh.clone()], false);
        bad["questions"][0]["measure"] = json!("nps");
        let r = a
            .call("POST", "/api/v1/surveys", Some(&channel), Some(bad))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(
            r.text().contains("questions[0].measure"),
            "[{n}] {}",
            r.text()
        );
        let id = sent_survey(a, &channel, vec![sh.clone()]).await;
        let path = format!("/api/v1/surveys/{id}");

        // p1 lists it; p2 does not, and every address of it is 404 for p2.
        let r = a.call("GET", "/api/v1/surveys", Some(&p1), None).await;
        assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(1), "[{n}]");
        assert_eq!(
            r.json()["items"][0]["audience"]["partners"],
            json!([]),
            "[{n}]"
        );
        let r = a.call("GET", "/api/v1/surveys", Some(&p2), None).await;
        assert_eq!(r.json()["items"], json!([]), "[{n}]");
        let answer = json!({"answers": {"q1": 4, "q2": 9, "q3": [0, 1], "q4": "希望\n提前通知"}});
        for (method, p, b) in [
            ("GET", path.clone(), None),
            ("GET", format!("{path}/responses"), None),
            ("POST", format!("{path}/responses"), Some(answer.clone())),
            ("GET", format!("{path}/export"), None),
        ] {
            let r = a.call(method, &p, Some(&p2), b).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "[{n}] p2 {method} {p}: {}",
                r.text()
            );
        }
        // An unprivileged colleague reads the survey but not its results, and cannot send.
        assert_eq!(
            a.call("GET", &format!("{path}/responses"), Some(&staff), None)
                .await
                .status,
            StatusCode::FORBIDDEN,
            "[{n}]"
        );
        assert_eq!(
            a.call("POST", &format!("{path}/close"), Some(&staff), None)
                .await
                .status,
            StatusCode::FORBIDDEN,
            "[{n}]"
        );
        // p1 answers; a bad value is a 422 naming the question.
        let r = a
            .call(
                "POST",
                &format!("{path}/responses"),
                Some(&p1),
                Some(json!({"answers": {"q1": 9, "q2": 9}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(r.text().contains("answers.q1"), "[{n}] {}", r.text());
        let r = a
            .call(
                "POST",
                &format!("{path}/responses"),
                Some(&p1),
                Some(answer),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        assert_eq!(r.json()["mine"]["answer"]["values"]["q1"], 4, "[{n}]");
        assert_eq!(
            r.json()["mine"]["answer"]["texts"]["q4"],
            "希望\n提前通知",
            "[{n}]"
        );
        // The partner does not read results (403: it may see the survey, not the results).
        assert_eq!(
            a.call("GET", &format!("{path}/responses"), Some(&p1), None)
                .await
                .status,
            StatusCode::FORBIDDEN,
            "[{n}]"
        );
        let r = a
            .call("GET", &format!("{path}/responses"), Some(&exec), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        let res = r.json();
        assert_eq!(
            (res["invited"].as_i64(), res["answered"].as_i64()),
            (Some(1), Some(1)),
            "[{n}]"
        );
        assert_eq!(res["questions"][1]["nps"]["score"], 100, "[{n}]");
        assert_eq!(res["questions"][2]["counts"], json!([1, 1, 0]), "[{n}]");
        let r = a
            .call(
                "GET",
                &format!("{path}/export?format=csv"),
                Some(&exec),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}]");
        assert!(r.content_type.starts_with("text/csv"), "[{n}]");
        assert!(
            r.text().contains("SH-D001") && r.text().contains("企业微信"),
            "[{n}] {}",
            r.text()
        );
        let r = a
            .call(
                "GET",
                &format!("{path}/export?format=xlsx"),
                Some(&exec),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}]");
        assert!(r.body.starts_with(b"PK"), "[{n}] an XLSX (zip)");
        // A sent survey does not change.
        let r = a
            .call(
                "PATCH",
                &path,
                Some(&channel),
                Some(json!({"title": {"zh-cn": "改名"}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{n}] {}", r.text());
    }
}

fn form(path: &str, cookie: Option<&str>, pairs: &[(&str, &str)]) -> Request<Body> {
    let mut b = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::ACCEPT_LANGUAGE, "zh-CN")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(
        serde_urlencoded::to_string(pairs).expect("form"),
    ))
    .expect("request")
}

fn no_raw_keys(html: &str, what: &str) {
    for k in [
        "survey_page.",
        "survey.kind",
        "survey.state",
        "survey.schedule",
        "survey.measure",
        "{{",
        "\"q1\":",
        "&#34;q1&#34;:",
    ] {
        assert!(!html.contains(k), "{what}: raw {k} shown");
    }
}

#[tokio::test]
async fn survey_pages_in_three_languages_and_the_one_click_link() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let api = a.login("channel@demo.example").await;
        let sh = a.partner_id("SH-D001").await;
        let id = sent_survey(a, &api, vec![sh.clone()]).await;
        let channel = browser_login(a, "channel@demo.example").await;
        let p1 = browser_login(a, "p1@demo.example").await;
        let p2 = browser_login(a, "p2@demo.example").await;
        for lang in ["zh-CN", "zh-TW", "en"] {
            for path in [
                "/console/surveys".to_string(),
                "/console/surveys/new".to_string(),
                format!("/console/surveys/{id}"),
                format!("/console/surveys/{id}/results"),
            ] {
                let r = a.send(get(&path, Some(&channel), lang)).await;
                assert_eq!(
                    r.status,
                    StatusCode::OK,
                    "[{n}] {lang} {path}: {}",
                    r.text()
                );
                no_raw_keys(&r.text(), &format!("[{n}] {lang} {path}"));
            }
            for path in [
                "/portal/surveys".to_string(),
                format!("/portal/surveys/{id}"),
                "/portal/home".to_string(),
            ] {
                let r = a.send(get(&path, Some(&p1), lang)).await;
                assert_eq!(r.status, StatusCode::OK, "[{n}] {lang} {path}");
                no_raw_keys(&r.text(), &format!("[{n}] {lang} {path}"));
            }
        }
        let en = a
            .send(get(&format!("/portal/surveys/{id}"), Some(&p1), "en"))
            .await
            .text();
        assert!(
            en.contains("Partner satisfaction survey") && en.contains("WeCom"),
            "[{n}] the author's English"
        );
        let home = a.send(get("/portal/home", Some(&p1), "zh-CN")).await.text();
        let section = home
            .split("home-surveys_to_answer")
            .nth(1)
            .and_then(|x| x.split("</section>").next())
            .unwrap_or("");
        assert!(
            section.contains(&id) && section.contains("截止") && !section.contains("已等待"),
            "[{n}] on p1's home page: {section}"
        );
        // p2 does not learn it exists.
        let r = a
            .send(get(&format!("/portal/surveys/{id}"), Some(&p2), "zh-CN"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}]");
        let r = a
            .send(form(
                &format!("/portal/surveys/{id}"),
                Some(&p2),
                &[("_csrf", &csrf(&p2)), ("answers.q1", "5")],
            ))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}]");
        // The portal form: a missing required answer is shown again with its message.
        let r = a
            .send(form(
                &format!("/portal/surveys/{id}"),
                Some(&p1),
                &[("_csrf", &csrf(&p1)), ("answers.q1", "4")],
            ))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(r.text().contains("error-q2"), "[{n}]");
        let r = a
            .send(form(
                &format!("/portal/surveys/{id}"),
                Some(&p1),
                &[
                    ("_csrf", &csrf(&p1)),
                    ("answers.q1", "5"),
                    ("answers.q2", "10"),
                    ("answers.q3", "0"),
                    ("answers.q3", "2"),
                    ("answers.q4", "很好"),
                ],
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{n}] {}", r.text());
        let results = a
            .send(get(
                &format!("/console/surveys/{id}/results"),
                Some(&channel),
                "zh-CN",
            ))
            .await
            .text();
        assert!(
            results.contains("<svg") && results.contains("很好"),
            "[{n}] a chart and the text"
        );

        // The one-click link of a partner without a login (GZ-D003), for a survey sent to it: no login needed.
        let gz = a.partner_id("GZ-D003").await;
        let id2 = sent_survey(a, &api, vec![gz.clone()]).await;
        let inv = liaison_db::surveys::invitation_for(
            &a.db,
            uuid::Uuid::parse_str(&id2).expect("id"),
            1,
            uuid::Uuid::parse_str(&gz).expect("id"),
        )
        .await
        .expect("read")
        .expect("invited");
        let token = liaison_app::surveys::link_token(&a.db, inv.id)
            .await
            .expect("token");
        let r = a
            .send(get(&format!("/survey/{token}"), None, "zh-CN"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}]");
        assert!(r.text().contains("survey-answer-form"), "[{n}]");
        no_raw_keys(&r.text(), "link");
        let r = a
            .send(form(
                &format!("/survey/{token}"),
                None,
                &[("answers.q1", "3"), ("answers.q2", "7")],
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{n}] {}", r.text());
        let r = a
            .send(get(&format!("/survey/{token}?done=1"), None, "zh-CN"))
            .await;
        assert!(r.text().contains("survey-thanks"), "[{n}]");
        let r = a.send(get("/survey/not-a-token", None, "zh-CN")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{n}]");
        // The answer through the link is the partner's, once per round.
        let stored = liaison_db::surveys::answers(&a.db, inv.survey_id, None)
            .await
            .expect("answers");
        assert_eq!(stored.len(), 1, "[{n}]");
        assert_eq!(stored[0].partner_code.as_deref(), Some("GZ-D003"), "[{n}]");
    }
}

/// The console's editor, sending and a phone interview through the pages (§6.2.1): what is
/// typed becomes the survey; a wrong measure is shown again with its message; a phone
/// interview is the partner's answer, marked as such.
#[tokio::test]
async fn channel_management_writes_sends_and_enters_a_phone_interview_on_pages() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let channel = browser_login(a, "channel@demo.example").await;
        let staff = browser_login(a, "staff@demo.example").await;
        let token = csrf(&channel);
        let closes = closes_on(10);
        let fields: Vec<(&str, &str)> = vec![
            ("_csrf", &token),
            ("title.zh-cn", "经销商服务电话回访"),
            ("title.en", "Dealer service call-back"),
            ("q0.kind", "rating"),
            ("q0.text.zh-cn", "您对售后服务是否满意？"),
            ("q0.measure", "satisfaction"),
            ("q0.required", "on"),
            ("q1.kind", "single"),
            ("q1.text.zh-cn", "下单方式"),
            ("q1.choices", "门户\r\n电话\r\n邮件"),
            ("partners", "SH-D001, BJ-D002"),
            ("schedule", "once"),
            ("closes_on", &closes),
            ("remind_days", "2"),
        ];
        // The editor is channel management's: an unprivileged colleague is refused.
        let staff_token = csrf(&staff);
        let mut theirs = fields.clone();
        theirs[0] = ("_csrf", &staff_token);
        let r = a
            .send(form("/console/surveys", Some(&staff), &theirs))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{n}]");
        let mut wrong = fields.clone();
        wrong.push(("q1.measure", "nps"));
        let r = a
            .send(form("/console/surveys", Some(&channel), &wrong))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{n}]");
        assert!(r.text().contains("questions[1].measure"), "[{n}]");
        assert!(
            r.text().contains("经销商服务电话回访"),
            "[{n}] shown again as typed"
        );
        let r = a
            .send(form("/console/surveys", Some(&channel), &fields))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{n}] {}", r.text());
        let id = liaison_db::surveys::list_surveys(&a.db, None, 5)
            .await
            .expect("surveys")[0]
            .id;
        let s = liaison_db::surveys::find_survey(&a.db, id)
            .await
            .expect("survey");
        assert_eq!(s.questions.len(), 2, "[{n}]");
        assert_eq!(s.questions[1].choices.len(), 3, "[{n}]");
        assert_eq!(s.audience.partners.len(), 2, "[{n}]");
        assert_eq!(s.title["en"], "Dealer service call-back", "[{n}]");
        let r = a
            .send(form(
                &format!("/console/surveys/{id}/send"),
                Some(&channel),
                &[("_csrf", &token)],
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{n}]");
        let bj = a.partner_id("BJ-D002").await;
        let r = a
            .send(form(
                &format!("/console/surveys/{id}/phone"),
                Some(&channel),
                &[
                    ("_csrf", &token),
                    ("partner_id", &bj),
                    ("answers.q1", "2"),
                    ("answers.q2", "1"),
                ],
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{n}] {}", r.text());
        let page = a
            .send(get(
                &format!("/console/surveys/{id}"),
                Some(&channel),
                "zh-CN",
            ))
            .await
            .text();
        assert!(
            page.contains("data-partner=\"BJ-D002\" data-answered=\"true\""),
            "[{n}] {}",
            page.split("survey-invitations")
                .nth(1)
                .unwrap_or("")
                .chars()
                .take(500)
                .collect::<String>()
        );
        let stored = liaison_db::surveys::answers(&a.db, id, None)
            .await
            .expect("answers");
        assert_eq!(stored.len(), 1, "[{n}]");
        assert_eq!(
            stored[0].via,
            Some(liaison_core::surveys::AnswerVia::Phone),
            "[{n}]"
        );
    }
}

/// The editor grows (issue 16 item 2): a new survey starts with a few rows, `?rows=N` asks for
/// more (at most 60), the "more rows" button brings the form back as typed with five more and
/// saves nothing, and a survey with more questions than the old fixed twelve is saved and
/// edited with all its questions and a few empty rows after them. Staff without the right and
/// partners are refused.
#[tokio::test]
async fn the_survey_editor_grows_its_question_rows() {
    let (apps, _g) = apps().await;
    for a in &apps {
        let n = a.name;
        let channel = browser_login(a, "channel@demo.example").await;
        let token = csrf(&channel);
        let rows_in = |html: &str| html.matches("class=\"question-row\"").count();
        let page = a
            .send(get("/console/surveys/new", Some(&channel), "en"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "[{n}]");
        assert_eq!(rows_in(&page.text()), 5, "[{n}] a new survey's rows");
        assert!(page.text().contains("id=\"survey-more-rows\""), "[{n}]");
        let page = a
            .send(get("/console/surveys/new?rows=30", Some(&channel), "en"))
            .await
            .text();
        assert_eq!(rows_in(&page), 30, "[{n}] ?rows=30");
        let page = a
            .send(get("/console/surveys/new?rows=500", Some(&channel), "en"))
            .await
            .text();
        assert_eq!(rows_in(&page), 60, "[{n}] capped at 60");
        assert!(page.contains("id=\"survey-rows-full\""), "[{n}]");
        assert!(!page.contains("id=\"survey-more-rows\""), "[{n}]");
        no_raw_keys(&page, &format!("[{n}] rows=500"));

        // Fifteen questions typed into twenty rows; "more rows" first: nothing saved, the
        // form comes back as typed with 25 rows.
        let sh = a.partner_id("SH-D001").await;
        let code = liaison_db::partner::find_partner(
            &a.db,
            liaison_core::Scope::All,
            sh.parse().expect("uuid"),
        )
        .await
        .expect("partner")
        .code;
        let mut fields: Vec<(String, String)> = vec![
            ("_csrf".into(), token.clone()),
            ("rows".into(), "20".into()),
            ("title.zh-cn".into(), "十五题调查".into()),
            ("partners".into(), code),
            ("schedule".into(), "once".into()),
            ("closes_on".into(), "2099-12-31".into()),
            ("remind_days".into(), "0".into()),
        ];
        for i in 0..15 {
            fields.push((format!("q{i}.kind"), "rating".into()));
            fields.push((format!("q{i}.text.zh-cn"), format!("第{}题", i + 1)));
        }
        let mut more = fields.clone();
        more.push(("more_rows".into(), "25".into()));
        let pairs: Vec<(&str, &str)> = more.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let api = a.login("channel@demo.example").await;
        let before = a
            .call("GET", "/api/v1/surveys", Some(&api), None)
            .await
            .json();
        let r = a
            .send(form("/console/surveys", Some(&channel), &pairs))
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{n}] {}", r.text());
        let page = r.text();
        assert_eq!(rows_in(&page), 25, "[{n}] five more rows");
        assert!(page.contains("value=\"第15题\""), "[{n}] kept as typed");
        let after = a
            .call("GET", "/api/v1/surveys", Some(&api), None)
            .await
            .json();
        assert_eq!(before, after, "[{n}] nothing saved");

        // Saved: all fifteen questions; the editor shows them and three empty rows.
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = {
            use tower::ServiceExt;
            a.router
                .clone()
                .oneshot(form("/console/surveys", Some(&channel), &pairs))
                .await
                .expect("response")
        };
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "[{n}]");
        let location = r
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let id = location
            .trim_start_matches("/console/surveys/")
            .split('?')
            .next()
            .unwrap_or("")
            .to_string();
        let s = a
            .call("GET", &format!("/api/v1/surveys/{id}"), Some(&api), None)
            .await;
        assert_eq!(s.status, StatusCode::OK, "[{n}] {}", s.text());
        assert_eq!(
            s.json()["questions"].as_array().map(Vec::len).unwrap_or(0),
            15,
            "[{n}] {}",
            s.text()
        );
        let page = a
            .send(get(
                &format!("/console/surveys/{id}/edit"),
                Some(&channel),
                "en",
            ))
            .await
            .text();
        assert_eq!(
            rows_in(&page),
            18,
            "[{n}] fifteen questions and three empty rows"
        );
        assert!(page.contains("value=\"第15题\""), "[{n}]");

        // Refused: staff without the right, and a partner.
        for who in ["staff@demo.example", "p1@demo.example"] {
            let c = browser_login(a, who).await;
            let r = a
                .send(get("/console/surveys/new?rows=30", Some(&c), "en"))
                .await;
            assert!(
                matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                "[{n}] {who}: {}",
                r.status
            );
            let mut more = vec![("_csrf".to_string(), csrf(&c))];
            more.extend(fields.iter().skip(1).cloned());
            more.push(("more_rows".into(), "25".into()));
            let pairs: Vec<(&str, &str)> =
                more.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let r = a.send(form("/console/surveys", Some(&c), &pairs)).await;
            assert!(
                matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                "[{n}] {who} posting: {}",
                r.status
            );
        }
    }
}
