//! The product catalogue (policy §3.2.1, SPEC D4): products with typed technical parameters,
//! their documents (datasheets, manuals) and who sees them. Each write indexes the product in
//! the shared search index in its transaction. Who may see which product is decided by the
//! service layer with `liaison_core::product::Visibility`; this module only stores.

use crate::audit::Entry;
use crate::search::{self, Doc, Kind};
use crate::{Db, DbError, FromDbRow, Q, Result, RowExt, q};
use base64::Engine;
use chrono::{DateTime, Utc};
use liaison_core::product::{
    Param, ParamInput, ProductStatus, Visibility, parse_code, parse_params,
};
use liaison_core::validate::{Msg, optional_text, required_text};
use liaison_core::{FieldErrors, Scope};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Product {
    pub id: Uuid,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub category: String,
    pub status: ProductStatus,
    /// Markdown (§3.2.1: features, advantages, usage).
    pub features: String,
    pub advantages: String,
    pub usage: String,
    pub parameters: Vec<Param>,
    pub visibility: Visibility,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

from_row!(Product; id: uuid, code: text, name_zh: text, name_en: text, category: text,
    status: text => crate::query::parsed(ProductStatus::parse), features: text, advantages: text,
    usage: text("usage_md"), parameters: text => crate::query::json,
    visibility: text => crate::query::json, version: i64, created_at: time, updated_at: time);

/// A product as typed (POST creates; PATCH overlays the fields given).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProductInput {
    pub code: Option<String>,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub features: Option<String>,
    pub advantages: Option<String>,
    pub usage: Option<String>,
    pub parameters: Option<Vec<ParamInput>>,
    pub visibility: Option<Visibility>,
}

/// What the catalogue list is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub category: Option<String>,
    pub status: Option<ProductStatus>,
    /// Free text over code, names, category, features and parameters (the search index).
    pub q: Option<String>,
}

struct Valid {
    code: String,
    name_zh: String,
    name_en: String,
    category: String,
    status: ProductStatus,
    features: String,
    advantages: String,
    usage: String,
    parameters: Vec<Param>,
    visibility: Visibility,
}

fn md(e: &mut FieldErrors, field: &str, v: &Option<String>) -> String {
    e.take(field, optional_text(v.as_deref().unwrap_or(""), 20_000))
        .flatten()
        .unwrap_or_default()
}

fn parse(input: &ProductInput) -> Result<Valid> {
    let mut e = FieldErrors::new();
    let code = e.take("code", parse_code(input.code.as_deref().unwrap_or("")));
    let name_zh = e.take(
        "name_zh",
        required_text(input.name_zh.as_deref().unwrap_or(""), 200),
    );
    let name_en = e
        .take(
            "name_en",
            optional_text(input.name_en.as_deref().unwrap_or(""), 200),
        )
        .flatten()
        .unwrap_or_default();
    let category = e.take(
        "category",
        required_text(input.category.as_deref().unwrap_or(""), 100),
    );
    let status = match input
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Some(ProductStatus::Planned),
        Some(s) => e.take("status", ProductStatus::parse(s)),
    };
    let features = md(&mut e, "features", &input.features);
    let advantages = md(&mut e, "advantages", &input.advantages);
    let usage = md(&mut e, "usage", &input.usage);
    let parameters = match parse_params(input.parameters.as_deref().unwrap_or(&[])) {
        Ok(p) => p,
        Err(bad) => {
            e.extend(bad);
            Vec::new()
        }
    };
    let visibility = input.visibility.clone().unwrap_or_default();
    if let Err(bad) = visibility.check() {
        e.extend(bad);
    }
    match (code, name_zh, category, status) {
        (Some(code), Some(name_zh), Some(category), Some(status)) if e.is_empty() => Ok(Valid {
            code,
            name_zh,
            name_en,
            category,
            status,
            features,
            advantages,
            usage,
            parameters,
            visibility,
        }),
        _ => Err(DbError::Invalid(e)),
    }
}

/// The product's search document: names and code first; category, texts and parameters after.
#[allow(clippy::too_many_arguments)]
pub fn product_doc(
    id: Uuid,
    code: &str,
    name_zh: &str,
    name_en: &str,
    category: &str,
    texts: &[&str],
    params: &[Param],
    at: DateTime<Utc>,
) -> Doc {
    let params: Vec<String> = params
        .iter()
        .map(|p| format!("{} {}{}", p.name, p.value, p.unit))
        .collect();
    let params = params.join(" ");
    let mut body = vec![category];
    body.extend_from_slice(texts);
    body.push(params.as_str());
    Doc::new(
        id,
        Kind::Product,
        None,
        at,
        name_zh,
        &[code, name_en],
        &body,
    )
}

fn doc_of(id: Uuid, v: &Valid, at: DateTime<Utc>) -> Doc {
    product_doc(
        id,
        &v.code,
        &v.name_zh,
        &v.name_en,
        &v.category,
        &[&v.features, &v.advantages, &v.usage],
        &v.parameters,
        at,
    )
}

fn stored(v: &Valid) -> Result<(String, String)> {
    let params =
        serde_json::to_string(&v.parameters).map_err(|e| DbError::Config(e.to_string()))?;
    let vis = serde_json::to_string(&v.visibility).map_err(|e| DbError::Config(e.to_string()))?;
    Ok((params, vis))
}

const SELECT: &str = "SELECT p.id, p.code, p.name_zh, p.name_en, p.category, p.status, p.features,
    p.advantages, p.usage_md, p.parameters, p.visibility, p.version, p.created_at, p.updated_at
    FROM products p";

pub async fn find_product(db: &Db, id: Uuid) -> Result<Product> {
    db.fetch_one(Q::dynamic(format!("{SELECT} WHERE p.id = $1")).bind(id))
        .await
}

pub async fn find_product_by_code(db: &Db, code: &str) -> Result<Option<Product>> {
    db.fetch_optional(
        Q::dynamic(format!("{SELECT} WHERE p.code = $1")).bind(code.trim().to_uppercase()),
    )
    .await
}

/// Every product matching the filter, by category and code (a catalogue is hundreds of
/// products, not millions: visibility is then applied per partner by the service layer).
pub async fn list_products(db: &Db, f: &ProductFilter) -> Result<Vec<Product>> {
    list_products_window(db, f, None).await
}

/// `limit` products from position `offset` of the list `f` (company users' pages, which no
/// visibility narrows: the database pages them).
pub async fn list_products_page(
    db: &Db,
    f: &ProductFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<Product>> {
    list_products_window(db, f, Some((offset, limit))).await
}

async fn list_products_window(
    db: &Db,
    f: &ProductFilter,
    window: Option<(i64, i64)>,
) -> Result<Vec<Product>> {
    let mut query = Q::dynamic(format!("{SELECT} WHERE 1 = 1"));
    query.and_some("p.category =", f.category.clone());
    query.and_some("p.status =", f.status.map(|s| s.as_str().to_string()));
    if let Some(text) = f.q.as_deref().filter(|t| !t.trim().is_empty()) {
        search::push_kind_match(&mut query, "p.id", text, Kind::Product);
    }
    query.push_sql(" ORDER BY p.category, p.code");
    if let Some((offset, limit)) = window {
        let l = query.arg(limit);
        let o = query.arg(offset);
        query.push_sql(&format!(" LIMIT {l} OFFSET {o}"));
    }
    db.fetch_all(query).await
}

/// The categories in use, for the catalogue's filter.
pub async fn list_categories(db: &Db) -> Result<Vec<String>> {
    let rows: Vec<Category> = db
        .fetch_all(q(
            "SELECT DISTINCT category FROM products ORDER BY category",
        ))
        .await?;
    Ok(rows.into_iter().map(|c| c.0).collect())
}

struct Category(String);
from_row!(Category(category: text));

pub async fn insert_product(db: &Db, actor: Uuid, input: &ProductInput) -> Result<Product> {
    let v = parse(input)?;
    let id = Uuid::now_v7();
    let (params, vis) = stored(&v)?;
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(
        q("INSERT INTO products (id, code, name_zh, name_en, category, status, features, advantages,
              usage_md, parameters, visibility, version, created_by, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13, $13)")
        .bind(id)
        .bind(v.code.as_str())
        .bind(v.name_zh.as_str())
        .bind(v.name_en.as_str())
        .bind(v.category.as_str())
        .bind(v.status.as_str())
        .bind(v.features.as_str())
        .bind(v.advantages.as_str())
        .bind(v.usage.as_str())
        .bind(params)
        .bind(vis)
        .bind(actor)
        .bind(now),
    )
    .await
    .map_err(|e| e.conflict_on("code", &v.code))?;
    search::index(&mut tx, &[doc_of(id, &v, now)], true).await?;
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            "product.create",
            "product",
            id,
            json!({"code": v.code, "name_zh": v.name_zh, "status": v.status}),
        ),
    )
    .await?;
    find_product(db, id).await
}

/// Changes the fields given; with `expected_version`, a product changed since is a conflict.
pub async fn update_product(
    db: &Db,
    actor: Uuid,
    id: Uuid,
    patch: &ProductInput,
    expected_version: Option<i64>,
) -> Result<Product> {
    let old = find_product(db, id).await?;
    let merged = ProductInput {
        code: patch.code.clone().or(Some(old.code.clone())),
        name_zh: patch.name_zh.clone().or(Some(old.name_zh.clone())),
        name_en: patch.name_en.clone().or(Some(old.name_en.clone())),
        category: patch.category.clone().or(Some(old.category.clone())),
        status: patch
            .status
            .clone()
            .or(Some(old.status.as_str().to_string())),
        features: patch.features.clone().or(Some(old.features.clone())),
        advantages: patch.advantages.clone().or(Some(old.advantages.clone())),
        usage: patch.usage.clone().or(Some(old.usage.clone())),
        parameters: patch.parameters.clone().or_else(|| {
            Some(
                old.parameters
                    .iter()
                    .map(|p| ParamInput {
                        name: Some(p.name.clone()),
                        value: Some(serde_json::Value::String(p.value.clone())),
                        unit: Some(p.unit.clone()),
                        kind: Some(p.kind.as_str().to_string()),
                    })
                    .collect(),
            )
        }),
        visibility: patch.visibility.clone().or(Some(old.visibility.clone())),
    };
    let v = parse(&merged)?;
    let (params, vis) = stored(&v)?;
    let version = expected_version.unwrap_or(old.version);
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_versioned(
        q(
            "UPDATE products SET code = $1, name_zh = $2, name_en = $3, category = $4, status = $5,
              features = $6, advantages = $7, usage_md = $8, parameters = $9, visibility = $10,
              version = version + 1, updated_at = $11
           WHERE id = $12 AND version = $13",
        )
        .bind(v.code.as_str())
        .bind(v.name_zh.as_str())
        .bind(v.name_en.as_str())
        .bind(v.category.as_str())
        .bind(v.status.as_str())
        .bind(v.features.as_str())
        .bind(v.advantages.as_str())
        .bind(v.usage.as_str())
        .bind(params)
        .bind(vis)
        .bind(now)
        .bind(id)
        .bind(version),
        "the product was changed by someone else; reload it",
    )
    .await
    .map_err(|e| match e {
        DbError::Conflict(m) if m.contains("already exists") => {
            DbError::Conflict(format!("code '{}' is already taken", v.code))
        }
        other => other,
    })?;
    search::index(&mut tx, &[doc_of(id, &v, old.created_at)], false).await?;
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            "product.update",
            "product",
            id,
            json!({"code": v.code, "status": v.status, "version": version + 1}),
        ),
    )
    .await?;
    find_product(db, id).await
}

/// What decides a partner's view of the catalogue (§3.2.1): its kind, tier and the segments
/// whose filter it matches now.
#[derive(Debug, Clone)]
pub struct PartnerAudience {
    pub kind: liaison_core::partner::PartnerKind,
    pub tier: String,
    pub segments: Vec<Uuid>,
}

impl PartnerAudience {
    pub fn admits(&self, v: &Visibility) -> bool {
        v.admits(self.kind, &self.tier, &self.segments)
    }
}

pub async fn partner_audience(db: &Db, partner: Uuid) -> Result<PartnerAudience> {
    let p = crate::partner::find_partner(db, Scope::All, partner).await?;
    let kind = liaison_core::partner::PartnerKind::parse(&p.kind)
        .map_err(|e| DbError::Config(format!("partner kind: {e}")))?;
    let mut segments = Vec::new();
    for s in crate::segment::list_segments(db).await? {
        if crate::partner::count_partners(db, Scope::Partner(partner), &s.filter).await? > 0 {
            segments.push(s.id);
        }
    }
    Ok(PartnerAudience {
        kind,
        tier: p.tier,
        segments,
    })
}

// ---- documents ----

#[derive(Debug, Clone, Serialize)]
pub struct ProductDocument {
    pub id: Uuid,
    pub product_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

from_row!(ProductDocument; id: uuid, product_id: uuid, filename: text, content_type: text,
    size: i64, sha256: text, created_at: time);

/// At most this many documents a product.
pub const MAX_DOCUMENTS: i64 = 20;

/// Files a datasheet or manual, checked like a request attachment (type by content, 10 MiB).
pub async fn insert_document(
    db: &Db,
    actor: Uuid,
    product_id: Uuid,
    filename: &str,
    bytes: &[u8],
) -> Result<ProductDocument> {
    let invalid = |f: &str, m: Msg| DbError::Invalid(FieldErrors::single(f, m));
    find_product(db, product_id).await?;
    let name = crate::attachment::clean_name(filename).map_err(|m| invalid("filename", m))?;
    if bytes.is_empty() {
        return Err(invalid("file", Msg::new("validate.file_empty")));
    }
    if bytes.len() > crate::attachment::MAX_BYTES {
        return Err(invalid(
            "file",
            Msg::new("validate.file_too_large")
                .arg("size", bytes.len())
                .arg("max", crate::attachment::MAX_BYTES),
        ));
    }
    let ct = crate::attachment::check_type(&name, bytes).map_err(|m| invalid("file", m))?;
    let count: i64 = db
        .fetch_one(
            q("SELECT COUNT(*) FROM product_documents WHERE product_id = $1").bind(product_id),
        )
        .await?;
    if count >= MAX_DOCUMENTS {
        return Err(invalid(
            "file",
            Msg::new("validate.max_attachments").arg("max", MAX_DOCUMENTS),
        ));
    }
    let id = Uuid::now_v7();
    let sha = crate::sha256_hex(bytes);
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    let now = db
        .write_one(
            |now| {
                q("INSERT INTO product_documents (id, product_id, filename, content_type, size, sha256, data, created_by, created_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(id)
                .bind(product_id)
                .bind(name.as_str())
                .bind(ct)
                .bind(bytes.len() as i64)
                .bind(sha.as_str())
                .bind(data)
                .bind(actor)
                .bind(now)
            },
            Entry::by(
                actor,
                "product.document",
                "product",
                product_id,
                json!({"document": id, "filename": name, "size": bytes.len(), "sha256": sha}),
            ),
        )
        .await?;
    Ok(ProductDocument {
        id,
        product_id,
        filename: name,
        content_type: ct.to_string(),
        size: bytes.len() as i64,
        sha256: sha,
        created_at: now,
    })
}

pub async fn list_documents(db: &Db, product_id: Uuid) -> Result<Vec<ProductDocument>> {
    db.fetch_all(
        q(
            "SELECT id, product_id, filename, content_type, size, sha256, created_at
             FROM product_documents WHERE product_id = $1 ORDER BY id",
        )
        .bind(product_id),
    )
    .await
}

struct DocData(ProductDocument, String);
impl FromDbRow for DocData {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self(ProductDocument::from_row(r)?, r.text("data")?))
    }
}

/// A document and its bytes.
pub async fn read_document(
    db: &Db,
    product_id: Uuid,
    id: Uuid,
) -> Result<(ProductDocument, Vec<u8>)> {
    let d: DocData = db
        .fetch_optional(
            q(
                "SELECT id, product_id, filename, content_type, size, sha256, created_at, data
                 FROM product_documents WHERE id = $1 AND product_id = $2",
            )
            .bind(id)
            .bind(product_id),
        )
        .await?
        .ok_or(DbError::NotFound)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(d.1)
        .map_err(|e| DbError::Config(e.to_string()))?;
    Ok((d.0, bytes))
}

/// Every product's search document, for a full rebuild of the index.
pub(crate) async fn all_docs(tx: &mut crate::Tx) -> Result<Vec<Doc>> {
    let rows: Vec<Product> = tx
        .fetch_all(Q::dynamic(format!("{SELECT} ORDER BY p.id")))
        .await?;
    Ok(rows
        .iter()
        .map(|p| {
            product_doc(
                p.id,
                &p.code,
                &p.name_zh,
                &p.name_en,
                &p.category,
                &[&p.features, &p.advantages, &p.usage],
                &p.parameters,
                p.created_at,
            )
        })
        .collect())
}
