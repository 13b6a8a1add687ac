//! Sign-in, sign-out, sessions and first-run setup.

use std::{net::IpAddr, path::Path, time::Duration};

use app::{
    ssr::{Caller, SignedInUser},
    types::{FormError, INTEGRATIONS_FLAG, MIN_PASSWORD_LEN},
};
use chrono::Utc;

use super::{
    Console, SetupCode,
    auth_limits::{BUSY_RETRY_AFTER, Limited},
    pages::role_of,
};
use crate::credentials;

/// How long a session lasts after sign-in, however busy (the absolute timeout).
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// A session unused for this long ends (the idle timeout): an unattended browser is signed
/// out after two hours, well before [`SESSION_TTL`].
pub const SESSION_IDLE_TIMEOUT: Duration = Duration::from_secs(2 * 60 * 60);

/// `last_seen_at` is written at most this often per session (not one write per request).
pub const LAST_SEEN_RESOLUTION: Duration = Duration::from_secs(60);

/// A session just created: the token goes into the cookie, never into the store.
pub struct NewSession {
    pub token: String,
}

/// The first-run form as posted.
#[derive(Debug, serde::Deserialize)]
pub struct SetupForm {
    pub setup_code: String,
    pub organization: String,
    pub username: String,
    pub password: String,
    pub confirm: String,
}

/// One sign-in attempt as posted, with where it came from.
pub struct SignInAttempt<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// The client's address (the TCP peer; proxies' headers are not trusted).
    pub client: Option<IpAddr>,
    /// The session cookie the browser already carried: ended on success (no session fixation).
    pub previous_token: Option<&'a str>,
}

/// Why a sign-in or setup was refused, and when throttled, how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub error: FormError,
    pub retry_after: Option<Duration>,
}

impl From<FormError> for Refusal {
    fn from(error: FormError) -> Self {
        Refusal {
            error,
            retry_after: None,
        }
    }
}

impl From<Limited> for Refusal {
    fn from(limited: Limited) -> Self {
        match limited {
            Limited::Failures(retry_after) => Refusal {
                error: FormError::TooManyAttempts,
                // Whole seconds, rounded up, at least one.
                retry_after: Some(
                    Duration::from_secs(
                        retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0),
                    )
                    .max(BUSY_RETRY_AFTER),
                ),
            },
            Limited::Busy => Refusal {
                error: FormError::Busy,
                retry_after: Some(BUSY_RETRY_AFTER),
            },
        }
    }
}

impl Console {
    /// Checks the credentials and opens a session. Failures are logged and throttled per
    /// username and per client address (see [`super::auth_limits`]).
    pub async fn sign_in(&self, attempt: SignInAttempt<'_>) -> Result<NewSession, Refusal> {
        let username = attempt.username.trim();
        let _place = self.limits.admit_sign_in(username, attempt.client)?;
        let user = store::users::find_by_username(&self.db, username)
            .await
            .map_err(log_internal)?;
        // Without the user, the same work against a decoy, so timing does not reveal which
        // usernames exist.
        let (user_id, disabled, stored_hash) = match user {
            Some(user) => (
                Some(user.id),
                user.disabled_at.is_some(),
                user.password_hash,
            ),
            None => (None, false, credentials::decoy_hash().to_string()),
        };
        let matches = match credentials::verify_password_async(
            attempt.password.to_string(),
            stored_hash,
        )
        .await
        {
            Ok(matches) => matches,
            Err(credentials::HashError::Busy) => {
                tracing::warn!(username = ?username, "sign-in refused: too many password checks waiting");
                return Err(Limited::Busy.into());
            }
            Err(error) => return Err(log_internal(error).into()),
        };
        if disabled && matches {
            // The same answer as a wrong password: a disabled account is not for signing in.
            tracing::warn!(username = ?username, "sign-in refused: the account is disabled");
            return Err(FormError::InvalidCredentials.into());
        }
        match user_id {
            Some(user_id) if matches => {
                self.limits.sign_in_succeeded(username);
                if let Some(previous) = attempt.previous_token {
                    self.sign_out(previous).await;
                }
                Ok(self.open_session(user_id).await?)
            }
            _ => {
                self.limits.sign_in_failed(username, attempt.client);
                Err(FormError::InvalidCredentials.into())
            }
        }
    }

    /// Ends the session carried by `token` (unknown tokens are ignored).
    pub async fn sign_out(&self, token: &str) {
        if let Err(error) = store::sessions::delete(&self.db, &credentials::hash_token(token)).await
        {
            tracing::error!(?error, "could not delete a session");
        }
    }

    /// Who holds `token`: a signed-in user, or anonymous for a missing, unknown, expired or
    /// idle one, or one whose user was disabled.
    pub async fn resolve(&self, token: Option<&str>) -> Caller {
        let Some(token) = token else {
            return Caller::Anonymous;
        };
        let now = Utc::now();
        let found = store::sessions::find_active(
            &self.db,
            &credentials::hash_token(token),
            now,
            now - delta(SESSION_IDLE_TIMEOUT),
        )
        .await;
        match found {
            Ok(Some((session, user, org))) => {
                let last_seen = session.last_seen_at.unwrap_or(session.created_at);
                if now - last_seen >= delta(LAST_SEEN_RESOLUTION)
                    && let Err(error) = store::sessions::touch(&self.db, session.id, now).await
                {
                    tracing::warn!(?error, "could not record a session's last use");
                }
                Caller::User(SignedInUser {
                    session_id: session.id,
                    user_id: user.id,
                    organization_id: org.id,
                    username: user.username,
                    role: role_of(&user.role),
                })
            }
            Ok(None) => Caller::Anonymous,
            Err(error) => {
                tracing::error!(?error, "could not look up a session");
                Caller::Anonymous
            }
        }
    }

    /// True while no user exists: the first-run page is open.
    pub async fn needs_setup(&self) -> bool {
        let mut setup = self.setup.lock().await;
        self.close_setup_if_users_exist(&mut setup).await;
        setup.is_some()
    }

    /// Users may also be created from the command line while the server runs: once any user
    /// exists, the setup code is spent and its file removed.
    async fn close_setup_if_users_exist(&self, setup: &mut Option<SetupCode>) {
        if setup.is_none() {
            return;
        }
        match store::users::count(&self.db).await {
            Ok(0) => {}
            Ok(_) => {
                if let Some(spent) = setup.take() {
                    let _ = std::fs::remove_file(&spent.file);
                }
            }
            Err(error) => tracing::error!(?error, "could not count users"),
        }
    }

    /// At start-up: when the store has no user, make a one-time setup code and write it to
    /// `<data_dir>/setup-code` (owner-only). The code is never logged.
    pub async fn prepare_first_run(&self, data_dir: &Path) -> anyhow::Result<()> {
        let users = store::users::count(&self.db).await?;
        let file = data_dir.join("setup-code");
        if users > 0 {
            let _ = std::fs::remove_file(&file);
            return Ok(());
        }
        let code = credentials::new_setup_code();
        write_private(&file, &format!("{code}\n"))?;
        tracing::warn!(
            file = %file.display(),
            "first run: no user exists yet; open /setup and enter the setup code from this file"
        );
        *self.setup.lock().await = Some(SetupCode { code, file });
        Ok(())
    }

    /// Creates the first organization (with the `integrations` flag on) and its
    /// administrator in one transaction, then signs them in. Works once; the code is spent on
    /// success. Wrong codes are logged and throttled per client address.
    pub async fn complete_first_run(
        &self,
        form: &SetupForm,
        client: Option<IpAddr>,
    ) -> Result<NewSession, Refusal> {
        let mut setup = self.setup.lock().await;
        self.close_setup_if_users_exist(&mut setup).await;
        let Some(expected) = setup.as_ref() else {
            return Err(FormError::SetupDone.into());
        };
        let fields = [
            &form.setup_code,
            &form.organization,
            &form.username,
            &form.password,
        ];
        if fields.iter().any(|f| f.trim().is_empty()) {
            return Err(FormError::MissingField.into());
        }
        self.limits.admit_setup_code(client)?;
        if !credentials::constant_time_eq(form.setup_code.trim(), &expected.code) {
            self.limits.setup_code_failed(client);
            return Err(FormError::WrongSetupCode.into());
        }
        validate_new_password(&form.password, &form.confirm)?;

        let hash = match credentials::hash_password_async(form.password.clone()).await {
            Ok(hash) => hash,
            Err(credentials::HashError::Busy) => return Err(Limited::Busy.into()),
            Err(error) => return Err(log_internal(error).into()),
        };
        let (org, user) = store::first_run::create_organization_and_admin(
            &self.db,
            form.organization.trim(),
            &[INTEGRATIONS_FLAG],
            form.username.trim(),
            &hash,
        )
        .await
        .map_err(|e| match e {
            store::first_run::FirstRunError::UsernameTaken => FormError::UsernameTaken,
            store::first_run::FirstRunError::OrganizationTaken => FormError::OrganizationTaken,
            store::first_run::FirstRunError::Store(other) => log_internal(other),
        })?;
        if let Some(spent) = setup.take() {
            let _ = std::fs::remove_file(&spent.file);
        }
        tracing::info!(organization = %org.name, username = %user.username, "first administrator created");
        Ok(self.open_session(user.id).await?)
    }

    async fn open_session(&self, user_id: i64) -> Result<NewSession, FormError> {
        // Sign-ins are rare: a good moment to sweep expired sessions.
        if let Err(error) = store::sessions::delete_expired(&self.db, Utc::now()).await {
            tracing::warn!(?error, "could not delete expired sessions");
        }
        if let Err(error) =
            store::sessions::delete_idle(&self.db, Utc::now() - delta(SESSION_IDLE_TIMEOUT)).await
        {
            tracing::warn!(?error, "could not delete idle sessions");
        }
        let (token, hash) = credentials::new_session_token();
        let ttl = chrono::Duration::from_std(SESSION_TTL).map_err(log_internal)?;
        store::sessions::create(&self.db, user_id, &hash, Utc::now() + ttl)
            .await
            .map_err(log_internal)?;
        Ok(NewSession { token })
    }
}

/// The password rules for new accounts.
pub fn validate_new_password(password: &str, confirm: &str) -> Result<(), FormError> {
    if password != confirm {
        return Err(FormError::PasswordsDiffer);
    }
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(FormError::PasswordTooShort);
    }
    Ok(())
}

/// A `std` duration as chrono's (saturating; ours are all small constants).
fn delta(d: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}

fn log_internal(error: impl std::fmt::Debug) -> FormError {
    tracing::error!(?error, "sign-in or setup failed");
    FormError::Internal
}

/// Writes a file readable by its owner only.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passwords_must_match_and_be_long_enough() {
        assert_eq!(
            validate_new_password("abcdefghij", "abcdefghiX"),
            Err(FormError::PasswordsDiffer)
        );
        assert_eq!(
            validate_new_password("short", "short"),
            Err(FormError::PasswordTooShort)
        );
        assert_eq!(
            validate_new_password("long enough!", "long enough!"),
            Ok(())
        );
    }
}
