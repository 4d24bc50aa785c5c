//! The `shopgap` command: parse the CLI → config → tracing → pool → migrate → serve.

use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use shopgap::app::{serve, ServerOptions};
use shopgap::config::{Config, DatabaseArgs, ServeArgs};
use shopgap::db::{connect_pool, run_migrations, Db, DbTarget, Pool};
use shopgap::demo::{create_organization, ensure_demo, Credential};
use shopgap::state::AppState;
use tracing_subscriber::EnvFilter;

/// mimalloc instead of glibc's malloc: see its entry in Cargo.toml for why (measured on ingest).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "shopgap",
    version,
    about = "Mystery-shopping programs and the service delivery gap"
)]
struct Cli {
    /// Log output: `text` for people, `json` for log collectors.
    #[arg(
        long,
        global = true,
        env = "SHOPGAP_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve the API.
    Serve(Box<ServeArgs>),
    /// Apply pending migrations and exit.
    Migrate(DatabaseArgs),
    /// Administration.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Import a standards book or checklist document (JSON or YAML, as exported by the API)
    /// into an organization.
    Import {
        #[command(flatten)]
        db: DatabaseArgs,
        /// The organization's id.
        #[arg(long, env = "SHOPGAP_ORG_ID")]
        org_id: String,
        /// Publish the imported version at once.
        #[arg(long)]
        publish: bool,
        /// The document file (`-` for standard input).
        file: std::path::PathBuf,
    },
    /// Recompute the report roll-ups from the approved submissions (all organizations, or one).
    /// Safe while the server runs: it is one transaction.
    RebuildRollups {
        #[command(flatten)]
        db: DatabaseArgs,
        /// Only this organization's.
        #[arg(long, env = "SHOPGAP_ORG_ID")]
        org_id: Option<String>,
    },
    /// Fill the demo organization with a reproducible history of approved shops (locations
    /// GEN-0001…, shoppers shopper-0001@generated.demo-motors.example.com…, 40-item audits),
    /// through the same domain code as the API. Adds to what an earlier run made.
    DemoData {
        #[command(flatten)]
        db: DatabaseArgs,
        /// Locations to shop (created when missing).
        #[arg(long, default_value_t = 100)]
        locations: usize,
        /// Shoppers to shop them (created when missing; password `generated-shopper`).
        #[arg(long, default_value_t = 500)]
        shoppers: usize,
        /// Approved visits to add.
        #[arg(long, default_value_t = 10_000)]
        visits: usize,
        /// Customer survey responses to add beside the visits (default: one per visit), with a
        /// management answer per region and quarter.
        #[arg(long)]
        responses: Option<usize>,
        /// Spread the visits over this many days before now.
        #[arg(long, default_value_t = 365)]
        days: u32,
        /// The same seed gives the same locations, visits and answers.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Concurrent writers on PostgreSQL (SQLite always uses one).
        #[arg(long, default_value_t = 2)]
        workers: usize,
        /// Leave the latest this many visits unapproved: in the review queue (some flagged,
        /// some corrected after a return) or returned to their shoppers.
        #[arg(long, default_value_t = 0)]
        awaiting_review: usize,
    },
    /// Print the OpenAPI document (YAML) that `openapi.yaml` holds.
    Openapi,
    /// Probe `/healthz` of a running server (for container health checks; needs no curl).
    Healthcheck {
        /// The server's listen address; 0.0.0.0 and [::] are probed on loopback.
        #[arg(long, env = "SHOPGAP_BIND", default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an organization and its first admin; prints the admin's generated password once.
    CreateOrg {
        #[command(flatten)]
        db: DatabaseArgs,
        /// The organization's name.
        #[arg(long, env = "SHOPGAP_ORG_NAME")]
        name: String,
        /// Email of its first admin.
        #[arg(long, env = "SHOPGAP_ADMIN_EMAIL")]
        admin_email: String,
    },
}

fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_env("SHOPGAP_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn open_database(args: &DatabaseArgs) -> Result<Pool, String> {
    let target = DbTarget::parse(&args.database_url())?;
    let pool = connect_pool(&target, args.db_pool_size.max(1)).map_err(|e| e.to_string())?;
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    let applied = run_migrations(&mut conn).map_err(|e| e.to_string())?;
    for version in &applied {
        tracing::info!(%version, "applied migration");
    }
    tracing::info!(backend = target.backend_name(), "database ready");
    Ok(pool)
}

/// An error as a command prints it: the problem's detail and each field's message.
fn explain(e: shopgap::error::ApiError) -> String {
    let problem = e.to_problem();
    let fields: Vec<String> = problem
        .errors
        .iter()
        .map(|f| format!("\n  {}: {}", f.field, f.message))
        .collect();
    format!("{}{}", problem.detail, fields.concat())
}

fn print_credentials(title: &str, credentials: &[Credential]) {
    println!("\n{title} (shown once; keep them safe):");
    for c in credentials {
        println!("  {:<8} {:<36} {}", c.role.as_str(), c.email, c.password);
    }
    println!();
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Openapi => {
            print!("{}", shopgap::openapi::openapi_yaml());
            Ok(())
        }
        Command::Healthcheck { bind } => healthcheck(bind),
        Command::Import {
            db,
            org_id,
            publish,
            file,
        } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).map_err(|e| e.to_string())?
            } else {
                std::fs::read_to_string(&file)
                    .map_err(|e| format!("cannot read {}: {e}", file.display()))?
            };
            let pool = open_database(&db)?;
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            let imported = shopgap::demo::import_document(&mut conn, &org_id, &text, publish)
                .map_err(explain)?;
            println!("{imported}");
            Ok(())
        }
        Command::Migrate(db) => open_database(&db).map(|_| ()),
        Command::RebuildRollups { db, org_id } => {
            let pool = open_database(&db)?;
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            let (visits, responses) = shopgap::db::write_transaction(&mut conn, |conn| {
                let visits = shopgap::reports::rollups::rebuild(conn, org_id.as_deref())?;
                shopgap::calibration::service::rebuild(conn, org_id.as_deref())?;
                shopgap::assignments::repo::recount_open_jobs(conn, org_id.as_deref())?;
                Ok((
                    visits,
                    shopgap::surveys::store::rebuild(conn, org_id.as_deref())?,
                ))
            })
            .map_err(|e| e.to_problem().detail)?;
            println!(
                "roll-ups rebuilt from {visits} approved visits and {responses} survey responses"
            );
            Ok(())
        }
        Command::DemoData {
            db,
            locations,
            shoppers,
            visits,
            responses,
            days,
            seed,
            workers,
            awaiting_review,
        } => {
            let pool = open_database(&db)?;
            let plan = shopgap::demo::generator::Plan {
                locations,
                shoppers,
                visits,
                responses: responses.unwrap_or(visits),
                days,
                seed,
                workers,
                awaiting_review,
            };
            let bar = indicatif::ProgressBar::new(visits as u64).with_style(
                indicatif::ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:40}] {pos}/{len} visits, {per_sec}, {eta} left",
                )
                .map_err(|e| e.to_string())?
                .progress_chars("=> "),
            );
            let started = std::time::Instant::now();
            // Without a terminal (CI, scripts) the bar is hidden: a line per tenth instead.
            let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let tenth = (visits as u64 / 10).max(1);
            let summary = shopgap::demo::generator::generate(&pool, &plan, &|done| {
                if !terminal && bar.position() / tenth != done / tenth {
                    eprintln!("{done}/{visits} visits");
                }
                bar.set_position(done)
            })
            .map_err(explain)?;
            bar.finish_and_clear();
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "{} approved visits at {} locations by {} shoppers in {seconds:.1} s ({:.0} visits/s); organization {}, checklist version {}",
                summary.visits,
                summary.locations,
                summary.shoppers,
                summary.visits as f64 / seconds.max(0.001),
                summary.organization_id,
                summary.checklist_version_id
            );
            println!(
                "{} customer survey responses and {} management answers beside them",
                summary.responses, summary.management_responses
            );
            println!(
                "{} corrective actions on the largest gaps, with training and verifying re-shops; {} self-assessments",
                summary.corrective_actions, summary.self_assessments
            );
            println!(
                "{} certification quiz attempts; {} monthly payment batches, paid",
                summary.quiz_attempts, summary.payment_batches
            );
            if !summary.credentials.is_empty() {
                print_credentials("Demo organization credentials", &summary.credentials);
            }
            Ok(())
        }
        Command::Admin(AdminCommand::CreateOrg {
            db,
            name,
            admin_email,
        }) => {
            let pool = open_database(&db)?;
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            let (org, admin) = create_organization(&mut conn, &name, &admin_email)
                .map_err(|e| e.to_problem().detail)?;
            println!("organization {} ({})", org.name, org.id);
            print_credentials("Admin credentials", &[admin]);
            Ok(())
        }
        Command::Serve(args) => {
            let config = Config::from_args(&args)?;
            let pool = open_database(&args.db)?;
            if args.demo {
                let mut conn = pool.get().map_err(|e| e.to_string())?;
                let credentials = ensure_demo(&mut conn).map_err(|e| e.to_problem().detail)?;
                drop(conn);
                let started = std::time::Instant::now();
                let made = if args.demo_history {
                    shopgap::demo::first_start(&pool).map_err(explain)?
                } else {
                    None
                };
                if let Some(summary) = made {
                    println!(
                        "First start: the demo organization got {} approved and unapproved visits at {} locations, {} survey responses, {} corrective actions and {} self-assessments in {:.1} s",
                        summary.visits,
                        summary.locations,
                        summary.responses,
                        summary.corrective_actions,
                        summary.self_assessments,
                        started.elapsed().as_secs_f64()
                    );
                }
                print_credentials(
                    &format!(
                        "Demo organization \"{}\" credentials",
                        shopgap::demo::DEMO_ORGANIZATION
                    ),
                    &credentials,
                );
                println!(
                    "Dashboard: http://{}/app/  (sign in as the admin or the manager above)\nAPI docs:  http://{}/docs/\n",
                    shown_address(args.bind),
                    shown_address(args.bind)
                );
            }
            shopgap::auth::password::Passwords::warm_up();
            let listener = TcpListener::bind(args.bind)
                .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
            let storage = config.attachments.describe();
            let state = AppState::new(
                Db::new(pool, &DbTarget::parse(&args.db.database_url())?),
                config,
            )
            .map_err(|e| format!("evidence storage: {e}"))?;
            let options = ServerOptions {
                workers: args.workers,
                shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
            };
            actix_web::rt::System::new().block_on(async move {
                shopgap::attachments::storage::check(state.files.as_ref()).await?;
                tracing::info!(%storage, "evidence storage ready");
                tracing::info!(address = %args.bind, "shopgap listening; API docs at /docs/");
                serve(listener, state, options)
                    .map_err(|e| e.to_string())?
                    .await
                    .map_err(|e| e.to_string())
            })
        }
    }
}

/// The address to print for a browser: loopback when listening on every interface.
fn shown_address(mut addr: std::net::SocketAddr) -> std::net::SocketAddr {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    addr
}

/// A minimal HTTP/1.0 GET of `/healthz`: success when the status line says 200.
fn healthcheck(mut addr: std::net::SocketAddr) -> Result<(), String> {
    use std::io::{Read, Write};
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let timeout = Duration::from_secs(3);
    let mut stream = std::net::TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| format!("cannot reach {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).map_err(|e| e.to_string())?;
    if head.ends_with(b" 200") {
        Ok(())
    } else {
        Err(format!("unhealthy: {}", String::from_utf8_lossy(&head)))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("shopgap: {message}");
            ExitCode::FAILURE
        }
    }
}
