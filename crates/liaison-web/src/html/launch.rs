//! The launch calendar's pages (policy §3.2.2): a month of launches in the console (with the
//! notice date and the drafted announcement, and a form to plan one) and in the portal (the
//! partner's products only); a phone shows the month as a list.

use super::{Page, PageForm, PageResult, ctx, mark_invalid, render};
use crate::extract::Pairs;
use crate::{AppError, AppState};
use axum::Router;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use chrono::{Datelike, Duration, NaiveDate};
use liaison_app::launch as app;
use liaison_core::{FieldErrors, Permission};
use liaison_db::launch::{Launch, LaunchInput};
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/launches", get(console).post(create))
        .route("/portal/launches", get(portal))
}

#[derive(Serialize)]
struct Cell {
    day: u32,
    date: String,
    in_month: bool,
    today: bool,
    launches: Vec<Launch>,
}

/// The month asked for (`month=2027-03`), else the current one in the company's zone.
fn month_of(state: &AppState, p: &Pairs) -> Result<NaiveDate, AppError> {
    match p.get("month").filter(|m| !m.trim().is_empty()) {
        Some(m) => {
            NaiveDate::parse_from_str(&format!("{}-01", m.trim()), "%Y-%m-%d").map_err(|_| {
                AppError::invalid(
                    "month",
                    liaison_core::validate::Msg::new("validate.date").arg("value", m),
                )
            })
        }
        None => {
            let today = state
                .db
                .now()
                .with_timezone(&liaison_core::calendar::COMPANY_ZONE)
                .date_naive();
            NaiveDate::from_ymd_opt(today.year(), today.month(), 1)
                .ok_or_else(|| AppError::Internal("no first of the month".into()))
        }
    }
}

fn next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

fn prev_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 1 {
        (d.year() - 1, 12)
    } else {
        (d.year(), d.month() - 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

async fn page(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    s: &crate::auth::Session,
    p: &Pairs,
    template: &str,
    form: Option<(&Pairs, &FieldErrors)>,
) -> PageResult {
    let first = month_of(state, p)?;
    let next = next_month(first);
    let last = next - Duration::days(1);
    let launches = app::list(&state.db, &s.actor, Some(first), Some(last)).await?;
    let settings = app::settings(&state.db, &s.actor).await?;
    let today = state
        .db
        .now()
        .with_timezone(&liaison_core::calendar::COMPANY_ZONE)
        .date_naive();
    // Weeks from Monday (the company's calendar) around the month.
    let start = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
    let mut weeks: Vec<Vec<Cell>> = Vec::new();
    let mut d = start;
    while d <= last || weeks.last().is_some_and(|w| w.len() < 7) {
        if weeks.last().is_none_or(|w| w.len() == 7) {
            weeks.push(Vec::new());
        }
        let cell = Cell {
            day: d.day(),
            date: d.to_string(),
            in_month: d.month() == first.month(),
            today: d == today,
            launches: launches
                .iter()
                .filter(|l| l.launch_on == d)
                .cloned()
                .collect(),
        };
        if let Some(w) = weeks.last_mut() {
            w.push(cell);
        }
        d += Duration::days(1);
    }
    let rows: Vec<_> = launches
        .iter()
        .map(|l| ctx! { l => l, notice_on => app::notice_day(l, &settings) })
        .collect();
    let products = if s.actor.can(Permission::WriteProducts) && !s.actor.is_partner() {
        liaison_app::product::list(&state.db, &s.actor, &Default::default()).await?
    } else {
        Vec::new()
    };
    let value = |k: &str| form.map(|(f, _)| f.text(k)).unwrap_or_default();
    let mut resp = render(
        state,
        headers,
        Some(s),
        template,
        ctx! {
            nav => "launches",
            month => first.format("%Y-%m").to_string(),
            prev => prev_month(first).format("%Y-%m").to_string(),
            next => next.format("%Y-%m").to_string(),
            weeks => weeks,
            rows => rows,
            notice_days => settings.launch_notice_days,
            products => products,
            can_edit => s.actor.can(Permission::WriteProducts),
            f_product => value("product_id"),
            f_title => value("title"),
            f_date => value("launch_on"),
            f_notes => value("notes"),
            errors => super::form_errors(form.map(|(_, e)| e)),
            saved => p.get("saved").is_some(),
        },
    );
    mark_invalid(&mut resp, form.is_some());
    Ok(resp)
}

async fn console(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    page(&state, &headers, &s, &p, "launch/month.html", None).await
}

async fn portal(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    page(&state, &headers, &s, &p, "portal/launches.html", None).await
}

async fn create(PageForm(state, headers, s, form): PageForm) -> PageResult {
    let product = uuid::Uuid::parse_str(form.text("product_id").as_str()).ok();
    let input = LaunchInput {
        product_id: product,
        title: Some(form.text("title")),
        launch_on: Some(form.text("launch_on")),
        notes: Some(form.get("notes").unwrap_or("").to_string()),
        owner_id: None,
    };
    match app::create(&state.db, &s.actor, &input).await {
        Ok(l) => Ok(Redirect::to(&format!(
            "/console/launches?month={}&saved=1",
            l.launch_on.format("%Y-%m")
        ))
        .into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            let month = Pairs(
                form.get("launch_on")
                    .and_then(|d| d.get(..7))
                    .map(|m| vec![("month".to_string(), m.to_string())])
                    .unwrap_or_default(),
            );
            let month = if month_of(&state, &month).is_ok() {
                month
            } else {
                Pairs(Vec::new())
            };
            page(
                &state,
                &headers,
                &s,
                &month,
                "launch/month.html",
                Some((&form, &e)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
