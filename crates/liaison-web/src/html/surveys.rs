//! Surveys' pages (policy §6.2.1; issue 16 item 2). Console: the list, the editor (title and
//! intro in the languages written, the survey's questions plus a few empty rows and more on
//! request (`?rows=N`, or the form's "more rows" button, which keeps what was typed; at most
//! [`MAX_ROWS`]), audience, schedule, closing day, reminders), the survey with its invitations, sending and closing, a phone interview's
//! entry, and the results with a bar chart per question and the export. Portal: the partner's
//! surveys and the form. Public: the one-click link's form (`/survey/TOKEN`). Every decision is
//! the service layer's (`liaison_app::surveys`).

use super::{Page, PageForm, PageResult, ctx, form_errors, mark_invalid, render};
use crate::auth::Session;
use crate::extract::{Pairs, id};
use crate::{AppError, AppResult, AppState};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use liaison_app::surveys::{self as app, AnswerInput, SurveyInput};
use liaison_core::partner::Lang;
use liaison_core::surveys::{
    self as rules, AnswerVia, Measure, Question, QuestionKind, Schedule, Texts,
};
use liaison_core::validate::Msg;
use liaison_core::{FieldErrors, Permission};
use liaison_db::surveys::{Audience, Survey};
use minijinja::Value;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Empty question rows the editor shows after the survey's questions.
const EXTRA_ROWS: usize = 3;
/// Question rows a new survey's editor starts with.
const FIRST_ROWS: usize = 5;
/// Rows the "more rows" button adds.
const MORE_ROWS: usize = 5;
/// The most question rows the editor shows or reads: above the service's limit
/// (`rules::MAX_QUESTIONS`, 50), so that one question too many is named rather than dropped.
const MAX_ROWS: usize = 60;
const LANGS: [&str; 3] = ["zh-cn", "en", "zh-tw"];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/surveys", get(console_list).post(create))
        .route("/console/surveys/new", get(new_form))
        .route("/console/surveys/{id}", get(console_show))
        .route("/console/surveys/{id}/edit", get(edit_form).post(save_edit))
        .route("/console/surveys/{id}/send", post(send))
        .route("/console/surveys/{id}/close", post(close))
        .route("/console/surveys/{id}/phone", post(phone))
        .route("/console/surveys/{id}/results", get(results))
        .route("/portal/surveys", get(portal_list))
        .route("/portal/surveys/{id}", get(portal_show).post(portal_answer))
        .route("/survey/{token}", get(link_page).post(link_answer))
}

fn lang_of(headers: &HeaderMap, s: &Session) -> Lang {
    crate::auth::page_lang(headers, Some(&s.user))
}

/// A survey as a list shows it, in the reader's language.
#[derive(Serialize)]
struct Row {
    id: Uuid,
    title: String,
    state: &'static str,
    schedule: &'static str,
    anonymous: bool,
    round: i64,
    closes_at: Option<chrono::DateTime<chrono::Utc>>,
    questions: usize,
}

fn row(s: &Survey, lang: Lang) -> Row {
    Row {
        id: s.id,
        title: rules::pick(&s.title, lang).to_string(),
        state: s.state.as_str(),
        schedule: s.schedule.as_str(),
        anonymous: s.anonymous,
        round: s.round,
        closes_at: s.closes_at,
        questions: s.questions.len(),
    }
}

/// A question as the form shows it, with the answer given so far.
#[derive(Serialize)]
struct QView {
    key: String,
    kind: &'static str,
    text: String,
    choices: Vec<String>,
    required: bool,
    measure: Option<&'static str>,
    /// The values a rating or NPS offers.
    scale: Vec<i64>,
    number: Option<i64>,
    picked: Vec<usize>,
    text_value: String,
}

fn question_views(
    qs: &[Question],
    lang: Lang,
    given: Option<&rules::Answer>,
    typed: Option<&Pairs>,
) -> Vec<QView> {
    qs.iter()
        .map(|q| {
            let scale = q
                .scale()
                .map(|(lo, hi)| (lo..=hi).collect())
                .unwrap_or_default();
            let mut v = QView {
                key: q.key.clone(),
                kind: q.kind.as_str(),
                text: rules::pick(&q.text, lang).to_string(),
                choices: q
                    .choices
                    .iter()
                    .map(|c| rules::pick(c, lang).to_string())
                    .collect(),
                required: q.required,
                measure: q.measure.map(Measure::as_str),
                scale,
                number: None,
                picked: Vec::new(),
                text_value: String::new(),
            };
            if let Some(p) = typed {
                let name = format!("answers.{}", q.key);
                let all = p.all(&name);
                v.number = all.first().and_then(|x| x.trim().parse().ok());
                v.picked = all.iter().filter_map(|x| x.trim().parse().ok()).collect();
                v.text_value = all.first().cloned().unwrap_or_default();
            } else if let Some(a) = given {
                match a.values.get(&q.key) {
                    Some(rules::Value::Number(n)) => {
                        v.number = Some(*n);
                    }
                    Some(rules::Value::Choices(cs)) => v.picked = cs.clone(),
                    Some(rules::Value::Text(t)) => v.text_value = t.clone(),
                    None => {}
                }
                if let Some(t) = a.texts.get(&q.key) {
                    v.text_value = t.clone();
                }
            }
            v
        })
        .collect()
}

/// The answer form as the service reads it: `answers.<key>` (several for a multiple choice).
fn answer_input(qs: &[Question], form: &Pairs, partner: Option<Uuid>) -> AnswerInput {
    let mut answers = BTreeMap::new();
    for q in qs {
        let all: Vec<String> = form
            .all(&format!("answers.{}", q.key))
            .into_iter()
            .map(|v| v.replace("\r\n", "\n"))
            .filter(|v| !v.trim().is_empty())
            .collect();
        let v = match q.kind {
            QuestionKind::Multiple => {
                serde_json::Value::Array(all.into_iter().map(serde_json::Value::String).collect())
            }
            _ => match all.into_iter().next() {
                Some(v) => serde_json::Value::String(v),
                None => continue,
            },
        };
        answers.insert(q.key.clone(), v);
    }
    AnswerInput {
        answers,
        partner_id: partner,
    }
}

// ---------------------------------------------------------------------------------------------
// Console: list, editor

async fn console_list(Page(state, headers, s): Page) -> PageResult {
    let lang = lang_of(&headers, &s);
    let rows: Vec<Row> = app::list(&state.db, &s.actor, 200)
        .await?
        .iter()
        .map(|x| row(x, lang))
        .collect();
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "survey/list.html",
        ctx! {
            nav => "surveys",
            surveys => rows,
            can_write => s.actor.can(Permission::WriteSurveys),
        },
    ))
}

/// The editor's values as typed (or from a draft).
fn values_of(sv: &Survey, codes: &str) -> HashMap<String, String> {
    let mut v = HashMap::new();
    for l in LANGS {
        v.insert(
            format!("title.{l}"),
            sv.title.get(l).cloned().unwrap_or_default(),
        );
        v.insert(
            format!("intro.{l}"),
            sv.intro.get(l).cloned().unwrap_or_default(),
        );
    }
    for (i, q) in sv.questions.iter().enumerate() {
        v.insert(format!("q{i}.kind"), q.kind.as_str().into());
        for l in ["zh-cn", "en"] {
            v.insert(
                format!("q{i}.text.{l}"),
                q.text.get(l).cloned().unwrap_or_default(),
            );
        }
        let choices = |l: &str| {
            q.choices
                .iter()
                .map(|c| c.get(l).cloned().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n")
        };
        v.insert(format!("q{i}.choices"), choices("zh-cn"));
        v.insert(format!("q{i}.choices_en"), choices("en"));
        v.insert(
            format!("q{i}.measure"),
            q.measure
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
        );
        if q.required {
            v.insert(format!("q{i}.required"), "on".into());
        }
    }
    v.insert("partners".into(), codes.to_string());
    v.insert(
        "segments_list".into(),
        sv.audience
            .segments
            .iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(","),
    );
    if sv.anonymous {
        v.insert("anonymous".into(), "on".into());
    }
    v.insert("schedule".into(), sv.schedule.as_str().into());
    v.insert("closes_on".into(), sv.closes_on.to_string());
    v.insert(
        "remind_days".into(),
        sv.remind_days.map(|d| d.to_string()).unwrap_or_default(),
    );
    v
}

async fn form_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    survey: Option<&Survey>,
    v: &HashMap<String, String>,
    rows: usize,
    errors: Option<&FieldErrors>,
) -> PageResult {
    s.require(Permission::WriteSurveys)?;
    let rows = rows.clamp(1, MAX_ROWS).max(filled_rows(v));
    let segments: Vec<_> = liaison_app::segment::list_with_members(&state.db, &s.actor)
        .await?
        .into_iter()
        .map(|(g, n)| ctx! { id => g.id.to_string(), name => g.name, members => n })
        .collect();
    let chosen_segments: Vec<String> = v
        .get("segments_list")
        .map(|x| x.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let error_list: Vec<(String, Value)> = form_errors(errors)
        .map(|m| {
            let mut l: Vec<_> = m.into_iter().collect();
            l.sort_by(|a, b| a.0.cmp(&b.0));
            l
        })
        .unwrap_or_default();
    let mut r = render(
        state,
        headers,
        Some(s),
        "survey/form.html",
        ctx! {
            nav => "surveys",
            survey => survey.map(|x| x.id),
            v => v,
            rows => (0..rows).collect::<Vec<_>>(),
            row_count => rows,
            more_rows => (rows < MAX_ROWS).then(|| (rows + MORE_ROWS).min(MAX_ROWS)),
            max_rows => MAX_ROWS,
            kinds => QuestionKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            measures => Measure::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            schedules => Schedule::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            segments => segments,
            chosen_segments => chosen_segments,
            error_list => error_list.into_iter().map(|(k, m)| ctx!{ field => k, msg => m.to_string() }).collect::<Vec<_>>(),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

/// One past the last question row with anything typed in it (0 when none).
fn filled_rows(v: &HashMap<String, String>) -> usize {
    v.iter()
        .filter(|(k, val)| {
            !val.trim().is_empty()
                && (k.contains(".text.") || k.ends_with(".choices") || k.ends_with(".choices_en"))
        })
        .filter_map(|(k, _)| {
            k.strip_prefix('q')?
                .split('.')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .filter(|i| *i < MAX_ROWS)
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
}

/// The rows asked for with `?rows=N` (or the form's `rows`), else `default`.
fn rows_asked(p: &Pairs, default: usize) -> usize {
    p.text("rows")
        .trim()
        .parse::<usize>()
        .map_or(default, |n| n.min(MAX_ROWS))
}

async fn new_form(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let today = state
        .db
        .now()
        .with_timezone(&liaison_core::calendar::COMPANY_ZONE)
        .date_naive();
    let mut v = HashMap::new();
    v.insert("schedule".into(), "once".into());
    v.insert(
        "closes_on".into(),
        (today + chrono::Duration::days(14)).to_string(),
    );
    v.insert("remind_days".into(), "3".into());
    let rows = rows_asked(&p, FIRST_ROWS);
    form_page(&state, &headers, &s, None, &v, rows, None).await
}

async fn edit_form(Path(sid): Path<String>, Page(state, headers, s): Page, p: Pairs) -> PageResult {
    s.require(Permission::WriteSurveys)?;
    let view = app::show(&state.db, &s.actor, id(&sid)?).await?;
    let codes = partner_codes(&state, &view.survey.audience).await?;
    let v = values_of(&view.survey, &codes);
    let rows = rows_asked(&p, view.survey.questions.len() + EXTRA_ROWS);
    form_page(&state, &headers, &s, Some(&view.survey), &v, rows, None).await
}

async fn partner_codes(state: &AppState, a: &Audience) -> AppResult<String> {
    let mut codes = Vec::new();
    for p in &a.partners {
        match liaison_db::partner::find_partner(&state.db, liaison_core::Scope::All, *p).await {
            Ok(x) => codes.push(x.code),
            Err(liaison_db::DbError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(codes.join(", "))
}

fn texts_of(form: &Pairs, prefix: &str, langs: &[&str]) -> Texts {
    langs
        .iter()
        .filter_map(|l| {
            let v = form.text(&format!("{prefix}.{l}")).replace("\r\n", "\n");
            (!v.trim().is_empty()).then(|| (l.to_string(), v))
        })
        .collect()
}

/// The editor's form as the service reads it, or the form's own errors (kinds, measures,
/// partners' codes).
async fn survey_input(state: &AppState, form: &Pairs) -> AppResult<(SurveyInput, FieldErrors)> {
    let (partners, mut e) =
        liaison_app::request::resolve_partner_codes(&state.db, "partners", &form.text("partners"))
            .await?;
    let mut segments = Vec::new();
    for sid in form.all("segments") {
        match Uuid::parse_str(sid.trim()) {
            Ok(id) => segments.push(id),
            Err(_) => e.add("segments", Msg::new("validate.no_segment")),
        }
    }
    let mut questions = Vec::new();
    for i in 0..MAX_ROWS {
        let text = texts_of(form, &format!("q{i}.text"), &["zh-cn", "en"]);
        if text.is_empty() {
            continue;
        }
        let kind = match QuestionKind::parse(&form.text(&format!("q{i}.kind"))) {
            Ok(k) => k,
            Err(m) => {
                e.add(format!("questions[{}].kind", questions.len()), m);
                continue;
            }
        };
        let measure = match form.text(&format!("q{i}.measure")).trim() {
            "" => None,
            m => match Measure::parse(m) {
                Ok(m) => Some(m),
                Err(msg) => {
                    e.add(format!("questions[{}].measure", questions.len()), msg);
                    None
                }
            },
        };
        let zh: Vec<String> = form
            .text(&format!("q{i}.choices"))
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        let en: Vec<String> = form
            .text(&format!("q{i}.choices_en"))
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        let choices = zh
            .iter()
            .enumerate()
            .map(|(j, c)| {
                let mut t = Texts::new();
                t.insert("zh-cn".into(), c.clone());
                if let Some(x) = en.get(j) {
                    t.insert("en".into(), x.clone());
                }
                t
            })
            .collect();
        questions.push(Question {
            key: String::new(),
            kind,
            text,
            choices,
            required: form.get(&format!("q{i}.required")).is_some(),
            measure,
        });
    }
    let remind_days = match form.text("remind_days").trim() {
        "" => Some(0),
        d => match d.parse::<i64>() {
            Ok(d) => Some(d),
            Err(_) => {
                e.add("remind_days", Msg::new("validate.whole_number"));
                None
            }
        },
    };
    Ok((
        SurveyInput {
            title: Some(texts_of(form, "title", &LANGS)),
            intro: Some(texts_of(form, "intro", &LANGS)),
            questions: Some(questions),
            audience: Some(Audience { partners, segments }),
            anonymous: Some(form.get("anonymous").is_some()),
            schedule: Some(form.text("schedule")),
            closes_on: Some(form.text("closes_on")),
            remind_days,
        },
        e,
    ))
}

fn typed(p: &Pairs) -> HashMap<String, String> {
    let mut v: HashMap<String, String> =
        p.0.iter()
            .filter(|(k, _)| k != "_csrf" && k != "segments")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
    v.insert("segments_list".into(), p.all("segments").join(","));
    v
}

async fn post_survey(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    survey: Option<&Survey>,
    form: &Pairs,
) -> PageResult {
    let rows = rows_asked(form, FIRST_ROWS);
    // "More rows": the form comes back as typed with more empty rows; nothing is saved.
    if form.get("more_rows").is_some() {
        let more = (rows + MORE_ROWS).min(MAX_ROWS);
        return form_page(state, headers, s, survey, &typed(form), more, None).await;
    }
    let (input, mut e) = survey_input(state, form).await?;
    let result = if e.is_empty() {
        match survey {
            None => app::create(&state.db, &s.actor, &input).await,
            Some(sv) => app::update(&state.db, &s.actor, sv.id, Some(sv.version), &input).await,
        }
    } else {
        Err(liaison_app::Error::Invalid(FieldErrors::new()))
    };
    match result {
        Ok(sv) => {
            Ok(Redirect::to(&format!("/console/surveys/{}?done=saved", sv.id)).into_response())
        }
        Err(liaison_app::Error::Invalid(more)) => {
            e.extend(more);
            form_page(state, headers, s, survey, &typed(form), rows, Some(&e)).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn create(PageForm(state, headers, s, form): PageForm) -> PageResult {
    s.require(Permission::WriteSurveys)?;
    post_survey(&state, &headers, &s, None, &form).await
}

async fn save_edit(
    Path(sid): Path<String>,
    PageForm(state, headers, s, form): PageForm,
) -> PageResult {
    s.require(Permission::WriteSurveys)?;
    let view = app::show(&state.db, &s.actor, id(&sid)?).await?;
    post_survey(&state, &headers, &s, Some(&view.survey), &form).await
}

// ---------------------------------------------------------------------------------------------
// Console: one survey, sending, closing, phone interviews

async fn show_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    sid: Uuid,
    phone: Option<(&Pairs, &FieldErrors)>,
    q: &Pairs,
) -> PageResult {
    let view = app::show(&state.db, &s.actor, sid).await?;
    let lang = lang_of(headers, s);
    let sv = &view.survey;
    let questions = question_views(&sv.questions, lang, None, phone.map(|p| p.0));
    let answered = view.invitations.iter().filter(|i| i.answered).count();
    let codes = partner_codes(state, &sv.audience).await?;
    let mut r = render(
        state,
        headers,
        Some(s),
        "survey/show.html",
        ctx! {
            nav => "surveys",
            s => row(sv, lang),
            intro => rules::pick(&sv.intro, lang),
            period => view.period,
            answerable => view.answerable,
            invitations => view.invitations,
            answered => answered,
            questions => questions,
            audience_codes => codes,
            segments_count => sv.audience.segments.len(),
            remind_days => sv.remind_days,
            closes_on => sv.closes_on.to_string(),
            can_write => s.actor.can(Permission::WriteSurveys),
            can_results => s.actor.can(Permission::ReadSurveyResults),
            done => q.get("done").unwrap_or(""),
            phone_partner => phone.map(|p| p.0.text("partner_id")).unwrap_or_default(),
            errors => form_errors(phone.map(|p| p.1)),
        },
    );
    mark_invalid(&mut r, phone.is_some());
    Ok(r)
}

async fn console_show(
    Path(sid): Path<String>,
    q: Pairs,
    Page(state, headers, s): Page,
) -> PageResult {
    show_page(&state, &headers, &s, id(&sid)?, None, &q).await
}

async fn send(Path(sid): Path<String>, PageForm(state, _h, s, _f): PageForm) -> PageResult {
    let sv = app::send(&state.db, &s.actor, id(&sid)?).await?;
    Ok(Redirect::to(&format!("/console/surveys/{}?done=sent", sv.id)).into_response())
}

async fn close(Path(sid): Path<String>, PageForm(state, _h, s, _f): PageForm) -> PageResult {
    let sv = app::close(&state.db, &s.actor, id(&sid)?).await?;
    Ok(Redirect::to(&format!("/console/surveys/{}?done=closed", sv.id)).into_response())
}

/// A phone interview typed in by staff for the partner chosen (named surveys, §6.2.1).
async fn phone(Path(sid): Path<String>, PageForm(state, headers, s, form): PageForm) -> PageResult {
    let sid = id(&sid)?;
    let view = app::show(&state.db, &s.actor, sid).await?;
    let partner = Uuid::parse_str(form.text("partner_id").trim()).ok();
    let input = answer_input(&view.survey.questions, &form, partner);
    match app::answer(&state.db, &s.actor, sid, &input, AnswerVia::Phone).await {
        Ok(()) => Ok(Redirect::to(&format!("/console/surveys/{sid}?done=phone")).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            show_page(
                &state,
                &headers,
                &s,
                sid,
                Some((&form, &e)),
                &Pairs(Vec::new()),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// One question's results as the page shows them.
#[derive(Serialize)]
struct ResultView {
    key: String,
    text: String,
    kind: &'static str,
    measure: Option<&'static str>,
    answered: usize,
    mean: Option<f64>,
    share_satisfied: Option<f64>,
    nps: Option<rules::Nps>,
    texts: Vec<String>,
    chart: String,
}

async fn results(Path(sid): Path<String>, q: Pairs, Page(state, headers, s): Page) -> PageResult {
    let sid = id(&sid)?;
    let lang = lang_of(&headers, &s);
    let view = app::show(&state.db, &s.actor, sid).await?;
    let round = match q.get("round").map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(
            r.parse::<i64>()
                .map_err(|_| AppError::invalid("round", Msg::new("validate.whole_number")))?,
        ),
        None => None,
    };
    let res = app::results(&state.db, &s.actor, sid, round).await?;
    let sv = &view.survey;
    let items: Vec<ResultView> = res
        .questions
        .iter()
        .filter_map(|r| {
            let q = sv.questions.iter().find(|q| q.key == r.key)?;
            let text = rules::pick(&q.text, lang).to_string();
            let labels: Vec<String> = match q.kind {
                QuestionKind::Rating | QuestionKind::Nps => {
                    let (lo, hi) = q.scale().unwrap_or((0, 10));
                    (lo..=hi).map(|n| n.to_string()).collect()
                }
                QuestionKind::Single | QuestionKind::Multiple => q
                    .choices
                    .iter()
                    .map(|c| rules::pick(c, lang).to_string())
                    .collect(),
                QuestionKind::Text => Vec::new(),
            };
            let chart = if labels.is_empty() {
                String::new()
            } else {
                liaison_docs::svg::bar_chart(&text, &labels, &r.counts)
            };
            Some(ResultView {
                key: r.key.clone(),
                text,
                kind: q.kind.as_str(),
                measure: q.measure.map(Measure::as_str),
                answered: r.answered,
                mean: r.mean,
                share_satisfied: r.share_satisfied.map(|x| (x * 1000.0).round() / 10.0),
                nps: r.nps,
                texts: r.texts.clone(),
                chart,
            })
        })
        .collect();
    let items: Vec<Value> = items
        .into_iter()
        .map(|i| {
            let chart = Value::from_safe_string(i.chart.clone());
            ctx! { q => i, chart => chart }
        })
        .collect();
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "survey/results.html",
        ctx! {
            nav => "surveys",
            s => row(sv, lang),
            res => res,
            rate => res.response_rate.map(|r| (r * 1000.0).round() / 10.0),
            rounds => (1..=sv.round.max(1)).rev().collect::<Vec<_>>(),
            items => items,
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// Portal

async fn portal_list(Page(state, headers, s): Page) -> PageResult {
    let lang = lang_of(&headers, &s);
    let waiting: Vec<Uuid> = app::to_answer(&state.db, &s.actor)
        .await?
        .into_iter()
        .map(|(sv, _)| sv.id)
        .collect();
    let rows: Vec<Value> = app::list(&state.db, &s.actor, 100)
        .await?
        .iter()
        .map(|x| {
            let waiting = waiting.contains(&x.id);
            ctx! { r => row(x, lang), waiting => waiting }
        })
        .collect();
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "survey/portal_list.html",
        ctx! { nav => "surveys", surveys => rows },
    ))
}

async fn portal_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    sid: Uuid,
    posted: Option<(&Pairs, &FieldErrors)>,
    q: &Pairs,
) -> PageResult {
    let view = app::show(&state.db, &s.actor, sid).await?;
    liaison_app::notify::seen(&state.db, &s.actor, &format!("/portal/surveys/{sid}")).await?;
    let lang = lang_of(headers, s);
    let sv = &view.survey;
    let given = view
        .mine
        .as_ref()
        .and_then(|m| m.answer.as_ref())
        .map(|a| &a.answer);
    let questions = question_views(&sv.questions, lang, given, posted.map(|p| p.0));
    let mut r = render(
        state,
        headers,
        Some(s),
        "survey/portal_show.html",
        ctx! {
            nav => "surveys",
            s => row(sv, lang),
            intro => rules::pick(&sv.intro, lang),
            period => view.period,
            mine => view.mine,
            questions => questions,
            action => format!("/portal/surveys/{sid}"),
            done => q.get("done").is_some(),
            errors => form_errors(posted.map(|p| p.1)),
        },
    );
    mark_invalid(&mut r, posted.is_some());
    Ok(r)
}

async fn portal_show(
    Path(sid): Path<String>,
    q: Pairs,
    Page(state, headers, s): Page,
) -> PageResult {
    portal_page(&state, &headers, &s, id(&sid)?, None, &q).await
}

async fn portal_answer(
    Path(sid): Path<String>,
    PageForm(state, headers, s, form): PageForm,
) -> PageResult {
    let sid = id(&sid)?;
    let view = app::show(&state.db, &s.actor, sid).await?;
    let input = answer_input(&view.survey.questions, &form, None);
    match app::answer(&state.db, &s.actor, sid, &input, AnswerVia::Portal).await {
        Ok(()) => Ok(Redirect::to(&format!("/portal/surveys/{sid}?done=1")).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            portal_page(
                &state,
                &headers,
                &s,
                sid,
                Some((&form, &e)),
                &Pairs(Vec::new()),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// The one-click link (no login)

async fn link_view(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    posted: Option<(&Pairs, &FieldErrors)>,
    done: bool,
) -> Response {
    let r: AppResult<Response> = async {
        let v = app::by_link(&state.db, token, None).await?;
        let lang = crate::auth::page_lang(headers, None);
        let given = v.answer.as_ref().map(|a| &a.answer);
        let questions = question_views(&v.survey.questions, lang, given, posted.map(|p| p.0));
        let mine =
            ctx! { invitation => v.invitation, answer => v.answer, may_answer => v.may_answer };
        let mut resp = render(
            state,
            headers,
            None,
            "survey/portal_show.html",
            ctx! {
                is_partner => true,
                public => true,
                s => row(&v.survey, lang),
                intro => rules::pick(&v.survey.intro, lang),
                mine => mine,
                questions => questions,
                action => format!("/survey/{token}"),
                done => done,
                errors => form_errors(posted.map(|p| p.1)),
            },
        );
        mark_invalid(&mut resp, posted.is_some());
        Ok(resp)
    }
    .await;
    r.unwrap_or_else(|e| link_error(state, headers, &e))
}

async fn link_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    q: Pairs,
) -> Response {
    link_view(&state, &headers, &token, None, q.get("done").is_some()).await
}

async fn link_answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Response {
    let form = Pairs(pairs);
    for (k, v) in &form.0 {
        if let Err(e) = crate::extract::check_text(k, v) {
            return super::error_page(&state, &headers, None, &e);
        }
    }
    let r: AppResult<Response> = async {
        let v = app::by_link(&state.db, &token, None).await?;
        let input = answer_input(&v.survey.questions, &form, None);
        match app::by_link(&state.db, &token, Some(&input)).await {
            Ok(_) => Ok(Redirect::to(&format!("/survey/{token}?done=1")).into_response()),
            Err(liaison_app::Error::Invalid(e)) => {
                Ok(link_view(&state, &headers, &token, Some((&form, &e)), false).await)
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    r.unwrap_or_else(|e| link_error(&state, &headers, &e))
}

fn link_error(state: &AppState, headers: &HeaderMap, e: &AppError) -> Response {
    let status = e.status();
    if !matches!(status, StatusCode::NOT_FOUND | StatusCode::GONE) {
        return super::error_page(state, headers, None, e);
    }
    let mut r = render(
        state,
        headers,
        None,
        "portal/link_invalid.html",
        ctx! { is_partner => true, expired => status == StatusCode::GONE },
    );
    *r.status_mut() = status;
    r
}
