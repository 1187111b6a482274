//! Admin-edited settings: the review pre-check's terms and notice period (§4.2.1, §3.1.2) and the
//! delivery engine's reminder lead time and attempts (§4.4.1).

use crate::AppResult;
use crate::auth::Api;
use crate::extract::ApiJson;
use axum::Json;
use liaison_core::Permission;
use liaison_db::delivery::{DeliverySettings, DeliverySettingsPatch};

/// The review settings (§4.2.1 sensitive terms, §3.1.2 notice days): company users read them.
pub async fn review_settings(
    Api(state, s): Api,
) -> AppResult<Json<liaison_db::settings::ReviewSettingsView>> {
    Ok(Json(
        liaison_app::settings::review(&state.db, &s.actor).await?,
    ))
}

/// Admins change them (as the console's review settings page does).
pub async fn update_review_settings(
    Api(state, s): Api,
    ApiJson(body): ApiJson<liaison_db::settings::ReviewSettingsPatch>,
) -> AppResult<Json<liaison_db::settings::ReviewSettingsView>> {
    Ok(Json(
        liaison_app::settings::update_review(&state.db, &s.actor, &body).await?,
    ))
}

pub async fn settings(Api(state, s): Api) -> AppResult<Json<DeliverySettings>> {
    s.require(Permission::ReadDirectory)?;
    Ok(Json(liaison_db::delivery::settings(&state.db).await?))
}

pub async fn update_settings(
    Api(state, s): Api,
    ApiJson(body): ApiJson<DeliverySettingsPatch>,
) -> AppResult<Json<DeliverySettings>> {
    s.require(Permission::AdminUsers)?;
    Ok(Json(
        liaison_db::delivery::update_settings(&state.db, s.user.id, &body).await?,
    ))
}
