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

use crate::account::{CodeWait, Fields, joined, split};

pub const PROVIDER: &str = sweep_app::payments::WECHAT_PAY;
pub const GATEWAY_URL: &str = "https://api.mch.weixin.qq.com";
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

fn read(input: &Map<String, Value>) -> Result<Account, Vec<AccountFieldError>> {
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
    let gateway_url = f.url("gateway_url", GATEWAY_URL);
    // A gateway elsewhere (a simulator) answers web authorisation too, unless told otherwise.
    let (oauth_default, sns_default) =
        if gateway_url == GATEWAY_URL { (OAUTH_URL, SNS_URL) } else { (gateway_url.as_str(), gateway_url.as_str()) };
    let oauth_url = f.url("oauth_url", oauth_default);
    let sns_url = f.url("sns_url", sns_default);
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
    code_wait: CodeWait,
}

impl WeChatPayProvider {
    pub fn new(code_wait: CodeWait) -> WeChatPayProvider {
        WeChatPayProvider { http: crate::account::http_client(), code_wait }
    }
}

impl PaymentProvider for WeChatPayProvider {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn secret_fields(&self) -> &'static [&'static str] {
        SECRETS
    }

    fn check_account(&self, input: &Map<String, Value>) -> Result<AccountParts, Vec<AccountFieldError>> {
        read(input)?;
        Ok(split(input, SECRETS))
    }

    fn open(&self, _merchant: MerchantId, account: &AccountParts) -> Result<Arc<dyn PaymentGateway>, String> {
        let account = read(&joined(account)).map_err(|errors| {
            errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
        })?;
        Ok(Arc::new(WeChatPay::new(account, self.http.clone(), self.code_wait)))
    }
}
