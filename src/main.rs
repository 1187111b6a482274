//! The `liaison` command: serve the web UI and API, migrate, load demo data, manage users,
//! import partners and verify the audit chain. Every option also reads a `LIAISON_*`
//! environment variable.

use anyhow::{Context, Result, bail};
// Boolean options read from the environment as operators write them (`BoolishValueParser`):
// `1`/`0`, `true`/`false`, `yes`/`no`, `on`/`off`, any case. On the command line a flag needs
// no value.
use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};
use liaison_core::SystemClock;
use liaison_db::Db;
use liaison_db::audit::Verdict;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "liaison",
    version,
    about = "Channel partner communication under the channel communication policy"
)]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct DbArgs {
    /// sqlite://PATH or postgres://USER@HOST/DB
    #[arg(
        long,
        global = true,
        env = "LIAISON_DATABASE_URL",
        default_value = "sqlite://./liaison-data/liaison.db"
    )]
    database_url: String,
    /// The key that encrypts confidential content at rest: 64 hex digits or base64 of 32 bytes.
    #[arg(long, global = true, env = "LIAISON_KEY", hide_env_values = true)]
    key: Option<String>,
    /// A file holding that key (see `liaison key generate`).
    #[arg(long, global = true, env = "LIAISON_KEY_FILE")]
    key_file: Option<std::path::PathBuf>,
}

/// The delivery worker's settings (e-mail, links), shared by `serve` and `worker`.
#[derive(Args, Clone)]
struct WorkerArgs {
    /// SMTP server for e-mail: smtp://host:25, smtp://host:587?tls=required, smtps://user:pass@host:465
    #[arg(long, env = "LIAISON_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The reply mailbox partners answer tickets and notices into (issue 12), read over IMAP:
    /// imap://user:pass@host:143/INBOX or imaps://user:pass@host:993/INBOX. Mail then carries a
    /// Reply-To of reply+<signed token>@<the From address's domain>, which must deliver there.
    #[arg(long, env = "LIAISON_IMAP_URL", hide_env_values = true)]
    imap_url: Option<String>,
    /// The From address of e-mails.
    #[arg(
        long,
        env = "LIAISON_SMTP_FROM",
        default_value = "Liaison <noreply@liaison.localhost>"
    )]
    smtp_from: String,
    /// The address partners reach Liaison at, for links in e-mails and IM cards
    /// (default: http:// and the bind address).
    #[arg(long, env = "LIAISON_PUBLIC_URL")]
    public_url: Option<String>,
    /// Deliveries leased per batch.
    #[arg(long, env = "LIAISON_WORKER_BATCH", default_value_t = 500)]
    worker_batch: i64,
    /// Seconds a lease lasts before another worker may take the deliveries over.
    #[arg(long, env = "LIAISON_WORKER_LEASE", default_value_t = 60)]
    worker_lease: i64,
    /// Development only: let robots and event endpoints point at this machine or the local
    /// network (http:// to loopback too). Off, such URLs are refused.
    #[arg(long, env = "LIAISON_ALLOW_LOCAL_TARGETS", value_parser = BoolishValueParser::new())]
    allow_local_targets: bool,
    /// Benchmarks and crash tests only: write every send as a line to this file instead of
    /// sending it.
    #[arg(long, env = "LIAISON_SINK_FILE", hide = true)]
    sink_file: Option<std::path::PathBuf>,
}

impl WorkerArgs {
    fn worker(&self, db: &Db, default_public: String) -> Result<Arc<liaison_worker::Worker>> {
        if !(1..=5000).contains(&self.worker_batch) {
            bail!("--worker-batch must be between 1 and 5000");
        }
        if !(5..=3600).contains(&self.worker_lease) {
            bail!("--worker-lease must be between 5 and 3600 seconds");
        }
        liaison_channels::robot::allow_local_targets(self.allow_local_targets);
        if db.cipher().is_err() {
            bail!(
                "the worker needs the encryption key (LIAISON_KEY or LIAISON_KEY_FILE): it signs the confirmation links and opens the robots' secrets"
            );
        }
        if self.public_url.is_none() && self.sink_file.is_none() {
            tracing::warn!(
                link_base = %default_public,
                "no LIAISON_PUBLIC_URL: links in e-mails and IM cards point at this address; set the address partners reach Liaison at (https)"
            );
        }
        let config = liaison_worker::WorkerConfig {
            batch: self.worker_batch,
            lease: chrono::Duration::seconds(self.worker_lease),
            public_url: self.public_url.clone().unwrap_or(default_public),
            imap: self
                .imap_url
                .as_deref()
                .map(liaison_channels::imap::ImapConfig::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!("LIAISON_IMAP_URL: {e}"))?,
            ..Default::default()
        };
        let transport = match &self.sink_file {
            Some(path) => liaison_worker::Transport::sink(path)
                .with_context(|| format!("cannot open the sink file {}", path.display()))?,
            None => {
                let mailer = match &self.smtp_url {
                    Some(url) => Some(
                        liaison_channels::email::Mailer::new(url, &self.smtp_from)
                            .map_err(|e| anyhow::anyhow!("LIAISON_SMTP_URL: {e}"))?,
                    ),
                    None => {
                        tracing::warn!(
                            "no LIAISON_SMTP_URL: e-mail deliveries will fail until it is set"
                        );
                        None
                    }
                };
                liaison_worker::Transport::live(mailer)
            }
        };
        Ok(liaison_worker::Worker::new(db.clone(), config, transport))
    }
}

/// Where `serve --demo` keeps a key it generated for the demo.
const DEMO_KEY_FILE: &str = "./liaison-data/liaison.key";

impl DbArgs {
    /// The configured key, if any; a key file that cannot be read or parsed is an error.
    fn cipher(&self) -> Result<Option<liaison_db::crypto::Cipher>> {
        let text = match (&self.key, &self.key_file) {
            (Some(k), _) => k.clone(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the key file {}", path.display()))?,
            (None, None) => return Ok(None),
        };
        Ok(Some(
            liaison_db::crypto::Cipher::from_text(&text).context("bad encryption key")?,
        ))
    }

    /// The key, creating the demo key file when the demo runs without one.
    fn cipher_or_demo(&self, demo: bool) -> Result<liaison_db::crypto::Cipher> {
        if let Some(c) = self.cipher()? {
            return Ok(c);
        }
        let path = std::path::Path::new(DEMO_KEY_FILE);
        if !demo {
            bail!(
                "no encryption key: confidential content is encrypted at rest. Create one with \
                 `liaison key generate > liaison.key` and pass --key-file liaison.key (or set \
                 LIAISON_KEY_FILE), or run with --demo to use a generated demo key"
            );
        }
        if !path.exists() {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            std::fs::write(path, liaison_db::crypto::Cipher::generate_text()?)
                .with_context(|| format!("cannot write {}", path.display()))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            }
            println!("generated a demo encryption key in {DEMO_KEY_FILE}");
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {DEMO_KEY_FILE}"))?;
        liaison_db::crypto::Cipher::from_text(&text).context("bad demo key")
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI and the JSON API.
    Serve {
        #[arg(long, env = "LIAISON_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Load the demo company first (a no-op when it is there).
        #[arg(long, env = "LIAISON_DEMO", value_parser = BoolishValueParser::new())]
        demo: bool,
        /// Mark cookies Secure (serve behind HTTPS).
        #[arg(long, env = "LIAISON_SECURE_COOKIES", value_parser = BoolishValueParser::new())]
        secure_cookies: bool,
        /// Session lifetime in hours.
        #[arg(long, env = "LIAISON_SESSION_HOURS", default_value_t = 12)]
        session_hours: i64,
        /// Do not run the delivery worker in this process (run `liaison worker` instead).
        #[arg(long, env = "LIAISON_NO_WORKER", value_parser = BoolishValueParser::new())]
        no_worker: bool,
        /// With --demo: without the three months of history (load tests).
        #[arg(long, env = "LIAISON_DEMO_NO_HISTORY", value_parser = BoolishValueParser::new())]
        no_history: bool,
        /// Calls one partner API token may make in any sliding minute (per instance).
        #[arg(long, env = "LIAISON_API_TOKEN_RATE", default_value_t = liaison_core::api_token::PER_MINUTE)]
        api_token_rate: u32,
        #[command(flatten)]
        worker: WorkerArgs,
    },
    /// Run only the delivery worker: sends, retries, reminders, escalations, outbound events.
    /// Several may run against one PostgreSQL database.
    Worker {
        #[command(flatten)]
        worker: WorkerArgs,
    },
    /// Apply database migrations.
    Migrate,
    /// Load the demo company; with --partners N also generate N load-test partners.
    Demo {
        #[arg(long, env = "LIAISON_DEMO_PARTNERS", default_value_t = 0)]
        partners: usize,
        /// Only the company and its partners, without the three months of history (load tests).
        #[arg(long, env = "LIAISON_DEMO_NO_HISTORY", value_parser = BoolishValueParser::new())]
        no_history: bool,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Import partners or contacts from CSV or XLSX (all rows or none).
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Business data (§3.3): submit a partner's figures from a file.
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
    /// Encryption key tools.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The evaluation's daily aggregates (§6).
    Stats {
        #[command(subcommand)]
        command: StatsCommand,
    },
    /// Make a consistent backup while the server runs (SQLite: VACUUM INTO; PostgreSQL:
    /// pg_dump in custom format), checked by reading it back. The encryption key is NOT in it.
    Backup {
        /// The file to write; it must not exist.
        file: std::path::PathBuf,
    },
    /// Restore a backup into an empty database (one holding data is refused), then check its
    /// audit chain. Stop the server of that database first.
    Restore {
        /// A file made by `liaison backup`.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user.
    Create {
        #[arg(long, env = "LIAISON_USER_EMAIL")]
        email: String,
        #[arg(long, env = "LIAISON_USER_NAME")]
        name: String,
        /// At least 10 characters; read from LIAISON_USER_PASSWORD to keep it out of shell history.
        #[arg(long, env = "LIAISON_USER_PASSWORD", hide_env_values = true)]
        password: String,
        /// Comma-separated: admin, channel_manager, dept_head, executive, staff, rd,
        /// partner_user (with partner_admin for a partner's admin)
        #[arg(long, env = "LIAISON_USER_ROLES")]
        roles: String,
        /// Department code (company users).
        #[arg(long, env = "LIAISON_USER_DEPARTMENT")]
        department: Option<String>,
        /// Partner code (partner users).
        #[arg(long, env = "LIAISON_USER_PARTNER")]
        partner: Option<String>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    Partners {
        file: std::path::PathBuf,
        #[arg(long)]
        dry_run: bool,
    },
    Contacts {
        file: std::path::PathBuf,
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum DataCommand {
    /// Submit one period's figures for a partner from a CSV (UTF-8, GBK, UTF-16) or XLSX
    /// file: every row is checked; with any error nothing is stored (exit 1, the errors
    /// listed); else the rows become the partner's current version for the period.
    Import {
        /// The data set's code, e.g. sales.
        #[arg(long)]
        dataset: String,
        /// The partner's code, e.g. SH-D001.
        #[arg(long)]
        partner: String,
        /// 2026-10 (month), 2026-W45 (week) or 2026-Q4.
        #[arg(long)]
        period: String,
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum StatsCommand {
    /// Recompute every message's due time and the daily aggregates from DATE (YYYY-MM-DD,
    /// default: the first day anything was sent) to today. Run after changing the calendar.
    Rebuild {
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Print a new random key (64 hex digits).
    Generate,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; exits 1 naming the first bad row.
    Verify,
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("LIAISON_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
}

async fn open_with(url: &str, cipher: Option<liaison_db::crypto::Cipher>) -> Result<Db> {
    let mut db = Db::connect(url, Arc::new(SystemClock))
        .await
        .with_context(|| format!("cannot open the database {}", redact(url)))?;
    if let Some(c) = cipher {
        db = db.with_cipher(c);
    }
    db.migrate().await.context("cannot migrate the database")?;
    Ok(db)
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{user}@{}", &url[..s], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

async fn load_demo(db: &Db, partners: usize, with_history: bool) -> Result<()> {
    let bar = indicatif::ProgressBar::new(partners as u64);
    if partners > 0 {
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:40}] {pos}/{len} partners ({per_sec}, {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message("generating");
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let started = Instant::now();
    let report = liaison_demo::load(db, partners, &|n| bar.set_position(n)).await?;
    bar.finish_and_clear();
    let loaded_in = started.elapsed();
    let history = if with_history {
        liaison_demo::history(db).await?
    } else {
        liaison_demo::HistoryReport::default()
    };
    println!(
        "demo data: base company {}, {} partners and {} contacts generated in {:.1} s",
        if report.base_loaded {
            "loaded"
        } else {
            "already present"
        },
        report.partners_generated,
        report.contacts_generated,
        loaded_in.as_secs_f64()
    );
    if history.written {
        println!(
            "demo history: {} requests, {} messages, {} partner questions over three months",
            history.requests, history.messages, history.threads
        );
    }
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

#[tokio::main]
async fn main() -> Result<()> {
    init_logging();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            bind,
            demo,
            secure_cookies,
            session_hours,
            no_worker,
            no_history,
            api_token_rate,
            worker,
        } => {
            if !(1..=24 * 30).contains(&session_hours) {
                bail!("--session-hours must be between 1 and 720");
            }
            if !(1..=100_000).contains(&api_token_rate) {
                bail!("--api-token-rate must be between 1 and 100000 calls a minute");
            }
            let cipher = cli.db.cipher_or_demo(demo)?;
            let db = open_with(&cli.db.database_url, Some(cipher)).await?;
            if demo {
                load_demo(&db, 0, !no_history).await?;
            }
            // The worker sends what approval queued, holds it for working hours, retries,
            // reminds and escalates; it also sends approved requests whose time has come.
            liaison_channels::robot::allow_local_targets(worker.allow_local_targets);
            let (stop_worker, stopped) = tokio::sync::oneshot::channel::<()>();
            let worker_task = if no_worker {
                None
            } else {
                let w = worker.worker(&db, format!("http://{bind}"))?;
                Some(tokio::spawn(w.run(async {
                    let _ = stopped.await;
                })))
            };
            let config = liaison_web::WebConfig {
                session_ttl: chrono::Duration::hours(session_hours),
                secure_cookies,
                api_token_per_minute: api_token_rate,
                ..Default::default()
            };
            let app = liaison_web::app(liaison_web::AppState::new(db.clone(), config));
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("cannot listen on {bind} (is another program using it? try --bind 127.0.0.1:8081)"))?;
            tracing::info!(database = %redact(&cli.db.database_url), "Liaison is serving on http://{bind}");
            println!(
                "Liaison is serving on http://{bind}  (demo logins: admin@demo.example / liaison-demo)"
            );
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown())
            .await?;
            let _ = stop_worker.send(());
            if let Some(t) = worker_task {
                let _ = t.await;
            }
            db.close().await;
        }
        Command::Worker { worker } => {
            let db = open_with(&cli.db.database_url, cli.db.cipher()?).await?;
            let w = worker.worker(&db, "http://127.0.0.1:8080".into())?;
            println!("Liaison worker {} is running", w.config().id);
            w.run(shutdown()).await;
            db.close().await;
        }
        Command::Key {
            command: KeyCommand::Generate,
        } => {
            println!("{}", liaison_db::crypto::Cipher::generate_text()?);
        }
        Command::Migrate => {
            let db = open_with(&cli.db.database_url, cli.db.cipher()?).await?;
            let versions: Vec<String> = liaison_db::Db::migration_versions(db.backend())
                .iter()
                .map(|v| v.to_string())
                .collect();
            println!("migrated: versions {}", versions.join(", "));
        }
        Command::Demo {
            partners,
            no_history,
        } => {
            let db = open_with(&cli.db.database_url, cli.db.cipher()?).await?;
            load_demo(&db, partners, !no_history).await?;
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    name,
                    password,
                    roles,
                    department,
                    partner,
                },
        } => {
            let db = open_with(&cli.db.database_url, cli.db.cipher()?).await?;
            let input = liaison_db::user::UserInput {
                email,
                name,
                password,
                roles: vec![roles],
                department,
                partner,
                lang: None,
            };
            match liaison_db::user::insert_user(&db, None, &input).await {
                Ok(u) => println!(
                    "created user {} ({}) with roles {}",
                    u.email,
                    u.id,
                    u.roles.to_list()
                ),
                Err(liaison_db::DbError::Invalid(e)) => bail!("cannot create the user: {e}"),
                Err(e) => return Err(e.into()),
            }
        }
        Command::Data {
            command:
                DataCommand::Import {
                    dataset,
                    partner,
                    period,
                    file,
                },
        } => {
            let db = open_with(&cli.db.database_url, cli.db.cipher()?).await?;
            data_import(&db, &dataset, &partner, &period, &file).await?;
        }
        Command::Import { command } => {
            let db = open_with(&cli.db.database_url, cli.db.cipher()?).await?;
            let (file, dry_run, contacts) = match command {
                ImportCommand::Partners { file, dry_run } => (file, dry_run, false),
                ImportCommand::Contacts { file, dry_run } => (file, dry_run, true),
            };
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let admin = liaison_db::user::list_users(&db)
                .await?
                .into_iter()
                .find(|u| u.active && u.roles.has(liaison_core::Role::Admin))
                .context(
                    "no active admin user: create one with `liaison user create --roles admin`",
                )?;
            let name = file.file_name().and_then(|n| n.to_str());
            // The operator's console speaks English, like the rest of the CLI's output.
            let lang = liaison_core::partner::Lang::En;
            let result = if contacts {
                liaison_app::import::import_contacts(
                    &db,
                    &admin.actor(),
                    lang,
                    name,
                    &bytes,
                    dry_run,
                )
                .await
            } else {
                liaison_app::import::import_partners(
                    &db,
                    &admin.actor(),
                    lang,
                    name,
                    &bytes,
                    dry_run,
                )
                .await
            };
            match result {
                Ok(o) if o.dry_run => println!(
                    "{} rows checked: no problems; would create {}, update {} (nothing written)",
                    o.rows, o.created, o.updated
                ),
                Ok(o) => println!(
                    "{} rows imported: {} created, {} updated",
                    o.rows, o.created, o.updated
                ),
                Err(liaison_app::Error::InvalidRows(rows)) => {
                    for r in &rows {
                        eprintln!("row {}: {}: {}", r.row, r.field, r.message);
                    }
                    bail!("{} problems; nothing was imported", rows.len());
                }
                Err(liaison_app::Error::Invalid(e)) => bail!("the file cannot be imported: {e}"),
                Err(e) => bail!("{e}"),
            }
        }
        Command::Backup { file } => {
            let r = liaison_db::backup::backup(&cli.db.database_url, &file)
                .await
                .context("the backup failed")?;
            match r.what {
                "sqlite" => println!(
                    "backup written to {} ({} bytes, SQLite): read back, intact, {} audit entries",
                    r.file.display(),
                    r.bytes,
                    r.count
                ),
                _ => println!(
                    "backup written to {} ({} bytes, pg_dump custom format): read back by pg_restore --list, {} tables with data",
                    r.file.display(),
                    r.bytes,
                    r.count
                ),
            }
            println!(
                "the encryption key is NOT in the backup: keep it (LIAISON_KEY / LIAISON_KEY_FILE) apart from it; without it confidential content and attachments cannot be read"
            );
        }
        Command::Restore { file } => {
            let r = liaison_db::backup::restore(&cli.db.database_url, &file)
                .await
                .context("the restore failed")?;
            println!(
                "restored {} into {} ({} bytes)",
                file.display(),
                redact(&cli.db.database_url),
                r.bytes
            );
            let db = open_with(&cli.db.database_url, cli.db.cipher()?).await?;
            match liaison_db::audit::verify(&db).await? {
                Verdict::Intact { rows, head } => {
                    println!("audit chain intact: {rows} rows, head {head}")
                }
                Verdict::Broken { seq, reason } => {
                    eprintln!("audit chain BROKEN at row {seq}: {reason}");
                    std::process::exit(1);
                }
            }
            db.close().await;
        }
        Command::Stats {
            command: StatsCommand::Rebuild { from },
        } => {
            let db = open_with(&cli.db.database_url, cli.db.cipher()?).await?;
            let started = std::time::Instant::now();
            let r = liaison_app::kpi::rebuild(&db, from)
                .await
                .context("the rebuild failed")?;
            match r.from {
                Some(f) => println!(
                    "evaluation aggregates rebuilt: {} messages, days {} to {}, {} rows, in {:.1} s",
                    r.messages,
                    f,
                    r.to,
                    r.rows,
                    started.elapsed().as_secs_f64()
                ),
                None => println!("nothing has been sent yet: no aggregates to build"),
            }
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let db = open_with(&cli.db.database_url, cli.db.cipher()?).await?;
            match liaison_db::audit::verify(&db).await? {
                Verdict::Intact { rows, head } => {
                    println!("audit chain intact: {rows} rows, head {head}")
                }
                Verdict::Broken { seq, reason } => {
                    eprintln!("audit chain BROKEN at row {seq}: {reason}");
                    std::process::exit(1);
                }
            }
        }
    }
    Ok(())
}

/// `liaison data import`: streams the file through the same checks as an upload, printing how
/// many rows were read as it goes.
async fn data_import(
    db: &liaison_db::Db,
    dataset: &str,
    partner: &str,
    period: &str,
    file: &std::path::Path,
) -> Result<()> {
    use liaison_app::data::{Outcome, Progress, Source, SubmitInput};
    let admin = liaison_db::user::list_users(db)
        .await?
        .into_iter()
        .find(|u| u.active && u.roles.has(liaison_core::Role::Admin))
        .context("no active admin user: create one with `liaison user create --roles admin`")?;
    let partner_id = liaison_db::partner::resolve_partner_ref(db, partner)
        .await?
        .with_context(|| format!("there is no partner {partner}"))?;
    let reader =
        std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let size = reader.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = Progress::default();
    let watch = progress.clone();
    let started = std::time::Instant::now();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            eprint!("\r{} rows read", watch.rows());
        }
    });
    let input = SubmitInput {
        dataset: Some(dataset.to_string()),
        period: Some(period.to_string()),
        partner_id: Some(partner_id),
        rows: None,
    };
    let source = Source::File {
        reader: Box::new(reader),
        name: file
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string),
    };
    let result = liaison_app::data::submit(
        db,
        &admin.actor(),
        &input,
        source,
        liaison_core::data::SubmissionVia::Cli,
        progress.clone(),
    )
    .await;
    ticker.abort();
    eprintln!(
        "\r{} rows read in {:.1} s ({} MB)",
        progress.rows(),
        started.elapsed().as_secs_f64(),
        size / 1_000_000
    );
    match result {
        Ok(Outcome::Accepted {
            submission: s,
            anomalies,
        }) => {
            let timing = match s.on_time {
                Some(true) => "on time",
                Some(false) => "late",
                None => "no due day",
            };
            println!(
                "accepted: {} rows stored as version {} of {} for {} {} ({timing}); {anomalies} abnormal figures",
                s.row_count, s.version, s.dataset_code, s.partner_code, s.period
            );
            Ok(())
        }
        Ok(Outcome::Rejected {
            submission: s,
            errors,
        }) => {
            eprintln!(
                "refused: {} errors in {} rows; nothing was stored",
                s.error_count, s.row_count
            );
            for e in errors.iter().take(50) {
                let message = liaison_app::data::render_error(e, liaison_core::partner::Lang::En);
                if e.row == 0 {
                    eprintln!("  the file: {message}");
                } else {
                    eprintln!("  row {}, column {}: {message}", e.row, e.column);
                }
            }
            if s.error_count > 50 {
                eprintln!("  ... and {} more", s.error_count - 50);
            }
            std::process::exit(1);
        }
        Err(liaison_app::Error::Invalid(e)) => bail!("cannot import: {e}"),
        Err(e) => Err(e.into()),
    }
}
