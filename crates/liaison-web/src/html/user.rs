//! The users page (SPEC A3; admins): company staff and partner users, their roles and
//! departments; a user's edit page (deactivating ends their sessions at once); each
//! department renamed and given a head in place.

use super::PageResult;
use super::ctx;
use super::{Page, PageForm};
use super::{form_errors, mark_invalid, render};
use crate::AppState;
use crate::auth::Session;
use crate::extract::{Pairs, id};
use axum::Router;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use liaison_app::user::{self as app, DepartmentPatch, UserPatch};
use liaison_core::{FieldErrors, Permission};
use std::collections::HashMap;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/users", get(users).post(create_user))
        .route("/console/users/{id}", get(edit).post(update))
        .route("/console/departments/{id}", post(update_department))
}

/// The users page; `extra` carries a form shown again with its errors (new user or one
/// department's), and `invalid` makes the answer a 422.
async fn users_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    extra: minijinja::Value,
    invalid: bool,
) -> PageResult {
    s.require(Permission::AdminUsers)?;
    let users = liaison_db::user::list_users(&state.db).await?;
    let departments = app::departments(&state.db, &s.actor).await?;
    let heads: Vec<_> = users
        .iter()
        .filter(|u| u.active && !u.roles.is_partner())
        .collect();
    let mut r = render(
        state,
        headers,
        Some(s),
        "user/list.html",
        minijinja::context! {
            ..extra,
            ..ctx! {
                nav => "users", users => &users, departments => departments, heads => heads,
                roles => liaison_core::Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            }
        },
    );
    mark_invalid(&mut r, invalid);
    Ok(r)
}

async fn users(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let extra = ctx! { dept_saved => p.get("department_saved").is_some() };
    users_page(&state, &headers, &s, extra, false).await
}

async fn create_user(PageForm(state, headers, s, p): PageForm) -> PageResult {
    s.require(Permission::AdminUsers)?;
    let input = liaison_db::user::UserInput {
        email: p.get("email").unwrap_or("").to_string(),
        name: p.get("name").unwrap_or("").to_string(),
        password: p.get("password").unwrap_or("").to_string(),
        roles: p.all("roles"),
        department: p.get("department").map(str::to_string),
        partner: p.get("partner").map(str::to_string),
        lang: None,
    };
    let map: HashMap<String, String> =
        p.0.iter()
            .filter(|(k, _)| k != "password")
            .cloned()
            .collect();
    let errors = match liaison_db::user::insert_user(&state.db, Some(s.user.id), &input).await {
        Ok(_) => return Ok(Redirect::to("/console/users").into_response()),
        Err(liaison_db::DbError::Invalid(e)) => e,
        Err(liaison_db::DbError::Conflict(m)) => FieldErrors::single("email", m),
        Err(e) => return Err(e.into()),
    };
    let extra = ctx! { form => map, errors => form_errors(Some(&errors)) };
    users_page(&state, &headers, &s, extra, true).await
}

/// A user's fields as the edit form shows them: as stored, or as typed when shown again.
#[derive(serde::Serialize)]
struct UserForm {
    name: String,
    email: String,
    roles: Vec<String>,
    department: String,
    partner: String,
    lang: String,
    active: bool,
}

async fn edit_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    user: Uuid,
    form: Option<UserForm>,
    errors: Option<&FieldErrors>,
) -> PageResult {
    let u = app::show(&state.db, &s.actor, user).await?;
    let form = match form {
        Some(f) => f,
        None => {
            let partner = match u.partner_id {
                Some(p) => liaison_app::partner::show(&state.db, &s.actor, p.into())
                    .await
                    .map(|p| p.code.to_string())
                    .unwrap_or_else(|_| p.to_string()),
                None => String::new(),
            };
            UserForm {
                name: u.name.clone(),
                email: u.email.clone(),
                roles: u.roles.iter().map(|r| r.as_str().to_string()).collect(),
                department: u.department_id.map(|d| d.to_string()).unwrap_or_default(),
                partner,
                lang: u.lang.clone().unwrap_or_default(),
                active: u.active,
            }
        }
    };
    let departments = app::departments(&state.db, &s.actor).await?;
    let mut r = render(
        state,
        headers,
        Some(s),
        "user/edit.html",
        ctx! {
            nav => "users", u => u, f => form, departments => departments,
            roles => liaison_core::Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            errors => form_errors(errors),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

async fn edit(Path(uid): Path<String>, Page(state, headers, s): Page) -> PageResult {
    edit_page(&state, &headers, &s, id(&uid)?, None, None).await
}

async fn update(Path(uid): Path<String>, PageForm(state, headers, s, p): PageForm) -> PageResult {
    let user = id(&uid)?;
    let form = UserForm {
        name: p.text("name"),
        email: p.text("email"),
        roles: p.all("roles"),
        department: p.text("department"),
        partner: p.text("partner"),
        lang: p.text("lang"),
        active: p.get("active").is_some(),
    };
    let patch = UserPatch {
        email: Some(form.email.clone()),
        name: Some(form.name.clone()),
        password: Some(p.get("password").unwrap_or("").to_string()),
        roles: Some(form.roles.clone()),
        department: Some(form.department.clone()),
        partner: Some(form.partner.clone()),
        lang: Some(form.lang.clone()),
        active: Some(form.active),
    };
    let errors = match app::update(&state.db, &s.actor, user, &patch).await {
        Ok(_) => {
            // Cached sessions hold the old roles, or outlive a deactivation.
            state.sessions.forget_user(user);
            return Ok(Redirect::to("/console/users").into_response());
        }
        Err(liaison_app::Error::Invalid(e)) => e,
        Err(liaison_app::Error::Conflict(m)) => FieldErrors::single("email", m),
        Err(e) => return Err(e.into()),
    };
    edit_page(&state, &headers, &s, user, Some(form), Some(&errors)).await
}

async fn update_department(
    Path(did): Path<String>,
    PageForm(state, headers, s, p): PageForm,
) -> PageResult {
    let dept: Uuid = id(&did)?;
    let patch = DepartmentPatch {
        name: Some(p.text("name")),
        name_en: Some(p.text("name_en")),
        head: Some(p.text("head")),
    };
    match app::update_department(&state.db, &s.actor, dept, &patch).await {
        Ok(d) => Ok(Redirect::to(&format!(
            "/console/users?department_saved=1#dept-{}",
            d.code
        ))
        .into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            let extra = ctx! {
                dept_id => dept.to_string(),
                dept_form => ctx! { name => p.text("name"), name_en => p.text("name_en"), head => p.text("head") },
                dept_errors => form_errors(Some(&e)),
            };
            users_page(&state, &headers, &s, extra, true).await
        }
        Err(e) => Err(e.into()),
    }
}
