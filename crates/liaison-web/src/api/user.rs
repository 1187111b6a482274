//! Login, the current user, users and departments (SPEC A3, G8).

use crate::auth::Api;
use crate::auth::{self, ApiUser, ClientAddr};
use crate::extract::ApiJson;
use crate::respond::created_at;
use crate::{AppResult, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use liaison_core::Permission;
use liaison_db::user::{self as repo, SessionKind, UserInput};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    /// The second factor (§7.2.3): a 6-digit code from the authenticator app, or a recovery
    /// code; needed when the account has one.
    #[serde(default)]
    pub totp: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    auth::RequestOrigin(from): auth::RequestOrigin,
    ApiJson(body): ApiJson<LoginBody>,
) -> AppResult<Json<serde_json::Value>> {
    let mut e = liaison_core::FieldErrors::new();
    if body.email.trim().is_empty() {
        e.required("email");
    }
    if body.password.is_empty() {
        e.required("password");
    }
    if !e.is_empty() {
        return Err(e.into());
    }
    let (token, user) = auth::login(
        &state,
        &body.email,
        &body.password,
        body.totp.as_deref(),
        &client,
        &from,
        SessionKind::Api,
    )
    .await?;
    Ok(Json(json!({"token": token, "user": user})))
}

pub async fn logout(State(state): State<AppState>, ApiUser(s): ApiUser) -> AppResult<StatusCode> {
    repo::revoke_session(&state.db, s.id, s.user.id).await?;
    state.sessions.forget_user(s.user.id);
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(ApiUser(s): ApiUser) -> Json<serde_json::Value> {
    let perms: Vec<_> = [
        Permission::ReadPartners,
        Permission::WritePartners,
        Permission::ImportPartners,
        Permission::ExportPartners,
        Permission::ReadSegments,
        Permission::WriteSegments,
        Permission::ReadDirectory,
        Permission::AdminUsers,
        Permission::ReadAudit,
        Permission::UseConsole,
        Permission::UsePortal,
        Permission::CreateRequests,
        Permission::ReadAllRequests,
        Permission::UseInbox,
        Permission::ReadAllThreads,
    ]
    .into_iter()
    .filter(|p| s.actor.can(*p))
    .collect();
    Json(json!({"user": s.user, "permissions": perms}))
}

/// The caller's own language and time zone (issue 9: one language, one clock).
pub async fn update_me(
    Api(state, s): Api,
    ApiJson(body): ApiJson<liaison_db::user::UserSettings>,
) -> AppResult<Json<liaison_db::user::User>> {
    let u = repo::update_user_settings(&state.db, s.user.id, &body).await?;
    // The cached session holds the old settings.
    state.sessions.forget_user(s.user.id);
    Ok(Json(u))
}

pub async fn list(Api(state, s): Api) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ReadDirectory)?;
    let users = repo::list_users(&state.db).await?;
    Ok(Json(json!({"items": users, "next_cursor": null})))
}

pub async fn create(Api(state, s): Api, ApiJson(body): ApiJson<UserInput>) -> AppResult<Response> {
    s.require(Permission::AdminUsers)?;
    let u = repo::insert_user(&state.db, Some(s.user.id), &body).await?;
    Ok(created_at(format!("/api/v1/users/{}", u.id), json!(u)))
}

/// Changes a user (admins); deactivating or a new password ends their sessions at once.
pub async fn update(
    Api(state, s): Api,
    Path(uid): Path<String>,
    ApiJson(body): ApiJson<liaison_app::user::UserPatch>,
) -> AppResult<Json<repo::User>> {
    let id = crate::extract::id(&uid)?;
    let u = liaison_app::user::update(&state.db, &s.actor, id, &body).await?;
    // Cached sessions hold the old roles, or outlive a deactivation.
    state.sessions.forget_user(id);
    Ok(Json(u))
}

pub async fn departments(Api(state, s): Api) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ReadDirectory)?;
    Ok(Json(
        json!({"items": repo::list_departments(&state.db).await?, "next_cursor": null}),
    ))
}

#[derive(Debug, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct DepartmentInput {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub head: Option<String>,
}

pub async fn create_department(
    Api(state, s): Api,
    ApiJson(body): ApiJson<DepartmentInput>,
) -> AppResult<Response> {
    s.require(Permission::AdminUsers)?;
    // Resolve the head first; the department and its head are written in one transaction.
    let head = match body
        .head
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty())
    {
        Some(h) => {
            let users = repo::list_users(&state.db).await?;
            match users
                .iter()
                .find(|u| u.email.eq_ignore_ascii_case(h) || u.id.to_string() == h)
            {
                Some(u) if !u.roles.is_partner() => Some(u.id),
                _ => {
                    return Err(crate::AppError::invalid(
                        "head",
                        liaison_core::validate::Msg::new("validate.no_company_user")
                            .arg("value", h),
                    ));
                }
            }
        }
        None => None,
    };
    let d = repo::insert_department(
        &state.db,
        Some(s.user.id),
        &body.code,
        &body.name,
        body.name_en.as_deref(),
        head,
    )
    .await?;
    Ok(created_at(
        format!("/api/v1/departments/{}", d.id),
        json!(d),
    ))
}

/// Renames a department or changes its head (admins).
pub async fn update_department(
    Api(state, s): Api,
    Path(did): Path<String>,
    ApiJson(body): ApiJson<liaison_app::user::DepartmentPatch>,
) -> AppResult<Json<repo::Department>> {
    let id = crate::extract::id(&did)?;
    Ok(Json(
        liaison_app::user::update_department(&state.db, &s.actor, id, &body).await?,
    ))
}
