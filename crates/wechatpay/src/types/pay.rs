//! Payments: prepay (Native, JSAPI, H5), payment code (codepay), query, close and reverse.
//!
//! Field names are API v3's JSON names. Amounts are integer fen. Times are RFC 3339 strings
//! with offset, e.g. `2018-06-08T10:34:56+08:00`, kept as text.

use serde::{Deserialize, Serialize};

/// The currency every domestic merchant uses.
pub const CNY: &str = "CNY";

fn cny() -> String {
    CNY.to_owned()
}

/// The three prepay flavours Sweep uses; each has its own endpoint and response field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrepayKind {
    /// QR code to scan: returns `code_url` (valid 2 h).
    Native,
    /// Inside WeChat (official account / mini program): needs `payer.openid`, returns `prepay_id`.
    Jsapi,
    /// Mobile browser outside WeChat: needs `scene_info.h5_info`, returns `h5_url`.
    H5,
}

impl PrepayKind {
    /// The endpoint path, e.g. `/v3/pay/transactions/native`.
    #[must_use]
    pub fn path(self) -> &'static str {
        match self {
            Self::Native => "/v3/pay/transactions/native",
            Self::Jsapi => "/v3/pay/transactions/jsapi",
            Self::H5 => "/v3/pay/transactions/h5",
        }
    }
}

/// Endpoint of payment-code (micropay) payments.
pub const CODEPAY_PATH: &str = "/v3/pay/transactions/codepay";

/// `GET` path to query an order by the merchant's order number.
#[must_use]
pub fn query_path(out_trade_no: &str, mchid: &str) -> String {
    format!("/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={mchid}")
}

/// `POST` path to close an unpaid order (body: [`CloseRequest`]).
#[must_use]
pub fn close_path(out_trade_no: &str) -> String {
    format!("/v3/pay/transactions/out-trade-no/{out_trade_no}/close")
}

/// `POST` path to reverse (cancel) a payment-code order (body: [`ReverseRequest`]).
#[must_use]
pub fn reverse_path(out_trade_no: &str) -> String {
    format!("/v3/pay/transactions/out-trade-no/{out_trade_no}/reverse")
}

/// Order amount in a request: `total` in fen and the currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAmount {
    /// Total in fen.
    pub total: i64,
    /// `CNY`; defaults to it when absent.
    #[serde(default = "cny")]
    pub currency: String,
}

impl OrderAmount {
    /// An amount in fen, in CNY.
    #[must_use]
    pub fn cny(total: i64) -> Self {
        Self { total, currency: cny() }
    }
}

/// The payer of a JSAPI order, and of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payer {
    /// The user's openid under the order's `appid`.
    pub openid: String,
}

/// `scene_info.h5_info`: which kind of H5 site places the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5Info {
    /// `Wap`, `iOS` or `Android`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Application name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_name: Option<String>,
    /// Site URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_url: Option<String>,
}

/// `scene_info` of a prepay request (required for H5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SceneInfo {
    /// The user's IP address (IPv4 or IPv6).
    pub payer_client_ip: String,
    /// Merchant device or till id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// H5 site information; required for H5 orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h5_info: Option<H5Info>,
}

/// The body of a Native, JSAPI or H5 prepay request (one shape; [`PrepayRequest::check`] says what
/// each endpoint additionally requires).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrepayRequest {
    /// App id (official account, mini program or website app).
    pub appid: String,
    /// Merchant id.
    pub mchid: String,
    /// Goods description shown to the payer (at most 127 characters).
    pub description: String,
    /// The merchant's order number: 6 to 32 characters of `[0-9A-Za-z_-|*]`, unique per merchant.
    pub out_trade_no: String,
    /// Deadline to pay, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_expire: Option<String>,
    /// Free data returned in queries and notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// HTTPS URL, no query string, that receives the payment notification.
    pub notify_url: String,
    /// Order amount.
    pub amount: OrderAmount,
    /// Required for JSAPI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Payer>,
    /// Required for H5 (with `h5_info`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene_info: Option<SceneInfo>,
}

/// Whether `out_trade_no` (or `out_refund_no`) has API v3's form: 6 to 32 of `[0-9A-Za-z_-|*]`.
#[must_use]
pub fn is_valid_out_no(no: &str) -> bool {
    (6..=32).contains(&no.len()) && no.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-*|".contains(&b))
}

impl PrepayRequest {
    /// Checks what the endpoint of `kind` requires, as the provider would (`PARAM_ERROR`).
    ///
    /// # Errors
    /// The JSON name of the first missing or malformed field.
    pub fn check(&self, kind: PrepayKind) -> Result<(), &'static str> {
        if self.appid.is_empty() {
            return Err("appid");
        }
        if self.mchid.is_empty() {
            return Err("mchid");
        }
        if self.description.is_empty() || self.description.chars().count() > 127 {
            return Err("description");
        }
        if !is_valid_out_no(&self.out_trade_no) {
            return Err("out_trade_no");
        }
        if self.notify_url.is_empty() {
            return Err("notify_url");
        }
        if self.amount.total <= 0 {
            return Err("amount.total");
        }
        match kind {
            PrepayKind::Jsapi if self.payer.as_ref().is_none_or(|p| p.openid.is_empty()) => Err("payer.openid"),
            PrepayKind::H5 if self.scene_info.as_ref().is_none_or(|s| s.h5_info.is_none()) => Err("scene_info.h5_info"),
            _ => Ok(()),
        }
    }
}

/// Response of a Native prepay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NativePrepayResponse {
    /// `weixin://wxpay/bizpayurl?pr=...`, to render as a QR code; valid 2 h.
    pub code_url: String,
}

/// Response of a JSAPI prepay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsapiPrepayResponse {
    /// Goes into `package=prepay_id=...` of the JSAPI payment parameters; valid 2 h.
    pub prepay_id: String,
}

/// Response of an H5 prepay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5PrepayResponse {
    /// The URL to send the payer's browser to; valid 5 min.
    pub h5_url: String,
}

/// `payer` of a payment-code order: the code the cashier scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthCodePayer {
    /// The payment code shown in the payer's WeChat wallet (18 digits, starting 10 to 15).
    pub auth_code: String,
}

/// `scene_info.store_info` of a payment-code order: `id` (WeChat's venue id) or `out_id` (the
/// merchant's own store code); one of the two is required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreInfo {
    /// WeChat Pay's venue id (digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The merchant's store code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_id: Option<String>,
}

/// `scene_info` of a payment-code order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodepaySceneInfo {
    /// IP address of the merchant's till.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_ip: Option<String>,
    /// Till or device id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// Where the payer is.
    pub store_info: StoreInfo,
}

/// The body of `POST /v3/pay/transactions/codepay` (the cashier scans the payer's code).
///
/// The response is a [`Transaction`] (`trade_type` `MICROPAY`); `USERPAYING` means the payer is
/// still confirming (entering a password): query until final, reverse if it never completes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodepayRequest {
    /// App id.
    pub appid: String,
    /// Merchant id.
    pub mchid: String,
    /// Goods description.
    pub description: String,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// Free data returned in queries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// The scanned code.
    pub payer: AuthCodePayer,
    /// Order amount.
    pub amount: OrderAmount,
    /// Store and till.
    pub scene_info: CodepaySceneInfo,
}

/// The body of a close request (`POST .../out-trade-no/{no}/close`; answered `204`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseRequest {
    /// Merchant id.
    pub mchid: String,
}

/// The body of a reverse request (`POST .../out-trade-no/{no}/reverse`) for payment-code orders:
/// closes an unpaid order, or refunds a paid one, so a till can give up on a payment safely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReverseRequest {
    /// App id.
    pub appid: String,
    /// Merchant id.
    pub mchid: String,
}

/// How the order was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TradeType {
    /// Inside WeChat.
    #[serde(rename = "JSAPI")]
    Jsapi,
    /// Scanned QR code.
    #[serde(rename = "NATIVE")]
    Native,
    /// Mobile app.
    #[serde(rename = "APP")]
    App,
    /// Payment code scanned by the merchant.
    #[serde(rename = "MICROPAY")]
    Micropay,
    /// H5 in a mobile browser.
    #[serde(rename = "MWEB")]
    Mweb,
    /// Face payment.
    #[serde(rename = "FACEPAY")]
    Facepay,
    /// A value this crate does not know (serialized as `UNKNOWN`).
    #[serde(rename = "UNKNOWN", other)]
    Unknown,
}

/// State of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TradeState {
    /// Paid.
    #[serde(rename = "SUCCESS")]
    Success,
    /// Paid, then (partly) refunded.
    #[serde(rename = "REFUND")]
    Refund,
    /// Not paid yet.
    #[serde(rename = "NOTPAY")]
    NotPay,
    /// Closed unpaid.
    #[serde(rename = "CLOSED")]
    Closed,
    /// Reversed (payment-code orders).
    #[serde(rename = "REVOKED")]
    Revoked,
    /// The payer is confirming (payment-code orders).
    #[serde(rename = "USERPAYING")]
    UserPaying,
    /// Payment failed (e.g. bank refused).
    #[serde(rename = "PAYERROR")]
    PayError,
    /// A value this crate does not know (serialized as `UNKNOWN`); treat as not paid.
    #[serde(rename = "UNKNOWN", other)]
    Unknown,
}

impl TradeState {
    /// Whether money was taken: `SUCCESS`, or `REFUND` (paid, then refunded).
    #[must_use]
    pub fn is_paid(self) -> bool {
        matches!(self, Self::Success | Self::Refund)
    }
}

/// `amount` of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionAmount {
    /// Order total in fen.
    pub total: i64,
    /// What the payer paid, in fen (total less discounts); present once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_total: Option<i64>,
    /// Order currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The payer's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_currency: Option<String>,
}

/// An order as WeChat Pay reports it: the query result, the codepay response, and the decrypted
/// resource of a `TRANSACTION.SUCCESS` notification (`original_type` `transaction`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// App id.
    pub appid: String,
    /// Merchant id.
    pub mchid: String,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// WeChat Pay's order number; present once a payment was attempted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// How it was paid; present once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_type: Option<TradeType>,
    /// Order state.
    pub trade_state: TradeState,
    /// Human-readable state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_state_desc: Option<String>,
    /// Paying bank or `OTHERS`; present once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_type: Option<String>,
    /// The request's `attach`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<String>,
    /// When it was paid, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    /// Who paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Payer>,
    /// Amounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<TransactionAmount>,
}
