//! RSA keys in the shapes merchants paste them, and the RSA2 (SHA256withRSA) primitive.

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::Error;

/// Signs with the merchant's *application private key* ("应用私钥"), RSA2.
///
/// Built from whatever the merchant pasted: the bare base64 PKCS#1 string that Alipay's key
/// tool produces, bare base64 PKCS#8 (what the Java SDK wants), or a PEM of either
/// (`-----BEGIN RSA PRIVATE KEY-----` / `-----BEGIN PRIVATE KEY-----`). The simulator uses
/// the same type for the platform's private key.
///
/// `Debug` prints only the key size, never key material.
pub struct AppSigner {
    key: RsaKeyPair,
}

impl std::fmt::Debug for AppSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppSigner").field("bits", &(self.key.public_modulus_len() * 8)).finish_non_exhaustive()
    }
}

impl AppSigner {
    /// Reads a private key from text: PEM (PKCS#1 or PKCS#8) or bare base64 of either DER.
    ///
    /// Whitespace, line breaks and literal `\n` sequences (keys copied out of JSON or `.env`
    /// files) inside the base64 are ignored. Encrypted keys are refused.
    pub fn from_key_text(text: &str) -> Result<Self, Error> {
        let (label, der) = decode_key_text(text)?;
        match label.as_deref() {
            Some("RSA PRIVATE KEY") => Self::from_pkcs1_der(&der),
            Some("PRIVATE KEY") => Self::from_pkcs8_der(&der),
            Some("ENCRYPTED PRIVATE KEY") => Err(Error::InvalidKey("encrypted keys are refused")),
            Some(_) => Err(Error::InvalidKey("not a private key PEM")),
            None => Self::from_pkcs8_der(&der).or_else(|_| Self::from_pkcs1_der(&der)),
        }
    }

    /// Reads a DER `PrivateKeyInfo` (PKCS#8 v1) holding an RSA key of 2048 to 8192 bits.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, Error> {
        RsaKeyPair::from_pkcs8(der)
            .map(|key| Self { key })
            .map_err(|_| Error::InvalidKey("not an RSA PKCS#8 private key of 2048-8192 bits"))
    }

    /// Reads a DER `RSAPrivateKey` (PKCS#1) of 2048 to 8192 bits.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, Error> {
        RsaKeyPair::from_der(der)
            .map(|key| Self { key })
            .map_err(|_| Error::InvalidKey("not an RSA PKCS#1 private key of 2048-8192 bits"))
    }

    /// Signs the UTF-8 bytes of `content` with SHA256withRSA and returns standard base64.
    pub fn sign(&self, content: &str) -> Result<String, Error> {
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), content.as_bytes(), &mut sig)
            .map_err(|_| Error::Sign)?;
        Ok(STANDARD.encode(sig))
    }

    /// The matching public key (what the merchant uploads to Alipay as "应用公钥").
    pub fn public_key(&self) -> Result<AlipayPublicKey, Error> {
        let der: PublicKeyX509Der<'static> =
            self.key.public_key().as_der().map_err(|_| Error::InvalidKey("cannot encode the public key"))?;
        AlipayPublicKey::from_spki_der(der.as_ref())
    }
}

/// An RSA public key that verifies RSA2 signatures: the *Alipay public key* ("支付宝公钥") on
/// the merchant side, or the merchant's *application public key* on the simulator side.
#[derive(Debug)]
pub struct AlipayPublicKey {
    key: ParsedPublicKey,
}

impl AlipayPublicKey {
    /// Reads a public key from text: bare base64 of an SPKI (what Alipay's console shows),
    /// `-----BEGIN PUBLIC KEY-----` PEM, or `-----BEGIN RSA PUBLIC KEY-----` (PKCS#1) PEM.
    pub fn from_key_text(text: &str) -> Result<Self, Error> {
        let (label, der) = decode_key_text(text)?;
        match label.as_deref() {
            None | Some("PUBLIC KEY") | Some("RSA PUBLIC KEY") => Self::from_spki_der(&der),
            Some("CERTIFICATE") => Err(Error::InvalidKey("certificate mode is not supported: paste the public key")),
            Some(_) => Err(Error::InvalidKey("not a public key PEM")),
        }
    }

    /// Reads a DER `SubjectPublicKeyInfo` (or a DER PKCS#1 `RSAPublicKey`).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, Error> {
        ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der)
            .map(|key| Self { key })
            .map_err(|_| Error::InvalidKey("not an RSA public key"))
    }

    /// Checks that `sign_b64` (standard base64) is an RSA2 signature of `content`'s UTF-8 bytes.
    pub fn verify(&self, content: &str, sign_b64: &str) -> Result<(), Error> {
        if sign_b64.is_empty() {
            return Err(Error::MissingSign);
        }
        let sig = STANDARD.decode(sign_b64).map_err(|_| Error::SignatureEncoding)?;
        self.key.verify_sig(content.as_bytes(), &sig).map_err(|_| Error::BadSignature)
    }

    /// The key as DER `SubjectPublicKeyInfo`.
    pub fn to_spki_der(&self) -> Vec<u8> {
        self.key.as_ref().to_vec()
    }

    /// The key as `-----BEGIN PUBLIC KEY-----` PEM.
    pub fn to_spki_pem(&self) -> String {
        der_to_pem("PUBLIC KEY", self.key.as_ref())
    }

    /// The key as one line of base64, the form Alipay's console shows and accepts.
    pub fn to_bare_base64(&self) -> String {
        to_bare_base64(self.key.as_ref())
    }
}

/// Generates a fresh RSA-2048 key pair and returns `(private PKCS#8 PEM, public SPKI PEM)`.
///
/// For the simulator and tests. The returned private key text is not zeroised on drop.
pub fn generate_rsa_2048() -> Result<(String, String), Error> {
    let key = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| Error::InvalidKey("key generation failed"))?;
    let private: Pkcs8V1Der<'static> = key.as_der().map_err(|_| Error::InvalidKey("cannot encode the private key"))?;
    let public: PublicKeyX509Der<'static> =
        key.public_key().as_der().map_err(|_| Error::InvalidKey("cannot encode the public key"))?;
    Ok((der_to_pem("PRIVATE KEY", private.as_ref()), der_to_pem("PUBLIC KEY", public.as_ref())))
}

/// Renders DER as PEM with the given label and 64-column lines.
pub fn der_to_pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // Base64 output is ASCII, so every 64-byte chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Renders DER as one line of standard base64 (the "bare" form of Alipay's key tool).
pub fn to_bare_base64(der: &[u8]) -> String {
    STANDARD.encode(der)
}

/// Turns a PEM into the bare one-line base64 of its body (`None` if it is not a PEM).
pub fn pem_to_bare_base64(pem: &str) -> Option<String> {
    match decode_key_text(pem) {
        Ok((Some(_), der)) => Some(to_bare_base64(&der)),
        _ => None,
    }
}

/// Splits key text into (PEM label if any, DER bytes).
fn decode_key_text(text: &str) -> Result<(Option<String>, Vec<u8>), Error> {
    let text = text.trim();
    let (label, body) = match text.strip_prefix("-----BEGIN ") {
        Some(rest) => {
            let (label, rest) = rest.split_once("-----").ok_or(Error::InvalidKey("broken PEM header"))?;
            let end = format!("-----END {label}-----");
            let (body, _) =
                rest.split_once(end.as_str()).ok_or(Error::InvalidKey("PEM end line missing or mismatched"))?;
            if body.contains("Proc-Type:") || body.contains("DEK-Info:") {
                return Err(Error::InvalidKey("encrypted keys are refused"));
            }
            (Some(label.to_owned()), body)
        }
        None => (None, text),
    };
    let cleaned: String = body.replace("\\n", "").replace("\\r", "").chars().filter(|c| !c.is_whitespace()).collect();
    if cleaned.is_empty() {
        return Err(Error::InvalidKey("empty key"));
    }
    let der = STANDARD.decode(cleaned.as_bytes()).map_err(|_| Error::InvalidKey("key text is not base64"))?;
    Ok((label, der))
}
