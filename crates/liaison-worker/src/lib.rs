//! The background worker (DESIGN "Work in the background"; policy §2.1, §4.3, §4.4.1, §5.3.2).
//! It leases due deliveries and jobs in batches (`claim`), holds non-urgent sends until the
//! recipient's working hours and sends through e-mail and IM robots with a signed one-click
//! confirmation link (`send`), records each outcome under the lease (`record`), runs the other
//! background jobs (`jobs`) and the sweeps: scheduled dispatch, reminders before the deadline
//! and escalation at it (`sweeps`). It runs inside `liaison serve` and alone as `liaison
//! worker`; on PostgreSQL several share the work.

mod claim;
mod jobs;
mod mail;
mod record;
mod send;
mod sweeps;

use liaison_channels::email::Mailer;
use liaison_channels::robot::RobotClient;
use liaison_core::calendar::Calendar;
use liaison_db::delivery::{self, MessageInfo};
use liaison_db::{Db, DbError};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::Instrument;
use uuid::Uuid;

/// How the worker runs, loaded once by the binary.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Names this worker's leases (unique per process).
    pub id: String,
    /// Deliveries leased at once.
    pub batch: i64,
    /// How long a lease lasts; a crashed worker's deliveries return after it.
    pub lease: chrono::Duration,
    /// How long an idle worker waits before looking again.
    pub poll: Duration,
    /// Sends in flight at once.
    pub concurrency: usize,
    /// Base of links in e-mails and cards (`https://liaison.example.com`).
    pub public_url: String,
    /// How often the sweeps run.
    pub sweep_every: Duration,
    /// Posts per robot in any sliding minute (§2.1.2: the platforms allow 20).
    pub robot_per_minute: u32,
    /// The reply mailbox (`LIAISON_IMAP_URL`, issue 12): when set, mails carry a `Reply-To`
    /// with a signed token and the sweep files what arrives there.
    pub imap: Option<liaison_channels::imap::ImapConfig>,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            id: worker_id(),
            batch: 500,
            lease: chrono::Duration::seconds(60),
            poll: Duration::from_millis(1000),
            concurrency: 32,
            public_url: "http://127.0.0.1:8080".into(),
            sweep_every: Duration::from_secs(30),
            robot_per_minute: 20,
            imap: None,
        }
    }
}

/// A name for this process's leases: host, process id and a random tail.
pub fn worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "worker".into());
    let tail = Uuid::now_v7().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &tail[24..])
}

/// Where sends go.
pub enum Transport {
    /// The real channels: SMTP when configured, and the robots' webhooks.
    Live {
        mailer: Option<Arc<Mailer>>,
        robots: Arc<RobotClient>,
    },
    /// Every send is a line `delivery-id channel sequence` appended to a file: the local sink
    /// for benchmarks and crash tests, not for production.
    Sink(Arc<Mutex<std::fs::File>>),
}

impl Transport {
    /// How often each robot is posted to is `WorkerConfig::robot_per_minute`, kept in the
    /// database for every worker and instance.
    pub fn live(mailer: Option<Mailer>) -> Self {
        Transport::Live {
            mailer: mailer.map(Arc::new),
            robots: Arc::new(RobotClient::new()),
        }
    }

    pub fn sink(path: &std::path::Path) -> std::io::Result<Self> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Transport::Sink(Arc::new(Mutex::new(f))))
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pass {
    pub deliveries: delivery::Completed,
    pub claimed: usize,
    pub jobs: usize,
}

/// One per process: the caches below are this process's; everything shared is in the database.
pub struct Worker {
    db: Db,
    config: WorkerConfig,
    transport: Transport,
    calendar: Mutex<Option<(Instant, Arc<Calendar>)>>,
    messages: Mutex<HashMap<Uuid, Arc<MessageInfo>>>,
    /// (message, robot, sequence) already posted: a partner's group robot gets a message once
    /// even when several of its contacts are addressed.
    posted: Mutex<HashSet<(Uuid, Uuid, u32)>>,
    /// When finished jobs were last purged.
    purged: Mutex<Option<Instant>>,
}

/// Job bodies and passes report with anyhow (STYLE 2); storage errors keep their text.
fn db_error(e: DbError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

impl Worker {
    pub fn new(db: Db, config: WorkerConfig, transport: Transport) -> Arc<Self> {
        Arc::new(Self {
            db,
            config,
            transport,
            calendar: Mutex::new(None),
            messages: Mutex::new(HashMap::new()),
            posted: Mutex::new(HashSet::new()),
            purged: Mutex::new(None),
        })
    }

    pub fn config(&self) -> &WorkerConfig {
        &self.config
    }

    /// Runs until `stop` resolves: passes while there is work, sweeps on their schedule.
    pub async fn run(self: Arc<Self>, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let mut last_sweep: Option<Instant> = None;
        tracing::info!(worker = %self.config.id, "worker started");
        let listener = self.db.listen_for_work();
        loop {
            if last_sweep.is_none_or(|t| t.elapsed() >= self.config.sweep_every) {
                last_sweep = Some(Instant::now());
                let span = tracing::info_span!("sweep", worker = %self.config.id);
                if let Err(e) = self.sweep().instrument(span).await {
                    tracing::error!(error = %e, "sweep failed");
                }
            }
            let busy = match self.pass().await {
                Ok(p) => p.claimed > 0 || p.jobs > 0,
                Err(e) => {
                    tracing::error!(error = %e, "worker pass failed");
                    false
                }
            };
            if !busy {
                // Until work is queued (a wake from this process or a NOTIFY from another),
                // the next sweep, or the poll interval.
                let wait = self.config.poll.min(
                    self.config
                        .sweep_every
                        .saturating_sub(last_sweep.map_or(Duration::ZERO, |t| t.elapsed())),
                );
                tokio::select! {
                    _ = &mut stop => break,
                    _ = self.db.work_arrived(wait) => {}
                }
            } else {
                // Busy: look at `stop` without waiting, then go on.
                tokio::select! {
                    biased;
                    _ = &mut stop => break,
                    _ = std::future::ready(()) => {}
                }
            }
        }
        if let Some(l) = listener {
            l.abort();
        }
        tracing::info!(worker = %self.config.id, "worker stopped");
    }
}
