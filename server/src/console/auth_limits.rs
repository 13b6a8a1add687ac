//! The limits on guessing at sign-in and first-run setup, and the log lines of failures.
//!
//! Only failures count, so signing in any number of times never trips a limit. A username
//! that failed [`USERNAME_RULE`]`.limit` times in a window is refused until the window ends,
//! and so is a client address after [`CLIENT_RULE`]`.limit` failures (for any usernames).
//! Each client address may have [`CHECKS_PER_CLIENT`] password checks running or waiting;
//! more are refused at once, so one address cannot fill the shared queue of password checks.

use std::{net::IpAddr, time::Duration};

use crate::{
    sync::SharedClock,
    throttle::{FailureThrottle, InFlight, InFlightPermit, Rule, client_key},
};

/// Failed sign-ins per username.
pub const USERNAME_RULE: Rule = Rule {
    limit: 5,
    window: Duration::from_secs(15 * 60),
};

/// Failed sign-ins (any username) and failed setup codes per client address.
pub const CLIENT_RULE: Rule = Rule {
    limit: 20,
    window: Duration::from_secs(15 * 60),
};

/// Wrong first-run setup codes per client address.
pub const SETUP_CODE_RULE: Rule = Rule {
    limit: 5,
    window: Duration::from_secs(15 * 60),
};

/// Password checks one client address may have running or waiting at once.
pub const CHECKS_PER_CLIENT: u32 = 2;

/// Keys each throttle remembers at most (a few hundred KiB at worst).
const CAPACITY: usize = 10_000;

/// How long a client refused for having too many checks in flight is asked to wait.
pub const BUSY_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The throttles of one server.
pub struct AuthLimits {
    usernames: FailureThrottle,
    clients: FailureThrottle,
    setup_codes: FailureThrottle,
    checks: InFlight,
}

/// Why an attempt is refused before any password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// Too many failures: try again after this long.
    Failures(Duration),
    /// Too many checks of this client in flight.
    Busy,
}

impl AuthLimits {
    pub fn new(clock: SharedClock) -> Self {
        AuthLimits {
            usernames: FailureThrottle::new(USERNAME_RULE, CAPACITY, clock.clone()),
            clients: FailureThrottle::new(CLIENT_RULE, CAPACITY, clock.clone()),
            setup_codes: FailureThrottle::new(SETUP_CODE_RULE, CAPACITY, clock),
            checks: InFlight::new(CHECKS_PER_CLIENT, CAPACITY),
        }
    }

    /// May `client` try to sign in as `username` now? The permit holds the client's place
    /// while its password is checked.
    pub fn admit_sign_in(
        &self,
        username: &str,
        client: Option<IpAddr>,
    ) -> Result<InFlightPermit, Limited> {
        let client_key = client_key(client);
        let waited = [
            self.clients.check(&client_key),
            self.usernames.check(username),
        ]
        .into_iter()
        .filter_map(Result::err)
        .max();
        if let Some(retry_after) = waited {
            tracing::warn!(
                username = ?username,
                client = %client_key,
                retry_after_secs = retry_after.as_secs(),
                "sign-in refused: too many failed attempts"
            );
            return Err(Limited::Failures(retry_after));
        }
        self.checks.try_enter(&client_key).ok_or_else(|| {
            tracing::warn!(
                username = ?username,
                client = %client_key,
                "sign-in refused: this client already has password checks in flight"
            );
            Limited::Busy
        })
    }

    /// A wrong username or password: logged (never the password) and counted.
    pub fn sign_in_failed(&self, username: &str, client: Option<IpAddr>) {
        let client_key = client_key(client);
        tracing::warn!(username = ?username, client = %client_key, "sign-in failed");
        self.usernames.record_failure(username);
        self.clients.record_failure(&client_key);
    }

    /// A successful sign-in forgets the username's failures (not the client's).
    pub fn sign_in_succeeded(&self, username: &str) {
        self.usernames.clear(username);
    }

    /// May `client` try a setup code now?
    pub fn admit_setup_code(&self, client: Option<IpAddr>) -> Result<(), Limited> {
        let client_key = client_key(client);
        let waited = [
            self.clients.check(&client_key),
            self.setup_codes.check(&client_key),
        ]
        .into_iter()
        .filter_map(Result::err)
        .max();
        match waited {
            Some(retry_after) => {
                tracing::warn!(
                    client = %client_key,
                    retry_after_secs = retry_after.as_secs(),
                    "first-run setup refused: too many wrong setup codes"
                );
                Err(Limited::Failures(retry_after))
            }
            None => Ok(()),
        }
    }

    /// A wrong setup code: logged (never the code) and counted.
    pub fn setup_code_failed(&self, client: Option<IpAddr>) {
        let client_key = client_key(client);
        tracing::warn!(client = %client_key, "first-run setup: wrong setup code");
        self.setup_codes.record_failure(&client_key);
        self.clients.record_failure(&client_key);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::Utc;

    use super::*;
    use crate::sync::ManualClock;

    fn limits() -> (AuthLimits, ManualClock) {
        let clock = ManualClock::new(Utc::now());
        (AuthLimits::new(Arc::new(clock.clone())), clock)
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().expect("ip"))
    }

    #[test]
    fn a_username_is_locked_after_its_failures_from_any_address_then_freed() {
        let (limits, clock) = limits();
        for n in 0..USERNAME_RULE.limit {
            let client = ip(&format!("10.0.0.{n}"));
            drop(limits.admit_sign_in("alice", client).expect("admitted"));
            limits.sign_in_failed("alice", client);
        }
        assert_eq!(
            limits.admit_sign_in("alice", ip("10.9.9.9")).err(),
            Some(Limited::Failures(USERNAME_RULE.window))
        );
        assert!(limits.admit_sign_in("bob", ip("10.9.9.9")).is_ok());
        clock.advance(USERNAME_RULE.window);
        assert!(limits.admit_sign_in("alice", ip("10.9.9.9")).is_ok());
    }

    #[test]
    fn an_address_is_locked_after_failures_across_usernames() {
        let (limits, _clock) = limits();
        for n in 0..CLIENT_RULE.limit {
            limits.sign_in_failed(&format!("user{n}"), ip("10.0.0.1"));
        }
        assert!(matches!(
            limits.admit_sign_in("someone", ip("10.0.0.1")),
            Err(Limited::Failures(_))
        ));
        assert!(limits.admit_sign_in("someone", ip("10.0.0.2")).is_ok());
    }

    #[test]
    fn success_clears_the_username_but_not_the_address() {
        let (limits, _clock) = limits();
        for _ in 0..USERNAME_RULE.limit - 1 {
            limits.sign_in_failed("alice", ip("10.0.0.1"));
        }
        limits.sign_in_succeeded("alice");
        limits.sign_in_failed("alice", ip("10.0.0.1"));
        assert!(limits.admit_sign_in("alice", ip("10.0.0.3")).is_ok());
    }

    #[test]
    fn one_address_cannot_hold_more_than_its_checks() {
        let (limits, _clock) = limits();
        let held: Vec<_> = (0..CHECKS_PER_CLIENT)
            .map(|_| {
                limits
                    .admit_sign_in("alice", ip("10.0.0.1"))
                    .expect("admitted")
            })
            .collect();
        assert_eq!(
            limits.admit_sign_in("bob", ip("10.0.0.1")).err(),
            Some(Limited::Busy)
        );
        assert!(limits.admit_sign_in("bob", ip("10.0.0.2")).is_ok());
        drop(held);
        assert!(limits.admit_sign_in("bob", ip("10.0.0.1")).is_ok());
    }

    #[test]
    fn wrong_setup_codes_are_throttled_per_address() {
        let (limits, clock) = limits();
        for _ in 0..SETUP_CODE_RULE.limit {
            assert_eq!(limits.admit_setup_code(ip("10.0.0.1")), Ok(()));
            limits.setup_code_failed(ip("10.0.0.1"));
        }
        assert!(matches!(
            limits.admit_setup_code(ip("10.0.0.1")),
            Err(Limited::Failures(_))
        ));
        assert_eq!(limits.admit_setup_code(ip("10.0.0.2")), Ok(()));
        clock.advance(SETUP_CODE_RULE.window);
        assert_eq!(limits.admit_setup_code(ip("10.0.0.1")), Ok(()));
    }
}
