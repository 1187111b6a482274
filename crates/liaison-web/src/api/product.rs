//! The product catalogue (policy §3.2.1): everyone reads it, a partner user the products
//! visible to its partner (others are 404); R&D, channel management and admins keep it.

use crate::auth::Api;
use crate::extract::{ApiJson, Pairs, Versioned, id};
use crate::respond::created_at;
use crate::{AppError, AppResult};
use axum::Json;
use axum::extract::Path;
use axum::response::Response;
use liaison_app::product as app;
use liaison_core::product::ProductStatus;
use liaison_db::product::{Product, ProductFilter, ProductInput};
use serde_json::json;

fn with_documents(p: &Product, docs: &[liaison_db::product::ProductDocument]) -> serde_json::Value {
    let mut v = json!(p);
    v["documents"] = json!(docs);
    v
}

/// `GET /api/v1/products`: `q` (the search index), `category`, `status`; paged by position.
pub async fn list(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    let l = p.list(100)?;
    let status = match p.get("status").filter(|v| !v.is_empty()) {
        Some(v) => Some(ProductStatus::parse(v).map_err(|m| AppError::invalid("status", m))?),
        None => None,
    };
    let q = p.get("q").map(str::trim).filter(|v| !v.is_empty());
    if q.is_some_and(|q| q.chars().count() > 100) {
        return Err(AppError::invalid(
            "q",
            liaison_core::validate::Msg::new("validate.max_chars").arg("max", 100),
        ));
    }
    let filter = ProductFilter {
        category: p
            .get("category")
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string),
        status,
        q: q.map(str::to_string),
    };
    let start = match l.int_cursor()? {
        Some(n) if n >= 0 => n,
        Some(_) => {
            return Err(AppError::invalid(
                "cursor",
                liaison_core::validate::Msg::new("validate.cursor"),
            ));
        }
        None => 0,
    };
    let (page, more) = app::page(&state.db, &s.actor, &filter, start, l.limit).await?;
    let next = more.then(|| (start + page.len() as i64).to_string());
    Ok(Json(json!({"items": page, "next_cursor": next})))
}

pub async fn create(
    Api(state, s): Api,
    ApiJson(body): ApiJson<ProductInput>,
) -> AppResult<Response> {
    let p = app::create(&state.db, &s.actor, &body).await?;
    Ok(created_at(
        format!("/api/v1/products/{}", p.id),
        with_documents(&p, &[]),
    ))
}

pub async fn show(
    Api(state, s): Api,
    Path(pid): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let pid = id(&pid)?;
    let p = app::show(&state.db, &s.actor, pid).await?;
    let docs = app::documents(&state.db, &s.actor, pid).await?;
    Ok(Json(with_documents(&p, &docs)))
}

pub async fn update(
    Api(state, s): Api,
    Path(pid): Path<String>,
    body: Versioned<ProductInput>,
) -> AppResult<Json<serde_json::Value>> {
    let pid = id(&pid)?;
    let p = app::update(&state.db, &s.actor, pid, &body.fields, body.version).await?;
    let docs = app::documents(&state.db, &s.actor, pid).await?;
    Ok(Json(with_documents(&p, &docs)))
}

pub async fn add_document(
    Api(state, s): Api,
    Path(pid): Path<String>,
    p: Pairs,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let d = app::attach(
        &state.db,
        &s.actor,
        id(&pid)?,
        p.get("filename").unwrap_or(""),
        &body,
    )
    .await?;
    Ok(created_at(
        format!("/api/v1/products/{pid}/documents/{}", d.id),
        json!(d),
    ))
}

pub async fn document(
    Api(state, s): Api,
    Path((pid, did)): Path<(String, String)>,
) -> AppResult<Response> {
    let (d, bytes) = app::document(&state.db, &s.actor, id(&pid)?, id(&did)?).await?;
    Ok(crate::respond::named_file(
        &d.filename,
        &d.content_type,
        bytes,
    ))
}
