//! `sweep`: the one binary. It serves the API, pages and background jobs, and runs the
//! chores around them (migrations, demo data, imports, checks).

mod cards;
mod config;
mod demo;
mod images;
mod import;
mod serve;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use sweep_app::ports::Invariant;
use sweep_app::{Sweep, SystemClock};
use sweep_store::{Db, DbOptions};

use crate::config::Config;

#[derive(Parser)]
#[command(name = "sweep", version, about = "Sweep: O2O commerce for shops on the street and shoppers on their phones")]
struct Cli {
    /// Configuration file (TOML); read when it exists.
    #[arg(long, global = true, default_value = "sweep.toml", env = "SWEEP_CONFIG")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API, the pages and the background jobs.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Seed the demo merchant (a Hangzhou home-textiles brand) and print its logins.
    Demo(DbArgs),
    /// Import products, SKUs and opening stock from a CSV file: all rows or none.
    Import {
        #[command(flatten)]
        db: DbArgs,
        /// The merchant's slug.
        #[arg(long)]
        merchant: String,
        /// The CSV file (UTF-8; see docs/IMPORT.md).
        #[arg(long)]
        file: PathBuf,
        /// Record the import as this staff member (default: the merchant's owner).
        #[arg(long = "as")]
        as_login: Option<String>,
        /// Check the file and report, without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Verify that every stock level equals the sum of its movements; exits 1 and names
    /// the rows that do not.
    Check(DbArgs),
    /// Fill a merchant (the demo merchant unless told) with a realistic sales history:
    /// members, finished orders across channels, stores and days, card scans, and the
    /// day totals the console's analytics read. For demos and for measuring at scale.
    History {
        #[command(flatten)]
        db: DbArgs,
        /// The merchant's slug (seeded first if it is the demo merchant and missing).
        #[arg(long, default_value = demo::SLUG)]
        merchant: String,
        /// Orders to write.
        #[arg(long, default_value_t = 100_000)]
        orders: u64,
        /// Days of history, ending today.
        #[arg(long, default_value_t = 365)]
        days: u32,
        #[arg(long, default_value_t = 11)]
        seed: u64,
        /// Write made-up orders into a merchant other than the demo's (never a real shop).
        #[arg(long)]
        any_merchant: bool,
    },
    /// Print the default configuration.
    Config,
    /// Display cards: print a store's QR cards as A4 sheets.
    Cards {
        #[command(subcommand)]
        command: CardsCommand,
    },
    /// Run the payment provider simulator on its own: WeChat Pay v3 and Alipay with their
    /// real message formats and signatures, and pages to pay on (no real money).
    Paysim {
        /// Listen address, HOST:PORT.
        #[arg(long, default_value = "127.0.0.1:8090")]
        addr: String,
        /// The address browsers and Sweep reach the simulator at.
        #[arg(long)]
        public_url: Option<String>,
    },
    /// Platform administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Args, Clone, Default)]
pub struct DbArgs {
    /// Database URL (sqlite://... or postgres://...); default: SQLite in the data directory.
    #[arg(long)]
    database_url: Option<String>,
    /// Data directory (SQLite database, uploaded images).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Listen address, HOST:PORT.
    #[arg(long)]
    addr: Option<String>,
    /// The address shoppers' phones reach, for links, QR codes and cookie flags.
    #[arg(long)]
    public_url: Option<String>,
    /// Seed the demo merchant on first start.
    #[arg(long)]
    demo: bool,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

#[derive(Subcommand)]
enum CardsCommand {
    /// Writes a store's active display cards to a PDF of A4 sheets, four cards a page.
    Print {
        #[command(flatten)]
        db: DbArgs,
        /// The merchant's slug.
        #[arg(long)]
        merchant: String,
        /// The store's code (e.g. HZ-HB) or id.
        #[arg(long)]
        store: String,
        /// Only the cards of this campaign (its name).
        #[arg(long)]
        campaign: Option<String>,
        /// First make cards for the store's stocked SKUs that have none.
        #[arg(long)]
        create_missing: bool,
        /// The address shoppers' phones reach: the QR codes lead there.
        #[arg(long)]
        public_url: Option<String>,
        /// Where to write the PDF.
        #[arg(long, default_value = "cards.pdf")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a platform admin (the first one of a deployment comes from here).
    Create {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        login: String,
        #[arg(long, default_value = "Platform admin")]
        name: String,
        /// Read the password from standard input instead of SWEEP_ADMIN_PASSWORD.
        #[arg(long)]
        password_stdin: bool,
    },
}

impl DbArgs {
    fn apply(&self, config: &mut Config) {
        if let Some(url) = &self.database_url {
            config.database_url = Some(url.clone());
        }
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
    }
}

/// mimalloc instead of the system allocator: a Double 11 burst allocates and frees
/// millions of small strings a second, where glibc's malloc spends a sixth of the time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut config = Config::load(&cli.config)?;
    if let Command::Config = cli.command {
        print!("{}", config::DEFAULT_TOML);
        return Ok(());
    }
    init_logging(&config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => {
                args.db.apply(&mut config);
                serve::run(config, args).await
            }
            Command::Paysim { addr, public_url } => serve::paysim(&addr, public_url).await,
            Command::Migrate(db) => {
                db.apply(&mut config);
                open(&config).await?;
                println!("Migrations applied to {}", sweep_store::redact(&config.database_url()));
                Ok(())
            }
            Command::Demo(db) => {
                db.apply(&mut config);
                let (sweep, _) = open(&config).await?;
                let seeded = demo::seed(&sweep).await?;
                demo::print_logins(seeded);
                Ok(())
            }
            Command::Import { db, merchant, file, as_login, dry_run } => {
                db.apply(&mut config);
                let args =
                    import::ImportArgs { merchant: &merchant, file: &file, as_login: as_login.as_deref(), dry_run };
                import::run(&config, args).await
            }
            Command::History { db, merchant, orders, days, seed, any_merchant } => {
                if merchant != demo::SLUG && !any_merchant {
                    anyhow::bail!(
                        "{merchant} is not the demo merchant: made-up orders would mix with its real ones \
                         (pass --any-merchant for a test merchant)"
                    );
                }
                db.apply(&mut config);
                let (sweep, db) = open(&config).await?;
                history(&sweep, &db, &merchant, orders, days, seed).await
            }
            Command::Check(db) => {
                db.apply(&mut config);
                let (sweep, _) = open(&config).await?;
                check(&sweep).await
            }
            Command::Cards {
                command: CardsCommand::Print { db, merchant, store, campaign, create_missing, public_url, out },
            } => {
                db.apply(&mut config);
                if public_url.is_some() {
                    config.public_url = public_url;
                }
                let args = cards::PrintArgs {
                    merchant: &merchant,
                    store: &store,
                    campaign: campaign.as_deref(),
                    out: &out,
                    create_missing,
                };
                cards::print(&config, args).await
            }
            Command::Admin { command: AdminCommand::Create { db, login, name, password_stdin } } => {
                db.apply(&mut config);
                let password = if password_stdin {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                } else {
                    std::env::var("SWEEP_ADMIN_PASSWORD")
                        .context("set SWEEP_ADMIN_PASSWORD or pass --password-stdin")?
                };
                let (sweep, _) = open(&config).await?;
                let admin = sweep.create_platform_admin(&login, &name, &password).await.map_err(app_error)?;
                println!("Platform admin {} created ({}).", admin.login, admin.id);
                Ok(())
            }
            Command::Config => unreachable!("handled above"),
        }
    })
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SWEEP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Connects, migrates and builds the use cases.
async fn history(sweep: &Sweep, db: &Db, slug: &str, orders: u64, days: u32, seed: u64) -> anyhow::Result<()> {
    if slug == demo::SLUG {
        demo::seed(sweep).await.map_err(|e| anyhow::anyhow!("seeding the demo merchant: {e}"))?;
    }
    let merchant = sweep
        .repos()
        .merchants
        .merchant_by_slug(slug)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .with_context(|| format!("no merchant with the slug {slug}"))?;
    let plan = sweep_store::HistoryPlan { merchant: merchant.id, orders, days, until: sweep.now(), seed };
    let started = std::time::Instant::now();
    let step = (orders / 20).max(1);
    let progress = |done: u64| {
        if done % step < 2_000 || done == orders {
            eprintln!("  {done} / {orders} orders ({:.0} s)", started.elapsed().as_secs_f64());
        }
    };
    let report = db.generate_history(&plan, &progress).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "wrote {} orders ({} lines), {} members and {} card scans for {slug} over {days} days in {:.1} s; paid ¥{}",
        report.orders,
        report.lines,
        report.members,
        report.scans,
        started.elapsed().as_secs_f64(),
        sweep_domain::Money::cny(report.paid_amount).to_major_string()
    );
    Ok(())
}

pub async fn open(config: &Config) -> anyhow::Result<(Arc<Sweep>, Arc<Db>)> {
    let settings = config.settings();
    let (sweep, db, _) = open_with(config, settings).await?;
    Ok((sweep, db))
}

/// As [`open`], with the URLs the server is reached at; also returns the sandbox
/// provider when it is on, for its cashier pages.
pub async fn open_with(
    config: &Config,
    settings: sweep_app::Settings,
) -> anyhow::Result<(Arc<Sweep>, Arc<Db>, Option<Arc<sweep_pay::sandbox::Sandbox>>)> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    }
    let options = DbOptions { max_connections: config.database_max_connections, ..DbOptions::default() };
    let db =
        Db::connect(&url, &options).await.with_context(|| format!("connecting to {}", sweep_store::redact(&url)))?;
    db.migrate().await.context("applying migrations")?;
    let db = Arc::new(db);
    let repos = sweep_store::repos(db.clone(), config.media_dir());
    let public_url = settings.public_url.clone();
    let key_path = config.secrets_key_path();
    if !key_path.exists() {
        use sweep_app::ports::PaymentAccountRepo;
        // A new key would leave every stored account unreadable: say so instead.
        if db.any_payment_accounts().await.map_err(|e| anyhow::anyhow!("{e}"))? {
            anyhow::bail!(
                "the secrets key {} is missing, but merchants' payment accounts sealed with it are stored; \
                 restore the file (or set secrets_key_file)",
                key_path.display()
            );
        }
    }
    let secrets = load_or_make_secrets_key(&key_path)?;
    let options = sweep_pay::ProviderOptions { any_gateway: config.payment_gateways_anywhere, ..Default::default() };
    let mut sweep = Sweep::new(repos, Arc::new(SystemClock), settings)
        .with_secret_box(secrets)
        .with_payment_provider(Arc::new(sweep_pay::wechat::WeChatPayProvider::new(options)))
        .with_payment_provider(Arc::new(sweep_pay::alipay::AlipayProvider::new(options)));
    let mut sandbox = None;
    if config.payment_sandbox {
        use sweep_app::ports::PlatformSecrets;
        let fresh = sweep_app::secrets::random_token("").map_err(app_error)?;
        let key =
            db.platform_secret("sandbox_signing_key", &fresh, sweep.now()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let provider = Arc::new(sweep_pay::sandbox::Sandbox::new(db.clone(), db.clone(), &key, &public_url));
        sweep = sweep.with_gateway(provider.clone()).with_job_handler(provider.clone());
        sandbox = Some(provider);
    }
    Ok((Arc::new(sweep), db, sandbox))
}

/// The key that seals merchants' payment secrets: read from its file, or made and
/// written (readable by this user only) on first start. Two processes starting at once
/// cannot make two keys: the file is created exclusively, and the loser reads it.
fn load_or_make_secrets_key(path: &std::path::Path) -> anyhow::Result<sweep_app::payments::SecretBox> {
    use std::io::Write;
    let read = |path: &std::path::Path| -> anyhow::Result<sweep_app::payments::SecretBox> {
        let mut text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        // Another process may have created the file a moment ago and still be writing it.
        for _ in 0..20 {
            if !text.trim().is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
            text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        }
        sweep_app::payments::SecretBox::from_key_text(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    };
    if path.exists() {
        return read(path);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            let text = sweep_app::payments::SecretBox::generate_key_text().map_err(app_error)?;
            file.write_all(text.as_bytes())
                .and_then(|_| file.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            tracing::info!(path = %path.display(), "made a new secrets key");
            read(path)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(path),
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

pub fn app_error(e: sweep_app::AppError) -> anyhow::Error {
    match e {
        sweep_app::AppError::Invalid(fields) => {
            let lines: Vec<String> = fields.iter().map(|f| format!("  {}: {}", f.field, f.message)).collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

async fn check(sweep: &Sweep) -> anyhow::Result<()> {
    let report = sweep.check().await.map_err(app_error)?;
    // Reported apart: offline oversells are explained by the ledger, so they do not fail
    // the check, but someone should count that stock.
    if !report.offline_oversells.is_empty() {
        println!(
            "offline oversells ({}), sold by tills while offline beyond the recorded stock:",
            report.offline_oversells.len()
        );
    }
    for o in &report.offline_oversells {
        println!(
            "  merchant {} sku {} location {} at {}: {} ({})",
            o.merchant_id,
            o.sku_id,
            o.location_id,
            o.created_at.to_rfc3339(),
            o.note,
            o.reference.as_deref().unwrap_or("-")
        );
    }
    if report.is_clean() {
        println!(
            "ok: every stock level equals the sum of its movements, reserved stock what open orders promise, \
             every points balance the sum of its ledger; orders, payments, refunds, coupons, flash sales and \
             sold units keep their rules ({})",
            Invariant::ALL.map(|r| r.as_str()).join(", ")
        );
        return Ok(());
    }
    if !report.stock_ledger.is_empty() {
        eprintln!("stock ledger mismatches ({}):", report.stock_ledger.len());
    }
    for m in &report.stock_ledger {
        eprintln!(
            "  merchant {} sku {} location {}: on_hand {} reserved {}, ledger says on_hand {} reserved {}",
            m.merchant_id, m.sku_id, m.location_id, m.on_hand, m.reserved, m.ledger_on_hand, m.ledger_reserved
        );
    }
    if !report.reservations.is_empty() {
        eprintln!("reservation mismatches ({}):", report.reservations.len());
    }
    for m in &report.reservations {
        eprintln!(
            "  merchant {} sku {} location {}: reserved {}, open orders promise {}",
            m.merchant_id, m.sku_id, m.location_id, m.reserved, m.promised
        );
    }
    if !report.points.is_empty() {
        eprintln!("points balance mismatches ({}):", report.points.len());
    }
    for m in &report.points {
        eprintln!(
            "  merchant {} member {}: balance {}, ledger says {}",
            m.merchant_id, m.shopper_id, m.points, m.ledger
        );
    }
    for rule in Invariant::ALL {
        let broken: Vec<_> = report.violations.iter().filter(|v| v.invariant == rule).collect();
        if !broken.is_empty() {
            eprintln!("{} ({}):", rule.as_str(), broken.len());
        }
        for v in broken {
            eprintln!("  merchant {} {}: {}", v.merchant_id, v.subject, v.detail);
        }
    }
    std::process::exit(1);
}
