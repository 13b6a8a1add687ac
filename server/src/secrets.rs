//! Secrets at rest: OAuth tokens are encrypted with AES-256-GCM before they reach the
//! database.
//!
//! The key comes from `--encryption-key` / `ORGSYNC_ENCRYPTION_KEY` (32 bytes, base64), or is
//! generated once into `<data-dir>/encryption.key` with 0600 permissions. Each value gets a
//! fresh random nonce, and the row and column it belongs to are bound in as associated
//! data, so a ciphertext copied into another row or organization does not decrypt.
//! Stored form: `v1:` + base64(nonce ‖ ciphertext ‖ tag).

use std::{fmt, path::Path};

use aes_gcm::{
    Aes256Gcm, Key, KeyInit, Nonce,
    aead::{Aead, AeadCore, OsRng, Payload},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use secrecy::{ExposeSecret, SecretString};

const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;
pub const KEY_FILE: &str = "encryption.key";

/// Why a secret could not be encrypted, decrypted or the key loaded.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the encryption key must be 32 bytes, base64-encoded")]
    BadKey,
    #[error("cannot read or create the encryption key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error("a stored secret cannot be decrypted (wrong encryption key, or the value was altered)")]
    Undecryptable,
    #[error("encryption failed")]
    Encrypt,
}

/// Encrypts and decrypts stored secrets.
#[derive(Clone)]
pub struct Cipher {
    aead: Aes256Gcm,
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cipher([key redacted])")
    }
}

/// What a secret belongs to, bound into its ciphertext (e.g. `oauth_tokens.access/org-3`).
pub struct SecretContext<'a> {
    pub column: &'a str,
    pub organization_id: i64,
}

impl SecretContext<'_> {
    fn associated_data(&self) -> Vec<u8> {
        format!("orgsync/{}/org-{}", self.column, self.organization_id).into_bytes()
    }
}

impl Cipher {
    /// A cipher from a base64-encoded 32-byte key.
    pub fn from_base64_key(key: &SecretString) -> Result<Self, SecretError> {
        let bytes = STANDARD
            .decode(key.expose_secret().trim())
            .map_err(|_| SecretError::BadKey)?;
        if bytes.len() != 32 {
            return Err(SecretError::BadKey);
        }
        Ok(Cipher {
            aead: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)),
        })
    }

    /// The configured key, or the one in `<data_dir>/encryption.key` (created on first use
    /// with 0600 permissions).
    pub fn load_or_create(
        configured: Option<&SecretString>,
        data_dir: &Path,
    ) -> Result<Self, SecretError> {
        if let Some(key) = configured {
            return Self::from_base64_key(key);
        }
        let path = data_dir.join(KEY_FILE);
        let key_file_error = |source| SecretError::KeyFile {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_base64_key(&SecretString::from(text)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = Aes256Gcm::generate_key(OsRng);
                let encoded = STANDARD.encode(key);
                write_private(&path, &encoded).map_err(key_file_error)?;
                tracing::info!(path = %path.display(), "generated a new encryption key for stored secrets");
                Self::from_base64_key(&SecretString::from(encoded))
            }
            Err(error) => Err(key_file_error(error)),
        }
    }

    pub fn encrypt(
        &self,
        plaintext: &SecretString,
        context: &SecretContext<'_>,
    ) -> Result<String, SecretError> {
        let nonce = Aes256Gcm::generate_nonce(OsRng);
        let aad = context.associated_data();
        let ciphertext = self
            .aead
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.expose_secret().as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| SecretError::Encrypt)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ciphertext);
        Ok(format!("{PREFIX}{}", STANDARD.encode(blob)))
    }

    pub fn decrypt(
        &self,
        stored: &str,
        context: &SecretContext<'_>,
    ) -> Result<SecretString, SecretError> {
        let blob = stored
            .strip_prefix(PREFIX)
            .and_then(|b| STANDARD.decode(b).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or(SecretError::Undecryptable)?;
        let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
        let aad = context.associated_data();
        let plaintext = self
            .aead
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| SecretError::Undecryptable)?;
        String::from_utf8(plaintext)
            .map(SecretString::from)
            .map_err(|_| SecretError::Undecryptable)
    }
}

/// Writes a new file readable by its owner only (created with 0600, never widened).
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCESS: SecretContext<'static> = SecretContext {
        column: "oauth_tokens.access",
        organization_id: 1,
    };

    fn cipher() -> Cipher {
        Cipher::from_base64_key(&SecretString::from(STANDARD.encode([7u8; 32]))).unwrap()
    }

    #[test]
    fn round_trips_with_a_fresh_nonce_each_time() {
        let cipher = cipher();
        let secret = SecretString::from("00Dxx!AQ.access-token");
        let a = cipher.encrypt(&secret, &ACCESS).unwrap();
        let b = cipher.encrypt(&secret, &ACCESS).unwrap();
        assert_ne!(a, b, "same plaintext, different ciphertexts");
        assert!(!a.contains("access-token"));
        assert_eq!(
            cipher.decrypt(&a, &ACCESS).unwrap().expose_secret(),
            "00Dxx!AQ.access-token"
        );
    }

    #[test]
    fn a_tampered_ciphertext_is_refused() {
        let cipher = cipher();
        let stored = cipher
            .encrypt(&SecretString::from("token"), &ACCESS)
            .unwrap();
        let mut blob = STANDARD.decode(&stored[PREFIX.len()..]).unwrap();
        let last = blob.len() - 1;
        blob[last] ^= 0x01;
        let tampered = format!("{PREFIX}{}", STANDARD.encode(&blob));
        assert!(matches!(
            cipher.decrypt(&tampered, &ACCESS),
            Err(SecretError::Undecryptable)
        ));
        assert!(cipher.decrypt("v1:", &ACCESS).is_err());
        assert!(cipher.decrypt("plain-token", &ACCESS).is_err());
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_or_key_is_refused() {
        let cipher = cipher();
        let stored = cipher
            .encrypt(&SecretString::from("token"), &ACCESS)
            .unwrap();
        let other_org = SecretContext {
            column: "oauth_tokens.access",
            organization_id: 2,
        };
        let other_column = SecretContext {
            column: "oauth_tokens.refresh",
            organization_id: 1,
        };
        assert!(cipher.decrypt(&stored, &other_org).is_err());
        assert!(cipher.decrypt(&stored, &other_column).is_err());
        let other_key =
            Cipher::from_base64_key(&SecretString::from(STANDARD.encode([8u8; 32]))).unwrap();
        assert!(other_key.decrypt(&stored, &ACCESS).is_err());
    }

    #[test]
    fn keys_must_be_32_bytes() {
        assert!(Cipher::from_base64_key(&SecretString::from("c2hvcnQ=")).is_err());
        assert!(Cipher::from_base64_key(&SecretString::from("not base64!")).is_err());
    }

    #[test]
    fn the_generated_key_file_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = Cipher::load_or_create(None, dir.path()).unwrap();
        let stored = first.encrypt(&SecretString::from("t"), &ACCESS).unwrap();
        let second = Cipher::load_or_create(None, dir.path()).unwrap();
        assert_eq!(
            second.decrypt(&stored, &ACCESS).unwrap().expose_secret(),
            "t"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
