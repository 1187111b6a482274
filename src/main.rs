//! The `liaison` command: serve the web UI and API, migrate, load demo data, manage users,
//! import partners and verify the audit chain. Every option also reads a `LIAISON_*`
//! environment variable.

use anyhow::{Context, Result, bail};
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
        #[arg(long, env = "LIAISON_DEMO")]
        demo: bool,
        /// Mark cookies Secure (serve behind HTTPS).
        #[arg(long, env = "LIAISON_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Session lifetime in hours.
        #[arg(long, env = "LIAISON_SESSION_HOURS", default_value_t = 12)]
        session_hours: i64,
    },
    /// Apply database migrations.
    Migrate,
    /// Load the demo company; with --partners N also generate N load-test partners.
    Demo {
        #[arg(long, env = "LIAISON_DEMO_PARTNERS", default_value_t = 0)]
        partners: usize,
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
        /// Comma-separated: admin, channel_manager, dept_head, executive, staff, partner_user
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

async fn load_demo(db: &Db, partners: usize) -> Result<()> {
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
    let report = liaison_db::demo::load(db, partners, &|n| bar.set_position(n)).await?;
    bar.finish_and_clear();
    println!(
        "demo data: base company {}, {} partners and {} contacts generated in {:.1} s",
        if report.base_loaded {
            "loaded"
        } else {
            "already present"
        },
        report.partners_generated,
        report.contacts_generated,
        started.elapsed().as_secs_f64()
    );
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
        } => {
            if !(1..=24 * 30).contains(&session_hours) {
                bail!("--session-hours must be between 1 and 720");
            }
            let cipher = cli.db.cipher_or_demo(demo)?;
            let db = open_with(&cli.db.database_url, Some(cipher)).await?;
            if demo {
                load_demo(&db, 0).await?;
            }
            // Approved requests with a future send time go out when it comes.
            let sweeper = db.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
                loop {
                    tick.tick().await;
                    match liaison_db::request::dispatch_due(&sweeper).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(dispatched = n, "scheduled messages sent"),
                        Err(e) => tracing::error!(error = %e, "scheduled dispatch failed"),
                    }
                }
            });
            let config = liaison_web::WebConfig {
                session_ttl: chrono::Duration::hours(session_hours),
                secure_cookies,
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
        Command::Demo { partners } => {
            let db = open_with(&cli.db.database_url, cli.db.cipher()?).await?;
            load_demo(&db, partners).await?;
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
            let result = if contacts {
                liaison_web::import::import_contacts(&db, &admin.actor(), name, &bytes, dry_run)
                    .await
            } else {
                liaison_web::import::import_partners(&db, &admin.actor(), name, &bytes, dry_run)
                    .await
            };
            match result {
                Ok(o) if o.dry_run => {
                    println!("{} rows checked: no problems (nothing written)", o.rows)
                }
                Ok(o) => println!(
                    "{} rows imported: {} created, {} updated",
                    o.rows, o.created, o.updated
                ),
                Err(liaison_web::AppError::InvalidRows(rows)) => {
                    for r in &rows {
                        eprintln!("row {}: {}: {}", r.row, r.field, r.message);
                    }
                    bail!("{} problems; nothing was imported", rows.len());
                }
                Err(e) => bail!("{}", e.detail()),
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
