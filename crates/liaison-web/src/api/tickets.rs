//! Problem tickets (policy §3.4): partners raise and follow their own, answer and rate; staff
//! answer, note, assign, resolve and merge. Another partner's ticket is 404 everywhere; internal
//! notes never appear in a partner's answers.

use crate::auth::Api;
use crate::extract::{ApiJson, Pairs, id};
use crate::respond::{created_at, download, named_file};
use crate::{AppError, AppResult};
use axum::Json;
use axum::extract::Path;
use axum::response::Response;
use liaison_app::import::ExportFormat;
use liaison_app::tickets::{
    self as app, AssignInput, MergeInput, Queue, RateInput, ReopenInput, ReplyInput, ResolveInput,
    RootCauseInput, RouteInput, TicketInput,
};
use liaison_core::tickets::{TicketKind, TicketPriority, TicketSettings, TicketState, TicketVia};
use liaison_core::validate::Msg;
use liaison_db::tickets::Ticket;
use serde::Deserialize;
use serde_json::{Value, json};

fn get<'a>(p: &'a Pairs, k: &str) -> Option<&'a str> {
    p.get(k).map(str::trim).filter(|v| !v.is_empty())
}

/// `GET /api/v1/tickets`: `queue` (mine, department, unassigned, breaching, all), `state`,
/// `priority`, `kind`, `partner`; newest first.
/// A page of a list, serialized straight from the rows (no `serde_json::Value` in between: a
/// page of 25 tickets would be 25 maps of 40 keys built and dropped).
#[derive(serde::Serialize)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

pub async fn list(Api(state, s): Api, p: Pairs) -> AppResult<Json<ListPage<Ticket>>> {
    let l = p.list(25)?;
    let queue = match get(&p, "queue") {
        None => Queue::All,
        Some(q) if !s.actor.is_partner() => {
            Queue::parse(q).map_err(|m| AppError::invalid("queue", m))?
        }
        Some(q) => match q {
            "all" => Queue::All,
            other => {
                return Err(AppError::invalid("queue", Msg::one_of(other, &["all"])));
            }
        },
    };
    let mut filter = app::queue_filter(&state.db, &s.actor, queue).await?;
    filter.state = get(&p, "state")
        .map(TicketState::parse)
        .transpose()
        .map_err(|m| AppError::invalid("state", m))?;
    filter.priority = get(&p, "priority")
        .map(TicketPriority::parse)
        .transpose()
        .map_err(|m| AppError::invalid("priority", m))?;
    filter.kind = get(&p, "kind")
        .map(TicketKind::parse)
        .transpose()
        .map_err(|m| AppError::invalid("kind", m))?;
    filter.partner = get(&p, "partner")
        .map(id)
        .transpose()
        .map_err(|_| AppError::invalid("partner", Msg::new("validate.invalid")))?;
    let items = app::list(&state.db, &s.actor, &filter, l.id_cursor()?, l.limit).await?;
    let next_cursor = l.next(&items, |t| t.id.to_string());
    Ok(Json(ListPage { items, next_cursor }))
}

pub async fn create(
    Api(state, s): Api,
    ApiJson(body): ApiJson<TicketInput>,
) -> AppResult<Response> {
    let t = app::create(&state.db, &s.actor, &body, Vec::new(), TicketVia::Api).await?;
    Ok(created_at(format!("/api/v1/tickets/{}", t.id), json!(t)))
}

/// The ticket with its timeline (internal notes for staff only), files and time left.
pub async fn show(Api(state, s): Api, Path(tid): Path<String>) -> AppResult<Json<Value>> {
    let page = app::page(&state.db, &s.actor, id(&tid)?).await?;
    let mut v = json!(page.ticket);
    if let Some(o) = v.as_object_mut() {
        o.insert("events".into(), json!(page.events));
        o.insert("files".into(), json!(page.files));
        o.insert(
            "first_response_left_minutes".into(),
            json!(page.first_response_left),
        );
        o.insert(
            "resolution_left_minutes".into(),
            json!(page.resolution_left),
        );
        o.insert("may_reopen".into(), json!(page.may_reopen));
        o.insert("restricted".into(), json!(page.restricted));
    }
    Ok(Json(v))
}

pub async fn reply(
    Api(state, s): Api,
    Path(tid): Path<String>,
    ApiJson(body): ApiJson<ReplyInput>,
) -> AppResult<Response> {
    let t = app::reply(
        &state.db,
        &s.actor,
        id(&tid)?,
        &body,
        Vec::new(),
        TicketVia::Api,
    )
    .await?;
    Ok(created_at(format!("/api/v1/tickets/{}", t.id), json!(t)))
}

pub async fn assign(
    Api(state, s): Api,
    Path(tid): Path<String>,
    ApiJson(body): ApiJson<AssignInput>,
) -> AppResult<Json<Ticket>> {
    Ok(Json(
        app::assign(&state.db, &s.actor, id(&tid)?, &body).await?,
    ))
}

pub async fn resolve(
    Api(state, s): Api,
    Path(tid): Path<String>,
    ApiJson(body): ApiJson<ResolveInput>,
) -> AppResult<Json<Ticket>> {
    Ok(Json(
        app::resolve(&state.db, &s.actor, id(&tid)?, &body).await?,
    ))
}

pub async fn rate(
    Api(state, s): Api,
    Path(tid): Path<String>,
    ApiJson(body): ApiJson<RateInput>,
) -> AppResult<Json<Ticket>> {
    Ok(Json(
        app::rate(&state.db, &s.actor, id(&tid)?, &body).await?,
    ))
}

pub async fn reopen(
    Api(state, s): Api,
    Path(tid): Path<String>,
    ApiJson(body): ApiJson<ReopenInput>,
) -> AppResult<Json<Ticket>> {
    Ok(Json(
        app::reopen(&state.db, &s.actor, id(&tid)?, &body).await?,
    ))
}

pub async fn merge(
    Api(state, s): Api,
    Path(tid): Path<String>,
    ApiJson(body): ApiJson<MergeInput>,
) -> AppResult<Json<Ticket>> {
    Ok(Json(
        app::merge(&state.db, &s.actor, id(&tid)?, &body).await?,
    ))
}

pub async fn watch(Api(state, s): Api, Path(tid): Path<String>) -> AppResult<Json<Ticket>> {
    Ok(Json(app::watch(&state.db, &s.actor, id(&tid)?).await?))
}

pub async fn file(
    Api(state, s): Api,
    Path((tid, fid)): Path<(String, String)>,
) -> AppResult<Response> {
    let (meta, bytes) = app::file(&state.db, &s.actor, id(&tid)?, id(&fid)?).await?;
    Ok(named_file(&meta.filename, &meta.content_type, bytes))
}

/// `GET /api/v1/ticket-reports?from=&to=`: the root-cause report of the period.
pub async fn report(Api(state, s): Api, p: Pairs) -> AppResult<Json<app::Report>> {
    let (from, to) = crate::extract::period(&p, state.db.now())?;
    Ok(Json(app::report(&state.db, &s.actor, from, to).await?))
}

/// `GET /api/v1/ticket-reports/export?from=&to=&format=csv|xlsx`: the report as a table.
pub async fn export_report(
    Api(state, s): Api,
    p: Pairs,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    let (from, to) = crate::extract::period(&p, state.db.now())?;
    let format = ExportFormat::parse(p.get("format"))?;
    let labels = super::partner::export_labels(&headers, &p)?;
    Ok(download(
        app::export_report(&state.db, &s.actor, from, to, format, labels).await?,
    ))
}

/// The root-cause taxonomy: `{code, name, name_en, position, active}` items.
pub async fn root_causes(Api(state, s): Api) -> AppResult<Json<Value>> {
    let items = app::root_causes(&state.db, &s.actor).await?;
    Ok(Json(json!({"items": causes_json(&items)})))
}

fn causes_json(items: &[liaison_db::tickets::RootCause]) -> Vec<Value> {
    items
        .iter()
        .map(|c| {
            json!({"code": c.code, "name": c.name_zh, "name_en": c.name_en,
                   "position": c.position, "active": c.active})
        })
        .collect()
}

pub async fn save_root_cause(
    Api(state, s): Api,
    ApiJson(body): ApiJson<RootCauseInput>,
) -> AppResult<Json<Value>> {
    let items = app::save_root_cause(&state.db, &s.actor, &body).await?;
    Ok(Json(json!({"items": causes_json(&items)})))
}

pub async fn settings(Api(state, s): Api) -> AppResult<Json<TicketSettings>> {
    Ok(Json(app::settings(&state.db, &s.actor).await?))
}

pub async fn update_settings(
    Api(state, s): Api,
    ApiJson(body): ApiJson<TicketSettings>,
) -> AppResult<Json<TicketSettings>> {
    Ok(Json(
        app::update_settings(&state.db, &s.actor, &body).await?,
    ))
}

pub async fn routes(Api(state, s): Api) -> AppResult<Json<Value>> {
    Ok(Json(
        json!({"rules": app::routes(&state.db, &s.actor).await?}),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutesBody {
    pub rules: Vec<RouteInput>,
}

pub async fn update_routes(
    Api(state, s): Api,
    ApiJson(body): ApiJson<RoutesBody>,
) -> AppResult<Json<Value>> {
    Ok(Json(
        json!({"rules": app::update_routes(&state.db, &s.actor, &body.rules).await?}),
    ))
}

/// `GET /api/v1/inbound-mails`: what the reply mailbox received (admins).
pub async fn inbound_mails(Api(state, s): Api, p: Pairs) -> AppResult<Json<Value>> {
    let l = p.list(50)?;
    let items = liaison_app::mail_in::list(&state.db, &s.actor, l.limit).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}
