//! The crate's errors: small, stable enums that callers can match on.
//!
//! Each names what went wrong, never the secret involved (no key bytes, no plaintext).

use thiserror::Error;

/// Why a key, public key or certificate could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// The text holds no PEM section with an accepted label (for example `PRIVATE KEY`,
    /// `RSA PRIVATE KEY`, `PUBLIC KEY` or `CERTIFICATE`), or the PEM is malformed.
    #[error("no PEM section labelled {expected}")]
    Pem {
        /// The label or labels that were looked for.
        expected: &'static str,
    },
    /// The DER inside the PEM is not an RSA key of an accepted size (2048 to 8192 bits).
    #[error("not an acceptable RSA key")]
    Rejected,
    /// The certificate is not valid X.509 DER.
    #[error("not a parseable X.509 certificate")]
    Certificate,
}

/// Why a signature, or the headers carrying it, did not verify.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VerifyError {
    /// A required `Wechatpay-*` header was absent (its canonical name is given).
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// The timestamp is not a decimal number of seconds.
    #[error("timestamp is not a number")]
    BadTimestamp,
    /// The timestamp is 300 s or more away from the verifier's clock (either direction).
    #[error("timestamp {timestamp} is too far from now ({now})")]
    StaleTimestamp {
        /// The signed timestamp.
        timestamp: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// The signature is one of WeChat Pay's deliberate `WECHATPAY/SIGNTEST/` probes; treat it as a failure.
    #[error("signature is a WECHATPAY/SIGNTEST/ probe")]
    SignatureProbe,
    /// No platform certificate or public key is known under this serial or `PUB_KEY_ID_...`.
    #[error("unknown platform serial {0}")]
    UnknownSerial(String),
    /// The platform certificate with this serial is outside its validity period at the given time.
    #[error("platform certificate {0} is not valid at this time")]
    CertificateNotValid(String),
    /// The signature is not base64, or does not match the message and key.
    #[error("bad signature")]
    BadSignature,
}

/// Why an `Authorization` header value could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthorizationError {
    /// The scheme is not `WECHATPAY2-SHA256-RSA2048`.
    #[error("unsupported authorization scheme")]
    Scheme,
    /// A parameter is not of the form `key="value"`, or appears twice.
    #[error("malformed authorization parameters")]
    Malformed,
    /// A required parameter is absent.
    #[error("missing authorization parameter {0}")]
    Missing(&'static str),
    /// The `timestamp` parameter is not a decimal number.
    #[error("authorization timestamp is not a number")]
    BadTimestamp,
}

/// Why an `AEAD_AES_256_GCM` resource could not be encrypted or decrypted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AeadError {
    /// The APIv3 key is not exactly 32 bytes.
    #[error("APIv3 key must be 32 bytes")]
    KeyLength,
    /// The resource names an algorithm other than `AEAD_AES_256_GCM`.
    #[error("unsupported algorithm {0}")]
    Algorithm(String),
    /// The nonce is not exactly 12 bytes.
    #[error("nonce must be 12 bytes")]
    NonceLength,
    /// The ciphertext is not base64, or is shorter than the 16-byte tag.
    #[error("ciphertext is not base64 of ciphertext and tag")]
    Ciphertext,
    /// Authentication failed: wrong key, nonce or associated data, or tampered ciphertext.
    #[error("decryption failed")]
    Decrypt,
}
