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
    s.require(Permission::ReadDirectory)?;
    let r = liaison_db::settings::review(&state.db).await?;
    Ok(Json(liaison_db::settings::ReviewSettingsView {
        policy_notice_days: r.policy_notice_days,
        sensitive_terms: r.sensitive_terms,
        need_all_steps: r
            .need_all_steps
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
    }))
}

/// Admins change them.
pub async fn update_review_settings(
    Api(state, s): Api,
    ApiJson(body): ApiJson<liaison_db::settings::ReviewSettingsPatch>,
) -> AppResult<Json<liaison_db::settings::ReviewSettingsView>> {
    s.require(Permission::AdminUsers)?;
    Ok(Json(
        liaison_db::settings::update_review(&state.db, s.user.id, &body).await?,
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
