//! The sweeps, on their own schedule beside the passes: scheduled dispatch, reminders before
//! the deadline and escalation at it (§4.4.1), launch announcements drafted ahead of their
//! notice date (§3.2.2), the evaluation's daily aggregates (§6), and purging finished jobs.

use crate::Worker;
use liaison_db::{delivery, job};
use std::sync::Mutex;
use std::time::{Duration, Instant};

impl Worker {
    /// Scheduled dispatch, reminders before the deadline, escalation at it.
    pub async fn sweep(&self) -> anyhow::Result<()> {
        // Each sweep on its own: one failing must not stop the others.
        let mut failed = Vec::new();
        match liaison_db::request::dispatch_due(&self.db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(dispatched = n, "scheduled messages sent"),
            Err(e) => failed.push(format!("scheduled dispatch: {e}")),
        }
        match delivery::sweep_reminders(&self.db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(reminders = n, "reminders queued"),
            Err(e) => failed.push(format!("reminders: {e}")),
        }
        match delivery::sweep_escalations(&self.db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(notices = n, "overdue confirmations escalated"),
            Err(e) => failed.push(format!("escalations: {e}")),
        }
        match liaison_app::launch::sweep(&self.db).await {
            Ok(r) if r.drafted + r.warned == 0 => {}
            Ok(r) => tracing::info!(
                drafted = r.drafted,
                warned = r.warned,
                "launch announcements"
            ),
            Err(e) => failed.push(format!("launch announcements: {e}")),
        }
        // §3.4.2: ticket clocks (warnings before, breaches at the due time) and resolved
        // tickets the partner never answered.
        match liaison_app::tickets::sweep(&self.db).await {
            Ok(r) if r.warned + r.breached + r.closed == 0 => {}
            Ok(r) => tracing::info!(
                warned = r.warned,
                breached = r.breached,
                closed = r.closed,
                "ticket clocks"
            ),
            Err(e) => failed.push(format!("ticket clocks: {e}")),
        }
        // §3.3.1: figures due soon and overdue, at most every ten minutes (it reads every
        // partner a requirement asks).
        if ten_minutes_since(&DATA_SWEEP) {
            match liaison_app::data::sweep(&self.db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminders = n, "business figures reminders"),
                Err(e) => failed.push(format!("business figures reminders: {e}")),
            }
            // §5.1, §2.2.1: action items due and overdue, and a regular meeting's period
            // heading short; the same ten minutes.
            match liaison_app::meetings::sweep(&self.db).await {
                Ok(r) if r.reminded + r.escalated + r.cadence_warnings == 0 => {}
                Ok(r) => tracing::info!(
                    reminded = r.reminded,
                    escalated = r.escalated,
                    cadence = r.cadence_warnings,
                    "action items and cadence"
                ),
                Err(e) => failed.push(format!("action items and cadence: {e}")),
            }
            // §6.2.1: surveys' rounds closing and beginning, and reminders before closing.
            match liaison_app::surveys::sweep(&self.db).await {
                Ok(r) if r.closed + r.rounds + r.reminded == 0 => {}
                Ok(r) => tracing::info!(
                    closed = r.closed,
                    rounds = r.rounds,
                    reminded = r.reminded,
                    "surveys"
                ),
                Err(e) => failed.push(format!("surveys: {e}")),
            }
        }
        // §2.2.2: partners overdue a site visit; each channel manager told once per partner
        // and due day. Read with the figures' ten-minute rhythm (it reads every partner).
        if ten_minutes_since(&VISIT_SWEEP) {
            match liaison_app::offline::visit_sweep(&self.db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(told = n, "overdue site visits"),
                Err(e) => failed.push(format!("overdue site visits: {e}")),
            }
        }
        // §6 (issue 16): the evaluation's daily aggregates, brought up to date every ten
        // minutes (the days since the last sweep, a week back, and days of corrections).
        if ten_minutes_since(&KPI_SWEEP) {
            match liaison_app::kpi::sweep(&self.db).await {
                Ok(r) => tracing::debug!(
                    messages = r.messages,
                    rows = r.rows,
                    "evaluation aggregates"
                ),
                Err(e) => failed.push(format!("evaluation aggregates: {e}")),
            }
        }
        // Replies by e-mail (issue 12): the reply mailbox, when one is set up.
        match self.read_mail().await {
            Ok(r) if r.filed + r.refused == 0 => {}
            Ok(r) => tracing::info!(
                filed = r.filed,
                refused = r.refused,
                duplicates = r.duplicates,
                "reply mailbox read"
            ),
            Err(e) => failed.push(format!("reply mailbox: {e}")),
        }
        // Finished jobs are kept a week; purged about once an hour.
        if self
            .purged
            .lock()
            .is_ok_and(|p| p.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)))
        {
            if let Ok(mut p) = self.purged.lock() {
                *p = Some(Instant::now());
            }
            if let Err(e) = job::purge_done(&self.db, chrono::Duration::days(7)).await {
                failed.push(format!("purging finished jobs: {e}"));
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(anyhow::anyhow!(failed.join("; ")))
        }
    }
}

/// The slower sweeps (business-data reminders, overdue visits, the evaluation's aggregates)
/// run on the first sweep of the process, then every ten minutes each.
static DATA_SWEEP: Mutex<Option<Instant>> = Mutex::new(None);
static VISIT_SWEEP: Mutex<Option<Instant>> = Mutex::new(None);
static KPI_SWEEP: Mutex<Option<Instant>> = Mutex::new(None);

/// Whether the sweep whose last run `last` holds is due now (and if so, notes that it ran).
fn ten_minutes_since(last: &Mutex<Option<Instant>>) -> bool {
    let Ok(mut last) = last.lock() else {
        return true;
    };
    match *last {
        Some(t) if t.elapsed() < Duration::from_secs(600) => false,
        _ => {
            *last = Some(Instant::now());
            true
        }
    }
}
