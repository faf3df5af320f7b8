//! Secrets: random tokens for API access, sessions and CSRF, stored only as SHA-256
//! hashes; passwords hashed with Argon2id off the async runtime.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::StoreError;

/// 32 random bytes as hex, with a prefix telling what the secret is for (`po_` for API
/// tokens), so a leaked token is recognisable in logs and secret scanners.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// SHA-256 of a high-entropy secret. Enough for random tokens (nothing to brute-force), and
/// unlike a password hash it can be looked up by equality.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a password with Argon2id (default parameters) on a blocking thread.
pub async fn hash_password(password: String) -> Result<String, StoreError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Hashing(e.to_string()))
    })
    .await
    .map_err(|e| StoreError::Hashing(e.to_string()))?
}

/// Checks a password against a stored hash on a blocking thread. `None` (a user without a
/// password, or no such user) still spends the time of a verification, so response times
/// do not reveal which e-mail addresses exist.
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool, StoreError> {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let stored = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), stored.as_str())
            .is_ok();
        Ok(ok && known)
    })
    .await
    .map_err(|e| StoreError::Hashing(e.to_string()))?
}

/// An Argon2id hash of a random string, verified against when there is no real hash.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3bCFUOHWzDTyhKLTcoV44wNMiFFGp/lCPlCbC8N2hqY";
