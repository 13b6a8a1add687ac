//! Secrets the server makes and checks: password hashes, session tokens, the setup code.

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};
use rand::{Rng, distributions::Alphanumeric};
use sha2::{Digest, Sha256};

/// Password hashing failed, or was refused because too many checks are waiting.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// A broken random source or invalid parameters.
    #[error("password hashing failed: {0}")]
    Failed(String),
    /// [`MAX_WAITING_HASHES`] checks already wait for a place: answer "busy" rather than queue.
    #[error("too many password checks are waiting")]
    Busy,
}

/// An argon2id hash in PHC string form, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError::Failed(e.to_string()))
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

/// Password checks waiting for one of the [`CONCURRENT_HASHES`] places, at most. More are
/// refused at once ([`HashError::Busy`]): a flood then costs its sender a refusal instead of
/// making every other sign-in wait behind it until the request times out.
pub const MAX_WAITING_HASHES: usize = 16;

static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(CONCURRENT_HASHES));

/// Places in the queue, running checks included.
static QUEUE: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(CONCURRENT_HASHES + MAX_WAITING_HASHES)
});

/// Runs an argon2 computation off the async workers, a bounded number at a time, with a
/// bounded queue.
async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashError> {
    let _place = QUEUE.try_acquire().map_err(|_| HashError::Busy)?;
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|e| HashError::Failed(e.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| HashError::Failed(e.to_string()))
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

/// Compares two secrets in time that does not depend on where they differ (`subtle`).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

pub fn random_string(len: usize) -> String {
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_refuses_at_once_instead_of_waiting() {
        // Hold every running place and every waiting place with slow work.
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = std::sync::Arc::new(std::sync::Mutex::new(hold));
        let mut holders = Vec::new();
        for _ in 0..CONCURRENT_HASHES + MAX_WAITING_HASHES {
            let hold = hold.clone();
            holders.push(tokio::spawn(off_thread(move || {
                let _ = hold
                    .lock()
                    .map(|h| h.recv_timeout(std::time::Duration::from_secs(20)));
            })));
        }
        let decoy = decoy_hash().to_string();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let started = std::time::Instant::now();
        let refused = verify_password_async("pw".into(), decoy.clone()).await;
        assert!(matches!(refused, Err(HashError::Busy)), "{refused:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        for _ in 0..holders.len() {
            let _ = release.send(());
        }
        for holder in holders {
            holder.await.expect("join").expect("ran");
        }
        assert!(verify_password_async("pw".into(), decoy).await.is_ok());
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
