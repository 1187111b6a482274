//! Recording outcomes under the lease: a channel's or a job's answer becomes the ledger's
//! outcome, written only while this worker still holds the lease (liaison-db checks it).

use crate::{Worker, db_error};
use chrono::{DateTime, Utc};
use liaison_channels::SendError;
use liaison_core::rate::RateWait;
use liaison_db::delivery::{self, Claimed, Completed, Outcome};
use liaison_db::job::{self, Job as JobRow, JobOutcome};

/// When to come back after a rate limit: the channel's wait, a minute if it makes no sense.
pub(crate) fn later(now: DateTime<Utc>, retry_after: std::time::Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(retry_after).unwrap_or(chrono::Duration::seconds(60))
}

/// A send's answer as the delivery's outcome; `target` names where it went.
pub(crate) fn delivery_outcome(
    r: Result<(), SendError>,
    target: Option<String>,
    now: DateTime<Utc>,
) -> Outcome {
    match r {
        Ok(()) => Outcome::Sent { target },
        // The platform answered "too fast": a wait, counted and shown, not a failed attempt.
        Err(SendError::Throttled { retry_after }) => Outcome::Later {
            at: later(now, retry_after),
            wait: Some(RateWait::Platform),
        },
        Err(SendError::Transient(error)) => Outcome::Failed {
            error,
            permanent: false,
        },
        Err(SendError::Permanent(error)) => Outcome::Failed {
            error,
            permanent: true,
        },
    }
}

/// A job's answer as its outcome in the queue.
pub(crate) fn job_outcome(r: Result<(), SendError>, now: DateTime<Utc>) -> JobOutcome {
    match r {
        Ok(()) => JobOutcome::Done,
        Err(SendError::Throttled { retry_after }) => JobOutcome::Later(later(now, retry_after)),
        Err(SendError::Transient(error)) => JobOutcome::Failed {
            error,
            permanent: false,
        },
        Err(SendError::Permanent(error)) => JobOutcome::Failed {
            error,
            permanent: true,
        },
    }
}

impl Worker {
    /// Records a batch's outcomes in one transaction; rows another worker has taken over are
    /// left to it.
    pub(crate) async fn record_batch(
        &self,
        max_attempts: i64,
        results: &[(Claimed, Outcome)],
    ) -> anyhow::Result<Completed> {
        delivery::complete(&self.db, &self.config.id, max_attempts, results)
            .await
            .map_err(db_error)
    }

    /// Records one job's outcome (retried with backoff, or dead with its error after the last
    /// attempt); a failure is logged with the job's id and kind.
    pub(crate) async fn record_job(
        &self,
        max_attempts: i64,
        row: &JobRow,
        outcome: &JobOutcome,
    ) -> anyhow::Result<()> {
        if let JobOutcome::Failed { error, permanent } = outcome {
            tracing::warn!(job = %row.id, kind = %row.kind, permanent, error = %error, "job failed");
        }
        job::finish(&self.db, &self.config.id, max_attempts, row, outcome)
            .await
            .map_err(db_error)
    }
}
