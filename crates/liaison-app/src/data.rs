//! Business data exchange (policy §3.3; SPEC D7–D9): what partners must report and by when
//! (requirements on the working calendar), submissions checked row by row and stored whole as
//! a version (an upload streams: the file is never held in memory), anomalies found against
//! the partner's own history and its peers and followed up with it (§3.3.2), and trends beside
//! an anonymised peer benchmark (withheld below five peers). A partner user sees only its own
//! figures; another partner's submission, anomaly or trend does not exist (404).

pub use crate::Error;
use crate::Result;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use liaison_core::access::{Access, Circle, ItemKind};
use liaison_core::calendar::COMPANY_ZONE;
use liaison_core::data::{
    self as rules, AnomalyState, Benchmark, Column, ColumnKind, FollowUpKind, Lookups, Period,
    PeriodKind, Schema, SubmissionState, SubmissionVia, Thresholds,
};
use liaison_core::notify::NotifyKind;
use liaison_core::partner::{PartnerFilter, PartnerKind, WorkingHours};
use liaison_core::review::Classification;
use liaison_core::validate::Msg;
use liaison_core::{Actor, FieldErrors, Object, Permission, Scope, authorize};
use liaison_db::Db;
use liaison_db::data::{
    self as repo, Anomaly, AnomalyFilter, CellError, Dataset, DatasetFields, FollowUp, NewAnomaly,
    NewSubmission, Point, Requirement, RequirementFields, Submission, SubmissionFilter,
    SubmissionWriter, TrendFilter, Whose,
};
use liaison_db::notify::NewNotification;
use liaison_db::partner::Partner;
use liaison_docs::{DocError, RowSink};
use liaison_i18n::Lang;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::io::{Read, Seek};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use uuid::Uuid;

fn check(actor: &Actor, p: Permission, object: &Object) -> Result<()> {
    authorize(actor, p, object).map_err(Error::from)
}

// ---------------------------------------------------------------------------------------------
// Data sets and requirements

/// A data set as an admin types it (`POST /api/v1/datasets`, `PATCH` with `version`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatasetInput {
    pub code: Option<String>,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    pub description: Option<String>,
    pub columns: Option<Vec<Column>>,
    pub series_by: Option<String>,
    pub classification: Option<String>,
    pub active: Option<bool>,
}

impl DatasetInput {
    fn fields(&self, old: Option<&Dataset>) -> Result<DatasetFields> {
        let mut e = FieldErrors::new();
        let code = self
            .code
            .clone()
            .or_else(|| old.map(|d| d.code.clone()))
            .unwrap_or_default();
        let code = code.trim().to_lowercase();
        let valid_code = !code.is_empty()
            && code.len() <= 40
            && code.starts_with(|c: char| c.is_ascii_lowercase())
            && code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid_code {
            e.add("code", Msg::new("data.schema.column_name"));
        }
        let name_zh = self
            .name_zh
            .clone()
            .or_else(|| old.map(|d| d.name_zh.clone()))
            .unwrap_or_default();
        let name_en = self
            .name_en
            .clone()
            .or_else(|| old.map(|d| d.name_en.clone()))
            .unwrap_or_default();
        if name_zh.trim().is_empty() && name_en.trim().is_empty() {
            e.add("name_zh", Msg::new("validate.required"));
        }
        for (field, v, max) in [("name_zh", &name_zh, 100), ("name_en", &name_en, 100)] {
            if v.chars().count() > max {
                e.add(field, Msg::new("validate.max_chars").arg("max", max));
            }
        }
        let description = self
            .description
            .clone()
            .or_else(|| old.map(|d| d.description.clone()))
            .unwrap_or_default();
        if description.chars().count() > 4000 {
            e.add(
                "description",
                Msg::new("validate.max_chars").arg("max", 4000),
            );
        }
        let schema = Schema {
            columns: self
                .columns
                .clone()
                .or_else(|| old.map(|d| d.schema.columns.clone()))
                .unwrap_or_default(),
            series_by: match &self.series_by {
                Some(s) if s.trim().is_empty() => None,
                Some(s) => Some(s.trim().to_string()),
                None => old.and_then(|d| d.schema.series_by.clone()),
            },
        };
        if let Err(f) = schema.check() {
            e.0.extend(f.0);
        }
        let classification = match &self.classification {
            Some(c) => match Classification::parse(c) {
                Ok(c) => c,
                Err(m) => {
                    e.add("classification", m);
                    Classification::Internal
                }
            },
            None => old.map_or(Classification::Confidential, |d| d.classification),
        };
        e.into_result(|| DatasetFields {
            code,
            name_zh: name_zh.trim().to_string(),
            name_en: name_en.trim().to_string(),
            description,
            schema,
            classification,
            active: self.active.or(old.map(|d| d.active)).unwrap_or(true),
        })
        .map_err(Error::Invalid)
    }
}

pub async fn datasets(db: &Db, actor: &Actor) -> Result<Vec<Dataset>> {
    check(actor, Permission::ReadData, &Object::default())?;
    Ok(repo::list_datasets(db, actor.is_partner()).await?)
}

/// A data set by its id or its code.
pub async fn dataset(db: &Db, actor: &Actor, id_or_code: &str) -> Result<Dataset> {
    check(actor, Permission::ReadData, &Object::default())?;
    let d = find_dataset(db, id_or_code).await?;
    if actor.is_partner() && !d.active {
        return Err(Error::NotFound);
    }
    Ok(d)
}

pub(crate) async fn find_dataset(db: &Db, id_or_code: &str) -> Result<Dataset> {
    let found = match Uuid::parse_str(id_or_code.trim()) {
        Ok(id) => repo::find_dataset(db, id).await,
        Err(_) => repo::find_dataset_by_code(db, id_or_code.trim()).await,
    };
    Ok(found?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create_dataset(db: &Db, actor: &Actor, input: &DatasetInput) -> Result<Dataset> {
    check(actor, Permission::ManageData, &Object::default())?;
    let f = input.fields(None)?;
    Ok(repo::insert_dataset(db, actor.user_id, &f).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, dataset = %id))]
pub async fn update_dataset(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    version: i64,
    input: &DatasetInput,
) -> Result<Dataset> {
    check(actor, Permission::ManageData, &Object::default())?;
    let old = repo::find_dataset(db, id).await?;
    let f = input.fields(Some(&old))?;
    Ok(repo::update_dataset(db, actor.user_id, id, version, &f).await?)
}

/// The template of a data set: its header row and one example row, as CSV (UTF-8 with a BOM,
/// so Excel reads Chinese) or XLSX.
pub async fn template(
    db: &Db,
    actor: &Actor,
    id_or_code: &str,
    xlsx: bool,
) -> Result<(String, Vec<u8>)> {
    let d = dataset(db, actor, id_or_code).await?;
    let product = if d
        .schema
        .columns
        .iter()
        .any(|c| c.kind == ColumnKind::ProductCode)
    {
        repo::product_codes(db).await?.into_iter().min()
    } else {
        None
    };
    let region = match actor.partner_id {
        Some(p) => liaison_db::partner::find_partner(db, Scope::All, p)
            .await
            .ok()
            .and_then(|p| {
                let regions = rules::regions_of(&p.region);
                let mut v: Vec<String> = regions.into_iter().filter(|r| *r != p.region).collect();
                v.sort();
                v.into_iter().next()
            }),
        None => None,
    };
    let headers: Vec<&str> = d.schema.columns.iter().map(|c| c.name.as_str()).collect();
    let example = d.schema.example_row(product.as_deref(), region.as_deref());
    let rows = vec![example];
    if xlsx {
        let bytes = liaison_docs::write_xlsx(&d.code, &headers, &rows)
            .map_err(|e| Error::Internal(e.to_string()))?;
        Ok((format!("{}-template.xlsx", d.code), bytes))
    } else {
        Ok((
            format!("{}-template.csv", d.code),
            liaison_docs::write_csv(&headers, &rows),
        ))
    }
}

/// A requirement as typed (`POST /api/v1/data-requirements`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequirementInput {
    pub dataset: Option<String>,
    pub partner_kind: Option<String>,
    pub segment_id: Option<Uuid>,
    pub period: Option<String>,
    pub due_working_days: Option<i64>,
    pub remind_days: Option<i64>,
    pub active: Option<bool>,
}

pub async fn requirements(db: &Db, actor: &Actor) -> Result<Vec<Requirement>> {
    check(actor, Permission::ReadData, &Object::default())?;
    let all = repo::list_requirements(db).await?;
    match actor.scope() {
        Scope::All => Ok(all),
        Scope::Partner(p) => {
            let partner = liaison_db::partner::find_partner(db, Scope::All, p).await?;
            let mut mine = Vec::new();
            for r in all {
                if r.active && applies(db, &r, &partner).await? {
                    mine.push(r);
                }
            }
            Ok(mine)
        }
        Scope::Nothing => Ok(Vec::new()),
    }
}

async fn requirement_fields(
    db: &Db,
    input: &RequirementInput,
    old: Option<&Requirement>,
) -> Result<RequirementFields> {
    let mut e = FieldErrors::new();
    let dataset_id = match (&input.dataset, old) {
        (Some(d), _) => match find_dataset(db, d).await {
            Ok(d) => Some(d.id),
            Err(Error::NotFound) => {
                e.add("dataset", Msg::new("data.dataset.unknown").arg("code", d));
                None
            }
            Err(other) => return Err(other),
        },
        (None, Some(o)) => Some(o.dataset_id),
        (None, None) => {
            e.add("dataset", Msg::new("validate.required"));
            None
        }
    };
    let partner_kind = match &input.partner_kind {
        Some(k) if k.trim().is_empty() => None,
        Some(k) => match PartnerKind::parse(k) {
            Ok(k) => Some(k),
            Err(m) => {
                e.add("partner_kind", m);
                None
            }
        },
        None => old.and_then(|o| o.partner_kind),
    };
    let segment_id = input.segment_id.or(old.and_then(|o| o.segment_id));
    if let Some(s) = input.segment_id
        && liaison_db::segment::find_segment(db, s).await.is_err()
    {
        e.add("segment_id", Msg::new("validate.invalid"));
    }
    let period_kind = match &input.period {
        Some(p) => match PeriodKind::parse(p) {
            Ok(k) => Some(k),
            Err(m) => {
                e.add("period", m);
                None
            }
        },
        None => old.map(|o| o.period_kind).or(Some(PeriodKind::Monthly)),
    };
    let due_days = input
        .due_working_days
        .or(old.map(|o| o.due_days))
        .unwrap_or(5);
    if !(0..=60).contains(&due_days) {
        e.add(
            "due_working_days",
            Msg::new("validate.number_range")
                .arg("min", 0)
                .arg("max", 60),
        );
    }
    let remind_days = input
        .remind_days
        .or(old.map(|o| o.remind_days))
        .unwrap_or(3);
    if !(0..=30).contains(&remind_days) {
        e.add(
            "remind_days",
            Msg::new("validate.number_range")
                .arg("min", 0)
                .arg("max", 30),
        );
    }
    if !e.0.is_empty() {
        return Err(Error::Invalid(e));
    }
    Ok(RequirementFields {
        dataset_id: dataset_id.unwrap_or_default(),
        partner_kind,
        segment_id,
        period_kind: period_kind.unwrap_or(PeriodKind::Monthly),
        due_days,
        remind_days,
        active: input.active.or(old.map(|o| o.active)).unwrap_or(true),
    })
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create_requirement(
    db: &Db,
    actor: &Actor,
    input: &RequirementInput,
) -> Result<Requirement> {
    check(actor, Permission::ManageData, &Object::default())?;
    let f = requirement_fields(db, input, None).await?;
    Ok(repo::insert_requirement(db, actor.user_id, &f).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, requirement = %id))]
pub async fn update_requirement(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: &RequirementInput,
) -> Result<Requirement> {
    check(actor, Permission::ManageData, &Object::default())?;
    let old = repo::find_requirement(db, id).await?;
    let f = requirement_fields(db, input, Some(&old)).await?;
    Ok(repo::update_requirement(db, actor.user_id, id, &f).await?)
}

/// Whether a requirement asks `partner` for its data set: its kind, or membership of its
/// segment (a segment is a filter, judged now).
async fn applies(db: &Db, r: &Requirement, partner: &Partner) -> Result<bool> {
    if let Some(k) = r.partner_kind
        && k.as_str() != partner.kind
    {
        return Ok(false);
    }
    if let Some(s) = r.segment_id {
        let segment = liaison_db::segment::find_segment(db, s).await?;
        let n =
            liaison_db::partner::count_partners(db, Scope::Partner(partner.id), &segment.filter)
                .await?;
        return Ok(n > 0);
    }
    Ok(true)
}

/// The partners a requirement asks (active ones).
async fn asked(db: &Db, r: &Requirement) -> Result<Vec<Partner>> {
    let filter = asked_filter(db, r).await?;
    Ok(liaison_db::partner::list_all_partners(db, Scope::All, &filter).await?)
}

/// The active partners a requirement asks: its segment's, narrowed to its partner kind.
async fn asked_filter(db: &Db, r: &Requirement) -> Result<PartnerFilter> {
    let mut filter = match r.segment_id {
        Some(s) => liaison_db::segment::find_segment(db, s).await?.filter,
        None => PartnerFilter::default(),
    };
    if let Some(k) = r.partner_kind {
        filter.kinds = vec![k];
    }
    filter.statuses = vec![liaison_core::partner::PartnerStatus::Active];
    Ok(filter)
}

/// The company's working calendar: due days count working days (§5.3.2).
pub struct DueCalendar {
    hours: WorkingHours,
    calendar: liaison_core::calendar::Calendar,
}

impl DueCalendar {
    pub async fn load(db: &Db) -> Result<DueCalendar> {
        Ok(DueCalendar {
            hours: WorkingHours::default(),
            calendar: liaison_db::calendar::load(db).await?,
        })
    }
    pub fn due_on(&self, period: &Period, working_days: i64) -> NaiveDate {
        let days = u32::try_from(working_days).unwrap_or(0);
        rules::due_date(period, days, &self.hours, &self.calendar)
    }
    /// The end of the due day in the company's zone: before it is on time.
    pub fn due_by(due_on: NaiveDate) -> DateTime<Utc> {
        let next = due_on + Duration::days(1);
        COMPANY_ZONE
            .from_local_datetime(&next.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map_or_else(
                || next.and_time(chrono::NaiveTime::MIN).and_utc(),
                |t| t.with_timezone(&Utc),
            )
    }
}

use crate::offline::today;

/// The latest period of `kind` that has ended by `today`.
pub fn last_closed(kind: PeriodKind, today: NaiveDate) -> Period {
    Period::containing(kind, today).prev()
}

/// Where one obligation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Not in yet, not late yet.
    Due,
    Overdue,
    OnTime,
    Late,
}

/// One period's figures a partner owes.
#[derive(Debug, Clone, Serialize)]
pub struct Obligation {
    pub requirement_id: Uuid,
    pub dataset_id: Uuid,
    pub dataset_code: String,
    pub period: String,
    pub due_on: NaiveDate,
    pub standing: Standing,
    pub submission: Option<Submission>,
}

/// What `partner` owes (the last `periods` closed periods of each requirement that asks it),
/// newest first.
pub async fn obligations(
    db: &Db,
    actor: &Actor,
    partner: Uuid,
    periods: usize,
) -> Result<Vec<Obligation>> {
    // A partner's obligations carry its submissions: its own, or staff who read every
    // partner's figures.
    readable(actor, partner)?;
    let p = liaison_db::partner::find_partner(db, actor.scope(), partner).await?;
    let cal = DueCalendar::load(db).await?;
    let today = today(db);
    let mut out = Vec::new();
    for r in repo::list_requirements(db).await? {
        if !r.active || !applies(db, &r, &p).await? {
            continue;
        }
        let last = last_closed(r.period_kind, today);
        let list: Vec<String> = last.last(periods).iter().map(Period::to_string).collect();
        let subs = repo::current_for(db, partner, &list).await?;
        for period in last.last(periods).into_iter().rev() {
            let label = period.to_string();
            let due_on = cal.due_on(&period, r.due_days);
            let submission = subs
                .iter()
                .find(|s| s.dataset_id == r.dataset_id && s.period == label)
                .cloned();
            let standing = match &submission {
                Some(s) if s.on_time == Some(false) => Standing::Late,
                Some(_) => Standing::OnTime,
                None if today > due_on => Standing::Overdue,
                None => Standing::Due,
            };
            out.push(Obligation {
                requirement_id: r.id,
                dataset_id: r.dataset_id,
                dataset_code: r.dataset_code.clone(),
                period: label,
                due_on,
                standing,
                submission,
            });
        }
    }
    out.sort_by(|a, b| {
        b.due_on
            .cmp(&a.due_on)
            .then(a.dataset_code.cmp(&b.dataset_code))
    });
    Ok(out)
}

/// One partner late with one period's figures (the channel manager's list).
#[derive(Debug, Clone, Serialize)]
pub struct Overdue {
    pub partner_id: Uuid,
    pub partner_code: String,
    pub partner_name: String,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub dataset_id: Uuid,
    pub dataset_code: String,
    pub period: String,
    pub due_on: NaiveDate,
    pub days_late: i64,
}

/// Partners whose figures for the latest period past its due day are not in (§3.3.1).
pub async fn overdue(db: &Db, actor: &Actor) -> Result<Vec<Overdue>> {
    Ok(overdue_page(db, actor, None).await?.1)
}

/// How many partners are late with their figures (§3.3.1), and the first `limit` of them,
/// longest late first (every one when `limit` is `None`): what a home page shows.
pub async fn overdue_page(
    db: &Db,
    actor: &Actor,
    limit: Option<usize>,
) -> Result<(i64, Vec<Overdue>)> {
    check(actor, Permission::ReadAllData, &Object::default())?;
    let cal = DueCalendar::load(db).await?;
    let today = today(db);
    let mut total = 0;
    let mut out = Vec::new();
    for r in repo::list_requirements(db).await? {
        if !r.active {
            continue;
        }
        let mut period = last_closed(r.period_kind, today);
        let mut due_on = cal.due_on(&period, r.due_days);
        if due_on >= today {
            period = period.prev();
            due_on = cal.due_on(&period, r.due_days);
        }
        let label = period.to_string();
        // Within one requirement every partner is as late as the others, so its first
        // `limit` by code are all the global page can hold of it.
        let (count, late) = liaison_db::partner::without_submission(
            db,
            &asked_filter(db, &r).await?,
            r.dataset_id,
            &label,
            limit.map(|l| l as i64),
        )
        .await?;
        total += count;
        out.extend(late.into_iter().map(|p| Overdue {
            partner_id: p.id,
            partner_code: p.code,
            partner_name: p.name,
            owner_id: p.owner_id,
            owner_name: p.owner_name,
            dataset_id: r.dataset_id,
            dataset_code: r.dataset_code.clone(),
            period: label.clone(),
            due_on,
            days_late: (today - due_on).num_days(),
        }));
    }
    out.sort_by(|a, b| {
        b.days_late
            .cmp(&a.days_late)
            .then(a.partner_code.cmp(&b.partner_code))
    });
    if let Some(l) = limit {
        out.truncate(l);
    }
    Ok((total, out))
}

// ---------------------------------------------------------------------------------------------
// Submissions

/// Who and what a submission is for (`POST /api/v1/submissions`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SubmitInput {
    /// The data set's code (or id).
    pub dataset: Option<String>,
    pub period: Option<String>,
    /// Staff: the partner the figures are for.
    pub partner_id: Option<Uuid>,
    /// JSON rows: one object of column → value each.
    pub rows: Option<Vec<serde_json::Value>>,
}

/// Where a submission's rows come from.
pub enum Source {
    /// JSON rows (the API).
    Rows(Vec<serde_json::Value>),
    /// A file: CSV in any encoding the readers know, or XLSX; streamed, never read whole.
    File {
        reader: Box<dyn ReadSeek>,
        name: Option<String>,
    },
}

/// A readable, seekable, sendable file.
pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// How far a submission has been read (rows), for a progress bar.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    pub fn rows(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// What became of a submission.
#[derive(Debug)]
pub enum Outcome {
    /// Stored whole as the partner's current figures for the period.
    Accepted {
        submission: Submission,
        anomalies: usize,
    },
    /// Refused: nothing stored but the errors.
    Rejected {
        submission: Submission,
        errors: Vec<CellError>,
    },
}

impl Outcome {
    pub fn submission(&self) -> &Submission {
        match self {
            Outcome::Accepted { submission, .. } | Outcome::Rejected { submission, .. } => {
                submission
            }
        }
    }
}

/// Rows a stored chunk holds.
const CHUNK_ROWS: usize = 20_000;
/// Errors kept on a rejected submission (all are counted).
const KEPT_ERRORS: usize = 1000;

/// A checked chunk of rows on its way to the database.
struct Chunk {
    first_row: i64,
    rows: i64,
    csv: String,
}

/// What the checker found when the file ended.
struct Checked {
    rows: i64,
    error_count: i64,
    errors: Vec<CellError>,
    /// (series, measure index) → (sum, rows).
    sums: HashMap<String, Vec<(f64, i64)>>,
}

/// Checks each row against the schema as it streams by, sends good rows on in chunks while no
/// error has been seen, and adds up the figures per series.
struct Checker<'a> {
    schema: &'a Schema,
    lookups: &'a Lookups,
    /// For each schema column, its index in the file.
    map: Vec<Option<usize>>,
    series: Option<usize>,
    measures: Vec<usize>,
    out: tokio::sync::mpsc::Sender<Chunk>,
    progress: Progress,
    buf: String,
    buf_rows: i64,
    buf_first: i64,
    found: Checked,
    cells: Vec<String>,
    values: Vec<Option<f64>>,
    sending: bool,
}

impl<'a> Checker<'a> {
    fn new(
        schema: &'a Schema,
        lookups: &'a Lookups,
        out: tokio::sync::mpsc::Sender<Chunk>,
        progress: Progress,
    ) -> Self {
        let measures = schema
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_measure())
            .map(|(i, _)| i)
            .collect();
        Checker {
            schema,
            lookups,
            map: Vec::new(),
            series: schema.series_index(),
            measures,
            out,
            progress,
            buf: String::with_capacity(1 << 20),
            buf_rows: 0,
            buf_first: 0,
            found: Checked {
                rows: 0,
                error_count: 0,
                errors: Vec::new(),
                sums: HashMap::new(),
            },
            cells: Vec::new(),
            values: Vec::new(),
            sending: true,
        }
    }

    fn error(&mut self, row: u64, column: &str, msg: Msg) {
        self.found.error_count += 1;
        self.sending = false;
        if self.found.errors.len() < KEPT_ERRORS {
            self.found.errors.push(CellError {
                row,
                column: column.to_string(),
                key: msg.key().to_string(),
                args: msg
                    .args()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.raw().to_string()))
                    .collect(),
            });
        }
    }

    fn flush(&mut self) -> bool {
        if self.buf_rows == 0 || !self.sending {
            return true;
        }
        let chunk = Chunk {
            first_row: self.buf_first,
            rows: self.buf_rows,
            csv: std::mem::take(&mut self.buf),
        };
        self.buf = String::with_capacity(1 << 20);
        self.buf_rows = 0;
        self.out.blocking_send(chunk).is_ok()
    }

    fn finish(mut self) -> Result<Checked, Error> {
        if !self.flush() {
            return Err(Error::Internal("the database writer stopped".into()));
        }
        Ok(self.found)
    }
}

/// Finds a file's header among the schema's names and labels.
fn header_matches(c: &Column, h: &str) -> bool {
    let h = h.trim();
    h.eq_ignore_ascii_case(&c.name)
        || (!c.label_zh.is_empty() && h == c.label_zh)
        || (!c.label_en.is_empty() && h.eq_ignore_ascii_case(&c.label_en))
}

impl RowSink for Checker<'_> {
    fn header(&mut self, cells: &[String]) -> Result<(), DocError> {
        self.map = self
            .schema
            .columns
            .iter()
            .map(|c| cells.iter().position(|h| header_matches(c, h)))
            .collect();
        let schema = self.schema;
        for (c, at) in schema.columns.iter().zip(self.map.clone()) {
            if at.is_none() && c.required {
                self.error(
                    1,
                    &c.name,
                    Msg::new("data.file.missing_column").arg("column", &c.name),
                );
            }
        }
        for h in cells {
            if !h.trim().is_empty() && !schema.columns.iter().any(|c| header_matches(c, h)) {
                self.error(1, h, Msg::new("data.file.unknown_column").arg("column", h));
            }
        }
        Ok(())
    }

    fn row(&mut self, number: usize, cells: &[&str]) -> Result<bool, DocError> {
        let row = number as u64;
        self.found.rows += 1;
        self.progress.0.fetch_add(1, Ordering::Relaxed);
        self.cells.clear();
        self.values.clear();
        let schema = self.schema;
        let mut bad = false;
        for (i, c) in schema.columns.iter().enumerate() {
            let raw = self
                .map
                .get(i)
                .copied()
                .flatten()
                .and_then(|at| cells.get(at))
                .copied()
                .unwrap_or("");
            match rules::check_cell(c, raw, self.lookups) {
                Ok(cell) => {
                    self.values.push(cell.value);
                    self.cells.push(cell.text);
                }
                Err(msg) => {
                    bad = true;
                    self.error(row, &c.name, msg);
                }
            }
        }
        if bad || !self.sending {
            return Ok(true);
        }
        if self.buf_rows == 0 {
            self.buf_first = number as i64;
        }
        for (i, cell) in self.cells.iter().enumerate() {
            if i > 0 {
                self.buf.push(',');
            }
            push_csv(&mut self.buf, cell);
        }
        self.buf.push('\n');
        self.buf_rows += 1;
        let key = self
            .series
            .and_then(|s| self.cells.get(s))
            .map_or("", String::as_str);
        let n = self.measures.len();
        for series in [key, ""] {
            let sums = match self.found.sums.get_mut(series) {
                Some(s) => s,
                None => self
                    .found
                    .sums
                    .entry(series.to_string())
                    .or_insert_with(|| vec![(0.0, 0); n]),
            };
            for (k, &m) in self.measures.iter().enumerate() {
                if let (Some(Some(v)), Some(slot)) = (self.values.get(m), sums.get_mut(k)) {
                    slot.0 += v;
                    slot.1 += 1;
                }
            }
            if key.is_empty() {
                break;
            }
        }
        if self.buf_rows as usize >= CHUNK_ROWS && !self.flush() {
            return Ok(false);
        }
        Ok(true)
    }
}

/// A cell as CSV: quoted when it holds a comma, a quote or a line break.
fn push_csv(out: &mut String, cell: &str) {
    if cell.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(cell);
    }
}

/// Feeds JSON rows to a sink as if they were a file: the schema's names as the header, row 1
/// the first object.
fn feed_rows(schema: &Schema, rows: &[serde_json::Value], sink: &mut Checker<'_>) -> Result<()> {
    let mut header: Vec<String> = schema.columns.iter().map(|c| c.name.clone()).collect();
    for r in rows {
        if let Some(o) = r.as_object() {
            for k in o.keys() {
                if !header.contains(k) {
                    header.push(k.clone());
                }
            }
        }
    }
    sink.header(&header)
        .map_err(|e| Error::BadInput(e.to_string()))?;
    let mut cells: Vec<String> = Vec::with_capacity(header.len());
    for (i, r) in rows.iter().enumerate() {
        let Some(o) = r.as_object() else {
            sink.error(i as u64 + 1, "", Msg::new("data.rows.not_object"));
            continue;
        };
        cells.clear();
        for h in &header {
            cells.push(match o.get(h) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            });
        }
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        if !sink
            .row(i + 1, &refs)
            .map_err(|e| Error::BadInput(e.to_string()))?
        {
            break;
        }
    }
    Ok(())
}

/// The figures of a checked submission: each series' measures added up (summed, or averaged
/// for a `mean` measure such as a share).
fn points(schema: &Schema, sums: &HashMap<String, Vec<(f64, i64)>>) -> Vec<Point> {
    let measures: Vec<&Column> = schema.measures().collect();
    let mut out = Vec::new();
    for (series, slots) in sums {
        for (c, (sum, n)) in measures.iter().zip(slots) {
            if *n == 0 {
                continue;
            }
            let value = match c.aggregate() {
                rules::Aggregate::Sum => *sum,
                rules::Aggregate::Mean => sum / *n as f64,
            };
            out.push(Point {
                series: series.clone(),
                measure: c.name.clone(),
                value,
                rows: *n,
            });
        }
    }
    out.sort_by(|a, b| a.series.cmp(&b.series).then(a.measure.cmp(&b.measure)));
    out
}

/// The requirement that asks `partner` for `dataset` (the earliest due when several do).
async fn requirement_for(db: &Db, dataset: Uuid, partner: &Partner) -> Result<Option<Requirement>> {
    let mut found = None;
    for r in repo::list_requirements(db).await? {
        if r.active && r.dataset_id == dataset && applies(db, &r, partner).await? {
            found = match found {
                Some(f @ Requirement { .. }) if f.due_days <= r.due_days => Some(f),
                _ => Some(r),
            };
        }
    }
    Ok(found)
}

/// Submits one period's figures (§3.3.1, D7): every row is checked against the data set's
/// schema; with any error nothing is stored but the errors (a `rejected` submission); without,
/// the rows are stored whole as a new version (the one before is superseded and kept), on time
/// or late against the due day, and the figures are judged for anomalies (§3.3.2).
pub async fn submit(
    db: &Db,
    actor: &Actor,
    input: &SubmitInput,
    source: Source,
    via: SubmissionVia,
    progress: Progress,
) -> Result<Outcome> {
    submit_with(db, actor, input, source, via, progress, true).await
}

/// [`submit`], judging the figures for anomalies only when `detect` (a bulk load of history
/// judges once at its end, [`detect`] with no partner).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn submit_with(
    db: &Db,
    actor: &Actor,
    input: &SubmitInput,
    source: Source,
    via: SubmissionVia,
    progress: Progress,
    detect_anomalies: bool,
) -> Result<Outcome> {
    check(actor, Permission::SubmitData, &Object::default())?;
    let partner_id = match (actor.scope(), input.partner_id) {
        (Scope::Partner(p), None) => p,
        (Scope::Partner(p), Some(q)) if p == q => p,
        (Scope::Partner(_), Some(_)) => return Err(Error::NotFound),
        (Scope::All, Some(q)) => q,
        (Scope::All, None) => {
            return Err(Error::invalid(
                "partner_id",
                Msg::new("data.submit.partner_required"),
            ));
        }
        (Scope::Nothing, _) => return Err(Error::Forbidden),
    };
    check(actor, Permission::SubmitData, &Object::partner(partner_id))?;
    let partner = match liaison_db::partner::find_partner(db, actor.scope(), partner_id).await {
        Ok(p) => p,
        Err(liaison_db::DbError::NotFound) if !actor.is_partner() => {
            return Err(Error::invalid("partner_id", Msg::new("validate.invalid")));
        }
        Err(e) => return Err(e.into()),
    };
    let mut e = FieldErrors::new();
    let code = input.dataset.clone().unwrap_or_default();
    let dataset = if code.trim().is_empty() {
        e.add("dataset", Msg::new("validate.required"));
        None
    } else {
        match find_dataset(db, &code).await {
            Ok(d) if d.active => Some(d),
            Ok(_) | Err(Error::NotFound) => {
                e.add(
                    "dataset",
                    Msg::new("data.dataset.unknown").arg("code", code.trim()),
                );
                None
            }
            Err(other) => return Err(other),
        }
    };
    let period = match input.period.as_deref().map(str::trim) {
        None | Some("") => {
            e.add("period", Msg::new("validate.required"));
            None
        }
        Some(p) => match Period::parse(p) {
            Ok(p) => Some(p),
            Err(m) => {
                e.add("period", m);
                None
            }
        },
    };
    let (Some(dataset), Some(period)) = (dataset, period) else {
        return Err(Error::Invalid(e));
    };
    let requirement = requirement_for(db, dataset.id, &partner).await?;
    if let Some(r) = &requirement
        && r.period_kind != period.kind
    {
        e.add(
            "period",
            Msg::new("data.period.kind").arg_code(
                "expected",
                "data.period_kind",
                r.period_kind.as_str(),
            ),
        );
    }
    if period.start() > today(db) {
        e.add("period", Msg::new("data.period.future"));
    }
    if !e.0.is_empty() {
        return Err(Error::Invalid(e));
    }
    let cal = DueCalendar::load(db).await?;
    let due_on = requirement
        .as_ref()
        .map(|r| cal.due_on(&period, r.due_days));
    let lookups = Lookups {
        products: if dataset
            .schema
            .columns
            .iter()
            .any(|c| c.kind == ColumnKind::ProductCode)
        {
            repo::product_codes(db).await?.into_iter().collect()
        } else {
            Default::default()
        },
        regions: rules::regions_of(&partner.region),
    };
    let file_name = match &source {
        Source::File { name, .. } => name.clone(),
        Source::Rows(_) => None,
    };
    let header = NewSubmission {
        id: Uuid::now_v7(),
        dataset_id: dataset.id,
        partner_id: partner.id,
        period: period.to_string(),
        via,
        file_name: file_name.clone(),
        due_on,
        due_by: due_on.map(DueCalendar::due_by),
        submitted_by: actor.user_id,
    };

    // The reader checks on a blocking thread and hands good chunks to this task, which writes
    // them into one transaction; the transaction commits only when the whole file was good.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Chunk>(2);
    let schema = dataset.schema.clone();
    let reading = tokio::task::spawn_blocking(move || -> Result<Checked> {
        let mut checker = Checker::new(&schema, &lookups, tx, progress);
        match source {
            Source::Rows(rows) => feed_rows(&schema, &rows, &mut checker)?,
            Source::File { reader, name } => {
                if let Err(e) = liaison_docs::stream_table(reader, name.as_deref(), &mut checker) {
                    checker.error(0, "", Msg::new("data.file.unreadable").arg("reason", e));
                }
            }
        }
        checker.finish()
    });
    let mut writer: Option<SubmissionWriter> = None;
    let mut write_error = None;
    while let Some(chunk) = rx.recv().await {
        if write_error.is_some() {
            continue;
        }
        if writer.is_none() {
            match SubmissionWriter::begin(db, header.clone()).await {
                Ok(w) => writer = Some(w),
                Err(e) => {
                    write_error = Some(e);
                    continue;
                }
            }
        }
        if let Some(w) = writer.as_mut()
            && let Err(e) = w.chunk(chunk.first_row, chunk.rows, &chunk.csv).await
        {
            write_error = Some(e);
        }
    }
    let checked = reading
        .await
        .map_err(|e| Error::Internal(format!("reading the file failed: {e}")))??;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    if checked.error_count == 0 && checked.rows == 0 {
        return Err(Error::invalid("file", Msg::new("data.file.no_rows")));
    }
    if checked.error_count > 0 {
        drop(writer); // rolls back whatever was written
        let submission = repo::insert_rejected(
            db,
            &header,
            checked.rows,
            checked.error_count,
            &checked.errors,
        )
        .await?;
        return Ok(Outcome::Rejected {
            submission,
            errors: checked.errors,
        });
    }
    let writer = match writer {
        Some(w) => w,
        None => SubmissionWriter::begin(db, header.clone()).await?,
    };
    let points = points(&dataset.schema, &checked.sums);
    let submission = writer.finish(&points, &[]).await?;
    forget_groups();
    let judged = if detect_anomalies {
        detect(db, &dataset, period, Some(&partner)).await
    } else {
        Ok(0)
    };
    let anomalies = match judged {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "anomaly detection after a submission failed");
            0
        }
    };
    Ok(Outcome::Accepted {
        submission,
        anomalies,
    })
}

/// Filters of the submission list (`GET /api/v1/submissions`).
#[derive(Debug, Clone, Default)]
pub struct SubmissionQuery {
    pub partner: Option<Uuid>,
    pub dataset: Option<String>,
    pub period: Option<String>,
    pub state: Option<SubmissionState>,
    pub on_time: Option<bool>,
    pub before: Option<(DateTime<Utc>, Uuid)>,
}

pub async fn submissions(
    db: &Db,
    actor: &Actor,
    query: &SubmissionQuery,
    limit: i64,
) -> Result<Vec<Submission>> {
    let partner = match actor.scope() {
        Scope::Partner(p) => {
            if query.partner.is_some_and(|q| q != p) {
                return Ok(Vec::new());
            }
            Some(p)
        }
        Scope::All => {
            check(actor, Permission::ReadAllData, &Object::default())?;
            query.partner
        }
        Scope::Nothing => return Ok(Vec::new()),
    };
    let dataset = match &query.dataset {
        Some(d) => match find_dataset(db, d).await {
            Ok(d) => Some(d.id),
            Err(Error::NotFound) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        },
        None => None,
    };
    let secret = |s: &Submission| s.classification == Classification::Secret;
    let read = |before| {
        let f = SubmissionFilter {
            partner,
            dataset,
            period: query.period.clone(),
            state: query.state,
            on_time: query.on_time,
            before,
        };
        async move { Ok(repo::list_submissions(db, &f, limit).await?) }
    };
    let cursor = |s: &Submission| (s.submitted_at, s.id);
    let mut rows =
        crate::access::listed_page(db, actor, (limit, query.before), cursor, read, secret, item)
            .await?;
    // A title-only reader sees in the list what opening one shows them (§7.2.2): no file name.
    if !actor.is_partner()
        && rows
            .iter()
            .any(|s| s.classification >= Classification::Confidential)
    {
        let items: Vec<crate::access::Item> = rows.iter().map(item).collect();
        let seen = crate::access::of_many(db, actor, &items).await?;
        for (s, a) in rows.iter_mut().zip(seen) {
            if a != Access::Full {
                s.restricted = true;
                s.file_name = None;
            }
        }
    }
    Ok(rows)
}

/// One submission; another partner's does not exist. Of a confidential or secret data set,
/// staff outside its circle see its title only (data set, partner, period; §7.2.2), the read
/// audited.
pub async fn submission(db: &Db, actor: &Actor, id: Uuid) -> Result<Submission> {
    let mut s = repo::find_submission(db, id).await?;
    readable(actor, s.partner_id)?;
    if crate::access::gate(db, actor, item(&s), true).await? == Access::TitleOnly {
        s.restricted = true;
        s.file_name = None;
    }
    Ok(s)
}

/// A submission as a need-to-know item (§7.2.2): the partner's channel manager owns its
/// figures.
fn item(s: &Submission) -> crate::access::Item {
    crate::access::Item {
        kind: ItemKind::Submission,
        id: s.id,
        title: format!("{} · {} · {}", s.dataset_name_zh, s.partner_code, s.period),
        classification: s.classification,
        circle: Circle {
            owners: s.partner_owner_id.into_iter().collect(),
            ..Default::default()
        },
        link: format!("/console/data/submissions/{}", s.id),
    }
}

/// The submission as a need-to-know item, for one who may read it (`access::item`).
pub(crate) async fn access_item(db: &Db, actor: &Actor, id: Uuid) -> Result<crate::access::Item> {
    let s = repo::find_submission(db, id).await?;
    readable(actor, s.partner_id)?;
    Ok(item(&s))
}

/// A partner user reads its own partner's figures; staff need [`Permission::ReadAllData`].
fn readable(actor: &Actor, partner: Uuid) -> Result<()> {
    check(actor, Permission::ReadData, &Object::partner(partner))?;
    if !actor.is_partner() {
        check(actor, Permission::ReadAllData, &Object::default())?;
    }
    Ok(())
}

/// A submission's errors rendered in `lang`: `(row, column, message)`.
pub async fn submission_errors(
    db: &Db,
    actor: &Actor,
    id: Uuid,
) -> Result<(Submission, Vec<CellError>)> {
    let s = submission(db, actor, id).await?;
    if s.restricted {
        return Ok((s, Vec::new()));
    }
    let errors = repo::submission_errors(db, id).await?;
    Ok((s, errors))
}

/// A stored error as a message in `lang`.
pub fn render_error(e: &CellError, lang: Lang) -> String {
    let mut m = Msg::dynamic(e.key.clone());
    for (k, v) in &e.args {
        if let Some(name) = arg_name(k) {
            m = m.arg(name, v);
        }
    }
    m.render(lang)
}

/// The argument names data messages use (a message's names are static).
fn arg_name(k: &str) -> Option<&'static str> {
    [
        "min", "max", "scale", "code", "region", "column", "value", "expected", "reason",
    ]
    .into_iter()
    .find(|n| *n == k)
}

/// The stored rows of a submission as CSV with its header (the partner's own, or staff).
pub async fn submission_csv(db: &Db, actor: &Actor, id: Uuid) -> Result<(String, Vec<u8>)> {
    let s = submission(db, actor, id).await?;
    if s.restricted {
        return Err(Error::Forbidden);
    }
    let d = repo::find_dataset(db, s.dataset_id).await?;
    let mut out = String::from("\u{feff}");
    let names: Vec<&str> = d.schema.columns.iter().map(|c| c.name.as_str()).collect();
    out.push_str(&names.join(","));
    out.push('\n');
    for chunk in repo::submission_rows(db, id).await? {
        out.push_str(&chunk);
    }
    Ok((
        format!(
            "{}-{}-{}-v{}.csv",
            d.code, s.partner_code, s.period, s.version
        ),
        out.into_bytes(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Anomalies (§3.3.2)

/// How far back a series is read to judge its latest figure.
const HISTORY: usize = 36;

/// Judges the figures of `dataset` for `period`: of one partner after its submission, or of
/// every partner (after a month's submissions). New anomalies open a follow-up owned by the
/// partner's channel manager, who is told, and the partner's people are asked to look; an
/// open one whose figure is normal in a corrected version is marked corrected. Returns how
/// many anomalies are new.
pub async fn detect(
    db: &Db,
    dataset: &Dataset,
    period: Period,
    partner: Option<&Partner>,
) -> Result<usize> {
    let th = repo::settings(db).await?;
    let periods: Vec<String> = period
        .last(HISTORY + 1)
        .iter()
        .map(Period::to_string)
        .collect();
    let label = period.to_string();
    let prev = period.prev().to_string();
    let (mine, peers) = match partner {
        Some(p) => {
            let mine = repo::histories(db, dataset.id, &periods, &Whose::Partner(p.id)).await?;
            let group = Whose::Group {
                kind: p.kind.clone(),
                region: p.region.clone(),
            };
            let two = [prev.clone(), label.clone()];
            let mut peers = repo::histories(db, dataset.id, &two, &group).await?;
            let others: std::collections::HashSet<Uuid> = peers
                .iter()
                .map(|h| h.partner_id)
                .filter(|id| *id != p.id)
                .collect();
            if others.len() < rules::MIN_PEERS {
                peers = repo::histories(db, dataset.id, &two, &Whose::Kind(p.kind.clone())).await?;
            }
            (mine, peers)
        }
        None => {
            let all = repo::histories(db, dataset.id, &periods, &Whose::All).await?;
            (all.clone(), all)
        }
    };
    // Each peer group's period-on-period changes per series and measure: by kind and region,
    // and by kind alone (`region` empty) for regions with too few partners.
    type Key = (String, String, String, String);
    let mut changes: HashMap<Key, Vec<(Uuid, f64)>> = HashMap::new();
    let mut members: HashMap<(String, String), std::collections::HashSet<Uuid>> = HashMap::new();
    for h in &peers {
        members
            .entry((h.kind.clone(), h.region.clone()))
            .or_default()
            .insert(h.partner_id);
        let at = |p: &str| h.values.iter().find(|(q, _)| q == p).map(|(_, v)| *v);
        if let (Some(now), Some(before)) = (at(&label), at(&prev))
            && before > 0.0
        {
            for region in [h.region.clone(), String::new()] {
                changes
                    .entry((h.kind.clone(), region, h.series.clone(), h.measure.clone()))
                    .or_default()
                    .push((h.partner_id, now / before));
            }
        }
    }
    let submissions: HashMap<Uuid, Uuid> = match partner {
        Some(p) => repo::current_for(db, p.id, std::slice::from_ref(&label))
            .await?
            .into_iter()
            .filter(|s| s.dataset_id == dataset.id)
            .map(|s| (s.partner_id, s.id))
            .collect(),
        None => repo::current_submissions(db, dataset.id, &label)
            .await?
            .into_iter()
            .collect(),
    };
    let kind = period.kind;
    let index: HashMap<&str, usize> = periods
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i))
        .collect();
    let mut found = Vec::new();
    let mut normal: Vec<(String, String)> = Vec::new();
    let mut peer_buf = Vec::new();
    // §3.3.2 judges each product's (or category's) series; the partner's total is judged only
    // when the data set names no series (it would repeat a one-product partner's finding).
    let by_series = dataset.schema.series_by.is_some();
    for h in &mine {
        if by_series && h.series.is_empty() {
            continue;
        }
        let mut series = vec![None; HISTORY + 1];
        for (p, v) in &h.values {
            if let Some(&i) = index.get(p.as_str())
                && let Some(slot) = series.get_mut(i)
            {
                *slot = Some(*v);
            }
        }
        let Some(Some(value)) = series.pop() else {
            continue;
        };
        // Leading periods before the partner's first figure are not history.
        let first = series
            .iter()
            .position(Option::is_some)
            .unwrap_or(series.len());
        let history = &series[first..];
        peer_buf.clear();
        let region_size = members
            .get(&(h.kind.clone(), h.region.clone()))
            .map_or(0, |m| m.len() - usize::from(m.contains(&h.partner_id)));
        let region = if region_size >= rules::MIN_PEERS {
            h.region.clone()
        } else {
            String::new()
        };
        // The peers' changes of the same product; when fewer than five carry it, of their
        // totals (the market's move).
        for series in [h.series.clone(), String::new()] {
            if let Some(list) =
                changes.get(&(h.kind.clone(), region.clone(), series, h.measure.clone()))
            {
                peer_buf.extend(
                    list.iter()
                        .filter(|(p, _)| *p != h.partner_id)
                        .map(|(_, c)| *c),
                );
            }
            if peer_buf.len() >= rules::MIN_PEERS {
                break;
            }
            peer_buf.clear();
        }
        let Some(submission_id) = submissions.get(&h.partner_id).copied() else {
            continue;
        };
        match rules::judge(kind, history, value, &peer_buf, &th) {
            Some(f) => found.push(NewAnomaly {
                dataset_id: dataset.id,
                partner_id: h.partner_id,
                submission_id,
                series: h.series.clone(),
                measure: h.measure.clone(),
                period: label.clone(),
                baseline: f.baseline,
                value: f.value,
                expected: f.expected,
                score: f.score,
                ratio: f.ratio,
                peer_percentile: f.peer_percentile,
                periods: f.periods as i64,
                owner_id: h.owner_id,
            }),
            None => normal.push((h.series.clone(), h.measure.clone())),
        }
    }
    let email_at = crate::notify::email_time(db, false).await?;
    let ds_name = dataset.name_zh.clone();
    let measure_label = |m: &str| {
        dataset
            .schema
            .column(m)
            .map_or(m.to_string(), |c| c.label(false).to_string())
    };
    let mut partner_people: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if let Some(p) = partner {
        let people = liaison_db::user::portal_logins(db, p.id).await?;
        partner_people.insert(
            p.id,
            people.iter().filter(|u| u.active).map(|u| u.id).collect(),
        );
    }
    let partner_name = partner.map(|p| p.name.clone()).unwrap_or_default();
    let created = repo::upsert_anomalies(db, &found, |id, a| {
        let args = json!({
            "dataset": ds_name,
            "measure": measure_label(&a.measure),
            "period": a.period,
            "partner": partner_name,
        });
        let mut told: Vec<NewNotification> = a
            .owner_id
            .into_iter()
            .map(|owner| NewNotification {
                user_id: owner,
                kind: NotifyKind::DataAnomaly,
                args: args.clone(),
                link: format!("/console/data/anomalies/{id}"),
                urgent: false,
                email_at: Some(email_at),
            })
            .collect();
        for u in partner_people.get(&a.partner_id).into_iter().flatten() {
            told.push(NewNotification {
                user_id: *u,
                kind: NotifyKind::DataFollowUp,
                args: args.clone(),
                link: format!("/portal/data/anomalies/{id}"),
                urgent: false,
                email_at: Some(email_at),
            });
        }
        told
    })
    .await?;
    // A corrected version whose figure is normal now closes the question it raised.
    if let Some(p) = partner {
        for a in repo::open_anomalies_of(db, dataset.id, p.id, &label).await? {
            if normal.contains(&(a.series.clone(), a.measure.clone())) {
                // Corrected by whoever submitted the corrected version.
                let author = match submissions.get(&p.id) {
                    Some(id) => repo::find_submission(db, *id).await?.submitted_by,
                    None => continue,
                };
                repo::add_follow_up(
                    db,
                    author,
                    &a,
                    FollowUpKind::Corrected,
                    "",
                    AnomalyState::Corrected,
                    &[],
                )
                .await
                .or_else(|e| match e {
                    liaison_db::DbError::Conflict(_) => Ok(()),
                    other => Err(other),
                })?;
            }
        }
    }
    Ok(created)
}

/// Filters of the anomaly list.
#[derive(Debug, Clone, Default)]
pub struct AnomalyQuery {
    pub partner: Option<Uuid>,
    pub dataset: Option<String>,
    pub state: Option<AnomalyState>,
    pub mine: bool,
    pub before: Option<(DateTime<Utc>, Uuid)>,
}

pub async fn anomalies(
    db: &Db,
    actor: &Actor,
    query: &AnomalyQuery,
    limit: i64,
) -> Result<Vec<Anomaly>> {
    let partner = match actor.scope() {
        Scope::Partner(p) => {
            if query.partner.is_some_and(|q| q != p) {
                return Ok(Vec::new());
            }
            Some(p)
        }
        Scope::All => {
            check(actor, Permission::ReadAllData, &Object::default())?;
            query.partner
        }
        Scope::Nothing => return Ok(Vec::new()),
    };
    let dataset = match &query.dataset {
        Some(d) => match find_dataset(db, d).await {
            Ok(d) => Some(d.id),
            Err(Error::NotFound) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        },
        None => None,
    };
    let read = |before| {
        let f = AnomalyFilter {
            partner,
            dataset,
            state: query.state,
            owner: query.mine.then_some(actor.user_id),
            before,
        };
        async move { Ok(repo::list_anomalies(db, &f, limit).await?) }
    };
    let cursor = |a: &Anomaly| (a.created_at, a.id);
    crate::access::kept_page((limit, query.before), cursor, read, |rows| {
        screen_anomalies(db, actor, rows)
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Need-to-know for figures outside one submission (§7.2.2)

/// The circle of a partner's figures of a confidential or secret data set, for what shows them
/// outside one submission (a trend, a company total, an anomaly; §7.2.2, SPEC G4): the
/// partner's channel manager (who owns each of its submissions), and whoever is on the access
/// list of any of the partner's submissions of that data set, by name or by role. A grant on
/// one period's submission thus lets the reader follow the partner's series of that data set:
/// the owner judged that they need to know its figures, and a grant that lapsed with each new
/// period would be no grant. An anomaly's circle adds the one who follows it up (its owner).
/// Outside the circle, staff (admins included) see a confidential data set's anomalies without
/// figures and a partner's trend restricted (no values; they ask on its newest submission), and
/// a secret data set's not at all (404, not listed); company totals leave such partners out
/// and say how many. Partner users see their own figures as before; the anonymised peer
/// benchmark (five or more peers, never the viewer) stays.
pub(crate) fn knower(actor: &Actor) -> repo::Knower {
    repo::Knower {
        user: actor.user_id,
        roles: actor.roles.iter().map(|r| r.as_str().to_string()).collect(),
    }
}

/// Whether the rule applies: staff reading a confidential or secret data set.
fn restricts(actor: &Actor, c: Classification) -> bool {
    !actor.is_partner() && c >= Classification::Confidential
}

/// How much of `partner`'s figures of data set `d` `actor` sees (the circle above).
async fn figures_access(db: &Db, actor: &Actor, d: &Dataset, partner: Uuid) -> Result<Access> {
    if !restricts(actor, d.classification) {
        return Ok(Access::Full);
    }
    let known = !repo::known_partners(db, d.id, &[partner], &knower(actor))
        .await?
        .is_empty();
    Ok(liaison_core::access::access_known(
        actor,
        d.classification,
        known,
    ))
}

/// How much of an anomaly's figures `actor` sees (the circle above, with its owner).
async fn anomaly_access(db: &Db, actor: &Actor, a: &Anomaly) -> Result<Access> {
    if !restricts(actor, a.classification) || a.owner_id == Some(actor.user_id) {
        return Ok(Access::Full);
    }
    let known = !repo::known_partners(db, a.dataset_id, &[a.partner_id], &knower(actor))
        .await?
        .is_empty();
    Ok(liaison_core::access::access_known(
        actor,
        a.classification,
        known,
    ))
}

/// A page of anomalies as `actor` may see them listed (§7.2.2): a secret data set's outside
/// their circle left out, a confidential one's without figures. The circles of the page are
/// read in one statement per classified data set on it.
async fn screen_anomalies(db: &Db, actor: &Actor, rows: Vec<Anomaly>) -> Result<Vec<Anomaly>> {
    let mut asked: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for a in &rows {
        if restricts(actor, a.classification) && a.owner_id != Some(actor.user_id) {
            asked.entry(a.dataset_id).or_default().push(a.partner_id);
        }
    }
    if asked.is_empty() {
        return Ok(rows);
    }
    let k = knower(actor);
    let mut known: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (dataset, mut partners) in asked {
        partners.sort_unstable();
        partners.dedup();
        known.insert(
            dataset,
            repo::known_partners(db, dataset, &partners, &k).await?,
        );
    }
    let mut kept = Vec::with_capacity(rows.len());
    for mut a in rows {
        let full = !restricts(actor, a.classification)
            || a.owner_id == Some(actor.user_id)
            || known
                .get(&a.dataset_id)
                .is_some_and(|ps| ps.contains(&a.partner_id));
        match liaison_core::access::access_known(actor, a.classification, full) {
            Access::Full => kept.push(a),
            Access::TitleOnly => {
                a.withhold();
                kept.push(a);
            }
            Access::Hidden => {}
        }
    }
    Ok(kept)
}

/// Records a read of a partner's classified figures outside a submission (§7.2.2) as a read
/// of `submission` (the one whose figures it shows, or the partner's newest), like `gate`.
async fn record_figures_read(
    db: &Db,
    actor: &Actor,
    submission: Option<Uuid>,
    c: Classification,
    access: Access,
) -> Result<()> {
    if let Some(id) = submission
        && restricts(actor, c)
        && access != Access::Hidden
    {
        liaison_db::access::record_read(
            db,
            actor.user_id,
            ItemKind::Submission,
            id,
            c.as_str(),
            access == Access::Full,
        )
        .await?;
    }
    Ok(())
}

/// An anomaly with its explanation and follow-up thread.
#[derive(Debug, Clone, Serialize)]
pub struct AnomalyView {
    #[serde(flatten)]
    pub anomaly: Anomaly,
    pub explanation: String,
    pub follow_ups: Vec<FollowUp>,
}

/// One anomaly; another partner's does not exist. Of a classified data set, staff outside the
/// circle of the partner's figures (§7.2.2, see `knower`) see what it is about without its
/// figures, explanation or follow-up (confidential) or nothing (secret: 404); the read is
/// audited as a read of its submission.
pub async fn anomaly(db: &Db, actor: &Actor, id: Uuid, lang: Lang) -> Result<AnomalyView> {
    let mut a = repo::find_anomaly(db, id).await?;
    readable(actor, a.partner_id)?;
    let access = anomaly_access(db, actor, &a).await?;
    if access == Access::Hidden {
        return Err(Error::NotFound);
    }
    record_figures_read(db, actor, Some(a.submission_id), a.classification, access).await?;
    if access == Access::TitleOnly {
        a.withhold();
        return Ok(AnomalyView {
            explanation: explain_withheld(lang),
            anomaly: a,
            follow_ups: Vec::new(),
        });
    }
    let d = repo::find_dataset(db, a.dataset_id).await?;
    let explanation = explain(&d, &a, lang);
    let follow_ups = repo::list_follow_ups(db, id).await?;
    Ok(AnomalyView {
        anomaly: a,
        explanation,
        follow_ups,
    })
}

/// What an anomaly whose figures are withheld says instead of them (§7.2.2).
fn explain_withheld(lang: Lang) -> String {
    Msg::new("data.anomaly.restricted").render(lang)
}

/// "units 3.4× the median of the last 12 months" in `lang` (a withheld anomaly's: that they
/// are withheld).
pub fn explain(d: &Dataset, a: &Anomaly, lang: Lang) -> String {
    let (Some(baseline), Some(value), Some(expected), Some(score), false) =
        (a.baseline, a.value, a.expected, a.score, a.restricted)
    else {
        return explain_withheld(lang);
    };
    let english = lang == Lang::En;
    let measure = d
        .schema
        .column(&a.measure)
        .map_or(a.measure.clone(), |c| c.label(english).to_string());
    let kind = Period::parse(&a.period).map_or(PeriodKind::Monthly, |p| p.kind);
    let f = rules::Finding {
        baseline,
        value,
        expected,
        score,
        ratio: a.ratio,
        peer_percentile: a.peer_percentile,
        periods: usize::try_from(a.periods).unwrap_or(0),
    };
    f.explain(&measure, kind).render(lang)
}

/// A follow-up entry (`POST /api/v1/anomalies/{id}/follow-ups`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FollowUpInput {
    /// `comment`, `cause`, `action` or `closed`.
    pub kind: Option<String>,
    pub body: Option<String>,
}

/// Adds to an anomaly's follow-up (§3.3.2: discuss, analyse, find the cause, act): the
/// partner explains (a cause moves it to `explained`); its channel manager records actions
/// and closes it. The other side is told.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, anomaly = %id))]
pub async fn follow_up(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: &FollowUpInput,
) -> Result<AnomalyView> {
    let a = repo::find_anomaly(db, id).await?;
    readable(actor, a.partner_id)?;
    check(
        actor,
        Permission::FollowUpData,
        &Object::partner(a.partner_id),
    )?;
    // Following up needs the whole read (§7.2.2, as `access::must_know`).
    match anomaly_access(db, actor, &a).await? {
        Access::Full => {}
        Access::TitleOnly => return Err(Error::Forbidden),
        Access::Hidden => return Err(Error::NotFound),
    }
    let kind = match input.kind.as_deref() {
        None | Some("") => FollowUpKind::Comment,
        Some(k) => FollowUpKind::parse(k).map_err(|m| Error::invalid("kind", m))?,
    };
    let body = input.body.clone().unwrap_or_default();
    let body = body.trim();
    if kind != FollowUpKind::Closed && body.is_empty() {
        return Err(Error::invalid("body", Msg::new("validate.required")));
    }
    if body.chars().count() > 10_000 {
        return Err(Error::invalid(
            "body",
            Msg::new("validate.max_chars").arg("max", 10_000),
        ));
    }
    let state = match kind {
        FollowUpKind::Comment | FollowUpKind::Action => {
            if a.state == AnomalyState::Closed {
                AnomalyState::Open
            } else {
                a.state
            }
        }
        FollowUpKind::Cause => AnomalyState::Explained,
        FollowUpKind::Closed if actor.is_partner() => return Err(Error::Forbidden),
        FollowUpKind::Closed => AnomalyState::Closed,
        FollowUpKind::Reopened => AnomalyState::Open,
        FollowUpKind::Corrected => {
            return Err(Error::invalid(
                "kind",
                Msg::one_of("corrected", &["comment", "cause", "action", "closed"]),
            ));
        }
    };
    let d = repo::find_dataset(db, a.dataset_id).await?;
    let args = json!({
        "dataset": d.name_zh,
        "measure": d.schema.column(&a.measure).map_or(a.measure.clone(), |c| c.label(false).to_string()),
        "period": a.period,
        "partner": a.partner_name,
    });
    let email_at = crate::notify::email_time(db, false).await?;
    let told: Vec<NewNotification> = if actor.is_partner() {
        a.owner_id
            .into_iter()
            .map(|owner| NewNotification {
                user_id: owner,
                kind: NotifyKind::DataAnomaly,
                args: args.clone(),
                link: format!("/console/data/anomalies/{id}"),
                urgent: false,
                email_at: Some(email_at),
            })
            .collect()
    } else {
        liaison_db::user::portal_logins(db, a.partner_id)
            .await?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| NewNotification {
                user_id: u.id,
                kind: NotifyKind::DataFollowUp,
                args: args.clone(),
                link: format!("/portal/data/anomalies/{id}"),
                urgent: false,
                email_at: Some(email_at),
            })
            .collect()
    };
    repo::add_follow_up(db, actor.user_id, &a, kind, body, state, &told).await?;
    anomaly(db, actor, id, Lang::ZhCn).await
}

// ---------------------------------------------------------------------------------------------
// Trends (D9)

/// What a trend shows (`GET /api/v1/trends`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrendQuery {
    pub dataset: Option<String>,
    pub measure: Option<String>,
    pub partner: Option<Uuid>,
    /// One product or category; none: the partner's totals.
    pub series: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Staff without a partner: totals split by `region`, `kind` or `series`.
    pub group: Option<String>,
}

/// The peer group a benchmark was drawn from.
#[derive(Debug, Clone, Serialize)]
pub struct PeerGroup {
    pub kind: String,
    /// `None`: the kind across every region (the region alone had too few partners).
    pub region: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupLine {
    pub group: String,
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Trend {
    pub dataset: String,
    pub measure: String,
    pub measure_label_zh: String,
    pub measure_label_en: String,
    pub unit: String,
    pub periods: Vec<String>,
    pub partner_id: Option<Uuid>,
    pub series: Option<String>,
    /// The partner's figures (or, without a partner, every partner's total).
    pub values: Vec<Option<f64>>,
    /// The anonymised benchmark per period; `null` where fewer than five peers reported.
    pub benchmark: Vec<Option<Benchmark>>,
    pub peer_group: Option<PeerGroup>,
    /// True when no period had five peers: nothing about peers is shown.
    pub benchmark_withheld: bool,
    /// Staff: totals by group.
    pub groups: Vec<GroupLine>,
    /// §7.2.2: the partner's figures of this confidential data set are outside the reader's
    /// circle: no values, no benchmark; access is asked on `ask_on`.
    pub restricted: bool,
    /// Where to ask for access to a restricted partner's figures: its newest submission.
    pub ask_on: Option<Uuid>,
    /// Company totals and groups (§7.2.2): how many partners that reported in these periods
    /// were left out because their figures of this classified data set are outside the
    /// reader's circle.
    pub withheld_partners: i64,
}

/// A partner's series beside its anonymised peers (D9), or, for staff without a partner, the
/// company's totals (by group when asked). Of a classified data set (§7.2.2, see `knower`),
/// staff outside the circle of the partner's figures get a secret one's as not found and a
/// confidential one's `restricted` (the read audited as of its newest submission), and totals
/// of the partners whose figures they know, with `withheld_partners` counting the others.
pub async fn trend(db: &Db, actor: &Actor, query: &TrendQuery) -> Result<Trend> {
    check(actor, Permission::ReadData, &Object::default())?;
    let partner_id = match actor.scope() {
        Scope::Partner(p) => match query.partner {
            Some(q) if q != p => return Err(Error::NotFound),
            _ => Some(p),
        },
        Scope::All => {
            check(actor, Permission::ReadAllData, &Object::default())?;
            query.partner
        }
        Scope::Nothing => return Err(Error::NotFound),
    };
    let code = query.dataset.clone().unwrap_or_else(|| "sales".into());
    let d = match find_dataset(db, &code).await {
        Ok(d) => d,
        Err(Error::NotFound) => {
            return Err(Error::invalid(
                "dataset",
                Msg::new("data.dataset.unknown").arg("code", code),
            ));
        }
        Err(e) => return Err(e),
    };
    let measure = match &query.measure {
        Some(m) => d.schema.measures().find(|c| c.name == *m).ok_or_else(|| {
            let names: Vec<&str> = d.schema.measures().map(|c| c.name.as_str()).collect();
            Error::invalid("measure", Msg::one_of(m, &names))
        })?,
        None => d
            .schema
            .measures()
            .next()
            .ok_or_else(|| Error::Internal("a data set without a measure".into()))?,
    }
    .clone();
    let kind = repo::list_requirements(db)
        .await?
        .into_iter()
        .find(|r| r.dataset_id == d.id)
        .map_or(PeriodKind::Monthly, |r| r.period_kind);
    let parse = |field: &str, v: &Option<String>| -> Result<Option<Period>> {
        match v.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) => Period::parse(s)
                .map(Some)
                .map_err(|m| Error::invalid(field, m)),
        }
    };
    let to = parse("to", &query.to)?.unwrap_or_else(|| last_closed(kind, today(db)));
    let from = parse("from", &query.from)?;
    let mut periods = Vec::new();
    let mut p = to;
    loop {
        periods.push(p);
        if from.is_some_and(|f| p <= f) || (from.is_none() && periods.len() >= 18) {
            break;
        }
        if periods.len() >= 60 {
            break;
        }
        p = p.prev();
    }
    if let Some(f) = from
        && (f.kind != to.kind || f > to)
    {
        return Err(Error::invalid("from", Msg::new("validate.end_after_start")));
    }
    periods.reverse();
    let labels: Vec<String> = periods.iter().map(Period::to_string).collect();
    let series = query
        .series
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let align =
        |rows: &[repo::PeriodValues], f: &dyn Fn(&[f64]) -> Option<f64>| -> Vec<Option<f64>> {
            labels
                .iter()
                .map(|l| {
                    rows.iter()
                        .find(|r| &r.period == l)
                        .and_then(|r| f(&r.values))
                })
                .collect()
        };
    let mut trend = Trend {
        dataset: d.code.clone(),
        measure: measure.name.clone(),
        measure_label_zh: measure.label_zh.clone(),
        measure_label_en: measure.label_en.clone(),
        unit: measure.unit.clone(),
        periods: labels.clone(),
        partner_id,
        series: series.clone(),
        values: Vec::new(),
        benchmark: Vec::new(),
        peer_group: None,
        benchmark_withheld: true,
        groups: Vec::new(),
        restricted: false,
        ask_on: None,
        withheld_partners: 0,
    };
    match partner_id {
        Some(pid) => {
            let p = liaison_db::partner::find_partner(db, actor.scope(), pid).await?;
            let access = figures_access(db, actor, &d, pid).await?;
            if access == Access::Hidden {
                return Err(Error::NotFound);
            }
            if restricts(actor, d.classification) {
                let newest = repo::newest_submission(db, d.id, pid).await?;
                record_figures_read(db, actor, newest, d.classification, access).await?;
                if access == Access::TitleOnly {
                    trend.restricted = true;
                    trend.ask_on = newest;
                    trend.values = vec![None; labels.len()];
                    trend.benchmark = vec![None; labels.len()];
                    return Ok(trend);
                }
            }
            let own = repo::period_values(
                db,
                d.id,
                &measure.name,
                &labels,
                &TrendFilter {
                    partner: Some(pid),
                    series: series.clone(),
                    ..Default::default()
                },
            )
            .await?;
            trend.values = align(&own, &|v| v.first().copied());
            // The narrowest peer group with five partners: same kind and region, else the
            // kind nationwide; the partner's own figure is never in it.
            for region in [Some(p.region.clone()), None] {
                let rows = group_values(
                    db,
                    d.id,
                    &measure.name,
                    &labels,
                    TrendFilter {
                        kind: Some(p.kind.clone()),
                        region: region.clone(),
                        series: series.clone(),
                        ..Default::default()
                    },
                )
                .await?;
                // The group holds the partner's own figure: it is taken out before the
                // quartiles, so the benchmark is of the others only.
                let bench: Vec<Option<Benchmark>> = labels
                    .iter()
                    .zip(&trend.values)
                    .map(|(l, own)| {
                        let r = rows.iter().find(|r| &r.period == l)?;
                        let mut others = r.values.clone();
                        if let Some(own) = own
                            && let Some(at) = others.iter().position(|v| v == own)
                        {
                            others.swap_remove(at);
                        }
                        rules::benchmark(&mut others)
                    })
                    .collect();
                if bench.iter().any(Option::is_some) {
                    trend.benchmark = bench;
                    trend.benchmark_withheld = false;
                    trend.peer_group = Some(PeerGroup {
                        kind: p.kind.clone(),
                        region,
                    });
                    break;
                }
            }
            if trend.benchmark_withheld {
                trend.benchmark = vec![None; labels.len()];
            }
        }
        None => {
            // Only the partners whose figures the reader knows are summed (§7.2.2).
            let known_to = restricts(actor, d.classification).then(|| knower(actor));
            if let Some(k) = &known_to {
                trend.withheld_partners =
                    repo::withheld_partners(db, d.id, &measure.name, &labels, k).await?;
            }
            let f = TrendFilter {
                series: series.clone(),
                known_to: known_to.clone(),
                ..Default::default()
            };
            let all = repo::period_values(db, d.id, &measure.name, &labels, &f).await?;
            trend.values = align(&all, &|v| Some(v.iter().sum()));
            trend.benchmark = vec![None; labels.len()];
            if let Some(g) = query.group.as_deref().filter(|g| !g.is_empty()) {
                if !["region", "kind", "series"].contains(&g) {
                    return Err(Error::invalid(
                        "group",
                        Msg::one_of(g, &["region", "kind", "series"]),
                    ));
                }
                let rows = repo::group_totals(
                    db,
                    d.id,
                    &measure.name,
                    &labels,
                    Some(g),
                    known_to.as_ref(),
                )
                .await?;
                let mut names: Vec<String> = rows.iter().map(|r| r.group.clone()).collect();
                names.sort();
                names.dedup();
                for name in names.into_iter().take(12) {
                    trend.groups.push(GroupLine {
                        values: labels
                            .iter()
                            .map(|l| {
                                rows.iter()
                                    .find(|r| &r.period == l && r.group == name)
                                    .map(|r| r.value)
                            })
                            .collect(),
                        group: name,
                    });
                }
            }
        }
    }
    Ok(trend)
}

/// A peer group's figures per period are kept a minute per process (a group of thousands
/// costs tens of milliseconds to read at a hundred thousand partners); an accepted submission
/// of this process forgets them at once, another process's within the minute.
struct GroupCache {
    generation: u64,
    entries: HashMap<String, (std::time::Instant, Arc<Vec<repo::PeriodValues>>)>,
}

static GROUPS: std::sync::Mutex<Option<GroupCache>> = std::sync::Mutex::new(None);
static GENERATION: AtomicU64 = AtomicU64::new(0);
const GROUP_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// Figures changed: every kept group is stale.
fn forget_groups() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

async fn group_values(
    db: &Db,
    dataset: Uuid,
    measure: &str,
    labels: &[String],
    f: TrendFilter,
) -> Result<Arc<Vec<repo::PeriodValues>>> {
    let key = format!(
        "{dataset}|{measure}|{:?}|{:?}|{:?}|{}",
        f.kind,
        f.region,
        f.series,
        labels.join(",")
    );
    let generation = GENERATION.load(Ordering::Relaxed);
    if let Ok(mut guard) = GROUPS.lock() {
        let cache = guard.get_or_insert_with(|| GroupCache {
            generation,
            entries: HashMap::new(),
        });
        if cache.generation != generation {
            cache.generation = generation;
            cache.entries.clear();
        }
        if let Some((at, rows)) = cache.entries.get(&key)
            && at.elapsed() < GROUP_TTL
        {
            return Ok(rows.clone());
        }
    }
    let rows = Arc::new(repo::period_values(db, dataset, measure, labels, &f).await?);
    if let Ok(mut guard) = GROUPS.lock()
        && let Some(cache) = guard.as_mut()
        && cache.generation == generation
    {
        if cache.entries.len() >= 1000 {
            cache.entries.clear();
        }
        cache
            .entries
            .insert(key, (std::time::Instant::now(), rows.clone()));
    }
    Ok(rows)
}

/// The series (products, categories) with figures, for a trend's picker.
pub async fn series_options(
    db: &Db,
    actor: &Actor,
    dataset: &str,
    partner: Option<Uuid>,
) -> Result<Vec<String>> {
    let d = dataset_for_reading(db, actor, dataset).await?;
    let partner = match actor.scope() {
        Scope::Partner(p) => Some(p),
        Scope::All => {
            // The series a partner reported are its figures' (D9), under need-to-know as
            // they are (§7.2.2): none outside the circle, a secret data set's not found.
            check(actor, Permission::ReadAllData, &Object::default())?;
            if let Some(p) = partner {
                match figures_access(db, actor, &d, p).await? {
                    Access::Full => {}
                    Access::TitleOnly => return Ok(Vec::new()),
                    Access::Hidden => return Err(Error::NotFound),
                }
            }
            partner
        }
        Scope::Nothing => return Err(Error::NotFound),
    };
    Ok(repo::series_of(db, d.id, partner).await?)
}

async fn dataset_for_reading(db: &Db, actor: &Actor, code: &str) -> Result<Dataset> {
    check(actor, Permission::ReadData, &Object::default())?;
    find_dataset(db, code).await
}

// ---------------------------------------------------------------------------------------------
// Settings and the sweep

pub async fn settings(db: &Db, actor: &Actor) -> Result<Thresholds> {
    check(actor, Permission::ReadAllData, &Object::default())?;
    Ok(repo::settings(db).await?)
}

pub async fn update_settings(db: &Db, actor: &Actor, s: &Thresholds) -> Result<Thresholds> {
    check(actor, Permission::ManageData, &Object::default())?;
    Ok(repo::update_settings(db, actor.user_id, s).await?)
}

/// Reminders (§3.3.1): a few days before a period's figures fall due, the partner's people
/// who have not submitted are reminded; once past due, its channel manager is told. Each once.
/// Returns how many reminders went out.
pub async fn sweep(db: &Db) -> Result<usize> {
    let cal = DueCalendar::load(db).await?;
    let today = today(db);
    let email_at = crate::notify::email_time(db, false).await?;
    let mut sent = 0;
    // Channel managers told this run, per data set and period (two requirements may ask for
    // the same data set, e.g. sales of distributors and of agents).
    let mut owner_told: std::collections::HashSet<(Uuid, Uuid, String)> = Default::default();
    for r in repo::list_requirements(db).await? {
        if !r.active {
            continue;
        }
        let d = repo::find_dataset(db, r.dataset_id).await?;
        let open = last_closed(r.period_kind, today);
        let open_due = cal.due_on(&open, r.due_days);
        let late = if open_due >= today { open.prev() } else { open };
        let late_due = cal.due_on(&late, r.due_days);
        let reminding = open_due >= today && (open_due - today).num_days() <= r.remind_days;
        let partners = asked(db, &r).await?;
        for (period, due_on, kind) in [(open, open_due, "due"), (late, late_due, "overdue")] {
            if kind == "due" && !reminding {
                continue;
            }
            if kind == "overdue" && due_on >= today {
                continue;
            }
            let label = period.to_string();
            let done: std::collections::HashSet<Uuid> = repo::submitted_partners(db, d.id, &label)
                .await?
                .into_iter()
                .chain(repo::reminded(db, d.id, &label, kind).await?)
                .collect();
            // A channel manager hears once per data set and period, however many of their
            // partners are late ("上海恒通 +3"); the list is on the data page.
            let late: Vec<&Partner> = partners.iter().filter(|p| !done.contains(&p.id)).collect();
            let mut per_owner: HashMap<Uuid, usize> = HashMap::new();
            for p in &late {
                if let Some(o) = p.owner_id {
                    *per_owner.entry(o).or_default() += 1;
                }
            }
            for p in late {
                let others = p
                    .owner_id
                    .and_then(|o| per_owner.get(&o))
                    .map_or(0, |n| n.saturating_sub(1));
                let name = if kind == "overdue" && others > 0 {
                    format!("{} +{others}", p.name)
                } else {
                    p.name.clone()
                };
                let args = json!({
                    "dataset": d.name_zh,
                    "period": label,
                    "due": due_on.format("%Y-%m-%d").to_string(),
                    "partner": name,
                });
                let told: Vec<NewNotification> = if kind == "due" {
                    liaison_db::user::portal_logins(db, p.id)
                        .await?
                        .into_iter()
                        .filter(|u| u.active)
                        .map(|u| NewNotification {
                            user_id: u.id,
                            kind: NotifyKind::DataDue,
                            args: args.clone(),
                            link: "/portal/data".into(),
                            urgent: false,
                            email_at: Some(email_at),
                        })
                        .collect()
                } else {
                    p.owner_id
                        .filter(|o| owner_told.insert((*o, d.id, label.clone())))
                        .into_iter()
                        .map(|owner| NewNotification {
                            user_id: owner,
                            kind: NotifyKind::DataOverdue,
                            args: args.clone(),
                            link: "/console/data".into(),
                            urgent: false,
                            email_at: Some(email_at),
                        })
                        .collect()
                };
                if repo::mark_reminded(db, d.id, p.id, &label, kind, &told).await? {
                    sent += told.len();
                }
            }
        }
    }
    Ok(sent)
}
