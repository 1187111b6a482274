//! Leasing batches: a pass leases the due deliveries (up to `batch`) and then a few jobs, each
//! batch sent and recorded before its lease runs out; `drain` passes until nothing is due.

use crate::{Pass, Worker, db_error};
use liaison_db::delivery;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

impl Worker {
    /// Passes until nothing is due now (tests and benchmarks); returns the total.
    pub async fn drain(self: &Arc<Self>) -> anyhow::Result<Pass> {
        let mut total = Pass::default();
        loop {
            let p = self.pass().await?;
            if p.claimed == 0 && p.jobs == 0 {
                return Ok(total);
            }
            total.claimed += p.claimed;
            total.jobs += p.jobs;
            let d = &mut total.deliveries;
            d.sent += p.deliveries.sent;
            d.held += p.deliveries.held;
            d.later += p.deliveries.later;
            d.retrying += p.deliveries.retrying;
            d.dead += p.deliveries.dead;
            d.skipped += p.deliveries.skipped;
        }
    }

    /// One batch of deliveries and one of jobs.
    pub async fn pass(self: &Arc<Self>) -> anyhow::Result<Pass> {
        let settings = delivery::settings(&self.db).await.map_err(db_error)?;
        let mut pass = self.deliveries(settings.max_attempts).await?;
        pass.jobs = self.jobs(settings.max_attempts).await?;
        Ok(pass)
    }

    /// Leases a batch of deliveries, sends it and records the outcomes.
    async fn deliveries(&self, max_attempts: i64) -> anyhow::Result<Pass> {
        let t0 = Instant::now();
        let claimed = delivery::claim(
            &self.db,
            &self.config.id,
            self.config.batch,
            self.config.lease,
        )
        .await
        .map_err(db_error)?;
        let mut pass = Pass {
            claimed: claimed.len(),
            ..Default::default()
        };
        if claimed.is_empty() {
            return Ok(pass);
        }
        let span =
            tracing::info_span!("batch", worker = %self.config.id, deliveries = claimed.len());
        async {
            let t1 = Instant::now();
            let results = self.process(claimed, t0).await?;
            let t2 = Instant::now();
            pass.deliveries = self.record_batch(max_attempts, &results).await?;
            tracing::debug!(
                claimed = pass.claimed,
                claim_ms = (t1 - t0).as_secs_f64() * 1e3,
                send_ms = (t2 - t1).as_secs_f64() * 1e3,
                record_ms = t2.elapsed().as_secs_f64() * 1e3,
                "batch done"
            );
            Ok(pass)
        }
        .instrument(span)
        .await
    }
}
