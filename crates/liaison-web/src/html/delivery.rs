//! Console pages of the delivery engine (policy §2.1.2, §5.3.2; SPEC B9, H3): a partner's IM
//! robots (forms on the partner page), the working-hours calendar, and the integrations page
//! (outbound event endpoints, background jobs, delivery settings). Input is parsed by the same
//! functions as the JSON API (`liaison_app::robot`, `event`, `calendar`), so a form and an API call agree.

use super::console::{PartnerForms, Retyped, page, partner_page};
use super::{Page, PageForm};
use super::{china, ctx, form_errors, mark_invalid, render};
use crate::auth::Session;
use crate::extract::Pairs;
use crate::{AppError, AppResult, AppState};
use axum::Router;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Datelike;
use liaison_app::calendar::{parse_date, parse_year};
use liaison_app::event::{EndpointBody, JOB_STATES, parse_endpoint, parse_job_state};
use liaison_app::robot::{RobotBody, parse_robot};
use liaison_core::calendar::DayKind;
use liaison_core::{FieldErrors, Permission};
use liaison_db::DbError;
use liaison_db::delivery::DeliverySettingsPatch;
use serde::Serialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/partners/{id}/robots", post(add_robot))
        .route(
            "/console/partners/{id}/robots/{rid}/delete",
            post(delete_robot),
        )
        .route("/console/calendar", get(calendar).post(save_day))
        .route("/console/calendar/{date}/delete", post(delete_day))
        .route("/console/integrations", get(integrations))
        .route("/console/integrations/endpoints", post(add_endpoint))
        .route(
            "/console/integrations/endpoints/{id}/delete",
            post(delete_endpoint),
        )
        .route("/console/integrations/jobs/{id}/retry", post(retry_job))
        .route("/console/integrations/settings", post(save_settings))
}

fn uuid(v: &str) -> AppResult<Uuid> {
    Uuid::parse_str(v).map_err(|_| AppError::NotFound)
}

fn field(p: &Pairs, k: &str) -> String {
    p.get(k).unwrap_or("").trim().to_string()
}

// ---------------------------------------------------------------------------------------------
// IM robots of a partner (§2.1.2)

/// The robot form as typed, shown again with its errors. The secret is never echoed.
#[derive(Debug, Default, Serialize)]
pub(super) struct RobotForm {
    kind: String,
    url: String,
    label: String,
    /// `group` or a contact id.
    contact: String,
}

async fn add_robot(
    Path(id): Path<String>,
    PageForm {
        state,
        headers,
        s,
        form,
    }: PageForm,
) -> Response {
    page(&state, &headers, &s, async {
        let p = form;
        let id = uuid(&id)?;
        let partner = liaison_db::partner::find_partner(&state.db, s.actor.scope(), id).await?;
        s.require(Permission::WritePartners)?;
        let typed = RobotForm {
            kind: field(&p, "kind"),
            url: field(&p, "url"),
            label: field(&p, "label"),
            contact: field(&p, "contact"),
        };
        let mut errors = FieldErrors::new();
        let contact_id = match typed.contact.as_str() {
            "" | "group" => None,
            c => match Uuid::parse_str(c) {
                Ok(c) => Some(c),
                Err(_) => {
                    errors.add(
                        "contact_id",
                        "choose the group or one of the partner's contacts",
                    );
                    None
                }
            },
        };
        let body = RobotBody {
            kind: Some(typed.kind.clone()),
            url: Some(typed.url.clone()),
            secret: p.get("secret").map(str::to_string),
            label: Some(typed.label.clone()),
            contact_id,
        };
        let saved = match parse_robot(&body) {
            Ok(new) if errors.is_empty() => {
                liaison_db::robot::insert_robot(&state.db, s.user.id, id, &new).await
            }
            Ok(_) => Err(DbError::Invalid(errors)),
            Err(mut e) => {
                e.0.extend(errors.0);
                Err(DbError::Invalid(e))
            }
        };
        match saved {
            Ok(_) => Ok(Redirect::to(&format!("/console/partners/{id}#robots")).into_response()),
            Err(DbError::Invalid(e)) => {
                let forms = PartnerForms {
                    robot: Some(Retyped {
                        input: &typed,
                        errors: &e,
                    }),
                    ..Default::default()
                };
                partner_page(&state, &headers, &s, &partner, forms).await
            }
            Err(e) => Err(e.into()),
        }
    })
    .await
}

async fn delete_robot(
    Path((id, rid)): Path<(String, String)>,
    PageForm {
        state,
        headers,
        s,
        form: _,
    }: PageForm,
) -> Response {
    page(&state, &headers, &s, async {
        let (id, rid) = (uuid(&id)?, uuid(&rid)?);
        liaison_db::partner::find_partner(&state.db, s.actor.scope(), id).await?;
        s.require(Permission::WritePartners)?;
        liaison_db::robot::delete_robot(&state.db, s.user.id, id, rid).await?;
        Ok(Redirect::to(&format!("/console/partners/{id}#robots")).into_response())
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// The working-hours calendar (§5.3.2)

/// The day form as typed (or as stored, when a row's "change" link opened it).
#[derive(Debug, Default, Serialize)]
struct DayForm {
    date: String,
    kind: String,
    name: String,
}

/// One row of the year's table.
#[derive(Debug, Serialize)]
struct DayRow {
    date: String,
    /// 1 = Monday … 7 = Sunday.
    weekday: u32,
    kind: &'static str,
    name: String,
    /// Shipped 2027 entries are named `…（暂定）` until the official notice.
    provisional: bool,
}

/// The calendar's year from `?year=`, else the current year in China.
fn year_of(state: &AppState, p: &Pairs) -> AppResult<i32> {
    Ok(parse_year(p.get("year"))?.unwrap_or_else(|| state.db.now().with_timezone(&china()).year()))
}

async fn calendar_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    year: i32,
    p: &Pairs,
    retyped: Option<(&DayForm, &FieldErrors)>,
) -> AppResult<Response> {
    s.require(Permission::ReadDirectory)?;
    let can_edit = s.actor.can(Permission::ManageCalendar);
    let days = liaison_db::calendar::list_days(&state.db, Some(year)).await?;
    let rows: Vec<DayRow> = days
        .into_iter()
        .map(|d| DayRow {
            date: d.date.format("%Y-%m-%d").to_string(),
            weekday: d.date.weekday().number_from_monday(),
            kind: d.kind.as_str(),
            provisional: d.name.contains("暂定"),
            name: d.name,
        })
        .collect();
    // A row's "change" link fills the form with what the calendar says about that date.
    let form = match (retyped, p.get("edit")) {
        (Some((f, _)), _) => Some(ctx! { date => f.date, kind => f.kind, name => f.name }),
        (None, Some(d)) if can_edit => rows
            .iter()
            .find(|r| r.date == d)
            .map(|r| ctx! { date => r.date, kind => r.kind, name => r.name }),
        _ => None,
    };
    let holidays = rows.iter().filter(|r| r.kind == "holiday").count();
    let mut r = render(
        state,
        headers,
        Some(s),
        "delivery/calendar.html",
        ctx! {
            nav => "calendar",
            year => year,
            days => rows,
            holidays => holidays,
            kinds => DayKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            can_edit => can_edit,
            form => form,
            errors => form_errors(retyped.map(|(_, e)| e)),
            saved => p.get("saved").filter(|v| v.len() <= 10),
            deleted => p.get("deleted").filter(|v| v.len() <= 10),
        },
    );
    mark_invalid(&mut r, retyped.is_some());
    Ok(r)
}

async fn calendar(Page { state, headers, s }: Page, p: Pairs) -> Response {
    page(&state, &headers, &s, async {
        s.require(Permission::ReadDirectory)?;
        let year = year_of(&state, &p)?;
        calendar_page(&state, &headers, &s, year, &p, None).await
    })
    .await
}

/// Adds a date or changes what the calendar says about it.
async fn save_day(
    PageForm {
        state,
        headers,
        s,
        form,
    }: PageForm,
) -> Response {
    page(&state, &headers, &s, async {
        let p = form;
        s.require(Permission::ManageCalendar)?;
        let typed = DayForm {
            date: field(&p, "date"),
            kind: field(&p, "kind"),
            name: field(&p, "name"),
        };
        match liaison_db::calendar::parse_day(&typed.date, &typed.kind, &typed.name) {
            Ok(day) => {
                liaison_db::calendar::upsert_day(&state.db, s.user.id, &day).await?;
                let date = day.date.format("%Y-%m-%d");
                Ok(Redirect::to(&format!(
                    "/console/calendar?year={}&saved={date}#day-{date}",
                    day.date.year()
                ))
                .into_response())
            }
            Err(e) => {
                // The year the date was meant for, when it can be told.
                let year = typed
                    .date
                    .get(..4)
                    .and_then(|y| parse_year(Some(y)).ok().flatten())
                    .unwrap_or_else(|| state.db.now().with_timezone(&china()).year());
                let none = Pairs(Vec::new());
                calendar_page(&state, &headers, &s, year, &none, Some((&typed, &e))).await
            }
        }
    })
    .await
}

/// The date becomes an ordinary day again.
async fn delete_day(
    Path(date): Path<String>,
    PageForm {
        state,
        headers,
        s,
        form: _,
    }: PageForm,
) -> Response {
    page(&state, &headers, &s, async {
        s.require(Permission::ManageCalendar)?;
        let d = parse_date(&date)?;
        liaison_db::calendar::delete_day(&state.db, s.user.id, d).await?;
        Ok(Redirect::to(&format!(
            "/console/calendar?year={}&deleted={}",
            d.year(),
            d.format("%Y-%m-%d")
        ))
        .into_response())
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Integrations: outbound event endpoints, background jobs, delivery settings (SPEC H3)

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
) -> AppResult<Response> {
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

async fn integrations(Page { state, headers, s }: Page, p: Pairs) -> Response {
    page(&state, &headers, &s, async {
        integrations_page(&state, &headers, &s, &p, Refused::default()).await
    })
    .await
}

async fn add_endpoint(
    PageForm {
        state,
        headers,
        s,
        form,
    }: PageForm,
) -> Response {
    page(&state, &headers, &s, async {
        let p = form;
        s.require(Permission::ManageIntegrations)?;
        let typed = EndpointForm {
            url: field(&p, "url"),
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
                Ok(
                    Redirect::to("/console/integrations?done=endpoint_added#endpoints")
                        .into_response(),
                )
            }
            Err(e) => {
                let refused = Refused {
                    endpoint: Some((&typed, &e)),
                    ..Default::default()
                };
                integrations_page(&state, &headers, &s, &Pairs(Vec::new()), refused).await
            }
        }
    })
    .await
}

async fn delete_endpoint(
    Path(id): Path<String>,
    PageForm {
        state,
        headers,
        s,
        form: _,
    }: PageForm,
) -> Response {
    page(&state, &headers, &s, async {
        s.require(Permission::ManageIntegrations)?;
        liaison_db::events::delete_endpoint(&state.db, s.user.id, uuid(&id)?).await?;
        Ok(Redirect::to("/console/integrations?done=endpoint_deleted#endpoints").into_response())
    })
    .await
}

/// Runs a dead job again from a fresh attempt count.
async fn retry_job(
    Path(id): Path<String>,
    PageForm {
        state,
        headers,
        s,
        form,
    }: PageForm,
) -> Response {
    page(&state, &headers, &s, async {
        let p = form;
        s.require(Permission::ManageIntegrations)?;
        let n = liaison_db::job::retry_jobs(&state.db, &[uuid(&id)?]).await?;
        // Back to the list the button was pressed on.
        let filter = parse_job_state(p.get("state")).ok().flatten();
        if n == 0 {
            let e = FieldErrors::single("job", "only a dead job can be run again");
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
        Ok(
            Redirect::to(&format!("/console/integrations?done=job_queued{qs}#jobs"))
                .into_response(),
        )
    })
    .await
}

/// The numbers the policy leaves open (§4.4.1): reminder lead time and attempts (admins).
async fn save_settings(
    PageForm {
        state,
        headers,
        s,
        form,
    }: PageForm,
) -> Response {
    page(&state, &headers, &s, async {
        let p = form;
        s.require(Permission::AdminUsers)?;
        let typed = SettingsForm {
            remind_before_hours: field(&p, "remind_before_hours"),
            max_attempts: field(&p, "max_attempts"),
        };
        let mut e = FieldErrors::new();
        let mut number = |k: &str, v: &str| match v.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                e.add(k, "must be a whole number");
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
            Ok(_) => Ok(
                Redirect::to("/console/integrations?done=settings_saved#settings").into_response(),
            ),
            Err(DbError::Invalid(e)) => {
                let refused = Refused {
                    settings: Some((&typed, &e)),
                    ..Default::default()
                };
                integrations_page(&state, &headers, &s, &Pairs(Vec::new()), refused).await
            }
            Err(e) => Err(e.into()),
        }
    })
    .await
}
