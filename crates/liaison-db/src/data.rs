//! Business data exchange (policy §3.3; SPEC D7–D9): data sets and their schemas, the
//! requirements that ask partners for them, submissions and their rows, the figures per series
//! and period, anomalies with their follow-up, and the reminders sent.
//!
//! A submission is written by a [`SubmissionWriter`]: one transaction that takes the rows in
//! sealed chunks as the upload streams in and ends with the figures; dropped before
//! [`SubmissionWriter::finish`], it stores nothing. A rejected submission keeps only its errors
//! ([`insert_rejected`]). Who may do what is decided by the service layer.

use crate::audit::Entry;
use crate::notify::NewNotification;
use crate::query::{parsed, values_sql};
use crate::{Db, DbError, FromDbRow, Q, Result, RowExt, Tx, q};
use chrono::{DateTime, NaiveDate, Utc};
use liaison_core::data::{
    AnomalyState, Baseline, FollowUpKind, PeriodKind, Schema, SubmissionState, SubmissionVia,
};
use liaison_core::partner::PartnerKind;
use liaison_core::review::Classification;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dataset {
    pub id: Uuid,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub description: String,
    pub schema: Schema,
    pub classification: Classification,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

from_row!(Dataset; id: uuid, code: text, name_zh: text, name_en: text, description: text,
    schema: text => crate::query::json, classification: text => parsed(Classification::parse),
    active: bool, version: i64, created_at: time, updated_at: time);

const DATASET: &str = "SELECT id, code, name_zh, name_en, description, schema, classification, \
    active, version, created_at, updated_at FROM datasets";

/// A data set as an admin writes it.
#[derive(Debug, Clone)]
pub struct DatasetFields {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub description: String,
    pub schema: Schema,
    pub classification: Classification,
    pub active: bool,
}

pub async fn list_datasets(db: &Db, active_only: bool) -> Result<Vec<Dataset>> {
    let filter = if active_only {
        " WHERE active = $1"
    } else {
        " WHERE active = active OR $1"
    };
    db.fetch_all(Q::dynamic(format!("{DATASET}{filter} ORDER BY code")).bind(true))
        .await
}

pub async fn find_dataset(db: &Db, id: Uuid) -> Result<Dataset> {
    db.fetch_one(Q::dynamic(format!("{DATASET} WHERE id = $1")).bind(id))
        .await
}

pub async fn find_dataset_by_code(db: &Db, code: &str) -> Result<Dataset> {
    db.fetch_one(Q::dynamic(format!("{DATASET} WHERE code = $1")).bind(code))
        .await
}

fn schema_text(s: &Schema) -> Result<String> {
    serde_json::to_string(s).map_err(|e| DbError::Config(e.to_string()))
}

pub async fn insert_dataset(db: &Db, actor: Uuid, f: &DatasetFields) -> Result<Dataset> {
    let id = Uuid::now_v7();
    let schema = schema_text(&f.schema)?;
    db.write_one(
        |now| {
            q("INSERT INTO datasets (id, code, name_zh, name_en, description, schema, classification,
                   active, version, created_by, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $10)")
            .bind(id)
            .bind(f.code.as_str())
            .bind(f.name_zh.as_str())
            .bind(f.name_en.as_str())
            .bind(f.description.as_str())
            .bind(schema)
            .bind(f.classification.as_str())
            .bind(f.active)
            .bind(actor)
            .bind(now)
        },
        Entry::by(actor, "dataset.create", "dataset", id, json!({"code": f.code})),
    )
    .await
    .map_err(|e| e.conflict_on("code", &f.code))?;
    find_dataset(db, id).await
}

pub async fn update_dataset(
    db: &Db,
    actor: Uuid,
    id: Uuid,
    version: i64,
    f: &DatasetFields,
) -> Result<Dataset> {
    let schema = schema_text(&f.schema)?;
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_versioned(
        q(
            "UPDATE datasets SET code = $1, name_zh = $2, name_en = $3, description = $4,
               schema = $5, classification = $6, active = $7, version = version + 1,
               updated_at = $8
           WHERE id = $9 AND version = $10",
        )
        .bind(f.code.as_str())
        .bind(f.name_zh.as_str())
        .bind(f.name_en.as_str())
        .bind(f.description.as_str())
        .bind(schema)
        .bind(f.classification.as_str())
        .bind(f.active)
        .bind(now)
        .bind(id)
        .bind(version),
        "dataset",
    )
    .await
    .map_err(|e| e.conflict_on("code", &f.code))?;
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            "dataset.update",
            "dataset",
            id,
            json!({"code": f.code}),
        ),
    )
    .await?;
    find_dataset(db, id).await
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Requirement {
    pub id: Uuid,
    pub dataset_id: Uuid,
    pub dataset_code: String,
    pub partner_kind: Option<PartnerKind>,
    pub segment_id: Option<Uuid>,
    pub segment_name: Option<String>,
    pub period_kind: PeriodKind,
    pub due_days: i64,
    pub remind_days: i64,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

from_row!(Requirement; id: uuid, dataset_id: uuid, dataset_code: text,
    partner_kind: opt_text => |k: Option<String>| k.map(|k| PartnerKind::parse(&k)).transpose()
        .map_err(|e| sqlx::Error::Decode(e.to_string().into())),
    segment_id: opt_uuid, segment_name: opt_text,
    period_kind: text => parsed(PeriodKind::parse), due_days: i64, remind_days: i64, active: bool,
    created_at: time);

const REQUIREMENT: &str = "SELECT r.id, r.dataset_id, d.code AS dataset_code, r.partner_kind, \
    r.segment_id, s.name AS segment_name, r.period_kind, r.due_days, r.remind_days, r.active, \
    r.created_at FROM data_requirements r JOIN datasets d ON d.id = r.dataset_id \
    LEFT JOIN segments s ON s.id = r.segment_id";

#[derive(Debug, Clone)]
pub struct RequirementFields {
    pub dataset_id: Uuid,
    pub partner_kind: Option<PartnerKind>,
    pub segment_id: Option<Uuid>,
    pub period_kind: PeriodKind,
    pub due_days: i64,
    pub remind_days: i64,
    pub active: bool,
}

pub async fn list_requirements(db: &Db) -> Result<Vec<Requirement>> {
    db.fetch_all(Q::dynamic(format!(
        "{REQUIREMENT} ORDER BY d.code, r.created_at"
    )))
    .await
}

pub async fn find_requirement(db: &Db, id: Uuid) -> Result<Requirement> {
    db.fetch_one(Q::dynamic(format!("{REQUIREMENT} WHERE r.id = $1")).bind(id))
        .await
}

pub async fn insert_requirement(
    db: &Db,
    actor: Uuid,
    f: &RequirementFields,
) -> Result<Requirement> {
    let id = Uuid::now_v7();
    db.write_one(
        |now| {
            q("INSERT INTO data_requirements (id, dataset_id, partner_kind, segment_id, period_kind,
                   due_days, remind_days, active, created_by, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(id)
            .bind(f.dataset_id)
            .bind(f.partner_kind.map(|k| k.as_str()))
            .bind(f.segment_id)
            .bind(f.period_kind.as_str())
            .bind(f.due_days)
            .bind(f.remind_days)
            .bind(f.active)
            .bind(actor)
            .bind(now)
        },
        Entry::by(
            actor,
            "data_requirement.create",
            "data_requirement",
            id,
            json!({}),
        ),
    )
    .await?;
    find_requirement(db, id).await
}

pub async fn update_requirement(
    db: &Db,
    actor: Uuid,
    id: Uuid,
    f: &RequirementFields,
) -> Result<Requirement> {
    db.write_one(
        |_| {
            q(
                "UPDATE data_requirements SET dataset_id = $1, partner_kind = $2, segment_id = $3,
                   period_kind = $4, due_days = $5, remind_days = $6, active = $7 WHERE id = $8",
            )
            .bind(f.dataset_id)
            .bind(f.partner_kind.map(|k| k.as_str()))
            .bind(f.segment_id)
            .bind(f.period_kind.as_str())
            .bind(f.due_days)
            .bind(f.remind_days)
            .bind(f.active)
            .bind(id)
        },
        Entry::by(
            actor,
            "data_requirement.update",
            "data_requirement",
            id,
            json!({}),
        ),
    )
    .await?;
    find_requirement(db, id).await
}

/// One bad cell (or a whole-file problem when `row` is 0): a catalogue key and its arguments,
/// rendered in the reader's language when read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellError {
    pub row: u64,
    pub column: String,
    pub key: String,
    #[serde(default)]
    pub args: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Submission {
    pub id: Uuid,
    pub dataset_id: Uuid,
    pub dataset_code: String,
    pub dataset_name_zh: String,
    pub dataset_name_en: String,
    pub partner_id: Uuid,
    pub partner_code: String,
    pub partner_name: String,
    pub period: String,
    pub version: i64,
    pub state: SubmissionState,
    pub via: SubmissionVia,
    pub file_name: Option<String>,
    pub row_count: i64,
    pub error_count: i64,
    pub due_on: Option<NaiveDate>,
    pub on_time: Option<bool>,
    pub submitted_by: Uuid,
    pub submitted_by_name: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub superseded_at: Option<DateTime<Utc>>,
    /// The data set's classification (§7.2.2 applies to a confidential or secret one).
    pub classification: Classification,
    /// The partner's channel manager: the owner of its figures (§7.2.2).
    #[serde(skip)]
    pub partner_owner_id: Option<Uuid>,
    /// §7.2.2: set by the service for a reader who sees the title only (no file, rows or errors).
    pub restricted: bool,
}

fn date(s: Option<String>) -> Result<Option<NaiveDate>, sqlx::Error> {
    s.map(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d"))
        .transpose()
        .map_err(|e| sqlx::Error::Decode(e.into()))
}

from_row!(Submission; id: uuid, dataset_id: uuid, dataset_code: text, dataset_name_zh: text,
    dataset_name_en: text, partner_id: uuid, partner_code: text, partner_name: text,
    period: text, version: i64, state: text => parsed(SubmissionState::parse),
    via: text => parsed(SubmissionVia::parse), file_name: opt_text, row_count: i64,
    error_count: i64, due_on: opt_text => date, on_time: opt_bool, submitted_by: uuid,
    submitted_by_name: opt_text, submitted_at: time, superseded_at: opt_time,
    classification: text => parsed(Classification::parse), partner_owner_id: opt_uuid,
    restricted: bool);

const SUBMISSION: &str = "SELECT s.id, s.dataset_id, d.code AS dataset_code, \
    d.name_zh AS dataset_name_zh, d.name_en AS dataset_name_en, s.partner_id, \
    p.code AS partner_code, p.name AS partner_name, s.period, s.version, s.state, s.via, \
    s.file_name, s.row_count, s.error_count, s.due_on, s.on_time, s.submitted_by, \
    u.name AS submitted_by_name, s.submitted_at, s.superseded_at, d.classification, \
    p.owner_id AS partner_owner_id, FALSE AS restricted \
    FROM submissions s JOIN datasets d ON d.id = s.dataset_id \
    JOIN partners p ON p.id = s.partner_id LEFT JOIN users u ON u.id = s.submitted_by";

/// What a submission list is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct SubmissionFilter {
    pub partner: Option<Uuid>,
    pub dataset: Option<Uuid>,
    pub period: Option<String>,
    pub state: Option<SubmissionState>,
    pub on_time: Option<bool>,
    /// The keyset: submissions before this one (newest first).
    pub before: Option<(DateTime<Utc>, Uuid)>,
}

pub async fn list_submissions(
    db: &Db,
    f: &SubmissionFilter,
    limit: i64,
) -> Result<Vec<Submission>> {
    let mut query = Q::dynamic(format!("{SUBMISSION} WHERE 1 = 1"));
    query.and_some("s.partner_id =", f.partner);
    query.and_some("s.dataset_id =", f.dataset);
    query.and_some("s.period =", f.period.clone());
    query.and_some("s.state =", f.state.map(|s| s.as_str()));
    query.and_some("s.on_time =", f.on_time);
    if let Some((at, id)) = f.before {
        let (a, b, c) = (query.arg(at), query.arg(at), query.arg(id));
        query.push_sql(&format!(
            " AND (s.submitted_at < {a} OR (s.submitted_at = {b} AND s.id < {c}))"
        ));
    }
    query.order_limit("s.submitted_at DESC, s.id DESC", limit);
    db.fetch_all(query).await
}

pub async fn find_submission(db: &Db, id: Uuid) -> Result<Submission> {
    db.fetch_one(Q::dynamic(format!("{SUBMISSION} WHERE s.id = $1")).bind(id))
        .await
}

struct ErrorsRow(String);
from_row!(ErrorsRow(errors: text));

pub async fn submission_errors(db: &Db, id: Uuid) -> Result<Vec<CellError>> {
    let row: ErrorsRow = db
        .fetch_one(q("SELECT errors FROM submissions WHERE id = $1").bind(id))
        .await?;
    crate::query::json(row.0).map_err(DbError::from)
}

/// The current submissions of `partner` for each (data set, period) in `periods`, for the
/// obligations page: `(dataset_id, period) → submission`.
pub async fn current_for(db: &Db, partner: Uuid, periods: &[String]) -> Result<Vec<Submission>> {
    let mut query = Q::dynamic(String::new());
    let list = query.in_list(periods.iter().cloned());
    let p = query.arg(partner);
    let sql = format!(
        "{SUBMISSION} WHERE s.partner_id = {p} AND s.state = 'current' AND s.period IN {list}"
    );
    db.fetch_all(query.replace_sql(sql)).await
}

/// Partners with a current submission of `dataset` for `period`.
pub async fn submitted_partners(db: &Db, dataset: Uuid, period: &str) -> Result<Vec<Uuid>> {
    db.fetch_all(
        q("SELECT partner_id FROM submissions WHERE dataset_id = $1 AND period = $2 AND state = 'current'")
            .bind(dataset)
            .bind(period),
    )
    .await
}

/// The header of a new submission.
#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub id: Uuid,
    pub dataset_id: Uuid,
    pub partner_id: Uuid,
    pub period: String,
    pub via: SubmissionVia,
    pub file_name: Option<String>,
    pub due_on: Option<NaiveDate>,
    /// The end of the due day in the company's zone: submitted before it is on time.
    pub due_by: Option<DateTime<Utc>>,
    pub submitted_by: Uuid,
}

/// One figure: a series' aggregated measure for the submission's period.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub series: String,
    pub measure: String,
    pub value: f64,
    pub rows: i64,
}

/// Writes one accepted submission in one transaction: its rows in sealed chunks as they come,
/// then its figures; the version before it is superseded and kept.
pub struct SubmissionWriter {
    db: Db,
    tx: Tx,
    sub: NewSubmission,
    seq: i64,
    rows: i64,
    now: DateTime<Utc>,
}

impl SubmissionWriter {
    pub async fn begin(db: &Db, sub: NewSubmission) -> Result<SubmissionWriter> {
        let now = db.now();
        let mut tx = db.begin().await?;
        // The submission row first, state 'current' with no rows yet; `finish` completes it.
        tx.execute_one(
            q("INSERT INTO submissions (id, dataset_id, partner_id, period, version, state, via,
                   file_name, row_count, error_count, errors, due_on, on_time, submitted_by,
                   submitted_at)
               VALUES ($1, $2, $3, $4,
                   (SELECT COALESCE(MAX(version), 0) + 1 FROM submissions
                    WHERE partner_id = $3 AND dataset_id = $2 AND period = $4 AND state <> 'rejected'),
                   'current', $5, $6, 0, 0, '[]', $7, $8, $9, $10)")
            .bind(sub.id)
            .bind(sub.dataset_id)
            .bind(sub.partner_id)
            .bind(sub.period.as_str())
            .bind(sub.via.as_str())
            .bind(sub.file_name.clone())
            .bind(sub.due_on.map(|d| d.format("%Y-%m-%d").to_string()))
            .bind(sub.due_by.map(|d| now < d))
            .bind(sub.submitted_by)
            .bind(now),
        )
        .await?;
        Ok(SubmissionWriter {
            db: db.clone(),
            tx,
            sub,
            seq: 0,
            rows: 0,
            now,
        })
    }

    pub fn id(&self) -> Uuid {
        self.sub.id
    }

    /// Stores `rows` rows (normalised CSV text, first data row `first_row`), sealed.
    pub async fn chunk(&mut self, first_row: i64, rows: i64, csv: &str) -> Result<()> {
        self.seq += 1;
        let body = self
            .db
            .seal(&format!("submission_chunks:{}", self.seq), self.sub.id, csv)?;
        self.tx
            .execute_one(
                q(
                    "INSERT INTO submission_chunks (submission_id, seq, first_row, row_count, body)
                   VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(self.sub.id)
                .bind(self.seq)
                .bind(first_row)
                .bind(rows)
                .bind(body),
            )
            .await?;
        self.rows += rows;
        Ok(())
    }

    /// Supersedes the version before, replaces the period's figures with `points`, records
    /// the row count and the audit entry, tells `notify`, and commits.
    pub async fn finish(
        mut self,
        points: &[Point],
        notify: &[NewNotification],
    ) -> Result<Submission> {
        let s = &self.sub;
        self.tx
            .execute(
                q(
                    "UPDATE submissions SET state = 'superseded', superseded_at = $1
                   WHERE partner_id = $2 AND dataset_id = $3 AND period = $4
                     AND state = 'current' AND id <> $5",
                )
                .bind(self.now)
                .bind(s.partner_id)
                .bind(s.dataset_id)
                .bind(s.period.as_str())
                .bind(s.id),
            )
            .await?;
        self.tx
            .execute(
                q("DELETE FROM data_points WHERE dataset_id = $1 AND partner_id = $2 AND period = $3")
                    .bind(s.dataset_id)
                    .bind(s.partner_id)
                    .bind(s.period.as_str()),
            )
            .await?;
        for batch in points.chunks(400) {
            let mut query = Q::dynamic(format!(
                "INSERT INTO data_points (dataset_id, partner_id, series, measure, period, value,
                     row_count, submission_id) VALUES {}",
                values_sql(8, batch.len())
            ));
            for p in batch {
                query = query
                    .bind(s.dataset_id)
                    .bind(s.partner_id)
                    .bind(p.series.as_str())
                    .bind(p.measure.as_str())
                    .bind(s.period.as_str())
                    .bind(p.value)
                    .bind(p.rows)
                    .bind(s.id);
            }
            self.tx.execute(query).await?;
        }
        self.tx
            .execute_one(
                q("UPDATE submissions SET row_count = $1 WHERE id = $2")
                    .bind(self.rows)
                    .bind(s.id),
            )
            .await?;
        crate::notify::insert(&mut self.tx, self.now, notify).await?;
        let entry = Entry {
            actor_id: Some(s.submitted_by),
            action: "submission.create",
            entity: "submission",
            entity_id: Some(s.id),
            partner_id: Some(s.partner_id),
            detail: json!({"period": s.period, "rows": self.rows}),
        };
        let id = s.id;
        self.tx.commit_audited(self.now, entry).await?;
        find_submission(&self.db, id).await
    }
}

/// Records a refused submission: its errors (at most the first 1,000; `error_count` all of
/// them), no rows, no figures.
pub async fn insert_rejected(
    db: &Db,
    sub: &NewSubmission,
    rows: i64,
    error_count: i64,
    errors: &[CellError],
) -> Result<Submission> {
    let text = serde_json::to_string(&errors.iter().take(1000).collect::<Vec<_>>())
        .map_err(|e| DbError::Config(e.to_string()))?;
    let entry = Entry {
        actor_id: Some(sub.submitted_by),
        action: "submission.reject",
        entity: "submission",
        entity_id: Some(sub.id),
        partner_id: Some(sub.partner_id),
        detail: json!({"period": sub.period, "errors": error_count}),
    };
    db.write_one(
        |now| {
            q(
                "INSERT INTO submissions (id, dataset_id, partner_id, period, version, state, via,
                   file_name, row_count, error_count, errors, due_on, on_time, submitted_by,
                   submitted_at)
               VALUES ($1, $2, $3, $4, 0, 'rejected', $5, $6, $7, $8, $9, $10, NULL, $11, $12)",
            )
            .bind(sub.id)
            .bind(sub.dataset_id)
            .bind(sub.partner_id)
            .bind(sub.period.as_str())
            .bind(sub.via.as_str())
            .bind(sub.file_name.clone())
            .bind(rows)
            .bind(error_count)
            .bind(text)
            .bind(sub.due_on.map(|d| d.format("%Y-%m-%d").to_string()))
            .bind(sub.submitted_by)
            .bind(now)
        },
        entry,
    )
    .await?;
    find_submission(db, sub.id).await
}

struct ChunkRow(i64, String);
from_row!(ChunkRow(seq: i64, body: text));

/// The rows of a submission as stored (normalised CSV without its header), chunk by chunk.
pub async fn submission_rows(db: &Db, id: Uuid) -> Result<Vec<String>> {
    let rows: Vec<ChunkRow> = db
        .fetch_all(
            q("SELECT seq, body FROM submission_chunks WHERE submission_id = $1 ORDER BY seq")
                .bind(id),
        )
        .await?;
    rows.into_iter()
        .map(|ChunkRow(seq, body)| db.open(&format!("submission_chunks:{seq}"), id, &body))
        .collect()
}

/// One series of one partner over a run of periods, with what groups its peers.
#[derive(Debug, Clone)]
pub struct SeriesHistory {
    pub partner_id: Uuid,
    pub kind: String,
    pub region: String,
    pub owner_id: Option<Uuid>,
    pub series: String,
    pub measure: String,
    /// `(period, value)` in no set order.
    pub values: Vec<(String, f64)>,
}

impl FromDbRow for SeriesHistory {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        let packed = r.text("packed")?;
        let mut values = Vec::new();
        for item in packed.split(';').filter(|s| !s.is_empty()) {
            let (p, v) = item
                .split_once('=')
                .ok_or_else(|| crate::query::decode_error("packed", item))?;
            let v: f64 = v
                .parse()
                .map_err(|e| crate::query::decode_error("packed", e))?;
            values.push((p.to_string(), v));
        }
        Ok(SeriesHistory {
            partner_id: r.uuid("partner_id")?,
            kind: r.text("kind")?,
            region: r.text("region")?,
            owner_id: r.opt_uuid("owner_id")?,
            series: r.text("series")?,
            measure: r.text("measure")?,
            values,
        })
    }
}

/// Whose series [`histories`] reads.
#[derive(Debug, Clone)]
pub enum Whose {
    All,
    Partner(Uuid),
    /// Partners of one kind and region (a partner's peers).
    Group {
        kind: String,
        region: String,
    },
    /// Partners of one kind in every region (peers when the region has too few).
    Kind(String),
}

/// Every series of `dataset` over `periods` (one row a series, its values packed in one
/// column so a hundred thousand partners read in seconds).
pub async fn histories(
    db: &Db,
    dataset: Uuid,
    periods: &[String],
    whose: &Whose,
) -> Result<Vec<SeriesHistory>> {
    let pack = match db.backend() {
        crate::Backend::Sqlite => "group_concat(d.period || '=' || d.value, ';')",
        crate::Backend::Postgres => "string_agg(d.period || '=' || d.value::text, ';')",
    };
    let mut query = Q::dynamic(String::new());
    let list = query.in_list(periods.iter().cloned());
    let ds = query.arg(dataset);
    let mut filter = String::new();
    match whose {
        Whose::All => {}
        Whose::Partner(p) => filter = format!(" AND d.partner_id = {}", query.arg(*p)),
        Whose::Kind(kind) => filter = format!(" AND p.kind = {}", query.arg(kind.as_str())),
        Whose::Group { kind, region } => {
            filter = format!(
                " AND p.kind = {} AND p.region = {}",
                query.arg(kind.as_str()),
                query.arg(region.as_str())
            )
        }
    }
    let sql = format!(
        "SELECT d.partner_id, p.kind, p.region, p.owner_id, d.series, d.measure, {pack} AS packed
         FROM data_points d JOIN partners p ON p.id = d.partner_id
         WHERE d.dataset_id = {ds} AND d.period IN {list}{filter}
         GROUP BY d.partner_id, p.kind, p.region, p.owner_id, d.series, d.measure"
    );
    db.fetch_all(query.replace_sql(sql)).await
}

/// One period's figures of a group, for a trend: the period and every partner's value.
#[derive(Debug, Clone)]
pub struct PeriodValues {
    pub period: String,
    pub values: Vec<f64>,
}

impl FromDbRow for PeriodValues {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        let packed = r.text("packed")?;
        let values = packed
            .split(';')
            .filter(|s| !s.is_empty())
            .map(|v| {
                v.parse::<f64>()
                    .map_err(|e| crate::query::decode_error("packed", e))
            })
            .collect::<Result<_, _>>()?;
        Ok(PeriodValues {
            period: r.text("period")?,
            values,
        })
    }
}

/// What a trend is drawn over.
#[derive(Debug, Clone, Default)]
pub struct TrendFilter {
    pub partner: Option<Uuid>,
    pub kind: Option<String>,
    pub region: Option<String>,
    /// One series (a product); `None`: the partners' totals (series `''`).
    pub series: Option<String>,
    /// §7.2.2: only the partners whose figures of the data set this reader knows.
    pub known_to: Option<Knower>,
}

/// A staff reader of a classified data set's figures (§7.2.2), for the circle read in SQL:
/// the partners whose figures they know are those whose channel manager they are, and those
/// of which one submission of the data set has them on its access list, by name or by one of
/// their roles (`liaison_app::data` states the rule).
#[derive(Debug, Clone)]
pub struct Knower {
    pub user: Uuid,
    pub roles: Vec<String>,
}

/// The condition that the partner in column `col` is known to `k` for the data set bound at
/// placeholder `ds`, as sets read once per statement: for scans over many partners' figures
/// (a channel manager may own 100,000 partners: ~60 ms to read, once).
pub(crate) fn known_sql(query: &mut Q, col: &str, ds: &str, k: &Knower) -> String {
    let owner = query.arg(k.user);
    let user = query.arg(k.user);
    let roles = roles_sql(query, k);
    format!(
        "({col} IN (SELECT o.id FROM partners o WHERE o.owner_id = {owner})
          OR {col} IN (SELECT s.partner_id FROM access_lists a
                         JOIN submissions s ON s.id = a.item_id
                        WHERE a.item_kind = 'submission' AND s.dataset_id = {ds}
                          AND (a.user_id = {user}{roles})))"
    )
}

/// The same condition looked up per row: for a few partners (a page of anomalies).
fn known_row_sql(query: &mut Q, col: &str, ds: &str, k: &Knower) -> String {
    let owner = query.arg(k.user);
    let user = query.arg(k.user);
    let roles = roles_sql(query, k);
    format!(
        "(EXISTS (SELECT 1 FROM partners o WHERE o.id = {col} AND o.owner_id = {owner})
          OR EXISTS (SELECT 1 FROM access_lists a
                       JOIN submissions s ON s.id = a.item_id
                      WHERE a.item_kind = 'submission' AND s.partner_id = {col}
                        AND s.dataset_id = {ds} AND (a.user_id = {user}{roles})))"
    )
}

fn roles_sql(query: &mut Q, k: &Knower) -> String {
    if k.roles.is_empty() {
        String::new()
    } else {
        let list = query.in_list(k.roles.iter().cloned());
        format!(" OR a.role IN {list}")
    }
}

/// Of `partners`, those whose figures of `dataset` `k` knows (§7.2.2), in one statement.
pub async fn known_partners(
    db: &Db,
    dataset: Uuid,
    partners: &[Uuid],
    k: &Knower,
) -> Result<Vec<Uuid>> {
    if partners.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = Q::dynamic(String::new());
    let ds = query.arg(dataset);
    let list = query.in_list(partners.iter().copied());
    let known = known_row_sql(&mut query, "p.id", &ds, k);
    let sql = format!("SELECT p.id FROM partners p WHERE p.id IN {list} AND {known}");
    db.fetch_all(query.replace_sql(sql)).await
}

/// How many partners reported `measure` of `dataset` (their totals, series `''`) in `periods`
/// whose figures `k` does not know: what a company total left out (§7.2.2).
pub async fn withheld_partners(
    db: &Db,
    dataset: Uuid,
    measure: &str,
    periods: &[String],
    k: &Knower,
) -> Result<i64> {
    let mut query = Q::dynamic(String::new());
    let list = query.in_list(periods.iter().cloned());
    let ds = query.arg(dataset);
    let m = query.arg(measure);
    let known = known_sql(&mut query, "d.partner_id", &ds, k);
    let sql = format!(
        "SELECT CAST(COUNT(DISTINCT d.partner_id) AS BIGINT) FROM data_points d
          WHERE d.dataset_id = {ds} AND d.measure = {m} AND d.series = ''
            AND d.period IN {list} AND NOT {known}"
    );
    db.fetch_one(query.replace_sql(sql)).await
}

/// The newest submission of `partner`'s figures of `dataset` (where access to them is asked).
pub async fn newest_submission(db: &Db, dataset: Uuid, partner: Uuid) -> Result<Option<Uuid>> {
    let mut query = q("SELECT id FROM submissions WHERE partner_id = $1 AND dataset_id = $2 AND state <> 'rejected'")
        .bind(partner)
        .bind(dataset);
    query.order_limit("submitted_at DESC, id DESC", 1);
    db.fetch_optional(query).await
}

/// Each period's values of `measure` in `dataset` for the partners `f` selects, one value a
/// partner.
pub async fn period_values(
    db: &Db,
    dataset: Uuid,
    measure: &str,
    periods: &[String],
    f: &TrendFilter,
) -> Result<Vec<PeriodValues>> {
    let pack = match db.backend() {
        crate::Backend::Sqlite => "group_concat(d.value, ';')",
        crate::Backend::Postgres => "string_agg(d.value::text, ';')",
    };
    let mut query = Q::dynamic(String::new());
    let list = query.in_list(periods.iter().cloned());
    let ds = query.arg(dataset);
    let m = query.arg(measure);
    let series = query.arg(f.series.clone().unwrap_or_default());
    let mut filter = String::new();
    if let Some(p) = f.partner {
        filter.push_str(&format!(" AND d.partner_id = {}", query.arg(p)));
    }
    if let Some(k) = &f.kind {
        filter.push_str(&format!(" AND p.kind = {}", query.arg(k.as_str())));
    }
    if let Some(r) = &f.region {
        filter.push_str(&format!(" AND p.region = {}", query.arg(r.as_str())));
    }
    if let Some(k) = &f.known_to {
        filter.push_str(&format!(
            " AND {}",
            known_sql(&mut query, "d.partner_id", &ds, k)
        ));
    }
    // A peer group is found from its partners (`partners_kind_region`), then each one's
    // figures by the primary key: a group of thousands among a hundred thousand partners reads
    // its own rows only. (SQLite takes the tables in the order of a CROSS JOIN.)
    let from = if f.kind.is_some() || f.region.is_some() {
        "partners p CROSS JOIN data_points d"
    } else {
        "data_points d"
    };
    let join = if from.starts_with("partners") {
        " AND d.partner_id = p.id"
    } else {
        ""
    };
    let sql = format!(
        "SELECT d.period, {pack} AS packed FROM {from}
         WHERE d.dataset_id = {ds} AND d.measure = {m} AND d.series = {series}
           AND d.period IN {list}{filter}{join}
         GROUP BY d.period ORDER BY d.period"
    );
    db.fetch_all(query.replace_sql(sql)).await
}

/// Totals of `measure` per period and group (`region`, `kind`, `series` or none), for the
/// company's view.
#[derive(Debug, Clone, Serialize)]
pub struct GroupTotal {
    pub period: String,
    pub group: String,
    pub value: f64,
    pub partners: i64,
}
from_row!(GroupTotal; period: text, group: text("grp"), value: f64, partners: i64);

pub async fn group_totals(
    db: &Db,
    dataset: Uuid,
    measure: &str,
    periods: &[String],
    group: Option<&str>,
    known_to: Option<&Knower>,
) -> Result<Vec<GroupTotal>> {
    let (col, series) = match group {
        Some("region") => ("p.region", "''"),
        Some("kind") => ("p.kind", "''"),
        Some("series") => ("d.series", "d.series"),
        _ => ("''", "''"),
    };
    let mut query = Q::dynamic(String::new());
    let list = query.in_list(periods.iter().cloned());
    let ds = query.arg(dataset);
    let m = query.arg(measure);
    let mut series_filter = if series == "''" {
        " AND d.series = ''".to_string()
    } else {
        " AND d.series <> ''".to_string()
    };
    if let Some(k) = known_to {
        series_filter.push_str(&format!(
            " AND {}",
            known_sql(&mut query, "d.partner_id", &ds, k)
        ));
    }
    let sql = format!(
        "SELECT d.period, {col} AS grp, CAST(SUM(d.value) AS DOUBLE PRECISION) AS value,
                CAST(COUNT(DISTINCT d.partner_id) AS BIGINT) AS partners
         FROM data_points d JOIN partners p ON p.id = d.partner_id
         WHERE d.dataset_id = {ds} AND d.measure = {m} AND d.period IN {list}{series_filter}
         GROUP BY d.period, {col} ORDER BY d.period, {col}"
    );
    let sql = match db.backend() {
        crate::Backend::Sqlite => sql.replace("DOUBLE PRECISION", "REAL"),
        crate::Backend::Postgres => sql,
    };
    db.fetch_all(query.replace_sql(sql)).await
}

/// The series of a partner's figures (products, categories) that have data, for a picker.
pub async fn series_of(db: &Db, dataset: Uuid, partner: Option<Uuid>) -> Result<Vec<String>> {
    let mut query =
        q("SELECT DISTINCT series FROM data_points WHERE dataset_id = $1 AND series <> ''")
            .bind(dataset);
    query.and_some("partner_id =", partner);
    query.push_sql(" ORDER BY series LIMIT 500");
    db.fetch_all(query).await
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Anomaly {
    pub id: Uuid,
    pub dataset_id: Uuid,
    pub dataset_code: String,
    pub dataset_name_zh: String,
    pub dataset_name_en: String,
    pub partner_id: Uuid,
    pub partner_code: String,
    pub partner_name: String,
    pub submission_id: Uuid,
    pub series: String,
    pub measure: String,
    pub period: String,
    /// The figures: `None` only where they are withheld (`restricted`).
    pub baseline: Option<Baseline>,
    pub value: Option<f64>,
    pub expected: Option<f64>,
    pub score: Option<f64>,
    pub ratio: Option<f64>,
    pub peer_percentile: Option<f64>,
    pub periods: i64,
    pub state: AnomalyState,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The data set's classification (§7.2.2 applies to a confidential or secret one).
    pub classification: Classification,
    /// The partner's channel manager: the owner of its figures (§7.2.2).
    #[serde(skip)]
    pub partner_owner_id: Option<Uuid>,
    /// §7.2.2: set by the service for a reader outside the circle of the partner's figures,
    /// who sees what the anomaly is about but not its figures.
    pub restricted: bool,
}

impl Anomaly {
    /// Takes the figures out (§7.2.2: a reader outside their circle).
    pub fn withhold(&mut self) {
        self.baseline = None;
        self.value = None;
        self.expected = None;
        self.score = None;
        self.ratio = None;
        self.peer_percentile = None;
        self.restricted = true;
    }
}

from_row!(Anomaly; id: uuid, dataset_id: uuid, dataset_code: text, dataset_name_zh: text,
    dataset_name_en: text, partner_id: uuid, partner_code: text, partner_name: text,
    submission_id: uuid, series: text, measure: text, period: text,
    baseline: text => some_baseline, value: f64 -> Some, expected: f64 -> Some,
    score: f64 -> Some, ratio: opt_f64, peer_percentile: opt_f64, periods: i64,
    state: text => parsed(AnomalyState::parse), owner_id: opt_uuid, owner_name: opt_text,
    version: i64, created_at: time, updated_at: time, closed_at: opt_time,
    classification: text => parsed(Classification::parse), partner_owner_id: opt_uuid,
    restricted: bool);

fn some_baseline(s: String) -> Result<Option<Baseline>, sqlx::Error> {
    parsed(Baseline::parse)(s).map(Some)
}

const ANOMALY: &str = "SELECT a.id, a.dataset_id, d.code AS dataset_code, \
    d.name_zh AS dataset_name_zh, d.name_en AS dataset_name_en, a.partner_id, \
    p.code AS partner_code, p.name AS partner_name, a.submission_id, a.series, a.measure, \
    a.period, a.baseline, a.value, a.expected, a.score, a.ratio, a.peer_percentile, a.periods, \
    a.state, a.owner_id, u.name AS owner_name, a.version, a.created_at, a.updated_at, a.closed_at, \
    d.classification, p.owner_id AS partner_owner_id, FALSE AS restricted \
    FROM anomalies a JOIN datasets d ON d.id = a.dataset_id JOIN partners p ON p.id = a.partner_id \
    LEFT JOIN users u ON u.id = a.owner_id";

/// A figure found abnormal.
#[derive(Debug, Clone)]
pub struct NewAnomaly {
    pub dataset_id: Uuid,
    pub partner_id: Uuid,
    pub submission_id: Uuid,
    pub series: String,
    pub measure: String,
    pub period: String,
    pub baseline: Baseline,
    pub value: f64,
    pub expected: f64,
    pub score: f64,
    pub ratio: Option<f64>,
    pub peer_percentile: Option<f64>,
    pub periods: i64,
    pub owner_id: Option<Uuid>,
}

#[derive(Debug, Clone, Default)]
pub struct AnomalyFilter {
    pub partner: Option<Uuid>,
    pub dataset: Option<Uuid>,
    pub state: Option<AnomalyState>,
    pub owner: Option<Uuid>,
    pub before: Option<(DateTime<Utc>, Uuid)>,
}

pub async fn list_anomalies(db: &Db, f: &AnomalyFilter, limit: i64) -> Result<Vec<Anomaly>> {
    let mut query = Q::dynamic(format!("{ANOMALY} WHERE 1 = 1"));
    query.and_some("a.partner_id =", f.partner);
    query.and_some("a.dataset_id =", f.dataset);
    query.and_some("a.state =", f.state.map(|s| s.as_str()));
    query.and_some("a.owner_id =", f.owner);
    if let Some((at, id)) = f.before {
        let (a, b, c) = (query.arg(at), query.arg(at), query.arg(id));
        query.push_sql(&format!(
            " AND (a.created_at < {a} OR (a.created_at = {b} AND a.id < {c}))"
        ));
    }
    query.order_limit("a.created_at DESC, a.id DESC", limit);
    db.fetch_all(query).await
}

pub async fn find_anomaly(db: &Db, id: Uuid) -> Result<Anomaly> {
    db.fetch_one(Q::dynamic(format!("{ANOMALY} WHERE a.id = $1")).bind(id))
        .await
}

/// Open anomalies of one partner's data set and period (to mark corrected ones).
pub async fn open_anomalies_of(
    db: &Db,
    dataset: Uuid,
    partner: Uuid,
    period: &str,
) -> Result<Vec<Anomaly>> {
    db.fetch_all(
        Q::dynamic(format!(
            "{ANOMALY} WHERE a.dataset_id = $1 AND a.partner_id = $2 AND a.period = $3
               AND a.state IN ('open', 'explained')"
        ))
        .bind(dataset)
        .bind(partner)
        .bind(period),
    )
    .await
}

/// Records what detection found: new anomalies open with their owner told; one found again
/// (a resubmission still abnormal) keeps its state and takes the new figures. Returns how many
/// were new.
pub async fn upsert_anomalies(
    db: &Db,
    found: &[NewAnomaly],
    notify: impl Fn(Uuid, &NewAnomaly) -> Vec<NewNotification>,
) -> Result<usize> {
    let now = db.now();
    let mut created = 0;
    for batch in found.chunks(200) {
        let mut tx = db.begin().await?;
        let mut told = Vec::new();
        for a in batch {
            let id = Uuid::now_v7();
            let existing: Option<Uuid> = tx
                .fetch_optional(
                    q(
                        "SELECT id FROM anomalies WHERE dataset_id = $1 AND partner_id = $2
                         AND series = $3 AND measure = $4 AND period = $5",
                    )
                    .bind(a.dataset_id)
                    .bind(a.partner_id)
                    .bind(a.series.as_str())
                    .bind(a.measure.as_str())
                    .bind(a.period.as_str()),
                )
                .await?;
            if let Some(old) = existing {
                tx.execute(
                    q(
                        "UPDATE anomalies SET submission_id = $1, baseline = $2, value = $3,
                           expected = $4, score = $5, ratio = $6, peer_percentile = $7,
                           periods = $8, updated_at = $9, version = version + 1
                       WHERE id = $10",
                    )
                    .bind(a.submission_id)
                    .bind(a.baseline.as_str())
                    .bind(a.value)
                    .bind(a.expected)
                    .bind(a.score)
                    .bind(a.ratio)
                    .bind(a.peer_percentile)
                    .bind(a.periods)
                    .bind(now)
                    .bind(old),
                )
                .await?;
                continue;
            }
            tx.execute(
                q(
                    "INSERT INTO anomalies (id, dataset_id, partner_id, submission_id, series,
                       measure, period, baseline, value, expected, score, ratio, peer_percentile,
                       periods, state, owner_id, version, created_at, updated_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'open',
                       $15, 1, $16, $16)",
                )
                .bind(id)
                .bind(a.dataset_id)
                .bind(a.partner_id)
                .bind(a.submission_id)
                .bind(a.series.as_str())
                .bind(a.measure.as_str())
                .bind(a.period.as_str())
                .bind(a.baseline.as_str())
                .bind(a.value)
                .bind(a.expected)
                .bind(a.score)
                .bind(a.ratio)
                .bind(a.peer_percentile)
                .bind(a.periods)
                .bind(a.owner_id)
                .bind(now),
            )
            .await?;
            told.extend(notify(id, a));
            created += 1;
        }
        crate::notify::insert(&mut tx, now, &told).await?;
        tx.commit().await?;
    }
    Ok(created)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FollowUp {
    pub id: Uuid,
    pub anomaly_id: Uuid,
    pub author_id: Option<Uuid>,
    pub author_name: Option<String>,
    pub author_is_partner: bool,
    pub kind: FollowUpKind,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

from_row!(FollowUp; id: uuid, anomaly_id: uuid, author_id: opt_uuid, author_name: opt_text,
    author_is_partner: bool, kind: text => parsed(FollowUpKind::parse), body: text,
    created_at: time);

pub async fn list_follow_ups(db: &Db, anomaly: Uuid) -> Result<Vec<FollowUp>> {
    let rows: Vec<FollowUp> = db
        .fetch_all(
            q(
                "SELECT e.id, e.anomaly_id, e.author_id, u.name AS author_name,
                      CASE WHEN u.partner_id IS NULL THEN FALSE ELSE TRUE END AS author_is_partner,
                      e.kind, e.body, e.created_at
               FROM anomaly_events e LEFT JOIN users u ON u.id = e.author_id
               WHERE e.anomaly_id = $1 ORDER BY e.created_at, e.id",
            )
            .bind(anomaly),
        )
        .await?;
    rows.into_iter()
        .map(|mut f| {
            f.body = db.open("anomaly_events:body", f.id, &f.body)?;
            Ok(f)
        })
        .collect()
}

/// Adds one entry to a follow-up and moves it to `state`, guarded by the version read; the
/// people in `notify` are told in the same transaction.
pub async fn add_follow_up(
    db: &Db,
    actor: Uuid,
    anomaly: &Anomaly,
    kind: FollowUpKind,
    body: &str,
    state: AnomalyState,
    notify: &[NewNotification],
) -> Result<()> {
    let now = db.now();
    let id = Uuid::now_v7();
    let sealed = db.seal("anomaly_events:body", id, body)?;
    let mut tx = db.begin().await?;
    tx.execute_versioned(
        q(
            "UPDATE anomalies SET state = $1, updated_at = $2, version = version + 1,
               closed_at = CASE WHEN $3 THEN $2 ELSE NULL END
           WHERE id = $4 AND version = $5",
        )
        .bind(state.as_str())
        .bind(now)
        .bind(state == AnomalyState::Closed)
        .bind(anomaly.id)
        .bind(anomaly.version),
        "anomaly",
    )
    .await?;
    tx.execute_one(
        q(
            "INSERT INTO anomaly_events (id, anomaly_id, author_id, kind, body, created_at)
           VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(anomaly.id)
        .bind(actor)
        .bind(kind.as_str())
        .bind(sealed)
        .bind(now),
    )
    .await?;
    crate::notify::insert(&mut tx, now, notify).await?;
    let entry = Entry {
        actor_id: Some(actor),
        action: "anomaly.follow_up",
        entity: "anomaly",
        entity_id: Some(anomaly.id),
        partner_id: Some(anomaly.partner_id),
        detail: json!({"kind": kind.as_str(), "state": state.as_str()}),
    };
    tx.commit_audited(now, entry).await
}

/// Records a reminder once: `true` when it had not been sent before.
pub async fn mark_reminded(
    db: &Db,
    dataset: Uuid,
    partner: Uuid,
    period: &str,
    kind: &str,
    notify: &[NewNotification],
) -> Result<bool> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q(
                "INSERT INTO data_reminders (dataset_id, partner_id, period, kind, sent_at)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(dataset)
            .bind(partner)
            .bind(period)
            .bind(kind)
            .bind(now),
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    crate::notify::insert(&mut tx, now, notify).await?;
    tx.commit().await?;
    Ok(true)
}

const SETTINGS: &str = "data";

/// Anomaly detection's thresholds (§3.3.2), the shipped ones until an admin changes them.
pub async fn settings(db: &Db) -> Result<liaison_core::data::Thresholds> {
    Ok(crate::settings::load(db, SETTINGS)
        .await?
        .unwrap_or_default())
}

pub async fn update_settings(
    db: &Db,
    actor: Uuid,
    s: &liaison_core::data::Thresholds,
) -> Result<liaison_core::data::Thresholds> {
    s.check().map_err(DbError::Invalid)?;
    crate::settings::store(
        db,
        actor,
        SETTINGS,
        s,
        "settings.update",
        json!({"data": s}),
    )
    .await?;
    Ok(*s)
}

/// Every product code in the catalogue (what a `product_code` cell must be).
pub async fn product_codes(db: &Db) -> Result<Vec<String>> {
    db.fetch_all(q("SELECT code FROM products")).await
}

struct PartnerSubmission(Uuid, Uuid);
from_row!(PartnerSubmission(partner_id: uuid, id: uuid));

/// Each partner's current submission of `dataset` for `period`: `(partner, submission)`.
pub async fn current_submissions(
    db: &Db,
    dataset: Uuid,
    period: &str,
) -> Result<Vec<(Uuid, Uuid)>> {
    let rows: Vec<PartnerSubmission> = db
        .fetch_all(
            q("SELECT partner_id, id FROM submissions
               WHERE dataset_id = $1 AND period = $2 AND state = 'current'")
            .bind(dataset)
            .bind(period),
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.0, r.1)).collect())
}

/// Partners already reminded of `dataset` for `period` (`kind`: `due` or `overdue`).
pub async fn reminded(db: &Db, dataset: Uuid, period: &str, kind: &str) -> Result<Vec<Uuid>> {
    db.fetch_all(
        q("SELECT partner_id FROM data_reminders WHERE dataset_id = $1 AND period = $2 AND kind = $3")
            .bind(dataset)
            .bind(period)
            .bind(kind),
    )
    .await
}
