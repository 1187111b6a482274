//! Confidentiality (policy §7.2.2, §7.3; SPEC G4, G6, G7): need-to-know access lists and
//! access requests, the leak trace, and leak incidents.

use crate::AppResult;
use crate::auth::Api;
use crate::extract::{ApiJson, id};
use crate::respond::created_at;
use axum::Json;
use axum::extract::{FromRequest, Path};
use axum::response::Response;
use liaison_app::{access, incidents, leaks};
use liaison_core::Role;
use liaison_core::access::ItemKind;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceBody {
    pub text: String,
}

/// §7.3: the recipient copies a leaked text most likely came from, best first. The body is
/// `{"text"}`, or a multipart upload whose `file` is a leaked PDF or picture downloaded from
/// Liaison (its copy code names the delivery) or a text file (traced as pasted text).
pub async fn trace(Api(state, s): Api, req: axum::extract::Request) -> AppResult<Json<Value>> {
    let multipart = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    let t = if multipart {
        let mut mp = axum::extract::Multipart::from_request(req, &state)
            .await
            .map_err(|e| {
                crate::AppError::BadRequest(format!("the upload could not be read: {e}"))
            })?;
        let bad = |e: axum::extract::multipart::MultipartError| {
            crate::AppError::BadRequest(format!("the upload could not be read: {e}"))
        };
        let mut file = None;
        while let Some(field) = mp.next_field().await.map_err(bad)? {
            if field.name() == Some("file") {
                file = Some(field.bytes().await.map_err(bad)?);
            }
        }
        let Some(bytes) = file else {
            return Err(liaison_app::Error::invalid(
                "file",
                liaison_core::validate::Msg::new("leak.text_required"),
            )
            .into());
        };
        leaks::trace_file(&state.db, &s.actor, &bytes).await?
    } else {
        let ApiJson(body) = ApiJson::<TraceBody>::from_request(req, &state).await?;
        leaks::trace(&state.db, &s.actor, &body.text).await?
    };
    Ok(Json(json!(t)))
}

pub async fn incidents(Api(state, s): Api) -> AppResult<Json<Value>> {
    let items = incidents::list(&state.db, &s.actor).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn report(
    Api(state, s): Api,
    ApiJson(body): ApiJson<incidents::Report>,
) -> AppResult<Response> {
    let i = incidents::report(&state.db, &s.actor, &body).await?;
    Ok(created_at(format!("/api/v1/incidents/{}", i.id), json!(i)))
}

pub async fn incident(Api(state, s): Api, Path(iid): Path<String>) -> AppResult<Json<Value>> {
    let (i, events) = incidents::show(&state.db, &s.actor, id(&iid)?).await?;
    let mut v = json!(i);
    v["events"] = json!(events);
    Ok(Json(v))
}

pub async fn update_incident(
    Api(state, s): Api,
    Path(iid): Path<String>,
    ApiJson(body): ApiJson<incidents::Patch>,
) -> AppResult<Json<Value>> {
    let i = incidents::update(&state.db, &s.actor, id(&iid)?, &body).await?;
    Ok(Json(json!(i)))
}

pub async fn contain(Api(state, s): Api, Path(iid): Path<String>) -> AppResult<Json<Value>> {
    let (i, done) = incidents::contain(&state.db, &s.actor, id(&iid)?).await?;
    let mut v = json!(i);
    v["contained"] = json!(done);
    Ok(Json(v))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessAsk {
    pub item_kind: String,
    pub item_id: Uuid,
    pub reason: String,
}

pub async fn access_requests(Api(state, s): Api) -> AppResult<Json<Value>> {
    let items = access::list(&state.db, &s.actor).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn ask(Api(state, s): Api, ApiJson(body): ApiJson<AccessAsk>) -> AppResult<Response> {
    let kind = ItemKind::parse(&body.item_kind)
        .map_err(|m| liaison_app::Error::invalid("item_kind", m))?;
    let r = access::ask(&state.db, &s.actor, kind, body.item_id, &body.reason).await?;
    Ok(created_at(
        format!("/api/v1/access-requests/{}", r.id),
        json!(r),
    ))
}

pub async fn access_request(Api(state, s): Api, Path(rid): Path<String>) -> AppResult<Json<Value>> {
    Ok(Json(json!(
        access::find(&state.db, &s.actor, id(&rid)?).await?
    )))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub decision: String,
    #[serde(default)]
    pub note: String,
}

pub async fn decide(
    Api(state, s): Api,
    Path(rid): Path<String>,
    ApiJson(body): ApiJson<Decision>,
) -> AppResult<Json<Value>> {
    let grant = match body.decision.as_str() {
        "grant" => true,
        "refuse" => false,
        other => {
            return Err(liaison_app::Error::invalid(
                "decision",
                liaison_core::validate::Msg::one_of(other, &["grant", "refuse"]),
            )
            .into());
        }
    };
    let r = access::decide(&state.db, &s.actor, id(&rid)?, grant, &body.note).await?;
    Ok(Json(json!(r)))
}

fn kind(k: &str) -> AppResult<ItemKind> {
    // An unknown kind names no item: not found, like an unknown id.
    ItemKind::parse(k).map_err(|_| liaison_app::Error::NotFound.into())
}

/// §7.2.2: who else may read a confidential item in full, for those who read it whole.
pub async fn access_list(
    Api(state, s): Api,
    Path((k, iid)): Path<(String, String)>,
) -> AppResult<Json<Value>> {
    Ok(Json(json!(
        access::list_of(&state.db, &s.actor, kind(&k)?, id(&iid)?).await?
    )))
}

pub async fn request_access_list(
    Api(state, s): Api,
    Path(rid): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(json!(
        access::list_of(&state.db, &s.actor, ItemKind::Request, id(&rid)?).await?
    )))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessListBody {
    #[serde(default)]
    pub users: Vec<Uuid>,
    #[serde(default)]
    pub roles: Vec<String>,
}

/// The item's owners replace its access list.
pub async fn set_access_list(
    Api(state, s): Api,
    Path((k, iid)): Path<(String, String)>,
    ApiJson(body): ApiJson<AccessListBody>,
) -> AppResult<Json<Value>> {
    save_list(&state, &s, kind(&k)?, id(&iid)?, body).await
}

pub async fn set_request_access_list(
    Api(state, s): Api,
    Path(rid): Path<String>,
    ApiJson(body): ApiJson<AccessListBody>,
) -> AppResult<Json<Value>> {
    save_list(&state, &s, ItemKind::Request, id(&rid)?, body).await
}

async fn save_list(
    state: &crate::AppState,
    s: &crate::auth::Session,
    kind: ItemKind,
    item: Uuid,
    body: AccessListBody,
) -> AppResult<Json<Value>> {
    let mut roles = Vec::new();
    let mut e = liaison_core::FieldErrors::new();
    for (i, r) in body.roles.iter().enumerate() {
        match Role::parse(r) {
            Ok(r) => roles.push(r),
            Err(m) => e.add(format!("roles[{i}]"), m),
        }
    }
    if !e.is_empty() {
        return Err(liaison_app::Error::Invalid(e).into());
    }
    let list = access::set_list(&state.db, &s.actor, kind, item, &body.users, &roles).await?;
    Ok(Json(json!(list)))
}
