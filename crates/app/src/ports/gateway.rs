//! The port every payment provider implements: set payments up for the shopper's
//! device, ask about them, close and refund them, and read their notifications.

use async_trait::async_trait;
use sweep_domain::ids::MerchantId;
use sweep_domain::{Money, Timestamp};

/// Where and how the shopper pays, as the storefront worked out from the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayScene {
    /// A code shown on a screen, scanned with the wallet app (WeChat Native, Alipay precreate).
    Qr,
    /// Inside WeChat: the JSAPI, for the payer with this openid.
    WeChatJsapi { openid: String },
    /// A phone browser outside the wallet apps (WeChat H5, Alipay WAP).
    MobileBrowser { client_ip: String },
    /// A desktop browser (Alipay page pay).
    DesktopBrowser,
    /// Inside Alipay's app (WAP pay).
    InAlipay,
}

/// What a payment provider is asked to set up.
#[derive(Debug, Clone)]
pub struct CreatePayment {
    pub merchant_id: MerchantId,
    pub out_trade_no: String,
    pub amount: Money,
    pub description: String,
    pub notify_url: String,
    /// Where the shopper's browser goes after paying (only for show: the notification decides).
    pub return_url: String,
    /// After this the provider must refuse to take the money.
    pub expires_at: Timestamp,
    pub scene: PayScene,
}

/// What the shopper's page does next.
#[derive(Debug, Clone, PartialEq)]
pub enum PayAction {
    /// Go to the provider's page.
    Redirect(String),
    /// Show this text as a QR code, to scan with the wallet app.
    ShowQr(String),
    /// Call WeChat's `getBrandWCPayRequest` with these signed parameters.
    WeChatJsapi(serde_json::Value),
}

#[derive(Debug, Clone)]
pub struct CreatedPayment {
    pub action: PayAction,
}

#[derive(Debug, Clone)]
pub struct RefundRequest {
    pub out_trade_no: String,
    /// The provider's idempotency key: asking twice refunds once.
    pub out_refund_no: String,
    pub amount: Money,
    pub total: Money,
    pub reason: String,
    pub notify_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundState {
    Succeeded,
    /// Accepted; the money is on its way (ask again later).
    Processing,
    /// The provider gave up (e.g. the payer's card closed): a person must act.
    Failed(String),
}

/// A payment's state at its provider, as a query reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeState {
    /// The provider has no such payment.
    NotFound,
    Unpaid,
    /// The payer is confirming in the wallet app (payment codes).
    Paying,
    Paid {
        provider_txn_id: String,
        amount: Money,
    },
    /// Paid, then (partly) refunded.
    Refunded {
        provider_txn_id: String,
        amount: Money,
    },
    Closed,
}

/// A payment code the shopper's WeChat or Alipay app shows, scanned at the till.
#[derive(Debug, Clone)]
pub struct CodePayment {
    pub merchant_id: MerchantId,
    /// Derived from the till's sale id: charging the same sale again charges once.
    pub out_trade_no: String,
    pub auth_code: String,
    pub amount: Money,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodePaymentOutcome {
    Paid {
        provider_txn_id: String,
    },
    /// The shopper's wallet said no (balance, limits, a stale code, no confirmation in time).
    Declined(String),
}

/// A payment notification whose signature checked out.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentNotice {
    pub out_trade_no: String,
    pub provider_txn_id: String,
    pub amount: Money,
    /// The account the provider says the money went to, in the form of
    /// [`PaymentGateway::account_ref`].
    pub merchant_ref: String,
    pub paid: bool,
}

/// What a verified notification says.
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderNotice {
    Payment(PaymentNotice),
    /// A refund finished (or failed for good) at the provider.
    Refund {
        out_refund_no: String,
        succeeded: bool,
    },
    /// A kind of event Sweep does not act on; acknowledged so it is not resent.
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The provider could not be reached or answered with an error: try again later.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request for good.
    #[error("payment provider refused: {0}")]
    Refused(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    #[error("bad signature")]
    BadSignature,
    #[error("timestamp outside the allowed window")]
    Stale,
    /// Signed by a key this account does not know (or a probe such as WeChat's SIGNTEST).
    #[error("unknown signing key: {0}")]
    UnknownKey(String),
    #[error("malformed notification: {0}")]
    Malformed(String),
}

/// A payment provider, acting for one merchant account (or, for the sandbox, for all).
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    fn provider(&self) -> &'static str;
    /// The account a notification must name to be for `merchant` (for WeChat Pay the
    /// merchant and app ids, for Alipay the app and seller ids).
    fn account_ref(&self, merchant: MerchantId) -> String;
    async fn create(&self, request: &CreatePayment) -> Result<CreatedPayment, GatewayError>;
    /// Asks for a refund; repeating it with the same refund number refunds once.
    async fn refund(&self, request: &RefundRequest) -> Result<RefundState, GatewayError>;
    /// `None` when the provider never heard of this refund.
    async fn query_refund(&self, out_trade_no: &str, out_refund_no: &str) -> Result<Option<RefundState>, GatewayError>;
    async fn query(&self, out_trade_no: &str) -> Result<TradeState, GatewayError>;
    /// Closes an unpaid transaction so it can no longer be paid. Closing one that is
    /// closed already, or was paid meanwhile, is not an error: a late payment is
    /// refunded when its notification arrives.
    async fn close(&self, out_trade_no: &str) -> Result<(), GatewayError>;
    /// Charges a payment code at the till, waiting while the payer confirms in the app
    /// and cancelling the charge when they do not in time. Repeating it with the same
    /// `out_trade_no` charges once and answers as the first time.
    async fn pay_with_code(&self, request: &CodePayment) -> Result<CodePaymentOutcome, GatewayError>;
    /// Checks a notification's signature and freshness and reads it.
    fn read_notice(
        &self,
        headers: &[(String, String)],
        body: &[u8],
        now: Timestamp,
    ) -> Result<ProviderNotice, NoticeError>;
    /// The exact reply the provider expects for a notification we accept.
    fn ack_body(&self) -> &'static str;
    /// WeChat's web authorisation (`snsapi_base`) address, which sends the browser back
    /// to `redirect_uri` with a code that [`PaymentGateway::openid_for_code`] turns into
    /// the payer's openid. `None` for providers without one.
    fn web_authorisation_url(&self, _redirect_uri: &str, _state: &str) -> Option<String> {
        None
    }
    async fn openid_for_code(&self, _code: &str) -> Result<String, GatewayError> {
        Err(GatewayError::Refused("this provider has no web authorisation".into()))
    }
    /// The content type of that reply.
    fn ack_content_type(&self) -> &'static str {
        "application/json"
    }
}
