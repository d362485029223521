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
    /// The names of the fields that are secret (sealed at rest, never returned).
    fn secret_fields(&self) -> &'static [&'static str];
    /// Checks a complete set of settings (keys parse, ids have their shape) and splits
    /// it into shown and sealed parts.
    fn check_account(
        &self,
        input: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<AccountParts, Vec<AccountFieldError>>;
    /// A gateway that acts for this merchant with these settings.
    fn open(&self, merchant: MerchantId, account: &AccountParts) -> Result<Arc<dyn PaymentGateway>, String>;
}
