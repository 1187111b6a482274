//! Business data exchange (policy §3.3; issue 13): data sets and their templates,
//! requirements, submissions (JSON rows, a multipart form with a file, or a CSV/XLSX body,
//! streamed to disk and never held), anomalies and their follow-up, trends beside the
//! anonymised peer benchmark. A partner user reads only its own partner's figures: anything
//! else is 404.

use crate::auth::Api;
use crate::extract::{ApiJson, Pairs, Versioned, from_value, id};
use crate::respond::{created_at, named_file};
use crate::{AppError, AppResult};
use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use liaison_app::data::{
    self as app, AnomalyQuery, DatasetInput, FollowUpInput, Outcome, Progress, RequirementInput,
    Source, SubmissionQuery, SubmitInput, TrendQuery,
};
use liaison_core::data::{AnomalyState, SubmissionState, SubmissionVia, Thresholds};
use liaison_core::validate::Msg;
use liaison_i18n::Lang;
use serde_json::{Value, json};
use uuid::Uuid;

fn get<'a>(p: &'a Pairs, k: &str) -> Option<&'a str> {
    p.get(k).map(str::trim).filter(|v| !v.is_empty())
}

fn lang(headers: &HeaderMap, s: &crate::auth::Session) -> Lang {
    crate::auth::page_lang(headers, Some(&s.user))
}

fn opt_id(p: &Pairs, k: &str) -> AppResult<Option<Uuid>> {
    get(p, k)
        .map(id)
        .transpose()
        .map_err(|_| AppError::invalid(k, Msg::new("validate.invalid")))
}

fn opt_bool(p: &Pairs, k: &str) -> AppResult<Option<bool>> {
    match get(p, k) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(AppError::invalid(k, Msg::one_of(other, &["true", "false"]))),
    }
}

/// A keyset cursor of a list ordered by time then id: `<RFC 3339>_<uuid>`.
fn time_id_cursor(p: &Pairs) -> AppResult<Option<(DateTime<Utc>, Uuid)>> {
    let Some(c) = get(p, "cursor") else {
        return Ok(None);
    };
    let bad = || AppError::invalid("cursor", Msg::new("validate.cursor"));
    let (t, i) = c.rsplit_once('_').ok_or_else(bad)?;
    let t = DateTime::parse_from_rfc3339(t).map_err(|_| bad())?;
    let i = Uuid::parse_str(i).map_err(|_| bad())?;
    Ok(Some((t.with_timezone(&Utc), i)))
}

fn cursor_of(t: DateTime<Utc>, i: Uuid) -> String {
    format!(
        "{}_{i}",
        t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    )
}

// ---- data sets ----

pub async fn datasets(Api(state, s): Api) -> AppResult<Json<Value>> {
    let items = app::datasets(&state.db, &s.actor).await?;
    Ok(Json(json!({ "items": items })))
}

pub async fn dataset(Api(state, s): Api, Path(key): Path<String>) -> AppResult<Json<Value>> {
    Ok(Json(json!(app::dataset(&state.db, &s.actor, &key).await?)))
}

pub async fn create_dataset(
    Api(state, s): Api,
    ApiJson(body): ApiJson<DatasetInput>,
) -> AppResult<Response> {
    let d = app::create_dataset(&state.db, &s.actor, &body).await?;
    Ok(created_at(format!("/api/v1/datasets/{}", d.id), json!(d)))
}

pub async fn update_dataset(
    Api(state, s): Api,
    Path(key): Path<String>,
    body: Versioned<DatasetInput>,
) -> AppResult<Json<Value>> {
    let d = app::dataset(&state.db, &s.actor, &key).await?;
    let version = body.version.unwrap_or(d.version);
    let body = body.fields;
    Ok(Json(json!(
        app::update_dataset(&state.db, &s.actor, d.id, version, &body).await?
    )))
}

pub async fn template(
    Api(state, s): Api,
    Path(key): Path<String>,
    p: Pairs,
) -> AppResult<Response> {
    let xlsx = match get(&p, "format") {
        None | Some("csv") => false,
        Some("xlsx") => true,
        Some(other) => {
            return Err(AppError::invalid(
                "format",
                Msg::one_of(other, &["csv", "xlsx"]),
            ));
        }
    };
    let (name, bytes) = app::template(&state.db, &s.actor, &key, xlsx).await?;
    let ct = if xlsx {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else {
        "text/csv; charset=utf-8"
    };
    Ok(named_file(&name, ct, bytes))
}

// ---- requirements ----

pub async fn requirements(Api(state, s): Api) -> AppResult<Json<Value>> {
    let items = app::requirements(&state.db, &s.actor).await?;
    Ok(Json(json!({ "items": items })))
}

pub async fn create_requirement(
    Api(state, s): Api,
    ApiJson(body): ApiJson<RequirementInput>,
) -> AppResult<Response> {
    let r = app::create_requirement(&state.db, &s.actor, &body).await?;
    Ok(created_at(
        format!("/api/v1/data-requirements/{}", r.id),
        json!(r),
    ))
}

pub async fn update_requirement(
    Api(state, s): Api,
    Path(rid): Path<String>,
    ApiJson(body): ApiJson<RequirementInput>,
) -> AppResult<Json<Value>> {
    let rid = id(&rid)?;
    Ok(Json(json!(
        app::update_requirement(&state.db, &s.actor, rid, &body).await?
    )))
}

pub async fn obligations(Api(state, s): Api, p: Pairs) -> AppResult<Json<Value>> {
    let partner = match (s.actor.partner_id, opt_id(&p, "partner")?) {
        (Some(own), None) => own,
        (_, Some(q)) => q,
        (None, None) => {
            return Err(AppError::invalid(
                "partner",
                Msg::new("data.submit.partner_required"),
            ));
        }
    };
    let items = app::obligations(&state.db, &s.actor, partner, 3).await?;
    Ok(Json(json!({ "items": items })))
}

pub async fn overdue(Api(state, s): Api) -> AppResult<Json<Value>> {
    let items = app::overdue(&state.db, &s.actor).await?;
    Ok(Json(json!({ "items": items })))
}

// ---- submissions ----

pub async fn submissions(Api(state, s): Api, p: Pairs) -> AppResult<Json<Value>> {
    let l = p.list(25)?;
    let query = SubmissionQuery {
        partner: opt_id(&p, "partner")?,
        dataset: get(&p, "dataset").map(str::to_string),
        period: get(&p, "period").map(str::to_string),
        state: get(&p, "state")
            .map(SubmissionState::parse)
            .transpose()
            .map_err(|m| AppError::invalid("state", m))?,
        on_time: opt_bool(&p, "on_time")?,
        before: time_id_cursor(&p)?,
    };
    let items = app::submissions(&state.db, &s.actor, &query, l.limit).await?;
    let next_cursor = l.next(&items, |x| cursor_of(x.submitted_at, x.id));
    Ok(Json(json!({ "items": items, "next_cursor": next_cursor })))
}

pub async fn submission(Api(state, s): Api, Path(sid): Path<String>) -> AppResult<Json<Value>> {
    let sid = id(&sid)?;
    Ok(Json(json!(
        app::submission(&state.db, &s.actor, sid).await?
    )))
}

fn rendered_errors(errors: &[liaison_db::data::CellError], lang: Lang) -> Vec<Value> {
    errors
        .iter()
        .map(|e| {
            json!({
                "row": e.row,
                "column": e.column,
                "code": e.key,
                "message": app::render_error(e, lang),
            })
        })
        .collect()
}

pub async fn submission_errors(
    Api(state, s): Api,
    headers: HeaderMap,
    Path(sid): Path<String>,
) -> AppResult<Json<Value>> {
    let sid = id(&sid)?;
    let (sub, errors) = app::submission_errors(&state.db, &s.actor, sid).await?;
    Ok(Json(json!({
        "submission_id": sub.id,
        "state": sub.state,
        "error_count": sub.error_count,
        "errors": rendered_errors(&errors, lang(&headers, &s)),
    })))
}

pub async fn submission_rows(Api(state, s): Api, Path(sid): Path<String>) -> AppResult<Response> {
    let sid = id(&sid)?;
    let (name, bytes) = app::submission_csv(&state.db, &s.actor, sid).await?;
    Ok(named_file(&name, "text/csv; charset=utf-8", bytes))
}

/// The text fields of a submission given outside a JSON body (a form's fields, a CSV body's
/// query): dataset, period, partner_id.
fn text_input(get: impl Fn(&str) -> Option<String>) -> AppResult<SubmitInput> {
    let partner_id = match get("partner_id").filter(|v| !v.trim().is_empty()) {
        Some(v) => Some(
            id(v.trim())
                .map_err(|_| AppError::invalid("partner_id", Msg::new("validate.invalid")))?,
        ),
        None => None,
    };
    Ok(SubmitInput {
        dataset: get("dataset"),
        period: get("period"),
        partner_id,
        rows: None,
    })
}

/// `POST /api/v1/submissions`: JSON `{dataset, period, rows, partner_id?}`, a
/// `multipart/form-data` form with those fields and a `file`, or the file itself as the body
/// (`text/csv` or XLSX) with `dataset`, `period` and `partner_id` in the query. A file is
/// streamed to disk and read from there; it is never held in memory.
pub async fn submit(
    Api(state, s): Api,
    p: Pairs,
    headers: HeaderMap,
    req: Request,
) -> AppResult<Response> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let limit = state.config.max_data_bytes;
    let mut _spooled = None;
    let (input, source) = if ct.starts_with("application/json") {
        let bytes = axum::body::to_bytes(req.into_body(), state.config.max_upload_bytes)
            .await
            .map_err(|_| {
                AppError::PayloadTooLarge(
                    "a JSON submission is at most 20 MB; send bigger ones as a CSV file".into(),
                )
            })?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| AppError::BadRequest(format!("the body is not valid JSON: {e}")))?;
        let mut input: SubmitInput = from_value(value)?;
        let rows = input
            .rows
            .take()
            .ok_or_else(|| AppError::invalid("rows", Msg::new("data.submit.file_or_rows")))?;
        (input, Source::Rows(rows))
    } else if ct.starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(req, &state)
            .await
            .map_err(|e| AppError::BadRequest(format!("the form could not be read: {e}")))?;
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut file = None;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| AppError::BadRequest(format!("the form could not be read: {e}")))?
        {
            let name = field.name().unwrap_or("").to_string();
            if name == "file" {
                let filename = field.file_name().map(str::to_string);
                let spooled = crate::spool::spool_stream(field, limit, None).await?;
                file = Some((spooled, filename));
            } else if ["dataset", "period", "partner_id"].contains(&name.as_str()) {
                let text = field.text().await.map_err(|e| {
                    AppError::BadRequest(format!("the form could not be read: {e}"))
                })?;
                crate::extract::check_text(&name, &text)?;
                fields.push((name, text));
            } else {
                return Err(AppError::invalid(
                    &name,
                    Msg::new("validate.unknown_field")
                        .arg("expected", "dataset, period, partner_id, file"),
                ));
            }
        }
        let input = text_input(|k| {
            fields
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.trim().to_string())
        })?;
        let (spooled, name) =
            file.ok_or_else(|| AppError::invalid("file", Msg::new("data.submit.file_or_rows")))?;
        let reader = spooled.open()?;
        _spooled = Some(spooled);
        (
            input,
            Source::File {
                reader: Box::new(reader),
                name,
            },
        )
    } else {
        let input = text_input(|k| get(&p, k).map(str::to_string))?;
        let name = get(&p, "filename").map(str::to_string).or_else(|| {
            ct.contains("spreadsheetml")
                .then(|| "upload.xlsx".to_string())
        });
        let spooled = crate::spool::spool(req.into_body(), limit).await?;
        let reader = spooled.open()?;
        _spooled = Some(spooled);
        (
            input,
            Source::File {
                reader: Box::new(reader),
                name,
            },
        )
    };
    let outcome = app::submit(
        &state.db,
        &s.actor,
        &input,
        source,
        SubmissionVia::Api,
        Progress::default(),
    )
    .await?;
    let lang = lang(&headers, &s);
    Ok(match outcome {
        Outcome::Accepted {
            submission,
            anomalies,
        } => {
            let mut body = json!(submission);
            body["anomalies"] = json!(anomalies);
            created_at(format!("/api/v1/submissions/{}", submission.id), body)
        }
        Outcome::Rejected { submission, errors } => {
            let detail = Msg::new("error.detail.invalid_rows")
                .arg("count", submission.error_count)
                .render(lang);
            let body = json!({
                "type": "https://liaison.example/problems/invalid-rows",
                "title": "Unprocessable Entity",
                "status": 422,
                "detail": detail,
                "submission_id": submission.id,
                "error_count": submission.error_count,
                "errors": rendered_errors(&errors, lang),
            });
            let mut r = (StatusCode::UNPROCESSABLE_ENTITY, body.to_string()).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/problem+json"),
            );
            r
        }
    })
}

// ---- anomalies ----

pub async fn anomalies(Api(state, s): Api, headers: HeaderMap, p: Pairs) -> AppResult<Json<Value>> {
    let l = p.list(25)?;
    let query = AnomalyQuery {
        partner: opt_id(&p, "partner")?,
        dataset: get(&p, "dataset").map(str::to_string),
        state: get(&p, "state")
            .map(AnomalyState::parse)
            .transpose()
            .map_err(|m| AppError::invalid("state", m))?,
        mine: opt_bool(&p, "mine")?.unwrap_or(false),
        before: time_id_cursor(&p)?,
    };
    let items = app::anomalies(&state.db, &s.actor, &query, l.limit).await?;
    let next_cursor = l.next(&items, |x| cursor_of(x.created_at, x.id));
    let datasets = app::datasets(&state.db, &s.actor).await?;
    let lang = lang(&headers, &s);
    let items: Vec<Value> = items
        .iter()
        .map(|a| {
            let mut v = json!(a);
            if let Some(d) = datasets.iter().find(|d| d.id == a.dataset_id) {
                v["explanation"] = json!(app::explain(d, a, lang));
            }
            v
        })
        .collect();
    Ok(Json(json!({ "items": items, "next_cursor": next_cursor })))
}

pub async fn anomaly(
    Api(state, s): Api,
    headers: HeaderMap,
    Path(aid): Path<String>,
) -> AppResult<Json<Value>> {
    let aid = id(&aid)?;
    let lang = lang(&headers, &s);
    Ok(Json(json!(
        app::anomaly(&state.db, &s.actor, aid, lang).await?
    )))
}

pub async fn follow_up(
    Api(state, s): Api,
    headers: HeaderMap,
    Path(aid): Path<String>,
    ApiJson(body): ApiJson<FollowUpInput>,
) -> AppResult<Response> {
    let aid = id(&aid)?;
    app::follow_up(&state.db, &s.actor, aid, &body).await?;
    let view = app::anomaly(&state.db, &s.actor, aid, lang(&headers, &s)).await?;
    Ok((StatusCode::CREATED, Json(json!(view))).into_response())
}

// ---- trends and settings ----

pub async fn trends(Api(state, s): Api, p: Pairs) -> AppResult<Json<Value>> {
    let query = TrendQuery {
        dataset: get(&p, "dataset").map(str::to_string),
        measure: get(&p, "measure").map(str::to_string),
        partner: opt_id(&p, "partner")?,
        series: get(&p, "series").map(str::to_string),
        from: get(&p, "from").map(str::to_string),
        to: get(&p, "to").map(str::to_string),
        group: get(&p, "group").map(str::to_string),
    };
    Ok(Json(json!(app::trend(&state.db, &s.actor, &query).await?)))
}

pub async fn settings(Api(state, s): Api) -> AppResult<Json<Thresholds>> {
    Ok(Json(app::settings(&state.db, &s.actor).await?))
}

pub async fn update_settings(
    Api(state, s): Api,
    ApiJson(body): ApiJson<Thresholds>,
) -> AppResult<Json<Thresholds>> {
    Ok(Json(
        app::update_settings(&state.db, &s.actor, &body).await?,
    ))
}
