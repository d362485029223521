//! Signed responses and notifications: the provider signs them ([`PlatformSigner`]) and the
//! merchant verifies them ([`PlatformVerifier`]).
//!
//! The signed string is `TIMESTAMP\nNONCE\nRAW_BODY\n`, carried in the `Wechatpay-Timestamp`,
//! `Wechatpay-Nonce`, `Wechatpay-Signature` and `Wechatpay-Serial` headers. The serial is either a
//! platform certificate serial (hex) or, in public-key mode, a `PUB_KEY_ID_...`; a merchant
//! migrating between the two must accept both at once, which is why one verifier holds both kinds.

use std::collections::BTreeMap;

use crate::error::{KeyError, VerifyError};
use crate::keys::{PlatformCertificate, PublicKey, RsaPrivateKey};

/// Header carrying the signed Unix timestamp.
pub const HEADER_TIMESTAMP: &str = "Wechatpay-Timestamp";
/// Header carrying the signed nonce.
pub const HEADER_NONCE: &str = "Wechatpay-Nonce";
/// Header carrying the base64 signature.
pub const HEADER_SIGNATURE: &str = "Wechatpay-Signature";
/// Header naming the platform key: certificate serial or `PUB_KEY_ID_...`.
pub const HEADER_SERIAL: &str = "Wechatpay-Serial";
/// Signatures with this prefix are WeChat Pay's verification probes; they must never verify.
pub const SIGNTEST_PREFIX: &str = "WECHATPAY/SIGNTEST/";
/// Prefix of the key ids of public-key mode.
pub const PUB_KEY_ID_PREFIX: &str = "PUB_KEY_ID_";
/// A timestamp this many seconds or more away from the verifier's clock is rejected.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// The string a platform signs for a response or notification: `TIMESTAMP\nNONCE\nBODY\n`.
#[must_use]
pub fn response_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
    for part in [timestamp.as_bytes(), nonce.as_bytes(), body] {
        m.extend_from_slice(part);
        m.push(b'\n');
    }
    m
}

/// Rejects a signed timestamp 300 s or more away from `now_unix`, in either direction.
///
/// # Errors
/// [`VerifyError::StaleTimestamp`].
pub fn check_timestamp(timestamp: i64, now_unix: i64) -> Result<(), VerifyError> {
    if timestamp.abs_diff(now_unix) >= MAX_CLOCK_SKEW_SECS {
        return Err(VerifyError::StaleTimestamp { timestamp, now: now_unix });
    }
    Ok(())
}

/// The four `Wechatpay-*` headers of a signed response or notification, as received.
///
/// The timestamp stays text: it is signed as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `Wechatpay-Timestamp`: Unix seconds.
    pub timestamp: String,
    /// `Wechatpay-Nonce`.
    pub nonce: String,
    /// `Wechatpay-Signature`: base64.
    pub signature: String,
    /// `Wechatpay-Serial`: certificate serial or `PUB_KEY_ID_...`.
    pub serial: String,
}

impl SignedHeaders {
    /// Picks the four headers out of `(name, value)` pairs, names matched case-insensitively,
    /// values trimmed; the first occurrence of a name wins.
    ///
    /// # Errors
    /// [`VerifyError::MissingHeader`] with the canonical name of the first absent header.
    pub fn from_pairs(headers: &[(String, String)]) -> Result<Self, VerifyError> {
        let find = |name: &'static str| {
            headers
                .iter()
                .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_owned())
                .ok_or(VerifyError::MissingHeader(name))
        };
        Ok(Self {
            timestamp: find(HEADER_TIMESTAMP)?,
            nonce: find(HEADER_NONCE)?,
            signature: find(HEADER_SIGNATURE)?,
            serial: find(HEADER_SERIAL)?,
        })
    }

    /// The headers as `(canonical name, value)` pairs, for a simulator to send.
    #[must_use]
    pub fn to_pairs(&self) -> [(&'static str, String); 4] {
        [
            (HEADER_TIMESTAMP, self.timestamp.clone()),
            (HEADER_NONCE, self.nonce.clone()),
            (HEADER_SIGNATURE, self.signature.clone()),
            (HEADER_SERIAL, self.serial.clone()),
        ]
    }

    /// The signed string for `body` under these headers.
    #[must_use]
    pub fn message(&self, body: &[u8]) -> Vec<u8> {
        response_message(&self.timestamp, &self.nonce, body)
    }

    /// Whether the signature is a `WECHATPAY/SIGNTEST/` probe.
    #[must_use]
    pub fn is_probe(&self) -> bool {
        self.signature.starts_with(SIGNTEST_PREFIX)
    }
}

/// The provider's signing key for responses and notifications (for the simulator).
///
/// `serial` is what goes into `Wechatpay-Serial`: a certificate serial or a `PUB_KEY_ID_...`.
/// `Debug` never shows the key.
#[derive(Debug)]
pub struct PlatformSigner {
    serial: String,
    key: RsaPrivateKey,
}

impl PlatformSigner {
    /// Builds a signer from the serial or public-key id and the private key PEM (PKCS#8 or PKCS#1).
    ///
    /// # Errors
    /// [`KeyError`] when the PEM holds no usable RSA private key.
    pub fn new(serial: impl Into<String>, private_key_pem: &str) -> Result<Self, KeyError> {
        Ok(Self { serial: serial.into(), key: RsaPrivateKey::from_pem(private_key_pem)? })
    }

    /// The `Wechatpay-Serial` value this signer sends.
    #[must_use]
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The public half, which merchants load into a [`PlatformVerifier`].
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// Signs a response or notification body and returns the four headers to send with it.
    #[must_use]
    pub fn sign_response(&self, timestamp: i64, nonce: &str, body: &[u8]) -> SignedHeaders {
        let timestamp = timestamp.to_string();
        let signature = self.key.sign_base64(&response_message(&timestamp, nonce, body));
        SignedHeaders { timestamp, nonce: nonce.to_owned(), signature, serial: self.serial.clone() }
    }
}

#[derive(Clone, Debug)]
enum PlatformKey {
    Certificate(PlatformCertificate),
    PublicKey(PublicKey),
}

/// WeChat Pay's platform keys as a merchant knows them, by `Wechatpay-Serial` value: platform
/// certificates by serial and public-key-mode keys by `PUB_KEY_ID_...`, any number of each.
#[derive(Clone, Debug, Default)]
pub struct PlatformVerifier {
    keys: BTreeMap<String, PlatformKey>,
}

impl PlatformVerifier {
    /// An empty verifier: every signature fails with [`VerifyError::UnknownSerial`].
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a platform certificate (PEM) and returns its serial, uppercase hex. A certificate with
    /// the same serial is replaced.
    ///
    /// # Errors
    /// [`KeyError`] when the PEM is not an X.509 certificate with an RSA key.
    pub fn add_certificate_pem(&mut self, pem: &str) -> Result<String, KeyError> {
        Ok(self.add_certificate(PlatformCertificate::from_pem(pem)?))
    }

    /// Adds an already parsed platform certificate and returns its serial.
    pub fn add_certificate(&mut self, certificate: PlatformCertificate) -> String {
        let serial = certificate.serial_no().to_owned();
        self.keys.insert(serial.clone(), PlatformKey::Certificate(certificate));
        serial
    }

    /// Adds a public-key-mode key (`pub_key.pem`, `BEGIN PUBLIC KEY`) under its id, normally
    /// `PUB_KEY_ID_...` as shown on the merchant platform. A key with the same id is replaced.
    ///
    /// # Errors
    /// [`KeyError`] when the PEM is not an RSA public key.
    pub fn add_public_key_pem(&mut self, id: &str, pem: &str) -> Result<(), KeyError> {
        self.add_public_key(id, PublicKey::from_pem(pem)?);
        Ok(())
    }

    /// Adds a public-key-mode key under its id.
    pub fn add_public_key(&mut self, id: impl Into<String>, key: PublicKey) {
        self.keys.insert(id.into(), PlatformKey::PublicKey(key));
    }

    /// Forgets a certificate or key; returns whether it was there.
    pub fn remove(&mut self, serial_or_id: &str) -> bool {
        self.keys.remove(serial_or_id).is_some()
    }

    /// The serials and ids known, in order.
    pub fn serials(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// The key for a `Wechatpay-Serial` value: exact match, else hex serials compared uppercase.
    fn lookup(&self, serial: &str) -> Option<&PlatformKey> {
        self.keys.get(serial).or_else(|| self.keys.get(&serial.to_ascii_uppercase()))
    }

    /// Verifies a response or notification: the headers as received, the raw body bytes and the
    /// merchant's clock in Unix seconds.
    ///
    /// Checks, in order: not a `WECHATPAY/SIGNTEST/` probe; numeric timestamp less than 300 s from
    /// `now_unix`; serial known; certificate valid at `now_unix` (certificate mode); signature over
    /// `TIMESTAMP\nNONCE\nBODY\n`.
    ///
    /// # Errors
    /// The [`VerifyError`] of the first check that fails.
    pub fn verify(&self, headers: &SignedHeaders, body: &[u8], now_unix: i64) -> Result<(), VerifyError> {
        if headers.is_probe() {
            return Err(VerifyError::SignatureProbe);
        }
        let ts = &headers.timestamp;
        if ts.is_empty() || !ts.bytes().all(|b| b.is_ascii_digit()) {
            return Err(VerifyError::BadTimestamp);
        }
        check_timestamp(ts.parse().map_err(|_| VerifyError::BadTimestamp)?, now_unix)?;
        let key = match self.lookup(&headers.serial) {
            None => return Err(VerifyError::UnknownSerial(headers.serial.clone())),
            Some(PlatformKey::Certificate(cert)) if !cert.is_valid_at(now_unix) => {
                return Err(VerifyError::CertificateNotValid(cert.serial_no().to_owned()));
            }
            Some(PlatformKey::Certificate(cert)) => cert.public_key(),
            Some(PlatformKey::PublicKey(key)) => key,
        };
        key.verify(&headers.message(body), &headers.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_skew_limit_is_exclusive_at_300_seconds() {
        assert_eq!(check_timestamp(1_000, 1_299), Ok(()));
        assert_eq!(check_timestamp(1_299, 1_000), Ok(()));
        assert!(check_timestamp(1_000, 1_300).is_err());
        assert!(check_timestamp(1_300, 1_000).is_err());
        assert!(check_timestamp(i64::MIN, i64::MAX).is_err());
    }

    #[test]
    fn headers_are_picked_case_insensitively() {
        let pairs: Vec<(String, String)> = [
            ("content-type", "application/json"),
            ("WECHATPAY-TIMESTAMP", " 1 "),
            ("wechatpay-nonce", "n"),
            ("Wechatpay-Signature", "s"),
            ("wechatpay-serial", "PUB_KEY_ID_1"),
            ("wechatpay-serial", "second"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let h = SignedHeaders::from_pairs(&pairs).unwrap();
        assert_eq!(
            h,
            SignedHeaders {
                timestamp: "1".into(),
                nonce: "n".into(),
                signature: "s".into(),
                serial: "PUB_KEY_ID_1".into()
            }
        );
        assert_eq!(h.message(b"{}"), b"1\nn\n{}\n");
        assert_eq!(SignedHeaders::from_pairs(&pairs[..4]), Err(VerifyError::MissingHeader(HEADER_SERIAL)));
        let names: Vec<_> = h.to_pairs().iter().map(|(k, _)| *k).collect();
        assert_eq!(names, [HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE, HEADER_SERIAL]);
    }
}
