//! Merchants' own accounts at WeChat Pay and Alipay: set through the API, checked by
//! the provider, secrets sealed at rest and never shown again in full.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use sweep_domain::Timestamp;
use sweep_domain::ids::MerchantId;
use sweep_domain::roles::{Actor, Permission};

use crate::ports::{AccountParts, PaymentGateway, PaymentProvider, StoredPaymentAccount};
use crate::{AppError, AppResult, Sweep, require, tenant};
use sweep_domain::FieldError;

/// A merchant's account as the console shows it: settings, and for each secret only
/// that it is set and a fingerprint to tell two keys apart.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentAccountView {
    pub provider: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub settings: Map<String, Value>,
    /// Secret name → `sha256:` and the first 8 hex digits of the secret's digest.
    pub secrets: BTreeMap<String, String>,
    pub updated_at: Timestamp,
}

fn fingerprint(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    format!("sha256:{}", &hex::encode(Sha256::digest(text.as_bytes()))[..8])
}

/// The fields that say which account it is (keys may rotate; the account may not change
/// under open payments).
fn identity(fields: &Map<String, Value>) -> Vec<Option<Value>> {
    ["mchid", "appid", "app_id", "seller_id"].iter().map(|k| fields.get(*k).cloned()).collect()
}

fn sealing_context(merchant: MerchantId, provider: &str) -> String {
    format!("payment-account/{merchant}/{provider}")
}

impl Sweep {
    pub(crate) fn payment_provider(&self, name: &str) -> AppResult<&Arc<dyn PaymentProvider>> {
        self.providers
            .iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| AppError::invalid("provider", "unknown_provider", "no such payment provider"))
    }

    fn secret_box(&self) -> AppResult<&crate::payments::SecretBox> {
        self.secret_box.as_deref().ok_or_else(|| AppError::Unavailable("no secrets key is configured".into()))
    }

    /// The stored account, opened: settings and secrets in the clear, in memory only.
    async fn open_account(&self, stored: &StoredPaymentAccount) -> AppResult<AccountParts> {
        let settings: Map<String, Value> = serde_json::from_str(&stored.settings)
            .map_err(|e| AppError::Internal(format!("payment account settings: {e}")))?;
        let plain =
            self.secret_box()?.open(&stored.sealed_secrets, &sealing_context(stored.merchant_id, &stored.provider))?;
        let secrets: Map<String, Value> =
            serde_json::from_slice(&plain).map_err(|e| AppError::Internal(format!("payment account secrets: {e}")))?;
        Ok(AccountParts { settings, secrets })
    }

    fn account_view(&self, stored: &StoredPaymentAccount, parts: &AccountParts) -> PaymentAccountView {
        PaymentAccountView {
            provider: stored.provider.clone(),
            settings: parts.settings.clone(),
            secrets: parts.secrets.iter().map(|(k, v)| (k.clone(), fingerprint(v))).collect(),
            updated_at: stored.updated_at,
        }
    }

    pub async fn payment_accounts(&self, actor: &Actor) -> AppResult<Vec<PaymentAccountView>> {
        require(actor, Permission::EditMerchantSettings)?;
        let merchant = tenant(actor)?;
        let mut views = vec![];
        for stored in self.repos.payment_accounts.payment_accounts(merchant).await? {
            let parts = self.open_account(&stored).await?;
            views.push(self.account_view(&stored, &parts));
        }
        Ok(views)
    }

    /// Sets the merchant's account at `provider`. Fields left out keep their stored
    /// values (so a key need not be pasted again to change an id); `null` clears one.
    /// The whole result is checked by the provider before anything is stored.
    pub async fn put_payment_account(
        &self,
        actor: &Actor,
        provider: &str,
        input: Map<String, Value>,
    ) -> AppResult<PaymentAccountView> {
        require(actor, Permission::EditMerchantSettings)?;
        let merchant = tenant(actor)?;
        let view = self.connect_payment_account(merchant, provider, input, Some(actor.staff_id)).await?;
        tracing::info!(event = "payment_account_set", merchant = %merchant, provider, staff = %actor.staff_id);
        Ok(view)
    }

    /// Sets a merchant's account at `provider` without a staff member behind it. See
    /// [`Sweep::put_payment_account`].
    pub async fn connect_payment_account(
        &self,
        merchant: MerchantId,
        provider: &str,
        input: Map<String, Value>,
        by: Option<sweep_domain::ids::StaffId>,
    ) -> AppResult<PaymentAccountView> {
        self.set_account(merchant, provider, input, by, false).await
    }

    /// Replaces an account whose provider forgot it: the demo's provider simulator keeps
    /// its books in memory, so after a restart (or a crash) its old accounts are gone,
    /// and payments still open at them can never be answered through them anyway. They
    /// are closed when their orders expire. Never for a real provider.
    pub async fn replace_forgotten_payment_account(
        &self,
        merchant: MerchantId,
        provider: &str,
        input: Map<String, Value>,
    ) -> AppResult<PaymentAccountView> {
        self.set_account(merchant, provider, input, None, true).await
    }

    async fn set_account(
        &self,
        merchant: MerchantId,
        provider: &str,
        input: Map<String, Value>,
        by: Option<sweep_domain::ids::StaffId>,
        forgotten: bool,
    ) -> AppResult<PaymentAccountView> {
        let kit = self.payment_provider(provider)?;
        let sealer = self.secret_box()?;
        let stored = self.repos.payment_accounts.payment_account(merchant, provider).await?;
        let mut merged = match &stored {
            Some(stored) => {
                let parts = self.open_account(stored).await?;
                let mut all = parts.settings;
                all.extend(parts.secrets);
                all
            }
            None => Map::new(),
        };
        let before = identity(&merged);
        for (key, value) in input {
            if value.is_null() {
                merged.remove(&key);
            } else {
                merged.insert(key, value);
            }
        }
        if stored.is_some() && identity(&merged) != before && !forgotten {
            self.refuse_if_in_use(merchant, provider).await?;
        }
        let parts = kit.check_account(&merged).map_err(|errors| {
            AppError::Invalid(errors.into_iter().map(|e| FieldError::new(e.field, e.code, e.message)).collect())
        })?;
        // Opening proves the keys work together before the merchant relies on them.
        kit.open(merchant, &parts).map_err(|e| AppError::invalid("settings", "unusable_account", e))?;
        let secrets = serde_json::to_vec(&parts.secrets).map_err(|e| AppError::Internal(e.to_string()))?;
        let stored = StoredPaymentAccount {
            merchant_id: merchant,
            provider: provider.to_string(),
            settings: serde_json::to_string(&parts.settings).map_err(|e| AppError::Internal(e.to_string()))?,
            sealed_secrets: sealer.seal(&secrets, &sealing_context(merchant, provider))?,
            updated_at: self.now(),
            updated_by: by,
        };
        self.repos.payment_accounts.put_payment_account(&stored).await?;
        Ok(self.account_view(&stored, &parts))
    }

    pub async fn delete_payment_account(&self, actor: &Actor, provider: &str) -> AppResult<()> {
        require(actor, Permission::EditMerchantSettings)?;
        let merchant = tenant(actor)?;
        self.payment_provider(provider)?;
        self.refuse_if_in_use(merchant, provider).await?;
        if !self.repos.payment_accounts.delete_payment_account(merchant, provider).await? {
            return Err(AppError::NotFound("payment account"));
        }
        tracing::info!(event = "payment_account_removed", merchant = %merchant, provider, staff = %actor.staff_id);
        Ok(())
    }

    /// Payments still open at the provider are answered (notified, queried, refunded)
    /// only by the account they were made with: it stays until they are settled.
    async fn refuse_if_in_use(&self, merchant: MerchantId, provider: &str) -> AppResult<()> {
        let open = self.repos.payment_accounts.open_payments_at(merchant, provider).await?;
        if open > 0 {
            return Err(AppError::conflict(
                "account_in_use",
                Some("provider"),
                format!("{open} payments or refunds at this account are still open; try again once they settle"),
            ));
        }
        Ok(())
    }

    /// The gateway that acts for `merchant` at `provider`: a deployment-wide one (the
    /// sandbox) or one opened from the merchant's own account, kept while unchanged.
    pub(crate) async fn gateway_for(&self, merchant: MerchantId, provider: &str) -> AppResult<Arc<dyn PaymentGateway>> {
        if let Some(shared) = self.gateways.iter().find(|g| g.provider() == provider) {
            return Ok(shared.clone());
        }
        let kit = self.payment_provider(provider)?;
        let Some(stored) = self.repos.payment_accounts.payment_account(merchant, provider).await? else {
            return Err(AppError::conflict(
                "provider_not_set_up",
                Some("provider"),
                "this shop does not take that payment method",
            ));
        };
        let key = (merchant, provider.to_string());
        if let Some((at, gateway)) = self.opened_gateways.lock().expect("not poisoned").get(&key)
            && *at == stored.updated_at
        {
            return Ok(gateway.clone());
        }
        let parts = self.open_account(&stored).await?;
        let gateway = kit.open(merchant, &parts).map_err(AppError::Internal)?;
        self.opened_gateways.lock().expect("not poisoned").insert(key, (stored.updated_at, gateway.clone()));
        Ok(gateway)
    }

    /// The providers a shopper of `merchant` can pay with: the merchant's own accounts,
    /// then the deployment-wide ones.
    pub(crate) async fn merchant_providers(&self, merchant: MerchantId) -> AppResult<Vec<String>> {
        let mut names: Vec<String> = self
            .repos
            .payment_accounts
            .payment_accounts(merchant)
            .await?
            .into_iter()
            .map(|a| a.provider)
            .filter(|p| self.providers.iter().any(|k| k.name() == p))
            .collect();
        names.extend(self.gateways.iter().map(|g| g.provider().to_string()));
        Ok(names)
    }

    /// The gateway a till charges a payment code through: WeChat Pay codes start 10-15,
    /// Alipay codes 25-30. Without the merchant's own account, the deployment-wide
    /// provider (the sandbox) takes both.
    pub(crate) async fn code_gateway(&self, merchant: MerchantId, code: &str) -> AppResult<Arc<dyn PaymentGateway>> {
        let wallet = code.trim().get(..2).and_then(|p| p.parse::<u8>().ok());
        let provider = match wallet {
            Some(10..=15) => Some(crate::payments::WECHAT_PAY),
            Some(25..=30) => Some(crate::payments::ALIPAY),
            _ => None,
        };
        if let Some(p) = provider
            && self.providers.iter().any(|k| k.name() == p)
            && self.repos.payment_accounts.payment_account(merchant, p).await?.is_some()
        {
            return self.gateway_for(merchant, p).await;
        }
        self.gateways.first().cloned().ok_or_else(|| AppError::Unavailable("no payment provider is set up".into()))
    }
}
