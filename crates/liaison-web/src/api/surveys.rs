//! Surveys (policy §6.2.1; issue 16 item 2): questionnaires and phone interviews. A partner
//! user sees only the surveys its partner is invited to and answers them; anything else is
//! 404. Channel management writes and sends; leadership reads the results.

use crate::auth::Api;
use crate::extract::{ApiJson, Pairs, Versioned, id};
use crate::respond::{created_at, named_file};
use crate::{AppError, AppResult};
use axum::Json;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::Response;
use liaison_app::surveys::{self as app, AnswerInput, SurveyInput};
use liaison_core::surveys::AnswerVia;
use liaison_core::validate::Msg;
use serde_json::{Value, json};

fn get<'a>(p: &'a Pairs, k: &str) -> Option<&'a str> {
    p.get(k).map(str::trim).filter(|v| !v.is_empty())
}

/// `GET /api/v1/surveys`
pub async fn list(Api(state, s): Api, p: Pairs) -> AppResult<Json<Value>> {
    let l = p.list(50)?;
    let items = app::list(&state.db, &s.actor, l.limit).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn create(
    Api(state, s): Api,
    ApiJson(body): ApiJson<SurveyInput>,
) -> AppResult<Response> {
    let sv = app::create(&state.db, &s.actor, &body).await?;
    let view = app::show(&state.db, &s.actor, sv.id).await?;
    Ok(created_at(
        format!("/api/v1/surveys/{}", sv.id),
        json!(view),
    ))
}

pub async fn show(Api(state, s): Api, Path(sid): Path<String>) -> AppResult<Json<Value>> {
    Ok(Json(json!(
        app::show(&state.db, &s.actor, id(&sid)?).await?
    )))
}

pub async fn update(
    Api(state, s): Api,
    Path(sid): Path<String>,
    body: Versioned<SurveyInput>,
) -> AppResult<Json<Value>> {
    let sid = id(&sid)?;
    app::update(&state.db, &s.actor, sid, body.version, &body.fields).await?;
    Ok(Json(json!(app::show(&state.db, &s.actor, sid).await?)))
}

pub async fn send(Api(state, s): Api, Path(sid): Path<String>) -> AppResult<Json<Value>> {
    let sid = id(&sid)?;
    app::send(&state.db, &s.actor, sid).await?;
    Ok(Json(json!(app::show(&state.db, &s.actor, sid).await?)))
}

pub async fn close(Api(state, s): Api, Path(sid): Path<String>) -> AppResult<Json<Value>> {
    let sid = id(&sid)?;
    app::close(&state.db, &s.actor, sid).await?;
    Ok(Json(json!(app::show(&state.db, &s.actor, sid).await?)))
}

/// `POST /api/v1/surveys/{id}/responses`: the partner user's answer, or staff's phone interview.
pub async fn respond(
    Api(state, s): Api,
    Path(sid): Path<String>,
    ApiJson(body): ApiJson<AnswerInput>,
) -> AppResult<Json<Value>> {
    let sid = id(&sid)?;
    let via = if s.actor.is_partner() {
        AnswerVia::Api
    } else {
        AnswerVia::Phone
    };
    app::answer(&state.db, &s.actor, sid, &body, via).await?;
    Ok(Json(json!(app::show(&state.db, &s.actor, sid).await?)))
}

/// `GET /api/v1/surveys/{id}/responses?round=`: the aggregated results.
pub async fn results(
    Api(state, s): Api,
    Path(sid): Path<String>,
    p: Pairs,
) -> AppResult<Json<Value>> {
    let round = get(&p, "round")
        .map(|r| {
            r.parse::<i64>()
                .map_err(|_| AppError::invalid("round", Msg::new("validate.whole_number")))
        })
        .transpose()?;
    Ok(Json(json!(
        app::results(&state.db, &s.actor, id(&sid)?, round).await?
    )))
}

/// `GET /api/v1/surveys/{id}/export?format=csv|xlsx`
pub async fn export(
    Api(state, s): Api,
    Path(sid): Path<String>,
    headers: HeaderMap,
    p: Pairs,
) -> AppResult<Response> {
    let xlsx = match get(&p, "format") {
        None | Some("csv") => false,
        Some("xlsx") => true,
        Some(other) => {
            return Err(AppError::invalid(
                "format",
                Msg::one_of(other, &["csv", "xlsx"]),
            ));
        }
    };
    let lang = crate::auth::page_lang(&headers, Some(&s.user));
    let (name, bytes) = app::export(&state.db, &s.actor, id(&sid)?, lang, xlsx).await?;
    let ct = if xlsx {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else {
        "text/csv; charset=utf-8"
    };
    Ok(named_file(&name, ct, bytes))
}
