//! WeChat Pay API v3 message formats as pure functions: request signing, response and
//! notification verification, resource decryption, and the JSON bodies.
//!
//! No I/O, no HTTP client, no clock: callers pass timestamps, nonces and raw bodies in, and get
//! strings, header values and verdicts out. Both sides are covered, so the merchant (Sweep) and a
//! provider simulator share one implementation of the formats:
//!
//! | merchant (Sweep)                         | provider (simulator)                       |
//! |------------------------------------------|--------------------------------------------|
//! | [`MerchantSigner::authorization`]        | [`parse_authorization`], [`verify_request`] |
//! | [`PlatformVerifier::verify`]             | [`PlatformSigner::sign_response`]          |
//! | [`decrypt_resource`]                     | [`encrypt_resource`]                       |
//! | [`MerchantSigner::jsapi_pay_params`]     | [`JsapiPayParams::verify`]                 |
//!
//! Cryptography is aws-lc-rs (RSA PKCS#1 v1.5 SHA-256, AES-256-GCM); the tests reproduce the
//! published vectors of WeChat Pay's official SDKs.

#![warn(missing_docs)]

pub mod aead;
pub mod error;
pub mod keys;
pub mod sign;
pub mod types;
pub mod verify;

pub use aead::{AEAD_AES_256_GCM, Resource, decrypt_resource, encrypt_resource};
pub use error::{AeadError, AuthorizationError, KeyError, VerifyError};
pub use keys::{
    PlatformCertificate, PublicKey, RsaPrivateKey, generate_rsa_2048, random_aead_nonce, random_alnum, random_nonce,
};
pub use sign::{
    AUTHORIZATION_SCHEME, Authorization, JsapiPayParams, MerchantSigner, parse_authorization, request_message,
    verify_request,
};
pub use verify::{
    HEADER_NONCE, HEADER_SERIAL, HEADER_SIGNATURE, HEADER_TIMESTAMP, MAX_CLOCK_SKEW_SECS, PUB_KEY_ID_PREFIX,
    PlatformSigner, PlatformVerifier, SIGNTEST_PREFIX, SignedHeaders, check_timestamp, response_message,
};
