//! Key material: PEM parsing, RSA private and public keys, platform certificates,
//! key generation and random nonces.
//!
//! All cryptography is aws-lc-rs; PEM framing is rustls-pki-types; X.509 parsing is x509-parser.

use std::fmt;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, KeyPair as _, ParsedPublicKey, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, SubjectPublicKeyInfoDer};

use crate::error::{KeyError, VerifyError};

/// An RSA private key that signs with PKCS#1 v1.5 and SHA-256 (WeChat Pay's `SHA256-RSA2048`).
///
/// Loaded from PEM: PKCS#8 (`BEGIN PRIVATE KEY`, what WeChat's certificate tool writes as
/// `apiclient_key.pem`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`). Its `Debug` never shows the key.
pub struct RsaPrivateKey {
    key: RsaKeyPair,
}

impl RsaPrivateKey {
    /// Parses the first private-key PEM section found in `pem`.
    ///
    /// # Errors
    /// [`KeyError::Pem`] when no `PRIVATE KEY` or `RSA PRIVATE KEY` section is found,
    /// [`KeyError::Rejected`] when it is not an RSA key aws-lc-rs accepts.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        const EXPECTED: &str = "PRIVATE KEY or RSA PRIVATE KEY";
        let der = PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|_| KeyError::Pem { expected: EXPECTED })?;
        let key = match der {
            PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
            _ => return Err(KeyError::Rejected),
        }
        .map_err(|_| KeyError::Rejected)?;
        Ok(Self { key })
    }

    /// Signs `message` (RSASSA-PKCS1-v1_5 with SHA-256) and returns the standard base64 signature.
    ///
    /// PKCS#1 v1.5 is deterministic: the same key and message always give the same signature.
    ///
    /// # Panics
    /// Only if aws-lc-rs fails internally on a key it accepted, which it does not do in practice.
    #[must_use]
    pub fn sign_base64(&self, message: &[u8]) -> String {
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(&signature::RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
            .expect("RSA PKCS#1 v1.5 signing with an accepted key");
        STANDARD.encode(sig)
    }

    /// The matching public key, for tests and for a simulator that verifies what it signed.
    ///
    /// # Panics
    /// Only if aws-lc-rs cannot re-encode a public key it derived itself.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        let der = self.key.public_key().as_der().expect("encode RSA public key");
        PublicKey::from_der(der.as_ref()).expect("aws-lc-rs parses its own public key")
    }
}

impl fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RsaPrivateKey(<redacted>)")
    }
}

/// An RSA public key that verifies PKCS#1 v1.5 SHA-256 signatures (2048 to 8192 bits).
///
/// Used for the merchant's key on the provider side and for WeChat Pay's platform keys
/// (from a certificate, or a `pub_key.pem` in public-key mode) on the merchant side.
#[derive(Clone)]
pub struct PublicKey {
    key: ParsedPublicKey,
}

impl PublicKey {
    /// Parses a `BEGIN PUBLIC KEY` (SubjectPublicKeyInfo) PEM section.
    ///
    /// # Errors
    /// [`KeyError::Pem`] without such a section, [`KeyError::Rejected`] if it is not an acceptable RSA key.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let der = SubjectPublicKeyInfoDer::from_pem_slice(pem.as_bytes())
            .map_err(|_| KeyError::Pem { expected: "PUBLIC KEY" })?;
        Self::from_der(der.as_ref())
    }

    /// Parses DER: a SubjectPublicKeyInfo or a PKCS#1 `RSAPublicKey`.
    ///
    /// # Errors
    /// [`KeyError::Rejected`] if it is not an RSA key of 2048 to 8192 bits.
    pub fn from_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der).map_err(|_| KeyError::Rejected)?;
        Ok(Self { key })
    }

    /// Checks a base64 RSASSA-PKCS1-v1_5 SHA-256 `signature` over `message`.
    ///
    /// # Errors
    /// [`VerifyError::BadSignature`] if the signature is not base64 or does not match.
    pub fn verify(&self, message: &[u8], signature: &str) -> Result<(), VerifyError> {
        let sig = STANDARD.decode(signature.trim()).map_err(|_| VerifyError::BadSignature)?;
        self.key.verify_sig(message, &sig).map_err(|_| VerifyError::BadSignature)
    }

    /// The key as a SubjectPublicKeyInfo PEM (`BEGIN PUBLIC KEY`), whatever DER it was loaded from.
    ///
    /// # Panics
    /// Only if aws-lc-rs cannot re-encode a key it parsed.
    #[must_use]
    pub fn to_pem(&self) -> String {
        let der: PublicKeyX509Der<'static> = self.key.as_der().expect("encode SPKI");
        pem_encode("PUBLIC KEY", der.as_ref())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PublicKey(RSA)")
    }
}

/// A parsed platform certificate: its serial (the `Wechatpay-Serial` header value in
/// certificate mode), validity period and public key.
#[derive(Clone, Debug)]
pub struct PlatformCertificate {
    serial_no: String,
    not_before: i64,
    not_after: i64,
    public_key: PublicKey,
}

impl PlatformCertificate {
    /// Parses the first `BEGIN CERTIFICATE` section of `pem` and takes its SubjectPublicKeyInfo.
    ///
    /// # Errors
    /// [`KeyError::Pem`] without a certificate section, [`KeyError::Certificate`] if the X.509 does
    /// not parse, [`KeyError::Rejected`] if its key is not an acceptable RSA key.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let der =
            CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|_| KeyError::Pem { expected: "CERTIFICATE" })?;
        Self::from_der(der.as_ref())
    }

    /// Parses a DER X.509 certificate.
    ///
    /// # Errors
    /// As [`PlatformCertificate::from_pem`], less the PEM case.
    pub fn from_der(der: &[u8]) -> Result<Self, KeyError> {
        let (rest, cert) = x509_parser::parse_x509_certificate(der).map_err(|_| KeyError::Certificate)?;
        if !rest.is_empty() {
            return Err(KeyError::Certificate);
        }
        let public_key = PublicKey::from_der(cert.public_key().raw)?;
        let validity = cert.validity();
        Ok(Self {
            serial_no: serial_hex(cert.tbs_certificate.raw_serial()),
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
            public_key,
        })
    }

    /// The serial number as uppercase hex without leading zero bytes, as WeChat Pay writes it
    /// (for example `5157F09EFDC096DE15EBE81A47057A7232F1B8E1`).
    #[must_use]
    pub fn serial_no(&self) -> &str {
        &self.serial_no
    }

    /// Start of validity, Unix seconds.
    #[must_use]
    pub fn not_before(&self) -> i64 {
        self.not_before
    }

    /// End of validity, Unix seconds.
    #[must_use]
    pub fn not_after(&self) -> i64 {
        self.not_after
    }

    /// Whether `now_unix` lies within the validity period (both ends inclusive).
    #[must_use]
    pub fn is_valid_at(&self, now_unix: i64) -> bool {
        (self.not_before..=self.not_after).contains(&now_unix)
    }

    /// The certificate's public key.
    #[must_use]
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }
}

/// Uppercase hex of a DER INTEGER's content bytes, leading zero bytes dropped (one kept for zero).
fn serial_hex(raw: &[u8]) -> String {
    let start = raw.iter().position(|&b| b != 0).unwrap_or(raw.len().saturating_sub(1));
    raw[start..].iter().map(|b| format!("{b:02X}")).collect()
}

/// Wraps DER in a PEM section with 64-character base64 lines.
fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for (i, c) in b64.chars().enumerate() {
        if i > 0 && i % 64 == 0 {
            out.push('\n');
        }
        out.push(c);
    }
    out.push_str(&format!("\n-----END {label}-----\n"));
    out
}

/// Generates a fresh RSA-2048 key pair and returns `(private PKCS#8 PEM, public SPKI PEM)`.
///
/// For the provider simulator (platform and merchant keys) and for tests; production keys
/// come from WeChat Pay's merchant platform.
///
/// # Panics
/// Only if aws-lc-rs cannot generate or encode a key (its random source failing).
#[must_use]
pub fn generate_rsa_2048() -> (String, String) {
    let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("generate RSA-2048 key");
    let private: Pkcs8V1Der<'static> = pair.as_der().expect("encode PKCS#8");
    let public: PublicKeyX509Der<'static> = pair.public_key().as_der().expect("encode SPKI");
    (pem_encode("PRIVATE KEY", private.as_ref()), pem_encode("PUBLIC KEY", public.as_ref()))
}

const ALNUM: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `len` random characters from `[0-9A-Za-z]`, uniformly distributed (rejection sampling).
///
/// # Panics
/// Only if the system random source fails.
#[must_use]
pub fn random_alnum(len: usize) -> String {
    let rng = SystemRandom::new();
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        rng.fill(&mut buf).expect("system random source");
        // 248 = 4 * 62: bytes at or above it would bias the modulo, so they are skipped.
        for &b in buf.iter().filter(|&&b| b < 248) {
            if out.len() == len {
                break;
            }
            out.push(char::from(ALNUM[usize::from(b % 62)]));
        }
    }
    out
}

/// A 32-character alphanumeric nonce, the length the SDKs use for `nonce_str`, `nonceStr` and
/// `Wechatpay-Nonce`.
#[must_use]
pub fn random_nonce() -> String {
    random_alnum(32)
}

/// A 12-character alphanumeric nonce for `AEAD_AES_256_GCM` resources (GCM takes 12 bytes).
#[must_use]
pub fn random_aead_nonce() -> String {
    random_alnum(12)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_hex_drops_only_leading_zero_bytes() {
        assert_eq!(serial_hex(&[0x00, 0xF5, 0x76, 0x0A]), "F5760A");
        assert_eq!(serial_hex(&[0x0A, 0x00]), "0A00");
        assert_eq!(serial_hex(&[0x00]), "00");
    }

    #[test]
    fn nonces_have_the_right_length_and_alphabet() {
        let n = random_nonce();
        assert_eq!(n.len(), 32);
        assert!(n.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(random_aead_nonce().len(), 12);
        assert_ne!(random_nonce(), random_nonce());
    }

    #[test]
    fn generated_pair_signs_and_verifies_and_debug_hides_the_key() {
        let (private_pem, public_pem) = generate_rsa_2048();
        assert!(private_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(private_pem.lines().all(|l| l.len() <= 64));
        let key = RsaPrivateKey::from_pem(&private_pem).unwrap();
        let public = PublicKey::from_pem(&public_pem).unwrap();
        let sig = key.sign_base64(b"hello");
        public.verify(b"hello", &sig).unwrap();
        assert_eq!(public.verify(b"hellO", &sig), Err(VerifyError::BadSignature));
        assert_eq!(key.public_key().to_pem(), public_pem);
        let debug = format!("{key:?}");
        assert_eq!(debug, "RsaPrivateKey(<redacted>)");
    }

    #[test]
    fn wrong_pem_labels_are_rejected() {
        let (private_pem, public_pem) = generate_rsa_2048();
        assert!(matches!(RsaPrivateKey::from_pem(&public_pem), Err(KeyError::Pem { .. })));
        assert!(matches!(PublicKey::from_pem(&private_pem), Err(KeyError::Pem { .. })));
        assert!(matches!(PlatformCertificate::from_pem(&public_pem), Err(KeyError::Pem { .. })));
        assert_eq!(PublicKey::from_der(b"not a key").unwrap_err(), KeyError::Rejected);
    }
}
