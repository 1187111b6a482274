//! The NDA register (policy §7.1.2, SPEC G2). Company users read it; admins and channel
//! management record agreements; a partner user sees its own partner's agreements.

use crate::AppResult;
use crate::auth::Api;
use crate::extract::{ApiJson, Pairs};
use crate::respond::created_at;
use axum::Json;
use axum::response::Response;
use liaison_app::nda as app;
use liaison_db::nda::NdaInput;
use serde_json::json;

pub async fn list(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    let items = app::list(&state.db, &s.actor, p.get("partner")).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn create(Api(state, s): Api, ApiJson(body): ApiJson<NdaInput>) -> AppResult<Response> {
    let n = app::record(&state.db, &s.actor, &body).await?;
    Ok(created_at(format!("/api/v1/ndas/{}", n.id), json!(n)))
}
