//! Configuration, in layers: built-in defaults, then `sweep.toml`, then `SWEEP_*`
//! environment variables, then command-line flags.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where `sweep serve` listens.
    pub addr: String,
    /// The address shoppers' phones and staff browsers reach; defaults to the listen address.
    pub public_url: Option<String>,
    /// Everything Sweep keeps on disk: the SQLite database and uploaded images.
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; defaults to a SQLite file in the data directory.
    pub database_url: Option<String>,
    pub database_max_connections: u32,
    /// Serve HTTPS directly with this certificate chain and key (PEM).
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Proxies (CIDR) whose X-Forwarded-For is believed for the client address.
    pub trusted_proxies: Vec<String>,
    /// `text` or `json`.
    pub log_format: String,
    /// Run the background job worker in this process.
    pub run_worker: bool,
    pub session_ttl_minutes: i64,
    pub login_attempts_per_account: i64,
    pub login_attempts_per_account_global: i64,
    pub login_attempts_per_client: i64,
    pub login_window_minutes: i64,
    pub max_image_kib: usize,
    /// Offer the sandbox payment provider (no real money; for demos and tests). Off by
    /// default; `serve --demo` turns it on.
    pub payment_sandbox: bool,
    /// Let merchants point their WeChat Pay and Alipay accounts at any address (a
    /// provider simulator). Off: only the providers' own hosts. `serve --demo` turns it on.
    pub payment_gateways_anywhere: bool,
    /// The key that seals merchants' payment secrets at rest (32 bytes, base64). Made
    /// on first start when missing; every process of a deployment needs the same file.
    /// Default: `secrets.key` in the data directory.
    pub secrets_key_file: Option<PathBuf>,
    /// Show the development SMS outbox at /dev/sms (it shows everyone's sign-in codes:
    /// demos only; `serve --demo` turns it on).
    pub sms_outbox_page: bool,
    pub unpaid_order_minutes: i64,
    pub pickup_days: i64,
    /// Orders placed within this many hours of scanning a display card on the same
    /// device are credited to the card's store and clerk.
    pub scan_attribution_hours: i64,
    /// Flash checkout requests per second one member may send (more get 429), and the
    /// burst allowed above it.
    pub flash_member_per_second: u32,
    pub flash_member_burst: u32,
    /// The same per browser.
    pub flash_device_per_second: u32,
    pub flash_device_burst: u32,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`.
    pub metrics_token: Option<String>,
    /// Seconds a client may take to send a request's headers before it is dropped.
    pub header_read_timeout_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: "127.0.0.1:8080".into(),
            public_url: None,
            data_dir: PathBuf::from("sweep-data"),
            database_url: None,
            database_max_connections: 10,
            tls_cert: None,
            tls_key: None,
            trusted_proxies: vec![],
            log_format: "text".into(),
            run_worker: true,
            session_ttl_minutes: 12 * 60,
            login_attempts_per_account: 5,
            login_attempts_per_account_global: 50,
            login_attempts_per_client: 30,
            login_window_minutes: 15,
            max_image_kib: 5 * 1024,
            payment_sandbox: false,
            payment_gateways_anywhere: false,
            secrets_key_file: None,
            sms_outbox_page: false,
            unpaid_order_minutes: 15,
            pickup_days: 7,
            scan_attribution_hours: 24,
            flash_member_per_second: 5,
            flash_member_burst: 10,
            flash_device_per_second: 10,
            flash_device_burst: 20,
            metrics_token: None,
            header_read_timeout_secs: 30,
        }
    }
}

/// The default configuration as `sweep config` prints it, with what each setting does.
pub const DEFAULT_TOML: &str = r#"# Sweep configuration. Put this in sweep.toml, or set SWEEP_<KEY> in the
# environment (e.g. SWEEP_DATABASE_URL). Flags of `sweep serve` win over both.

# Where `sweep serve` listens.
addr = "127.0.0.1:8080"

# The address shoppers' phones and staff browsers reach, used for every absolute
# link, QR code and cookie flag (https makes cookies Secure). Default: the listen
# address.
# public_url = "https://shop.example.com"

# Everything Sweep keeps on disk: the SQLite database and uploaded images.
data_dir = "sweep-data"

# sqlite://path/to/sweep.db or postgres://user@host/db. Default: a SQLite file in
# the data directory.
# database_url = "postgres://sweep@127.0.0.1/sweep"
database_max_connections = 10

# Serve HTTPS directly (PEM files), e.g. for a shop-floor demo without a proxy.
# tls_cert = "cert.pem"
# tls_key = "key.pem"

# Proxies whose X-Forwarded-For header is believed when counting sign-in attempts
# per client address, e.g. ["10.0.0.0/8"]. Empty: the peer address counts.
trusted_proxies = []

# "text" or "json".
log_format = "text"

# Run the background job worker in this process (several processes may).
run_worker = true

# Staff sessions and sign-in throttling, per window: attempts on one account from one
# client address, on one account from all addresses, and failures from one address.
session_ttl_minutes = 720
login_attempts_per_account = 5
login_attempts_per_account_global = 50
login_attempts_per_client = 30
login_window_minutes = 15

# Largest product image upload.
max_image_kib = 5120

# Offer the sandbox payment provider: a cashier page and signed notifications, no real
# money. For demos and tests (`serve --demo` turns it on): shoppers could otherwise pay
# with it.
payment_sandbox = false

# Let merchants point their WeChat Pay and Alipay accounts at any address, such as the
# provider simulator (`sweep paysim`). Off: only the providers' own hosts are accepted,
# so a merchant cannot make the server call internal addresses. `serve --demo` turns it on.
payment_gateways_anywhere = false

# The key that seals merchants' payment secrets (WeChat Pay and Alipay keys) in the
# database: 32 bytes in base64, made on first start when the file is missing. Every
# process of a deployment needs the same file; keep it out of database backups.
# Default: secrets.key in the data directory.
# secrets_key_file = "/etc/sweep/secrets.key"

# Show the development SMS outbox at /dev/sms. It shows everyone's sign-in codes, so
# only for demos (`serve --demo` turns it on). Texts go to the outbox in any case until
# a real SMS sender is configured.
sms_outbox_page = false

# Unpaid orders expire (their stock comes back) after this many minutes; pickup orders
# not collected this many days after payment are cancelled and refunded.
unpaid_order_minutes = 15
pickup_days = 7

# Orders placed within this many hours of scanning a display card on the same device
# (the last card scanned wins) are credited to the card's store and clerk.
scan_attribution_hours = 24

# Flash sales: requests per second one member (and one browser) may send to a sale's
# checkout, and the burst allowed above that; more get 429 at once, so a bot hammering
# the sale does not crowd out other buyers.
flash_member_per_second = 5
flash_member_burst = 10
flash_device_per_second = 10
flash_device_burst = 20

# Prometheus metrics at /metrics: open to anyone unless a token is set here (or in
# SWEEP_METRICS_TOKEN); then a scrape must send `Authorization: Bearer <token>`.
# metrics_token = "a long random string"

# Seconds a client may take to send a request's headers; slower ones are dropped, so
# slow clients cannot hold connections for ever.
header_read_timeout_secs = 30
"#;

const KEYS: &[&str] = &[
    "addr",
    "public_url",
    "data_dir",
    "database_url",
    "database_max_connections",
    "tls_cert",
    "tls_key",
    "trusted_proxies",
    "log_format",
    "run_worker",
    "session_ttl_minutes",
    "login_attempts_per_account",
    "login_attempts_per_account_global",
    "login_attempts_per_client",
    "login_window_minutes",
    "max_image_kib",
    "payment_sandbox",
    "payment_gateways_anywhere",
    "secrets_key_file",
    "sms_outbox_page",
    "unpaid_order_minutes",
    "pickup_days",
    "scan_attribution_hours",
    "flash_member_per_second",
    "flash_member_burst",
    "flash_device_per_second",
    "flash_device_burst",
    "metrics_token",
    "header_read_timeout_secs",
];

impl Config {
    /// Loads defaults, then the TOML file (when it exists), then SWEEP_* variables.
    pub fn load(file: &Path) -> anyhow::Result<Config> {
        // Only known keys come from the environment, so unrelated SWEEP_* variables
        // (such as SWEEP_TEST_DATABASE_URL) do not break start-up.
        let env = Env::prefixed("SWEEP_").filter(|key| KEYS.iter().any(|k| key.as_str().eq_ignore_ascii_case(k)));
        let config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(env)
            .extract()
            .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(matches!(self.log_format.as_str(), "text" | "json"), "log_format must be \"text\" or \"json\"");
        anyhow::ensure!(self.session_ttl_minutes > 0, "session_ttl_minutes must be positive");
        anyhow::ensure!(self.login_window_minutes > 0, "login_window_minutes must be positive");
        anyhow::ensure!(
            self.login_attempts_per_account > 0
                && self.login_attempts_per_account_global > 0
                && self.login_attempts_per_client > 0,
            "login attempt limits must be positive"
        );
        anyhow::ensure!(self.database_max_connections > 0, "database_max_connections must be positive");
        anyhow::ensure!(self.unpaid_order_minutes > 0 && self.pickup_days > 0, "order time limits must be positive");
        anyhow::ensure!(self.scan_attribution_hours >= 0, "scan_attribution_hours cannot be negative");
        anyhow::ensure!(
            self.flash_member_per_second > 0
                && self.flash_member_burst > 0
                && self.flash_device_per_second > 0
                && self.flash_device_burst > 0,
            "flash rate limits must be positive"
        );
        anyhow::ensure!(
            (1..=3600).contains(&self.header_read_timeout_secs),
            "header_read_timeout_secs must be 1 to 3600"
        );
        anyhow::ensure!(
            // Empty means unset (an empty SWEEP_METRICS_TOKEN).
            self.metrics_token
                .as_ref()
                .is_none_or(|t| t.is_empty() || (t.len() >= 16 && t.bytes().all(|b| b.is_ascii_graphic()))),
            "metrics_token must be at least 16 visible ASCII characters"
        );
        for net in &self.trusted_proxies {
            net.parse::<ipnet::IpNet>().map_err(|_| anyhow::anyhow!("trusted_proxies: {net:?} is not a CIDR range"))?;
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("sweep.db").display()),
        }
    }

    pub fn secrets_key_path(&self) -> PathBuf {
        self.secrets_key_file.clone().unwrap_or_else(|| self.data_dir.join("secrets.key"))
    }

    pub fn media_dir(&self) -> PathBuf {
        self.data_dir.join("media")
    }

    pub fn settings(&self) -> sweep_app::Settings {
        sweep_app::Settings {
            session_ttl_secs: self.session_ttl_minutes * 60,
            login_attempts_per_account: self.login_attempts_per_account,
            login_attempts_per_account_global: self.login_attempts_per_account_global,
            login_attempts_per_client: self.login_attempts_per_client,
            login_window_secs: self.login_window_minutes * 60,
            max_image_bytes: self.max_image_kib * 1024,
            public_url: format!("http://{}", self.addr),
            callback_url: format!("http://{}", self.addr),
            unpaid_order_secs: self.unpaid_order_minutes * 60,
            pickup_secs: self.pickup_days * 86_400,
            shopper_session_days: 30,
            scan_attribution_secs: self.scan_attribution_hours * 3_600,
            flash_member_per_sec: self.flash_member_per_second,
            flash_member_burst: self.flash_member_burst,
            flash_device_per_sec: self.flash_device_per_second,
            flash_device_burst: self.flash_device_burst,
            ..sweep_app::Settings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_defaults_are_the_defaults() {
        let parsed: Config = Figment::from(Toml::string(DEFAULT_TOML)).extract().unwrap();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn a_short_metrics_token_or_a_zero_header_timeout_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sweep.toml");
        for (toml, why) in [
            ("metrics_token = \"short\"\n", "metrics_token"),
            ("metrics_token = \"sixteen chars ok\"\n", "metrics_token"),
            ("header_read_timeout_secs = 0\n", "header_read_timeout_secs"),
        ] {
            std::fs::write(&file, toml).unwrap();
            let refused = Config::load(&file).unwrap_err().to_string();
            assert!(refused.contains(&format!("{why} must be")), "{toml}: {refused}");
        }
        std::fs::write(&file, "metrics_token = \"0123456789abcdef\"\nheader_read_timeout_secs = 5\n").unwrap();
        let config = Config::load(&file).unwrap();
        assert_eq!((config.metrics_token.as_deref(), config.header_read_timeout_secs), (Some("0123456789abcdef"), 5));
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sweep.toml");
        std::fs::write(&file, "addr = \"0.0.0.0:9000\"\nlogin_window_minutes = 5\n").unwrap();
        let config = Config::load(&file).unwrap();
        assert_eq!(config.addr, "0.0.0.0:9000");
        assert_eq!(config.login_window_minutes, 5);
        assert_eq!(config.session_ttl_minutes, 720, "untouched keys keep their default");
        std::fs::write(&file, "adrr = \"typo\"\n").unwrap();
        assert!(Config::load(&file).is_err(), "unknown keys are refused");
    }
}
