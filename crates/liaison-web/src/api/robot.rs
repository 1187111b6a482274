//! IM robots of partners and their contacts (policy §2.1.2; SPEC B9): list, add, remove.
//! URLs are shown redacted and secrets never.

use crate::auth::Api;
use crate::extract::ApiJson;
use crate::extract::id;
use crate::respond::created_at;
use crate::{AppError, AppResult, AppState};
use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use liaison_app::robot::{RobotBody, parse_robot};
use liaison_core::Permission;
use serde_json::json;
use uuid::Uuid;

async fn partner_for_robots(
    state: &AppState,
    s: &crate::auth::Session,
    pid: &str,
) -> AppResult<Uuid> {
    s.require(Permission::WritePartners)?;
    let p = liaison_db::partner::find_partner(&state.db, s.actor.scope(), id(pid)?).await?;
    Ok(p.id)
}

pub async fn list_robots(
    Api(state, s): Api,
    Path(pid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let p = partner_for_robots(&state, &s, &pid).await?;
    let items = liaison_db::robot::list_robots(&state.db, p).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn create_robot(
    Api(state, s): Api,
    Path(pid): Path<String>,
    ApiJson(body): ApiJson<RobotBody>,
) -> AppResult<Response> {
    let p = partner_for_robots(&state, &s, &pid).await?;
    let new = parse_robot(&body).map_err(AppError::Invalid)?;
    let r = liaison_db::robot::insert_robot(&state.db, s.user.id, p, &new).await?;
    Ok(created_at(
        format!("/api/v1/partners/{p}/robots/{}", r.id),
        json!(r),
    ))
}

pub async fn delete_robot(
    Api(state, s): Api,
    Path((pid, rid)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let p = partner_for_robots(&state, &s, &pid).await?;
    liaison_db::robot::delete_robot(&state.db, s.user.id, p, id(&rid)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
