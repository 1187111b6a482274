//! The NDA register (policy §7.1.2, SPEC G2). Company users read it; admins and channel
//! management record agreements; a partner user sees its own partner's agreements.

use crate::auth::Api;
use crate::extract::{ApiJson, Pairs};
use crate::respond::created_at;
use crate::{AppError, AppResult};
use axum::Json;
use axum::response::Response;
use liaison_core::Permission;
use liaison_db::nda::{self, NdaInput};
use serde_json::json;

pub async fn list(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ReadPartners)?;
    let partner = match p.get("partner").filter(|v| !v.is_empty()) {
        Some(r) => Some(
            liaison_db::partner::resolve_partner_ref(&state.db, r)
                .await?
                .ok_or_else(|| AppError::invalid("partner", format!("no partner '{r}'")))?,
        ),
        None => None,
    };
    let items = nda::list_ndas(&state.db, s.actor.scope(), partner).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn create(Api(state, s): Api, ApiJson(body): ApiJson<NdaInput>) -> AppResult<Response> {
    s.require(Permission::WritePartners)?;
    let n = nda::insert_nda(&state.db, s.user.id, &body).await?;
    Ok(created_at(format!("/api/v1/ndas/{}", n.id), json!(n)))
}
