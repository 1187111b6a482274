//! Background jobs other than sends (DESIGN "Work in the background"): outbound events and
//! escalations. A job is written in the same transaction as the change that causes it
//! (transactional outbox), leased in batches, retried with backoff and dead after its last
//! attempt, with its error kept for the console.

use crate::delivery::lease;
use crate::{Db, Q, Result, Tx, q};
use chrono::{DateTime, Duration, Utc};
use liaison_core::delivery::{Retry, after_failure};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    pub state: String,
    pub attempts: i64,
    pub run_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

from_row!(Job; id: uuid, kind: text, payload: text => crate::query::json, state: text,
    attempts: i64, run_at: opt_time, last_error: opt_text, created_at: time, updated_at: time);

const COLUMNS: &str =
    "id, kind, payload, state, attempts, run_at, last_error, created_at, updated_at";

/// Adds a job inside the caller's transaction; returns its id.
pub async fn enqueue(
    tx: &mut Tx,
    now: DateTime<Utc>,
    kind: &str,
    payload: serde_json::Value,
) -> Result<Uuid> {
    enqueue_at(tx, now, now, kind, payload).await
}

/// The same, to run at `run_at` (e.g. the start of working hours).
pub async fn enqueue_at(
    tx: &mut Tx,
    now: DateTime<Utc>,
    run_at: DateTime<Utc>,
    kind: &str,
    payload: serde_json::Value,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    insert(tx, id, now, run_at, kind, payload).await?;
    Ok(id)
}

/// Adds the job `id`, due at `run_at`, inside the caller's transaction (for a payload that names
/// its own job, such as an event whose id is the job's).
pub(crate) async fn insert(
    tx: &mut Tx,
    id: Uuid,
    now: DateTime<Utc>,
    run_at: DateTime<Utc>,
    kind: &str,
    payload: serde_json::Value,
) -> Result<()> {
    tx.execute(
        q(
            "INSERT INTO jobs (id, kind, payload, state, attempts, run_at, created_at, updated_at)
           VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6)",
        )
        .bind(id)
        .bind(kind)
        .bind(payload.to_string())
        .bind(run_at)
        .bind(now)
        .bind(now),
    )
    .await?;
    Ok(())
}

/// A job to add with [`insert_many`].
pub(crate) struct NewJob {
    pub id: Uuid,
    pub now: DateTime<Utc>,
    pub run_at: DateTime<Utc>,
    pub kind: &'static str,
    pub payload: serde_json::Value,
}

/// Adds jobs inside the caller's transaction, in multi-row statements.
pub(crate) async fn insert_many(tx: &mut Tx, jobs: &[NewJob]) -> Result<()> {
    for chunk in jobs.chunks(500) {
        let mut query = crate::Q::dynamic(format!(
            "INSERT INTO jobs (id, kind, payload, state, attempts, run_at, created_at, updated_at)
             SELECT v.column1, v.column2, v.column3, 'queued', 0, v.column4, v.column5, v.column5
               FROM (VALUES {}) v",
            crate::query::values_sql(5, chunk.len())
        ));
        for j in chunk {
            query = query
                .bind(j.id)
                .bind(j.kind)
                .bind(j.payload.to_string())
                .bind(j.run_at)
                .bind(j.now);
        }
        tx.execute(query).await?;
    }
    Ok(())
}

/// Leases up to `limit` due jobs.
pub async fn claim(db: &Db, worker: &str, limit: i64, length: Duration) -> Result<Vec<Job>> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let jobs = lease(
        &mut tx,
        now,
        ("jobs", "run_at", COLUMNS),
        worker,
        limit,
        length,
    )
    .await?;
    tx.commit().await?;
    Ok(jobs)
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq)]
pub enum JobOutcome {
    Done,
    /// Try again at this time without counting an attempt (rate limits, working hours).
    Later(DateTime<Utc>),
    Failed {
        error: String,
        permanent: bool,
    },
}

/// Records a job's outcome, if this worker still holds its lease; a failed write (a deadlock,
/// a busy database) is tried again so the job is not run twice.
pub async fn finish(
    db: &Db,
    worker: &str,
    max_attempts: i64,
    job: &Job,
    outcome: &JobOutcome,
) -> Result<()> {
    crate::retrying("recording a job", || async {
        let now = db.now();
        let tries = job.attempts + 1;
        let (state, run_at, attempts, error) = match outcome {
            JobOutcome::Done => ("done", None, tries, None),
            JobOutcome::Later(at) => ("queued", Some(*at), job.attempts, None),
            JobOutcome::Failed { error, permanent } => {
                let error = Some(error.chars().take(500).collect::<String>());
                match after_failure(tries, max_attempts, *permanent) {
                    Retry::GiveUp => ("dead", None, tries, error),
                    Retry::After(wait) => ("failed", Some(now + wait), tries, error),
                }
            }
        };
        let mut tx = db.begin().await?;
        tx.execute(
            q("UPDATE jobs SET state = $1, run_at = $2, attempts = $3, last_error = $4, updated_at = $5,
                    locked_until = NULL, locked_by = NULL
                WHERE id = $6 AND locked_by = $7")
            .bind(state)
            .bind(run_at)
            .bind(attempts)
            .bind(error)
            .bind(now)
            .bind(job.id)
            .bind(worker),
        )
        .await?;
        tx.commit().await
    })
    .await
}

/// Jobs for the console: the dead and failing first, newest first within each.
pub async fn list_jobs(
    db: &Db,
    kind: Option<&str>,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<Job>> {
    let mut query = Q::dynamic(format!("SELECT {COLUMNS} FROM jobs WHERE 1 = 1"));
    query.and_some("kind =", kind);
    query.and_some("state =", state);
    query.order_limit("id DESC", limit);
    db.fetch_all(query).await
}

/// Queues dead jobs again from a fresh attempt count; returns how many.
pub async fn retry_jobs(db: &Db, ids: &[Uuid]) -> Result<u64> {
    let now = db.now();
    let mut query = Q::dynamic(String::new());
    let t = query.arg(now);
    let list = query.in_list(ids.iter().copied());
    let sql = format!(
        "UPDATE jobs SET state = 'queued', attempts = 0, run_at = {t}, updated_at = {t}
          WHERE id IN {list} AND state = 'dead'"
    );
    db.execute(query.replace_sql(sql)).await
}

/// Deletes finished jobs older than `age` (their outcome is in the audit trail of what caused
/// them; the table is a queue, not a record). Returns how many.
pub async fn purge_done(db: &Db, age: Duration) -> Result<u64> {
    let before = db.now() - age;
    db.execute(q("DELETE FROM jobs WHERE state = 'done' AND updated_at < $1").bind(before))
        .await
}
