//! Business data exchange (policy §3.3; SPEC D7–D9): the company and its partners exchange
//! sales, inventory and market figures each period; partners supply them on time and
//! accurately (§3.3.1), and abnormal figures are followed up (§3.3.2).
//!
//! This module decides the words (column kinds, periods, submission and anomaly states), what a
//! data set's schema is and how one cell is checked against it, when a period's figures fall
//! due on the working calendar, what counts as an anomaly (robust scores against the partner's
//! own history, seasonal when it is long enough, and against its peers), and the anonymised peer
//! benchmark (withheld below [`MIN_PEERS`]). The rows live in `liaison-db::data`, the operations
//! (who may, who is told, streaming an upload) in `liaison-app::data`.

use crate::calendar::Calendar;
use crate::partner::WorkingHours;
use crate::str_enum;
use crate::validate::{FieldErrors, Msg};
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;

str_enum!(
    /// What one column holds (D7).
    ColumnKind { Text = "text", Integer = "integer", Decimal = "decimal", Date = "date", Period = "period", ProductCode = "product_code", RegionCode = "region_code" }
);

str_enum!(
    /// How often a requirement asks for a data set (§3.3.1: "periodically").
    PeriodKind { Weekly = "weekly", Monthly = "monthly", Quarterly = "quarterly" }
);

str_enum!(
    /// A submission's standing: the partner's figures for the period (`current`), an earlier
    /// version a resubmission replaced (`superseded`, kept), or refused with its errors
    /// (`rejected`, nothing stored).
    SubmissionState { Current = "current", Superseded = "superseded", Rejected = "rejected" }
);

str_enum!(
    /// How a submission came in.
    SubmissionVia { Portal = "portal", Api = "api", Cli = "cli", Console = "console" }
);

str_enum!(
    /// A follow-up of an abnormal figure (§3.3.2: discuss, analyse, find the cause, act).
    AnomalyState { Open = "open", Explained = "explained", Corrected = "corrected", Closed = "closed" }
);

str_enum!(
    /// One entry of a follow-up's thread.
    FollowUpKind { Comment = "comment", Cause = "cause", Action = "action", Corrected = "corrected", Closed = "closed", Reopened = "reopened" }
);

str_enum!(
    /// How a measure's rows add up to one figure per series and period: amounts and units are
    /// summed, shares and prices averaged.
    Aggregate { Sum = "sum", Mean = "mean" }
);

str_enum!(
    /// What an anomaly was measured against.
    Baseline { History = "history", Seasonal = "seasonal" }
);

/// One column of a data set's schema, as an admin defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// The header in files and the key in API rows: lowercase letters, digits and `_`.
    pub name: String,
    pub label_zh: String,
    #[serde(default)]
    pub label_en: String,
    pub kind: ColumnKind,
    /// Decimal places a `decimal` allows (0–6).
    #[serde(default)]
    pub scale: u8,
    /// Shown beside figures ("CNY", "%", "units").
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// For numeric columns: how rows add up (default: sum).
    #[serde(default)]
    pub aggregate: Option<Aggregate>,
}

impl Column {
    pub fn is_measure(&self) -> bool {
        matches!(self.kind, ColumnKind::Integer | ColumnKind::Decimal)
    }
    pub fn aggregate(&self) -> Aggregate {
        self.aggregate.unwrap_or(Aggregate::Sum)
    }
    /// The label in `lang` (English falls back to Chinese and the other way round).
    pub fn label(&self, english: bool) -> &str {
        if english && !self.label_en.is_empty() || self.label_zh.is_empty() {
            &self.label_en
        } else {
            &self.label_zh
        }
    }
}

/// A data set's schema: its columns and which one names a series (a product code or a
/// category; `None`: the partner's total is its only series).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub columns: Vec<Column>,
    #[serde(default)]
    pub series_by: Option<String>,
}

/// The set of letters a column name may use.
fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Schema {
    /// Checks an admin's schema: names unique and well-formed, at least one measure, a scale
    /// only on decimals, min ≤ max, the series column one of the text-like columns.
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        if self.columns.is_empty() || self.columns.len() > 40 {
            e.add("columns", Msg::new("data.schema.columns_count"));
        }
        let mut seen = HashSet::new();
        for (i, c) in self.columns.iter().enumerate() {
            let field = format!("columns[{i}]");
            if !valid_name(&c.name) {
                e.add(format!("{field}.name"), Msg::new("data.schema.column_name"));
            } else if !seen.insert(c.name.as_str()) {
                e.add(
                    format!("{field}.name"),
                    Msg::new("data.schema.column_repeated").arg("column", &c.name),
                );
            }
            if c.label_zh.trim().is_empty() && c.label_en.trim().is_empty() {
                e.add(format!("{field}.label_zh"), Msg::new("validate.required"));
            }
            if c.scale > 6 || (c.scale > 0 && c.kind != ColumnKind::Decimal) {
                e.add(format!("{field}.scale"), Msg::new("data.schema.scale"));
            }
            if let (Some(lo), Some(hi)) = (c.min, c.max)
                && lo > hi
            {
                e.add(format!("{field}.max"), Msg::new("validate.end_after_start"));
            }
            if (c.min.is_some() || c.max.is_some() || c.aggregate.is_some()) && !c.is_measure() {
                e.add(
                    format!("{field}.kind"),
                    Msg::new("data.schema.bounds_numeric"),
                );
            }
            if c.label_zh.chars().count() > 60 || c.label_en.chars().count() > 60 {
                e.add(
                    format!("{field}.label_zh"),
                    Msg::new("validate.max_chars").arg("max", 60),
                );
            }
            if c.unit.chars().count() > 20 {
                e.add(
                    format!("{field}.unit"),
                    Msg::new("validate.max_chars").arg("max", 20),
                );
            }
        }
        if !self.columns.iter().any(Column::is_measure) {
            e.add("columns", Msg::new("data.schema.no_measure"));
        }
        if let Some(by) = &self.series_by {
            match self.columns.iter().find(|c| &c.name == by) {
                Some(c)
                    if matches!(
                        c.kind,
                        ColumnKind::Text | ColumnKind::ProductCode | ColumnKind::RegionCode
                    ) => {}
                _ => e.add("series_by", Msg::new("data.schema.series_by")),
            }
        }
        e.into_result(|| ())
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn measures(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| c.is_measure())
    }

    /// The series column's index.
    pub fn series_index(&self) -> Option<usize> {
        let by = self.series_by.as_deref()?;
        self.columns.iter().position(|c| c.name == by)
    }

    /// An example row for the template, one value per column.
    pub fn example_row(&self, product: Option<&str>, region: Option<&str>) -> Vec<String> {
        self.columns
            .iter()
            .map(|c| match c.kind {
                ColumnKind::Text => "示例".to_string(),
                ColumnKind::Integer => c.min.unwrap_or(0.0).max(120.0).to_string(),
                ColumnKind::Decimal => {
                    let v = c.max.map_or(35600.0, |m| (m / 4.0).min(35600.0));
                    format!("{v:.*}", usize::from(c.scale))
                }
                ColumnKind::Date => "2026-11-30".into(),
                ColumnKind::Period => "2026-11".into(),
                ColumnKind::ProductCode => product.unwrap_or("P-1001").into(),
                ColumnKind::RegionCode => region.unwrap_or("上海").into(),
            })
            .collect()
    }
}

/// What a cell is checked against: the catalogue's product codes and the regions the partner
/// covers (its broad region and the provinces within it, [`regions_of`]).
#[derive(Debug, Clone, Default)]
pub struct Lookups {
    pub products: HashSet<String>,
    pub regions: HashSet<String>,
}

/// One checked cell: its text as stored (numbers normalised: no thousands separators, no `%`)
/// and, for a measure, its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub text: String,
    pub value: Option<f64>,
}

/// Checks one cell against its column (D7). The message names the rule broken, in words a
/// partner can act on; the caller adds the row and the column.
pub fn check_cell(col: &Column, raw: &str, lookups: &Lookups) -> Result<Cell, Msg> {
    let raw = raw.trim();
    if raw.is_empty() {
        return if col.required {
            Err(Msg::new("data.cell.required"))
        } else {
            Ok(Cell {
                text: String::new(),
                value: None,
            })
        };
    }
    let text = |t: &str| Cell {
        text: t.to_string(),
        value: None,
    };
    match col.kind {
        ColumnKind::Text => {
            if raw.chars().count() > 200 {
                Err(Msg::new("validate.max_chars").arg("max", 200))
            } else {
                Ok(text(raw))
            }
        }
        ColumnKind::Integer | ColumnKind::Decimal => {
            let scale = if col.kind == ColumnKind::Integer {
                0
            } else {
                col.scale
            };
            let (digits, value) = parse_number(raw, scale, col.unit == "%")?;
            if let Some(min) = col.min
                && value < min
            {
                return Err(if min == 0.0 {
                    Msg::new("data.cell.negative")
                } else {
                    Msg::new("data.cell.below").arg("min", fmt_num(min))
                });
            }
            if let Some(max) = col.max
                && value > max
            {
                return Err(Msg::new("data.cell.above").arg("max", fmt_num(max)));
            }
            Ok(Cell {
                text: digits,
                value: Some(value),
            })
        }
        ColumnKind::Date => parse_date(raw)
            .map(|d| text(&d.format("%Y-%m-%d").to_string()))
            .ok_or_else(|| Msg::new("data.cell.date")),
        ColumnKind::Period => Period::parse(raw)
            .map(|p| text(&p.to_string()))
            .map_err(|_| Msg::new("data.cell.period")),
        ColumnKind::ProductCode => {
            if lookups.products.contains(raw) {
                Ok(text(raw))
            } else {
                let upper = raw.to_ascii_uppercase();
                if lookups.products.contains(&upper) {
                    Ok(text(&upper))
                } else {
                    Err(Msg::new("data.cell.product").arg("code", raw))
                }
            }
        }
        ColumnKind::RegionCode => match region_name(raw) {
            Some(name) if lookups.regions.contains(name) => Ok(text(name)),
            Some(_) => Err(Msg::new("data.cell.region_not_yours").arg("region", raw)),
            None => Err(Msg::new("data.cell.region").arg("region", raw)),
        },
    }
}

/// A number as spreadsheets write it: optional sign, thousands separators (`,` or a space),
/// a decimal point, and for percentages a trailing `%`. Returns the normalised text and value;
/// more decimals than `scale` is an error rather than a silent rounding.
fn parse_number(raw: &str, scale: u8, percent: bool) -> Result<(String, f64), Msg> {
    let mut s: String = raw
        .chars()
        .filter(|c| *c != ',' && *c != ' ' && *c != '\u{a0}')
        .collect();
    if percent && (s.ends_with('%') || s.ends_with('％')) {
        s.pop();
    }
    let body = s.strip_prefix(['-', '+']).unwrap_or(&s);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let numeric = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && int.len() <= 15;
    if !numeric {
        return Err(if scale == 0 {
            Msg::new("data.cell.integer")
        } else {
            Msg::new("data.cell.decimal").arg("scale", scale)
        });
    }
    let frac_trimmed = frac.trim_end_matches('0');
    if frac_trimmed.len() > usize::from(scale) {
        return Err(if scale == 0 {
            Msg::new("data.cell.integer")
        } else {
            Msg::new("data.cell.scale").arg("scale", scale)
        });
    }
    let value: f64 = s.parse().map_err(|_| Msg::new("data.cell.integer"))?;
    let text = if frac_trimmed.is_empty() {
        s.split_once('.').map_or(s.as_str(), |(i, _)| i).to_string()
    } else {
        let (i, _) = s.split_once('.').unwrap_or((&s, ""));
        format!("{i}.{frac_trimmed}")
    };
    let text = text.strip_prefix('+').map(str::to_string).unwrap_or(text);
    Ok((text, value))
}

/// Dates as spreadsheets write them: `2026-11-30`, `2026/11/30`, `2026.11.30`, `2026年11月30日`.
fn parse_date(raw: &str) -> Option<NaiveDate> {
    let norm: String = raw
        .replace(['/', '.', '年', '月'], "-")
        .trim_end_matches('日')
        .to_string();
    NaiveDate::parse_from_str(&norm, "%Y-%m-%d").ok()
}

/// A number for a message: integers without a decimal point.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A reporting period: a week (ISO), a month or a quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub kind: PeriodKind,
    pub year: i32,
    /// The week (1–53), month (1–12) or quarter (1–4).
    pub n: u32,
}

impl Period {
    /// `2026-11` (month), `2026-W45` (ISO week), `2026-Q4` (quarter).
    pub fn parse(s: &str) -> Result<Period, Msg> {
        let s = s.trim();
        let bad = || Msg::new("data.period.invalid").arg("value", s);
        let (y, rest) = s.split_once('-').ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        if !(2000..=2100).contains(&year) || y.len() != 4 {
            return Err(bad());
        }
        let (kind, n) = if let Some(w) = rest.strip_prefix(['W', 'w']) {
            (PeriodKind::Weekly, w.parse::<u32>().map_err(|_| bad())?)
        } else if let Some(q) = rest.strip_prefix(['Q', 'q']) {
            (PeriodKind::Quarterly, q.parse::<u32>().map_err(|_| bad())?)
        } else if rest.len() == 2 {
            (PeriodKind::Monthly, rest.parse::<u32>().map_err(|_| bad())?)
        } else {
            return Err(bad());
        };
        let p = Period { kind, year, n };
        let max = match kind {
            PeriodKind::Weekly => {
                NaiveDate::from_ymd_opt(year, 12, 28).map_or(52, |d| d.iso_week().week())
            }
            PeriodKind::Monthly => 12,
            PeriodKind::Quarterly => 4,
        };
        if n == 0 || n > max {
            return Err(bad());
        }
        Ok(p)
    }

    /// The period that holds `date`.
    pub fn containing(kind: PeriodKind, date: NaiveDate) -> Period {
        match kind {
            PeriodKind::Weekly => {
                let w = date.iso_week();
                Period {
                    kind,
                    year: w.year(),
                    n: w.week(),
                }
            }
            PeriodKind::Monthly => Period {
                kind,
                year: date.year(),
                n: date.month(),
            },
            PeriodKind::Quarterly => Period {
                kind,
                year: date.year(),
                n: (date.month() - 1) / 3 + 1,
            },
        }
    }

    /// Its first day.
    pub fn start(&self) -> NaiveDate {
        let fallback = NaiveDate::MIN;
        match self.kind {
            PeriodKind::Weekly => {
                NaiveDate::from_isoywd_opt(self.year, self.n, Weekday::Mon).unwrap_or(fallback)
            }
            PeriodKind::Monthly => {
                NaiveDate::from_ymd_opt(self.year, self.n, 1).unwrap_or(fallback)
            }
            PeriodKind::Quarterly => {
                NaiveDate::from_ymd_opt(self.year, (self.n - 1) * 3 + 1, 1).unwrap_or(fallback)
            }
        }
    }

    /// Its last day.
    pub fn end(&self) -> NaiveDate {
        self.next().start() - Duration::days(1)
    }

    pub fn next(&self) -> Period {
        match self.kind {
            PeriodKind::Weekly => Period::containing(self.kind, self.start() + Duration::days(7)),
            PeriodKind::Monthly if self.n == 12 => Period {
                year: self.year + 1,
                n: 1,
                ..*self
            },
            PeriodKind::Quarterly if self.n == 4 => Period {
                year: self.year + 1,
                n: 1,
                ..*self
            },
            _ => Period {
                n: self.n + 1,
                ..*self
            },
        }
    }

    pub fn prev(&self) -> Period {
        match self.kind {
            PeriodKind::Weekly => Period::containing(self.kind, self.start() - Duration::days(7)),
            PeriodKind::Monthly if self.n == 1 => Period {
                year: self.year - 1,
                n: 12,
                ..*self
            },
            PeriodKind::Quarterly if self.n == 1 => Period {
                year: self.year - 1,
                n: 4,
                ..*self
            },
            _ => Period {
                n: self.n - 1,
                ..*self
            },
        }
    }

    /// How many periods make a year (the seasonal lag).
    pub fn per_year(kind: PeriodKind) -> usize {
        match kind {
            PeriodKind::Weekly => 52,
            PeriodKind::Monthly => 12,
            PeriodKind::Quarterly => 4,
        }
    }

    /// The `n` periods ending with this one, oldest first.
    pub fn last(&self, n: usize) -> Vec<Period> {
        let mut out = Vec::with_capacity(n);
        let mut p = *self;
        for _ in 0..n {
            out.push(p);
            p = p.prev();
        }
        out.reverse();
        out
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::Weekly => write!(f, "{}-W{:02}", self.year, self.n),
            PeriodKind::Monthly => write!(f, "{}-{:02}", self.year, self.n),
            PeriodKind::Quarterly => write!(f, "{}-Q{}", self.year, self.n),
        }
    }
}

/// §3.3.1 "on time": the due day of a period's figures is the `working_days`-th working day
/// after the period ends, on the company's working calendar (holidays skipped, make-up working
/// days counted, §5.3.2). `0` means the period's last day itself.
pub fn due_date(
    period: &Period,
    working_days: u32,
    hours: &WorkingHours,
    calendar: &Calendar,
) -> NaiveDate {
    let mut d = period.end();
    let mut left = working_days;
    // A year of holidays can never hold more than ~120 non-working days in a row of dates.
    let mut guard = 0;
    while left > 0 && guard < 400 {
        d += Duration::days(1);
        guard += 1;
        if calendar.is_working_day(d, hours) {
            left -= 1;
        }
    }
    d
}

/// The broad regions of mainland China and the provinces each holds: a partner covers its
/// broad region and every province in it.
pub const REGIONS: &[(&str, &[&str])] = &[
    (
        "华东",
        &["上海", "江苏", "浙江", "安徽", "福建", "江西", "山东"],
    ),
    ("华北", &["北京", "天津", "河北", "山西", "内蒙古"]),
    ("华南", &["广东", "广西", "海南"]),
    ("华中", &["河南", "湖北", "湖南"]),
    ("西南", &["重庆", "四川", "贵州", "云南", "西藏"]),
    ("西北", &["陕西", "甘肃", "青海", "宁夏", "新疆"]),
    ("东北", &["辽宁", "吉林", "黑龙江"]),
    ("港澳台", &["香港", "澳门", "台湾"]),
];

/// ISO 3166-2:CN codes for the provinces, accepted in files alongside the names.
const REGION_CODES: &[(&str, &str)] = &[
    ("SH", "上海"),
    ("JS", "江苏"),
    ("ZJ", "浙江"),
    ("AH", "安徽"),
    ("FJ", "福建"),
    ("JX", "江西"),
    ("SD", "山东"),
    ("BJ", "北京"),
    ("TJ", "天津"),
    ("HE", "河北"),
    ("SX", "山西"),
    ("NM", "内蒙古"),
    ("GD", "广东"),
    ("GX", "广西"),
    ("HI", "海南"),
    ("HA", "河南"),
    ("HB", "湖北"),
    ("HN", "湖南"),
    ("CQ", "重庆"),
    ("SC", "四川"),
    ("GZ", "贵州"),
    ("YN", "云南"),
    ("XZ", "西藏"),
    ("SN", "陕西"),
    ("GS", "甘肃"),
    ("QH", "青海"),
    ("NX", "宁夏"),
    ("XJ", "新疆"),
    ("LN", "辽宁"),
    ("JL", "吉林"),
    ("HL", "黑龙江"),
    ("HK", "香港"),
    ("MO", "澳门"),
    ("TW", "台湾"),
];

/// The canonical name of a region written as a broad region, a province (with or without
/// 省/市/自治区), or an ISO code (`CN-SH` or `SH`).
pub fn region_name(raw: &str) -> Option<&'static str> {
    let raw = raw.trim();
    let code = raw
        .strip_prefix("CN-")
        .or_else(|| raw.strip_prefix("cn-"))
        .unwrap_or(raw);
    if let Some((_, name)) = REGION_CODES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
    {
        return Some(name);
    }
    let short = raw
        .trim_end_matches("壮族自治区")
        .trim_end_matches("回族自治区")
        .trim_end_matches("维吾尔自治区")
        .trim_end_matches("自治区")
        .trim_end_matches("特别行政区")
        .trim_end_matches('省')
        .trim_end_matches('市')
        .trim_end_matches("地区");
    REGIONS.iter().find_map(|(broad, provinces)| {
        if *broad == short {
            Some(*broad)
        } else {
            provinces.iter().find(|p| **p == short).copied()
        }
    })
}

/// The regions a partner whose registry region is `region` covers: the broad region and its
/// provinces (a partner registered by province covers that province).
pub fn regions_of(region: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    let Some(name) = region_name(region) else {
        out.insert(region.trim().to_string());
        return out;
    };
    out.insert(name.to_string());
    if let Some((_, provinces)) = REGIONS.iter().find(|(b, _)| *b == name) {
        out.extend(provinces.iter().map(|p| p.to_string()));
    }
    out
}

/// Thresholds of anomaly detection (settings, §3.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// A robust score at least this far from the median is abnormal (3.5 is the usual cut for
    /// the modified z-score).
    pub score: f64,
    /// Periods of history needed before judging at all.
    pub min_history: usize,
    /// When the peers moved alike (the change's percentile among them lies inside
    /// `peer_percentile ..= 100 - peer_percentile`), the figure is not abnormal for the
    /// partner: the market moved.
    pub peer_percentile: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            score: 3.5,
            min_history: 6,
            peer_percentile: 10.0,
        }
    }
}

impl Thresholds {
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        if !(1.0..=20.0).contains(&self.score) {
            e.add("score", Msg::new("data.settings.score"));
        }
        if !(3..=24).contains(&self.min_history) {
            e.add("min_history", Msg::new("data.settings.min_history"));
        }
        if !(0.0..=49.0).contains(&self.peer_percentile) {
            e.add("peer_percentile", Msg::new("data.settings.peer_percentile"));
        }
        e.into_result(|| ())
    }
}

/// The median of `v` (sorted in place); `None` when empty.
pub fn median(v: &mut [f64]) -> Option<f64> {
    quantile(v, 0.5)
}

/// The `q`-quantile of `v` (sorted in place) with linear interpolation; `None` when empty.
pub fn quantile(v: &mut [f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let (a, b) = (*v.get(lo)?, *v.get(hi)?);
    Some(a + (b - a) * (pos - lo as f64))
}

/// A robust comparison of `value` with `history`: the modified z-score
/// `0.6745 × (x − median) / MAD` (Iglewicz and Hoaglin). A flat history has no spread, so the
/// MAD is floored at 5 % of the median (a flat series must still move clearly to count).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Robust {
    pub median: f64,
    pub mad: f64,
    pub score: f64,
}

pub fn robust(history: &[f64], value: f64) -> Option<Robust> {
    let mut h: Vec<f64> = history.iter().copied().filter(|v| v.is_finite()).collect();
    let med = median(&mut h)?;
    let mut dev: Vec<f64> = h.iter().map(|v| (v - med).abs()).collect();
    let mad = median(&mut dev)?.max(med.abs() * 0.05).max(1e-9);
    Some(Robust {
        median: med,
        mad,
        score: 0.6745 * (value - med) / mad,
    })
}

/// The percentile (0–100) of `x` among `others`: the share below plus half the ties.
pub fn percentile_of(x: f64, others: &[f64]) -> Option<f64> {
    if others.is_empty() {
        return None;
    }
    let below = others.iter().filter(|o| **o < x).count() as f64;
    let ties = others.iter().filter(|o| **o == x).count() as f64;
    Some(100.0 * (below + ties / 2.0) / others.len() as f64)
}

/// What [`judge`] found abnormal about one figure, with what explains it in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub baseline: Baseline,
    pub value: f64,
    /// The median of the history it was compared with (seasonal: the same period a year ago
    /// scaled by the usual year-on-year change).
    pub expected: f64,
    pub score: f64,
    /// value ÷ expected (`None` when expected is 0).
    pub ratio: Option<f64>,
    pub peer_percentile: Option<f64>,
    /// Periods of history used.
    pub periods: usize,
}

impl Finding {
    /// The explanation, e.g. "units 3.4× the median of the last 12 months".
    pub fn explain(&self, measure: &str, kind: PeriodKind) -> Msg {
        let key = match (self.baseline, self.score > 0.0) {
            (Baseline::History, true) => "data.anomaly.history_high",
            (Baseline::History, false) => "data.anomaly.history_low",
            (Baseline::Seasonal, true) => "data.anomaly.seasonal_high",
            (Baseline::Seasonal, false) => "data.anomaly.seasonal_low",
        };
        let ratio = self.ratio.map_or("—".to_string(), |r| format!("{r:.1}"));
        let mut m = Msg::new(key)
            .arg("measure", measure)
            .arg("ratio", ratio)
            .arg("value", fmt_num(self.value))
            .arg("expected", fmt_num(self.expected))
            .arg("periods", self.periods)
            .arg_code("unit", "data.period_unit", kind.as_str());
        m = m.arg(
            "peers",
            self.peer_percentile
                .map_or("-".to_string(), |p| format!("{p:.0}")),
        );
        m
    }
}

/// Judges one figure of a series (§3.3.2). `history` holds the series' earlier values, oldest
/// first, one per period with `None` where nothing was submitted; `peer_changes` the
/// period-on-period change ratios of the partner's peers for the same series.
///
/// - Fewer than `min_history` earlier values: not judged.
/// - With two years and more, the figure is compared through its year-on-year change against
///   the usual year-on-year changes (a seasonal peak that recurs is not abnormal); otherwise
///   against the median of the last 12 values.
/// - Abnormal when the robust score reaches the threshold and the peers did not move alike.
pub fn judge(
    kind: PeriodKind,
    history: &[Option<f64>],
    value: f64,
    peer_changes: &[f64],
    th: &Thresholds,
) -> Option<Finding> {
    let known = history.iter().flatten().count();
    if known < th.min_history {
        return None;
    }
    let season = Period::per_year(kind);
    let n = history.len();
    let finding = if n >= 2 * season && n >= 24 {
        // Year-on-year ratios of the last 12 periods, against the current one's.
        let at = |i: usize| history.get(i).copied().flatten();
        // The value a year before the current one (which would be history[n]).
        let last_year = at(n - season)?;
        let mut ratios = Vec::new();
        for k in 0..12.min(n - season) {
            let i = n - 1 - k;
            if let (Some(x), Some(y)) = (at(i), at(i - season))
                && y > 0.0
            {
                ratios.push(x / y);
            }
        }
        if ratios.len() < th.min_history || last_year <= 0.0 {
            return None;
        }
        let yoy = value / last_year;
        let r = robust(&ratios, yoy)?;
        let expected = last_year * r.median;
        Finding {
            baseline: Baseline::Seasonal,
            value,
            expected,
            score: r.score,
            ratio: (expected != 0.0).then(|| value / expected),
            peer_percentile: None,
            periods: n,
        }
    } else {
        let recent: Vec<f64> = history.iter().rev().flatten().take(12).copied().collect();
        let r = robust(&recent, value)?;
        Finding {
            baseline: Baseline::History,
            value,
            expected: r.median,
            score: r.score,
            ratio: (r.median != 0.0).then(|| value / r.median),
            peer_percentile: None,
            periods: recent.len(),
        }
    };
    if finding.score.abs() < th.score {
        return None;
    }
    let previous = history.last().copied().flatten();
    let peer_percentile = match previous {
        Some(p) if p > 0.0 && peer_changes.len() >= MIN_PEERS => {
            percentile_of(value / p, peer_changes)
        }
        _ => None,
    };
    if let Some(pct) = peer_percentile
        && pct > th.peer_percentile
        && pct < 100.0 - th.peer_percentile
    {
        return None;
    }
    Some(Finding {
        peer_percentile,
        ..finding
    })
}

/// Peer figures are shown only from this many partners up, so no one peer can be inferred
/// (D9, §7.2.2).
pub const MIN_PEERS: usize = 5;

/// The anonymised benchmark of one period: quartiles of the peers' figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Benchmark {
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub peers: usize,
}

/// The benchmark of `peers` (the viewer's own figure excluded by the caller), or `None` below
/// [`MIN_PEERS`] partners.
pub fn benchmark(peers: &mut [f64]) -> Option<Benchmark> {
    if peers.len() < MIN_PEERS {
        return None;
    }
    Some(Benchmark {
        q1: quantile(peers, 0.25)?,
        median: quantile(peers, 0.5)?,
        q3: quantile(peers, 0.75)?,
        peers: peers.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::DayKind;

    fn col(name: &str, kind: ColumnKind) -> Column {
        Column {
            name: name.into(),
            label_zh: name.into(),
            label_en: name.into(),
            kind,
            scale: 0,
            unit: String::new(),
            required: true,
            min: None,
            max: None,
            aggregate: None,
        }
    }

    fn lookups() -> Lookups {
        Lookups {
            products: ["P-1001".to_string()].into_iter().collect(),
            regions: regions_of("华东"),
        }
    }

    fn key(r: Result<Cell, Msg>) -> String {
        r.err().map(|m| m.key().to_string()).unwrap_or_default()
    }

    /// D7: each rule refuses a bad cell with its own message.
    #[test]
    fn each_rule_refuses_with_its_message() {
        let l = lookups();
        let mut units = col("units", ColumnKind::Integer);
        units.min = Some(0.0);
        assert_eq!(key(check_cell(&units, "", &l)), "data.cell.required");
        assert_eq!(key(check_cell(&units, "-3", &l)), "data.cell.negative");
        assert_eq!(key(check_cell(&units, "1.5", &l)), "data.cell.integer");
        assert_eq!(key(check_cell(&units, "abc", &l)), "data.cell.integer");
        assert_eq!(
            check_cell(&units, "1,234", &l).ok().map(|c| c.text),
            Some("1234".into())
        );
        assert_eq!(
            check_cell(&units, "12.00", &l).ok().and_then(|c| c.value),
            Some(12.0)
        );
        let mut amount = col("amount", ColumnKind::Decimal);
        amount.scale = 2;
        assert_eq!(key(check_cell(&amount, "1.234", &l)), "data.cell.scale");
        assert_eq!(
            check_cell(&amount, "1.50", &l).ok().map(|c| c.text),
            Some("1.5".into())
        );
        let mut share = col("share", ColumnKind::Decimal);
        share.scale = 1;
        share.unit = "%".into();
        share.min = Some(0.0);
        share.max = Some(100.0);
        assert_eq!(key(check_cell(&share, "100.5", &l)), "data.cell.above");
        assert_eq!(
            check_cell(&share, "12.5%", &l).ok().and_then(|c| c.value),
            Some(12.5)
        );
        let product = col("product_code", ColumnKind::ProductCode);
        assert_eq!(key(check_cell(&product, "P-9", &l)), "data.cell.product");
        assert_eq!(
            check_cell(&product, "p-1001", &l).ok().map(|c| c.text),
            Some("P-1001".into())
        );
        let region = col("region", ColumnKind::RegionCode);
        assert_eq!(key(check_cell(&region, "火星", &l)), "data.cell.region");
        assert_eq!(
            key(check_cell(&region, "北京", &l)),
            "data.cell.region_not_yours"
        );
        assert_eq!(
            check_cell(&region, "江苏省", &l).ok().map(|c| c.text),
            Some("江苏".into())
        );
        assert_eq!(
            check_cell(&region, "CN-SH", &l).ok().map(|c| c.text),
            Some("上海".into())
        );
        let date = col("day", ColumnKind::Date);
        assert_eq!(key(check_cell(&date, "2026-02-30", &l)), "data.cell.date");
        assert_eq!(
            check_cell(&date, "2026/1/5", &l).ok().map(|c| c.text),
            Some("2026-01-05".into())
        );
        let period = col("period", ColumnKind::Period);
        assert_eq!(key(check_cell(&period, "2026-13", &l)), "data.cell.period");
        let mut optional = col("note", ColumnKind::Text);
        optional.required = false;
        assert!(check_cell(&optional, "", &l).is_ok());
    }

    #[test]
    fn a_schema_needs_a_measure_and_unique_names() {
        let mut s = Schema {
            columns: vec![
                col("region", ColumnKind::RegionCode),
                col("region", ColumnKind::Text),
            ],
            series_by: Some("units".into()),
        };
        let e = s.check().expect_err("bad");
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert!(fields.contains(&"columns[1].name"), "{fields:?}");
        assert!(fields.contains(&"columns"), "{fields:?}");
        assert!(fields.contains(&"series_by"), "{fields:?}");
        s.columns[1] = col("units", ColumnKind::Integer);
        s.series_by = Some("region".into());
        assert!(s.check().is_ok());
    }

    #[test]
    fn periods_parse_print_and_step() {
        for s in ["2026-11", "2026-W45", "2026-Q4", "2020-W53"] {
            assert_eq!(
                Period::parse(s).map(|p| p.to_string()).ok().as_deref(),
                Some(s)
            );
        }
        for s in [
            "2026-13", "2026-W54", "2026-Q5", "26-11", "2026", "2021-W53",
        ] {
            assert!(Period::parse(s).is_err(), "{s}");
        }
        let dec = Period::parse("2026-12").expect("p");
        assert_eq!(dec.next().to_string(), "2027-01");
        assert_eq!(dec.next().prev(), dec);
        assert_eq!(dec.end(), NaiveDate::from_ymd_opt(2026, 12, 31).expect("d"));
        let q = Period::parse("2026-Q1").expect("p");
        assert_eq!(q.prev().to_string(), "2025-Q4");
        assert_eq!(q.end(), NaiveDate::from_ymd_opt(2026, 3, 31).expect("d"));
        let w = Period::parse("2026-W01").expect("p");
        assert_eq!(w.start(), NaiveDate::from_ymd_opt(2025, 12, 29).expect("d"));
        assert_eq!(w.prev().to_string(), "2025-W52");
        assert_eq!(
            dec.last(3)
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>(),
            ["2026-10", "2026-11", "2026-12"]
        );
    }

    /// §3.3.1 with §5.3.2: the 5th working day after September skips the National Day week
    /// and counts the make-up Saturday.
    #[test]
    fn due_days_fall_on_the_working_calendar() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
        let mut days: Vec<(NaiveDate, DayKind)> =
            (1..=7).map(|i| (d(10, i), DayKind::Holiday)).collect();
        days.push((d(10, 10), DayKind::Workday)); // a Saturday worked
        let cal = Calendar::new(days);
        let hours = WorkingHours::default();
        let sept = Period::parse("2026-09").expect("p");
        // 8 Oct (Thu), 9 Oct (Fri), 10 Oct (Sat, make-up), 12 Oct (Mon), 13 Oct (Tue).
        assert_eq!(due_date(&sept, 5, &hours, &cal), d(10, 13));
        assert_eq!(due_date(&sept, 0, &hours, &cal), d(9, 30));
        let plain = Calendar::new(Vec::new());
        // 1 Oct 2026 is a Thursday: Thu, Fri, Mon, Tue, Wed.
        assert_eq!(due_date(&sept, 5, &hours, &plain), d(10, 7));
    }

    fn seasonal_series(years: usize) -> Vec<f64> {
        (0..years * 12)
            .map(|i| {
                let month = i % 12;
                let base = 1000.0 + (i as f64) * 3.0;
                let peak = if month == 10 { 3.0 } else { 1.0 }; // November: the 11.11 peak
                base * peak * (1.0 + ((i * 7) % 5) as f64 * 0.01)
            })
            .collect()
    }

    /// §3.3.2: a figure far from the partner's own history is found, with its explanation.
    #[test]
    fn a_planted_anomaly_is_found_and_explained() {
        let th = Thresholds::default();
        let history: Vec<Option<f64>> = [
            100.0, 104.0, 98.0, 101.0, 99.0, 103.0, 100.0, 97.0, 102.0, 100.0, 101.0, 99.0,
        ]
        .into_iter()
        .map(Some)
        .collect();
        let f = judge(PeriodKind::Monthly, &history, 340.0, &[], &th).expect("abnormal");
        assert_eq!(f.baseline, Baseline::History);
        assert!((f.ratio.expect("ratio") - 3.4).abs() < 0.05, "{f:?}");
        let msg = f.explain("units", PeriodKind::Monthly);
        assert_eq!(msg.key(), "data.anomaly.history_high");
        assert!(judge(PeriodKind::Monthly, &history, 103.0, &[], &th).is_none());
        // A drop is found too.
        assert!(
            judge(PeriodKind::Monthly, &history, 20.0, &[], &th).is_some_and(|f| f.score < 0.0)
        );
        // Too little history: not judged.
        assert!(judge(PeriodKind::Monthly, &history[..3], 340.0, &[], &th).is_none());
    }

    /// A normal seasonal peak (November every year) is not an anomaly once two years are
    /// known; the same peak in a month that never had one is.
    #[test]
    fn a_normal_seasonal_peak_is_not_an_anomaly() {
        let th = Thresholds::default();
        let s = seasonal_series(3);
        // The third November (index 34) against the 34 values before it.
        let history: Vec<Option<f64>> = s[..34].iter().copied().map(Some).collect();
        assert!(
            judge(PeriodKind::Monthly, &history, s[34], &[], &th).is_none(),
            "seasonal peak flagged"
        );
        // The same peak in the third August (index 31).
        let history: Vec<Option<f64>> = s[..31].iter().copied().map(Some).collect();
        let f = judge(PeriodKind::Monthly, &history, s[31] * 3.0, &[], &th).expect("abnormal");
        assert_eq!(f.baseline, Baseline::Seasonal);
    }

    /// When every peer moved alike the market moved: not the partner's anomaly.
    #[test]
    fn peers_moving_alike_is_not_an_anomaly() {
        let th = Thresholds::default();
        let history: Vec<Option<f64>> = (0..12).map(|i| Some(100.0 + f64::from(i % 3))).collect();
        let alike = [2.8, 3.0, 3.2, 3.5, 3.6, 3.1];
        assert!(judge(PeriodKind::Monthly, &history, 340.0, &alike, &th).is_none());
        let calm = [0.9, 1.0, 1.05, 1.1, 0.95, 1.0];
        let f = judge(PeriodKind::Monthly, &history, 340.0, &calm, &th).expect("abnormal");
        assert_eq!(f.peer_percentile, Some(100.0));
    }

    /// D9: below five peers nothing is shown.
    #[test]
    fn a_benchmark_needs_five_peers() {
        assert!(benchmark(&mut [1.0, 2.0, 3.0, 4.0]).is_none());
        let b = benchmark(&mut [5.0, 1.0, 3.0, 2.0, 4.0]).expect("five");
        assert_eq!((b.q1, b.median, b.q3, b.peers), (2.0, 3.0, 4.0, 5));
    }

    #[test]
    fn regions_cover_their_provinces() {
        let r = regions_of("华东");
        assert!(r.contains("上海") && r.contains("华东") && !r.contains("北京"));
        assert_eq!(region_name("广西壮族自治区"), Some("广西"));
        assert_eq!(region_name("sh"), Some("上海"));
        assert_eq!(region_name("Atlantis"), None);
    }
}
