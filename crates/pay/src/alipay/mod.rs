//! Alipay (Open Platform gateway v2) for merchants' own accounts: the settings a
//! merchant enters, and the gateway (`sweep-alipay` builds and checks every signed
//! message).

mod gateway;

use std::sync::Arc;

use serde_json::{Map, Value};
use sweep_alipay::{AlipayPublicKey, AppSigner};
use sweep_app::ports::{AccountFieldError, AccountParts, PaymentGateway, PaymentProvider};
use sweep_domain::ids::MerchantId;

pub use gateway::Alipay;

use crate::account::{Fields, ProviderOptions, describe, joined, split};

pub const PROVIDER: &str = sweep_app::payments::ALIPAY;
const SECRETS: &[&str] = &["app_private_key"];

/// A merchant's Alipay app, read and checked.
pub(crate) struct Account {
    pub app_id: String,
    pub seller_id: String,
    pub signer: AppSigner,
    pub alipay_key: AlipayPublicKey,
    pub gateway_url: String,
}

fn read(input: &Map<String, Value>, anywhere: bool) -> Result<Account, Vec<AccountFieldError>> {
    let mut f = Fields::new(input);
    let app_id = f.text("app_id", true);
    if app_id.as_ref().is_some_and(|a| !a.bytes().all(|b| b.is_ascii_digit())) {
        f.error("app_id", "invalid", "an Alipay app id is digits");
    }
    // Notifications name the seller; the guide's checks compare it with the account.
    let seller_id = f.text("seller_id", true);
    if seller_id.as_ref().is_some_and(|s| !(s.starts_with("2088") && s.bytes().all(|b| b.is_ascii_digit()))) {
        f.error("seller_id", "invalid", "an Alipay seller id (PID) is 16 digits starting 2088");
    }
    let signer = f.text("app_private_key", true).and_then(|k| match AppSigner::from_key_text(&k) {
        Ok(s) => Some(s),
        Err(e) => {
            f.error("app_private_key", "invalid_key", e.to_string());
            None
        }
    });
    let alipay_key = f.text("alipay_public_key", true).and_then(|k| match AlipayPublicKey::from_key_text(&k) {
        Ok(key) => Some(key),
        Err(e) => {
            f.error("alipay_public_key", "invalid_key", e.to_string());
            None
        }
    });
    // Alipay's gateway, and its own sandbox environment's.
    let official = [sweep_alipay::GATEWAY_URL, "https://openapi-sandbox.dl.alipaydev.com/gateway.do"];
    let gateway_url = f.url("gateway_url", &official, anywhere);
    let errors = f.finish();
    match (errors.is_empty(), app_id, seller_id, signer, alipay_key) {
        (true, Some(app_id), Some(seller_id), Some(signer), Some(alipay_key)) => {
            Ok(Account { app_id, seller_id, signer, alipay_key, gateway_url })
        }
        _ => Err(errors),
    }
}

/// Alipay as a provider merchants connect their own apps to.
pub struct AlipayProvider {
    http: reqwest::Client,
    options: ProviderOptions,
}

impl AlipayProvider {
    pub fn new(options: ProviderOptions) -> AlipayProvider {
        AlipayProvider { http: crate::account::http_client(), options }
    }
}

impl PaymentProvider for AlipayProvider {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn check_account(&self, input: &Map<String, Value>) -> Result<AccountParts, Vec<AccountFieldError>> {
        read(input, self.options.any_gateway)?;
        Ok(split(input, SECRETS))
    }

    fn open(&self, _merchant: MerchantId, account: &AccountParts) -> Result<Arc<dyn PaymentGateway>, String> {
        let account = read(&joined(account), self.options.any_gateway).map_err(|errors| describe(&errors))?;
        Ok(Arc::new(Alipay::new(account, self.http.clone(), self.options.code_wait)))
    }
}
