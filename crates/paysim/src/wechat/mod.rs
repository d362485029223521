//! WeChat Pay API v3, played: merchants, trades, refunds, signed responses, and the pay logic
//! shared by the API, the pages and the control API.

mod api;
pub(crate) mod notify;
mod oauth;
mod pages;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use sweep_wechatpay::types::{ErrorBody, Payer, TradeState, TradeType, Transaction, TransactionAmount};
use sweep_wechatpay::{PUB_KEY_ID_PREFIX, PlatformCertificate, PlatformSigner, PublicKey, random_alnum, random_nonce};

use crate::{Simulator, lock, util};

/// A WeChat Pay merchant as the provider knows it.
pub(crate) struct WxAccount {
    pub mchid: String,
    pub appid: String,
    pub app_secret: String,
    pub merchant_serial_no: String,
    pub api_v3_key: String,
    /// Verifies the merchant's requests and JSAPI `paySign`.
    pub merchant_key: PublicKey,
    /// Public-key mode: `Wechatpay-Serial` is the `PUB_KEY_ID_...`.
    pub pubkey_signer: PlatformSigner,
    /// Certificate mode: `Wechatpay-Serial` is the certificate serial.
    pub cert_signer: PlatformSigner,
    pub cert_pem: String,
    pub cert_not_before: i64,
    pub cert_not_after: i64,
    /// Switched by `POST /sim/wechat/accounts/{mchid}/sign-with-certificate`.
    pub sign_with_cert: AtomicBool,
}

impl WxAccount {
    /// The key that signs responses and notifications now.
    pub fn signer(&self) -> &PlatformSigner {
        if self.sign_with_cert.load(Ordering::SeqCst) { &self.cert_signer } else { &self.pubkey_signer }
    }

    /// The four `Wechatpay-*` headers over `body`, freshly timestamped.
    pub fn sign(&self, body: &[u8]) -> Vec<(String, String)> {
        self.signer()
            .sign_response(util::now_unix(), &random_nonce(), body)
            .to_pairs()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect()
    }
}

/// How a trade was opened.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Channel {
    Native,
    Jsapi,
    H5,
    Codepay,
}

impl Channel {
    pub fn trade_type(self) -> TradeType {
        match self {
            Self::Native => TradeType::Native,
            Self::Jsapi => TradeType::Jsapi,
            Self::H5 => TradeType::Mweb,
            Self::Codepay => TradeType::Micropay,
        }
    }
}

/// `(mchid, out_trade_no)`.
pub(crate) type TradeKey = (String, String);

/// A trade (order) of one merchant.
pub(crate) struct WxTrade {
    pub mchid: String,
    pub appid: String,
    pub out_trade_no: String,
    pub description: String,
    pub total: i64,
    pub attach: Option<String>,
    /// Empty for payment-code trades (they have no notification).
    pub notify_url: String,
    pub channel: Channel,
    pub expires: i64,
    pub state: TradeState,
    pub trade_type: Option<TradeType>,
    pub transaction_id: Option<String>,
    pub paid_at: Option<i64>,
    pub payer_openid: Option<String>,
    pub prepay_id: String,
    /// Token of the `code_url` page.
    pub token: String,
    pub h5_package: String,
    pub h5_issued: i64,
    pub auth_code: Option<String>,
    /// The id of the payment notification, the same across retries and replays.
    pub notify_id: String,
    pub seq: u64,
}

/// A refund of one merchant.
pub(crate) struct WxRefund {
    pub refund_id: String,
    pub out_refund_no: String,
    pub out_trade_no: String,
    pub transaction_id: String,
    pub total: i64,
    pub refund: i64,
    pub created: i64,
    pub succeeded: Option<i64>,
    pub notify_url: Option<String>,
}

/// A one-time OAuth `code`.
pub(crate) struct OAuthCode {
    pub appid: String,
    pub openid: String,
    pub scope: String,
    pub expires: i64,
}

/// Everything WeChat Pay knows.
#[derive(Default)]
pub(crate) struct WxState {
    pub accounts: HashMap<String, Arc<WxAccount>>,
    pub trades: HashMap<TradeKey, WxTrade>,
    pub by_token: HashMap<String, TradeKey>,
    pub by_prepay: HashMap<String, TradeKey>,
    /// By `(mchid, out_refund_no)`.
    pub refunds: HashMap<(String, String), WxRefund>,
    pub codes: HashMap<String, OAuthCode>,
    pub seq: u64,
}

impl WxState {
    /// The most recently created trade with this `out_trade_no`, of any merchant.
    pub fn latest(&self, out_trade_no: &str) -> Option<TradeKey> {
        self.trades
            .values()
            .filter(|t| t.out_trade_no == out_trade_no)
            .max_by_key(|t| t.seq)
            .map(|t| (t.mchid.clone(), t.out_trade_no.clone()))
    }

    /// The merchant owning an `appid`.
    pub fn account_by_appid(&self, appid: &str) -> Option<Arc<WxAccount>> {
        self.accounts.values().find(|a| a.appid == appid).cloned()
    }

    /// Sum refunded (or being refunded) on a trade.
    pub fn refunded(&self, mchid: &str, out_trade_no: &str) -> i64 {
        self.refunds
            .iter()
            .filter(|((m, _), r)| m == mchid && r.out_trade_no == out_trade_no)
            .map(|(_, r)| r.refund)
            .sum()
    }
}

/// Generates a merchant: the merchant key, the public-key-mode platform key, and a second
/// platform key with its certificate; returns the account and the credentials JSON.
pub(crate) fn new_account(public_base: &str) -> (WxAccount, serde_json::Value) {
    let (merchant_private, merchant_public) = sweep_wechatpay::generate_rsa_2048();
    let (pub_private, pub_public) = sweep_wechatpay::generate_rsa_2048();
    let (cert_private, _) = sweep_wechatpay::generate_rsa_2048();
    let cert_pem = platform_certificate(&cert_private);
    let cert = PlatformCertificate::from_pem(&cert_pem).expect("paysim parses its own certificate");
    let mchid = format!("16{}", util::random_digits(8));
    let appid = format!("wx{}", util::random_hex(16, false));
    let pub_key_id = format!("{PUB_KEY_ID_PREFIX}01{mchid}{}", util::random_digits(16));
    let account = WxAccount {
        mchid: mchid.clone(),
        appid: appid.clone(),
        app_secret: util::random_hex(32, false),
        merchant_serial_no: util::random_hex(40, true),
        api_v3_key: random_alnum(32),
        merchant_key: PublicKey::from_pem(&merchant_public).expect("generated public key"),
        pubkey_signer: PlatformSigner::new(pub_key_id.clone(), &pub_private).expect("generated key"),
        cert_signer: PlatformSigner::new(cert.serial_no(), &cert_private).expect("generated key"),
        cert_pem: cert_pem.clone(),
        cert_not_before: cert.not_before(),
        cert_not_after: cert.not_after(),
        sign_with_cert: AtomicBool::new(false),
    };
    let credentials = json!({
        "mchid": mchid,
        "appid": appid,
        "app_secret": account.app_secret,
        "merchant_serial_no": account.merchant_serial_no,
        "merchant_private_key": merchant_private,
        "api_v3_key": account.api_v3_key,
        "platform_public_key_id": pub_key_id,
        "platform_public_key": pub_public,
        "platform_certificates": [cert_pem],
        "gateway_url": format!("{public_base}/wechat"),
    });
    (account, credentials)
}

/// A self-signed platform certificate for `private_pem` (PKCS#8), with a 20-byte serial (40 hex
/// digits), valid from yesterday for five years, as WeChat Pay's platform certificates are.
fn platform_certificate(private_pem: &str) -> String {
    use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_RSA_SHA256, SerialNumber};
    let key = KeyPair::from_pkcs8_pem_and_sign_algo(private_pem, &PKCS_RSA_SHA256).expect("RSA key for rcgen");
    let mut params = CertificateParams::default();
    let mut serial = util::random_bytes(20);
    serial[0] = (serial[0] & 0x7f).max(0x10); // positive, and no leading zero byte: 40 hex digits
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "CN");
    dn.push(DnType::OrganizationName, "Sweep paysim (simulator)");
    dn.push(DnType::OrganizationalUnitName, "WeChat Pay platform certificate, no real money");
    dn.push(DnType::CommonName, "Sweep paysim WeChat Pay platform");
    params.distinguished_name = dn;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(5 * 365);
    params.self_signed(&key).expect("self-sign the platform certificate").pem()
}

/// The WeChat Pay routes (API, OAuth, pages).
pub(crate) fn routes() -> Router<Arc<Simulator>> {
    api::routes().merge(oauth::routes()).merge(pages::routes())
}

/// A signed JSON response: `Wechatpay-*` headers over the exact body bytes.
pub(crate) fn signed(account: Option<&WxAccount>, status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body.clone()).into_response();
    let headers = response.headers_mut();
    if !body.is_empty() {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    }
    if let Ok(v) = HeaderValue::from_str(&format!("08{}", util::random_hex(30, true))) {
        headers.insert("Request-ID", v);
    }
    if let Some(account) = account {
        for (name, value) in account.sign(&body) {
            if let (Ok(n), Ok(v)) = (header::HeaderName::try_from(name), HeaderValue::from_str(&value)) {
                headers.insert(n, v);
            }
        }
    }
    response
}

/// A signed JSON body.
pub(crate) fn json_response(account: &WxAccount, status: StatusCode, body: &impl Serialize) -> Response {
    signed(Some(account), status, serde_json::to_vec(body).unwrap_or_default())
}

/// An error answer `{"code","message"}`, signed when the merchant is known.
pub(crate) fn error(account: Option<&WxAccount>, status: StatusCode, code: &str, message: &str) -> Response {
    let body = ErrorBody { code: code.to_owned(), message: message.to_owned() };
    signed(account, status, serde_json::to_vec(&body).unwrap_or_default())
}

/// A trade as WeChat Pay reports it; `as_state` overrides the state (replays of the payment
/// notification report `SUCCESS` even after a refund).
pub(crate) fn transaction(t: &WxTrade, as_state: Option<TradeState>) -> Transaction {
    let state = as_state.unwrap_or(t.state);
    let paid = t.paid_at.is_some();
    let desc = match state {
        TradeState::Success => "支付成功",
        TradeState::Refund => "转入退款",
        TradeState::NotPay => "未支付",
        TradeState::Closed => "已关闭",
        TradeState::Revoked => "已撤销（付款码支付）",
        TradeState::UserPaying => "用户支付中，需要输入密码",
        TradeState::PayError => "支付失败，请撤销订单",
        TradeState::Unknown => "未知状态",
    };
    Transaction {
        appid: t.appid.clone(),
        mchid: t.mchid.clone(),
        out_trade_no: t.out_trade_no.clone(),
        transaction_id: t.transaction_id.clone(),
        trade_type: t.trade_type,
        trade_state: state,
        trade_state_desc: Some(desc.to_owned()),
        bank_type: paid.then(|| "OTHERS".to_owned()),
        attach: t.attach.clone(),
        success_time: t.paid_at.map(util::rfc3339_cst),
        payer: t.payer_openid.clone().map(|openid| Payer { openid }),
        amount: Some(TransactionAmount {
            total: t.total,
            payer_total: paid.then_some(t.total),
            currency: Some("CNY".to_owned()),
            payer_currency: Some("CNY".to_owned()),
        }),
    }
}

/// A fresh WeChat Pay order number: `4200` + date + 16 digits (28 digits).
pub(crate) fn new_transaction_id() -> String {
    format!("4200{}{}", util::ymd_cst(util::now_unix()), util::random_digits(16))
}

/// A payer openid: `o` and 27 characters, as WeChat's are.
pub(crate) fn new_openid() -> String {
    format!("o{}", random_alnum(27))
}

impl Simulator {
    /// Pays a trade: `NOTPAY` (or `USERPAYING`) → `SUCCESS`, then notifies if it has a
    /// `notify_url`. `trade_type` defaults to the channel's; `openid` to the prepay's payer, else
    /// a fresh one.
    pub(crate) fn wx_pay(
        &self,
        key: &TradeKey,
        trade_type: Option<TradeType>,
        openid: Option<String>,
    ) -> Result<(), String> {
        let outgoing = {
            let mut st = lock(&self.wx);
            let account = st.accounts.get(&key.0).cloned().ok_or("unknown merchant")?;
            let t = st.trades.get_mut(key).ok_or("unknown trade")?;
            match t.state {
                TradeState::NotPay | TradeState::UserPaying => {}
                TradeState::Success | TradeState::Refund => return Err("already paid".into()),
                TradeState::Closed => return Err("closed".into()),
                TradeState::Revoked => return Err("revoked".into()),
                TradeState::PayError | TradeState::Unknown => return Err("payment failed".into()),
            }
            let now = util::now_unix();
            if t.channel != Channel::Codepay && now > t.expires {
                return Err("expired".into());
            }
            t.state = TradeState::Success;
            t.trade_type = Some(trade_type.unwrap_or(t.channel.trade_type()));
            t.transaction_id.get_or_insert_with(new_transaction_id);
            t.paid_at = Some(now);
            if t.payer_openid.is_none() {
                t.payer_openid = Some(openid.unwrap_or_else(new_openid));
            }
            notify::payment(account, t)
        };
        if let Some(out) = outgoing {
            self.dispatch(out);
        }
        Ok(())
    }
}
