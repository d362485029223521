//! Password hashing (argon2), random tokens and their digests. Tokens are stored
//! only as SHA-256 digests, so a database leak does not hand out sessions.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use sweep_domain::shopper::digits_from_random;

use crate::error::{AppError, AppResult};

/// 32 random bytes, URL-safe base64, with a readable prefix (`sws_` sessions,
/// `swt_` API tokens).
pub fn random_token(prefix: &str) -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// `n` random decimal digits (order numbers, sign-in and pickup codes), without
/// modulo bias.
pub fn random_digits(n: usize) -> AppResult<String> {
    // Each byte yields a digit unless it is one of the 6 in 256 that are skipped, so
    // four bytes a digit leave nothing to chance in practice.
    let mut random = vec![0u8; n.max(8) * 4];
    getrandom::fill(&mut random).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    digits_from_random(&random, n).ok_or_else(|| AppError::Internal("not enough random digits".into()))
}

pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a password on a blocking thread: argon2 is deliberately slow.
pub async fn hash_password(password: &str) -> Result<String, AppError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

pub async fn verify_password(password: &str, hash: &str) -> bool {
    let password = password.to_string();
    let hash = hash.to_string();
    tokio::task::spawn_blocking(move || Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok())
        .await
        .unwrap_or(false)
}

/// A hash of a random password nobody knows, verified when a login names no account
/// so that unknown and known logins take the same time.
pub async fn dummy_hash() -> Result<&'static str, AppError> {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY.get_or_try_init(|| async { hash_password(&random_token("")?).await }).await.map(String::as_str)
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash_password("correct horse battery").await.unwrap();
        let b = hash_password("correct horse battery").await.unwrap();
        assert_ne!(a, b, "salted");
        assert!(verify_password("correct horse battery", &a).await);
        assert!(!verify_password("wrong horse battery", &a).await);
        let dummy = dummy_hash().await.unwrap();
        assert!(dummy.starts_with("$argon2id$"));
        assert!(!verify_password("anything", dummy).await);
        assert!(!verify_password("anything", "garbage").await);
    }

    #[test]
    fn digits_are_random_digits() {
        for n in [6, 8, 10] {
            let d = random_digits(n).unwrap();
            assert!(d.len() == n && d.bytes().all(|b| b.is_ascii_digit()), "{d}");
        }
        assert_ne!(random_digits(10).unwrap(), random_digits(10).unwrap());
    }

    #[test]
    fn tokens_are_random_and_digested() {
        let a = random_token("swt_").unwrap();
        let b = random_token("swt_").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("swt_") && a.len() == 4 + 43);
        assert_eq!(token_digest(&a).len(), 64);
        assert_ne!(token_digest(&a), token_digest(&b));
    }
}
