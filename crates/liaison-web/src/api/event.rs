//! Outbound event endpoints and the background jobs that feed them (SPEC H3): admins only.

use crate::auth::Api;
use crate::extract::id;
use crate::extract::{ApiJson, Pairs};
use crate::respond::created_at;
use crate::{AppError, AppResult};
use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use liaison_app::event::{EndpointBody, parse_endpoint, parse_job_state};
use liaison_core::Permission;
use serde_json::json;

pub async fn list_endpoints(Api(state, s): Api) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ManageIntegrations)?;
    let items = liaison_db::events::list_endpoints(&state.db).await?;
    Ok(Json(
        json!({"items": items, "next_cursor": null, "event_types": liaison_db::events::EVENT_TYPES}),
    ))
}

pub async fn create_endpoint(
    Api(state, s): Api,
    ApiJson(body): ApiJson<EndpointBody>,
) -> AppResult<Response> {
    s.require(Permission::ManageIntegrations)?;
    let new = parse_endpoint(&body).map_err(AppError::Invalid)?;
    let ep = liaison_db::events::insert_endpoint(&state.db, s.user.id, &new).await?;
    Ok(created_at(
        format!("/api/v1/event-endpoints/{}", ep.id),
        json!(ep),
    ))
}

pub async fn delete_endpoint(Api(state, s): Api, Path(eid): Path<String>) -> AppResult<StatusCode> {
    s.require(Permission::ManageIntegrations)?;
    liaison_db::events::delete_endpoint(&state.db, s.user.id, id(&eid)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_jobs(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ManageIntegrations)?;
    let state_f = parse_job_state(p.get("state"))?;
    let l = p.list(100)?;
    let items = liaison_db::job::list_jobs(
        &state.db,
        p.get("kind").filter(|v| !v.is_empty()),
        state_f,
        l.limit,
    )
    .await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn retry_job(
    Api(state, s): Api,
    Path(jid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ManageIntegrations)?;
    let n = liaison_db::job::retry_jobs(&state.db, &[id(&jid)?]).await?;
    if n == 0 {
        return Err(AppError::invalid(
            "job",
            liaison_core::validate::Msg::new("validate.job_not_dead"),
        ));
    }
    Ok(Json(json!({"queued": n})))
}
