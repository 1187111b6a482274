//! The integrations page (SPEC H3; admins): outbound event endpoints, background jobs with their
//! errors, and the delivery settings (§4.4.1).

use super::PageResult;
use super::{Page, PageForm};
use super::{ctx, form_errors, mark_invalid, render};
use crate::AppState;
use crate::auth::Session;
use crate::extract::Pairs;
use axum::Router;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use liaison_app::event::{EndpointBody, JOB_STATES, parse_endpoint, parse_job_state};
use liaison_core::validate::Msg;
use liaison_core::{FieldErrors, Permission};
use liaison_db::DbError;
use liaison_db::delivery::DeliverySettingsPatch;
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/integrations", get(integrations))
        .route("/console/integrations/endpoints", post(add_endpoint))
        .route(
            "/console/integrations/endpoints/{id}/delete",
            post(delete_endpoint),
        )
        .route("/console/integrations/jobs/{id}/retry", post(retry_job))
        .route("/console/integrations/settings", post(save_settings))
}

#[derive(Debug, Default, Serialize)]
struct EndpointForm {
    url: String,
    events: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
struct SettingsForm {
    remind_before_hours: String,
    max_attempts: String,
}

/// What the integrations page shows again after a refused form or action.
#[derive(Default)]
struct Refused<'a> {
    endpoint: Option<(&'a EndpointForm, &'a FieldErrors)>,
    settings: Option<(&'a SettingsForm, &'a FieldErrors)>,
    action: Option<&'a FieldErrors>,
}

const NOTICES: &[&str] = &[
    "endpoint_added",
    "endpoint_deleted",
    "job_queued",
    "settings_saved",
];

async fn integrations_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    p: &Pairs,
    refused: Refused<'_>,
) -> PageResult {
    s.require(Permission::ManageIntegrations)?;
    let job_state = parse_job_state(p.get("state"))?;
    let endpoints = liaison_db::events::list_endpoints(&state.db).await?;
    let jobs = liaison_db::job::list_jobs(&state.db, None, job_state, 100).await?;
    let settings = liaison_db::delivery::settings(&state.db).await?;
    let settings_form = match refused.settings {
        Some((f, _)) => {
            ctx! { remind_before_hours => f.remind_before_hours, max_attempts => f.max_attempts }
        }
        None => ctx! {
            remind_before_hours => settings.remind_before_hours.to_string(),
            max_attempts => settings.max_attempts.to_string(),
        },
    };
    let invalid =
        refused.endpoint.is_some() || refused.settings.is_some() || refused.action.is_some();
    let mut r = render(
        state,
        headers,
        Some(s),
        "delivery/integrations.html",
        ctx! {
            nav => "integrations",
            endpoints => endpoints,
            event_types => liaison_db::events::EVENT_TYPES,
            endpoint_form => refused.endpoint.map(|(f, _)| f),
            endpoint_errors => form_errors(refused.endpoint.map(|(_, e)| e)),
            jobs => jobs,
            job_state => job_state.unwrap_or(""),
            job_states => JOB_STATES,
            can_settings => s.actor.can(Permission::AdminUsers),
            settings_form => settings_form,
            settings_errors => form_errors(refused.settings.map(|(_, e)| e)),
            action_errors => form_errors(refused.action),
            notice => p.get("done").filter(|d| NOTICES.contains(d)),
        },
    );
    mark_invalid(&mut r, invalid);
    Ok(r)
}

async fn integrations(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    integrations_page(&state, &headers, &s, &p, Refused::default()).await
}

async fn add_endpoint(PageForm(state, headers, s, p): PageForm) -> PageResult {
    s.require(Permission::ManageIntegrations)?;
    let typed = EndpointForm {
        url: p.text("url"),
        events: p.all("events"),
    };
    let body = EndpointBody {
        url: Some(typed.url.clone()),
        secret: p.get("secret").map(str::to_string),
        events: typed.events.clone(),
    };
    match parse_endpoint(&body) {
        Ok(new) => {
            liaison_db::events::insert_endpoint(&state.db, s.user.id, &new).await?;
            Ok(Redirect::to("/console/integrations?done=endpoint_added#endpoints").into_response())
        }
        Err(e) => {
            let refused = Refused {
                endpoint: Some((&typed, &e)),
                ..Default::default()
            };
            integrations_page(&state, &headers, &s, &Pairs(Vec::new()), refused).await
        }
    }
}

async fn delete_endpoint(Path(id): Path<String>, PageForm(state, _, s, _): PageForm) -> PageResult {
    s.require(Permission::ManageIntegrations)?;
    liaison_db::events::delete_endpoint(&state.db, s.user.id, crate::extract::id(&id)?).await?;
    Ok(Redirect::to("/console/integrations?done=endpoint_deleted#endpoints").into_response())
}

/// Runs a dead job again from a fresh attempt count.
async fn retry_job(Path(id): Path<String>, PageForm(state, headers, s, p): PageForm) -> PageResult {
    s.require(Permission::ManageIntegrations)?;
    let n = liaison_db::job::retry_jobs(&state.db, &[crate::extract::id(&id)?]).await?;
    // Back to the list the button was pressed on.
    let filter = parse_job_state(p.get("state")).ok().flatten();
    if n == 0 {
        let e = FieldErrors::single("job", Msg::new("validate.job_not_dead"));
        let refused = Refused {
            action: Some(&e),
            ..Default::default()
        };
        let back = Pairs(
            filter
                .map(|f| ("state".to_string(), f.to_string()))
                .into_iter()
                .collect(),
        );
        return integrations_page(&state, &headers, &s, &back, refused).await;
    }
    let qs = filter.map(|f| format!("&state={f}")).unwrap_or_default();
    Ok(Redirect::to(&format!("/console/integrations?done=job_queued{qs}#jobs")).into_response())
}

/// The numbers the policy leaves open (§4.4.1): reminder lead time and attempts (admins).
async fn save_settings(PageForm(state, headers, s, p): PageForm) -> PageResult {
    s.require(Permission::AdminUsers)?;
    let typed = SettingsForm {
        remind_before_hours: p.text("remind_before_hours"),
        max_attempts: p.text("max_attempts"),
    };
    let mut e = FieldErrors::new();
    let mut number = |k: &str, v: &str| match v.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            e.add(k, Msg::new("validate.whole_number"));
            None
        }
    };
    let patch = DeliverySettingsPatch {
        remind_before_hours: number("remind_before_hours", &typed.remind_before_hours),
        max_attempts: number("max_attempts", &typed.max_attempts),
    };
    let result = if e.is_empty() {
        liaison_db::delivery::update_settings(&state.db, s.user.id, &patch).await
    } else {
        Err(DbError::Invalid(e))
    };
    match result {
        Ok(_) => {
            Ok(Redirect::to("/console/integrations?done=settings_saved#settings").into_response())
        }
        Err(DbError::Invalid(e)) => {
            let refused = Refused {
                settings: Some((&typed, &e)),
                ..Default::default()
            };
            integrations_page(&state, &headers, &s, &Pairs(Vec::new()), refused).await
        }
        Err(e) => Err(e.into()),
    }
}
