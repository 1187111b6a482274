//! One's own account security (policy §7.2.3, SPEC G8): the second factor (`/api/v1/me/totp`),
//! one's sessions (`/api/v1/me/sessions`) and the admin's setting of how the second factor is
//! required of admins and executives (`/api/v1/security-settings`).

use crate::AppResult;
use crate::auth::Api;
use crate::extract::ApiJson;
use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use liaison_app::account as app;
use liaison_db::settings::SecuritySettings;
use serde::Deserialize;
use serde_json::{Value, json};

/// Where the caller's second factor stands.
pub async fn totp_status(Api(state, s): Api) -> AppResult<Json<app::TotpStatus>> {
    Ok(Json(app::status(&state.db, &s.actor).await?))
}

/// Starts (or starts again) an enrolment: the secret and the `otpauth://` address; nothing is in
/// force until it is confirmed with a code.
pub async fn start_totp(Api(state, s): Api) -> AppResult<Json<app::Enrolment>> {
    Ok(Json(
        app::start_totp(&state.db, &s.actor, &s.user.email).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    #[serde(default)]
    pub code: String,
}

/// Confirms the enrolment with a code from the app: it takes effect, and the answer holds the
/// recovery codes, this once.
pub async fn confirm_totp(
    Api(state, s): Api,
    ApiJson(body): ApiJson<ConfirmBody>,
) -> AppResult<Json<Value>> {
    let codes = app::confirm_totp(&state.db, &s.actor, &body.code).await?;
    // A session held to enrol (enforce) is free from now on.
    state.sessions.forget_user(s.user.id);
    Ok(Json(json!({"enrolled": true, "recovery_codes": codes})))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DisableBody {
    /// A current code from the app, or an unused recovery code.
    pub code: Option<String>,
    /// Or the account's password.
    pub password: Option<String>,
}

/// Turns the second factor off: with one in force, a current code, a recovery code or the
/// password proves it is the owner (a wrong one is a 422 and counts as a failed login).
pub async fn disable_totp(
    Api(state, s): Api,
    crate::auth::ClientAddr(client): crate::auth::ClientAddr,
    ApiJson(body): ApiJson<DisableBody>,
) -> AppResult<StatusCode> {
    state
        .login_limiter
        .check(&s.user.email, &client)
        .map_err(crate::AppError::RateLimited)?;
    let proof = match (body.code.as_deref(), body.password.as_deref()) {
        (Some(c), _) if !c.trim().is_empty() => Some(app::Proof::Code(c)),
        (_, Some(p)) if !p.is_empty() => Some(app::Proof::Password(p)),
        _ => None,
    };
    match app::disable_totp(&state.db, &s.actor, &s.user.email, proof).await {
        Ok(()) => {}
        Err(e @ liaison_app::Error::Invalid(_)) if proof.is_some() => {
            state.login_limiter.fail(&s.user.email, &client);
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    }
    state.sessions.forget_user(s.user.id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    pub current: String,
    pub new: String,
}

/// Self-service password change (§7.2.3): every other session of the caller ends; a wrong
/// current password is a 422 on `current` and counts as a failed login.
pub async fn change_password(
    Api(state, s): Api,
    crate::auth::ClientAddr(client): crate::auth::ClientAddr,
    ApiJson(body): ApiJson<PasswordBody>,
) -> AppResult<Json<Value>> {
    state
        .login_limiter
        .check(&s.user.email, &client)
        .map_err(crate::AppError::RateLimited)?;
    match app::change_password(
        &state.db,
        &s.actor,
        &s.user.email,
        &body.current,
        &body.new,
        s.id,
    )
    .await
    {
        Ok(n) => {
            state.sessions.forget_user(s.user.id);
            Ok(Json(json!({"changed": true, "sessions_ended": n})))
        }
        Err(liaison_app::Error::Invalid(e)) => {
            if e.get("current").is_some() {
                state.login_limiter.fail(&s.user.email, &client);
            }
            Err(liaison_app::Error::Invalid(e).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// The caller's live sessions, the current one marked.
pub async fn sessions(Api(state, s): Api) -> AppResult<Json<Value>> {
    let items = app::sessions(&state.db, &s.actor, s.id).await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

/// "Log out everywhere else": every other session of the caller ends at once.
pub async fn revoke_other_sessions(Api(state, s): Api) -> AppResult<Json<Value>> {
    let n = app::revoke_other_sessions(&state.db, &s.actor, s.id).await?;
    state.sessions.forget_user(s.user.id);
    Ok(Json(json!({"revoked": n})))
}

/// Ends one of the caller's sessions (another person's is 404).
pub async fn revoke_session(Api(state, s): Api, Path(sid): Path<String>) -> AppResult<StatusCode> {
    let id = crate::extract::id(&sid)?;
    app::revoke_session(&state.db, &s.actor, id).await?;
    state.sessions.forget_user(s.user.id);
    Ok(StatusCode::NO_CONTENT)
}

/// How the second factor is required of admins and executives: company users read it.
pub async fn settings(Api(state, s): Api) -> AppResult<Json<SecuritySettings>> {
    Ok(Json(app::settings(&state.db, &s.actor).await?))
}

/// Admins change it; every cached session reads it again.
pub async fn update_settings(
    Api(state, s): Api,
    ApiJson(body): ApiJson<SecuritySettings>,
) -> AppResult<Json<SecuritySettings>> {
    let saved = app::update_settings(&state.db, &s.actor, &body).await?;
    state.sessions.forget_all();
    Ok(Json(saved))
}
