//! `AEAD_AES_256_GCM` resources: the encrypted payload of notifications and of the
//! platform-certificate download.
//!
//! Key = the 32 ASCII bytes of the merchant's APIv3 key; nonce (12 bytes) and associated data are
//! their ASCII bytes; `ciphertext` is base64 of the GCM ciphertext followed by its 16-byte tag.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::error::AeadError;

/// The only algorithm API v3 uses for resources.
pub const AEAD_AES_256_GCM: &str = "AEAD_AES_256_GCM";

const TAG_LEN: usize = 16;

/// An encrypted resource as it appears in JSON (`resource` of a notification,
/// `encrypt_certificate` of a certificate download).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// The type of the plaintext, e.g. `transaction` or `refund`; absent for certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_type: Option<String>,
    /// Always [`AEAD_AES_256_GCM`].
    pub algorithm: String,
    /// Base64 of ciphertext followed by the 16-byte tag.
    pub ciphertext: String,
    /// Associated data (ASCII), e.g. `transaction`, `refund` or `certificate`; may be empty.
    #[serde(default)]
    pub associated_data: String,
    /// The 12-character nonce.
    pub nonce: String,
}

fn key(api_v3_key: &str) -> Result<LessSafeKey, AeadError> {
    if api_v3_key.len() != 32 {
        return Err(AeadError::KeyLength);
    }
    let unbound = UnboundKey::new(&AES_256_GCM, api_v3_key.as_bytes()).map_err(|_| AeadError::KeyLength)?;
    Ok(LessSafeKey::new(unbound))
}

fn nonce(nonce: &str) -> Result<Nonce, AeadError> {
    Nonce::try_assume_unique_for_key(nonce.as_bytes()).map_err(|_| AeadError::NonceLength)
}

/// Decrypts a resource with the APIv3 key (which must be exactly 32 bytes) and returns the plaintext,
/// normally JSON (a transaction or refund) or a certificate PEM.
///
/// # Errors
/// [`AeadError`]: wrong key length or algorithm, bad nonce or base64, or authentication failure.
pub fn decrypt_resource(api_v3_key: &str, resource: &Resource) -> Result<Vec<u8>, AeadError> {
    if resource.algorithm != AEAD_AES_256_GCM {
        return Err(AeadError::Algorithm(resource.algorithm.clone()));
    }
    let key = key(api_v3_key)?;
    let nonce = nonce(&resource.nonce)?;
    let mut data = STANDARD.decode(resource.ciphertext.trim()).map_err(|_| AeadError::Ciphertext)?;
    if data.len() < TAG_LEN {
        return Err(AeadError::Ciphertext);
    }
    let plaintext_len = key
        .open_in_place(nonce, Aad::from(resource.associated_data.as_bytes()), &mut data)
        .map_err(|_| AeadError::Decrypt)?
        .len();
    data.truncate(plaintext_len);
    Ok(data)
}

/// Encrypts `plaintext` into a resource (provider side, and tests). `original_type` is left unset;
/// set it for notifications.
///
/// The nonce must be 12 bytes and never reused with the same key: use [`crate::random_aead_nonce`].
///
/// # Errors
/// [`AeadError::KeyLength`] or [`AeadError::NonceLength`].
pub fn encrypt_resource(
    api_v3_key: &str,
    nonce_str: &str,
    associated_data: &str,
    plaintext: &[u8],
) -> Result<Resource, AeadError> {
    let key = key(api_v3_key)?;
    let nonce = nonce(nonce_str)?;
    let mut data = plaintext.to_vec();
    key.seal_in_place_append_tag(nonce, Aad::from(associated_data.as_bytes()), &mut data)
        .map_err(|_| AeadError::Decrypt)?;
    Ok(Resource {
        original_type: None,
        algorithm: AEAD_AES_256_GCM.to_owned(),
        ciphertext: STANDARD.encode(&data),
        associated_data: associated_data.to_owned(),
        nonce: nonce_str.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn round_trip_and_input_checks() {
        let r = encrypt_resource(KEY, "abcdefghijkl", "transaction", b"{}").unwrap();
        assert_eq!(decrypt_resource(KEY, &r).unwrap(), b"{}");
        assert_eq!(encrypt_resource("short", "abcdefghijkl", "", b"").unwrap_err(), AeadError::KeyLength);
        assert_eq!(encrypt_resource(KEY, "abc", "", b"").unwrap_err(), AeadError::NonceLength);
        let bad_alg = Resource { algorithm: "AEAD_SM4_GCM".into(), ..r.clone() };
        assert_eq!(decrypt_resource(KEY, &bad_alg).unwrap_err(), AeadError::Algorithm("AEAD_SM4_GCM".into()));
        let short = Resource { ciphertext: STANDARD.encode([0u8; 15]), ..r.clone() };
        assert_eq!(decrypt_resource(KEY, &short).unwrap_err(), AeadError::Ciphertext);
        let not_b64 = Resource { ciphertext: "not base64!".into(), ..r };
        assert_eq!(decrypt_resource(KEY, &not_b64).unwrap_err(), AeadError::Ciphertext);
    }
}
