//! The Alipay Open Platform gateway v2, played: applications, trades, refunds, and the pay
//! logic shared by the gateway, the pages and the control API.

mod gateway;
pub(crate) mod notify;
mod pages;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use serde_json::json;
use sweep_alipay::{AlipayPublicKey, AppSigner, TradeStatus, pem_to_bare_base64};

use crate::{Simulator, lock, util};

/// An application (merchant) as Alipay knows it.
pub(crate) struct AliAccount {
    pub app_id: String,
    pub seller_id: String,
    /// Verifies the merchant's requests.
    pub app_key: AlipayPublicKey,
    /// Alipay's own key for this application: signs responses, notifications and returns.
    pub platform: AppSigner,
}

/// How a trade was created.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Origin {
    Precreate,
    Wap,
    Page,
    BarCode,
}

/// `(app_id, out_trade_no)`.
pub(crate) type TradeKey = (String, String);

/// A refund request, by `out_request_no`.
pub(crate) struct AliRefund {
    pub out_request_no: String,
    pub amount: i64,
    pub at: i64,
}

/// A trade of one application.
pub(crate) struct AliTrade {
    pub app_id: String,
    pub out_trade_no: String,
    pub subject: String,
    pub total: i64,
    pub trade_no: String,
    pub status: TradeStatus,
    /// A precreated trade only exists for `query`/`close` once its QR code was scanned, as on
    /// the real platform.
    pub visible: bool,
    pub origin: Origin,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
    pub buyer_id: String,
    pub buyer_logon_id: String,
    pub created: i64,
    pub expires: i64,
    pub paid_at: Option<i64>,
    pub token: String,
    pub refunds: Vec<AliRefund>,
    pub auth_code: Option<String>,
    /// A bar-code payment the payer is still confirming (code 10003).
    pub pending: bool,
    /// A bar-code payment refused for the balance (may be retried with another code).
    pub failed: bool,
    pub notify_id: String,
    pub seq: u64,
}

impl AliTrade {
    /// The status now: an unpaid trade past its timeout is closed.
    pub fn status_now(&self, now: i64) -> TradeStatus {
        if self.status == TradeStatus::WaitBuyerPay && !self.pending && now > self.expires {
            TradeStatus::TradeClosed
        } else {
            self.status
        }
    }

    /// Sum refunded so far.
    pub fn refunded(&self) -> i64 {
        self.refunds.iter().map(|r| r.amount).sum()
    }
}

/// Everything Alipay knows.
#[derive(Default)]
pub(crate) struct AliState {
    pub accounts: HashMap<String, Arc<AliAccount>>,
    pub trades: HashMap<TradeKey, AliTrade>,
    pub by_token: HashMap<String, TradeKey>,
    pub seq: u64,
}

impl AliState {
    /// The most recently created trade with this `out_trade_no`, of any application.
    pub fn latest(&self, out_trade_no: &str) -> Option<TradeKey> {
        self.trades
            .values()
            .filter(|t| t.out_trade_no == out_trade_no)
            .max_by_key(|t| t.seq)
            .map(|t| (t.app_id.clone(), t.out_trade_no.clone()))
    }

    /// Registers a new unpaid trade and returns it.
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        &mut self,
        app_id: &str,
        out_trade_no: &str,
        subject: &str,
        total: i64,
        origin: Origin,
        expires: i64,
        notify_url: Option<String>,
        return_url: Option<String>,
    ) -> &mut AliTrade {
        self.seq += 1;
        let now = util::now_unix();
        let key = (app_id.to_owned(), out_trade_no.to_owned());
        let token = sweep_wechatpay::random_alnum(24);
        self.by_token.insert(token.clone(), key.clone());
        let trade = AliTrade {
            app_id: app_id.to_owned(),
            out_trade_no: out_trade_no.to_owned(),
            subject: subject.to_owned(),
            total,
            trade_no: format!("{}22001{}", util::ymd_cst(now), util::random_digits(15)),
            status: TradeStatus::WaitBuyerPay,
            visible: origin != Origin::Precreate,
            origin,
            notify_url,
            return_url,
            buyer_id: format!("2088{}", util::random_digits(12)),
            buyer_logon_id: format!("138******{}", util::random_digits(2)),
            created: now,
            expires,
            paid_at: None,
            token,
            refunds: Vec::new(),
            auth_code: None,
            pending: false,
            failed: false,
            notify_id: util::random_hex(32, false),
            seq: self.seq,
        };
        self.trades.insert(key.clone(), trade);
        self.trades.get_mut(&key).expect("just inserted")
    }
}

/// Generates an application: the merchant's key pair and Alipay's key pair for it.
pub(crate) fn new_account(public_base: &str) -> (AliAccount, serde_json::Value) {
    let (app_private, app_public) = sweep_alipay::generate_rsa_2048().expect("generate the app key");
    let (alipay_private, alipay_public) = sweep_alipay::generate_rsa_2048().expect("generate the Alipay key");
    let account = AliAccount {
        app_id: format!("2021{}", util::random_digits(12)),
        seller_id: format!("2088{}", util::random_digits(12)),
        app_key: AlipayPublicKey::from_key_text(&app_public).expect("generated public key"),
        platform: AppSigner::from_key_text(&alipay_private).expect("generated private key"),
    };
    let credentials = json!({
        "app_id": account.app_id,
        "seller_id": account.seller_id,
        "app_private_key": pem_to_bare_base64(&app_private).unwrap_or_default(),
        "alipay_public_key": pem_to_bare_base64(&alipay_public).unwrap_or_default(),
        "gateway_url": format!("{public_base}/alipay/gateway.do"),
    });
    (account, credentials)
}

/// The Alipay routes (gateway and pages).
pub(crate) fn routes() -> Router<Arc<Simulator>> {
    gateway::routes().merge(pages::routes())
}

impl Simulator {
    /// Pays a trade (`WAIT_BUYER_PAY` → `TRADE_SUCCESS`), making it visible, then notifies if it
    /// has a `notify_url`.
    pub(crate) fn ali_pay(&self, key: &TradeKey) -> Result<(), String> {
        let outgoing = {
            let mut st = lock(&self.ali);
            let account = st.accounts.get(&key.0).cloned().ok_or("unknown application")?;
            let t = st.trades.get_mut(key).ok_or("unknown trade")?;
            let now = util::now_unix();
            match t.status_now(now) {
                TradeStatus::WaitBuyerPay => {}
                TradeStatus::TradeSuccess | TradeStatus::TradeFinished => return Err("already paid".into()),
                TradeStatus::TradeClosed if now > t.expires && t.paid_at.is_none() => return Err("expired".into()),
                TradeStatus::TradeClosed => return Err("closed".into()),
            }
            t.status = TradeStatus::TradeSuccess;
            t.visible = true;
            t.pending = false;
            t.failed = false;
            t.paid_at = Some(now);
            notify::payment(account, t)
        };
        if let Some(out) = outgoing {
            self.dispatch(out);
        }
        Ok(())
    }
}
