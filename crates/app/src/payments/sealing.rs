//! Sealing merchants' payment secrets at rest: AES-256-GCM under the deployment's
//! secrets key, with the merchant and provider as associated data, so a sealed value
//! copied onto another merchant's row does not open.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::{AppError, AppResult};

const VERSION: &str = "v1";

/// The deployment's secrets key. Its `Debug` shows only a fingerprint.
pub struct SecretBox {
    key: LessSafeKey,
    /// The first bytes of the key's SHA-256, stored with every sealed value, so a value
    /// sealed under another key is named as such instead of failing obscurely.
    key_id: String,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl SecretBox {
    /// From 32 key bytes.
    pub fn new(key: &[u8]) -> AppResult<SecretBox> {
        let unbound = UnboundKey::new(&AES_256_GCM, key)
            .map_err(|_| AppError::Internal("the secrets key must be 32 bytes".into()))?;
        let key_id = hex::encode(&Sha256::digest(key)[..4]);
        Ok(SecretBox { key: LessSafeKey::new(unbound), key_id })
    }

    /// From the text of a key file: 32 bytes in standard base64 (what
    /// [`SecretBox::generate_key_text`] writes).
    pub fn from_key_text(text: &str) -> AppResult<SecretBox> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| AppError::Internal("the secrets key file is not base64".into()))?;
        SecretBox::new(&bytes)
    }

    /// A fresh key as key-file text.
    pub fn generate_key_text() -> AppResult<String> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
        Ok(STANDARD.encode(key))
    }

    /// `v1:<key id>:<base64 of nonce || ciphertext || tag>`.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> AppResult<String> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
        let mut sealed = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(context.as_bytes()), &mut sealed)
            .map_err(|_| AppError::Internal("sealing failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{VERSION}:{}:{}", self.key_id, STANDARD.encode(out)))
    }

    pub fn open(&self, sealed: &str, context: &str) -> AppResult<Vec<u8>> {
        let mut parts = sealed.splitn(3, ':');
        let (Some(VERSION), Some(key_id), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(AppError::Internal("a sealed secret in an unknown format".into()));
        };
        if key_id != self.key_id {
            return Err(AppError::Internal(format!(
                "a secret sealed under key {key_id}, but this server has key {}",
                self.key_id
            )));
        }
        let data = STANDARD.decode(data).map_err(|_| AppError::Internal("a sealed secret is not base64".into()))?;
        if data.len() < NONCE_LEN {
            return Err(AppError::Internal("a sealed secret is truncated".into()));
        }
        let (nonce, ciphertext) = data.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| AppError::Internal("bad nonce".into()))?;
        let mut buffer = ciphertext.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buffer)
            .map_err(|_| AppError::Internal("a sealed secret does not open with this key".into()))?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let secrets = SecretBox::from_key_text(&SecretBox::generate_key_text().unwrap()).unwrap();
        let sealed = secrets.seal(b"-----BEGIN PRIVATE KEY-----", "m1/wechatpay").unwrap();
        assert!(!sealed.contains("PRIVATE"));
        assert_eq!(secrets.open(&sealed, "m1/wechatpay").unwrap(), b"-----BEGIN PRIVATE KEY-----");
        assert!(secrets.open(&sealed, "m2/wechatpay").is_err(), "bound to its merchant");
        let other = SecretBox::new(&[7u8; 32]).unwrap();
        let err = other.open(&sealed, "m1/wechatpay").unwrap_err().to_string();
        assert!(err.contains("sealed under key"), "{err}");
        let mut tampered = sealed.clone();
        tampered.replace_range(sealed.len() - 4.., "AAAA");
        assert!(secrets.open(&tampered, "m1/wechatpay").is_err());
        // Two seals of one value differ (fresh nonces).
        assert_ne!(secrets.seal(b"x", "c").unwrap(), secrets.seal(b"x", "c").unwrap());
        assert!(!format!("{secrets:?}").contains(&STANDARD.encode([7u8; 32])));
    }
}
