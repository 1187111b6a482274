//! The working-hours calendar's input (policy §5.3.2): years and dates as the API and the
//! console's forms give them.

use crate::{Error, Result};
use liaison_core::validate::Msg;

/// A `year` query value: absent or empty is none, else a year from 2000 to 2100.
pub fn parse_year(v: Option<&str>) -> Result<Option<i32>> {
    match v.filter(|y| !y.is_empty()) {
        Some(y) => Ok(Some(
            y.parse::<i32>()
                .ok()
                .filter(|y| (2000..=2100).contains(y))
                .ok_or_else(|| Error::invalid("year", Msg::new("validate.year")))?,
        )),
        None => Ok(None),
    }
}

/// A calendar date in a path, written YYYY-MM-DD.
pub fn parse_date(date: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| Error::invalid("date", Msg::new("validate.date").arg("value", date)))
}
