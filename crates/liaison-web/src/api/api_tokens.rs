//! API tokens for partners' systems (SPEC H2): create (the token is in the 201 answer and
//! nowhere else), list, show and revoke. A partner admin manages its own partner's; channel
//! management and admins any partner's. Another partner's token is 404.

use crate::auth::Api;
use crate::extract::{ApiJson, Pairs, id};
use crate::respond::created_at;
use crate::{AppError, AppResult};
use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use liaison_app::api_token::{self as app, TokenInput, TokenView};
use liaison_core::validate::Msg;
use serde_json::json;

/// `GET /api/v1/api-tokens`: newest first; `partner` (staff) names one partner.
pub async fn list(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    let l = p.list(50)?;
    let partner = match p.get("partner").map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(
            uuid::Uuid::parse_str(v)
                .map_err(|_| AppError::invalid("partner", Msg::new("validate.invalid")))?,
        ),
    };
    let items = app::list(&state.db, &s.actor, partner, l.id_cursor()?, l.limit).await?;
    let next = l.next(&items, |t| t.token.id.to_string());
    Ok(Json(json!({"items": items, "next_cursor": next})))
}

pub async fn create(Api(state, s): Api, ApiJson(body): ApiJson<TokenInput>) -> AppResult<Response> {
    let created = app::create(&state.db, &s.actor, &body).await?;
    Ok(created_at(
        format!("/api/v1/api-tokens/{}", created.view.token.id),
        json!(created),
    ))
}

pub async fn show(Api(state, s): Api, Path(tid): Path<String>) -> AppResult<Json<TokenView>> {
    Ok(Json(app::show(&state.db, &s.actor, id(&tid)?).await?))
}

/// `DELETE /api/v1/api-tokens/{id}`: revokes it; its next call is 401.
pub async fn revoke(Api(state, s): Api, Path(tid): Path<String>) -> AppResult<StatusCode> {
    app::revoke(&state.db, &s.actor, id(&tid)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
