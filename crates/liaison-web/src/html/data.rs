//! Business data exchange's pages (policy §3.3; issue 13). Portal: what the partner owes and
//! by when, the templates, uploading a period's figures (streamed to a temporary file, never
//! held in memory) and the report of every bad cell in the reader's language, answering an
//! unusual figure, and its trend beside the anonymised peer median and quartiles. Console: the
//! overdue list, open anomalies and recent submissions, the same reports with the stored rows
//! as CSV, the follow-up of an anomaly, the company's totals or one partner's trend, uploading
//! on a partner's behalf with a progress page, and the settings (data sets and their columns,
//! requirements, detection thresholds). Every decision is the service layer's
//! (`liaison_app::data`).

use super::{Page, PageForm, PageResult, ctx, form_errors, mark_invalid, render};
use crate::auth::Session;
use crate::extract::{Pairs, id};
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use liaison_app::data::{
    self as app, AnomalyQuery, DatasetInput, FollowUpInput, Outcome, Progress, RequirementInput,
    Source, SubmissionQuery, SubmitInput, Trend, TrendQuery,
};
use liaison_core::access::ItemKind;
use liaison_core::data::{
    Aggregate, AnomalyState, Column, ColumnKind, FollowUpKind, PeriodKind, SubmissionState,
    SubmissionVia, Thresholds, fmt_num,
};
use liaison_core::partner::{Lang, PartnerKind};
use liaison_core::review::Classification;
use liaison_core::validate::Msg;
use liaison_core::{FieldErrors, Permission};
use liaison_db::data::{Anomaly, Dataset, Submission};
use liaison_i18n::{t, tr};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal/data", get(portal_home))
        .route("/portal/data/templates/{file}", get(template))
        .route(
            "/portal/data/submissions",
            post(portal_submit).layer(DefaultBodyLimit::disable()),
        )
        .route("/portal/data/submissions/{id}", get(submission_page))
        .route("/portal/data/submissions/{id}/rows.csv", get(rows_csv))
        .route("/portal/data/anomalies/{id}", get(anomaly_page))
        .route("/portal/data/anomalies/{id}/follow-ups", post(follow_up))
        .route("/portal/data/trends", get(trends))
        .route("/console/data", get(console_home))
        .route("/console/data/templates/{file}", get(template))
        .route("/console/data/submissions/{id}", get(submission_page))
        .route("/console/data/submissions/{id}/rows.csv", get(rows_csv))
        .route("/console/data/anomalies/{id}", get(anomaly_page))
        .route("/console/data/anomalies/{id}/follow-ups", post(follow_up))
        .route("/console/data/trends", get(trends))
        .route(
            "/console/data/import",
            post(import_start)
                .layer(DefaultBodyLimit::disable())
                .get(import_page),
        )
        .route("/console/data/import/{job}", get(import_job))
        .route("/console/settings/data", get(settings_show))
        .route("/console/settings/data/datasets", post(dataset_save))
        .route(
            "/console/settings/data/requirements",
            post(requirement_create),
        )
        .route(
            "/console/settings/data/requirements/{id}",
            post(requirement_toggle),
        )
        .route("/console/settings/data/thresholds", post(thresholds_save))
}

/// The largest file a page accepts (it goes to disk, chunk by chunk, never into memory).
const MAX_FILE: u64 = 512 * 1024 * 1024;
/// The longest text field of an upload form.
const MAX_FIELD: usize = 64 * 1024;

fn lang_of(headers: &HeaderMap, s: &Session) -> Lang {
    crate::auth::page_lang(headers, Some(&s.user))
}

fn area(s: &Session) -> &'static str {
    if s.actor.is_partner() {
        "portal"
    } else {
        "console"
    }
}

/// A name kept in Chinese and English, in the reader's language (either when one is empty).
fn dataset_name(d: &Dataset, lang: Lang) -> String {
    liaison_i18n::bilingual(&d.name_zh, &d.name_en, lang)
}

/// A column's label in the reader's language; a name the schema does not know as it is.
fn column_label(d: Option<&Dataset>, name: &str, lang: Lang) -> String {
    d.and_then(|d| d.schema.column(name))
        .map(|c| c.label(lang == Lang::En).to_string())
        .unwrap_or_else(|| name.to_string())
}

fn codes<T: Copy>(all: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| f(*v)).collect()
}

/// A checkbox as a form sends it.
fn checked(p: &Pairs, k: &str) -> bool {
    matches!(p.get(k), Some("on" | "true" | "1"))
}

/// The values a form was posted with, to show it again as typed.
fn typed(p: &Pairs) -> HashMap<String, String> {
    p.0.iter()
        .filter(|(k, _)| k != "_csrf")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A submission as a list shows it: with its data set's name in the reader's language.
#[derive(Serialize)]
struct SubRow<'a> {
    s: &'a Submission,
    dataset: String,
}

fn sub_rows(items: &[Submission], lang: Lang) -> Vec<SubRow<'_>> {
    items
        .iter()
        .map(|s| SubRow {
            s,
            dataset: liaison_i18n::bilingual(&s.dataset_name_zh, &s.dataset_name_en, lang),
        })
        .collect()
}

/// An anomaly as a list shows it: data set and measure in the reader's language.
#[derive(Serialize)]
struct AnomalyRow<'a> {
    a: &'a Anomaly,
    dataset: String,
    measure: String,
    value: String,
    expected: String,
}

/// An anomaly's figure as a page shows it: "withheld" where need-to-know keeps it (§7.2.2).
fn figure(v: Option<f64>, lang: Lang) -> String {
    v.map_or_else(|| t(lang, "data.page.withheld").to_string(), fmt_num)
}

fn anomaly_rows<'a>(items: &'a [Anomaly], datasets: &[Dataset], lang: Lang) -> Vec<AnomalyRow<'a>> {
    items
        .iter()
        .map(|a| {
            let d = datasets.iter().find(|d| d.id == a.dataset_id);
            AnomalyRow {
                a,
                dataset: liaison_i18n::bilingual(&a.dataset_name_zh, &a.dataset_name_en, lang),
                measure: column_label(d, &a.measure, lang),
                value: figure(a.value, lang),
                expected: figure(a.expected, lang),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Uploads: streamed to a temporary file

/// A multipart form with one file (`file`): its text fields, checked like any form's (control
/// characters, the CSRF token), and the file, written to a temporary file chunk by chunk as it
/// arrives. An input left empty sends an empty part, which is not a file.
struct Upload {
    form: Pairs,
    file: Option<(crate::spool::Spooled, String)>,
}

async fn read_upload(s: &Session, mut mp: Multipart) -> Result<Upload, AppError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("the upload could not be read: {e}"))
    };
    let mut fields = Vec::new();
    let mut file = None;
    while let Some(mut field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        if name != "file" {
            // A text field is short; the body has no overall limit here (the file may be big).
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                text.extend_from_slice(&chunk);
                if text.len() > MAX_FIELD {
                    return Err(AppError::PayloadTooLarge(format!(
                        "the field {name} is longer than {MAX_FIELD} bytes"
                    )));
                }
            }
            let text = String::from_utf8(text)
                .map_err(|_| AppError::BadRequest(format!("the field {name} is not UTF-8")))?;
            fields.push((name, text));
            continue;
        }
        // The name only, whatever path a browser sends with it.
        let filename = field
            .file_name()
            .unwrap_or("")
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        let tmp = crate::spool::spool_stream(&mut field, MAX_FILE, None).await?;
        let size = tmp.size;
        if filename.is_empty() && size == 0 {
            continue;
        }
        crate::extract::check_text("file", &filename)?;
        file = Some((tmp, filename));
    }
    let form = Pairs::checked(fields)?;
    s.check_csrf(form.get("_csrf").unwrap_or(""))?;
    Ok(Upload { form, file })
}

fn open(tmp: &crate::spool::Spooled) -> Result<std::fs::File, AppError> {
    tmp.open()
}

// ---------------------------------------------------------------------------------------------
// The portal

/// One period's figures the partner owes, as its list shows it.
#[derive(Serialize)]
struct ObligationRow {
    dataset: String,
    dataset_code: String,
    period: String,
    due_on: String,
    standing: app::Standing,
    submission: Option<Uuid>,
}

/// A data set the upload form offers, with its template links and how its period is written.
#[derive(Serialize)]
struct Offer {
    code: String,
    name: String,
    period_kind: &'static str,
}

/// `/portal/data`: what the partner owes, the templates, the upload form and its recent
/// submissions. `dataset` and `period` in the query fill in the form (fix and upload again).
async fn portal_home(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let mut v = HashMap::new();
    for k in ["dataset", "period"] {
        if let Some(x) = p.get(k) {
            v.insert(k.to_string(), x.trim().to_string());
        }
    }
    portal_page(&state, &headers, &s, v, None).await
}

async fn portal_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    mut v: HashMap<String, String>,
    errors: Option<&FieldErrors>,
) -> PageResult {
    let Some(pid) = s.actor.partner_id else {
        return Err(AppError::Forbidden.into());
    };
    let lang = lang_of(headers, s);
    let datasets = app::datasets(&state.db, &s.actor).await?;
    let requirements = app::requirements(&state.db, &s.actor).await?;
    let obligations = app::obligations(&state.db, &s.actor, pid, 3).await?;
    let recent = app::submissions(&state.db, &s.actor, &SubmissionQuery::default(), 10).await?;
    let open = app::anomalies(
        &state.db,
        &s.actor,
        &AnomalyQuery {
            state: Some(AnomalyState::Open),
            ..Default::default()
        },
        20,
    )
    .await?;
    // The data sets it is asked for (every active one when none asks).
    let offers: Vec<Offer> = datasets
        .iter()
        .filter_map(|d| {
            let r = requirements.iter().find(|r| r.dataset_id == d.id);
            (r.is_some() || requirements.is_empty()).then(|| Offer {
                code: d.code.clone(),
                name: dataset_name(d, lang),
                period_kind: r.map_or(PeriodKind::Monthly, |r| r.period_kind).as_str(),
            })
        })
        .collect();
    let rows: Vec<ObligationRow> = obligations
        .iter()
        .map(|o| ObligationRow {
            dataset: datasets
                .iter()
                .find(|d| d.id == o.dataset_id)
                .map_or(o.dataset_code.clone(), |d| dataset_name(d, lang)),
            dataset_code: o.dataset_code.clone(),
            period: o.period.clone(),
            due_on: o.due_on.to_string(),
            standing: o.standing,
            submission: o.submission.as_ref().map(|x| x.id),
        })
        .collect();
    // The form starts on the most pressing figures not yet in.
    if !v.contains_key("dataset")
        && let Some(o) = obligations
            .iter()
            .filter(|o| o.submission.is_none())
            .min_by_key(|o| o.due_on)
    {
        v.insert("dataset".into(), o.dataset_code.clone());
        v.insert("period".into(), o.period.clone());
    }
    let mut r = render(
        state,
        headers,
        Some(s),
        "data/portal.html",
        ctx! {
            nav => "data",
            obligations => rows,
            offers => offers,
            recent => sub_rows(&recent, lang),
            anomalies => anomaly_rows(&open, &datasets, lang),
            v => v,
            errors => form_errors(errors),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

/// The form's fields the service names, and the file.
fn submit_input(form: &Pairs) -> SubmitInput {
    SubmitInput {
        dataset: Some(form.text("dataset")),
        period: Some(form.text("period")),
        partner_id: None,
        rows: None,
    }
}

/// `POST /portal/data/submissions`: the file goes to disk as it arrives, is checked and stored
/// (or refused with its errors), and the temporary file is removed; then the report.
async fn portal_submit(Page(state, headers, s): Page, mp: Multipart) -> PageResult {
    if !s.actor.is_partner() {
        return Err(AppError::Forbidden.into());
    }
    let up = read_upload(&s, mp).await?;
    let input = submit_input(&up.form);
    let Some((tmp, name)) = up.file else {
        let mut e = FieldErrors::new();
        e.required("file");
        return portal_page(&state, &headers, &s, typed(&up.form), Some(&e)).await;
    };
    let source = Source::File {
        reader: Box::new(open(&tmp)?),
        name: Some(name),
    };
    let result = app::submit(
        &state.db,
        &s.actor,
        &input,
        source,
        SubmissionVia::Portal,
        Progress::default(),
    )
    .await;
    drop(tmp);
    match result {
        Ok(out) => Ok(
            Redirect::to(&format!("/portal/data/submissions/{}", out.submission().id))
                .into_response(),
        ),
        Err(liaison_app::Error::Invalid(e)) => {
            portal_page(&state, &headers, &s, typed(&up.form), Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `/portal/data/templates/sales.csv` (or `.xlsx`): a data set's header row and an example.
async fn template(Page(state, _, s): Page, Path(file): Path<String>) -> PageResult {
    let (code, xlsx) = match file.rsplit_once('.') {
        Some((c, "csv")) => (c, false),
        Some((c, "xlsx")) => (c, true),
        _ => return Err(AppError::NotFound.into()),
    };
    let (name, bytes) = app::template(&state.db, &s.actor, code, xlsx).await?;
    Ok(crate::respond::named_file(
        &name,
        if xlsx { XLSX } else { CSV },
        bytes,
    ))
}

const CSV: &str = "text/csv; charset=utf-8";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// ---------------------------------------------------------------------------------------------
// A submission's report

/// One bad cell as the report shows it.
#[derive(Serialize)]
struct ErrorRow {
    row: u64,
    column: String,
    message: String,
}

/// `/portal/data/submissions/{id}` and the console's: accepted (rows, version, on time) or
/// refused with every bad row, column and message in the reader's language.
async fn submission_page(
    Page(state, headers, s): Page,
    Path(sid): Path<String>,
    q: Pairs,
) -> PageResult {
    let (sub, errors) = app::submission_errors(&state.db, &s.actor, id(&sid)?).await?;
    // §7.2.2: a title-only reader may ask; the partner's channel manager keeps the list.
    let access = if sub.classification.needs_nda() {
        liaison_app::access::panel(&state.db, &s.actor, ItemKind::Submission, sub.id).await?
    } else {
        None
    };
    let lang = lang_of(&headers, &s);
    let d = liaison_db::data::find_dataset(&state.db, sub.dataset_id)
        .await
        .ok();
    let rows: Vec<ErrorRow> = errors
        .iter()
        .map(|e| ErrorRow {
            row: e.row,
            column: if e.column.is_empty() {
                String::new()
            } else {
                column_label(d.as_ref(), &e.column, lang)
            },
            message: app::render_error(e, lang),
        })
        .collect();
    let more = (sub.error_count - rows.len() as i64).max(0);
    let found = if sub.restricted {
        Vec::new()
    } else {
        app::anomalies(
            &state.db,
            &s.actor,
            &AnomalyQuery {
                partner: Some(sub.partner_id),
                dataset: Some(sub.dataset_code.clone()),
                ..Default::default()
            },
            200,
        )
        .await?
    };
    let found: Vec<Anomaly> = found
        .into_iter()
        .filter(|a| a.submission_id == sub.id)
        .collect();
    let datasets: Vec<Dataset> = d.iter().cloned().collect();
    let again = serde_urlencoded::to_string([
        ("dataset", sub.dataset_code.as_str()),
        ("period", sub.period.as_str()),
    ])
    .unwrap_or_default();
    let partner = !s.actor.is_partner();
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "data/submission.html",
        ctx! {
            nav => "data",
            area => area(&s),
            sub => &sub,
            dataset => liaison_i18n::bilingual(&sub.dataset_name_zh, &sub.dataset_name_en, lang),
            errors => rows,
            more => more,
            anomalies => anomaly_rows(&found, &datasets, lang),
            again_qs => again,
            show_partner => partner,
            may_resubmit => partner && s.actor.can(Permission::SubmitData),
            access => access,
            asked => q.get("asked").is_some(),
            access_saved => q.get("access_saved").is_some(),
        },
    ))
}

/// The stored rows of a submission as CSV (staff, or the partner's own).
async fn rows_csv(Page(state, _, s): Page, Path(sid): Path<String>) -> PageResult {
    let (name, bytes) = app::submission_csv(&state.db, &s.actor, id(&sid)?).await?;
    Ok(crate::respond::named_file(&name, CSV, bytes))
}

// ---------------------------------------------------------------------------------------------
// An anomaly and its follow-up

/// One entry of a follow-up thread.
#[derive(Serialize)]
struct Entry<'a> {
    f: &'a liaison_db::data::FollowUp,
    html: String,
}

/// The follow-up kinds each side writes: the partner explains, the channel manager acts and
/// closes.
fn follow_kinds(s: &Session) -> Vec<&'static str> {
    let kinds: &[FollowUpKind] = if s.actor.is_partner() {
        &[FollowUpKind::Comment, FollowUpKind::Cause]
    } else {
        &[
            FollowUpKind::Comment,
            FollowUpKind::Cause,
            FollowUpKind::Action,
            FollowUpKind::Closed,
        ]
    };
    codes(kinds, FollowUpKind::as_str)
}

async fn anomaly_page(
    Path(aid): Path<String>,
    Page(state, headers, s): Page,
    p: Pairs,
) -> PageResult {
    let saved = p.get("saved").is_some();
    let blank = Pairs(Vec::new());
    anomaly_view(&state, &headers, &s, id(&aid)?, &blank, None, saved).await
}

async fn anomaly_view(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    aid: Uuid,
    typed_form: &Pairs,
    errors: Option<&FieldErrors>,
    saved: bool,
) -> PageResult {
    let lang = lang_of(headers, s);
    let view = app::anomaly(&state.db, &s.actor, aid, lang).await?;
    let d = liaison_db::data::find_dataset(&state.db, view.anomaly.dataset_id)
        .await
        .ok();
    let entries: Vec<Entry<'_>> = view
        .follow_ups
        .iter()
        .map(|f| Entry {
            f,
            html: super::body_html(&f.body),
        })
        .collect();
    let a = &view.anomaly;
    // §7.2.2: a reader outside the circle of the figures asks on the anomaly's submission.
    let access = if a.restricted {
        liaison_app::access::panel(&state.db, &s.actor, ItemKind::Submission, a.submission_id)
            .await?
    } else {
        None
    };
    let mut r = render(
        state,
        headers,
        Some(s),
        "data/anomaly.html",
        ctx! {
            nav => "data",
            area => area(s),
            an => a,
            explanation => view.explanation,
            entries => entries,
            dataset => liaison_i18n::bilingual(&a.dataset_name_zh, &a.dataset_name_en, lang),
            measure => column_label(d.as_ref(), &a.measure, lang),
            series_label => d.as_ref().and_then(|d| d.schema.series_by.as_deref()).map(|c| column_label(d.as_ref(), c, lang)),
            value => figure(a.value, lang),
            expected => figure(a.expected, lang),
            kinds => follow_kinds(s),
            can_follow => s.actor.can(Permission::FollowUpData) && !a.restricted,
            access => access,
            show_partner => !s.actor.is_partner(),
            v => typed(typed_form),
            errors => form_errors(errors),
            saved => saved,
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

/// Adds to the follow-up: a comment or the cause (the partner), an action or closing it (the
/// channel manager).
async fn follow_up(
    Path(aid): Path<String>,
    PageForm(state, headers, s, p): PageForm,
) -> PageResult {
    let aid: Uuid = id(&aid)?;
    let input = FollowUpInput {
        kind: Some(p.text("kind")),
        body: Some(p.get("body").unwrap_or("").to_string()),
    };
    match app::follow_up(&state.db, &s.actor, aid, &input).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/{}/data/anomalies/{aid}?saved=1#follow-up",
            area(&s)
        ))
        .into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            anomaly_view(&state, &headers, &s, aid, &p, Some(&e), false).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Trends

/// A choice of a picker: its value and how it reads.
#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

/// What a trend page shows and exports: the heads and rows of its table, the chart and the
/// note on the peers.
struct TrendTable {
    heads: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn num(v: Option<f64>) -> String {
    v.map(fmt_num).unwrap_or_default()
}

/// The chart's lines and band, and the same figures as a table.
fn trend_parts(tr_: &Trend, lang: Lang, line_name: &str) -> (String, TrendTable) {
    use liaison_docs::svg::{Band, Chart, LineStyle, Series, line_chart};
    let median: Vec<Option<f64>> = tr_.benchmark.iter().map(|b| b.map(|b| b.median)).collect();
    let q1: Vec<Option<f64>> = tr_.benchmark.iter().map(|b| b.map(|b| b.q1)).collect();
    let q3: Vec<Option<f64>> = tr_.benchmark.iter().map(|b| b.map(|b| b.q3)).collect();
    let median_name = t(lang, "data.page.trend.peer_median");
    let band_name = t(lang, "data.page.trend.peer_band");
    let group_names: Vec<String> = tr_
        .groups
        .iter()
        .map(|g| group_label(tr_, &g.group, lang))
        .collect();
    let mut series = vec![Series {
        name: line_name,
        values: &tr_.values,
        style: LineStyle::Solid,
    }];
    let peers = !tr_.benchmark_withheld;
    if peers {
        series.push(Series {
            name: median_name,
            values: &median,
            style: LineStyle::Dashed,
        });
    }
    for (g, name) in tr_.groups.iter().zip(&group_names) {
        series.push(Series {
            name,
            values: &g.values,
            style: LineStyle::Solid,
        });
    }
    let measure = liaison_i18n::bilingual(&tr_.measure_label_zh, &tr_.measure_label_en, lang);
    let title = measure.clone();
    let description = if peers {
        t(lang, "data.page.trend.chart_peers")
    } else {
        t(lang, "data.page.trend.chart_plain")
    };
    let unit = match tr_.unit.as_str() {
        "" => String::new(),
        "%" => "%".to_string(),
        u => format!(" {u}"),
    };
    let svg = line_chart(&Chart {
        title: &title,
        description,
        x_labels: &tr_.periods,
        series: &series,
        band: peers.then_some(Band {
            name: band_name,
            low: &q1,
            high: &q3,
        }),
        unit: &unit,
    });
    let mut heads = vec![
        t(lang, "data.page.period").to_string(),
        line_name.to_string(),
    ];
    heads.extend(group_names.iter().cloned());
    if peers {
        heads.push(t(lang, "data.page.trend.q1").to_string());
        heads.push(median_name.to_string());
        heads.push(t(lang, "data.page.trend.q3").to_string());
    }
    let rows = tr_
        .periods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let at = |v: &[Option<f64>]| num(v.get(i).copied().flatten());
            let mut row = vec![p.clone(), at(&tr_.values)];
            row.extend(tr_.groups.iter().map(|g| at(&g.values)));
            if peers {
                row.extend([at(&q1), at(&median), at(&q3)]);
            }
            row
        })
        .collect();
    (svg, TrendTable { heads, rows })
}

/// A group's line as a person reads it: a partner kind by its word, a region or a product as
/// it is.
fn group_label(_: &Trend, group: &str, lang: Lang) -> String {
    match PartnerKind::parse(group) {
        Ok(k) => t(lang, &format!("kind.{}", k.as_str())).to_string(),
        Err(_) => group.to_string(),
    }
}

/// `/portal/data/trends` and `/console/data/trends`: pickers (data set, measure, product; staff
/// also a partner or a grouping), the chart, the note on the peers, the table, and the same
/// figures as CSV or XLSX (`format`).
async fn trends(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let staff = !s.actor.is_partner();
    if staff {
        s.require(Permission::ReadAllData)?;
    }
    let lang = lang_of(&headers, &s);
    let datasets = app::datasets(&state.db, &s.actor).await?;
    let code = match p.text("dataset") {
        // Sales when there are sales figures to show, else the first data set.
        c if c.is_empty() => datasets
            .iter()
            .find(|d| d.code == "sales")
            .or(datasets.first())
            .map_or_else(|| "sales".to_string(), |d| d.code.clone()),
        c => c,
    };
    let d = datasets.iter().find(|d| d.code == code).ok_or_else(|| {
        AppError::invalid(
            "dataset",
            Msg::new("data.dataset.unknown").arg("code", &code),
        )
    })?;
    // Staff name a partner by its code.
    let partner_ref = p.text("partner");
    let partner = if staff && !partner_ref.is_empty() {
        match liaison_db::partner::resolve_partner_ref(&state.db, &partner_ref).await? {
            Some(id) => Some(id),
            None => {
                return Err(AppError::invalid(
                    "partner",
                    Msg::new("validate.no_partner").arg("value", &partner_ref),
                )
                .into());
            }
        }
    } else {
        None
    };
    let opt = |k: &str| Some(p.text(k)).filter(|v| !v.is_empty());
    let query = TrendQuery {
        dataset: Some(code.clone()),
        measure: opt("measure"),
        partner,
        series: opt("series"),
        from: opt("from"),
        to: opt("to"),
        group: if partner.is_none() {
            opt("group")
        } else {
            None
        },
    };
    let trend = app::trend(&state.db, &s.actor, &query).await?;
    let line_name = match (staff, partner) {
        (false, _) => t(lang, "data.page.trend.mine").to_string(),
        (true, Some(_)) => t(lang, "data.page.trend.partner_line").to_string(),
        (true, None) => t(lang, "data.page.trend.total").to_string(),
    };
    let (svg, table) = trend_parts(&trend, lang, &line_name);
    match p.get("format") {
        Some("csv") | Some("xlsx") => {
            let heads: Vec<&str> = table.heads.iter().map(String::as_str).collect();
            let base = format!("{}-{}", trend.dataset, trend.measure);
            return Ok(if p.get("format") == Some("xlsx") {
                let bytes = liaison_docs::write_xlsx(&trend.dataset, &heads, &table.rows)
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                crate::respond::named_file(&format!("{base}.xlsx"), XLSX, bytes)
            } else {
                let bytes = liaison_docs::write_csv(&heads, &table.rows);
                crate::respond::named_file(&format!("{base}.csv"), CSV, bytes)
            });
        }
        Some(other) if !other.is_empty() => {
            return Err(AppError::invalid("format", Msg::one_of(other, &["csv", "xlsx"])).into());
        }
        _ => {}
    }
    let measures: Vec<Choice> = d
        .schema
        .measures()
        .map(|c| Choice {
            value: c.name.clone(),
            label: c.label(lang == Lang::En).to_string(),
        })
        .collect();
    let series = app::series_options(&state.db, &s.actor, &code, partner).await?;
    let series_label = d
        .schema
        .series_by
        .as_deref()
        .map(|c| column_label(Some(d), c, lang));
    let note = match (&trend.peer_group, trend.benchmark_withheld) {
        (_, true) if staff && (partner.is_none() || trend.restricted) => None,
        (_, true) => Some(t(lang, "data.page.trend.withheld").to_string()),
        (Some(g), false) => {
            let kind = group_label(&trend, &g.kind, lang);
            Some(match &g.region {
                Some(region) => tr(
                    lang,
                    "data.page.trend.peers_region",
                    &[("kind", kind), ("region", region.clone())],
                ),
                None => tr(lang, "data.page.trend.peers_nationwide", &[("kind", kind)]),
            })
        }
        (None, false) => None,
    };
    let gaps = !trend.benchmark_withheld && trend.benchmark.iter().any(Option::is_none);
    // §7.2.2: a partner's figures outside the reader's circle, or partners left out of totals.
    let restricted = trend
        .restricted
        .then(|| t(lang, "data.page.trend.restricted").to_string());
    let withheld_partners = (trend.withheld_partners > 0).then(|| {
        tr(
            lang,
            "data.page.trend.withheld_partners",
            &[("count", trend.withheld_partners.to_string())],
        )
    });
    let partners = if staff {
        match liaison_app::partner::list(
            &state.db,
            &s.actor,
            &Default::default(),
            Default::default(),
            None,
            500,
        )
        .await
        {
            Ok(page) => page.items,
            Err(liaison_app::Error::Forbidden) => Vec::new(),
            Err(e) => return Err(e.into()),
        }
    } else {
        Vec::new()
    };
    let dataset_choices: Vec<Choice> = datasets
        .iter()
        .map(|d| Choice {
            value: d.code.clone(),
            label: dataset_name(d, lang),
        })
        .collect();
    let mut qs: Vec<(&str, String)> = vec![
        ("dataset", code.clone()),
        ("measure", trend.measure.clone()),
    ];
    for k in ["series", "from", "to", "partner", "group"] {
        if let Some(v) = opt(k) {
            qs.push((k, v));
        }
    }
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "data/trends.html",
        ctx! {
            nav => "data",
            area => area(&s),
            staff => staff,
            datasets => dataset_choices,
            measures => measures,
            series => series,
            series_label => series_label,
            partners => partners,
            groups => ["region", "kind", "series"],
            f_dataset => code,
            f_measure => trend.measure.clone(),
            f_series => p.text("series"),
            f_from => p.text("from"),
            f_to => p.text("to"),
            f_partner => partner_ref,
            f_group => p.text("group"),
            chart => svg,
            heads => table.heads,
            rows => table.rows,
            note => note,
            gaps => gaps,
            withheld => trend.benchmark_withheld,
            restricted => restricted,
            ask_on => trend.ask_on,
            withheld_partners => withheld_partners,
            qs => serde_urlencoded::to_string(&qs).unwrap_or_default(),
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// The console's overview

/// An optional filter value of a list, parsed (a bad one is a 422 naming it).
fn filter_value<T>(
    p: &Pairs,
    k: &str,
    parse: fn(&str) -> Result<T, Msg>,
) -> Result<Option<T>, AppError> {
    match p.get(k).map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse(v).map(Some).map_err(|m| AppError::invalid(k, m)),
    }
}

#[derive(Serialize)]
struct OverdueRow<'a> {
    o: &'a app::Overdue,
    dataset: String,
}

/// `/console/data`: partners late with their figures, unusual figures waiting for an answer,
/// and recent submissions (filters: state, on time, data set).
async fn console_home(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    s.require(Permission::ReadAllData)?;
    let lang = lang_of(&headers, &s);
    let datasets = app::datasets(&state.db, &s.actor).await?;
    let overdue = app::overdue(&state.db, &s.actor).await?;
    let mut open = Vec::new();
    for st in [AnomalyState::Open, AnomalyState::Explained] {
        let q = AnomalyQuery {
            state: Some(st),
            ..Default::default()
        };
        open.extend(app::anomalies(&state.db, &s.actor, &q, 50).await?);
    }
    open.sort_by_key(|a| std::cmp::Reverse(a.created_at));
    let on_time = match p.text("on_time").as_str() {
        "" => None,
        "yes" => Some(true),
        "no" => Some(false),
        other => {
            return Err(AppError::invalid("on_time", Msg::one_of(other, &["yes", "no"])).into());
        }
    };
    let query = SubmissionQuery {
        dataset: Some(p.text("dataset")).filter(|d| !d.is_empty()),
        state: filter_value(&p, "state", SubmissionState::parse)?,
        on_time,
        ..Default::default()
    };
    let recent = app::submissions(&state.db, &s.actor, &query, 50).await?;
    let overdue_rows: Vec<OverdueRow<'_>> = overdue
        .iter()
        .map(|o| OverdueRow {
            o,
            dataset: datasets
                .iter()
                .find(|d| d.id == o.dataset_id)
                .map_or(o.dataset_code.clone(), |d| dataset_name(d, lang)),
        })
        .collect();
    let dataset_choices: Vec<Choice> = datasets
        .iter()
        .map(|d| Choice {
            value: d.code.clone(),
            label: dataset_name(d, lang),
        })
        .collect();
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "data/console.html",
        ctx! {
            nav => "data",
            overdue => overdue_rows,
            anomalies => anomaly_rows(&open, &datasets, lang),
            recent => sub_rows(&recent, lang),
            datasets => dataset_choices,
            states => codes(SubmissionState::ALL, SubmissionState::as_str),
            f_state => p.text("state"),
            f_on_time => p.text("on_time"),
            f_dataset => p.text("dataset"),
            may_import => s.actor.can(Permission::SubmitData),
            may_manage => s.actor.can(Permission::ManageData),
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// Uploading on a partner's behalf, with progress

/// How an import ended.
enum JobEnd {
    Done {
        submission: Uuid,
        accepted: bool,
        rows: i64,
        errors: i64,
        anomalies: usize,
    },
    Invalid(FieldErrors),
    /// Logged; the page says to try again.
    Failed,
}

/// One upload being checked in the background.
struct Job {
    owner: Uuid,
    progress: Progress,
    started: Instant,
    file_name: String,
    partner: String,
    dataset: String,
    period: String,
    end: Option<(JobEnd, Instant)>,
}

/// The uploads of this process, by id; finished ones are forgotten after a day.
static JOBS: LazyLock<Mutex<HashMap<Uuid, Job>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

fn jobs() -> std::sync::MutexGuard<'static, HashMap<Uuid, Job>> {
    JOBS.lock().unwrap_or_else(|e| e.into_inner())
}

async fn import_page(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let mut v = HashMap::new();
    for k in ["partner", "dataset", "period"] {
        if let Some(x) = p.get(k) {
            v.insert(k.to_string(), x.trim().to_string());
        }
    }
    import_form(&state, &headers, &s, v, None).await
}

async fn import_form(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    v: HashMap<String, String>,
    errors: Option<&FieldErrors>,
) -> PageResult {
    s.require(Permission::SubmitData)?;
    s.require(Permission::ReadAllData)?;
    let lang = lang_of(headers, s);
    let datasets = app::datasets(&state.db, &s.actor).await?;
    let partners = liaison_app::partner::list(
        &state.db,
        &s.actor,
        &Default::default(),
        Default::default(),
        None,
        500,
    )
    .await?
    .items;
    let dataset_choices: Vec<Choice> = datasets
        .iter()
        .filter(|d| d.active)
        .map(|d| Choice {
            value: d.code.clone(),
            label: dataset_name(d, lang),
        })
        .collect();
    let mut r = render(
        state,
        headers,
        Some(s),
        "data/import.html",
        ctx! {
            nav => "data",
            datasets => dataset_choices,
            partners => partners,
            v => v,
            errors => form_errors(errors),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

/// `POST /console/data/import`: the file goes to disk as it arrives; it is then checked and
/// stored in the background while `/console/data/import/{job}` shows the rows read so far.
async fn import_start(Page(state, headers, s): Page, mp: Multipart) -> PageResult {
    s.require(Permission::SubmitData)?;
    s.require(Permission::ReadAllData)?;
    let up = read_upload(&s, mp).await?;
    let form = &up.form;
    let mut bad = FieldErrors::new();
    let code = form.text("partner");
    let mut partner = None;
    match code.as_str() {
        "" => bad.required("partner"),
        c => match liaison_db::partner::resolve_partner_ref(&state.db, c).await? {
            Some(p) => partner = Some(p),
            None => bad.add("partner", Msg::new("validate.no_partner").arg("value", c)),
        },
    }
    for k in ["dataset", "period"] {
        if form.text(k).is_empty() {
            bad.required(k);
        }
    }
    if up.file.is_none() {
        bad.required("file");
    }
    let (Some(pid), Some((tmp, name)), true) = (partner, up.file, bad.is_empty()) else {
        return import_form(&state, &headers, &s, typed(form), Some(&bad)).await;
    };
    let mut input = submit_input(form);
    input.partner_id = Some(pid);
    let reader = open(&tmp)?;
    let job = Uuid::now_v7();
    let progress = Progress::default();
    {
        let mut all = jobs();
        all.retain(|_, j| {
            j.end
                .as_ref()
                .is_none_or(|(_, at)| at.elapsed() < Duration::from_secs(24 * 3600))
        });
        all.insert(
            job,
            Job {
                owner: s.actor.user_id,
                progress: progress.clone(),
                started: Instant::now(),
                file_name: name.clone(),
                partner: code.clone(),
                dataset: form.text("dataset"),
                period: form.text("period"),
                end: None,
            },
        );
    }
    let db = state.db.clone();
    let actor = s.actor.clone();
    tokio::spawn(async move {
        let source = Source::File {
            reader: Box::new(reader),
            name: Some(name),
        };
        let result = app::submit(
            &db,
            &actor,
            &input,
            source,
            SubmissionVia::Console,
            progress,
        )
        .await;
        drop(tmp);
        let end = match result {
            Ok(Outcome::Accepted {
                submission,
                anomalies,
            }) => JobEnd::Done {
                submission: submission.id,
                accepted: true,
                rows: submission.row_count,
                errors: 0,
                anomalies,
            },
            Ok(Outcome::Rejected { submission, .. }) => JobEnd::Done {
                submission: submission.id,
                accepted: false,
                rows: submission.row_count,
                errors: submission.error_count,
                anomalies: 0,
            },
            Err(liaison_app::Error::Invalid(e)) => JobEnd::Invalid(e),
            Err(e) => {
                tracing::warn!(error = %e, "a data import failed");
                JobEnd::Failed
            }
        };
        if let Some(j) = jobs().get_mut(&job) {
            j.end = Some((end, Instant::now()));
        }
    });
    Ok(Redirect::to(&format!("/console/data/import/{job}")).into_response())
}

/// What the progress page shows of a job.
#[derive(Serialize)]
struct JobView {
    rows: u64,
    seconds: u64,
    file_name: String,
    partner: String,
    dataset: String,
    period: String,
    done: bool,
    submission: Option<Uuid>,
    accepted: bool,
    errors: i64,
    anomalies: usize,
    problems: Vec<(String, String)>,
    failed: bool,
}

/// `/console/data/import/{job}`: rows read so far, refreshing itself each second until done;
/// then the outcome and a link to the report. Only the one who started it sees it.
async fn import_job(Page(state, headers, s): Page, Path(j): Path<String>) -> PageResult {
    let jid: Uuid = id(&j)?;
    let lang = lang_of(&headers, &s);
    let view = {
        let all = jobs();
        let job = all
            .get(&jid)
            .filter(|j| j.owner == s.actor.user_id)
            .ok_or(AppError::NotFound)?;
        let mut v = JobView {
            rows: job.progress.rows(),
            seconds: job.started.elapsed().as_secs(),
            file_name: job.file_name.clone(),
            partner: job.partner.clone(),
            dataset: job.dataset.clone(),
            period: job.period.clone(),
            done: job.end.is_some(),
            submission: None,
            accepted: false,
            errors: 0,
            anomalies: 0,
            problems: Vec::new(),
            failed: false,
        };
        match job.end.as_ref().map(|(e, _)| e) {
            Some(JobEnd::Done {
                submission,
                accepted,
                rows,
                errors,
                anomalies,
            }) => {
                v.submission = Some(*submission);
                v.accepted = *accepted;
                v.rows = u64::try_from(*rows).unwrap_or(v.rows);
                v.errors = *errors;
                v.anomalies = *anomalies;
            }
            Some(JobEnd::Invalid(e)) => {
                v.problems =
                    e.0.iter()
                        .map(|f| (field_label(&f.field, lang), f.msg.render(lang)))
                        .collect();
            }
            Some(JobEnd::Failed) => v.failed = true,
            None => {}
        }
        v
    };
    let datasets = app::datasets(&state.db, &s.actor).await?;
    let dataset = datasets
        .iter()
        .find(|d| d.code == view.dataset)
        .map_or(view.dataset.clone(), |d| dataset_name(d, lang));
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "data/import_job.html",
        ctx! { nav => "data", job => view, dataset_label => dataset, job_id => jid },
    ))
}

/// A form field as a person reads it, for messages listed away from the form.
fn field_label(field: &str, lang: Lang) -> String {
    let key = match field {
        "dataset" => "data.page.dataset",
        "period" => "data.page.period",
        "partner" | "partner_id" => "data.page.partner",
        "file" => "data.page.file",
        other => return other.to_string(),
    };
    t(lang, key).to_string()
}

// ---------------------------------------------------------------------------------------------
// Settings

/// A column's row of the data set form, as stored or as typed.
#[derive(Serialize, Default, Clone)]
struct ColRow {
    name: String,
    label_zh: String,
    label_en: String,
    kind: String,
    scale: String,
    unit: String,
    required: bool,
    min: String,
    max: String,
    aggregate: String,
}

impl ColRow {
    fn of(c: &Column) -> ColRow {
        ColRow {
            name: c.name.clone(),
            label_zh: c.label_zh.clone(),
            label_en: c.label_en.clone(),
            kind: c.kind.as_str().to_string(),
            scale: if c.scale > 0 {
                c.scale.to_string()
            } else {
                String::new()
            },
            unit: c.unit.clone(),
            required: c.required,
            min: c.min.map(fmt_num).unwrap_or_default(),
            max: c.max.map(fmt_num).unwrap_or_default(),
            aggregate: c
                .aggregate
                .map(|a| a.as_str().to_string())
                .unwrap_or_default(),
        }
    }
    fn is_empty(&self) -> bool {
        self.name.is_empty() && self.label_zh.is_empty() && self.label_en.is_empty()
    }
}

/// The data set form, as stored or as typed.
#[derive(Serialize, Default)]
struct DatasetForm {
    /// Empty for a new data set.
    id: String,
    version: i64,
    code: String,
    name_zh: String,
    name_en: String,
    description: String,
    classification: String,
    series_by: String,
    active: bool,
    columns: Vec<ColRow>,
}

/// What the settings page shows again after a failed save.
#[derive(Default)]
struct SettingsAgain<'a> {
    dataset: Option<(DatasetForm, &'a FieldErrors)>,
    requirement: Option<(HashMap<String, String>, &'a FieldErrors)>,
    thresholds: Option<(HashMap<String, String>, &'a FieldErrors)>,
}

#[derive(Serialize)]
struct RequirementRow<'a> {
    r: &'a liaison_db::data::Requirement,
    dataset: String,
}

async fn settings_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    again: SettingsAgain<'_>,
    which: &str,
    saved: Option<String>,
    blank_rows: usize,
) -> PageResult {
    s.require(Permission::ManageData)?;
    let lang = lang_of(headers, s);
    let datasets = app::datasets(&state.db, &s.actor).await?;
    let requirements = app::requirements(&state.db, &s.actor).await?;
    let current = app::settings(&state.db, &s.actor).await?;
    let dataset_errors = again.dataset.as_ref().map(|(_, e)| *e);
    let mut form = match again.dataset {
        Some((f, _)) => f,
        None => match datasets.iter().find(|d| d.id.to_string() == which) {
            Some(d) => DatasetForm {
                id: d.id.to_string(),
                version: d.version,
                code: d.code.clone(),
                name_zh: d.name_zh.clone(),
                name_en: d.name_en.clone(),
                description: d.description.clone(),
                classification: d.classification.as_str().to_string(),
                series_by: d.schema.series_by.clone().unwrap_or_default(),
                active: d.active,
                columns: d.schema.columns.iter().map(ColRow::of).collect(),
            },
            None => DatasetForm {
                classification: Classification::Confidential.as_str().to_string(),
                active: true,
                ..Default::default()
            },
        },
    };
    form.columns.extend(std::iter::repeat_n(
        ColRow::default(),
        if dataset_errors.is_some() {
            0
        } else {
            blank_rows.clamp(1, 20)
        },
    ));
    let requirement_errors = again.requirement.as_ref().map(|(_, e)| *e);
    let rv = again.requirement.map(|(v, _)| v).unwrap_or_else(|| {
        HashMap::from([
            ("period".to_string(), "monthly".to_string()),
            ("due_working_days".to_string(), "5".to_string()),
            ("remind_days".to_string(), "3".to_string()),
        ])
    });
    let threshold_errors = again.thresholds.as_ref().map(|(_, e)| *e);
    let tv = again.thresholds.map(|(v, _)| v).unwrap_or_else(|| {
        HashMap::from([
            ("score".to_string(), fmt_num(current.score)),
            ("min_history".to_string(), current.min_history.to_string()),
            (
                "peer_percentile".to_string(),
                fmt_num(current.peer_percentile),
            ),
        ])
    });
    let dataset_rows: Vec<_> = datasets
        .iter()
        .map(|d| ctx! { d => d, name => dataset_name(d, lang), columns => d.schema.columns.len() })
        .collect();
    let requirement_rows: Vec<RequirementRow<'_>> = requirements
        .iter()
        .map(|r| RequirementRow {
            r,
            dataset: datasets
                .iter()
                .find(|d| d.id == r.dataset_id)
                .map_or(r.dataset_code.clone(), |d| dataset_name(d, lang)),
        })
        .collect();
    let dataset_choices: Vec<Choice> = datasets
        .iter()
        .map(|d| Choice {
            value: d.code.clone(),
            label: dataset_name(d, lang),
        })
        .collect();
    let invalid =
        dataset_errors.is_some() || requirement_errors.is_some() || threshold_errors.is_some();
    let row_count = form.columns.len();
    let mut r = render(
        state,
        headers,
        Some(s),
        "data/settings.html",
        ctx! {
            nav => "data_settings",
            datasets => dataset_rows,
            dataset_choices => dataset_choices,
            requirements => requirement_rows,
            f => form,
            row_count => row_count,
            column_kinds => codes(ColumnKind::ALL, ColumnKind::as_str),
            aggregates => codes(Aggregate::ALL, Aggregate::as_str),
            classifications => codes(Classification::ALL, Classification::as_str),
            partner_kinds => codes(PartnerKind::ALL, PartnerKind::as_str),
            period_kinds => codes(PeriodKind::ALL, PeriodKind::as_str),
            rv => rv,
            tv => tv,
            errors => form_errors(dataset_errors),
            requirement_errors => form_errors(requirement_errors),
            threshold_errors => form_errors(threshold_errors),
            saved => saved,
        },
    );
    mark_invalid(&mut r, invalid);
    Ok(r)
}

async fn settings_show(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let blank = p.text("rows").parse::<usize>().unwrap_or(2);
    let saved = p
        .get("saved")
        .filter(|v| matches!(*v, "dataset" | "requirements" | "thresholds"))
        .map(str::to_string);
    settings_page(
        &state,
        &headers,
        &s,
        SettingsAgain::default(),
        &p.text("dataset"),
        saved,
        blank,
    )
    .await
}

/// A number typed in a form (empty: none); a thousands separator is allowed.
fn opt_number(v: &str) -> Result<Option<f64>, Msg> {
    let v: String = v
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .map(Some)
        .ok_or_else(|| Msg::new("validate.number"))
}

/// Creates a data set or saves one (`id` and `version` in the form): its names, description,
/// classification, series column and the columns, one row each; empty rows are skipped. The
/// service's errors name the column by its place among those sent (`columns[2].name`); they
/// are shown beside the form's row.
async fn dataset_save(PageForm(state, headers, s, p): PageForm) -> PageResult {
    s.require(Permission::ManageData)?;
    let count = p.text("rows").parse::<usize>().unwrap_or(0).min(60);
    let mut e = FieldErrors::new();
    let mut rows = Vec::new();
    let mut columns = Vec::new();
    let mut row_of = Vec::new();
    for i in 0..count {
        let f = |k: &str| p.text(&format!("columns[{i}].{k}"));
        let row = ColRow {
            name: f("name"),
            label_zh: f("label_zh"),
            label_en: f("label_en"),
            kind: f("kind"),
            scale: f("scale"),
            unit: f("unit"),
            required: checked(&p, &format!("columns[{i}].required")),
            min: f("min"),
            max: f("max"),
            aggregate: f("aggregate"),
        };
        if !row.is_empty() {
            let field = |k: &str| format!("columns[{i}].{k}");
            let kind = e.take(&field("kind"), ColumnKind::parse(&row.kind));
            let scale = match row.scale.trim() {
                "" => Some(0),
                v => e.take(
                    &field("scale"),
                    v.parse::<u8>().map_err(|_| Msg::new("data.schema.scale")),
                ),
            };
            let min = e.take(&field("min"), opt_number(&row.min));
            let max = e.take(&field("max"), opt_number(&row.max));
            let aggregate = match row.aggregate.as_str() {
                "" => Some(None),
                v => e.take(&field("aggregate"), Aggregate::parse(v)).map(Some),
            };
            if let (Some(kind), Some(scale), Some(min), Some(max), Some(aggregate)) =
                (kind, scale, min, max, aggregate)
            {
                columns.push(Column {
                    name: row.name.trim().to_string(),
                    label_zh: row.label_zh.trim().to_string(),
                    label_en: row.label_en.trim().to_string(),
                    kind,
                    scale,
                    unit: row.unit.trim().to_string(),
                    required: row.required,
                    min,
                    max,
                    aggregate,
                });
                row_of.push(i);
            }
        }
        rows.push(row);
    }
    let form = DatasetForm {
        id: p.text("id"),
        version: p.text("version").parse().unwrap_or(0),
        code: p.text("code"),
        name_zh: p.text("name_zh"),
        name_en: p.text("name_en"),
        description: p.get("description").unwrap_or("").to_string(),
        classification: p.text("classification"),
        series_by: p.text("series_by"),
        active: checked(&p, "active"),
        columns: rows,
    };
    let input = DatasetInput {
        code: Some(form.code.clone()),
        name_zh: Some(form.name_zh.clone()),
        name_en: Some(form.name_en.clone()),
        description: Some(form.description.clone()),
        columns: Some(columns),
        series_by: Some(form.series_by.clone()),
        classification: Some(form.classification.clone()),
        active: Some(form.active),
    };
    // Errors of the page's own reading already name the form's row.
    if !e.is_empty() {
        let again = SettingsAgain {
            dataset: Some((form, &e)),
            ..Default::default()
        };
        return settings_page(&state, &headers, &s, again, "", None, 0).await;
    }
    let result = if form.id.is_empty() {
        app::create_dataset(&state.db, &s.actor, &input).await
    } else {
        let did: Uuid = id(&form.id)?;
        app::update_dataset(&state.db, &s.actor, did, form.version, &input).await
    };
    match result {
        Ok(d) => Ok(Redirect::to(&format!(
            "/console/settings/data?saved=dataset&dataset={}#dataset-form",
            d.id
        ))
        .into_response()),
        Err(liaison_app::Error::Invalid(errs)) => {
            // The service's columns[n] is the n-th column sent: the form's row row_of[n].
            let mut mapped = FieldErrors::new();
            for f in errs.0 {
                let field = f
                    .field
                    .strip_prefix("columns[")
                    .and_then(|rest| rest.split_once(']'))
                    .and_then(|(n, rest)| {
                        let n: usize = n.parse().ok()?;
                        Some(format!("columns[{}]{rest}", row_of.get(n)?))
                    })
                    .unwrap_or(f.field);
                mapped.add(field, f.msg);
            }
            let again = SettingsAgain {
                dataset: Some((form, &mapped)),
                ..Default::default()
            };
            settings_page(&state, &headers, &s, again, "", None, 0).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A whole number typed in a form.
fn whole(p: &Pairs, k: &str, e: &mut FieldErrors) -> Option<i64> {
    match p.text(k).parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            e.add(k, Msg::new("validate.whole_number"));
            None
        }
    }
}

async fn requirement_create(PageForm(state, headers, s, p): PageForm) -> PageResult {
    s.require(Permission::ManageData)?;
    let mut e = FieldErrors::new();
    let due = whole(&p, "due_working_days", &mut e);
    let remind = whole(&p, "remind_days", &mut e);
    let input = RequirementInput {
        dataset: Some(p.text("dataset")).filter(|d| !d.is_empty()),
        partner_kind: Some(p.text("partner_kind")),
        segment_id: None,
        period: Some(p.text("period")),
        due_working_days: due,
        remind_days: remind,
        active: Some(true),
    };
    let result = if e.is_empty() {
        app::create_requirement(&state.db, &s.actor, &input)
            .await
            .map(|_| ())
    } else {
        Err(liaison_app::Error::Invalid(e))
    };
    match result {
        Ok(()) => Ok(
            Redirect::to("/console/settings/data?saved=requirements#requirements").into_response(),
        ),
        Err(liaison_app::Error::Invalid(e)) => {
            let again = SettingsAgain {
                requirement: Some((typed(&p), &e)),
                ..Default::default()
            };
            settings_page(&state, &headers, &s, again, "", None, 2).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Stops or resumes asking for a data set (`active`).
async fn requirement_toggle(
    Path(rid): Path<String>,
    PageForm(state, _, s, p): PageForm,
) -> PageResult {
    s.require(Permission::ManageData)?;
    let input = RequirementInput {
        active: Some(checked(&p, "active")),
        ..Default::default()
    };
    app::update_requirement(&state.db, &s.actor, id(&rid)?, &input).await?;
    Ok(Redirect::to("/console/settings/data?saved=requirements#requirements").into_response())
}

async fn thresholds_save(PageForm(state, headers, s, p): PageForm) -> PageResult {
    s.require(Permission::ManageData)?;
    let mut e = FieldErrors::new();
    let number = |k: &str, e: &mut FieldErrors| match opt_number(&p.text(k)) {
        Ok(Some(n)) => n,
        Ok(None) => {
            e.required(k);
            0.0
        }
        Err(m) => {
            e.add(k, m);
            0.0
        }
    };
    let score = number("score", &mut e);
    let peer_percentile = number("peer_percentile", &mut e);
    let min_history = match p.text("min_history").parse::<usize>() {
        Ok(n) => n,
        Err(_) => {
            e.add("min_history", Msg::new("validate.whole_number"));
            0
        }
    };
    let th = Thresholds {
        score,
        min_history,
        peer_percentile,
    };
    let result = if e.is_empty() {
        app::update_settings(&state.db, &s.actor, &th)
            .await
            .map(|_| ())
    } else {
        Err(liaison_app::Error::Invalid(e))
    };
    match result {
        Ok(()) => {
            Ok(Redirect::to("/console/settings/data?saved=thresholds#thresholds").into_response())
        }
        Err(liaison_app::Error::Invalid(e)) => {
            let again = SettingsAgain {
                thresholds: Some((typed(&p), &e)),
                ..Default::default()
            };
            settings_page(&state, &headers, &s, again, "", None, 2).await
        }
        Err(e) => Err(e.into()),
    }
}
