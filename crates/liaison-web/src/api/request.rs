//! Request forms, the review chain and receipts (policy §4.1, §4.2, §4.3; SPEC B1-B3, B5).

use crate::auth::{Api, ApiLang, Session};
use crate::extract::id;
use crate::extract::{ApiJson, Pairs, Versioned};
use crate::respond::created_at;
use crate::{AppError, AppResult, AppState};
use axum::Json;
use axum::extract::Path;
use axum::response::Response;
use liaison_app::request as app;
use liaison_core::partner::Lang;
use liaison_core::request::RequestInput;
use liaison_core::review::Decision;
use liaison_db::request::{Request, RequestView};
use serde::Deserialize;
use serde_json::json;

/// A request as the API answers it: each pre-check finding with its `code`, its arguments and
/// its `message` in the caller's language (§4.2.1).
pub fn request_json(r: &Request, lang: Lang) -> serde_json::Value {
    let mut v = json!(r);
    if let Some(items) = v.get_mut("findings").and_then(|f| f.as_array_mut()) {
        for (item, f) in items.iter_mut().zip(&r.findings) {
            item["message"] = json!(f.msg().render(lang));
        }
    }
    v
}

/// A request the caller may read, by the id in its path.
async fn load(state: &AppState, s: &Session, rid: &str) -> AppResult<Request> {
    Ok(app::load(&state.db, &s.actor, id(rid)?).await?)
}

pub async fn create(
    Api(state, s): Api,
    ApiLang(lang): ApiLang,
    ApiJson(body): ApiJson<RequestInput>,
) -> AppResult<Response> {
    let r = app::create(&state.db, &s.actor, &body).await?;
    Ok(created_at(
        format!("/api/v1/requests/{}", r.id),
        request_json(&r, lang),
    ))
}

pub async fn list(
    Api(state, s): Api,
    ApiLang(lang): ApiLang,
    p: Pairs,
) -> AppResult<Json<serde_json::Value>> {
    let l = p.list(50)?;
    let view = match p.get("view").unwrap_or("mine") {
        "" | "mine" => RequestView::Mine,
        "to_review" => RequestView::ToReview,
        "all" => RequestView::All,
        other => {
            return Err(AppError::invalid(
                "view",
                liaison_core::validate::Msg::one_of(other, &["mine", "to_review", "all"]),
            ));
        }
    };
    let items = app::list(&state.db, &s.actor, view, l.id_cursor()?, l.limit).await?;
    let next = l.next(&items, |r| r.id.to_string());
    let items: Vec<serde_json::Value> = items.iter().map(|r| request_json(r, lang)).collect();
    Ok(Json(json!({"items": items, "next_cursor": next})))
}

pub async fn show(
    Api(state, s): Api,
    ApiLang(lang): ApiLang,
    Path(rid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    Ok(Json(request_json(&load(&state, &s, &rid).await?, lang)))
}

pub async fn update(
    Api(state, s): Api,
    ApiLang(lang): ApiLang,
    Path(rid): Path<String>,
    body: Versioned<RequestInput>,
) -> AppResult<Json<serde_json::Value>> {
    let r = app::update(&state.db, &s.actor, id(&rid)?, body.fields, body.version).await?;
    Ok(Json(request_json(&r, lang)))
}

pub async fn submit(
    Api(state, s): Api,
    ApiLang(lang): ApiLang,
    Path(rid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let r = app::submit(&state.db, &s.actor, id(&rid)?).await?;
    Ok(Json(request_json(&r, lang)))
}

pub async fn withdraw(
    Api(state, s): Api,
    ApiLang(lang): ApiLang,
    Path(rid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let r = app::withdraw(&state.db, &s.actor, id(&rid)?).await?;
    Ok(Json(request_json(&r, lang)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommentBody {
    pub comment: String,
}

/// An approval: a comment, and for confidential content some of whose audience lacks a valid
/// NDA, the explicit choice to send to the covered ones only (§7.1.2).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApproveBody {
    pub comment: String,
    pub send_to_covered_only: bool,
}

async fn decide(
    state: &AppState,
    s: &Session,
    rid: &str,
    d: Decision,
    body: ApproveBody,
    lang: Lang,
) -> AppResult<Json<serde_json::Value>> {
    let r = app::decide_with(
        &state.db,
        &s.actor,
        id(rid)?,
        d,
        &body.comment,
        body.send_to_covered_only,
    )
    .await?;
    Ok(Json(request_json(&r, lang)))
}

/// `GET /api/v1/requests/{id}/coverage`: who the audience reaches now and who of them lacks a
/// valid NDA for confidential content.
pub async fn coverage(
    Api(state, s): Api,
    Path(rid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let c = app::coverage(&state.db, &s.actor, id(&rid)?).await?;
    Ok(Json(match c {
        Some(c) => json!({"people": c.people, "covered": c.covered(),
                          "uncovered_count": c.uncovered.len(), "uncovered": c.uncovered,
                          "skipped": c.skipped}),
        None => json!({"people": 0, "covered": 0, "uncovered_count": 0, "uncovered": [],
                       "skipped": []}),
    }))
}

/// Approving needs no comment, so the body may be empty.
pub async fn approve(
    Api(state, s): Api,
    ApiLang(lang): ApiLang,
    Path(rid): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<serde_json::Value>> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        ApproveBody::default()
    } else {
        let value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
            AppError::BadRequest(format!(
                "the body is not a JSON object with a comment and send_to_covered_only: {e}"
            ))
        })?;
        crate::extract::from_value(value)?
    };
    decide(&state, &s, &rid, Decision::Approve, body, lang).await
}

pub async fn reject(
    Api(state, s): Api,
    ApiLang(lang): ApiLang,
    Path(rid): Path<String>,
    ApiJson(body): ApiJson<CommentBody>,
) -> AppResult<Json<serde_json::Value>> {
    let body = ApproveBody {
        comment: body.comment,
        send_to_covered_only: false,
    };
    decide(&state, &s, &rid, Decision::Reject, body, lang).await
}

pub async fn return_(
    Api(state, s): Api,
    ApiLang(lang): ApiLang,
    Path(rid): Path<String>,
    ApiJson(body): ApiJson<CommentBody>,
) -> AppResult<Json<serde_json::Value>> {
    let body = ApproveBody {
        comment: body.comment,
        send_to_covered_only: false,
    };
    decide(&state, &s, &rid, Decision::Return, body, lang).await
}

pub async fn deliveries(
    Api(state, s): Api,
    Path(rid): Path<String>,
    p: Pairs,
) -> AppResult<Json<serde_json::Value>> {
    let r = load(&state, &s, &rid).await?;
    let Some(message) = r.message_id else {
        return Ok(Json(
            json!({"items": [], "next_cursor": null, "summary": liaison_db::inbox::Summary::default()}),
        ));
    };
    let l = p.list(100)?;
    let unconfirmed = p.get("unconfirmed") == Some("true");
    let items =
        liaison_db::inbox::deliveries(&state.db, message, unconfirmed, l.id_cursor()?, l.limit)
            .await?;
    let next = l.next(&items, |d| d.id.to_string());
    let summary = liaison_db::inbox::summary(&state.db, message).await?;
    Ok(Json(
        json!({"items": items, "next_cursor": next, "summary": summary, "message_id": message}),
    ))
}

/// Attach a file to a draft or returned request (its requester): the body is the file,
/// `?filename=` its name.
pub async fn add_attachment(
    Api(state, s): Api,
    Path(rid): Path<String>,
    p: Pairs,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let a = app::add_attachment(
        &state.db,
        &s.actor,
        id(&rid)?,
        p.get("filename").unwrap_or(""),
        &body,
    )
    .await?;
    Ok(created_at(
        format!("/api/v1/requests/{rid}/attachments/{}", a.id),
        json!(a),
    ))
}

pub async fn attachments(
    Api(state, s): Api,
    Path(rid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let items = app::attachments(&state.db, &s.actor, id(&rid)?).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn attachment(
    Api(state, s): Api,
    Path((rid, aid)): Path<(String, String)>,
) -> AppResult<Response> {
    let (a, bytes) = app::attachment(&state.db, &s.actor, id(&rid)?, id(&aid)?).await?;
    Ok(crate::respond::file_response(a, bytes))
}

/// The receipts board as CSV (UTF-8 with BOM) or XLSX; `unconfirmed=true` lists who has not
/// confirmed; `labels=` as for the partner exports.
pub async fn export_deliveries(
    Api(state, s): Api,
    Path(rid): Path<String>,
    p: Pairs,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    let format = liaison_app::import::ExportFormat::parse(p.get("format"))?;
    let unconfirmed = p.get("unconfirmed") == Some("true");
    let labels = super::partner::export_labels(&headers, &p)?;
    Ok(crate::respond::download(
        liaison_app::import::export_deliveries(
            &state.db,
            &s.actor,
            id(&rid)?,
            unconfirmed,
            format,
            labels,
        )
        .await?,
    ))
}
