//! WeChat Pay API v3 for merchants' own accounts: the settings a merchant enters, and
//! the gateway that speaks the protocol (`sweep-wechatpay` builds and checks every
//! signed message).

mod gateway;

use std::sync::Arc;

use serde_json::{Map, Value};
use sweep_app::ports::{AccountFieldError, AccountParts, PaymentGateway, PaymentProvider};
use sweep_domain::ids::MerchantId;
use sweep_wechatpay::{MerchantSigner, PlatformVerifier, PublicKey};

pub use gateway::WeChatPay;

use crate::account::{Fields, ProviderOptions, describe, joined, split};

pub const PROVIDER: &str = sweep_app::payments::WECHAT_PAY;
pub const GATEWAY_URL: &str = "https://api.mch.weixin.qq.com";
/// WeChat Pay's hosts (the second is its disaster-recovery domain).
const GATEWAYS: &[&str] = &[GATEWAY_URL, "https://api2.mch.weixin.qq.com"];
pub const OAUTH_URL: &str = "https://open.weixin.qq.com";
pub const SNS_URL: &str = "https://api.weixin.qq.com";
const SECRETS: &[&str] = &["merchant_private_key", "api_v3_key", "app_secret"];

/// A merchant's WeChat Pay account, read and checked.
pub(crate) struct Account {
    pub mchid: String,
    pub appid: String,
    pub signer: MerchantSigner,
    pub api_v3_key: String,
    pub app_secret: Option<String>,
    pub verifier: PlatformVerifier,
    pub gateway_url: String,
    pub oauth_url: String,
    pub sns_url: String,
}

fn read(input: &Map<String, Value>, anywhere: bool) -> Result<Account, Vec<AccountFieldError>> {
    let mut f = Fields::new(input);
    let mchid = f.text("mchid", true);
    if mchid.as_ref().is_some_and(|m| !(m.len() <= 32 && m.bytes().all(|b| b.is_ascii_digit()))) {
        f.error("mchid", "invalid", "a WeChat Pay merchant id is digits");
    }
    let appid = f.text("appid", true);
    let serial = f.text("merchant_serial_no", true);
    if serial.as_ref().is_some_and(|s| !s.bytes().all(|b| b.is_ascii_hexdigit())) {
        f.error("merchant_serial_no", "invalid", "the certificate serial number is hexadecimal");
    }
    let key = f.text("merchant_private_key", true);
    let api_v3_key = f.text("api_v3_key", true);
    if api_v3_key.as_ref().is_some_and(|k| k.len() != 32 || !k.is_ascii()) {
        f.error("api_v3_key", "invalid", "the APIv3 key is 32 characters");
    }
    let app_secret = f.text("app_secret", false);
    let mut verifier = PlatformVerifier::new();
    let key_id = f.text("platform_public_key_id", false);
    let public_key = f.text("platform_public_key", false);
    match (&key_id, &public_key) {
        (Some(id), Some(pem)) => {
            if !id.starts_with(sweep_wechatpay::PUB_KEY_ID_PREFIX) {
                f.error("platform_public_key_id", "invalid", "starts with PUB_KEY_ID_");
            }
            match PublicKey::from_pem(pem) {
                Ok(k) => verifier.add_public_key(id.clone(), k),
                Err(e) => f.error("platform_public_key", "invalid_key", e.to_string()),
            }
        }
        (None, None) => {}
        (None, Some(_)) => f.error("platform_public_key_id", "required", "required with platform_public_key"),
        (Some(_), None) => f.error("platform_public_key", "required", "required with platform_public_key_id"),
    }
    let certificates = f.texts("platform_certificates");
    for (i, pem) in certificates.iter().enumerate() {
        if let Err(e) = verifier.add_certificate_pem(pem) {
            f.error(&format!("platform_certificates[{i}]"), "invalid_certificate", e.to_string());
        }
    }
    if key_id.is_none() && certificates.is_empty() {
        f.error("platform_public_key", "required", "give WeChat Pay's public key or its platform certificates");
    }
    let gateway_url = f.url("gateway_url", GATEWAYS, anywhere);
    // A gateway elsewhere (a simulator) answers web authorisation too, unless told otherwise.
    let elsewhere = !GATEWAYS.contains(&gateway_url.as_str());
    let oauth_url = f.url("oauth_url", &[OAUTH_URL], anywhere);
    let sns_url = f.url("sns_url", &[SNS_URL], anywhere);
    let (oauth_url, sns_url) = match (elsewhere, input.contains_key("oauth_url"), input.contains_key("sns_url")) {
        (true, false, false) => (gateway_url.clone(), gateway_url.clone()),
        _ => (oauth_url, sns_url),
    };
    let signer = match (&mchid, &serial, &key) {
        (Some(m), Some(s), Some(k)) => match MerchantSigner::new(m, s, k) {
            Ok(signer) => Some(signer),
            Err(e) => {
                f.error("merchant_private_key", "invalid_key", e.to_string());
                None
            }
        },
        _ => None,
    };
    let errors = f.finish();
    match (errors.is_empty(), mchid, appid, signer, api_v3_key) {
        (true, Some(mchid), Some(appid), Some(signer), Some(api_v3_key)) => {
            Ok(Account { mchid, appid, signer, api_v3_key, app_secret, verifier, gateway_url, oauth_url, sns_url })
        }
        _ => Err(errors),
    }
}

/// WeChat Pay as a provider merchants connect their own accounts to.
pub struct WeChatPayProvider {
    http: reqwest::Client,
    options: ProviderOptions,
}

impl WeChatPayProvider {
    pub fn new(options: ProviderOptions) -> WeChatPayProvider {
        WeChatPayProvider { http: crate::account::http_client(), options }
    }
}

impl PaymentProvider for WeChatPayProvider {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn check_account(&self, input: &Map<String, Value>) -> Result<AccountParts, Vec<AccountFieldError>> {
        read(input, self.options.any_gateway)?;
        Ok(split(input, SECRETS))
    }

    fn open(&self, _merchant: MerchantId, account: &AccountParts) -> Result<Arc<dyn PaymentGateway>, String> {
        let account = read(&joined(account), self.options.any_gateway).map_err(|errors| describe(&errors))?;
        Ok(Arc::new(WeChatPay::new(account, self.http.clone(), self.options.code_wait)))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn account(gateway: &str) -> Map<String, Value> {
        let (private, _) = sweep_wechatpay::generate_rsa_2048();
        let (_, platform) = sweep_wechatpay::generate_rsa_2048();
        let Value::Object(fields) = json!({
            "mchid": "1900000109", "appid": "wx8888888888888888", "merchant_serial_no": "5157F09EFDC096DE15EBE81A47057A72",
            "merchant_private_key": private, "api_v3_key": "a".repeat(32),
            "platform_public_key_id": "PUB_KEY_ID_0119000001092025", "platform_public_key": platform,
            "gateway_url": gateway,
        }) else {
            unreachable!()
        };
        fields
    }

    #[test]
    fn merchants_may_only_name_wechat_pays_own_hosts_unless_the_deployment_allows_any() {
        let strict = WeChatPayProvider::new(ProviderOptions::default());
        assert!(strict.check_account(&account(GATEWAY_URL)).is_ok());
        assert!(strict.check_account(&account("https://api2.mch.weixin.qq.com/")).is_ok());
        let errors = strict.check_account(&account("http://10.0.0.5:8080/internal")).unwrap_err();
        assert_eq!((errors[0].field.as_str(), errors[0].code), ("gateway_url", "gateway_not_allowed"));
        let mut sneaky = account(GATEWAY_URL);
        sneaky.insert("sns_url".into(), json!("http://169.254.169.254"));
        assert_eq!(strict.check_account(&sneaky).unwrap_err()[0].code, "gateway_not_allowed");
        let simulator = WeChatPayProvider::new(ProviderOptions { any_gateway: true, ..Default::default() });
        assert!(simulator.check_account(&account("http://127.0.0.1:8080/paysim/wechat")).is_ok());
        assert_eq!(simulator.check_account(&account("ftp://x")).unwrap_err()[0].code, "invalid_url");
    }

    #[test]
    fn secrets_are_split_from_what_may_be_shown() {
        let parts = WeChatPayProvider::new(ProviderOptions::default()).check_account(&account(GATEWAY_URL)).unwrap();
        assert!(parts.secrets.contains_key("merchant_private_key") && parts.secrets.contains_key("api_v3_key"));
        assert!(!parts.settings.contains_key("merchant_private_key") && parts.settings.contains_key("mchid"));
        assert!(!format!("{parts:?}").contains("PRIVATE KEY"), "Debug names secrets, never shows them");
    }
}
