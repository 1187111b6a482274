//! Request forms, the review chain and receipts (policy §4.1, §4.2, §4.3; SPEC B1-B3, B5).

use super::partner::created_at;
use super::{ApiJson, Pairs};
use crate::auth::{ApiUser, Session};
use crate::{AppError, AppResult, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use liaison_core::request::RequestInput;
use liaison_core::review::Decision;
use liaison_core::{Permission, Role};
use liaison_db::request::{self as repo, Request, RequestView};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

fn id(s: &str) -> AppResult<Uuid> {
    Uuid::parse_str(s).map_err(|_| AppError::NotFound)
}

/// Partner users never see requests: they are company-internal until dispatched.
fn company(s: &Session) -> AppResult<()> {
    if s.actor.is_partner() {
        Err(AppError::NotFound)
    } else {
        s.require(Permission::CreateRequests)
    }
}

/// Who may see a request: its requester, channel management, leadership, admins, and the head
/// of the requester's department.
fn may_read(s: &Session, r: &Request) -> bool {
    r.requester_id == s.user.id
        || s.actor.can(Permission::ReadAllRequests)
        || (s.actor.roles.has(Role::DeptHead)
            && s.actor.department_id.is_some()
            && s.actor.department_id == r.department_id)
}

pub(crate) async fn load(state: &AppState, s: &Session, rid: &str) -> AppResult<Request> {
    company(s)?;
    let r = repo::find_request(&state.db, id(rid)?).await?;
    if may_read(s, &r) {
        Ok(r)
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn create(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiJson(body): ApiJson<RequestInput>,
) -> AppResult<Response> {
    company(&s)?;
    let r = repo::insert_request(&state.db, &s.actor, &body).await?;
    Ok(created_at(format!("/api/v1/requests/{}", r.id), json!(r)))
}

pub async fn list(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    p: Pairs,
) -> AppResult<Json<serde_json::Value>> {
    company(&s)?;
    let l = p.list(50)?;
    let view = match p.get("view").unwrap_or("mine") {
        "" | "mine" => RequestView::Mine,
        "to_review" => RequestView::ToReview,
        "all" if s.actor.can(Permission::ReadAllRequests) => RequestView::All,
        "all" => return Err(AppError::Forbidden),
        _ => return Err(AppError::invalid("view", "must be mine, to_review or all")),
    };
    let before = match l.cursor.as_deref() {
        Some(c) => Some(
            Uuid::parse_str(c)
                .map_err(|_| AppError::invalid("cursor", "is not a cursor this list gave out"))?,
        ),
        None => None,
    };
    let items = repo::list_requests(&state.db, &s.actor, view, before, l.limit).await?;
    let next = (items.len() as i64 == l.limit)
        .then(|| items.last().map(|r| r.id.to_string()))
        .flatten();
    Ok(Json(json!({"items": items, "next_cursor": next})))
}

pub async fn show(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(rid): Path<String>,
) -> AppResult<Json<Request>> {
    Ok(Json(load(&state, &s, &rid).await?))
}

#[derive(Debug, Deserialize)]
pub struct RequestPatch {
    #[serde(flatten)]
    pub fields: RequestInput,
    pub version: Option<i64>,
}

pub async fn update(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(rid): Path<String>,
    ApiJson(body): ApiJson<RequestPatch>,
) -> AppResult<Json<Request>> {
    let r = load(&state, &s, &rid).await?;
    Ok(Json(
        repo::update_request(&state.db, &s.actor, r.id, body.fields, body.version).await?,
    ))
}

pub async fn submit(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(rid): Path<String>,
) -> AppResult<Json<Request>> {
    let r = load(&state, &s, &rid).await?;
    Ok(Json(
        repo::submit(
            &state.db,
            &s.actor,
            r.id,
            &liaison_db::settings::review(&state.db).await?,
        )
        .await?,
    ))
}

pub async fn withdraw(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(rid): Path<String>,
) -> AppResult<Json<Request>> {
    let r = load(&state, &s, &rid).await?;
    Ok(Json(repo::withdraw(&state.db, &s.actor, r.id).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CommentBody {
    pub comment: String,
}

async fn decide(
    state: &AppState,
    s: &Session,
    rid: &str,
    d: Decision,
    body: CommentBody,
) -> AppResult<Json<Request>> {
    company(s)?;
    let r = repo::find_request(&state.db, id(rid)?).await?;
    Ok(Json(
        repo::decide(&state.db, &s.actor, r.id, d, &body.comment).await?,
    ))
}

/// Approving needs no comment, so the body may be empty.
pub async fn approve(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(rid): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<Request>> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        CommentBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            AppError::BadRequest(format!("the body is not a JSON object with a comment: {e}"))
        })?
    };
    decide(&state, &s, &rid, Decision::Approve, body).await
}

pub async fn reject(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(rid): Path<String>,
    ApiJson(body): ApiJson<CommentBody>,
) -> AppResult<Json<Request>> {
    decide(&state, &s, &rid, Decision::Reject, body).await
}

pub async fn return_(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(rid): Path<String>,
    ApiJson(body): ApiJson<CommentBody>,
) -> AppResult<Json<Request>> {
    decide(&state, &s, &rid, Decision::Return, body).await
}

pub async fn deliveries(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
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
    let after = match l.cursor.as_deref() {
        Some(c) => Some(
            Uuid::parse_str(c)
                .map_err(|_| AppError::invalid("cursor", "is not a cursor this list gave out"))?,
        ),
        None => None,
    };
    let unconfirmed = p.get("unconfirmed") == Some("true");
    let items =
        liaison_db::inbox::deliveries(&state.db, message, unconfirmed, after, l.limit).await?;
    let next = (items.len() as i64 == l.limit)
        .then(|| items.last().map(|d| d.id.to_string()))
        .flatten();
    let summary = liaison_db::inbox::summary(&state.db, message).await?;
    Ok(Json(
        json!({"items": items, "next_cursor": next, "summary": summary, "message_id": message}),
    ))
}

/// Attach a file to a draft or returned request (its requester): the body is the file,
/// `?filename=` its name.
pub async fn add_attachment(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(rid): Path<String>,
    p: Pairs,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let r = load(&state, &s, &rid).await?;
    if r.requester_id != s.user.id {
        return Err(AppError::Forbidden);
    }
    if !r.state.editable() {
        return Err(AppError::invalid(
            "state",
            format!(
                "the request is {}; attach files while it is a draft or returned",
                r.state
            ),
        ));
    }
    let filename = p.get("filename").unwrap_or("");
    let secret = r
        .form
        .parse(false, state.db.now())
        .map(|f| f.classification.needs_nda())
        .unwrap_or(true);
    let a = liaison_db::attachment::insert_attachment(
        &state.db, s.user.id, r.id, secret, filename, &body,
    )
    .await?;
    Ok(created_at(
        format!("/api/v1/requests/{}/attachments/{}", r.id, a.id),
        json!(a),
    ))
}

pub async fn attachments(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(rid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let r = load(&state, &s, &rid).await?;
    Ok(Json(
        json!({"items": liaison_db::attachment::list_attachments(&state.db, r.id).await?, "next_cursor": null}),
    ))
}

pub async fn attachment(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path((rid, aid)): Path<(String, String)>,
) -> AppResult<Response> {
    let r = load(&state, &s, &rid).await?;
    let (a, bytes) = liaison_db::attachment::read_attachment(&state.db, r.id, id(&aid)?).await?;
    Ok(file_response(a, bytes))
}

/// A stored file as a download.
pub(crate) fn file_response(a: liaison_db::attachment::Attachment, bytes: Vec<u8>) -> Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&a.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    let encoded =
        percent_encoding::utf8_percent_encode(&a.filename, percent_encoding::NON_ALPHANUMERIC);
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{encoded}")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// The receipts board as CSV (UTF-8 with BOM) or XLSX; `unconfirmed=true` lists who has not
/// confirmed.
pub async fn export_deliveries(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(rid): Path<String>,
    p: Pairs,
) -> AppResult<Response> {
    let r = load(&state, &s, &rid).await?;
    let message = r
        .message_id
        .ok_or_else(|| AppError::invalid("request", "it has not been dispatched yet"))?;
    let format = crate::import::ExportFormat::parse(p.get("format"))?;
    let unconfirmed = p.get("unconfirmed") == Some("true");
    Ok(super::download(
        crate::import::export_deliveries(&state.db, &s.actor, message, unconfirmed, format).await?,
    ))
}
