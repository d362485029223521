//! Shared set-up for the fuzz targets: test keys (the fixtures of the protocol crates' own
//! tests, never real ones), merchant accounts opened through the real providers, and the
//! input framing the targets use.

use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value, json};
use sweep_app::ports::{PaymentGateway, PaymentProvider};
use sweep_domain::Timestamp;
use sweep_domain::ids::MerchantId;
use sweep_pay::ProviderOptions;

/// The merchant's clock in every target: 2026-01-01T00:00:00Z.
pub const NOW_UNIX: i64 = 1_767_225_600;

pub fn now() -> Timestamp {
    Timestamp::from_unix_micros(NOW_UNIX * 1_000_000)
}

// --- WeChat Pay -------------------------------------------------------------------------

pub const WX_MCHID: &str = "1900009191";
pub const WX_APPID: &str = "wxd678efh567hg6787";
pub const WX_API_V3_KEY: &str = "0123456789abcdef0123456789abcdef";
pub const WX_PUB_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
/// WeChat Pay's (platform) key pair, from the Java SDK's test fixtures.
pub const WX_PLATFORM_PRIVATE: &str =
    include_str!("../../crates/wechatpay/tests/fixtures/java_wechat_pay_private_key.pem");
pub const WX_PLATFORM_PUBLIC: &str =
    include_str!("../../crates/wechatpay/tests/fixtures/java_wechat_pay_public_key.pem");
/// The merchant's key, from the Go SDK's test fixtures.
pub const WX_MERCHANT_PRIVATE: &str = include_str!("../../crates/wechatpay/tests/fixtures/go_test_private_key.pem");

/// A WeChat Pay account opened through `WeChatPayProvider`, as the server opens a
/// merchant's stored account.
pub fn wechat_gateway() -> &'static Arc<dyn PaymentGateway> {
    static GATEWAY: OnceLock<Arc<dyn PaymentGateway>> = OnceLock::new();
    GATEWAY.get_or_init(|| {
        let provider = sweep_pay::wechat::WeChatPayProvider::new(ProviderOptions::default());
        let account = object(json!({
            "mchid": WX_MCHID,
            "appid": WX_APPID,
            "merchant_serial_no": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
            "merchant_private_key": WX_MERCHANT_PRIVATE,
            "api_v3_key": WX_API_V3_KEY,
            "platform_public_key_id": WX_PUB_KEY_ID,
            "platform_public_key": WX_PLATFORM_PUBLIC,
        }));
        let parts = provider.check_account(&account).expect("the fuzz account is valid");
        provider.open(MerchantId::new(), &parts).expect("the fuzz account opens")
    })
}

/// Signs as WeChat Pay does (the simulator's signer).
pub fn wechat_signer() -> &'static sweep_wechatpay::PlatformSigner {
    static SIGNER: OnceLock<sweep_wechatpay::PlatformSigner> = OnceLock::new();
    SIGNER.get_or_init(|| sweep_wechatpay::PlatformSigner::new(WX_PUB_KEY_ID, WX_PLATFORM_PRIVATE).expect("key"))
}

// --- Alipay -----------------------------------------------------------------------------

pub const ALIPAY_APP_ID: &str = "2021000000000001";
pub const ALIPAY_SELLER_ID: &str = "2088102177846880";
pub const ALIPAY_PRIVATE: &str = include_str!("../../crates/alipay/tests/fixtures/test_alipay_private_pkcs1.pem");
pub const ALIPAY_PUBLIC: &str = include_str!("../../crates/alipay/tests/fixtures/test_alipay_public.pem");
pub const ALIPAY_APP_PRIVATE: &str = include_str!("../../crates/alipay/tests/fixtures/test_app_private_pkcs8.pem");

/// An Alipay app opened through `AlipayProvider`.
pub fn alipay_gateway() -> &'static Arc<dyn PaymentGateway> {
    static GATEWAY: OnceLock<Arc<dyn PaymentGateway>> = OnceLock::new();
    GATEWAY.get_or_init(|| {
        let provider = sweep_pay::alipay::AlipayProvider::new(ProviderOptions::default());
        let account = object(json!({
            "app_id": ALIPAY_APP_ID,
            "seller_id": ALIPAY_SELLER_ID,
            "app_private_key": ALIPAY_APP_PRIVATE,
            "alipay_public_key": ALIPAY_PUBLIC,
        }));
        let parts = provider.check_account(&account).expect("the fuzz account is valid");
        provider.open(MerchantId::new(), &parts).expect("the fuzz account opens")
    })
}

/// Signs as Alipay does (the simulator's signer).
pub fn alipay_signer() -> &'static sweep_alipay::AppSigner {
    static SIGNER: OnceLock<sweep_alipay::AppSigner> = OnceLock::new();
    SIGNER.get_or_init(|| sweep_alipay::AppSigner::from_key_text(ALIPAY_PRIVATE).expect("key"))
}

// --- Framing ----------------------------------------------------------------------------

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!(),
    }
}

/// Splits `input` at the first blank line: `Name: value` header lines before it (lines
/// without a colon are kept with an empty value), the raw body after it.
pub fn headers_and_body(input: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let (head, body) = match input.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&input[..i], &input[i + 2..]),
        None => (input, &[][..]),
    };
    let headers = String::from_utf8_lossy(head)
        .lines()
        .map(|line| match line.split_once(':') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (line.to_string(), String::new()),
        })
        .collect();
    (headers, body)
}

/// Splits off the first line (lossy UTF-8) from the rest.
pub fn first_line(input: &[u8]) -> (String, &[u8]) {
    match input.iter().position(|&b| b == b'\n') {
        Some(i) => (String::from_utf8_lossy(&input[..i]).into_owned(), &input[i + 1..]),
        None => (String::from_utf8_lossy(input).into_owned(), &[][..]),
    }
}
