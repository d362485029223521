//! Alipay Open Platform gateway v2 message formats as pure functions: RSA2 request signing,
//! response and notification verification.
//!
//! Nothing here does I/O: callers bring the HTTP client (merchant side) or the HTTP server
//! (the provider simulator) and hand this crate strings and bytes.
//!
//! * Merchant side: build a signed request form with [`signed_params`] (POST it to the
//!   gateway) or a redirect URL with [`page_url`]; check the gateway's raw reply text with
//!   [`verify_response`] / [`verify_reply`]; check an asynchronous notification body with
//!   [`verify_notify`], read it with [`TradeNotify`], and answer [`NOTIFY_ACK`].
//! * Provider (simulator) side: check a merchant request with [`verify_request`], answer with
//!   [`signed_response`] / [`signed_error_response`], and notify with [`signed_notify_form`].
//!
//! The three signing rules differ only in what is left out before sorting and joining:
//!
//! | message | left out | function |
//! | --- | --- | --- |
//! | request (merchant → gateway) | `sign`, empty values | [`sign_content`] |
//! | notification (Alipay → merchant) | `sign`, `sign_type`, empty values | [`notify_sign_content`] |
//! | gateway response | (signs the raw `…_response` node text) | [`verify_response`] |
//!
//! Only `sign_type=RSA2` (SHA256withRSA, RSA PKCS#1 v1.5) is supported; the signatures come
//! from aws-lc-rs.
//!
//! ```
//! use sweep_alipay::types::{BizRequest, PrecreateRequest, PrecreateResponse, method, success_node};
//! use sweep_alipay::*;
//!
//! # fn main() -> Result<(), Error> {
//! let (app_private, app_public) = generate_rsa_2048()?; // the merchant's key pair
//! let (alipay_private, alipay_public) = generate_rsa_2048()?; // the platform's (simulator)
//! let merchant = AppSigner::from_key_text(&app_private)?;
//! let platform = AppSigner::from_key_text(&alipay_private)?;
//!
//! // Merchant: sign a precreate call.
//! let biz = PrecreateRequest {
//!     out_trade_no: "SWP-1".into(),
//!     store_id: None,
//!     subject: "咖啡".into(),
//!     timeout_express: Some("15m".into()),
//!     total_amount: "12.00".into(),
//! };
//! let common = CommonParams::new("2021000000000001", PrecreateRequest::METHOD, timestamp_utc8(1_767_294_245))
//!     .with_notify_url("https://sweep.example/pay/alipay/notify");
//! let form = signed_params(&common, &biz.to_biz_content()?, &merchant)?;
//!
//! // Simulator: check it, answer it.
//! let received = verify_request(form.iter().map(|(k, v)| (k.as_str(), v.as_str())),
//!     &AlipayPublicKey::from_key_text(&app_public)?)?;
//! assert_eq!(received["method"], method::PRECREATE);
//! let fields = PrecreateResponse { out_trade_no: "SWP-1".into(), qr_code: "https://qr.example/1".into() };
//! let raw = signed_response(method::PRECREATE, &success_node(&fields)?, &platform)?;
//!
//! // Merchant: verify the raw reply text.
//! let reply = verify_reply(&raw, method::PRECREATE, &AlipayPublicKey::from_key_text(&alipay_public)?)?;
//! assert!(reply.is_success());
//! assert_eq!(reply.decode::<PrecreateResponse>()?.qr_code, "https://qr.example/1");
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod keys;
mod notify;
mod response;
mod sign;
pub mod types;

pub use keys::{AlipayPublicKey, AppSigner, der_to_pem, generate_rsa_2048, pem_to_bare_base64, to_bare_base64};
pub use notify::{NOTIFY_ACK, TradeNotify, TradeStatus, verify_notify};
pub use response::{
    GatewayReply, error_response_key, extract_node, parse_unverified, response_key, signed_error_response,
    signed_response, verify_reply, verify_response,
};
pub use sign::{
    CommonParams, decode_form, encode_form, notify_sign_content, page_url, parse_timestamp_utc8, sign_content,
    signed_notify_form, signed_params, timestamp_utc8, verify_request,
};

/// Production gateway URL of the Alipay Open Platform (v2, form POST).
pub const GATEWAY_URL: &str = "https://openapi.alipay.com/gateway.do";

/// The only `sign_type` this crate produces and accepts: SHA256withRSA.
pub const SIGN_TYPE_RSA2: &str = "RSA2";

/// Everything that can go wrong while reading or writing Alipay messages.
///
/// Verification failures are deliberately coarse: a caller should treat every error from a
/// `verify_*` function as "do not trust this message".
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The key text could not be read as an RSA key of a supported kind.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// The RSA signing operation itself failed (should not happen with a valid key).
    #[error("RSA signing failed")]
    Sign,
    /// The message carries no (or an empty) `sign`.
    #[error("the message carries no signature")]
    MissingSign,
    /// The `sign` value is not standard base64.
    #[error("the signature is not valid base64")]
    SignatureEncoding,
    /// The signature does not match the content under the given key.
    #[error("signature verification failed")]
    BadSignature,
    /// A `sign_type` other than `RSA2` was declared.
    #[error("unsupported sign_type `{0}` (only RSA2 is accepted)")]
    UnsupportedSignType(String),
    /// A `charset` other than UTF-8 was declared.
    #[error("unsupported charset `{0}` (only utf-8 is accepted)")]
    UnsupportedCharset(String),
    /// The same parameter name appears twice, which makes the signed content ambiguous.
    #[error("duplicate parameter `{0}`")]
    DuplicateParam(String),
    /// A required parameter or field is missing or empty.
    #[error("missing field `{0}`")]
    MissingField(String),
    /// A field has a value this crate does not know.
    #[error("unexpected value `{value}` for `{field}`")]
    UnexpectedValue {
        /// The field name.
        field: &'static str,
        /// The value received.
        value: String,
    },
    /// The gateway response has neither the method's node nor `error_response`.
    #[error("the response has no `{0}` (nor `error_response`) node")]
    MissingNode(String),
    /// The gateway response is not shaped as Alipay responses are.
    #[error("malformed response: {0}")]
    MalformedResponse(&'static str),
    /// JSON could not be parsed or produced.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}
