//! Secrets at rest: OAuth tokens are encrypted with AES-256-GCM before they reach the
//! database.
//!
//! The key (32 bytes, base64) comes from `--encryption-key-file` / `ORGSYNC_ENCRYPTION_KEY_FILE`,
//! from `--encryption-key` / `ORGSYNC_ENCRYPTION_KEY`, or is generated once into
//! `<data-dir>/encryption.key` with 0600 permissions. A key file that other users may read or
//! change stops start-up. Each value gets a fresh random nonce, and the organization and column
//! it belongs to are bound in as associated data, so a ciphertext copied into another
//! organization or column does not decrypt. The row is not bound: a ciphertext moved between
//! two token rows of the same organization and column would decrypt (only someone who can
//! write the database could move it; binding the row id would need the id before the insert).
//! Stored form: `v1:` + base64(nonce ‖ ciphertext ‖ tag).

use std::{
    fmt,
    path::{Path, PathBuf},
};

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
    #[error(
        "the encryption key file {path} can be read or changed by other users (mode {mode:o}): run `chmod 600 {path}`"
    )]
    KeyFileExposed { path: String, mode: u32 },
    #[error("a stored secret cannot be decrypted (wrong encryption key, or the value was altered)")]
    Undecryptable,
    #[error("encryption failed")]
    Encrypt,
}

/// Where a configured key comes from (without one, the data directory's key file is used).
#[derive(Debug, Clone)]
pub enum KeySource {
    /// `--encryption-key` / `ORGSYNC_ENCRYPTION_KEY`.
    Given(SecretString),
    /// `--encryption-key-file` / `ORGSYNC_ENCRYPTION_KEY_FILE`: an existing file, owner-only.
    File(PathBuf),
}

impl KeySource {
    /// The key source the command line asks for (clap refuses both at once).
    pub fn from_args(args: &crate::cli::ServeArgs) -> Option<Self> {
        match (&args.encryption_key_file, &args.encryption_key) {
            (Some(path), _) => Some(KeySource::File(path.clone())),
            (None, Some(key)) => Some(KeySource::Given(SecretString::from(key.clone()))),
            (None, None) => None,
        }
    }
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

/// What a secret belongs to, bound into its ciphertext (e.g. `oauth_tokens.access/org-3`): the
/// organization and the column, not the row.
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
    /// with 0600 permissions). A key file other users may access is refused.
    pub fn load_or_create(
        configured: Option<&KeySource>,
        data_dir: &Path,
    ) -> Result<Self, SecretError> {
        match configured {
            Some(KeySource::Given(key)) => return Self::from_base64_key(key),
            Some(KeySource::File(path)) => return Self::from_key_file(path),
            None => {}
        }
        let path = data_dir.join(KEY_FILE);
        let key_file_error = |source| SecretError::KeyFile {
            path: path.display().to_string(),
            source,
        };
        match std::fs::metadata(&path) {
            Ok(_) => Self::from_key_file(&path),
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

    /// The key in an existing file that only its owner may read or change.
    fn from_key_file(path: &Path) -> Result<Self, SecretError> {
        let key_file_error = |source| SecretError::KeyFile {
            path: path.display().to_string(),
            source,
        };
        let metadata = std::fs::metadata(path).map_err(key_file_error)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(SecretError::KeyFileExposed {
                    path: path.display().to_string(),
                    mode,
                });
            }
        }
        #[cfg(not(unix))]
        let _ = metadata;
        let text = std::fs::read_to_string(path).map_err(key_file_error)?;
        Self::from_base64_key(&SecretString::from(text))
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
    fn a_ciphertext_moved_to_another_organization_column_or_key_is_refused() {
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

    /// The issue: a key file readable by others was used as it was.
    #[cfg(unix)]
    #[test]
    fn a_key_file_other_users_can_read_stops_start_up_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        Cipher::load_or_create(None, dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = Cipher::load_or_create(None, dir.path()).unwrap_err();
        assert!(
            matches!(error, SecretError::KeyFileExposed { mode: 0o644, .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains(&format!("chmod 600 {}", path.display())),
            "{message}"
        );
        // The same check for a key file given with --encryption-key-file.
        let given = KeySource::File(path.clone());
        assert!(Cipher::load_or_create(Some(&given), Path::new("/nonexistent")).is_err());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(Cipher::load_or_create(Some(&given), Path::new("/nonexistent")).is_ok());
    }

    #[test]
    fn a_key_file_given_on_the_command_line_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let missing = KeySource::File(dir.path().join("no-such.key"));
        assert!(matches!(
            Cipher::load_or_create(Some(&missing), dir.path()),
            Err(SecretError::KeyFile { .. })
        ));
        assert!(
            !dir.path().join(KEY_FILE).exists(),
            "no key is generated when a key file is configured"
        );
    }

    #[test]
    fn a_key_given_as_a_value_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let given = KeySource::Given(SecretString::from(STANDARD.encode([7u8; 32])));
        let from_value = Cipher::load_or_create(Some(&given), dir.path()).unwrap();
        let stored = cipher().encrypt(&SecretString::from("t"), &ACCESS).unwrap();
        assert_eq!(
            from_value
                .decrypt(&stored, &ACCESS)
                .unwrap()
                .expose_secret(),
            "t"
        );
    }
}
