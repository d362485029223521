//! Sweep's use cases. Each action is a method on [`Sweep`] that takes the caller (an
//! [`Actor`]) and plain input, checks rights and rules, and calls the ports.
//!
//! The web layer and the CLI call these for everything that needs rights checked or
//! rules applied. [`Sweep::repos`] also hands them the storage ports themselves, and they
//! use it for a few plain reads no use case offers (the CLI's set-up chores, a shop
//! page's cart badge or store address); whatever goes through the ports directly is
//! checked by nobody, so it must stay within what the caller may see anyway.

pub mod analytics;
pub mod auth;
pub mod cards;
pub mod catalog;
pub mod check;
pub mod error;
pub mod flash;
pub mod idempotency;
pub mod import;
pub mod inventory;
pub mod jobs;
pub mod locations;
pub mod loyalty;
pub mod merchants;
pub mod orders;
pub mod page;
pub mod payments;
pub mod ports;
pub mod pricing;
pub mod secrets;
pub mod serde_util;
pub mod shop;
pub mod staff;

use std::sync::Arc;

pub use error::{AppError, AppResult};
use ports::*;
use sweep_domain::Timestamp;
use sweep_domain::ids::MerchantId;
use sweep_domain::roles::{Actor, Permission};

/// The storage and file ports, all implemented by one database in practice.
#[derive(Clone)]
pub struct Repos {
    pub merchants: Arc<dyn MerchantRepo>,
    pub staff: Arc<dyn StaffRepo>,
    pub auth: Arc<dyn AuthRepo>,
    pub locations: Arc<dyn LocationRepo>,
    pub catalog: Arc<dyn CatalogRepo>,
    pub inventory: Arc<dyn InventoryRepo>,
    pub idempotency: Arc<dyn IdempotencyRepo>,
    pub jobs: Arc<dyn JobRepo>,
    pub media: Arc<dyn MediaStore>,
    pub health: Arc<dyn Health>,
    pub platform: Arc<dyn PlatformSecrets>,
    pub shoppers: Arc<dyn ShopperRepo>,
    pub carts: Arc<dyn CartRepo>,
    pub orders: Arc<dyn OrderRepo>,
    pub cards: Arc<dyn CardRepo>,
    pub loyalty: Arc<dyn LoyaltyRepo>,
    pub coupons: Arc<dyn CouponRepo>,
    pub flash: Arc<dyn FlashRepo>,
    pub analytics: Arc<dyn AnalyticsRepo>,
    pub till: Arc<dyn TillRepo>,
    pub payment_accounts: Arc<dyn PaymentAccountRepo>,
    pub reconciliations: Arc<dyn ReconciliationRepo>,
    pub integrity: Arc<dyn IntegrityRepo>,
    pub sms: Arc<dyn SmsSender>,
}

/// Tunable rules of the use cases; the binary fills them from configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a console session lasts.
    pub session_ttl_secs: i64,
    /// Sign-in attempts allowed per account from one client address within the window.
    pub login_attempts_per_account: i64,
    /// Sign-in attempts allowed per account from all addresses together (slows guessing
    /// spread over many addresses without letting one address lock an account).
    pub login_attempts_per_account_global: i64,
    /// Failed sign-ins allowed per client address within the window (spraying many accounts).
    pub login_attempts_per_client: i64,
    pub login_window_secs: i64,
    /// Largest image upload.
    pub max_image_bytes: usize,
    /// Where shoppers' browsers reach Sweep (for return links after paying).
    pub public_url: String,
    /// Where payment providers send notifications (the sandbox posts from inside the
    /// server, so this may be a loopback address).
    pub callback_url: String,
    /// Unpaid orders expire after this many seconds.
    pub unpaid_order_secs: i64,
    /// Pickup orders not collected this many seconds after payment are cancelled and refunded.
    pub pickup_secs: i64,
    /// How long a shopper stays signed in.
    pub shopper_session_days: i64,
    /// Orders placed this long after a display-card scan on the same device are credited
    /// to the card's store and clerk.
    pub scan_attribution_secs: i64,
    /// Flash checkout requests one member may send per second (and in a burst); more
    /// get 429 at once, so a bot cannot crowd out other buyers.
    pub flash_member_per_sec: u32,
    pub flash_member_burst: u32,
    /// The same per browser (a device, across the members signed in on it).
    pub flash_device_per_sec: u32,
    pub flash_device_burst: u32,
    /// Flash purchases waiting for the database per process; beyond it, 503 at once.
    pub flash_queue: usize,
    /// Most purchases committed in one transaction.
    pub flash_batch: usize,
    /// The shortest time to pay a merchant may give a flash sale.
    pub flash_min_pay_secs: i64,
    /// A pending payment is first asked about at its provider this long after it was
    /// started (when no notification has come), and again at this interval.
    pub payment_query_after_secs: i64,
    /// How long a claimed background job is its worker's before another may take it
    /// over; a running job renews it every third of this, so only a dead worker's
    /// jobs wait for it to run out.
    pub job_lease_secs: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_ttl_secs: 12 * 3600,
            login_attempts_per_account: 5,
            login_attempts_per_account_global: 50,
            login_attempts_per_client: 30,
            login_window_secs: 15 * 60,
            max_image_bytes: 5 * 1024 * 1024,
            public_url: "http://127.0.0.1:8080".into(),
            callback_url: "http://127.0.0.1:8080".into(),
            unpaid_order_secs: 15 * 60,
            pickup_secs: 7 * 86_400,
            shopper_session_days: 30,
            scan_attribution_secs: 86_400,
            flash_member_per_sec: 5,
            flash_member_burst: 10,
            flash_device_per_sec: 10,
            flash_device_burst: 20,
            flash_queue: 20_000,
            flash_batch: 1000,
            payment_query_after_secs: 60,
            job_lease_secs: 30,
            flash_min_pay_secs: 60,
        }
    }
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        Timestamp::from_unix_micros(micros)
    }
}

pub struct Sweep {
    pub(crate) repos: Repos,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) settings: Settings,
    /// Payment providers, by name; shoppers pay through one of them.
    pub(crate) gateways: Vec<Arc<dyn PaymentGateway>>,
    /// Workers for job kinds the use cases do not run themselves.
    pub(crate) job_handlers: Vec<Arc<dyn JobHandler>>,
    /// Providers at which merchants hold their own accounts (WeChat Pay, Alipay).
    pub(crate) providers: Vec<Arc<dyn PaymentProvider>>,
    /// Seals merchants' payment secrets at rest; without it they cannot be set.
    pub(crate) secret_box: Option<Arc<payments::SecretBox>>,
    /// Gateways opened from merchants' accounts, with the account version they were opened at.
    #[allow(clippy::type_complexity)]
    pub(crate) opened_gateways:
        std::sync::Mutex<std::collections::HashMap<(MerchantId, String), (Timestamp, Arc<dyn PaymentGateway>)>>,
    /// This process's flash-sale front desk: caches, rate limits and the group-commit
    /// queue. Nothing in it decides correctness; the database does.
    pub(crate) flash_desk: flash::FlashDesk,
}

impl Sweep {
    pub fn new(repos: Repos, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        let flash_desk = flash::FlashDesk::new(&settings);
        Sweep {
            repos,
            clock,
            settings,
            gateways: vec![],
            job_handlers: vec![],
            providers: vec![],
            secret_box: None,
            opened_gateways: Default::default(),
            flash_desk,
        }
    }

    /// Adds a payment provider. The first one added is the default.
    pub fn with_gateway(mut self, gateway: Arc<dyn PaymentGateway>) -> Self {
        self.gateways.push(gateway);
        self
    }

    /// Adds a provider merchants connect their own accounts to.
    pub fn with_payment_provider(mut self, provider: Arc<dyn PaymentProvider>) -> Self {
        self.providers.push(provider);
        self
    }

    pub fn with_secret_box(mut self, secrets: payments::SecretBox) -> Self {
        self.secret_box = Some(Arc::new(secrets));
        self
    }

    pub fn with_job_handler(mut self, handler: Arc<dyn JobHandler>) -> Self {
        self.job_handlers.push(handler);
        self
    }

    pub(crate) fn gateway(&self, provider: &str) -> AppResult<&Arc<dyn PaymentGateway>> {
        self.gateways
            .iter()
            .find(|g| g.provider() == provider)
            .ok_or_else(|| AppError::invalid("provider", "unknown_provider", "no such payment provider"))
    }

    pub fn providers(&self) -> Vec<&'static str> {
        self.gateways.iter().map(|g| g.provider()).collect()
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The storage ports themselves, unchecked: see the crate documentation.
    pub fn repos(&self) -> &Repos {
        &self.repos
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub async fn ready(&self) -> bool {
        self.repos.health.ready().await
    }
}

/// The merchant the caller acts in. A platform admin names one per request.
pub(crate) fn tenant(actor: &Actor) -> AppResult<MerchantId> {
    actor.merchant_id.ok_or_else(|| {
        AppError::invalid(
            "merchant_id",
            "merchant_required",
            "platform admins choose a merchant with the X-Merchant-Id header",
        )
    })
}

/// How many times an edit is re-read and re-applied when another request changed the
/// same record in between (optimistic concurrency: edits of different fields both stick).
pub(crate) const SAVE_ATTEMPTS: usize = 5;

/// The `updated_at` of a saved edit: now, but always after the version it replaces, so
/// the optimistic check sees every edit even within one microsecond.
pub(crate) fn next_version(now: Timestamp, previous: Timestamp) -> Timestamp {
    if now > previous { now } else { Timestamp::from_unix_micros(previous.unix_micros() + 1) }
}

pub(crate) fn concurrent_edit() -> AppError {
    AppError::conflict("concurrent_update", None, "someone else kept changing this at the same time; try again")
}

pub(crate) fn require(actor: &Actor, permission: Permission) -> AppResult<()> {
    if actor.can(permission) { Ok(()) } else { Err(AppError::Forbidden) }
}
