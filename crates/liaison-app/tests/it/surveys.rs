//! Surveys through the service layer (policy §6.2.1; issue 16 item 2), on every backend: a
//! named survey sent, answered once per partner and round and changed until it closes; an
//! anonymous one whose answers hold nothing that leads back to a partner and whose results are
//! withheld below five answers; phone interviews marked with who typed them in; the scores
//! fed to the indicators; the sweep's reminders and rounds.

use crate::{Cast, backends};
use chrono::{DateTime, Duration, TimeZone, Utc};
use liaison_app::Error;
use liaison_app::surveys::{self as app, AnswerInput, SurveyInput};
use liaison_core::notify::NotifyKind;
use liaison_core::surveys::{AnswerVia, Measure, Question, QuestionKind, SurveyState, Texts};
use liaison_core::{FixedClock, Scope};
use liaison_db::Db;
use liaison_db::surveys::{Audience, Survey};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

/// `y-m-d h:m` in Shanghai (the company's zone).
fn bj(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    liaison_core::calendar::Tz::Asia__Shanghai
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("a valid time")
        .with_timezone(&Utc)
}

fn zh(s: &str) -> Texts {
    [("zh-cn".to_string(), s.to_string())].into()
}

fn q(kind: QuestionKind, text: &str, measure: Option<Measure>, choices: &[&str]) -> Question {
    Question {
        key: String::new(),
        kind,
        text: zh(text),
        choices: choices.iter().map(|c| zh(c)).collect(),
        required: kind != QuestionKind::Text,
        measure,
    }
}

/// A satisfaction survey: satisfaction rating, NPS, willingness, a single choice, free text.
fn input(partners: Vec<Uuid>, anonymous: bool, schedule: &str, closes_on: &str) -> SurveyInput {
    SurveyInput {
        title: Some(zh("渠道伙伴满意度调查")),
        intro: Some(zh("感谢参与，约需 3 分钟。")),
        questions: Some(vec![
            q(
                QuestionKind::Rating,
                "您对我们的沟通是否满意？",
                Some(Measure::Satisfaction),
                &[],
            ),
            q(
                QuestionKind::Nps,
                "您向同行推荐我们的可能性有多大？",
                Some(Measure::Nps),
                &[],
            ),
            q(
                QuestionKind::Rating,
                "您继续合作的意愿？",
                Some(Measure::Willingness),
                &[],
            ),
            q(
                QuestionKind::Single,
                "您最常用的沟通渠道？",
                None,
                &["邮件", "企业微信", "电话"],
            ),
            q(QuestionKind::Text, "您的建议", None, &[]),
        ]),
        audience: Some(Audience {
            partners,
            ..Default::default()
        }),
        anonymous: Some(anonymous),
        schedule: Some(schedule.into()),
        closes_on: Some(closes_on.into()),
        remind_days: Some(3),
    }
}

fn answers(sat: i64, nps: i64, will: i64, choice: i64, text: &str) -> AnswerInput {
    let mut a: BTreeMap<String, serde_json::Value> =
        serde_json::from_value(json!({"q1": sat, "q2": nps, "q3": will, "q4": choice}))
            .expect("json");
    if !text.is_empty() {
        a.insert("q5".into(), json!(text));
    }
    AnswerInput {
        answers: a,
        partner_id: None,
    }
}

async fn partners(db: &Db, n: usize) -> Vec<Uuid> {
    liaison_db::partner::list_all_partners(db, Scope::All, &Default::default())
        .await
        .expect("partners")
        .into_iter()
        .filter(|p| p.status == "active")
        .map(|p| p.id)
        .take(n)
        .collect()
}

async fn at(clock: DateTime<Utc>, db: Db) -> (Db, Arc<FixedClock>) {
    let c = Arc::new(FixedClock::new(clock));
    (db.with_clock(c.clone()), c)
}

async fn sent(db: &Db, cast: &Cast, input: &SurveyInput) -> Survey {
    let s = app::create(db, &cast.channel, input)
        .await
        .expect("written");
    assert_eq!(s.state, SurveyState::Draft);
    app::send(db, &cast.channel, s.id).await.expect("sent")
}

/// The one-click token of `partner`'s invitation to the current round.
async fn token(db: &Db, s: &Survey, partner: Uuid) -> String {
    let inv = liaison_db::surveys::invitation_for(db, s.id, s.round, partner)
        .await
        .expect("read")
        .expect("invited");
    app::link_token(db, inv.id).await.expect("token")
}

/// §6.2.1: channel management writes and sends; the partner answers once per round in the
/// portal and may change a named answer until the survey closes; another partner and an
/// unprivileged colleague are refused.
#[tokio::test]
async fn a_named_survey_is_answered_once_per_partner_and_changed_until_it_closes() {
    let (dbs, _g) = backends().await;
    for (name, db) in dbs {
        let (db, _c) = at(bj(2026, 12, 7, 10), db).await;
        let cast = Cast::load(&db).await;
        let p1p = cast.p1.partner_id.expect("p1's partner");
        let input = input(vec![p1p], false, "once", "2026-12-20");
        assert!(
            matches!(
                app::create(&db, &cast.staff, &input).await,
                Err(Error::Forbidden)
            ),
            "{name}: staff may not write surveys"
        );
        let draft = app::create(&db, &cast.channel, &input)
            .await
            .expect("draft");
        // A draft is the company's own: the partner does not see it.
        assert!(
            matches!(
                app::show(&db, &cast.p1, draft.id).await,
                Err(Error::NotFound)
            ),
            "{name}"
        );
        let s = app::send(&db, &cast.channel, draft.id).await.expect("sent");
        assert_eq!((s.state, s.round), (SurveyState::Open, 1), "{name}");
        assert!(
            matches!(
                app::update(&db, &cast.channel, s.id, None, &input).await,
                Err(Error::Conflict(_))
            ),
            "{name}: a sent survey no longer changes"
        );
        // p1's users are told (bell and e-mail job) with the invitation for the link.
        let notes = liaison_db::notify::list(&db, cast.p1.user_id, false, None, 50)
            .await
            .expect("notes");
        let invited = notes
            .iter()
            .find(|n| n.kind == NotifyKind::SurveyInvited)
            .expect("p1 was told");
        assert!(invited.args["invitation"].as_str().is_some(), "{name}");
        assert_eq!(invited.link, format!("/portal/surveys/{}", s.id), "{name}");
        // The partner's list and home page show it; p2 does not learn it exists.
        let mine = app::list(&db, &cast.p1, 50).await.expect("list");
        assert_eq!(mine.len(), 1, "{name}");
        assert!(
            mine[0].audience.partners.is_empty(),
            "{name}: whom else it asks is hidden"
        );
        assert!(
            app::list(&db, &cast.p2, 50).await.expect("list").is_empty(),
            "{name}"
        );
        assert!(
            matches!(app::show(&db, &cast.p2, s.id).await, Err(Error::NotFound)),
            "{name}"
        );
        assert!(
            matches!(
                app::answer(
                    &db,
                    &cast.p2,
                    s.id,
                    &answers(5, 9, 5, 0, ""),
                    AnswerVia::Portal
                )
                .await,
                Err(Error::NotFound)
            ),
            "{name}"
        );
        let home = liaison_app::home::dashboard(&db, &cast.p1, liaison_core::partner::Lang::ZhCn)
            .await
            .expect("home");
        let section = home.section("surveys_to_answer").expect("section");
        assert_eq!(section.count, 1, "{name}");
        assert_eq!(section.items[0].title, "渠道伙伴满意度调查", "{name}");

        // Bad input is named.
        match app::answer(
            &db,
            &cast.p1,
            s.id,
            &answers(7, 9, 5, 0, ""),
            AnswerVia::Portal,
        )
        .await
        {
            Err(Error::Invalid(e)) => assert_eq!(e.0[0].field, "answers.q1", "{name}"),
            other => panic!("{name}: {other:?}"),
        }
        app::answer(
            &db,
            &cast.p1,
            s.id,
            &answers(3, 6, 4, 1, "希望提前通知"),
            AnswerVia::Portal,
        )
        .await
        .expect("answered");
        app::answer(
            &db,
            &cast.p1,
            s.id,
            &answers(4, 8, 4, 1, "希望更早通知促销"),
            AnswerVia::Portal,
        )
        .await
        .expect("changed");
        let stored = liaison_db::surveys::answers(&db, s.id, None)
            .await
            .expect("answers");
        assert_eq!(stored.len(), 1, "{name}: one answer per partner and round");
        assert_eq!(stored[0].partner_id, Some(p1p), "{name}");
        assert_eq!(stored[0].via, Some(AnswerVia::Portal), "{name}");
        assert_eq!(stored[0].answer.texts["q5"], "希望更早通知促销", "{name}");
        let view = app::show(&db, &cast.p1, s.id).await.expect("show");
        let mine = view.mine.expect("mine");
        assert!(mine.invitation.answered && mine.may_answer, "{name}");
        assert!(
            liaison_app::home::dashboard(&db, &cast.p1, liaison_core::partner::Lang::ZhCn)
                .await
                .expect("home")
                .section("surveys_to_answer")
                .expect("section")
                .items
                .is_empty(),
            "{name}: answered, no longer waiting"
        );
        // The free text is sealed at rest.
        let raw: String = db
            .fetch_one(liaison_db::q(
                "SELECT COALESCE(texts, '') FROM survey_answers",
            ))
            .await
            .expect("raw");
        assert!(!raw.is_empty() && !raw.contains("促销"), "{name}: sealed");

        // Results: leadership reads them; a partner and unprivileged staff may not.
        let r = app::results(&db, &cast.exec, s.id, None)
            .await
            .expect("results");
        assert_eq!((r.invited, r.answered, r.withheld), (1, 1, false), "{name}");
        assert_eq!(r.questions[0].mean, Some(4.0), "{name}");
        assert_eq!(r.questions[3].counts, [0, 1, 0], "{name}");
        assert!(
            matches!(
                app::results(&db, &cast.p1, s.id, None).await,
                Err(Error::Forbidden)
            ),
            "{name}"
        );
        assert!(
            matches!(
                app::results(&db, &cast.staff, s.id, None).await,
                Err(Error::Forbidden)
            ),
            "{name}"
        );

        let closed = app::close(&db, &cast.channel, s.id).await.expect("closed");
        assert_eq!(closed.state, SurveyState::Closed, "{name}");
        assert!(
            matches!(
                app::answer(
                    &db,
                    &cast.p1,
                    s.id,
                    &answers(5, 10, 5, 0, ""),
                    AnswerVia::Portal
                )
                .await,
                Err(Error::Gone(_))
            ),
            "{name}: no answer after closing"
        );
    }
}

/// §6.2.1 and issue 16: an anonymous answer holds no partner, contact, user or invitation; its
/// id is random, its time only a day; results are withheld below five answers; it is given
/// once and cannot be entered on a partner's behalf.
#[tokio::test]
async fn anonymous_answers_cannot_be_attributed_and_results_are_withheld_below_five() {
    let (dbs, _g) = backends().await;
    for (name, db) in dbs {
        let (db, clock) = at(bj(2026, 12, 7, 10), db).await;
        let cast = Cast::load(&db).await;
        let ps = partners(&db, 6).await;
        assert_eq!(ps.len(), 6, "{name}: the demo has six active partners");
        let s = sent(&db, &cast, &input(ps.clone(), true, "once", "2026-12-20")).await;
        assert!(s.anonymous, "{name}");
        let mut invitation_ids = Vec::new();
        for p in &ps {
            invitation_ids.push(
                liaison_db::surveys::invitation_for(&db, s.id, 1, *p)
                    .await
                    .expect("read")
                    .expect("invited")
                    .id,
            );
        }
        assert!(
            matches!(
                app::answer(
                    &db,
                    &cast.channel,
                    s.id,
                    &AnswerInput {
                        partner_id: Some(ps[0]),
                        ..answers(5, 9, 5, 0, "")
                    },
                    AnswerVia::Phone
                )
                .await,
                Err(Error::Denied(_))
            ),
            "{name}: no phone interview for an anonymous survey"
        );
        for (i, p) in ps.iter().take(4).enumerate() {
            // One answer a day: none may be dated by the day it came.
            clock.advance(Duration::days(1));
            let t = token(&db, &s, *p).await;
            app::by_link(
                &db,
                &t,
                Some(&answers(3 + (i as i64 % 3), 5 + i as i64, 4, 0, "还可以")),
            )
            .await
            .expect("answered by link");
        }
        let t0 = token(&db, &s, ps[0]).await;
        assert!(
            matches!(
                app::by_link(&db, &t0, Some(&answers(1, 0, 1, 0, ""))).await,
                Err(Error::Conflict(_))
            ),
            "{name}: an anonymous answer is given once"
        );
        let r = app::results(&db, &cast.channel, s.id, None)
            .await
            .expect("results");
        assert!(
            r.withheld && r.questions.is_empty(),
            "{name}: 4 answers are withheld"
        );
        assert_eq!(
            (r.invited, r.answered),
            (6, 4),
            "{name}: the counts are shown"
        );
        let (_, rows) =
            app::export_rows(&db, &cast.channel, s.id, liaison_core::partner::Lang::ZhCn)
                .await
                .expect("export");
        assert!(rows.is_empty(), "{name}: nor exported");
        let t4 = token(&db, &s, ps[4]).await;
        app::by_link(&db, &t4, Some(&answers(5, 10, 5, 2, "")))
            .await
            .expect("fifth");
        let r = app::results(&db, &cast.channel, s.id, None)
            .await
            .expect("results");
        assert!(!r.withheld, "{name}: five answers are shown");
        assert_eq!(r.questions[0].answered, 5, "{name}");
        let (headers, rows) =
            app::export_rows(&db, &cast.channel, s.id, liaison_core::partner::Lang::ZhCn)
                .await
                .expect("export");
        assert_eq!(rows.len(), 5, "{name}");
        assert!(
            !headers.iter().any(|h| h.contains("伙伴")),
            "{name}: no partner column: {headers:?}"
        );

        // The answers table: exactly these columns (a new one must be judged here), and for
        // an anonymous survey nothing that names a partner, contact, user or invitation.
        let cols: Vec<String> = match db.backend() {
            liaison_db::Backend::Sqlite => db
                .fetch_all(liaison_db::q("SELECT name FROM pragma_table_info('survey_answers') ORDER BY name"))
                .await
                .expect("columns"),
            liaison_db::Backend::Postgres => db
                .fetch_all(liaison_db::q(
                    "SELECT CAST(column_name AS TEXT) AS name FROM information_schema.columns WHERE table_name = 'survey_answers' ORDER BY name",
                ))
                .await
                .expect("columns"),
        };
        assert_eq!(
            cols,
            [
                "answer_values",
                "answered_on",
                "entered_by",
                "id",
                "partner_id",
                "round",
                "survey_id",
                "texts",
                "via"
            ],
            "{name}"
        );
        let nulls = db
            .fetch_one::<i64>(liaison_db::q(
                "SELECT COUNT(*) FROM survey_answers WHERE partner_id IS NULL AND entered_by IS NULL AND via IS NULL",
            ))
            .await
            .expect("count");
        assert_eq!(
            nulls, 5,
            "{name}: no partner, no staff, no channel on any answer"
        );
        let ids: Vec<Uuid> = db
            .fetch_all(liaison_db::q("SELECT id FROM survey_answers"))
            .await
            .expect("ids");
        let contacts = liaison_db::partner::list_all_contacts(&db, Scope::All, &Default::default())
            .await
            .expect("contacts");
        let users = liaison_db::user::list_users(&db).await.expect("users");
        for id in &ids {
            assert_eq!(
                id.get_version_num(),
                4,
                "{name}: a random id, not time-ordered"
            );
            assert!(!invitation_ids.contains(id) && !ps.contains(id), "{name}");
            assert!(!contacts.iter().any(|c| c.id == *id), "{name}");
            assert!(!users.iter().any(|u| u.id == *id), "{name}");
        }
        let days: Vec<String> = db
            .fetch_all(liaison_db::q("SELECT answered_on FROM survey_answers"))
            .await
            .expect("days");
        assert!(
            days.iter().all(|d| d == "2026-12-07"),
            "{name}: the round's first day, never the day or time it came: {days:?}"
        );
        let texts: Vec<String> = db
            .fetch_all(liaison_db::q("SELECT answer_values FROM survey_answers"))
            .await
            .expect("values");
        for t in &texts {
            for p in ps.iter().chain(&invitation_ids) {
                assert!(!t.contains(&p.to_string()), "{name}: {t}");
            }
        }
        // The audit chain names the survey and round of an anonymous answer, never a partner.
        let audit: Vec<String> = db
            .fetch_all(liaison_db::q(
                "SELECT detail FROM audit_log WHERE action = 'survey.answer'",
            ))
            .await
            .expect("audit");
        assert_eq!(audit.len(), 5, "{name}");
        assert!(
            audit.iter().all(|d| !d.contains("partner")),
            "{name}: {audit:?}"
        );
    }
}

/// §6.2.1 interviews: staff type in what a partner said by phone, marked as such with their
/// name; a partner user cannot answer for another partner.
#[tokio::test]
async fn phone_interviews_are_entered_by_staff_and_marked() {
    let (dbs, _g) = backends().await;
    for (name, db) in dbs {
        let (db, _c) = at(bj(2026, 12, 7, 10), db).await;
        let cast = Cast::load(&db).await;
        let p1p = cast.p1.partner_id.expect("p1");
        let p2p = cast.p2.partner_id.expect("p2");
        let s = sent(
            &db,
            &cast,
            &input(vec![p1p, p2p], false, "once", "2026-12-20"),
        )
        .await;
        let phone = AnswerInput {
            partner_id: Some(p2p),
            ..answers(2, 4, 3, 2, "电话中反映到货慢")
        };
        assert!(
            matches!(
                app::answer(&db, &cast.staff, s.id, &phone, AnswerVia::Phone).await,
                Err(Error::Forbidden)
            ),
            "{name}"
        );
        match app::answer(&db, &cast.p1, s.id, &phone, AnswerVia::Portal).await {
            Err(Error::Invalid(e)) => assert_eq!(e.0[0].field, "partner_id", "{name}"),
            other => panic!("{name}: {other:?}"),
        }
        app::answer(&db, &cast.channel, s.id, &phone, AnswerVia::Phone)
            .await
            .expect("entered");
        let a = liaison_db::surveys::answer_of(&db, s.id, 1, p2p)
            .await
            .expect("read")
            .expect("p2's answer");
        assert_eq!(a.via, Some(AnswerVia::Phone), "{name}");
        assert_eq!(
            a.entered_by_name.as_deref(),
            Some("陈立 Chen Li"),
            "{name}: who typed it in"
        );
        let view = app::show(&db, &cast.p2, s.id)
            .await
            .expect("p2 sees its own");
        assert!(view.mine.expect("mine").invitation.answered, "{name}");
    }
}

/// Issue 16: `scores` gives the indicators each measure's answers, by day, with the partner
/// of a named survey and none of an anonymous one.
#[tokio::test]
async fn scores_feed_satisfaction_nps_and_willingness() {
    let (dbs, _g) = backends().await;
    for (name, db) in dbs {
        let (db, clock) = at(bj(2026, 12, 7, 10), db).await;
        let cast = Cast::load(&db).await;
        let ps = partners(&db, 5).await;
        let p1p = cast.p1.partner_id.expect("p1");
        let named = sent(&db, &cast, &input(vec![p1p], false, "once", "2026-12-20")).await;
        app::answer(
            &db,
            &cast.p1,
            named.id,
            &answers(4, 9, 5, 0, ""),
            AnswerVia::Portal,
        )
        .await
        .expect("named");
        let anon = sent(&db, &cast, &input(ps.clone(), true, "once", "2026-12-20")).await;
        let t = token(&db, &anon, ps[1]).await;
        app::by_link(&db, &t, Some(&answers(2, 3, 1, 0, "")))
            .await
            .expect("anon");
        let rows = liaison_db::surveys::scores(&db, bj(2026, 12, 1, 0), bj(2027, 1, 1, 0))
            .await
            .expect("scores");
        let mut got: Vec<(Option<Uuid>, String, i16)> = rows
            .iter()
            .map(|r| (r.partner_id, r.measure.clone(), r.score))
            .collect();
        got.sort();
        let mut want = vec![
            (None, "nps".to_string(), 3),
            (None, "satisfaction".to_string(), 2),
            (None, "willingness".to_string(), 1),
            (Some(p1p), "nps".to_string(), 9),
            (Some(p1p), "satisfaction".to_string(), 4),
            (Some(p1p), "willingness".to_string(), 5),
        ];
        want.sort();
        assert_eq!(got, want, "{name}");
        assert!(
            rows.iter().all(|r| r.at == bj(2026, 12, 7, 0)),
            "{name}: the day, at midnight"
        );
        let none = liaison_db::surveys::scores(&db, bj(2026, 12, 8, 0), bj(2027, 1, 1, 0))
            .await
            .expect("scores");
        assert!(none.is_empty(), "{name}: by the answer's day");

        // F3 (§6.1.3) counts both satisfaction answers, the anonymous one in the total only;
        // the sweep after a rebuild finds an answer given later on the round's day.
        liaison_app::kpi::rebuild(&db, None).await.expect("rebuilt");
        let month = liaison_core::kpi::Period::parse("2026-12").expect("month");
        let total = |db: Db| async move {
            liaison_app::kpi::report(
                &db,
                &Cast::load(&db).await.exec,
                liaison_app::kpi::Days::of(month),
                liaison_core::kpi::GroupBy::Partner,
            )
            .await
            .expect("report")
        };
        let r = total(db.clone()).await;
        assert_eq!(r.total.satisfaction.responses, 2, "{name}: {:?}", r.total);
        assert_eq!(r.total.satisfaction.mean, Some(3.0), "{name}");
        let p1_row = r
            .groups
            .iter()
            .find(|g| g.key == p1p.to_string())
            .expect("p1's partner");
        assert_eq!(p1_row.satisfaction.responses, 1, "{name}");
        // Ten days on the sweep looks back a week, to the 10th; an anonymous answer given
        // now is dated the round's first day, the 7th, and still counts.
        clock.advance(Duration::days(10));
        liaison_app::kpi::sweep(&db).await.expect("swept");
        let t = token(&db, &anon, ps[2]).await;
        app::by_link(&db, &t, Some(&answers(5, 10, 5, 0, "")))
            .await
            .expect("a later anonymous answer");
        clock.advance(Duration::days(10));
        liaison_app::kpi::sweep(&db).await.expect("swept");
        let r = total(db.clone()).await;
        assert_eq!(r.total.satisfaction.responses, 3, "{name}: {:?}", r.total);
    }
}

/// §6.2.1 reminders and periodic rounds: those who have not answered are reminded once,
/// `remind_days` before the round closes; a quarterly survey's next round begins with the
/// next quarter and takes a new answer from the same partner.
#[tokio::test]
async fn the_sweep_reminds_once_and_begins_the_next_round() {
    let (dbs, _g) = backends().await;
    for (name, db) in dbs {
        let (db, clock) = at(bj(2026, 12, 7, 10), db).await;
        let cast = Cast::load(&db).await;
        let p1p = cast.p1.partner_id.expect("p1");
        let p2p = cast.p2.partner_id.expect("p2");
        let s = sent(
            &db,
            &cast,
            &input(vec![p1p, p2p], false, "quarterly", "2026-12-20"),
        )
        .await;
        app::answer(
            &db,
            &cast.p1,
            s.id,
            &answers(5, 10, 5, 0, ""),
            AnswerVia::Portal,
        )
        .await
        .expect("p1 answers");
        let r = app::sweep(&db).await.expect("sweep");
        assert_eq!(r.reminded, 0, "{name}: too early");
        // Three days before the end of the 20th.
        clock.advance(bj(2026, 12, 18, 9) - bj(2026, 12, 7, 10));
        let r = app::sweep(&db).await.expect("sweep");
        assert_eq!(r.reminded, 1, "{name}: only p2, who has not answered");
        let reminded = liaison_db::notify::list(&db, cast.p2.user_id, false, None, 50)
            .await
            .expect("notes")
            .into_iter()
            .filter(|n| n.kind == NotifyKind::SurveyReminder)
            .count();
        assert_eq!(reminded, 1, "{name}");
        assert!(
            liaison_db::notify::list(&db, cast.p1.user_id, false, None, 50)
                .await
                .expect("notes")
                .iter()
                .all(|n| n.kind != NotifyKind::SurveyReminder),
            "{name}: p1 answered"
        );
        assert_eq!(
            app::sweep(&db).await.expect("sweep").reminded,
            0,
            "{name}: once"
        );
        // The round closes with the 20th; the next begins with the next quarter.
        clock.advance(bj(2026, 12, 22, 9) - bj(2026, 12, 18, 9));
        let r = app::sweep(&db).await.expect("sweep");
        assert_eq!((r.rounds, r.closed), (0, 0), "{name}: still this quarter");
        assert!(
            matches!(
                app::answer(
                    &db,
                    &cast.p2,
                    s.id,
                    &answers(3, 7, 3, 0, ""),
                    AnswerVia::Portal
                )
                .await,
                Err(Error::Conflict(_))
            ),
            "{name}: the round is over"
        );
        clock.advance(bj(2027, 1, 4, 9) - bj(2026, 12, 22, 9));
        let r = app::sweep(&db).await.expect("sweep");
        assert_eq!(r.rounds, 1, "{name}: the first quarter's round");
        let s2 = liaison_db::surveys::find_survey(&db, s.id)
            .await
            .expect("survey");
        assert_eq!(s2.round, 2, "{name}");
        assert_eq!(
            app::show(&db, &cast.p1, s.id)
                .await
                .expect("show")
                .period
                .as_deref(),
            Some("2027-Q1"),
            "{name}"
        );
        app::answer(
            &db,
            &cast.p1,
            s.id,
            &answers(4, 8, 4, 1, ""),
            AnswerVia::Portal,
        )
        .await
        .expect("p1 answers round 2");
        let all = liaison_db::surveys::answers(&db, s.id, None)
            .await
            .expect("answers");
        assert_eq!(
            all.iter().map(|a| a.round).collect::<Vec<_>>(),
            [1, 2],
            "{name}"
        );
        let r1 = app::results(&db, &cast.channel, s.id, Some(1))
            .await
            .expect("round 1");
        assert_eq!((r1.invited, r1.answered), (2, 1), "{name}");
        // A one-off survey closes after its day.
        let once = sent(&db, &cast, &input(vec![p1p], false, "once", "2027-01-05")).await;
        clock.advance(Duration::days(3));
        app::sweep(&db).await.expect("sweep");
        let once = liaison_db::surveys::find_survey(&db, once.id)
            .await
            .expect("survey");
        assert_eq!(once.state, SurveyState::Closed, "{name}");
    }
}

/// A partner with contacts and no portal user, its one contact with an e-mail address and one
/// without.
pub(crate) async fn partner_without_users(db: &Db, cast: &Cast, code: &str) -> (Uuid, Uuid) {
    use liaison_core::partner::{ContactInput, PartnerInput};
    let partner = liaison_app::partner::create(
        db,
        &cast.channel,
        PartnerInput {
            code: Some(code.into()),
            name: Some("无门户账号的伙伴".into()),
            kind: Some("distributor".into()),
            region: Some("华东".into()),
            tier: Some("B".into()),
            ..Default::default()
        },
    )
    .await
    .expect("partner");
    let mut with_mail = None;
    for (who, email) in [("孙三", Some("sun@nologin.example")), ("李四", None)] {
        let c = liaison_app::partner::add_contact(
            db,
            &cast.channel,
            partner.id.into(),
            ContactInput {
                name: Some(who.into()),
                email: email.map(Into::into),
                phone: email.is_none().then(|| "13800000000".into()),
                preferred_channels: Some(vec![
                    if email.is_some() { "email" } else { "phone" }.into(),
                ]),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("contact {who}: {e:?}"));
        if email.is_some() {
            with_mail = Some(c.id);
        }
    }
    (partner.id, with_mail.expect("the e-mail contact"))
}

/// The `survey_mail` jobs queued: (invitation, contact, reminder).
async fn survey_mails(db: &Db) -> Vec<(Uuid, Uuid, bool)> {
    let mut v: Vec<(Uuid, Uuid, bool)> =
        liaison_db::job::list_jobs(db, Some("survey_mail"), None, 100)
            .await
            .expect("jobs")
            .into_iter()
            .map(|j| {
                let id = |k: &str| {
                    j.payload[k]
                        .as_str()
                        .and_then(|s| Uuid::parse_str(s).ok())
                        .expect("an id")
                };
                (
                    id("invitation_id"),
                    id("contact_id"),
                    j.payload["reminder"].as_bool().expect("reminder"),
                )
            })
            .collect();
    v.sort();
    v
}

/// §6.2.1, issue 16 item 2: a partner with contacts but no portal user is reached too: its
/// contact with an e-mail address gets a `survey_mail` job for the invitation, and one for the
/// reminder; a partner with portal users hears through them only; answering by the link is
/// counted, and for an anonymous survey the answer holds nothing of the partner.
#[tokio::test]
async fn partners_without_portal_users_are_mailed_through_their_contacts() {
    let (dbs, _g) = backends().await;
    for (name, db) in dbs {
        let (db, clock) = at(bj(2026, 12, 7, 10), db).await;
        let cast = Cast::load(&db).await;
        let p1p = cast.p1.partner_id.expect("p1");
        let (lone, contact) = partner_without_users(&db, &cast, "NOLOGIN-01").await;
        assert!(survey_mails(&db).await.is_empty(), "{name}");
        for anonymous in [false, true] {
            let before = survey_mails(&db).await;
            let s = sent(
                &db,
                &cast,
                &input(vec![p1p, lone], anonymous, "once", "2026-12-20"),
            )
            .await;
            let inv = liaison_db::surveys::invitation_for(&db, s.id, s.round, lone)
                .await
                .expect("read")
                .expect("invited");
            let now: Vec<_> = survey_mails(&db)
                .await
                .into_iter()
                .filter(|m| !before.contains(m))
                .collect();
            assert_eq!(
                now,
                vec![(inv.id, contact, false)],
                "{name} anonymous={anonymous}: one mail, to the contact with an address"
            );
            if anonymous {
                // Answered by the link: counted, and nothing in it names the partner.
                let t = app::link_token(&db, inv.id).await.expect("token");
                app::by_link(&db, &t, Some(&answers(4, 9, 4, 1, "很好")))
                    .await
                    .expect("answered by the link");
                let r = app::results(&db, &cast.channel, s.id, None)
                    .await
                    .expect("results");
                assert_eq!((r.invited, r.answered), (2, 1), "{name}");
                let stored = liaison_db::surveys::answers(&db, s.id, None)
                    .await
                    .expect("answers");
                assert_eq!(stored.len(), 1, "{name}");
                assert_eq!(
                    stored[0].partner_id, None,
                    "{name}: not joined to the partner"
                );
                continue;
            }
            // The reminder, three days before the end of the 20th: the contact again.
            clock.advance(bj(2026, 12, 18, 9) - bj(2026, 12, 7, 10));
            let r = app::sweep(&db).await.expect("sweep");
            assert_eq!(r.reminded, 2, "{name}: p1's partner and the lone one");
            let reminders: Vec<_> = survey_mails(&db)
                .await
                .into_iter()
                .filter(|m| m.2)
                .collect();
            assert_eq!(reminders, vec![(inv.id, contact, true)], "{name}");
            // Answered by the link (named): counted for the partner.
            let t = app::link_token(&db, inv.id).await.expect("token");
            let v = app::by_link(&db, &t, Some(&answers(5, 10, 5, 0, "")))
                .await
                .expect("answered by the link");
            assert!(v.invitation.answered, "{name}");
            let r = app::results(&db, &cast.channel, s.id, None)
                .await
                .expect("results");
            assert_eq!((r.invited, r.answered), (2, 1), "{name}");
        }
    }
}
