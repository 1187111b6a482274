//! Partners and contacts (SPEC A1, A2, A5). Partner users reach only their own partner: the
//! scope goes into every query and another partner's objects answer 404.

use crate::auth::Api;
use crate::extract::id;
use crate::extract::{ApiJson, Pairs, Versioned};
use crate::respond::{created_at, download};
use crate::{AppError, AppResult};
use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::Response;
use liaison_app::import::{self, ExportFormat, Labels};
use liaison_app::partner as app;
use liaison_core::Permission;
use liaison_core::partner::{ContactInput, Lang, PartnerInput};
use liaison_db::partner::{Contact, Partner, PartnerSort};
use serde_json::json;

pub async fn list(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    let l = p.list(50)?;
    let sort = PartnerSort::parse(p.get("sort").unwrap_or(""))
        .map_err(|m| AppError::invalid("sort", m))?;
    let f = crate::extract::partner_filter(&state, &p, s.actor.is_partner()).await?;
    let page = app::list(&state.db, &s.actor, &f, sort, l.cursor.as_deref(), l.limit).await?;
    Ok(Json(json!(page)))
}

pub async fn show(Api(state, s): Api, Path(pid): Path<String>) -> AppResult<Json<Partner>> {
    Ok(Json(app::show(&state.db, &s.actor, id(&pid)?).await?))
}

pub async fn create(
    Api(state, s): Api,
    ApiJson(body): ApiJson<PartnerInput>,
) -> AppResult<Response> {
    let created = app::create(&state.db, &s.actor, body).await?;
    let location = format!("/api/v1/partners/{}", created.id);
    Ok(created_at(location, json!(created)))
}

pub async fn update(
    Api(state, s): Api,
    Path(pid): Path<String>,
    body: Versioned<PartnerInput>,
) -> AppResult<Json<Partner>> {
    let p = app::update(&state.db, &s.actor, id(&pid)?, body.fields, body.version).await?;
    Ok(Json(p))
}

pub async fn history(
    Api(state, s): Api,
    Path(pid): Path<String>,
    p: Pairs,
) -> AppResult<Json<serde_json::Value>> {
    let l = p.list(50)?;
    let before = l.int_cursor()?;
    let rows = app::history(&state.db, &s.actor, id(&pid)?, before, l.limit).await?;
    let next = l.next(&rows, |r| r.seq.to_string());
    Ok(Json(json!({"items": rows, "next_cursor": next})))
}

pub async fn contacts(
    Api(state, s): Api,
    Path(pid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let items = app::contacts(&state.db, &s.actor, id(&pid)?).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn show_contact(
    Api(state, s): Api,
    Path((pid, cid)): Path<(String, String)>,
) -> AppResult<Json<Contact>> {
    Ok(Json(
        app::contact(&state.db, &s.actor, id(&pid)?, id(&cid)?).await?,
    ))
}

pub async fn create_contact(
    Api(state, s): Api,
    Path(pid): Path<String>,
    ApiJson(body): ApiJson<ContactInput>,
) -> AppResult<Response> {
    let pid = id(&pid)?;
    let created = app::add_contact(&state.db, &s.actor, pid, body).await?;
    let location = format!("/api/v1/partners/{pid}/contacts/{}", created.id);
    Ok(created_at(location, json!(created)))
}

pub async fn update_contact(
    Api(state, s): Api,
    Path((pid, cid)): Path<(String, String)>,
    ApiJson(body): ApiJson<ContactInput>,
) -> AppResult<Json<Contact>> {
    let c = app::update_contact(&state.db, &s.actor, id(&pid)?, id(&cid)?, body).await?;
    Ok(Json(c))
}

pub async fn delete_contact(
    Api(state, s): Api,
    Path((pid, cid)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    app::delete_contact(&state.db, &s.actor, id(&pid)?, id(&cid)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn dry_run(p: &Pairs) -> AppResult<bool> {
    match p.get("dry_run").unwrap_or("false") {
        "" | "false" | "0" => Ok(false),
        "true" | "1" => Ok(true),
        other => Err(AppError::invalid(
            "dry_run",
            liaison_core::validate::Msg::one_of(other, &["true", "false"]),
        )),
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

/// The language of an import's row messages: the request's (as pages choose it: the user's
/// setting, then Accept-Language).
fn import_lang(headers: &axum::http::HeaderMap, s: &crate::auth::Session) -> Lang {
    crate::auth::page_lang(headers, Some(&s.user))
}

pub async fn import_partners(
    Api(state, s): Api,
    p: Pairs,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> AppResult<Json<import::ImportOutcome>> {
    let name = upload_name(&p, &headers);
    let lang = import_lang(&headers, &s);
    Ok(Json(
        import::import_partners(
            &state.db,
            &s.actor,
            lang,
            name.as_deref(),
            &body,
            dry_run(&p)?,
        )
        .await?,
    ))
}

pub async fn import_contacts(
    Api(state, s): Api,
    p: Pairs,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> AppResult<Json<import::ImportOutcome>> {
    let name = upload_name(&p, &headers);
    let lang = import_lang(&headers, &s);
    Ok(Json(
        import::import_contacts(
            &state.db,
            &s.actor,
            lang,
            name.as_deref(),
            &body,
            dry_run(&p)?,
        )
        .await?,
    ))
}

/// What an API export writes (`labels=`; see the endpoint's description): codes unless the
/// request asks for people's labels, with `labels=zh-CN|zh-TW|en` or an Accept-Language that
/// prefers Chinese (a browser, a Chinese user's tool). A client that sends no Accept-Language,
/// or an English one, keeps reading the codes it always has.
pub(super) fn export_labels(headers: &axum::http::HeaderMap, p: &Pairs) -> AppResult<Labels> {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let default = match liaison_i18n::negotiate(accept) {
        lang @ (Lang::ZhCn | Lang::ZhTw) if accept.to_lowercase().contains("zh") => {
            Labels::In(lang)
        }
        _ => Labels::Codes,
    };
    Ok(Labels::parse(p.get("labels"), default)?)
}

pub async fn export_partners(
    Api(state, s): Api,
    p: Pairs,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    s.require(Permission::ExportPartners)?;
    let f = crate::extract::partner_filter(&state, &p, s.actor.is_partner()).await?;
    Ok(download(
        import::export_partners(
            &state.db,
            &s.actor,
            &f,
            ExportFormat::parse(p.get("format"))?,
            export_labels(&headers, &p)?,
        )
        .await?,
    ))
}

pub async fn export_contacts(
    Api(state, s): Api,
    p: Pairs,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    s.require(Permission::ExportPartners)?;
    let f = crate::extract::partner_filter(&state, &p, s.actor.is_partner()).await?;
    Ok(download(
        import::export_contacts(
            &state.db,
            &s.actor,
            &f,
            ExportFormat::parse(p.get("format"))?,
            export_labels(&headers, &p)?,
        )
        .await?,
    ))
}
