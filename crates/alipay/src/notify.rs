//! Asynchronous notifications (`notify_url` posts) from Alipay to the merchant.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::keys::AlipayPublicKey;
use crate::sign::{collect_signed, decode_form, notify_sign_content};

/// The exact body to answer a notification with once it is verified and recorded. Anything
/// else makes Alipay retry (8 times over about 25 hours).
pub const NOTIFY_ACK: &str = "success";

/// Merchant side: verifies a notification body (`application/x-www-form-urlencoded`, as
/// received) with the Alipay public key and returns all its parameters (`sign` included).
///
/// The body is form-decoded exactly once; `sign`, `sign_type` and empty values are left out,
/// the rest sorted and joined ([`notify_sign_content`]) and checked. Repeated parameter names,
/// a `sign_type` other than `RSA2` and a `charset` other than UTF-8 are refused.
///
/// A valid signature only proves Alipay sent it: the caller must still check that `app_id`,
/// `out_trade_no`, `total_amount` and `seller_id` are its own, and expect the same
/// `notify_id` more than once.
pub fn verify_notify(form_body: &[u8], key: &AlipayPublicKey) -> Result<BTreeMap<String, String>, Error> {
    let pairs = decode_form(form_body);
    let (map, sign) = collect_signed(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let content = notify_sign_content(map.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    key.verify(&content, &sign)?;
    Ok(map)
}

/// `trade_status` of a trade, in notifications and in `alipay.trade.query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TradeStatus {
    /// Created, waiting for the buyer to pay.
    WaitBuyerPay,
    /// Paid; refunds are still possible.
    TradeSuccess,
    /// Paid and finished; no more refunds.
    TradeFinished,
    /// Closed unpaid, or fully refunded.
    TradeClosed,
}

impl TradeStatus {
    /// The wire name, e.g. `TRADE_SUCCESS`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WaitBuyerPay => "WAIT_BUYER_PAY",
            Self::TradeSuccess => "TRADE_SUCCESS",
            Self::TradeFinished => "TRADE_FINISHED",
            Self::TradeClosed => "TRADE_CLOSED",
        }
    }

    /// `TRADE_SUCCESS` or `TRADE_FINISHED`: the buyer has paid.
    pub fn is_paid(self) -> bool {
        matches!(self, Self::TradeSuccess | Self::TradeFinished)
    }
}

impl fmt::Display for TradeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TradeStatus {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s {
            "WAIT_BUYER_PAY" => Self::WaitBuyerPay,
            "TRADE_SUCCESS" => Self::TradeSuccess,
            "TRADE_FINISHED" => Self::TradeFinished,
            "TRADE_CLOSED" => Self::TradeClosed,
            other => {
                return Err(Error::UnexpectedValue { field: "trade_status", value: other.to_owned() });
            }
        })
    }
}

/// The fields of a trade notification (`notify_type=trade_status_sync`) that Sweep acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeNotify {
    /// Same across the retries of one notification: deduplicate on it.
    pub notify_id: String,
    /// `yyyy-MM-dd HH:mm:ss`, UTC+8.
    pub notify_time: String,
    /// Must be the merchant's own app id.
    pub app_id: String,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// Alipay's trade number.
    pub trade_no: String,
    /// The trade's status at notification time.
    pub trade_status: TradeStatus,
    /// Yuan with two decimals, as sent (compare as text or parse exactly; never via f64).
    pub total_amount: String,
    /// Must be the merchant's own seller (PID).
    pub seller_id: String,
    /// The buyer's Alipay user id.
    pub buyer_id: Option<String>,
    /// When the buyer paid, `yyyy-MM-dd HH:mm:ss` UTC+8.
    pub gmt_payment: Option<String>,
    /// Total refunded so far (refund notifications).
    pub refund_fee: Option<String>,
    /// The refund request number (`out_request_no`) of a refund notification.
    pub out_biz_no: Option<String>,
}

impl TradeNotify {
    /// Reads the fields from verified parameters (the map [`verify_notify`] returns).
    pub fn from_params(params: &BTreeMap<String, String>) -> Result<Self, Error> {
        let opt = |k: &str| params.get(k).filter(|v| !v.is_empty()).cloned();
        let req = |k: &str| opt(k).ok_or_else(|| Error::MissingField(k.to_owned()));
        Ok(Self {
            notify_id: req("notify_id")?,
            notify_time: req("notify_time")?,
            app_id: req("app_id")?,
            out_trade_no: req("out_trade_no")?,
            trade_no: req("trade_no")?,
            trade_status: req("trade_status")?.parse()?,
            total_amount: req("total_amount")?,
            seller_id: req("seller_id")?,
            buyer_id: opt("buyer_id"),
            gmt_payment: opt("gmt_payment"),
            refund_fee: opt("refund_fee"),
            out_biz_no: opt("out_biz_no"),
        })
    }
}
