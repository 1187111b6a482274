//! The working-hours calendar page (policy §5.3.2): public holidays and make-up working days,
//! shipped for mainland China and edited by channel management.

use super::PageResult;
use super::{Page, PageForm};
use super::{china, ctx, form_errors, mark_invalid, render};
use crate::auth::Session;
use crate::extract::Pairs;
use crate::{AppResult, AppState};
use axum::Router;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::Datelike;
use liaison_app::calendar::{parse_date, parse_year};
use liaison_core::calendar::DayKind;
use liaison_core::{FieldErrors, Permission};
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/calendar", get(calendar).post(save_day))
        .route("/console/calendar/{date}/delete", post(delete_day))
}

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
) -> PageResult {
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

async fn calendar(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    s.require(Permission::ReadDirectory)?;
    let year = year_of(&state, &p)?;
    calendar_page(&state, &headers, &s, year, &p, None).await
}

/// Adds a date or changes what the calendar says about it.
async fn save_day(PageForm(state, headers, s, p): PageForm) -> PageResult {
    s.require(Permission::ManageCalendar)?;
    let typed = DayForm {
        date: p.text("date"),
        kind: p.text("kind"),
        name: p.text("name"),
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
}

/// The date becomes an ordinary day again.
async fn delete_day(Path(date): Path<String>, PageForm(state, _, s, _): PageForm) -> PageResult {
    s.require(Permission::ManageCalendar)?;
    let d = parse_date(&date)?;
    liaison_db::calendar::delete_day(&state.db, s.user.id, d).await?;
    Ok(Redirect::to(&format!(
        "/console/calendar?year={}&deleted={}",
        d.year(),
        d.format("%Y-%m-%d")
    ))
    .into_response())
}
