//! OAuth token bookkeeping: authorization codes, access tokens and refresh tokens.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use rand::{SeedableRng, rngs::StdRng};

use crate::ids::random_token;

/// An issued authorization code (single use, 15 minutes).
#[derive(Debug, Clone)]
pub struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: String,
    /// (method, challenge) when PKCE was used.
    pub challenge: Option<(String, String)>,
    pub scope: String,
    pub expires: Instant,
}

#[derive(Debug, Clone)]
struct AccessToken {
    user_id: String,
    expires: Instant,
    refresh: Option<String>,
    /// Revoked through the revoke endpoint or with its refresh token (also the control API's
    /// `revoke-refresh`): dead everywhere, unlike a token that merely reached its lifetime.
    revoked: bool,
    /// Ended by the control API's `expire-access` (every session killed): dead everywhere
    /// too, yet still revocable once through the revoke endpoint.
    ended: bool,
}

#[derive(Debug, Clone)]
struct RefreshToken {
    user_id: String,
    scope: String,
    issued: Instant,
    revoked: bool,
    /// Used once under rotation: a new refresh token replaced it.
    rotated_out: bool,
}

/// What a refresh issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refreshed {
    pub access: String,
    pub user_id: String,
    pub scope: String,
    /// The new refresh token (rotation on).
    pub rotated: Option<String>,
}

/// Why a refresh token cannot be used (unknown, revoked, expired or rotated out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidGrant;

/// The state of an access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessStatus {
    /// Known, within its lifetime, not revoked: the user id.
    Valid(String),
    /// Known and not revoked, but past its lifetime: REST refuses it, while a CometD client
    /// that handshook with it stays connected (the session does not expire under a connected
    /// client).
    Expired(String),
    /// Unknown or revoked.
    Invalid,
}

/// All token state of the org.
pub struct Tokens {
    org_id15: String,
    access_ttl: Duration,
    refresh_ttl: Option<Duration>,
    codes: HashMap<String, AuthCode>,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    /// Refresh-token rotation (a connected-app setting): each refresh issues a new refresh
    /// token and the one used is dead from then on (its access tokens stay valid).
    rotate_refresh: bool,
    rng: StdRng,
}

impl Tokens {
    pub fn new(org_id: &str, access_ttl: Duration, refresh_ttl: Option<Duration>) -> Self {
        Tokens {
            org_id15: org_id.get(..15).unwrap_or(org_id).to_string(),
            access_ttl,
            refresh_ttl,
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            rotate_refresh: false,
            rng: StdRng::from_entropy(),
        }
    }

    /// Lifetime of access tokens issued from now on.
    pub fn set_access_ttl(&mut self, ttl: Duration) {
        self.access_ttl = ttl;
    }

    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    /// Lifetime of refresh tokens (`None`: until revoked). It is checked when a refresh token
    /// is used, against the time it was issued, so it applies to tokens already issued too
    /// (like a connected app's refresh token policy).
    pub fn set_refresh_ttl(&mut self, ttl: Option<Duration>) {
        self.refresh_ttl = ttl;
    }

    pub fn refresh_ttl(&self) -> Option<Duration> {
        self.refresh_ttl
    }

    /// Turns refresh-token rotation on or off.
    pub fn set_rotate_refresh(&mut self, rotate: bool) {
        self.rotate_refresh = rotate;
    }

    pub fn rotates_refresh(&self) -> bool {
        self.rotate_refresh
    }

    pub fn issue_code(&mut self, code: AuthCode) -> String {
        let value = format!("aPrx{}==", random_token(&mut self.rng, 60));
        self.codes.retain(|_, c| c.expires > Instant::now());
        self.codes.insert(value.clone(), code);
        value
    }

    /// Takes (consumes) a code; `None` when unknown, used or expired.
    pub fn take_code(&mut self, code: &str) -> Option<AuthCode> {
        self.codes
            .remove(code)
            .filter(|c| c.expires > Instant::now())
    }

    /// Issues an access token (and a refresh token when `with_refresh`).
    pub fn issue(
        &mut self,
        user_id: &str,
        scope: &str,
        with_refresh: bool,
    ) -> (String, Option<String>) {
        let refresh = with_refresh.then(|| {
            let value = format!("5Aep861{}", random_token(&mut self.rng, 80));
            self.refresh.insert(
                value.clone(),
                RefreshToken {
                    user_id: user_id.to_string(),
                    scope: scope.to_string(),
                    issued: Instant::now(),
                    revoked: false,
                    rotated_out: false,
                },
            );
            value
        });
        let access = self.issue_access(user_id, refresh.clone());
        (access, refresh)
    }

    fn issue_access(&mut self, user_id: &str, refresh: Option<String>) -> String {
        let value = format!("{}!AQ{}", self.org_id15, random_token(&mut self.rng, 96));
        self.access.insert(
            value.clone(),
            AccessToken {
                user_id: user_id.to_string(),
                expires: Instant::now() + self.access_ttl,
                refresh,
                revoked: false,
                ended: false,
            },
        );
        value
    }

    /// A new access token for a refresh token: (access token, user id, scope, and the new
    /// refresh token when rotation is on).
    pub fn refresh(&mut self, refresh_token: &str) -> Result<Refreshed, InvalidGrant> {
        let ttl = self.refresh_ttl;
        let rotate = self.rotate_refresh;
        let entry = self.refresh.get_mut(refresh_token).ok_or(InvalidGrant)?;
        if ttl.is_some_and(|ttl| entry.issued.elapsed() >= ttl) {
            // Once found expired it stays dead, even if the lifetime is raised later.
            entry.revoked = true;
        }
        if entry.revoked || entry.rotated_out {
            return Err(InvalidGrant);
        }
        let (user_id, scope) = (entry.user_id.clone(), entry.scope.clone());
        if rotate {
            entry.rotated_out = true;
            let (access, rotated) = self.issue(&user_id, &scope, true);
            return Ok(Refreshed {
                access,
                user_id,
                scope,
                rotated,
            });
        }
        let access = self.issue_access(&user_id, Some(refresh_token.to_string()));
        Ok(Refreshed {
            access,
            user_id,
            scope,
            rotated: None,
        })
    }

    /// The user of a valid (known, unexpired, unrevoked) access token.
    pub fn user_of(&self, access_token: &str) -> Option<String> {
        match self.status(access_token) {
            AccessStatus::Valid(user_id) => Some(user_id),
            AccessStatus::Expired(_) | AccessStatus::Invalid => None,
        }
    }

    /// Whether an access token is valid, merely expired, or unknown/revoked.
    pub fn status(&self, access_token: &str) -> AccessStatus {
        match self.access.get(access_token) {
            None => AccessStatus::Invalid,
            Some(token) if token.revoked || token.ended => AccessStatus::Invalid,
            Some(token) if token.expires <= Instant::now() => {
                AccessStatus::Expired(token.user_id.clone())
            }
            Some(token) => AccessStatus::Valid(token.user_id.clone()),
        }
    }

    /// Revokes an access or refresh token (a refresh token takes its access tokens along);
    /// false when the token is unknown or already revoked.
    pub fn revoke(&mut self, token: &str) -> bool {
        if let Some(access) = self.access.get_mut(token) {
            let was = !access.revoked;
            access.revoked = true;
            return was;
        }
        match self.refresh.get_mut(token) {
            Some(refresh) if !refresh.revoked => {
                refresh.revoked = true;
                for access in self.access.values_mut() {
                    if access.refresh.as_deref() == Some(token) {
                        access.revoked = true;
                    }
                }
                true
            }
            _ => false,
        }
    }

    /// Ends every access token now, as if the org killed all sessions: REST answers
    /// `INVALID_SESSION_ID` and connected CometD clients `401::Authentication invalid`
    /// (refresh tokens stay usable).
    pub fn expire_all_access(&mut self) -> usize {
        let now = Instant::now();
        for token in self.access.values_mut() {
            token.expires = now;
            token.ended = true;
        }
        self.access.len()
    }

    /// Revokes every refresh token (and the access tokens issued from them).
    pub fn revoke_all_refresh(&mut self) -> usize {
        for token in self.refresh.values_mut() {
            token.revoked = true;
        }
        for token in self.access.values_mut() {
            if token.refresh.is_some() {
                token.revoked = true;
            }
        }
        self.refresh.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_rotation_a_refresh_token_works_once_and_hands_over_to_the_next() {
        let mut tokens = Tokens::new("00D8d0000000001AAA", Duration::from_secs(60), None);
        tokens.set_rotate_refresh(true);
        let (_, first) = tokens.issue("005x", "api refresh_token", true);
        let first = first.expect("refresh token");
        let refreshed = tokens.refresh(&first).expect("first use");
        let second = refreshed.rotated.expect("a new refresh token");
        assert_ne!(second, first);
        assert_eq!(tokens.user_of(&refreshed.access).as_deref(), Some("005x"));
        assert_eq!(tokens.refresh(&first), Err(InvalidGrant), "used up");
        assert!(tokens.refresh(&second).is_ok());
    }

    #[test]
    fn revoking_a_refresh_token_kills_its_access_tokens() {
        let mut tokens = Tokens::new("00D8d0000000001AAA", Duration::from_secs(60), None);
        let (access, refresh) = tokens.issue("005x", "api refresh_token", true);
        let refresh = refresh.expect("refresh token");
        assert_eq!(tokens.user_of(&access).as_deref(), Some("005x"));
        assert!(tokens.refresh(&refresh).is_ok());
        assert!(tokens.revoke(&refresh));
        assert_eq!(tokens.user_of(&access), None);
        assert_eq!(tokens.refresh(&refresh), Err(InvalidGrant));
        assert!(!tokens.revoke(&refresh));
    }

    #[test]
    fn expired_access_tokens_differ_from_revoked_ones() {
        let mut tokens = Tokens::new("00D8d0000000001AAA", Duration::ZERO, None);
        let (access, _) = tokens.issue("005x", "api", false);
        assert_eq!(tokens.status(&access), AccessStatus::Expired("005x".into()));
        assert_eq!(tokens.user_of(&access), None);
        assert!(tokens.revoke(&access));
        assert_eq!(tokens.status(&access), AccessStatus::Invalid);
        assert_eq!(tokens.status("nope"), AccessStatus::Invalid);
        tokens.set_access_ttl(Duration::from_secs(60));
        let (access, _) = tokens.issue("005x", "api", false);
        assert_eq!(tokens.status(&access), AccessStatus::Valid("005x".into()));
        tokens.expire_all_access();
        assert_eq!(tokens.status(&access), AccessStatus::Invalid);
    }

    #[test]
    fn refresh_lifetime_applies_to_issued_tokens_and_expiry_sticks() {
        let mut tokens = Tokens::new("00D8d0000000001AAA", Duration::from_secs(60), None);
        let (_, refresh) = tokens.issue("005x", "api refresh_token", true);
        let refresh = refresh.expect("refresh token");
        assert!(tokens.refresh(&refresh).is_ok());
        tokens.set_refresh_ttl(Some(Duration::ZERO));
        assert_eq!(tokens.refresh(&refresh), Err(InvalidGrant));
        tokens.set_refresh_ttl(None);
        assert_eq!(tokens.refresh(&refresh), Err(InvalidGrant));
        let (_, fresh) = tokens.issue("005x", "api refresh_token", true);
        assert!(tokens.refresh(&fresh.expect("refresh token")).is_ok());
    }
}
