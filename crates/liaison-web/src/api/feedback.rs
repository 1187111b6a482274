//! Product feedback to R&D (policy §3.2.3): partners submit and follow their own items; R&D
//! triages, answers and merges. Another partner's item is 404.

use crate::auth::Api;
use crate::extract::{ApiJson, Pairs, Versioned, id};
use crate::respond::created_at;
use crate::{AppError, AppResult};
use axum::Json;
use axum::extract::Path;
use axum::response::Response;
use liaison_app::feedback::{self as app, FeedbackInput, TriageInput};
use liaison_core::product::{FeedbackKind, FeedbackState};
use liaison_db::feedback::{Feedback, FeedbackFilter};
use serde::Deserialize;
use serde_json::json;

/// `GET /api/v1/feedback`: filters `state`, `kind`, `product`, `merged=true`; newest first.
pub async fn list(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    let l = p.list(50)?;
    let get = |k: &str| p.get(k).map(str::trim).filter(|v| !v.is_empty());
    let filter = FeedbackFilter {
        state: get("state")
            .map(FeedbackState::parse)
            .transpose()
            .map_err(|m| AppError::invalid("state", m))?,
        kind: get("kind")
            .map(FeedbackKind::parse)
            .transpose()
            .map_err(|m| AppError::invalid("kind", m))?,
        product: get("product").map(id).transpose().map_err(|_| {
            AppError::invalid(
                "product",
                liaison_core::validate::Msg::new("validate.invalid"),
            )
        })?,
        include_merged: match get("merged") {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(AppError::invalid(
                    "merged",
                    liaison_core::validate::Msg::one_of(other, &["true", "false"]),
                ));
            }
        },
    };
    let items = app::list(&state.db, &s.actor, &filter, l.id_cursor()?, l.limit).await?;
    let next = l.next(&items, |f| f.id.to_string());
    Ok(Json(json!({"items": items, "next_cursor": next})))
}

pub async fn create(
    Api(state, s): Api,
    ApiJson(body): ApiJson<FeedbackInput>,
) -> AppResult<Response> {
    let f = app::submit(&state.db, &s.actor, &body).await?;
    Ok(created_at(format!("/api/v1/feedback/{}", f.id), json!(f)))
}

pub async fn show(Api(state, s): Api, Path(fid): Path<String>) -> AppResult<Json<Feedback>> {
    Ok(Json(app::show(&state.db, &s.actor, id(&fid)?).await?))
}

pub async fn update(
    Api(state, s): Api,
    Path(fid): Path<String>,
    body: Versioned<TriageInput>,
) -> AppResult<Json<Feedback>> {
    Ok(Json(
        app::triage(&state.db, &s.actor, id(&fid)?, &body.fields, body.version).await?,
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MergeBody {
    pub into: Option<uuid::Uuid>,
}

pub async fn merge(
    Api(state, s): Api,
    Path(fid): Path<String>,
    ApiJson(body): ApiJson<MergeBody>,
) -> AppResult<Json<Feedback>> {
    let into = body.into.ok_or_else(|| {
        AppError::invalid(
            "into",
            liaison_core::validate::Msg::new("validate.required"),
        )
    })?;
    Ok(Json(
        app::merge(&state.db, &s.actor, id(&fid)?, into).await?,
    ))
}
