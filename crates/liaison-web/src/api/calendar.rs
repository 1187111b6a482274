//! The working-hours calendar (policy §5.3.2): public holidays and make-up working days.

use crate::auth::Api;
use crate::extract::{ApiJson, Pairs};
use crate::{AppError, AppResult};
use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use liaison_app::calendar::{parse_date, parse_year};
use liaison_core::Permission;
use serde::Deserialize;
use serde_json::json;

pub async fn calendar(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ReadDirectory)?;
    let year = parse_year(p.get("year"))?;
    let items = liaison_db::calendar::list_days(&state.db, year).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DayBody {
    pub kind: String,
    pub name: String,
}

pub async fn put_day(
    Api(state, s): Api,
    Path(date): Path<String>,
    ApiJson(body): ApiJson<DayBody>,
) -> AppResult<Json<liaison_core::calendar::CalendarDay>> {
    s.require(Permission::ManageCalendar)?;
    let day = liaison_db::calendar::parse_day(&date, &body.kind, &body.name)
        .map_err(AppError::Invalid)?;
    Ok(Json(
        liaison_db::calendar::upsert_day(&state.db, s.user.id, &day).await?,
    ))
}

pub async fn delete_day(Api(state, s): Api, Path(date): Path<String>) -> AppResult<StatusCode> {
    s.require(Permission::ManageCalendar)?;
    let d = parse_date(&date)?;
    liaison_db::calendar::delete_day(&state.db, s.user.id, d).await?;
    Ok(StatusCode::NO_CONTENT)
}
