//! Merchants' accounts at payment providers, and the providers that open them.

use std::sync::Arc;

use async_trait::async_trait;
use sweep_domain::Timestamp;
use sweep_domain::ids::{MerchantId, StaffId};

use super::{PaymentGateway, StoreResult};

/// A merchant's account at a provider, as stored: settings in the clear, secrets sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPaymentAccount {
    pub merchant_id: MerchantId,
    pub provider: String,
    /// JSON object of what may be shown: ids, serials, public keys, gateway address.
    pub settings: String,
    /// The secret fields as a JSON object, sealed (see `payments::SecretBox`).
    pub sealed_secrets: String,
    pub updated_at: Timestamp,
    pub updated_by: Option<StaffId>,
}

#[async_trait]
pub trait PaymentAccountRepo: Send + Sync {
    /// Creates or replaces the merchant's account at the provider.
    async fn put_payment_account(&self, account: &StoredPaymentAccount) -> StoreResult<()>;
    async fn payment_account(&self, merchant: MerchantId, provider: &str) -> StoreResult<Option<StoredPaymentAccount>>;
    async fn payment_accounts(&self, merchant: MerchantId) -> StoreResult<Vec<StoredPaymentAccount>>;
    /// True when there was one.
    async fn delete_payment_account(&self, merchant: MerchantId, provider: &str) -> StoreResult<bool>;
    /// Payments at `provider` still waiting for their shopper, and refunds not yet
    /// confirmed by it: what an account change would strand.
    async fn open_payments_at(&self, merchant: MerchantId, provider: &str) -> StoreResult<i64>;
    /// Whether any merchant has an account stored (sealed with the secrets key).
    async fn any_payment_accounts(&self) -> StoreResult<bool>;
}

/// Settings split by the provider into what may be shown and what must be sealed.
#[derive(Clone, PartialEq)]
pub struct AccountParts {
    pub settings: serde_json::Map<String, serde_json::Value>,
    pub secrets: serde_json::Map<String, serde_json::Value>,
}

impl std::fmt::Debug for AccountParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&String> = self.secrets.keys().collect();
        f.debug_struct("AccountParts").field("settings", &self.settings).field("secrets", &names).finish()
    }
}

/// A field of a merchant's provider settings that is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// A provider at which each merchant holds an account of its own (WeChat Pay, Alipay).
pub trait PaymentProvider: Send + Sync {
    fn name(&self) -> &'static str;
    /// Checks a complete set of settings (keys parse, ids have their shape) and splits
    /// it into shown and sealed parts.
    fn check_account(
        &self,
        input: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<AccountParts, Vec<AccountFieldError>>;
    /// A gateway that acts for this merchant with these settings.
    fn open(&self, merchant: MerchantId, account: &AccountParts) -> Result<Arc<dyn PaymentGateway>, String>;
}

/// One thing Sweep's books and a provider's disagree on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mismatch {
    /// `paid_only_at_provider`, `refunded_only_at_provider`, `unpaid_at_provider`, `amount_differs`,
    /// `refund_missing_at_provider`, `refund_done_only_at_provider`, `query_failed`.
    pub kind: String,
    pub provider: String,
    pub order_id: sweep_domain::ids::OrderId,
    pub out_trade_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_refund_no: Option<String>,
    pub detail: String,
}

/// A day's comparison of one merchant's payments and refunds with the providers'.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reconciliation {
    pub merchant_id: MerchantId,
    /// The day in China Standard Time (the providers' statement day), `YYYY-MM-DD`.
    pub day: String,
    /// Payments and refunds compared.
    pub checked: i64,
    pub mismatches: Vec<Mismatch>,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait ReconciliationRepo: Send + Sync {
    /// Payments at providers (not the till's cash and cards) created in `[from, to)`,
    /// every merchant, in id order after `after`.
    async fn provider_payments_between(
        &self,
        from: Timestamp,
        to: Timestamp,
        after: Option<sweep_domain::ids::PaymentId>,
        limit: u32,
    ) -> StoreResult<Vec<sweep_domain::order::Payment>>;
    /// Refunds created in `[from, to)`, every merchant.
    async fn refunds_between(&self, from: Timestamp, to: Timestamp) -> StoreResult<Vec<sweep_domain::order::Refund>>;
    /// Stores a merchant's report for its day, replacing an earlier run's.
    async fn put_reconciliation(&self, report: &Reconciliation) -> StoreResult<()>;
    /// The merchant's reports, newest day first.
    async fn reconciliations(&self, merchant: MerchantId, limit: u32) -> StoreResult<Vec<Reconciliation>>;
}
