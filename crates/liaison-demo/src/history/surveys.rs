//! The survey story (issue 16 item 2; policy §6.2.1): the quarterly partner satisfaction
//! survey (named, with the satisfaction, NPS and willingness questions the indicators read and
//! a free-text one) went to every active partner early in the quarter and most answered within
//! two weeks, in the portal (p1's and p2's companies), by the e-mail's one-click link, or by
//! phone with their channel manager; two never answered. A short anonymous survey on training
//! needs went out three days ago and is still open: p1's company has not answered it, so its
//! portal and home page show it.
//!
//! It runs on its own clock, in time order, and once (its own audit marker).

use crate::{DbError, Result};
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use liaison_app::surveys::{self as app, AnswerInput, SurveyInput};
use liaison_core::surveys::{AnswerVia, Measure, Question, QuestionKind, Texts};
use liaison_core::{Clock, FixedClock};
use liaison_db::audit::{self, Entry};
use liaison_db::surveys::Audience;
use liaison_db::{Db, q};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

const MARKER: &str = "demo.survey_history";

const SUGGESTIONS: &[&str] = &[
    "促销政策希望至少提前两周通知，方便我们安排备货。",
    "技术支持响应很快，点赞；希望多组织新品培训。",
    "返利核对周期太长，建议每月对一次账。",
    "",
    "门户上的确认功能很方便，但手机上附件打开有点慢。",
    "希望区域经理多来现场走访，了解终端需求。",
    "",
    "交期信息更新不及时，旺季时影响我们对客户的承诺。",
    "整体合作顺畅，期待明年推出更多中端型号。",
    "建议把产品资料统一放在一个地方，现在邮件里找很费时间。",
];

fn texts(zh: &str, en: &str) -> Texts {
    [
        ("zh-cn".to_string(), zh.to_string()),
        ("en".to_string(), en.to_string()),
    ]
    .into()
}

fn question(kind: QuestionKind, zh: &str, en: &str, measure: Option<Measure>) -> Question {
    Question {
        key: String::new(),
        kind,
        text: texts(zh, en),
        choices: Vec::new(),
        required: kind != QuestionKind::Text,
        measure,
    }
}

fn bad(e: liaison_app::Error) -> DbError {
    DbError::Config(format!("demo surveys: {e}"))
}

fn at(day: chrono::NaiveDate, hour: u32) -> DateTime<Utc> {
    Shanghai
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap_or_default())
        .single()
        .map_or_else(
            || day.and_hms_opt(hour, 0, 0).unwrap_or_default().and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

/// A believable answer of partner number `i`: mostly satisfied, a few lukewarm or unhappy.
fn answer(i: usize, partner: Option<Uuid>) -> AnswerInput {
    let sat = [5, 4, 4, 3, 5, 4, 2, 4, 5, 3][i % 10];
    let nps = [9, 8, 10, 6, 9, 7, 3, 8, 10, 7][i % 10];
    let will = [5, 5, 4, 3, 5, 4, 3, 4, 5, 4][i % 10];
    let channel = [0, 1, 1, 2, 0, 1, 2, 1, 0, 1][i % 10];
    let mut answers = serde_json::Map::new();
    answers.insert("q1".into(), json!(sat));
    answers.insert("q2".into(), json!(nps));
    answers.insert("q3".into(), json!(will));
    answers.insert("q4".into(), json!(channel));
    let text = SUGGESTIONS[i % SUGGESTIONS.len()];
    if !text.is_empty() {
        answers.insert("q5".into(), json!(text));
    }
    AnswerInput {
        answers: answers.into_iter().collect(),
        partner_id: partner,
    }
}

/// Writes the story once; returns whether it wrote it.
pub async fn write(db: &Db) -> Result<bool> {
    let done: i64 = db
        .fetch_one(q("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(MARKER))
        .await?;
    // Free-text answers are sealed at rest (§7.2.1): without a key the story is skipped, as the
    // other stories that hold confidential text are.
    if done > 0 || db.cipher().is_err() {
        return Ok(false);
    }
    let users = liaison_db::user::list_users(db).await?;
    let find = |email: &str| users.iter().find(|u| u.email == email).map(|u| u.actor());
    let (Some(channel), Some(p1), Some(p2)) = (
        find("channel@demo.example"),
        find("p1@demo.example"),
        find("p2@demo.example"),
    ) else {
        return Ok(false);
    };
    let partners: Vec<Uuid> =
        liaison_db::partner::list_all_partners(db, liaison_core::Scope::All, &Default::default())
            .await?
            .into_iter()
            .filter(|p| p.status == "active")
            .map(|p| p.id)
            .take(40)
            .collect();
    if partners.is_empty() {
        return Ok(false);
    }
    let now = db.now();
    // The 10th of the quarter that began at least 45 days ago, at 10:00.
    let back = (now - Duration::days(45))
        .with_timezone(&Shanghai)
        .date_naive();
    let q0 =
        chrono::NaiveDate::from_ymd_opt(back.year(), back.month0() / 3 * 3 + 1, 10).unwrap_or(back);
    let sent_at = at(q0, 10);
    let clock = Arc::new(FixedClock::new(sent_at));
    let hdb = db.with_clock(clock.clone());
    let quarter = q0.month0() / 3 + 1;
    let title = texts(
        &format!("{} 年第 {quarter} 季度渠道伙伴满意度调查", q0.year()),
        &format!("Partner satisfaction survey, Q{quarter} {}", q0.year()),
    );
    let mut channel_q = question(
        QuestionKind::Single,
        "您与我们沟通最常用的渠道是？",
        "Which channel do you use most to reach us?",
        None,
    );
    channel_q.choices = vec![
        texts("邮件", "E-mail"),
        texts("企业微信", "WeCom"),
        texts("电话", "Phone"),
    ];
    let s = app::create(
        &hdb,
        &channel,
        &SurveyInput {
            title: Some(title),
            intro: Some(texts(
                "感谢贵公司一直以来的支持。本问卷约需 3 分钟，结果用于改进我们的渠道沟通（政策 §6.2.1）。",
                "Thank you for your support. This survey takes about 3 minutes; the results help us improve channel communication.",
            )),
            questions: Some(vec![
                question(
                    QuestionKind::Rating,
                    "您对本季度我们问题处理的结果是否满意？",
                    "How satisfied are you with how we resolved your problems this quarter?",
                    Some(Measure::Satisfaction),
                ),
                question(
                    QuestionKind::Nps,
                    "您向同行推荐与我们合作的可能性有多大？",
                    "How likely are you to recommend working with us to a peer?",
                    Some(Measure::Nps),
                ),
                question(
                    QuestionKind::Rating,
                    "您继续深化与我们合作的意愿如何？",
                    "How willing are you to deepen our cooperation?",
                    Some(Measure::Willingness),
                ),
                channel_q,
                question(
                    QuestionKind::Text,
                    "您对我们的沟通有什么建议？",
                    "What would you suggest we improve?",
                    None,
                ),
            ]),
            audience: Some(Audience {
                partners: partners.clone(),
                ..Default::default()
            }),
            anonymous: Some(false),
            schedule: Some("quarterly".into()),
            closes_on: Some((q0 + Duration::days(14)).to_string()),
            remind_days: Some(3),
        },
    )
    .await
    .map_err(bad)?;
    let s = app::send(&hdb, &channel, s.id).await.map_err(bad)?;
    let mut answered = 0;
    let p1p = p1.partner_id;
    let p2p = p2.partner_id;
    // Two partners (the last) never answer.
    let answering = partners.len().saturating_sub(2).max(1);
    for (i, p) in partners.iter().take(answering).enumerate() {
        clock.advance(
            at(
                q0 + Duration::days(1 + (i as i64 * 13 / answering as i64)),
                9 + (i % 8) as u32,
            ) - clock.now(),
        );
        let a = answer(i, None);
        if Some(*p) == p1p {
            app::answer(&hdb, &p1, s.id, &a, AnswerVia::Portal)
                .await
                .map_err(bad)?;
        } else if Some(*p) == p2p {
            app::answer(&hdb, &p2, s.id, &a, AnswerVia::Portal)
                .await
                .map_err(bad)?;
        } else if i % 4 == 3 {
            // A phone interview with the channel manager.
            app::answer(&hdb, &channel, s.id, &answer(i, Some(*p)), AnswerVia::Phone)
                .await
                .map_err(bad)?;
        } else if let Some(inv) =
            liaison_db::surveys::invitation_for(&hdb, s.id, s.round, *p).await?
        {
            let token = app::link_token(&hdb, inv.id).await.map_err(bad)?;
            app::by_link(&hdb, &token, Some(&a)).await.map_err(bad)?;
        } else {
            continue;
        }
        answered += 1;
    }
    // The open, anonymous survey on training needs: sent three days ago, p1 has not answered.
    clock.advance(now - Duration::days(3) - clock.now());
    let mut needs = question(
        QuestionKind::Multiple,
        "贵公司希望参加哪些培训？",
        "Which trainings would your company like to attend?",
        None,
    );
    needs.choices = vec![
        texts("新品技术培训", "New product technology"),
        texts("销售技巧", "Sales skills"),
        texts("售后维修", "After-sales repair"),
        texts("系统与门户使用", "Using the portal"),
    ];
    let open = app::create(
        &hdb,
        &channel,
        &SurveyInput {
            title: Some(texts(
                "2027 年伙伴培训需求调查",
                "Partner training needs 2027",
            )),
            intro: Some(texts(
                "本问卷匿名，我们只看汇总结果。",
                "This survey is anonymous: we only see the totals.",
            )),
            questions: Some(vec![
                needs,
                question(
                    QuestionKind::Rating,
                    "您对今年培训的整体评价？",
                    "How do you rate this year's trainings overall?",
                    None,
                ),
                question(
                    QuestionKind::Text,
                    "其他培训需求",
                    "Other training needs",
                    None,
                ),
            ]),
            audience: Some(Audience {
                partners: partners.clone(),
                ..Default::default()
            }),
            anonymous: Some(true),
            schedule: Some("once".into()),
            closes_on: Some(
                (now + Duration::days(10))
                    .with_timezone(&Shanghai)
                    .date_naive()
                    .to_string(),
            ),
            remind_days: Some(3),
        },
    )
    .await
    .map_err(bad)?;
    let open = app::send(&hdb, &channel, open.id).await.map_err(bad)?;
    let mut early = 0;
    for (i, p) in partners.iter().enumerate() {
        if Some(*p) == p1p || early >= 3 {
            continue;
        }
        if let Some(inv) = liaison_db::surveys::invitation_for(&hdb, open.id, 1, *p).await? {
            clock.advance(Duration::hours(5));
            let token = app::link_token(&hdb, inv.id).await.map_err(bad)?;
            let a = AnswerInput {
                answers: [
                    ("q1".to_string(), json!([i % 4, (i + 2) % 4])),
                    ("q2".to_string(), json!(3 + i % 3)),
                ]
                .into(),
                partner_id: None,
            };
            app::by_link(&hdb, &token, Some(&a)).await.map_err(bad)?;
            early += 1;
        }
    }
    audit::record(
        db,
        Entry {
            actor_id: None,
            action: MARKER,
            entity: "demo",
            entity_id: None,
            partner_id: None,
            detail: json!({"surveys": 2, "answered": answered, "open_answers": early}),
        },
    )
    .await?;
    Ok(true)
}
