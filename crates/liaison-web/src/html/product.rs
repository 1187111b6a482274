//! The product catalogue's pages (policy §3.2.1): the console's list, detail and edit form with
//! typed technical parameters, documents and visibility; the portal's catalogue of the products
//! visible to the partner, made for a salesperson's phone, and a product's detail with its
//! parameters table and documents.

use super::{Page, PageForm, PageResult, body_html, ctx, mark_invalid, render};
use crate::extract::{Pairs, id};
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::{Multipart, Path};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use liaison_app::product as app;
use liaison_core::partner::PartnerKind;
use liaison_core::product::{ParamInput, ParamType, ProductStatus, Visibility};
use liaison_core::{FieldErrors, Permission};
use liaison_db::product::{Product, ProductFilter, ProductInput};
use serde::Serialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/products", get(console_list).post(create))
        .route("/console/products/new", get(new_form))
        .route("/console/products/{id}", get(console_show))
        .route("/console/products/{id}/edit", get(edit_form).post(edit))
        .route(
            "/console/products/{id}/documents",
            axum::routing::post(upload),
        )
        .route("/console/products/{id}/documents/{doc}", get(document))
        .route("/portal/products", get(portal_list))
        .route("/portal/products/{id}", get(portal_show))
        .route("/portal/products/{id}/documents/{doc}", get(document))
}

fn filter(p: &Pairs) -> Result<ProductFilter, AppError> {
    let status = match p.get("status").filter(|v| !v.is_empty()) {
        Some(v) => Some(ProductStatus::parse(v).map_err(|m| AppError::invalid("status", m))?),
        None => None,
    };
    let q: String = p.text("q").chars().take(100).collect();
    Ok(ProductFilter {
        category: Some(p.text("category")).filter(|c| !c.is_empty()),
        status,
        q: Some(q).filter(|q| !q.is_empty()),
    })
}

async fn list_page(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    s: &crate::auth::Session,
    p: &Pairs,
    template: &str,
) -> PageResult {
    let f = filter(p)?;
    let items = app::list(&state.db, &s.actor, &f).await?;
    let categories = app::categories(&state.db, &s.actor).await?;
    Ok(render(
        state,
        headers,
        Some(s),
        template,
        ctx! {
            nav => "products",
            items => items,
            categories => categories,
            statuses => ProductStatus::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            q => p.text("q"),
            category => p.text("category"),
            status => p.text("status"),
            can_edit => s.actor.can(Permission::WriteProducts),
        },
    ))
}

async fn console_list(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    list_page(&state, &headers, &s, &p, "product/list.html").await
}

async fn portal_list(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    list_page(&state, &headers, &s, &p, "portal/products.html").await
}

/// A product's texts as HTML (Markdown, sanitized) for its detail pages.
#[derive(Serialize)]
struct Texts {
    features: String,
    advantages: String,
    usage: String,
}

fn texts(p: &Product) -> Texts {
    Texts {
        features: body_html(&p.features),
        advantages: body_html(&p.advantages),
        usage: body_html(&p.usage),
    }
}

async fn show_page(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    s: &crate::auth::Session,
    pid: Uuid,
    template: &str,
    upload_errors: Option<&FieldErrors>,
    q: &Pairs,
) -> PageResult {
    let p = app::show(&state.db, &s.actor, pid).await?;
    let docs = app::documents(&state.db, &s.actor, pid).await?;
    let launches: Vec<_> = liaison_app::launch::list(&state.db, &s.actor, None, None)
        .await?
        .into_iter()
        .filter(|l| l.product_id == pid)
        .collect();
    let segments = if s.actor.is_partner() {
        Vec::new()
    } else {
        liaison_app::segment::list(&state.db, &s.actor)
            .await?
            .into_iter()
            .filter(|seg| p.visibility.segments.contains(&seg.id))
            .map(|seg| seg.name)
            .collect()
    };
    let mut resp = render(
        state,
        headers,
        Some(s),
        template,
        ctx! {
            nav => "products",
            p => p,
            texts => texts(&p),
            docs => docs,
            launches => launches,
            segment_names => segments,
            can_edit => s.actor.can(Permission::WriteProducts),
            errors => super::form_errors(upload_errors),
            saved => q.get("saved").is_some(),
        },
    );
    mark_invalid(&mut resp, upload_errors.is_some());
    Ok(resp)
}

async fn console_show(
    Page(state, headers, s): Page,
    Path(pid): Path<String>,
    q: Pairs,
) -> PageResult {
    show_page(
        &state,
        &headers,
        &s,
        id(&pid)?,
        "product/show.html",
        None,
        &q,
    )
    .await
}

async fn portal_show(
    Page(state, headers, s): Page,
    Path(pid): Path<String>,
    q: Pairs,
) -> PageResult {
    show_page(
        &state,
        &headers,
        &s,
        id(&pid)?,
        "portal/product.html",
        None,
        &q,
    )
    .await
}

/// A parameter row of the form.
#[derive(Serialize, Default)]
struct ParamRow {
    name: String,
    value: String,
    unit: String,
    kind: String,
}

/// The product form's values: a product's, or what was typed.
#[derive(Serialize, Default)]
struct FormValues {
    code: String,
    name_zh: String,
    name_en: String,
    category: String,
    status: String,
    features: String,
    advantages: String,
    usage: String,
    params: Vec<ParamRow>,
    kinds: Vec<String>,
    tiers: String,
    segments: Vec<String>,
    version: Option<i64>,
}

fn values_of(p: &Product) -> FormValues {
    FormValues {
        code: p.code.clone(),
        name_zh: p.name_zh.clone(),
        name_en: p.name_en.clone(),
        category: p.category.clone(),
        status: p.status.as_str().into(),
        features: p.features.clone(),
        advantages: p.advantages.clone(),
        usage: p.usage.clone(),
        params: p
            .parameters
            .iter()
            .map(|x| ParamRow {
                name: x.name.clone(),
                value: x.value.clone(),
                unit: x.unit.clone(),
                kind: x.kind.as_str().into(),
            })
            .collect(),
        kinds: p
            .visibility
            .kinds
            .iter()
            .map(|k| k.as_str().to_string())
            .collect(),
        tiers: p.visibility.tiers.join(", "),
        segments: p
            .visibility
            .segments
            .iter()
            .map(|s| s.to_string())
            .collect(),
        version: Some(p.version),
    }
}

/// Every value of `key` in order (repeated form fields), as typed.
fn all_of(form: &Pairs, key: &str) -> Vec<String> {
    form.0
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

fn values_from(form: &Pairs) -> FormValues {
    let names = all_of(form, "param_name");
    let vals = all_of(form, "param_value");
    let units = all_of(form, "param_unit");
    let kinds = all_of(form, "param_type");
    let at = |v: &Vec<String>, i: usize| v.get(i).cloned().unwrap_or_default();
    FormValues {
        code: form.text("code"),
        name_zh: form.text("name_zh"),
        name_en: form.text("name_en"),
        category: form.text("category"),
        status: form.text("status"),
        features: form.get("features").unwrap_or("").to_string(),
        advantages: form.get("advantages").unwrap_or("").to_string(),
        usage: form.get("usage").unwrap_or("").to_string(),
        params: (0..names.len())
            .map(|i| ParamRow {
                name: at(&names, i),
                value: at(&vals, i),
                unit: at(&units, i),
                kind: at(&kinds, i),
            })
            .filter(|r| !(r.name.trim().is_empty() && r.value.trim().is_empty()))
            .collect(),
        kinds: all_of(form, "vis_kind"),
        tiers: form.text("vis_tiers"),
        segments: all_of(form, "vis_segment"),
        version: form.get("version").and_then(|v| v.parse().ok()),
    }
}

/// The typed form as the service layer's input; what cannot be read (an unknown kind, a
/// segment that is not an id) is an error of its field.
fn input_of(v: &FormValues) -> Result<ProductInput, FieldErrors> {
    let mut e = FieldErrors::new();
    let mut kinds = Vec::new();
    for k in &v.kinds {
        if let Some(k) = e.take("visibility.kinds", PartnerKind::parse(k)) {
            kinds.push(k);
        }
    }
    let mut segments = Vec::new();
    for s in &v.segments {
        match Uuid::parse_str(s) {
            Ok(id) => segments.push(id),
            Err(_) => e.add(
                "visibility.segments",
                liaison_core::validate::Msg::new("validate.invalid"),
            ),
        }
    }
    let tiers = liaison_core::partner::split_list(&v.tiers);
    if !e.is_empty() {
        return Err(e);
    }
    Ok(ProductInput {
        code: Some(v.code.clone()),
        name_zh: Some(v.name_zh.clone()),
        name_en: Some(v.name_en.clone()),
        category: Some(v.category.clone()),
        status: Some(v.status.clone()),
        features: Some(v.features.clone()),
        advantages: Some(v.advantages.clone()),
        usage: Some(v.usage.clone()),
        parameters: Some(
            v.params
                .iter()
                .map(|r| ParamInput {
                    name: Some(r.name.clone()),
                    value: Some(serde_json::Value::String(r.value.clone())),
                    unit: Some(r.unit.clone()),
                    kind: Some(r.kind.clone()),
                })
                .collect(),
        ),
        visibility: Some(Visibility {
            kinds,
            tiers,
            segments,
        }),
    })
}

async fn form_page(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    s: &crate::auth::Session,
    product: Option<Uuid>,
    mut values: FormValues,
    errors: Option<&FieldErrors>,
) -> PageResult {
    s.require(Permission::WriteProducts)?;
    for _ in 0..3 {
        values.params.push(ParamRow {
            kind: "number".into(),
            ..Default::default()
        });
    }
    let segments = liaison_app::segment::list(&state.db, &s.actor).await?;
    let mut resp = render(
        state,
        headers,
        Some(s),
        "product/form.html",
        ctx! {
            nav => "products",
            product_id => product,
            f => values,
            statuses => ProductStatus::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            param_types => ParamType::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            partner_kinds => PartnerKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            segments => segments,
            errors => super::form_errors(errors),
        },
    );
    mark_invalid(&mut resp, errors.is_some());
    Ok(resp)
}

async fn new_form(Page(state, headers, s): Page) -> PageResult {
    let values = FormValues {
        status: "planned".into(),
        ..Default::default()
    };
    form_page(&state, &headers, &s, None, values, None).await
}

async fn create(PageForm(state, headers, s, form): PageForm) -> PageResult {
    let values = values_from(&form);
    let result = match input_of(&values) {
        Ok(input) => app::create(&state.db, &s.actor, &input).await,
        Err(e) => Err(liaison_app::Error::Invalid(e)),
    };
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/console/products/{}?saved=1", p.id)).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            form_page(&state, &headers, &s, None, values, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn edit_form(Page(state, headers, s): Page, Path(pid): Path<String>) -> PageResult {
    let p = app::show(&state.db, &s.actor, id(&pid)?).await?;
    form_page(&state, &headers, &s, Some(p.id), values_of(&p), None).await
}

async fn edit(Path(pid): Path<String>, PageForm(state, headers, s, form): PageForm) -> PageResult {
    let pid: Uuid = id(&pid)?;
    let values = values_from(&form);
    let result = match input_of(&values) {
        Ok(input) => app::update(&state.db, &s.actor, pid, &input, values.version).await,
        Err(e) => Err(liaison_app::Error::Invalid(e)),
    };
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/console/products/{}?saved=1", p.id)).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            form_page(&state, &headers, &s, Some(pid), values, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Files a datasheet or manual (a multipart form, CSRF checked).
async fn upload(
    Page(state, headers, s): Page,
    Path(pid): Path<String>,
    mut mp: Multipart,
) -> PageResult {
    let pid: Uuid = id(&pid)?;
    let (mut csrf, mut name, mut file) = (String::new(), String::new(), Vec::new());
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("the upload could not be read: {e}")))?
    {
        match field.name().unwrap_or("") {
            "file" => {
                name = field.file_name().unwrap_or("").to_string();
                file = field
                    .bytes()
                    .await
                    .map_err(|e| {
                        AppError::BadRequest(format!("the upload could not be read: {e}"))
                    })?
                    .to_vec();
            }
            "_csrf" => csrf = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    s.check_csrf(&csrf)?;
    match app::attach(&state.db, &s.actor, pid, &name, &file).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/console/products/{pid}?saved=1#documents")).into_response())
        }
        Err(liaison_app::Error::Invalid(e)) => {
            show_page(
                &state,
                &headers,
                &s,
                pid,
                "product/show.html",
                Some(&e),
                &Pairs(Vec::new()),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn document(Page(state, _, s): Page, Path((pid, did)): Path<(String, String)>) -> PageResult {
    let (d, bytes) = app::document(&state.db, &s.actor, id(&pid)?, id(&did)?).await?;
    Ok(crate::respond::named_file(
        &d.filename,
        &d.content_type,
        bytes,
    ))
}
