//! Benchmark of issue 16 item 2 (policy §6.2.1): a survey's results over 10,000 answers.
//! Usage:
//!
//! ```sh
//! cargo run --release -p liaison-app --example surveys_bench -- DATABASE_URL 10000
//! ```
//!
//! Loads the demo company with N load-test partners, writes a named survey of five questions
//! (satisfaction rating, NPS, willingness, a multiple choice of four, a free text) to every
//! partner and sends it (timed: N invitations and the notifications of their users), records
//! one answer per partner through the repository (every third with a sealed free text), then
//! times `liaison_app::surveys::results` five times (every answer read, texts opened, added
//! up per question), the CSV export once, and `liaison_db::surveys::scores` over the month.

use chrono::Duration;
use liaison_app::surveys::{self as app, SurveyInput};
use liaison_core::surveys::{AnswerVia, Measure, Question, QuestionKind, Texts, Value};
use liaison_core::{Scope, SystemClock};
use liaison_db::Db;
use liaison_db::surveys::{Audience, NewAnswer};
use std::sync::Arc;
use std::time::Instant;

type R<T> = Result<T, Box<dyn std::error::Error>>;

fn zh(s: &str) -> Texts {
    [("zh-cn".to_string(), s.to_string())].into()
}

fn question(kind: QuestionKind, text: &str, measure: Option<Measure>, choices: usize) -> Question {
    Question {
        key: String::new(),
        kind,
        text: zh(text),
        choices: (0..choices).map(|i| zh(&format!("选项 {i}"))).collect(),
        required: false,
        measure,
    }
}

#[tokio::main]
async fn main() -> R<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: surveys_bench DATABASE_URL ANSWERS";
    let url = args.next().ok_or(usage)?;
    let n: usize = args.next().ok_or(usage)?.parse()?;
    let cipher =
        liaison_db::crypto::Cipher::from_text(&liaison_db::crypto::Cipher::generate_text()?)?;
    let db = Db::connect(&url, Arc::new(SystemClock))
        .await?
        .with_cipher(cipher);
    db.migrate().await?;
    let started = Instant::now();
    liaison_demo::load(&db, n, &|_| {}).await?;
    println!(
        "demo with {n} partners: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let channel = liaison_db::user::find_user_by_email(&db, "channel@demo.example")
        .await?
        .ok_or("demo user missing")?
        .actor();
    let partners: Vec<uuid::Uuid> =
        liaison_db::partner::list_all_partners(&db, Scope::All, &Default::default())
            .await?
            .into_iter()
            .filter(|p| p.status == "active")
            .map(|p| p.id)
            .take(n)
            .collect();
    let closes = (db.now() + Duration::days(14))
        .with_timezone(&liaison_core::calendar::COMPANY_ZONE)
        .date_naive()
        .to_string();
    let s = app::create(
        &db,
        &channel,
        &SurveyInput {
            title: Some(zh("渠道伙伴满意度调查（压测）")),
            questions: Some(vec![
                question(
                    QuestionKind::Rating,
                    "满意度",
                    Some(Measure::Satisfaction),
                    0,
                ),
                question(QuestionKind::Nps, "推荐意愿", Some(Measure::Nps), 0),
                question(
                    QuestionKind::Rating,
                    "合作意愿",
                    Some(Measure::Willingness),
                    0,
                ),
                question(QuestionKind::Multiple, "常用渠道", None, 4),
                question(QuestionKind::Text, "建议", None, 0),
            ]),
            audience: Some(Audience {
                partners: partners.clone(),
                ..Default::default()
            }),
            schedule: Some("quarterly".into()),
            closes_on: Some(closes),
            ..Default::default()
        },
    )
    .await?;
    let t = Instant::now();
    let s = app::send(&db, &channel, s.id).await?;
    println!(
        "send to {} partners: {:.2} s",
        partners.len(),
        t.elapsed().as_secs_f64()
    );
    let invitations = liaison_db::surveys::list_invitations(&db, s.id, s.round).await?;
    let t = Instant::now();
    for (i, inv) in invitations.iter().enumerate() {
        let mut a = liaison_core::surveys::Answer::default();
        a.values
            .insert("q1".into(), Value::Number(1 + (i % 5) as i64));
        a.values.insert("q2".into(), Value::Number((i % 11) as i64));
        a.values
            .insert("q3".into(), Value::Number(1 + (i * 7 % 5) as i64));
        a.values
            .insert("q4".into(), Value::Choices(vec![i % 4, (i + 1) % 4]));
        if i % 3 == 0 {
            a.texts.insert(
                "q5".into(),
                format!("第 {i} 家伙伴的建议：促销政策请提前两周通知。"),
            );
        }
        liaison_db::surveys::record_answer(
            &db,
            NewAnswer {
                survey: &s,
                invitation: inv,
                answer: &a,
                via: AnswerVia::Portal,
                entered_by: None,
                actor: None,
            },
        )
        .await?;
    }
    println!(
        "{} answers recorded: {:.1} s",
        invitations.len(),
        t.elapsed().as_secs_f64()
    );
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let r = app::results(&db, &channel, s.id, None).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(r.answered as usize, invitations.len());
        assert_eq!(r.questions[0].answered, invitations.len());
    }
    println!(
        "results over {} answers, ms: {times:.1?}",
        invitations.len()
    );
    let t = Instant::now();
    let (_, bytes) = app::export(
        &db,
        &channel,
        s.id,
        liaison_core::partner::Lang::ZhCn,
        false,
    )
    .await?;
    println!(
        "CSV export: {:.0} ms, {} bytes",
        t.elapsed().as_secs_f64() * 1000.0,
        bytes.len()
    );
    let t = Instant::now();
    let scores = liaison_db::surveys::scores(
        &db,
        db.now() - Duration::days(31),
        db.now() + Duration::days(1),
    )
    .await?;
    println!(
        "scores: {} rows in {:.0} ms",
        scores.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}
