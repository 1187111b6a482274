//! Surveys: periodic questionnaires and interviews (policy §6.2.1; SPEC F5): what a survey and
//! its questions are, which states and rounds it passes, how an answer is checked against its
//! questions, and how the answers of a round add up (rating mean and distribution, choice
//! counts, the NPS score, free texts), with anonymous results withheld below
//! [`MIN_ANONYMOUS`] answers. The `measure` tags feed the indicators (§6.1.3 satisfaction,
//! §6.1.4 relationship: NPS and willingness to cooperate). Storage is liaison-db's `surveys`;
//! doing it is liaison-app's.

use crate::partner::Lang;
use crate::str_enum;
use crate::validate::{FieldErrors, Msg};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// §6.2.1 and issue 16: an anonymous survey's results (overall and per question) are shown
/// only from this many answers up, so that no answer can be told apart.
pub const MIN_ANONYMOUS: usize = 5;

/// At most this many questions in a survey, and choices in a question.
pub const MAX_QUESTIONS: usize = 50;
pub const MAX_CHOICES: usize = 20;

str_enum!(
    /// What a question asks for: a rating 1-5, one choice, several choices, a free text, or
    /// the 0-10 "would you recommend" of the Net Promoter Score.
    QuestionKind { Rating = "rating", Single = "single", Multiple = "multiple", Text = "text", Nps = "nps" }
);

str_enum!(
    /// What a question's answers count into: §6.1.3 resolution satisfaction (a rating 1-5),
    /// §6.1.4 the relationship index's NPS (0-10) and willingness to cooperate (a rating 1-5).
    Measure { Satisfaction = "satisfaction", Nps = "nps", Willingness = "willingness" }
);

str_enum!(
    /// `draft` (only the company sees it, it may change), `open` (sent; its current round takes
    /// answers until its closing time), `closed` (no more rounds, no more answers).
    SurveyState { Draft = "draft", Open = "open", Closed = "closed" }
);

str_enum!(
    /// Once, or a round every month, quarter or year (§6.2.1 "periodic questionnaires").
    Schedule { Once = "once", Monthly = "monthly", Quarterly = "quarterly", Yearly = "yearly" }
);

str_enum!(
    /// How an answer came in: the portal, the one-click link, the API, or typed in by staff
    /// during a phone interview.
    AnswerVia { Portal = "portal", Link = "link", Api = "api", Phone = "phone" }
);

/// A text in the languages its author wrote (`zh-cn`, `zh-tw`, `en`), at least one.
pub type Texts = BTreeMap<String, String>;

/// The text for a reader in `lang`: theirs, else simplified Chinese, else English, else any.
pub fn pick(t: &Texts, lang: Lang) -> &str {
    [lang.as_str(), "zh-cn", "en", "zh-tw"]
        .iter()
        .find_map(|k| t.get(*k).filter(|v| !v.is_empty()))
        .or_else(|| t.values().next())
        .map(String::as_str)
        .unwrap_or("")
}

/// Checks a multilingual text: known languages only, each trimmed, at most `max` characters,
/// at least one non-empty when `required`.
pub fn check_texts(
    field: &str,
    t: &Texts,
    max: usize,
    required: bool,
    e: &mut FieldErrors,
) -> Texts {
    let mut out = Texts::new();
    for (k, v) in t {
        let Ok(lang) = Lang::parse(k) else {
            e.add(
                format!("{field}.{k}"),
                Msg::one_of(k, &["zh-cn", "zh-tw", "en"]),
            );
            continue;
        };
        match crate::validate::optional_text(v, max) {
            Ok(Some(v)) => {
                out.insert(lang.as_str().to_string(), v);
            }
            Ok(None) => {}
            Err(m) => e.add(format!("{field}.{k}"), m),
        }
    }
    if required && out.is_empty() {
        e.required(field);
    }
    out
}

/// One question of a survey, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Its key within the survey (`q1`, `q2`, …), given when the survey is saved.
    #[serde(default)]
    pub key: String,
    pub kind: QuestionKind,
    pub text: Texts,
    /// The choices of a single or multiple choice question.
    #[serde(default)]
    pub choices: Vec<Texts>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub measure: Option<Measure>,
}

impl Question {
    /// The range of a numeric answer.
    pub fn scale(&self) -> Option<(i64, i64)> {
        match self.kind {
            QuestionKind::Rating => Some((1, 5)),
            QuestionKind::Nps => Some((0, 10)),
            _ => None,
        }
    }
}

/// Checks the questions as typed and numbers their keys `q1`, `q2`, … in order. A measure
/// fits its kind: `satisfaction` and `willingness` a rating, `nps` an NPS question.
pub fn check_questions(qs: &[Question], e: &mut FieldErrors) -> Vec<Question> {
    if qs.is_empty() {
        e.add("questions", Msg::new("survey.no_questions"));
    }
    if qs.len() > MAX_QUESTIONS {
        e.add(
            "questions",
            Msg::new("survey.too_many").arg("max", MAX_QUESTIONS),
        );
    }
    let mut out = Vec::with_capacity(qs.len());
    for (i, q) in qs.iter().enumerate() {
        let field = format!("questions[{i}]");
        let text = check_texts(&format!("{field}.text"), &q.text, 500, true, e);
        let mut choices = Vec::new();
        match q.kind {
            QuestionKind::Single | QuestionKind::Multiple => {
                if q.choices.len() < 2 || q.choices.len() > MAX_CHOICES {
                    e.add(
                        format!("{field}.choices"),
                        Msg::new("survey.choices_count").arg("max", MAX_CHOICES),
                    );
                }
                for (j, c) in q.choices.iter().enumerate() {
                    choices.push(check_texts(
                        &format!("{field}.choices[{j}]"),
                        c,
                        200,
                        true,
                        e,
                    ));
                }
            }
            _ if !q.choices.is_empty() => {
                e.add(format!("{field}.choices"), Msg::new("survey.no_choices"));
            }
            _ => {}
        }
        let fits = match q.measure {
            None => true,
            Some(Measure::Satisfaction | Measure::Willingness) => q.kind == QuestionKind::Rating,
            Some(Measure::Nps) => q.kind == QuestionKind::Nps,
        };
        if !fits {
            e.add(format!("{field}.measure"), Msg::new("survey.measure_kind"));
        }
        out.push(Question {
            key: format!("q{}", i + 1),
            kind: q.kind,
            text,
            choices,
            required: q.required,
            measure: q.measure,
        });
    }
    out
}

/// One answer to one question: a number (rating, NPS), the chosen choices' indexes, or a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Number(i64),
    Choices(Vec<usize>),
    Text(String),
}

/// The checked answers of one respondent: numbers and choices (`values`, kept as they are, what
/// results and indicators add up) and free texts (`texts`, sealed at rest), by question key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub values: BTreeMap<String, Value>,
    pub texts: BTreeMap<String, String>,
}

/// Checks `raw` (question key → JSON value) against the questions: every required question
/// answered, numbers in their scale, choices among the question's (one for a single choice),
/// texts at most 4,000 characters, no unknown keys. Errors are named `answers.<key>`.
pub fn check_answer(
    qs: &[Question],
    raw: &BTreeMap<String, serde_json::Value>,
) -> Result<Answer, FieldErrors> {
    let mut e = FieldErrors::new();
    let mut a = Answer::default();
    for k in raw.keys() {
        if !qs.iter().any(|q| &q.key == k) {
            e.add(format!("answers.{k}"), Msg::new("survey.unknown_question"));
        }
    }
    for q in qs {
        let field = format!("answers.{}", q.key);
        let v = raw.get(&q.key).filter(|v| match v {
            serde_json::Value::Null => false,
            serde_json::Value::String(s) => !s.trim().is_empty(),
            serde_json::Value::Array(a) => !a.is_empty(),
            _ => true,
        });
        let Some(v) = v else {
            if q.required {
                e.required(field);
            }
            continue;
        };
        match q.kind {
            QuestionKind::Rating | QuestionKind::Nps => {
                let (lo, hi) = q.scale().unwrap_or((0, 10));
                let n = match v {
                    serde_json::Value::Number(n) => n.as_i64(),
                    serde_json::Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                };
                match n.filter(|n| (lo..=hi).contains(n)) {
                    Some(n) => {
                        a.values.insert(q.key.clone(), Value::Number(n));
                    }
                    None => e.add(
                        field,
                        Msg::new("validate.number_range")
                            .arg("min", lo)
                            .arg("max", hi),
                    ),
                }
            }
            QuestionKind::Single | QuestionKind::Multiple => {
                let picked: Option<Vec<usize>> = match v {
                    serde_json::Value::Number(n) => n.as_u64().map(|n| vec![n as usize]),
                    serde_json::Value::String(s) => s.trim().parse().ok().map(|n| vec![n]),
                    serde_json::Value::Array(xs) => xs
                        .iter()
                        .map(|x| match x {
                            serde_json::Value::Number(n) => n.as_u64().map(|n| n as usize),
                            serde_json::Value::String(s) => s.trim().parse().ok(),
                            _ => None,
                        })
                        .collect(),
                    _ => None,
                };
                let mut picked = picked.unwrap_or_default();
                picked.sort_unstable();
                picked.dedup();
                let ok = !picked.is_empty()
                    && picked.iter().all(|i| *i < q.choices.len())
                    && (q.kind == QuestionKind::Multiple || picked.len() == 1);
                if ok {
                    a.values.insert(q.key.clone(), Value::Choices(picked));
                } else {
                    e.add(field, Msg::new("survey.bad_choice"));
                }
            }
            QuestionKind::Text => match v {
                serde_json::Value::String(s) => match crate::validate::optional_text(s, 4000) {
                    Ok(Some(t)) => {
                        a.texts.insert(q.key.clone(), t);
                    }
                    Ok(None) => {}
                    Err(m) => e.add(field, m),
                },
                _ => e.add(field, Msg::new("validate.invalid")),
            },
        }
    }
    if e.is_empty() { Ok(a) } else { Err(e) }
}

/// The NPS of a round: promoters (9-10), passives (7-8), detractors (0-6) and the score,
/// % promoters − % detractors, rounded to a whole number (−100..100).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Nps {
    pub promoters: usize,
    pub passives: usize,
    pub detractors: usize,
    pub score: Option<i64>,
}

pub fn nps(values: &[i64]) -> Nps {
    let mut n = Nps::default();
    for v in values {
        match v {
            9..=10 => n.promoters += 1,
            7..=8 => n.passives += 1,
            _ => n.detractors += 1,
        }
    }
    let total = values.len();
    if total > 0 {
        let diff = n.promoters as f64 - n.detractors as f64;
        n.score = Some((diff * 100.0 / total as f64).round() as i64);
    }
    n
}

/// One question's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionResult {
    pub key: String,
    pub kind: QuestionKind,
    pub measure: Option<Measure>,
    /// How many answered this question.
    pub answered: usize,
    /// Rating and NPS: the mean, two decimals.
    pub mean: Option<f64>,
    /// Rating (1..5), NPS (0..10): how many gave each value; choices: how many picked each.
    pub counts: Vec<usize>,
    /// Rating: the share who gave 4 or 5 (§6.1.3 "share satisfied"), 0..1.
    pub share_satisfied: Option<f64>,
    pub nps: Option<Nps>,
    /// Free texts, in the order given.
    pub texts: Vec<String>,
}

/// Adds up the answers of a round per question. `answers` are as stored.
pub fn aggregate(qs: &[Question], answers: &[Answer]) -> Vec<QuestionResult> {
    qs.iter()
        .map(|q| {
            let mut r = QuestionResult {
                key: q.key.clone(),
                kind: q.kind,
                measure: q.measure,
                answered: 0,
                mean: None,
                counts: Vec::new(),
                share_satisfied: None,
                nps: None,
                texts: Vec::new(),
            };
            match q.kind {
                QuestionKind::Rating | QuestionKind::Nps => {
                    let (lo, hi) = q.scale().unwrap_or((0, 10));
                    r.counts = vec![0; (hi - lo + 1) as usize];
                    let nums: Vec<i64> = answers
                        .iter()
                        .filter_map(|a| match a.values.get(&q.key) {
                            Some(Value::Number(n)) if (lo..=hi).contains(n) => Some(*n),
                            _ => None,
                        })
                        .collect();
                    for n in &nums {
                        r.counts[(n - lo) as usize] += 1;
                    }
                    r.answered = nums.len();
                    if !nums.is_empty() {
                        let sum: i64 = nums.iter().sum();
                        let mean = sum as f64 / nums.len() as f64;
                        r.mean = Some((mean * 100.0).round() / 100.0);
                    }
                    if q.kind == QuestionKind::Rating && !nums.is_empty() {
                        let happy = nums.iter().filter(|n| **n >= 4).count();
                        r.share_satisfied =
                            Some((happy as f64 / nums.len() as f64 * 1000.0).round() / 1000.0);
                    }
                    if q.kind == QuestionKind::Nps {
                        r.nps = Some(nps(&nums));
                    }
                }
                QuestionKind::Single | QuestionKind::Multiple => {
                    r.counts = vec![0; q.choices.len()];
                    for a in answers {
                        if let Some(Value::Choices(cs)) = a.values.get(&q.key) {
                            r.answered += 1;
                            for c in cs {
                                if let Some(n) = r.counts.get_mut(*c) {
                                    *n += 1;
                                }
                            }
                        }
                    }
                }
                QuestionKind::Text => {
                    for a in answers {
                        if let Some(t) = a.texts.get(&q.key) {
                            r.answered += 1;
                            r.texts.push(t.clone());
                        }
                    }
                }
            }
            r
        })
        .collect()
}

/// Whether results must be withheld: an anonymous survey with fewer than [`MIN_ANONYMOUS`]
/// answers (§6.2.1: an answer must not be told apart by elimination).
pub fn withheld(anonymous: bool, answers: usize) -> bool {
    anonymous && answers < MIN_ANONYMOUS
}

/// The first day of the period of `schedule` that holds `day` (a month, quarter or year), and
/// the first day of the next; `None` for a one-off survey.
pub fn period(schedule: Schedule, day: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let months = match schedule {
        Schedule::Once => return None,
        Schedule::Monthly => 1,
        Schedule::Quarterly => 3,
        Schedule::Yearly => 12,
    };
    let m0 = (day.month0() / months) * months;
    let start = NaiveDate::from_ymd_opt(day.year(), m0 + 1, 1)?;
    Some((start, start.checked_add_months(Months::new(months))?))
}

/// The name of the round's period (`2026-10`, `2026-Q4`, `2026`) for a periodic survey.
pub fn period_label(schedule: Schedule, start: DateTime<Utc>, tz: crate::calendar::Tz) -> String {
    let d = start.with_timezone(&tz).date_naive();
    match schedule {
        Schedule::Once => String::new(),
        Schedule::Monthly => d.format("%Y-%m").to_string(),
        Schedule::Quarterly => format!("{}-Q{}", d.year(), d.month0() / 3 + 1),
        Schedule::Yearly => d.year().to_string(),
    }
}

/// Whether a reminder is due: the round is still open and closes within `remind_days`.
pub fn reminder_due(
    now: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    remind_days: Option<i64>,
) -> bool {
    match remind_days {
        Some(d) if d > 0 => now < closes_at && now >= closes_at - chrono::Duration::days(d),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn texts(s: &str) -> Texts {
        [("zh-cn".to_string(), s.to_string())].into()
    }

    fn q(kind: QuestionKind, choices: usize, measure: Option<Measure>) -> Question {
        Question {
            key: String::new(),
            kind,
            text: texts("问题"),
            choices: (0..choices).map(|i| texts(&format!("选项{i}"))).collect(),
            required: true,
            measure,
        }
    }

    /// NPS = % promoters (9-10) − % detractors (0-6).
    #[test]
    fn nps_is_promoters_minus_detractors() {
        let n = nps(&[10, 9, 8, 7, 6, 0, 10, 3]);
        assert_eq!((n.promoters, n.passives, n.detractors), (3, 2, 3));
        assert_eq!(n.score, Some(0));
        assert_eq!(nps(&[10, 10, 9, 5]).score, Some(50));
        assert_eq!(nps(&[]).score, None);
    }

    /// §6.2.1: anonymous results only from five answers up; named ones always.
    #[test]
    fn anonymous_results_are_withheld_below_five() {
        assert!(withheld(true, 4));
        assert!(!withheld(true, 5));
        assert!(!withheld(false, 1));
    }

    #[test]
    fn questions_are_numbered_and_measures_fit_their_kind() {
        let mut e = FieldErrors::new();
        let out = check_questions(
            &[
                q(QuestionKind::Rating, 0, Some(Measure::Satisfaction)),
                q(QuestionKind::Nps, 0, Some(Measure::Nps)),
            ],
            &mut e,
        );
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(out[1].key, "q2");
        let mut e = FieldErrors::new();
        check_questions(
            &[
                q(QuestionKind::Text, 0, Some(Measure::Nps)),
                q(QuestionKind::Single, 1, None),
            ],
            &mut e,
        );
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["questions[0].measure", "questions[1].choices"]);
    }

    #[test]
    fn answers_are_checked_against_their_questions() {
        let mut e = FieldErrors::new();
        let qs = check_questions(
            &[
                q(QuestionKind::Rating, 0, None),
                q(QuestionKind::Single, 3, None),
                q(QuestionKind::Multiple, 3, None),
                q(QuestionKind::Text, 0, None),
            ],
            &mut e,
        );
        let ok: BTreeMap<String, serde_json::Value> =
            serde_json::from_value(json!({"q1": 4, "q2": 2, "q3": [0, 2, 2], "q4": " 很好 "}))
                .expect("json");
        let a = check_answer(&qs, &ok).expect("valid");
        assert_eq!(a.values["q3"], Value::Choices(vec![0, 2]));
        assert_eq!(a.texts["q4"], "很好");
        let bad: BTreeMap<String, serde_json::Value> =
            serde_json::from_value(json!({"q1": 6, "q2": [0, 1], "q9": 1})).expect("json");
        let e = check_answer(&qs, &bad).expect_err("invalid");
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "answers.q9",
                "answers.q1",
                "answers.q2",
                "answers.q3",
                "answers.q4"
            ]
        );
    }

    #[test]
    fn results_add_up_per_question() {
        let mut e = FieldErrors::new();
        let qs = check_questions(
            &[
                q(QuestionKind::Rating, 0, Some(Measure::Satisfaction)),
                q(QuestionKind::Multiple, 2, None),
            ],
            &mut e,
        );
        let a = |r: i64, c: Vec<usize>| Answer {
            values: [
                ("q1".to_string(), Value::Number(r)),
                ("q2".to_string(), Value::Choices(c)),
            ]
            .into(),
            texts: BTreeMap::new(),
        };
        let r = aggregate(&qs, &[a(5, vec![0]), a(4, vec![0, 1]), a(1, vec![1])]);
        assert_eq!(r[0].counts, [1, 0, 0, 1, 1]);
        assert_eq!(r[0].mean, Some(3.33));
        assert_eq!(r[0].share_satisfied, Some(0.667));
        assert_eq!(r[1].counts, [2, 2]);
        assert_eq!(r[1].answered, 3);
    }

    #[test]
    fn periods_of_a_schedule() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        let (s, e) = period(Schedule::Quarterly, d).expect("periodic");
        assert_eq!(s.to_string(), "2026-10-01");
        assert_eq!(e.to_string(), "2027-01-01");
        assert_eq!(period(Schedule::Once, d), None);
    }
}
