//! The users page (SPEC A3; admins): company staff and partner users, their roles and departments.

use super::PageResult;
use super::ctx;
use super::{Page, PageForm};
use super::{form_errors, mark_invalid, render};
use crate::AppState;
use crate::auth::Session;
use axum::Router;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use liaison_core::{FieldErrors, Permission};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/users", get(users).post(create_user))
}

async fn users_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    form: Option<&HashMap<String, String>>,
    errors: Option<&FieldErrors>,
) -> PageResult {
    s.require(Permission::AdminUsers)?;
    let users = liaison_db::user::list_users(&state.db).await?;
    let departments = liaison_db::user::list_departments(&state.db).await?;
    let mut r = render(
        state,
        headers,
        Some(s),
        "user/list.html",
        ctx! {
            nav => "users", users => users, departments => departments,
            roles => liaison_core::Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            form => form,
            errors => form_errors(errors),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

async fn users(Page(state, headers, s): Page) -> PageResult {
    users_page(&state, &headers, &s, None, None).await
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
    match liaison_db::user::insert_user(&state.db, Some(s.user.id), &input).await {
        Ok(_) => Ok(Redirect::to("/console/users").into_response()),
        Err(liaison_db::DbError::Invalid(e)) => {
            users_page(&state, &headers, &s, Some(&map), Some(&e)).await
        }
        Err(liaison_db::DbError::Conflict(m)) => {
            users_page(
                &state,
                &headers,
                &s,
                Some(&map),
                Some(&FieldErrors::single("email", m)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
