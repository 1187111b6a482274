//! Partners and contacts (SPEC A1, A2, A5). Partner users reach only their own partner: the
//! scope goes into every query and another partner's objects answer 404.

use crate::auth::Api;
use crate::extract::{ApiJson, Pairs, Versioned};
use crate::respond::{created_at, download};
use crate::{AppError, AppResult};
use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::Response;
use liaison_app::import::{self, ExportFormat};
use liaison_core::Permission;
use liaison_core::partner::{ContactInput, PartnerInput};
use liaison_db::partner::{self as repo, PartnerSort};
use serde_json::json;
use uuid::Uuid;

fn parse_id(s: &str) -> AppResult<Uuid> {
    // An id that cannot exist is simply not found, like any other missing object.
    Uuid::parse_str(s).map_err(|_| AppError::NotFound)
}

pub async fn list(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ReadPartners)?;
    let l = p.list(50)?;
    let sort = PartnerSort::parse(p.get("sort").unwrap_or(""))
        .map_err(|m| AppError::invalid("sort", m))?;
    let f = crate::extract::partner_filter(&state, &p, s.actor.is_partner()).await?;
    let page = repo::list_partners(
        &state.db,
        s.actor.scope(),
        &f,
        sort,
        l.cursor.as_deref(),
        l.limit,
    )
    .await?;
    Ok(Json(json!(page)))
}

pub async fn show(Api(state, s): Api, Path(id): Path<String>) -> AppResult<Json<repo::Partner>> {
    s.require(Permission::ReadPartners)?;
    Ok(Json(
        repo::find_partner(&state.db, s.actor.scope(), parse_id(&id)?).await?,
    ))
}

pub async fn create(
    Api(state, s): Api,
    ApiJson(body): ApiJson<PartnerInput>,
) -> AppResult<Response> {
    s.require(Permission::WritePartners)?;
    let p = body.parse()?;
    let created = repo::insert_partner(&state.db, s.user.id, &p).await?;
    Ok(created_at(
        format!("/api/v1/partners/{}", created.id),
        json!(created),
    ))
}

pub async fn update(
    Api(state, s): Api,
    Path(id): Path<String>,
    body: Versioned<PartnerInput>,
) -> AppResult<Json<repo::Partner>> {
    let id = parse_id(&id)?;
    // A partner user may not see other partners, and may not change its own record either.
    let current = repo::find_partner(&state.db, s.actor.scope(), id).await?;
    s.require(Permission::WritePartners)?;
    let p = current.to_input().overlay(body.fields).parse()?;
    Ok(Json(
        repo::update_partner(&state.db, s.user.id, id, &p, body.version).await?,
    ))
}

pub async fn history(
    Api(state, s): Api,
    Path(id): Path<String>,
    p: Pairs,
) -> AppResult<Json<serde_json::Value>> {
    let id = parse_id(&id)?;
    repo::find_partner(&state.db, s.actor.scope(), id).await?;
    s.require(Permission::UseConsole)?;
    let l = p.list(50)?;
    let before = match l.cursor.as_deref() {
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| AppError::invalid("cursor", "is not a cursor this list gave out"))?,
        ),
        None => None,
    };
    let rows = liaison_db::audit::list(&state.db, Some(id), before, l.limit).await?;
    let next = (rows.len() as i64 == l.limit)
        .then(|| rows.last().map(|r| r.seq.to_string()))
        .flatten();
    Ok(Json(json!({"items": rows, "next_cursor": next})))
}

pub async fn contacts(
    Api(state, s): Api,
    Path(id): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ReadPartners)?;
    let items = repo::list_contacts(&state.db, s.actor.scope(), parse_id(&id)?).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn show_contact(
    Api(state, s): Api,
    Path((id, cid)): Path<(String, String)>,
) -> AppResult<Json<repo::Contact>> {
    s.require(Permission::ReadPartners)?;
    Ok(Json(
        repo::find_contact(&state.db, s.actor.scope(), parse_id(&id)?, parse_id(&cid)?).await?,
    ))
}

pub async fn create_contact(
    Api(state, s): Api,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ContactInput>,
) -> AppResult<Response> {
    let id = parse_id(&id)?;
    repo::find_partner(&state.db, s.actor.scope(), id).await?;
    s.require(Permission::WritePartners)?;
    let c = body.parse()?;
    let created = repo::insert_contact(&state.db, s.user.id, id, &c).await?;
    Ok(created_at(
        format!("/api/v1/partners/{id}/contacts/{}", created.id),
        json!(created),
    ))
}

pub async fn update_contact(
    Api(state, s): Api,
    Path((id, cid)): Path<(String, String)>,
    ApiJson(body): ApiJson<ContactInput>,
) -> AppResult<Json<repo::Contact>> {
    let (id, cid) = (parse_id(&id)?, parse_id(&cid)?);
    let current = repo::find_contact(&state.db, s.actor.scope(), id, cid).await?;
    s.require(Permission::WritePartners)?;
    let c = current.to_input().overlay(body).parse()?;
    Ok(Json(
        repo::update_contact(&state.db, s.user.id, id, cid, &c).await?,
    ))
}

pub async fn delete_contact(
    Api(state, s): Api,
    Path((id, cid)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let (id, cid) = (parse_id(&id)?, parse_id(&cid)?);
    repo::find_contact(&state.db, s.actor.scope(), id, cid).await?;
    s.require(Permission::WritePartners)?;
    repo::delete_contact(&state.db, s.user.id, id, cid).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn dry_run(p: &Pairs) -> AppResult<bool> {
    match p.get("dry_run").unwrap_or("false") {
        "" | "false" | "0" => Ok(false),
        "true" | "1" => Ok(true),
        _ => Err(AppError::invalid("dry_run", "must be true or false")),
    }
}

/// The upload's file name: `?filename=` or the Content-Type decides CSV or XLSX.
fn upload_name(p: &Pairs, headers: &axum::http::HeaderMap) -> Option<String> {
    p.get("filename").map(str::to_string).or_else(|| {
        let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
        ct.contains("spreadsheetml")
            .then(|| "upload.xlsx".to_string())
    })
}

pub async fn import_partners(
    Api(state, s): Api,
    p: Pairs,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> AppResult<Json<import::ImportOutcome>> {
    let name = upload_name(&p, &headers);
    Ok(Json(
        import::import_partners(&state.db, &s.actor, name.as_deref(), &body, dry_run(&p)?).await?,
    ))
}

pub async fn import_contacts(
    Api(state, s): Api,
    p: Pairs,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> AppResult<Json<import::ImportOutcome>> {
    let name = upload_name(&p, &headers);
    Ok(Json(
        import::import_contacts(&state.db, &s.actor, name.as_deref(), &body, dry_run(&p)?).await?,
    ))
}

pub async fn export_partners(Api(state, s): Api, p: Pairs) -> AppResult<Response> {
    s.require(Permission::ExportPartners)?;
    let f = crate::extract::partner_filter(&state, &p, s.actor.is_partner()).await?;
    Ok(download(
        import::export_partners(
            &state.db,
            &s.actor,
            &f,
            ExportFormat::parse(p.get("format"))?,
        )
        .await?,
    ))
}

pub async fn export_contacts(Api(state, s): Api, p: Pairs) -> AppResult<Response> {
    s.require(Permission::ExportPartners)?;
    let f = crate::extract::partner_filter(&state, &p, s.actor.is_partner()).await?;
    Ok(download(
        import::export_contacts(
            &state.db,
            &s.actor,
            &f,
            ExportFormat::parse(p.get("format"))?,
        )
        .await?,
    ))
}
