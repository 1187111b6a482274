//! Segments: saved audience filters (SPEC A4). Company roles read them; admins and channel
//! management write them. Partner users have no access: segments describe other partners.

use crate::AppResult;
use crate::auth::Api;
use crate::extract::id;
use crate::extract::{ApiJson, Pairs};
use crate::respond::created_at;
use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use liaison_app::segment as app;
use liaison_db::segment::{Segment, SegmentInput};
use serde_json::json;

pub async fn list(Api(state, s): Api) -> AppResult<Json<serde_json::Value>> {
    let items = app::list(&state.db, &s.actor).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn show(
    Api(state, s): Api,
    Path(sid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let (segment, members) = app::show(&state.db, &s.actor, id(&sid)?).await?;
    let mut v = json!(segment);
    v["member_count"] = json!(members);
    Ok(Json(v))
}

pub async fn create(
    Api(state, s): Api,
    ApiJson(body): ApiJson<SegmentInput>,
) -> AppResult<Response> {
    let created = app::create(&state.db, &s.actor, &body).await?;
    let location = format!("/api/v1/segments/{}", created.id);
    Ok(created_at(location, json!(created)))
}

pub async fn update(
    Api(state, s): Api,
    Path(sid): Path<String>,
    ApiJson(body): ApiJson<SegmentInput>,
) -> AppResult<Json<Segment>> {
    Ok(Json(
        app::update(&state.db, &s.actor, id(&sid)?, &body).await?,
    ))
}

pub async fn remove(Api(state, s): Api, Path(sid): Path<String>) -> AppResult<StatusCode> {
    app::delete(&state.db, &s.actor, id(&sid)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn partners(
    Api(state, s): Api,
    Path(sid): Path<String>,
    p: Pairs,
) -> AppResult<Json<serde_json::Value>> {
    let l = p.list(50)?;
    let cursor = l.cursor.as_deref();
    let page = app::members(&state.db, &s.actor, id(&sid)?, cursor, l.limit).await?;
    Ok(Json(json!(page)))
}
