//! The policy library (issue 11; policy §3.1, SPEC D1-D3): policies, versions published
//! through the review chain, what changed, who acknowledged which version, and answers
//! published on a version. Partner users read only what was announced to their partner.

use super::partner::export_labels;
use crate::auth::Api;
use crate::extract::{ApiJson, Pairs, Versioned, id};
use crate::respond::{created_at, download};
use crate::{AppError, AppResult};
use axum::Json;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use liaison_app::import::ExportFormat;
use liaison_app::policies as app;
use liaison_core::policies::{PolicyInput, PolicyKind, VersionInput};
use liaison_core::validate::Msg;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// A version number from the path: 1, 2, …; anything else names no version.
fn number(n: &str) -> AppResult<i64> {
    n.parse::<i64>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or(AppError::NotFound)
}

fn policy_id(s: &str) -> AppResult<Uuid> {
    id(s)
}

pub async fn list(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    let kind = match p.get("kind").map(str::trim).filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(PolicyKind::parse(k).map_err(|m| AppError::invalid("kind", m))?),
    };
    let items = app::list(&state.db, &s.actor, kind).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn create(
    Api(state, s): Api,
    ApiJson(body): ApiJson<PolicyInput>,
) -> AppResult<Response> {
    let p = app::create(&state.db, &s.actor, &body).await?;
    let view = app::get(&state.db, &s.actor, p.id).await?;
    Ok(created_at(
        format!("/api/v1/policies/{}", p.id),
        json!(view),
    ))
}

pub async fn show(Api(state, s): Api, Path(pid): Path<String>) -> AppResult<Response> {
    Ok(Json(app::get(&state.db, &s.actor, policy_id(&pid)?).await?).into_response())
}

pub async fn update(
    Api(state, s): Api,
    Path(pid): Path<String>,
    body: Versioned<PolicyInput>,
) -> AppResult<Response> {
    let pid = policy_id(&pid)?;
    app::update(&state.db, &s.actor, pid, body.fields, body.version).await?;
    Ok(Json(app::get(&state.db, &s.actor, pid).await?).into_response())
}

pub async fn versions(
    Api(state, s): Api,
    Path(pid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let view = app::get(&state.db, &s.actor, policy_id(&pid)?).await?;
    Ok(Json(json!({"items": view.versions, "next_cursor": null})))
}

pub async fn create_version(
    Api(state, s): Api,
    Path(pid): Path<String>,
    ApiJson(body): ApiJson<VersionInput>,
) -> AppResult<Response> {
    let pid = policy_id(&pid)?;
    let v = app::create_version(&state.db, &s.actor, pid, &body).await?;
    Ok(created_at(
        format!("/api/v1/policies/{pid}/versions/{}", v.n),
        json!(v),
    ))
}

pub async fn version(
    Api(state, s): Api,
    Path((pid, n)): Path<(String, String)>,
) -> AppResult<Response> {
    let v = app::version(&state.db, &s.actor, policy_id(&pid)?, number(&n)?).await?;
    Ok(Json(v).into_response())
}

pub async fn update_version(
    Api(state, s): Api,
    Path((pid, n)): Path<(String, String)>,
    ApiJson(body): ApiJson<VersionInput>,
) -> AppResult<Response> {
    let v = app::update_version(&state.db, &s.actor, policy_id(&pid)?, number(&n)?, body).await?;
    Ok(Json(v).into_response())
}

pub async fn withdraw_version(
    Api(state, s): Api,
    Path((pid, n)): Path<(String, String)>,
) -> AppResult<Response> {
    let v = app::withdraw_version(&state.db, &s.actor, policy_id(&pid)?, number(&n)?).await?;
    Ok(Json(v).into_response())
}

pub async fn diff(
    Api(state, s): Api,
    Path((pid, n)): Path<(String, String)>,
    p: Pairs,
) -> AppResult<Response> {
    let against = match p.get("against").map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => Some(
            a.parse::<i64>()
                .ok()
                .filter(|a| *a >= 1)
                .ok_or_else(|| AppError::invalid("against", Msg::new("validate.whole_number")))?,
        ),
    };
    let d = app::diff(&state.db, &s.actor, policy_id(&pid)?, number(&n)?, against).await?;
    Ok(Json(d).into_response())
}

pub async fn in_force(
    Api(state, s): Api,
    Path(pid): Path<String>,
    p: Pairs,
) -> AppResult<Response> {
    let at = match p.get("at").map(str::trim).filter(|a| !a.is_empty()) {
        None => state.db.now(),
        Some(a) => chrono::DateTime::parse_from_rfc3339(a)
            .map(|t| t.with_timezone(&chrono::Utc))
            .or_else(|_| {
                chrono::NaiveDate::parse_from_str(a, "%Y-%m-%d")
                    .map(|d| d.and_hms_opt(23, 59, 59).unwrap_or_default().and_utc())
            })
            .map_err(|_| AppError::invalid("at", Msg::new("validate.date").arg("value", a)))?,
    };
    match app::in_force_on(&state.db, &s.actor, policy_id(&pid)?, at).await? {
        Some(v) => Ok(Json(v).into_response()),
        None => Err(AppError::NotFound),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaqInput {
    pub question: String,
    pub answer: String,
    #[serde(default)]
    pub thread_id: Option<Uuid>,
}

pub async fn publish_faq(
    Api(state, s): Api,
    Path((pid, n)): Path<(String, String)>,
    ApiJson(body): ApiJson<FaqInput>,
) -> AppResult<Response> {
    let pid = policy_id(&pid)?;
    let n = number(&n)?;
    let f = app::publish_faq(
        &state.db,
        &s.actor,
        pid,
        n,
        &body.question,
        &body.answer,
        body.thread_id,
    )
    .await?;
    Ok(created_at(
        format!("/api/v1/policies/{pid}/versions/{n}"),
        json!(f),
    ))
}

/// The matrix as JSON pages (`limit`, `cursor`: a partner code).
pub async fn acknowledgements(
    Api(state, s): Api,
    Path(pid): Path<String>,
    p: Pairs,
) -> AppResult<Response> {
    let l = p.list(50)?;
    let m = app::matrix(
        &state.db,
        &s.actor,
        policy_id(&pid)?,
        l.cursor.as_deref(),
        l.limit,
    )
    .await?;
    let next = m.next.clone();
    let mut v = json!(m);
    v["next_cursor"] = json!(next);
    Ok(Json(v).into_response())
}

/// The whole matrix as a file (`format=csv` or `xlsx`, with `labels`).
pub async fn export_acknowledgements(
    Api(state, s): Api,
    Path(pid): Path<String>,
    p: Pairs,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    let export = app::export_matrix(
        &state.db,
        &s.actor,
        policy_id(&pid)?,
        ExportFormat::parse(p.get("format"))?,
        export_labels(&headers, &p)?,
    )
    .await?;
    Ok(download(export))
}
