//! The launch calendar (policy §3.2.2): launches of the products the caller may see, as JSON
//! and as an iCalendar feed; R&D, channel management and admins plan them.

use crate::auth::{Api, ApiLang};
use crate::extract::{ApiJson, Pairs, Versioned, id};
use crate::respond::created_at;
use crate::{AppError, AppResult};
use axum::Json;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use liaison_app::launch as app;
use liaison_db::launch::{Launch, LaunchInput, parse_day};
use liaison_db::settings::LaunchSettings;
use serde_json::json;

fn with_notice(l: &Launch, s: &LaunchSettings) -> serde_json::Value {
    let mut v = json!(l);
    v["notice_on"] = json!(app::notice_day(l, s));
    v
}

/// `GET /api/v1/launches?from=YYYY-MM-DD&to=YYYY-MM-DD`.
pub async fn list(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    let day = |k: &str| -> AppResult<Option<chrono::NaiveDate>> {
        match p.get(k).filter(|v| !v.trim().is_empty()) {
            Some(v) => parse_day(k, v).map(Some).map_err(AppError::Invalid),
            None => Ok(None),
        }
    };
    let (from, to) = (day("from")?, day("to")?);
    let settings = app::settings(&state.db, &s.actor).await?;
    let items: Vec<serde_json::Value> = app::list(&state.db, &s.actor, from, to)
        .await?
        .iter()
        .map(|l| with_notice(l, &settings))
        .collect();
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn create(
    Api(state, s): Api,
    ApiJson(body): ApiJson<LaunchInput>,
) -> AppResult<Response> {
    let l = app::create(&state.db, &s.actor, &body).await?;
    let settings = app::settings(&state.db, &s.actor).await?;
    Ok(created_at(
        format!("/api/v1/launches/{}", l.id),
        with_notice(&l, &settings),
    ))
}

pub async fn show(
    Api(state, s): Api,
    Path(lid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let l = app::show(&state.db, &s.actor, id(&lid)?).await?;
    let settings = app::settings(&state.db, &s.actor).await?;
    Ok(Json(with_notice(&l, &settings)))
}

pub async fn update(
    Api(state, s): Api,
    Path(lid): Path<String>,
    body: Versioned<LaunchInput>,
) -> AppResult<Json<serde_json::Value>> {
    let l = app::update(&state.db, &s.actor, id(&lid)?, &body.fields, body.version).await?;
    let settings = app::settings(&state.db, &s.actor).await?;
    Ok(Json(with_notice(&l, &settings)))
}

/// `GET /api/v1/launches.ics`: the calendar feed (RFC 5545) in the caller's language.
pub async fn ics(Api(state, s): Api, ApiLang(lang): ApiLang) -> AppResult<Response> {
    let text = app::ics(&state.db, &s.actor, lang).await?;
    let mut r = text.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"launches.ics\""),
    );
    Ok(r)
}

pub async fn settings(Api(state, s): Api) -> AppResult<Json<LaunchSettings>> {
    Ok(Json(app::settings(&state.db, &s.actor).await?))
}

pub async fn update_settings(
    Api(state, s): Api,
    ApiJson(body): ApiJson<LaunchSettings>,
) -> AppResult<Json<LaunchSettings>> {
    Ok(Json(
        app::update_settings(&state.db, &s.actor, &body).await?,
    ))
}
