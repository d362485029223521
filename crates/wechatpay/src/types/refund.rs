//! Refunds: request, response/query result, and the decrypted refund notification.

use serde::{Deserialize, Serialize};

/// Endpoint to request a refund (`POST`, body: [`RefundRequest`], response: [`Refund`]).
pub const REFUNDS_PATH: &str = "/v3/refund/domestic/refunds";

/// `GET` path to query a refund by the merchant's refund number.
#[must_use]
pub fn refund_query_path(out_refund_no: &str) -> String {
    format!("{REFUNDS_PATH}/{out_refund_no}")
}

/// `amount` of a refund request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequestAmount {
    /// Amount to refund, fen; at most what remains of the order.
    pub refund: i64,
    /// The original order's total, fen.
    pub total: i64,
    /// `CNY`.
    pub currency: String,
}

/// The body of `POST /v3/refund/domestic/refunds`. Identify the order by `transaction_id` or
/// `out_trade_no`; `out_refund_no` is the idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// WeChat Pay's order number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// The merchant's order number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<String>,
    /// The merchant's refund number, unique per merchant; repeating it repeats the same refund.
    pub out_refund_no: String,
    /// Reason shown to the payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// URL for the refund notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
    /// Amounts.
    pub amount: RefundRequestAmount,
}

/// State of a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RefundStatus {
    /// Refunded.
    #[serde(rename = "SUCCESS")]
    Success,
    /// Closed without refunding.
    #[serde(rename = "CLOSED")]
    Closed,
    /// In progress.
    #[serde(rename = "PROCESSING")]
    Processing,
    /// Stuck (e.g. the payer's card was closed); needs handling on the merchant platform.
    #[serde(rename = "ABNORMAL")]
    Abnormal,
    /// A value this crate does not know (serialized as `UNKNOWN`).
    #[serde(rename = "UNKNOWN", other)]
    Unknown,
}

/// `amount` of a refund response or query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAmount {
    /// The order's total, fen.
    pub total: i64,
    /// Refunded amount, fen.
    pub refund: i64,
    /// What the payer paid, fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_total: Option<i64>,
    /// What the payer gets back, fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_refund: Option<i64>,
    /// Refund less non-settled coupons, fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_refund: Option<i64>,
    /// Order total less non-settled coupons, fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_total: Option<i64>,
    /// Coupon part of the refund, fen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_refund: Option<i64>,
    /// `CNY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// A refund as WeChat Pay reports it: response of the refund request and of the refund query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// WeChat Pay's refund number.
    pub refund_id: String,
    /// The merchant's refund number.
    pub out_refund_no: String,
    /// WeChat Pay's order number.
    pub transaction_id: String,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// `ORIGINAL`, `BALANCE`, `OTHER_BALANCE` or `OTHER_BANKCARD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Where the money goes, e.g. `招商银行信用卡0403` or `支付用户零钱`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_received_account: Option<String>,
    /// When it succeeded, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    /// When it was accepted, RFC 3339.
    pub create_time: String,
    /// State.
    pub status: RefundStatus,
    /// Amounts.
    pub amount: RefundAmount,
}

/// `amount` of a refund notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundNotificationAmount {
    /// The order's total, fen.
    pub total: i64,
    /// Refunded amount, fen.
    pub refund: i64,
    /// What the payer paid, fen.
    pub payer_total: i64,
    /// What the payer gets back, fen.
    pub payer_refund: i64,
}

/// The decrypted resource of a `REFUND.SUCCESS`, `REFUND.ABNORMAL` or `REFUND.CLOSED`
/// notification (`original_type` `refund`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundNotification {
    /// Merchant id.
    pub mchid: String,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// WeChat Pay's order number.
    pub transaction_id: String,
    /// The merchant's refund number.
    pub out_refund_no: String,
    /// WeChat Pay's refund number.
    pub refund_id: String,
    /// State.
    pub refund_status: RefundStatus,
    /// When it succeeded, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    /// Where the money goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_received_account: Option<String>,
    /// Amounts.
    pub amount: RefundNotificationAmount,
}
