//! Sign-in, sign-out, sessions and first-run setup.

use std::{path::Path, time::Duration};

use app::{
    ssr::{Caller, SignedInUser},
    types::{FormError, INTEGRATIONS_FLAG, MIN_PASSWORD_LEN},
};
use chrono::Utc;

use super::{Console, SetupCode, pages::role_of};
use crate::credentials;

/// How long a session lasts after sign-in.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

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

impl Console {
    /// Checks the credentials and opens a session.
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<NewSession, FormError> {
        let user = store::users::find_by_username(&self.db, username.trim())
            .await
            .map_err(log_internal)?;
        // Without the user, the same work against a decoy, so timing does not reveal which
        // usernames exist.
        let (user_id, stored_hash) = match user {
            Some(user) => (Some(user.id), user.password_hash),
            None => (None, credentials::decoy_hash().to_string()),
        };
        let matches = credentials::verify_password_async(password.to_string(), stored_hash)
            .await
            .map_err(log_internal)?;
        match user_id {
            Some(user_id) if matches => self.open_session(user_id).await,
            _ => Err(FormError::InvalidCredentials),
        }
    }

    /// Ends the session carried by `token` (unknown tokens are ignored).
    pub async fn sign_out(&self, token: &str) {
        if let Err(error) = store::sessions::delete(&self.db, &credentials::hash_token(token)).await
        {
            tracing::error!(?error, "could not delete a session");
        }
    }

    /// Who holds `token`: a signed-in user, or anonymous for a missing, unknown or expired one.
    pub async fn resolve(&self, token: Option<&str>) -> Caller {
        let Some(token) = token else {
            return Caller::Anonymous;
        };
        match store::sessions::find_active(&self.db, &credentials::hash_token(token), Utc::now())
            .await
        {
            Ok(Some((session, user, org))) => Caller::User(SignedInUser {
                session_id: session.id,
                user_id: user.id,
                organization_id: org.id,
                username: user.username,
                role: role_of(&user.role),
            }),
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
    /// administrator, then signs them in. Works once; the code is spent on success.
    pub async fn complete_first_run(&self, form: &SetupForm) -> Result<NewSession, FormError> {
        let mut setup = self.setup.lock().await;
        self.close_setup_if_users_exist(&mut setup).await;
        let Some(expected) = setup.as_ref() else {
            return Err(FormError::SetupDone);
        };
        let fields = [
            &form.setup_code,
            &form.organization,
            &form.username,
            &form.password,
        ];
        if fields.iter().any(|f| f.trim().is_empty()) {
            return Err(FormError::MissingField);
        }
        if !credentials::constant_time_eq(form.setup_code.trim(), &expected.code) {
            return Err(FormError::WrongSetupCode);
        }
        validate_new_password(&form.password, &form.confirm)?;

        let org = store::organizations::create(&self.db, form.organization.trim())
            .await
            .map_err(log_internal)?;
        store::organizations::set_flag(&self.db, org.id, INTEGRATIONS_FLAG, true)
            .await
            .map_err(log_internal)?;
        let hash = credentials::hash_password_async(form.password.clone())
            .await
            .map_err(log_internal)?;
        let user = store::users::create(
            &self.db,
            org.id,
            form.username.trim(),
            &hash,
            store::users::Role::Admin,
        )
        .await
        .map_err(|e| match e {
            store::StoreError::Conflict(_) => FormError::UsernameTaken,
            other => log_internal(other),
        })?;
        if let Some(spent) = setup.take() {
            let _ = std::fs::remove_file(&spent.file);
        }
        tracing::info!(organization = %org.name, username = %user.username, "first administrator created");
        self.open_session(user.id).await
    }

    async fn open_session(&self, user_id: i64) -> Result<NewSession, FormError> {
        // Sign-ins are rare: a good moment to sweep expired sessions.
        if let Err(error) = store::sessions::delete_expired(&self.db, Utc::now()).await {
            tracing::warn!(?error, "could not delete expired sessions");
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
