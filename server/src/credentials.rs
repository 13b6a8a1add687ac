//! Secrets the server makes and checks: password hashes, session tokens, the setup code.

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};
use rand::{Rng, distributions::Alphanumeric};
use sha2::{Digest, Sha256};

/// Password hashing failed (only on a broken random source or invalid parameters).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// An argon2id hash in PHC string form, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// True when `password` matches the stored PHC hash. A malformed hash never matches.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Password hashes computed at once, at most. Each argon2 run takes about 19 MiB and tens of
/// milliseconds of CPU, and sign-in is public: more at once would only queue on the CPU while
/// holding memory.
const CONCURRENT_HASHES: usize = 2;

static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(CONCURRENT_HASHES));

/// Runs an argon2 computation off the async workers, a bounded number at a time.
async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashError> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|e| HashError(e.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| HashError(e.to_string()))
}

/// [`verify_password`] for request handlers.
pub async fn verify_password_async(
    password: String,
    stored_hash: String,
) -> Result<bool, HashError> {
    off_thread(move || verify_password(&password, &stored_hash)).await
}

/// [`hash_password`] for request handlers.
pub async fn hash_password_async(password: String) -> Result<String, HashError> {
    off_thread(move || hash_password(&password)).await?
}

/// A hash to verify against when the username does not exist, so that a wrong username
/// takes as long as a wrong password (no user enumeration by timing).
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never matches").unwrap_or_default())
}

/// A new random session token (what the cookie carries) and the hash the store keeps.
pub fn new_session_token() -> (String, String) {
    let token = random_string(43);
    let hash = hash_token(&token);
    (token, hash)
}

/// The stored form of a session token: sessions cannot be stolen from a database copy.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A one-time code for first-run setup, easy to copy from a terminal.
pub fn new_setup_code() -> String {
    let raw = random_string(16).to_uppercase();
    format!(
        "{}-{}-{}-{}",
        &raw[0..4],
        &raw[4..8],
        &raw[8..12],
        &raw[12..16]
    )
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn random_string(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_round_trip() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("anything", "not a phc string"));
    }

    #[test]
    fn session_tokens_are_unique_and_stored_hashed() {
        let (a, a_hash) = new_session_token();
        let (b, _) = new_session_token();
        assert_ne!(a, b);
        assert_eq!(a_hash, hash_token(&a));
        assert_ne!(a_hash, a);
        assert_eq!(a_hash.len(), 64);
    }

    #[test]
    fn setup_code_shape_and_comparison() {
        let code = new_setup_code();
        assert_eq!(code.len(), 19);
        assert!(constant_time_eq(&code, &code.clone()));
        assert!(!constant_time_eq(&code, "AAAA-BBBB-CCCC-DDDD"));
        assert!(!constant_time_eq(&code, ""));
    }
}
