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
    revoked: bool,
}

#[derive(Debug, Clone)]
struct RefreshToken {
    user_id: String,
    scope: String,
    expires: Option<Instant>,
    revoked: bool,
}

/// Why a refresh token cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidGrant;

/// All token state of the org.
pub struct Tokens {
    org_id15: String,
    access_ttl: Duration,
    refresh_ttl: Option<Duration>,
    codes: HashMap<String, AuthCode>,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
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
            rng: StdRng::from_entropy(),
        }
    }

    pub fn set_access_ttl(&mut self, ttl: Duration) {
        self.access_ttl = ttl;
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
                    expires: self.refresh_ttl.map(|ttl| Instant::now() + ttl),
                    revoked: false,
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
            },
        );
        value
    }

    /// A new access token for a refresh token: (access token, user id, scope).
    pub fn refresh(
        &mut self,
        refresh_token: &str,
    ) -> Result<(String, String, String), InvalidGrant> {
        let entry = self.refresh.get(refresh_token).ok_or(InvalidGrant)?;
        if entry.revoked || entry.expires.is_some_and(|e| e <= Instant::now()) {
            return Err(InvalidGrant);
        }
        let (user_id, scope) = (entry.user_id.clone(), entry.scope.clone());
        let access = self.issue_access(&user_id, Some(refresh_token.to_string()));
        Ok((access, user_id, scope))
    }

    /// The user of a valid (known, unexpired, unrevoked) access token.
    pub fn user_of(&self, access_token: &str) -> Option<String> {
        let token = self.access.get(access_token)?;
        (!token.revoked && token.expires > Instant::now()).then(|| token.user_id.clone())
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

    /// Expires every access token now (refresh tokens stay usable).
    pub fn expire_all_access(&mut self) -> usize {
        let now = Instant::now();
        for token in self.access.values_mut() {
            token.expires = now;
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
}
