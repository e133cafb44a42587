//! Secrets: password hashing (Argon2id), random tokens and their lookup hashes.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Hashes a password with Argon2id (the crate's defaults: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("password hashing failed: {e}"))
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the email is unknown, so both paths cost the same.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not-a-real-password-0").unwrap_or_default())
}

/// 32 random bytes, URL-safe base64 (43 characters).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// The stored form of a high-entropy secret (session token, CSRF token, API key): SHA-256 hex.
/// Such secrets need no slow hash; the digest only keeps the database from holding them.
pub fn lookup_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two hashes in constant time.
pub fn same_hash(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// API keys look like `lk_` + 43 characters; the first 11 are shown as the key's prefix.
pub const API_KEY_PREFIX: &str = "lk_";

/// A new API key secret and its displayable prefix.
pub fn new_api_key() -> (String, String) {
    let secret = format!("{API_KEY_PREFIX}{}", random_token());
    let prefix = secret.chars().take(11).collect();
    (secret, prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_tokens() {
        let h = hash_password("correct-horse-battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct-horse-battery", &h));
        assert!(!verify_password("wrong-horse-battery", &h));
        assert!(!verify_password("x", "not a hash"));
        let (k, p) = new_api_key();
        assert!(k.starts_with("lk_") && k.len() == 46 && k.starts_with(&p));
        assert_ne!(random_token(), random_token());
        assert!(same_hash(&lookup_hash("a"), &lookup_hash("a")));
        assert!(!same_hash(&lookup_hash("a"), &lookup_hash("b")));
    }
}
