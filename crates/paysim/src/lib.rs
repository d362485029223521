//! A local, protocol-faithful simulator of the two payment providers Sweep speaks to:
//! WeChat Pay API v3 and the Alipay Open Platform gateway v2.
//!
//! The simulator PLAYS the provider: it verifies the merchant's signed requests, answers with
//! signed responses, serves phone-sized payment pages in place of the WeChat and Alipay apps, and
//! posts signed (and, for WeChat Pay, encrypted) notifications with retries. Every signature and
//! every encryption goes through the pure protocol crates `sweep-wechatpay` and `sweep-alipay`,
//! so Sweep's real clients can run end to end without the internet: in tests, and in
//! `sweep serve --demo`. No real money is ever involved, and all state lives in memory.
//!
//! ```no_run
//! # async fn demo() {
//! use sweep_paysim::{SimConfig, Simulator};
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await.unwrap();
//! let sim = Simulator::new(SimConfig { public_base: "http://127.0.0.1:8080/paysim".into(), ..SimConfig::default() });
//! let credentials = sim.create_wechat_account(); // store these as the merchant's settings
//! let app = axum::Router::new().nest("/paysim", sim.router());
//! axum::serve(listener, app).await.unwrap();
//! # }
//! ```
//!
//! Routes (relative to where [`Simulator::router`] is mounted): `/wechat/...` is WeChat Pay's
//! API host, OAuth host and payment pages at once, `/alipay/gateway.do` is the Alipay gateway,
//! `/sim/...` is the control API for tests and demos, and `/` is an index page.

#![warn(missing_docs)]

mod alipay;
mod control;
mod notify;
mod util;
mod wechat;

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use notify::Delivery;

/// A notification as it is POSTed: `(headers, body)`.
pub type NotificationRequest = (Vec<(String, String)>, Vec<u8>);

/// How the simulator is reached and how fast its asynchronous events happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Absolute URL where [`Simulator::router`] is reachable by browsers and by Sweep, without a
    /// trailing slash, e.g. `http://127.0.0.1:8080/paysim`. Every URL the simulator hands out
    /// (gateway URLs, `code_url`, `h5_url`, `qr_code`, page form targets) starts with it.
    pub public_base: String,
    /// Waits in milliseconds before each retry of an unacknowledged notification; the first
    /// attempt is immediate, so there are `len() + 1` attempts in all.
    pub notify_retry_ms: Vec<u64>,
    /// How long a payment-code payment stays "user paying" before it succeeds (codes ending
    /// `1111`).
    pub userpaying_secs: u64,
    /// How long a WeChat Pay refund stays `PROCESSING` before it becomes `SUCCESS`.
    pub refund_processing_ms: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            public_base: "http://127.0.0.1:8080/paysim".to_owned(),
            notify_retry_ms: vec![1000, 2000, 5000, 15000, 60000, 180000],
            userpaying_secs: 3,
            refund_processing_ms: 1000,
        }
    }
}

/// Misbehaviour of the notification channel, switchable at run time (`/sim/faults`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Record every notification in [`Simulator::deliveries`] but never send it.
    pub drop_notifications: bool,
    /// Extra copies sent right after each acknowledged delivery (providers do send duplicates).
    pub duplicate_notifications: u32,
    /// Wait this long before every notification attempt.
    pub delay_notifications_ms: u64,
}

/// The simulator: accounts, trades, refunds and notification deliveries, all in memory.
///
/// Build it with [`Simulator::new`], mount [`Simulator::router`], create merchant accounts with
/// [`Simulator::create_wechat_account`] / [`Simulator::create_alipay_account`].
pub struct Simulator {
    config: SimConfig,
    me: Weak<Simulator>,
    wx: Mutex<wechat::WxState>,
    ali: Mutex<alipay::AliState>,
    faults: Mutex<Faults>,
    deliveries: Mutex<Vec<Delivery>>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator").field("config", &self.config).finish_non_exhaustive()
    }
}

/// Locks a mutex, carrying on with the data if a panicking thread poisoned it (a simulator
/// should keep answering).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Simulator {
    /// A simulator with no accounts yet. A trailing `/` of `public_base` is dropped.
    ///
    /// # Panics
    /// Only if the HTTP client for notifications cannot be built (no TLS backend), which the
    /// workspace's reqwest features rule out.
    #[must_use]
    pub fn new(mut config: SimConfig) -> Arc<Simulator> {
        while config.public_base.ends_with('/') {
            config.public_base.pop();
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .no_proxy()
            .user_agent("sweep-paysim")
            .build()
            .expect("build the notification HTTP client");
        Arc::new_cyclic(|me| Simulator {
            config,
            me: me.clone(),
            wx: Mutex::default(),
            ali: Mutex::default(),
            faults: Mutex::default(),
            deliveries: Mutex::default(),
            http,
        })
    }

    /// The configuration in use (with `public_base` normalised).
    #[must_use]
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// All routes, without the mount prefix: nest it where `public_base` points
    /// (`Router::new().nest("/paysim", sim.router())`) or serve it at the root.
    pub fn router(self: &Arc<Self>) -> axum::Router {
        axum::Router::new()
            .merge(control::routes())
            .merge(wechat::routes())
            .merge(alipay::routes())
            .with_state(Arc::clone(self))
    }

    /// Creates a WeChat Pay merchant and returns its credentials, with the fixed field names
    /// `mchid`, `appid`, `app_secret`, `merchant_serial_no`, `merchant_private_key` (PKCS#8 PEM),
    /// `api_v3_key`, `platform_public_key_id`, `platform_public_key` (SPKI PEM),
    /// `platform_certificates` (one PEM) and `gateway_url`.
    ///
    /// Generates three RSA-2048 keys, so it takes a moment; call it off the async executor in
    /// servers (the `/sim/accounts/wechatpay` route does).
    #[must_use]
    pub fn create_wechat_account(&self) -> serde_json::Value {
        let (account, credentials) = wechat::new_account(&self.config.public_base);
        lock(&self.wx).accounts.insert(account.mchid.clone(), Arc::new(account));
        credentials
    }

    /// Creates an Alipay application and returns its credentials: `app_id`, `seller_id`,
    /// `app_private_key` (bare base64 PKCS#8), `alipay_public_key` (bare base64 SPKI) and
    /// `gateway_url`.
    #[must_use]
    pub fn create_alipay_account(&self) -> serde_json::Value {
        let (account, credentials) = alipay::new_account(&self.config.public_base);
        lock(&self.ali).accounts.insert(account.app_id.clone(), Arc::new(account));
        credentials
    }

    /// Pays the most recent WeChat Pay trade with this `out_trade_no`, as if the shopper had
    /// confirmed in the app, and starts its `TRANSACTION.SUCCESS` notification.
    ///
    /// Returns once the trade is paid; the notification is delivered in the background (see
    /// [`Simulator::deliveries`]).
    ///
    /// # Errors
    /// A message when there is no such trade or it cannot be paid (paid, closed, expired).
    pub async fn pay_wechat(&self, out_trade_no: &str) -> Result<(), String> {
        let key = lock(&self.wx).latest(out_trade_no).ok_or_else(|| format!("no WeChat Pay trade {out_trade_no}"))?;
        self.wx_pay(&key, None, None)
    }

    /// Pays the most recent Alipay trade with this `out_trade_no` (as if its QR code had been
    /// scanned and paid) and starts its notification, delivered in the background.
    ///
    /// # Errors
    /// A message when there is no such trade or it cannot be paid.
    pub async fn pay_alipay(&self, out_trade_no: &str) -> Result<(), String> {
        let key = lock(&self.ali).latest(out_trade_no).ok_or_else(|| format!("no Alipay trade {out_trade_no}"))?;
        self.ali_pay(&key)
    }

    /// Switches a WeChat Pay merchant between signing responses and notifications with the
    /// platform certificate's key (`true`) or with the public-key-mode key (`false`, the
    /// default). Returns whether the merchant exists.
    pub fn set_wechat_sign_with_certificate(&self, mchid: &str, on: bool) -> bool {
        match lock(&self.wx).accounts.get(mchid) {
            Some(account) => {
                account.sign_with_cert.store(on, std::sync::atomic::Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    /// Replaces the notification faults.
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.faults) = faults;
    }

    /// The notification faults in force.
    #[must_use]
    pub fn faults(&self) -> Faults {
        lock(&self.faults).clone()
    }

    /// Every notification attempt so far, oldest first.
    #[must_use]
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.deliveries).clone()
    }

    /// A freshly signed `TRANSACTION.SUCCESS` notification `(headers, body)` for the most recent
    /// paid WeChat Pay trade with this `out_trade_no` (same notification id as the original),
    /// for replay tests. `None` if there is no such paid trade.
    #[must_use]
    pub fn wechat_payment_notification(&self, out_trade_no: &str) -> Option<NotificationRequest> {
        wechat::notify::replay(self, out_trade_no)
    }

    /// A freshly signed payment notification form body for the most recent paid Alipay trade
    /// with this `out_trade_no` (same `notify_id` as the original). `None` if not paid.
    #[must_use]
    pub fn alipay_payment_notification(&self, out_trade_no: &str) -> Option<Vec<u8>> {
        alipay::notify::replay(self, out_trade_no)
    }

    /// Runs `f` on the simulator after `delay`, on the current Tokio runtime (nothing happens
    /// outside one).
    pub(crate) fn after(&self, delay: Duration, f: impl FnOnce(&Simulator) + Send + 'static) {
        let Some(sim) = self.me.upgrade() else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
                    tokio::time::sleep(delay).await;
                    f(&sim);
                });
            }
            Err(_) => tracing::warn!("paysim: no Tokio runtime, a scheduled event is lost"),
        }
    }
}
