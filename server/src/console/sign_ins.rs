//! Salesforce sign-ins in progress, keyed by their OAuth `state`.
//!
//! A `state` is random (the `oauth2` crate's CSRF token), single-use (taken on the callback,
//! so a replayed callback finds nothing), expires after ten minutes, and remembers the
//! orgsync session that started it: a callback arriving in another session (a forged or
//! leaked link) is refused. Kept in memory: a restart only cancels sign-ins in flight.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use secrecy::SecretString;

/// How long an admin has to finish signing in at Salesforce.
pub const SIGN_IN_TTL: Duration = Duration::from_secs(10 * 60);

/// At most this many sign-ins wait at once (older ones are dropped first).
const MAX_PENDING: usize = 256;

/// What the callback needs to finish a sign-in.
pub struct PendingSignIn {
    pub session_id: i64,
    pub user_id: i64,
    pub organization_id: i64,
    pub pkce_verifier: SecretString,
    started: Instant,
}

impl PendingSignIn {
    pub fn new(
        session_id: i64,
        user_id: i64,
        organization_id: i64,
        pkce_verifier: SecretString,
    ) -> Self {
        PendingSignIn {
            session_id,
            user_id,
            organization_id,
            pkce_verifier,
            started: Instant::now(),
        }
    }
}

/// The sign-ins in progress.
#[derive(Default)]
pub struct SignIns {
    pending: Mutex<HashMap<String, PendingSignIn>>,
}

impl SignIns {
    /// Remembers a started sign-in under its `state`.
    pub fn insert(&self, state: String, sign_in: PendingSignIn) {
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        pending.retain(|_, p| p.started.elapsed() < SIGN_IN_TTL);
        if pending.len() >= MAX_PENDING
            && let Some(oldest) = pending
                .iter()
                .min_by_key(|(_, p)| p.started)
                .map(|(state, _)| state.clone())
        {
            pending.remove(&oldest);
        }
        pending.insert(state, sign_in);
    }

    /// Takes the sign-in for `state` (once): `None` if unknown, used or expired.
    pub fn take(&self, state: &str) -> Option<PendingSignIn> {
        let mut pending = self.pending.lock().ok()?;
        pending
            .remove(state)
            .filter(|p| p.started.elapsed() < SIGN_IN_TTL)
    }

    #[cfg(test)]
    fn age(&self, state: &str, by: Duration) {
        if let Ok(mut pending) = self.pending.lock()
            && let Some(p) = pending.get_mut(state)
        {
            p.started -= by;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign_in(session_id: i64) -> PendingSignIn {
        PendingSignIn::new(session_id, 7, 3, SecretString::from("verifier"))
    }

    #[test]
    fn a_state_is_taken_once() {
        let sign_ins = SignIns::default();
        sign_ins.insert("abc".into(), sign_in(1));
        let taken = sign_ins.take("abc").expect("first callback");
        assert_eq!(
            (taken.session_id, taken.user_id, taken.organization_id),
            (1, 7, 3)
        );
        assert!(sign_ins.take("abc").is_none(), "a replay finds nothing");
    }

    #[test]
    fn unknown_and_expired_states_are_refused() {
        let sign_ins = SignIns::default();
        assert!(sign_ins.take("forged").is_none());
        sign_ins.insert("old".into(), sign_in(1));
        sign_ins.age("old", SIGN_IN_TTL + Duration::from_secs(1));
        assert!(sign_ins.take("old").is_none());
    }

    #[test]
    fn the_oldest_sign_in_makes_room_when_full() {
        let sign_ins = SignIns::default();
        for n in 0..MAX_PENDING {
            sign_ins.insert(format!("s{n}"), sign_in(n as i64));
            sign_ins.age(
                &format!("s{n}"),
                Duration::from_secs((MAX_PENDING - n) as u64),
            );
        }
        sign_ins.insert("new".into(), sign_in(999));
        assert!(sign_ins.take("s0").is_none(), "the oldest was dropped");
        assert!(sign_ins.take("s1").is_some());
        assert!(sign_ins.take("new").is_some());
    }
}
