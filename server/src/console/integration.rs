//! Connecting Salesforce: Set up and Reset Token (the OAuth web-server flow), Disconnect
//! (IN-04..IN-07). Every path either completes or stores nothing, and ends in a
//! [`SalesforceOutcome`] the admin can read.

use std::{sync::Arc, time::Duration};

use app::{
    error::AppError,
    ssr::{Caller, SignedInUser},
    types::{INTEGRATIONS_FLAG, SalesforceOutcome},
};
use salesforce::{Grant, OAuthClient, OAuthError, Prompt};
use secrecy::{ExposeSecret, SecretString};
use store::{
    oauth_tokens::TokenRecord,
    salesforce_connection::{self, Connected, SalesforceIdentity},
};
use url::Url;

use super::{
    Console, internal,
    sign_ins::{self, PendingSignIn, Taken},
};
use crate::{
    salesforce_sessions::{ACCESS_TOKEN_COLUMN, REFRESH_TOKEN_COLUMN, SalesforceSessions},
    secrets::{Cipher, SecretContext},
};

/// Revoking at Salesforce is best effort and must not keep the admin waiting long.
const REVOKE_TIMEOUT: Duration = Duration::from_secs(5);

/// The provider name stored with Salesforce tokens (IN-04, IN-09).
pub const PROVIDER: &str = "salesforce";

/// The server's Salesforce connected app and the organizations' sessions (sign-ins in flight
/// are in the store). Absent when no connected app is configured.
pub struct SalesforceIntegration {
    pub oauth: OAuthClient,
    /// Shared with the sync engine: one session, and one refresh, per organization.
    pub sessions: Arc<SalesforceSessions>,
}

impl SalesforceIntegration {
    pub fn new(oauth: OAuthClient, sessions: Arc<SalesforceSessions>) -> Self {
        SalesforceIntegration { oauth, sessions }
    }
}

/// Set up or Reset Token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignInIntent {
    Setup,
    Reset,
}

/// The query of `/auth/salesforce/callback`: untrusted (it comes through the browser).
#[derive(Debug, Default, serde::Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

impl Console {
    /// Starts a sign-in for an administrator: returns the Salesforce authorize URL to send the
    /// browser to, or why not.
    pub async fn start_salesforce_sign_in(
        &self,
        caller: &Caller,
        intent: SignInIntent,
    ) -> Result<Url, SalesforceOutcome> {
        let admin = self.salesforce_admin(caller).await?;
        let integration = self.salesforce_integration()?;
        let prompt = match intent {
            SignInIntent::Setup => Prompt::Default,
            SignInIntent::Reset => Prompt::Login,
        };
        let start = integration.oauth.start_authorization(prompt);
        let pending = PendingSignIn {
            session_id: admin.session_id,
            user_id: admin.user_id,
            organization_id: admin.organization_id,
            pkce_verifier: start.pkce_verifier,
        };
        sign_ins::insert(&self.db, &self.cipher, &start.state, &pending)
            .await
            .map_err(|error| {
                tracing::error!(
                    %error,
                    organization = admin.organization_id,
                    "could not store the Salesforce sign-in"
                );
                SalesforceOutcome::Failed
            })?;
        tracing::info!(
            organization = admin.organization_id,
            ?intent,
            "Salesforce sign-in started"
        );
        Ok(start.url)
    }

    /// Finishes a sign-in from Salesforce's callback. Stores the token only when every check
    /// passed; anything else stores nothing.
    pub async fn complete_salesforce_sign_in(
        &self,
        caller: &Caller,
        params: CallbackParams,
    ) -> SalesforceOutcome {
        match self.try_complete_sign_in(caller, params).await {
            Ok(outcome) | Err(outcome) => outcome,
        }
    }

    async fn try_complete_sign_in(
        &self,
        caller: &Caller,
        params: CallbackParams,
    ) -> Result<SalesforceOutcome, SalesforceOutcome> {
        let integration = self.salesforce_integration()?;
        // Who is asking comes first: a signed-out or non-admin callback says so, and leaves
        // the pending sign-in alone.
        let user = self.salesforce_admin(caller).await?;
        // The state is compared with the caller before it is spent: a callback from another
        // session leaves the pending sign-in to the admin who started it.
        let taken = match params.state.as_deref() {
            Some(state) => sign_ins::take_if(&self.db, &self.cipher, state, |pending| {
                pending.session_id == user.session_id
                    && pending.user_id == user.user_id
                    && pending.organization_id == user.organization_id
            })
            .await
            .map_err(|error| {
                tracing::error!(
                    %error,
                    user = user.user_id,
                    "could not take the Salesforce sign-in"
                );
                SalesforceOutcome::Failed
            })?,
            None => Taken::Missing,
        };
        let pending = match taken {
            Taken::Found(pending) => pending,
            Taken::Missing => {
                tracing::warn!(
                    user = user.user_id,
                    "Salesforce callback with an unknown, used or expired state"
                );
                return Err(SalesforceOutcome::StaleSignIn);
            }
            Taken::NotYours => {
                tracing::warn!(
                    user = user.user_id,
                    "Salesforce callback from another session than the one that started it"
                );
                return Err(SalesforceOutcome::StaleSignIn);
            }
        };
        let admin = user;
        if let Some(error) = params.error.as_deref() {
            return Err(authorize_error(error, params.error_description.as_deref()));
        }
        let code = params
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or(SalesforceOutcome::Refused)?;
        let grant = integration
            .oauth
            .exchange_code(code, &pending.pkce_verifier)
            .await
            .map_err(|error| oauth_failure("exchanging the authorization code", &error))?;
        let stored = self.store_grant(integration, admin, &grant).await;
        if !matches!(
            stored,
            Ok(SalesforceOutcome::Connected | SalesforceOutcome::TokenReplaced)
        ) {
            // Nothing was stored: the new grant must not stay alive at Salesforce either,
            // unless Salesforce handed out the refresh token the connection already uses.
            let token = grant.refresh_token.as_ref().unwrap_or(&grant.access_token);
            let in_use = self.stored_refresh_token(admin.organization_id).await;
            let same = in_use
                .as_ref()
                .is_some_and(|current| current.expose_secret() == token.expose_secret());
            if !same {
                revoke_best_effort(&integration.oauth, token).await;
            }
        }
        integration.sessions.forget(admin.organization_id).await;
        if matches!(
            stored,
            Ok(SalesforceOutcome::Connected | SalesforceOutcome::TokenReplaced)
        ) {
            // Syncs restart with the new token (IN-06, IN-07: they resume after Set up).
            self.commands
                .connection_changed(admin.organization_id)
                .await;
        }
        stored
    }

    async fn store_grant(
        &self,
        integration: &SalesforceIntegration,
        admin: &SignedInUser,
        grant: &Grant,
    ) -> Result<SalesforceOutcome, SalesforceOutcome> {
        let refresh_token = grant
            .refresh_token
            .as_ref()
            .ok_or(SalesforceOutcome::NoRefreshToken)?;
        require_secure_urls(grant, admin.organization_id)?;
        let identity = integration
            .oauth
            .identity(grant)
            .await
            .map_err(|error| oauth_failure("reading the identity URL", &error))?;
        let org = admin.organization_id;
        let record = TokenRecord {
            provider: PROVIDER.to_string(),
            access_token_ciphertext: encrypt(
                &self.cipher,
                &grant.access_token,
                ACCESS_TOKEN_COLUMN,
                org,
            )?,
            refresh_token_ciphertext: Some(encrypt(
                &self.cipher,
                refresh_token,
                REFRESH_TOKEN_COLUMN,
                org,
            )?),
            instance_url: grant
                .instance_url
                .as_str()
                .trim_end_matches('/')
                .to_string(),
            identity_url: grant.identity_url.to_string(),
            username: identity.username.clone(),
            issued_at: grant
                .issued_at_ms
                .and_then(chrono::DateTime::from_timestamp_millis)
                .unwrap_or_else(chrono::Utc::now),
        };
        let identity = SalesforceIdentity {
            username: identity.username,
            sf_user_id: identity.user_id,
            sf_org_id: identity.organization_id,
        };
        let outcome = salesforce_connection::connect(&self.db, org, record, identity)
            .await
            .map_err(|error| {
                tracing::error!(
                    ?error,
                    organization = org,
                    "could not store the Salesforce token"
                );
                SalesforceOutcome::Failed
            })?;
        match outcome {
            Connected::New { token_id } => {
                tracing::info!(organization = org, token_id, "Salesforce connected");
                Ok(SalesforceOutcome::Connected)
            }
            Connected::Replaced {
                token_id,
                replaced_refresh_token_ciphertext,
            } => {
                tracing::info!(organization = org, token_id, "Salesforce token replaced");
                // The replaced grant must not stay alive at Salesforce (IN-06).
                if let Some(ciphertext) = replaced_refresh_token_ciphertext {
                    self.revoke_stored_refresh_token(
                        integration,
                        org,
                        &ciphertext,
                        Some(refresh_token),
                    )
                    .await;
                }
                Ok(SalesforceOutcome::TokenReplaced)
            }
            Connected::DifferentOrg { connected_org_id } => {
                tracing::warn!(organization = org, %connected_org_id, "Reset Token signed in to another Salesforce org; nothing changed");
                Err(SalesforceOutcome::DifferentOrg)
            }
        }
    }

    /// Disconnect (IN-07): removes the token, the setting and the linked account, then
    /// revokes the token at Salesforce (best effort). Org Sync configurations stay.
    pub(super) async fn disconnect(&self, caller: &Caller) -> Result<SalesforceOutcome, AppError> {
        let admin = caller.admin()?;
        self.require_integrations_flag(admin).await?;
        let org = admin.organization_id;
        let removed = salesforce_connection::disconnect(&self.db, org)
            .await
            .map_err(internal)?;
        tracing::info!(
            organization = org,
            removed = removed.is_some(),
            "Salesforce disconnected"
        );
        if let Some(integration) = &self.salesforce {
            integration.sessions.forget(org).await;
            let refresh = removed
                .as_ref()
                .and_then(|t| t.refresh_token_ciphertext.as_deref());
            if let Some(ciphertext) = refresh {
                self.revoke_stored_refresh_token(integration, org, ciphertext, None)
                    .await;
            }
        }
        // Every sync stops calling Salesforce until Set up runs again (IN-07).
        self.commands.connection_changed(org).await;
        Ok(SalesforceOutcome::Disconnected)
    }

    /// The organization's stored refresh token, if it has one that decrypts.
    async fn stored_refresh_token(&self, organization_id: i64) -> Option<SecretString> {
        let token = salesforce_connection::current_token(&self.db, organization_id)
            .await
            .map_err(|error| tracing::warn!(?error, "could not read the stored Salesforce token"))
            .ok()??;
        let context = SecretContext {
            column: REFRESH_TOKEN_COLUMN,
            organization_id,
        };
        self.cipher
            .decrypt(token.refresh_token_ciphertext.as_deref()?, &context)
            .ok()
    }

    /// Revokes a refresh token that was removed from the store (best effort), unless it is
    /// `still_in_use` (Salesforce may hand out the same refresh token again).
    async fn revoke_stored_refresh_token(
        &self,
        integration: &SalesforceIntegration,
        organization_id: i64,
        ciphertext: &str,
        still_in_use: Option<&SecretString>,
    ) {
        let context = SecretContext {
            column: REFRESH_TOKEN_COLUMN,
            organization_id,
        };
        match self.cipher.decrypt(ciphertext, &context) {
            Ok(token) => {
                let same = still_in_use
                    .is_some_and(|current| current.expose_secret() == token.expose_secret());
                if !same {
                    revoke_best_effort(&integration.oauth, &token).await;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "the removed token could not be decrypted for revocation")
            }
        }
    }

    fn salesforce_integration(&self) -> Result<&SalesforceIntegration, SalesforceOutcome> {
        self.salesforce
            .as_ref()
            .ok_or(SalesforceOutcome::NotConfigured)
    }

    /// The caller as an administrator of an organization with the integrations flag on.
    async fn salesforce_admin<'c>(
        &self,
        caller: &'c Caller,
    ) -> Result<&'c SignedInUser, SalesforceOutcome> {
        let admin = caller.admin().map_err(|error| match error {
            AppError::Unauthorized => SalesforceOutcome::SignedOut,
            _ => SalesforceOutcome::NotAllowed,
        })?;
        self.require_integrations_flag(admin)
            .await
            .map_err(|error| match error {
                AppError::FeatureDisabled { .. } => SalesforceOutcome::FeatureDisabled,
                _ => SalesforceOutcome::Failed,
            })?;
        Ok(admin)
    }

    pub(super) async fn require_integrations_flag(
        &self,
        user: &SignedInUser,
    ) -> Result<(), AppError> {
        self.require_integrations_flag_of(user.organization_id)
            .await
    }

    /// [`Self::require_integrations_flag`] for an organization (an API key's).
    pub(super) async fn require_integrations_flag_of(
        &self,
        organization_id: i64,
    ) -> Result<(), AppError> {
        let org = store::organizations::find_by_id(&self.db, organization_id)
            .await
            .map_err(internal)?
            .ok_or_else(|| internal("the caller's organization is missing"))?;
        if super::pages::flag_on(&org, INTEGRATIONS_FLAG) {
            Ok(())
        } else {
            Err(AppError::FeatureDisabled {
                flag: INTEGRATIONS_FLAG.to_string(),
            })
        }
    }
}

fn encrypt(
    cipher: &Cipher,
    secret: &SecretString,
    column: &str,
    organization_id: i64,
) -> Result<String, SalesforceOutcome> {
    cipher
        .encrypt(
            secret,
            &SecretContext {
                column,
                organization_id,
            },
        )
        .map_err(|error| {
            tracing::error!(%error, "could not encrypt a Salesforce token");
            SalesforceOutcome::Failed
        })
}

/// An `error` on the callback: the admin denied, or Salesforce refused the request. The
/// description comes through the browser, so only a sanitised excerpt reaches the log.
fn authorize_error(error: &str, description: Option<&str>) -> SalesforceOutcome {
    // Salesforce's help shows `access-denied` for the web-server flow; RFC 6749 says `access_denied`.
    if matches!(error, "access_denied" | "access-denied") {
        return SalesforceOutcome::Denied;
    }
    tracing::warn!(
        error = %sanitize(error),
        description = %sanitize(description.unwrap_or_default()),
        "Salesforce refused the authorization request"
    );
    SalesforceOutcome::Refused
}

/// The access token goes to the instance and identity URLs: refused when either is plain
/// http off this machine (the caller revokes the grant).
fn require_secure_urls(grant: &Grant, organization: i64) -> Result<(), SalesforceOutcome> {
    for (what, url) in [
        ("instance", &grant.instance_url),
        ("identity", &grant.identity_url),
    ] {
        if !salesforce::is_https_or_loopback(url) {
            tracing::warn!(
                organization,
                host = url.host_str().unwrap_or("?"),
                "Salesforce answered with a plain-http {what} URL; refused"
            );
            return Err(SalesforceOutcome::Failed);
        }
    }
    Ok(())
}

fn oauth_failure(step: &str, error: &OAuthError) -> SalesforceOutcome {
    tracing::warn!(%error, "Salesforce sign-in failed while {step}");
    match error {
        OAuthError::Rejected { .. } => SalesforceOutcome::Refused,
        OAuthError::Unreachable(_) => SalesforceOutcome::Unreachable,
        OAuthError::UnexpectedResponse(_) => SalesforceOutcome::Failed,
    }
}

async fn revoke_best_effort(oauth: &OAuthClient, token: &SecretString) {
    match tokio::time::timeout(REVOKE_TIMEOUT, oauth.revoke(token)).await {
        Ok(Ok(())) => tracing::info!("Salesforce token revoked"),
        Ok(Err(error)) => tracing::warn!(%error, "could not revoke the Salesforce token"),
        Err(_) => tracing::warn!("revoking the Salesforce token timed out"),
    }
}

/// Untrusted text fit for a log line.
fn sanitize(text: &str) -> String {
    crate::untrusted::excerpt(text, 120)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_of_access_denied_mean_denied() {
        assert_eq!(
            authorize_error("access_denied", None),
            SalesforceOutcome::Denied
        );
        assert_eq!(
            authorize_error("access-denied", None),
            SalesforceOutcome::Denied
        );
        assert_eq!(
            authorize_error("redirect_uri_mismatch", Some("x")),
            SalesforceOutcome::Refused
        );
    }

    #[test]
    fn plain_http_instance_or_identity_urls_are_refused_off_loopback() {
        let grant = |instance: &str, identity: &str| Grant {
            access_token: SecretString::from("access"),
            refresh_token: Some(SecretString::from("refresh")),
            instance_url: Url::parse(instance).expect("url"),
            identity_url: Url::parse(identity).expect("url"),
            issued_at_ms: None,
        };
        let https = "https://acme.my.salesforce.com";
        let id = "https://login.salesforce.com/id/00D/005";
        assert_eq!(require_secure_urls(&grant(https, id), 1), Ok(()));
        assert_eq!(
            require_secure_urls(
                &grant("http://127.0.0.1:3100", "http://127.0.0.1:3100/id/1/2"),
                1
            ),
            Ok(()),
            "the local simulator"
        );
        assert_eq!(
            require_secure_urls(&grant("http://acme.my.salesforce.com", id), 1),
            Err(SalesforceOutcome::Failed)
        );
        assert_eq!(
            require_secure_urls(&grant(https, "http://login.salesforce.com/id/00D/005"), 1),
            Err(SalesforceOutcome::Failed)
        );
    }

    #[test]
    fn untrusted_text_is_sanitised_for_logs() {
        assert_eq!(sanitize("bad\nline\u{1b}[31m"), "badline[31m");
        assert_eq!(sanitize(&"x".repeat(500)).len(), 120);
    }
}
