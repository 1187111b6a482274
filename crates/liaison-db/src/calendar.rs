//! The editable holiday calendar (policy §5.3.2, SPEC B9): public holidays and make-up working
//! days in `calendar_days`, seeded with `liaison_core::calendar::china_mainland()` by migration
//! 0009 and edited by admins; `load` gives the delivery queue the `Calendar` it holds messages by.

use crate::audit::Entry;
use crate::query::{decode_error, parsed};
use crate::{Db, DbError, Q, Result, q};
use chrono::{DateTime, NaiveDate, Utc};
use liaison_core::FieldErrors;
use liaison_core::calendar::{Calendar, CalendarDay, DayKind};
use liaison_core::validate::Msg;
use liaison_core::validate::required_text;
use serde_json::json;
use uuid::Uuid;

/// The longest day name, in characters.
pub const NAME_MAX: usize = 60;

const DATE_FORMAT: &str = "%Y-%m-%d";

fn stored_date(day: String) -> Result<NaiveDate, sqlx::Error> {
    NaiveDate::parse_from_str(&day, DATE_FORMAT).map_err(|e| decode_error("day", e))
}

from_row!(CalendarDay; date: text("day") => stored_date, kind: text => parsed(DayKind::parse),
    name: text);

fn day_text(date: NaiveDate) -> String {
    date.format(DATE_FORMAT).to_string()
}

/// Raw input (a form, a JSON body, a CSV row) as a calendar day, or an error for each of
/// `date` (YYYY-MM-DD), `kind` (holiday or workday) and `name` (1 to 60 characters).
pub fn parse_day(date: &str, kind: &str, name: &str) -> Result<CalendarDay, FieldErrors> {
    let mut e = FieldErrors::new();
    let d = date.trim();
    let date = e.take(
        "date",
        NaiveDate::parse_from_str(d, DATE_FORMAT)
            .ok()
            // Only the canonical form: `2026-2-1` and the like are refused, not guessed.
            .filter(|p| day_text(*p) == d)
            .ok_or_else(|| Msg::new("validate.date").arg("value", d)),
    );
    let kind = e.take("kind", DayKind::parse(kind));
    let name = e.take("name", required_text(name, NAME_MAX));
    match (date, kind, name) {
        (Some(date), Some(kind), Some(name)) if e.is_empty() => {
            Ok(CalendarDay { date, kind, name })
        }
        _ => Err(e),
    }
}

/// The calendar's days in date order, of one year or all.
pub async fn list_days(db: &Db, year: Option<i32>) -> Result<Vec<CalendarDay>> {
    match year {
        // Dates are fixed-width text, so a year is a text range.
        Some(y) => {
            db.fetch_all(
                q("SELECT day, kind, name FROM calendar_days WHERE day >= $1 AND day < $2 ORDER BY day")
                    .bind(format!("{y:04}-01-01"))
                    .bind(format!("{:04}-01-01", y + 1)),
            )
            .await
        }
        None => {
            db.fetch_all(q("SELECT day, kind, name FROM calendar_days ORDER BY day"))
                .await
        }
    }
}

/// The day `date`, if the calendar says anything about it.
pub async fn find_day(db: &Db, date: NaiveDate) -> Result<Option<CalendarDay>> {
    db.fetch_optional(
        q("SELECT day, kind, name FROM calendar_days WHERE day = $1").bind(day_text(date)),
    )
    .await
}

/// Adds `day` or replaces what the calendar said about its date, with an audit entry
/// `calendar.update` that keeps the previous entry.
pub async fn upsert_day(db: &Db, actor: Uuid, day: &CalendarDay) -> Result<CalendarDay> {
    change_day(
        db,
        actor,
        day.date,
        |text, now| {
            q("INSERT INTO calendar_days (day, kind, name, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name,
                   updated_by = excluded.updated_by, updated_at = excluded.updated_at")
            .bind(text)
            .bind(day.kind.as_str())
            .bind(&day.name)
            .bind(actor)
            .bind(now)
        },
        "calendar.update",
        |previous| json!({"day": day, "previous": previous}),
    )
    .await?;
    Ok(day.clone())
}

/// Parses raw input and saves it (`parse_day` then `upsert_day`); invalid input writes nothing.
pub async fn save_day(
    db: &Db,
    actor: Uuid,
    date: &str,
    kind: &str,
    name: &str,
) -> Result<CalendarDay> {
    let day = parse_day(date, kind, name).map_err(DbError::Invalid)?;
    upsert_day(db, actor, &day).await
}

/// Removes what the calendar says about `date` (it becomes an ordinary day again), with an audit
/// entry `calendar.delete`; `NotFound` when the calendar says nothing about it.
pub async fn delete_day(db: &Db, actor: Uuid, date: NaiveDate) -> Result<()> {
    change_day(
        db,
        actor,
        date,
        |text, _| q("DELETE FROM calendar_days WHERE day = $1").bind(text),
        "calendar.delete",
        |previous| json!({"previous": previous}),
    )
    .await
}

/// Writes `statement` (given the date as stored, and the time) about `date`, which must change
/// a row, with the audit entry `action` whose detail is made from what the calendar said
/// before: read in the same transaction, so the entry keeps exactly what was replaced.
async fn change_day(
    db: &Db,
    actor: Uuid,
    date: NaiveDate,
    statement: impl FnOnce(String, DateTime<Utc>) -> Q,
    action: &str,
    detail: impl FnOnce(Option<CalendarDay>) -> serde_json::Value,
) -> Result<()> {
    let now = db.now();
    let text = day_text(date);
    let mut tx = db.begin().await?;
    let previous = tx
        .fetch_optional(q("SELECT day, kind, name FROM calendar_days WHERE day = $1").bind(&text))
        .await?;
    tx.execute_one(statement(text, now)).await?;
    let entry = Entry::new(Some(actor), action, "calendar_day", None, detail(previous));
    tx.commit_audited(now, entry).await?;
    db.forget_calendar();
    Ok(())
}

/// How long this process keeps the calendar it read: edits made here are seen at once (the
/// writes forget it), edits made by another instance within this time.
const CALENDAR_KEPT: std::time::Duration = std::time::Duration::from_secs(30);

/// The whole calendar, for `liaison_core::calendar::send_time`: read once and kept for 30 s
/// (every ticket change and notification asks for it; it changes a few times a year).
pub async fn load(db: &Db) -> Result<Calendar> {
    if let Some(c) = db.kept_calendar(CALENDAR_KEPT) {
        return Ok(c);
    }
    let c = Calendar::from_days(&list_days(db, None).await?);
    db.keep_calendar(c.clone());
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_input_is_parsed_once_with_an_error_per_field() {
        let d = parse_day(" 2026-10-01 ", "Holiday", " 国庆节 ").expect("valid");
        assert_eq!(d.date, NaiveDate::from_ymd_opt(2026, 10, 1).expect("date"));
        assert_eq!((d.kind, d.name.as_str()), (DayKind::Holiday, "国庆节"));

        let e = parse_day("2026-2-30", "weekend", "").expect_err("all wrong");
        for f in ["date", "kind", "name"] {
            assert!(e.for_field(f).is_some(), "{f} not named: {e}");
        }
        assert!(parse_day("2026-2-1", "holiday", "x").is_err(), "not padded");
        assert!(parse_day("2026-02-01", "holiday", &"节".repeat(60)).is_ok());
        let long = parse_day("2026-02-01", "holiday", &"节".repeat(61)).expect_err("too long");
        assert!(
            long.for_field("name").is_some() && long.0.len() == 1,
            "{long}"
        );
    }
}
