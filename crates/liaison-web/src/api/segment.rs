//! Segments: saved audience filters (SPEC A4). Company roles read them; admins and channel
//! management write them. Partner users have no access: segments describe other partners.

use crate::auth::Api;
use crate::extract::{ApiJson, Pairs};
use crate::respond::created_at;
use crate::{AppError, AppResult};
use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use liaison_core::{Permission, Scope};
use liaison_db::partner::{self as repo, PartnerSort};
use liaison_db::segment::{self as seg, SegmentInput};
use serde_json::json;
use uuid::Uuid;

fn id(s: &str) -> AppResult<Uuid> {
    Uuid::parse_str(s).map_err(|_| AppError::NotFound)
}

/// Segments are company-side: partner users are refused like any unknown path.
fn require_read(s: &crate::auth::Session) -> AppResult<()> {
    if s.actor.is_partner() {
        return Err(AppError::NotFound);
    }
    s.require(Permission::ReadSegments)
}

pub async fn list(Api(state, s): Api) -> AppResult<Json<serde_json::Value>> {
    require_read(&s)?;
    Ok(Json(
        json!({"items": seg::list_segments(&state.db).await?, "next_cursor": null}),
    ))
}

pub async fn show(
    Api(state, s): Api,
    Path(sid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    require_read(&s)?;
    let segment = seg::find_segment(&state.db, id(&sid)?).await?;
    let members = repo::count_partners(&state.db, Scope::All, &segment.filter).await?;
    let mut v = json!(segment);
    v["member_count"] = json!(members);
    Ok(Json(v))
}

pub async fn create(
    Api(state, s): Api,
    ApiJson(body): ApiJson<SegmentInput>,
) -> AppResult<Response> {
    require_read(&s)?;
    s.require(Permission::WriteSegments)?;
    let created = seg::insert_segment(&state.db, s.user.id, &body).await?;
    Ok(created_at(
        format!("/api/v1/segments/{}", created.id),
        json!(created),
    ))
}

pub async fn update(
    Api(state, s): Api,
    Path(sid): Path<String>,
    ApiJson(body): ApiJson<SegmentInput>,
) -> AppResult<Json<seg::Segment>> {
    require_read(&s)?;
    s.require(Permission::WriteSegments)?;
    Ok(Json(
        seg::update_segment(&state.db, s.user.id, id(&sid)?, &body).await?,
    ))
}

pub async fn remove(Api(state, s): Api, Path(sid): Path<String>) -> AppResult<StatusCode> {
    require_read(&s)?;
    s.require(Permission::WriteSegments)?;
    seg::delete_segment(&state.db, s.user.id, id(&sid)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn partners(
    Api(state, s): Api,
    Path(sid): Path<String>,
    p: Pairs,
) -> AppResult<Json<serde_json::Value>> {
    require_read(&s)?;
    let l = p.list(50)?;
    let segment = seg::find_segment(&state.db, id(&sid)?).await?;
    let page = repo::list_partners(
        &state.db,
        Scope::All,
        &segment.filter,
        PartnerSort::Code,
        l.cursor.as_deref(),
        l.limit,
    )
    .await?;
    Ok(Json(json!(page)))
}
