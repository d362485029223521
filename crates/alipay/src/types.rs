//! `biz_content` of the trade APIs Sweep uses, and the fields it reads from their responses.
//!
//! Request fields are declared in alphabetical order, so `serde_json::to_string` of a request
//! is byte-identical to what the official SDKs send (they sort `biz_content` keys). Amounts are
//! yuan strings with two decimals (`"88.88"`), never floats. Response types ignore the fields
//! they do not name; optional fields are `Option` because the gateway omits them freely.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::notify::TradeStatus;

/// Gateway method names.
pub mod method {
    /// Creates a trade and returns a QR code for the buyer to scan.
    pub const PRECREATE: &str = "alipay.trade.precreate";
    /// Mobile-browser payment page (GET redirect).
    pub const WAP_PAY: &str = "alipay.trade.wap.pay";
    /// Desktop payment page (GET redirect).
    pub const PAGE_PAY: &str = "alipay.trade.page.pay";
    /// Charges the buyer's payment code (bar code) scanned at the counter.
    pub const PAY: &str = "alipay.trade.pay";
    /// Reads a trade's status.
    pub const QUERY: &str = "alipay.trade.query";
    /// Closes an unpaid trade.
    pub const CLOSE: &str = "alipay.trade.close";
    /// Cancels a bar-code trade (closes it, or refunds it if it was paid meanwhile).
    pub const CANCEL: &str = "alipay.trade.cancel";
    /// Refunds (part of) a paid trade; `out_request_no` is the idempotency key.
    pub const REFUND: &str = "alipay.trade.refund";
    /// Reads the outcome of one refund request.
    pub const REFUND_QUERY: &str = "alipay.trade.fastpay.refund.query";
}

/// Public gateway result codes (`code`).
pub mod code {
    /// The call succeeded.
    pub const SUCCESS: &str = "10000";
    /// `alipay.trade.pay`: waiting for the user to confirm; query, then cancel on timeout.
    pub const WAITING_FOR_USER: &str = "10003";
    /// Service unavailable / unknown outcome: query before deciding.
    pub const UNKNOWN: &str = "20000";
    /// A required parameter is missing.
    pub const MISSING_PARAMETER: &str = "40001";
    /// A parameter is invalid (includes a bad request signature).
    pub const INVALID_PARAMETER: &str = "40002";
    /// Business failure: see `sub_code`.
    pub const BUSINESS_FAILED: &str = "40004";
    /// The app lacks permission for the method.
    pub const INSUFFICIENT_PERMISSIONS: &str = "40006";
}

/// Business error codes (`sub_code`) of the trade APIs that Sweep handles.
pub mod sub_code {
    /// No such trade (never created, or not yet scanned for precreate).
    pub const TRADE_NOT_EXIST: &str = "ACQ.TRADE_NOT_EXIST";
    /// The trade is already paid (e.g. when trying to close it).
    pub const TRADE_HAS_SUCCESS: &str = "ACQ.TRADE_HAS_SUCCESS";
    /// The trade is already closed.
    pub const TRADE_HAS_CLOSE: &str = "ACQ.TRADE_HAS_CLOSE";
    /// The trade is finished; no more refunds.
    pub const TRADE_HAS_FINISHED: &str = "ACQ.TRADE_HAS_FINISHED";
    /// The trade's status does not allow the operation.
    pub const TRADE_STATUS_ERROR: &str = "ACQ.TRADE_STATUS_ERROR";
    /// Transient system error: retry with the same request numbers.
    pub const SYSTEM_ERROR: &str = "ACQ.SYSTEM_ERROR";
    /// The buyer's payment code is invalid or expired.
    pub const PAYMENT_AUTH_CODE_INVALID: &str = "ACQ.PAYMENT_AUTH_CODE_INVALID";
    /// The buyer cannot pay the amount.
    pub const BUYER_BALANCE_NOT_ENOUGH: &str = "ACQ.BUYER_BALANCE_NOT_ENOUGH";
    /// A business parameter is invalid.
    pub const INVALID_PARAMETER: &str = "ACQ.INVALID_PARAMETER";
    /// The same `out_request_no` was reused with a different amount.
    pub const REFUND_AMT_NOT_EQUAL_TOTAL: &str = "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL";
}

/// `product_code` of `alipay.trade.wap.pay`.
pub const PRODUCT_QUICK_WAP_WAY: &str = "QUICK_WAP_WAY";
/// `product_code` of `alipay.trade.page.pay`.
pub const PRODUCT_FAST_INSTANT_TRADE_PAY: &str = "FAST_INSTANT_TRADE_PAY";
/// `scene` of `alipay.trade.pay` with a payment code.
pub const SCENE_BAR_CODE: &str = "bar_code";
/// `refund_status` of a refund that went through.
pub const REFUND_SUCCESS: &str = "REFUND_SUCCESS";

/// A `biz_content` type: its method name and the type of its response node.
pub trait BizRequest: Serialize {
    /// The gateway method, e.g. `alipay.trade.precreate`.
    const METHOD: &'static str;
    /// The response node's fields (`serde_json::Value` for redirect-only methods).
    type Response: DeserializeOwned;

    /// The JSON text to send as `biz_content`.
    fn to_biz_content(&self) -> Result<String, Error> {
        Ok(serde_json::to_string(self)?)
    }
}

macro_rules! biz {
    ($req:ty, $method:expr, $resp:ty) => {
        impl BizRequest for $req {
            const METHOD: &'static str = $method;
            type Response = $resp;
        }
    };
}

/// `alipay.trade.precreate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrecreateRequest {
    /// The merchant's order number (unique per trade).
    pub out_trade_no: String,
    /// The merchant's store id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    /// What the buyer sees.
    pub subject: String,
    /// How long the trade stays payable, e.g. `15m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_express: Option<String>,
    /// Yuan, two decimals.
    pub total_amount: String,
}

/// Response of `alipay.trade.precreate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrecreateResponse {
    /// Echo of the merchant's order number.
    pub out_trade_no: String,
    /// The URL to render as a QR code.
    pub qr_code: String,
}
biz!(PrecreateRequest, method::PRECREATE, PrecreateResponse);

/// `alipay.trade.wap.pay` (mobile browser; sent as a GET redirect, see [`crate::page_url`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WapPayRequest {
    /// The merchant's order number.
    pub out_trade_no: String,
    /// Always [`PRODUCT_QUICK_WAP_WAY`].
    pub product_code: String,
    /// Where the buyer goes on "back" from the cashier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quit_url: Option<String>,
    /// What the buyer sees.
    pub subject: String,
    /// How long the trade stays payable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_express: Option<String>,
    /// Yuan, two decimals.
    pub total_amount: String,
}

impl WapPayRequest {
    /// A wap payment with `product_code=QUICK_WAP_WAY`.
    pub fn new(out_trade_no: &str, total_amount: &str, subject: &str) -> Self {
        Self {
            out_trade_no: out_trade_no.to_owned(),
            product_code: PRODUCT_QUICK_WAP_WAY.to_owned(),
            quit_url: None,
            subject: subject.to_owned(),
            timeout_express: None,
            total_amount: total_amount.to_owned(),
        }
    }
}
biz!(WapPayRequest, method::WAP_PAY, serde_json::Value);

/// `alipay.trade.page.pay` (desktop browser; sent as a GET redirect).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PagePayRequest {
    /// The merchant's order number.
    pub out_trade_no: String,
    /// Always [`PRODUCT_FAST_INSTANT_TRADE_PAY`].
    pub product_code: String,
    /// What the buyer sees.
    pub subject: String,
    /// How long the trade stays payable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_express: Option<String>,
    /// Yuan, two decimals.
    pub total_amount: String,
}

impl PagePayRequest {
    /// A page payment with `product_code=FAST_INSTANT_TRADE_PAY`.
    pub fn new(out_trade_no: &str, total_amount: &str, subject: &str) -> Self {
        Self {
            out_trade_no: out_trade_no.to_owned(),
            product_code: PRODUCT_FAST_INSTANT_TRADE_PAY.to_owned(),
            subject: subject.to_owned(),
            timeout_express: None,
            total_amount: total_amount.to_owned(),
        }
    }
}
biz!(PagePayRequest, method::PAGE_PAY, serde_json::Value);

/// `alipay.trade.pay` with the buyer's payment code (`scene=bar_code`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayRequest {
    /// The digits scanned from the buyer's phone.
    pub auth_code: String,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// Always [`SCENE_BAR_CODE`].
    pub scene: String,
    /// What the buyer sees.
    pub subject: String,
    /// How long the trade stays payable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_express: Option<String>,
    /// Yuan, two decimals.
    pub total_amount: String,
}

impl PayRequest {
    /// A bar-code payment (`scene=bar_code`).
    pub fn new(out_trade_no: &str, auth_code: &str, total_amount: &str, subject: &str) -> Self {
        Self {
            auth_code: auth_code.to_owned(),
            out_trade_no: out_trade_no.to_owned(),
            scene: SCENE_BAR_CODE.to_owned(),
            subject: subject.to_owned(),
            timeout_express: None,
            total_amount: total_amount.to_owned(),
        }
    }
}

/// Response of `alipay.trade.pay` (code `10000` paid, `10003` waiting for the user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayResponse {
    /// Alipay's trade number.
    pub trade_no: String,
    /// Echo of the merchant's order number.
    pub out_trade_no: String,
    /// Yuan, two decimals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<String>,
    /// The buyer's Alipay user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_user_id: Option<String>,
    /// When the buyer paid, UTC+8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gmt_payment: Option<String>,
}
biz!(PayRequest, method::PAY, PayResponse);

/// `alipay.trade.query` by the merchant's order number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryRequest {
    /// The merchant's order number.
    pub out_trade_no: String,
}

/// Response of `alipay.trade.query`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryResponse {
    /// Alipay's trade number.
    pub trade_no: String,
    /// Echo of the merchant's order number.
    pub out_trade_no: String,
    /// `TRADE_SUCCESS` or `TRADE_FINISHED` mean paid.
    pub trade_status: TradeStatus,
    /// Yuan, two decimals.
    pub total_amount: String,
    /// What the buyer actually paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_pay_amount: Option<String>,
    /// The buyer's Alipay user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_user_id: Option<String>,
    /// When the buyer paid, UTC+8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_pay_date: Option<String>,
}
biz!(QueryRequest, method::QUERY, QueryResponse);

/// `alipay.trade.close` of an unpaid trade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseRequest {
    /// The merchant's order number.
    pub out_trade_no: String,
}

/// Response of `alipay.trade.close`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseResponse {
    /// Echo of the merchant's order number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<String>,
    /// Alipay's trade number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<String>,
}
biz!(CloseRequest, method::CLOSE, CloseResponse);

/// `alipay.trade.cancel`: ends a bar-code trade whose outcome is unknown after the timeout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelRequest {
    /// The merchant's order number.
    pub out_trade_no: String,
}

/// Response of `alipay.trade.cancel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelResponse {
    /// `close` (it was unpaid, now closed) or `refund` (it had been paid, now refunded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Echo of the merchant's order number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<String>,
    /// `Y`: the cancel must be retried; `N`: done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_flag: Option<String>,
    /// Alipay's trade number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<String>,
}

impl CancelResponse {
    /// `retry_flag=Y`: call cancel again.
    pub fn must_retry(&self) -> bool {
        self.retry_flag.as_deref() == Some("Y")
    }
}
biz!(CancelRequest, method::CANCEL, CancelResponse);

/// `alipay.trade.refund`; repeat it with the same `out_request_no` to retry safely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// The merchant's refund number: the idempotency key of this refund.
    pub out_request_no: String,
    /// The merchant's order number of the paid trade.
    pub out_trade_no: String,
    /// Yuan, two decimals.
    pub refund_amount: String,
    /// Shown to the buyer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_reason: Option<String>,
}

/// Response of `alipay.trade.refund`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundResponse {
    /// Alipay's trade number.
    pub trade_no: String,
    /// Echo of the merchant's order number.
    pub out_trade_no: String,
    /// `Y` if this call moved money; `N` on a repeat of an earlier refund (confirm with the
    /// refund query).
    pub fund_change: String,
    /// Total refunded on the trade so far.
    pub refund_fee: String,
    /// The buyer's Alipay user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_user_id: Option<String>,
    /// When the refund was paid, UTC+8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gmt_refund_pay: Option<String>,
}
biz!(RefundRequest, method::REFUND, RefundResponse);

/// `alipay.trade.fastpay.refund.query` of one refund request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundQueryRequest {
    /// The refund's `out_request_no`.
    pub out_request_no: String,
    /// The merchant's order number.
    pub out_trade_no: String,
}

/// Response of `alipay.trade.fastpay.refund.query`; an unknown refund answers `10000` with
/// no `refund_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundQueryResponse {
    /// Echo of the refund number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_request_no: Option<String>,
    /// Echo of the merchant's order number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<String>,
    /// The refunded amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_amount: Option<String>,
    /// `REFUND_SUCCESS` when the refund went through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_status: Option<String>,
    /// The trade's total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<String>,
    /// Alipay's trade number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<String>,
}

impl RefundQueryResponse {
    /// `refund_status=REFUND_SUCCESS`.
    pub fn is_refunded(&self) -> bool {
        self.refund_status.as_deref() == Some(REFUND_SUCCESS)
    }
}
biz!(RefundQueryRequest, method::REFUND_QUERY, RefundQueryResponse);

/// Provider side: a response node `{"code":"10000","msg":"Success", …fields}` for
/// [`crate::signed_response`]. `fields` must serialise to a JSON object.
pub fn success_node(fields: &impl Serialize) -> Result<String, Error> {
    let mut node = serde_json::Map::new();
    node.insert("code".into(), code::SUCCESS.into());
    node.insert("msg".into(), "Success".into());
    match serde_json::to_value(fields)? {
        serde_json::Value::Object(map) => node.extend(map),
        _ => return Err(Error::MalformedResponse("response fields must be an object")),
    }
    Ok(serde_json::to_string(&node)?)
}

/// Provider side: a failure node with `code`, `msg`, `sub_code` and `sub_msg`.
pub fn failure_node(code: &str, msg: &str, sub_code: &str, sub_msg: &str) -> String {
    serde_json::json!({"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}).to_string()
}
