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

/// At most this many sign-ins of one organization wait at once (its older ones are dropped
/// first), so one organization's admins cannot push out another organization's sign-in.
const MAX_PENDING_PER_ORG: usize = 8;

/// At most this many sign-ins wait at once in all (the oldest is dropped first).
const MAX_PENDING: usize = 1024;

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

/// What [`SignIns::take_if`] found.
pub enum Taken {
    /// The sign-in, now removed.
    Found(PendingSignIn),
    /// No such state (unknown, used or expired).
    Missing,
    /// The state exists but belongs to another caller: left in place for its owner.
    NotYours,
}

impl SignIns {
    /// Remembers a started sign-in under its `state`.
    pub fn insert(&self, state: String, sign_in: PendingSignIn) {
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        pending.retain(|_, p| p.started.elapsed() < SIGN_IN_TTL);
        let org = sign_in.organization_id;
        let org_count = pending
            .values()
            .filter(|p| p.organization_id == org)
            .count();
        if org_count >= MAX_PENDING_PER_ORG {
            remove_oldest(&mut pending, |p| p.organization_id == org);
        } else if pending.len() >= MAX_PENDING {
            remove_oldest(&mut pending, |_| true);
        }
        pending.insert(state, sign_in);
    }

    /// Takes the sign-in for `state` (once) if `is_yours` accepts it. One that is not the
    /// caller's stays for its owner: a wrong caller cannot burn someone else's sign-in.
    pub fn take_if(&self, state: &str, is_yours: impl FnOnce(&PendingSignIn) -> bool) -> Taken {
        let Ok(mut pending) = self.pending.lock() else {
            return Taken::Missing;
        };
        match pending.get(state) {
            None => Taken::Missing,
            Some(p) if p.started.elapsed() >= SIGN_IN_TTL => {
                pending.remove(state);
                Taken::Missing
            }
            Some(p) if !is_yours(p) => Taken::NotYours,
            Some(_) => pending.remove(state).map_or(Taken::Missing, Taken::Found),
        }
    }

    /// Takes the sign-in for `state` (once): `None` if unknown, used or expired.
    #[cfg(test)]
    fn take(&self, state: &str) -> Option<PendingSignIn> {
        match self.take_if(state, |_| true) {
            Taken::Found(p) => Some(p),
            _ => None,
        }
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

fn remove_oldest(
    pending: &mut HashMap<String, PendingSignIn>,
    among: impl Fn(&PendingSignIn) -> bool,
) {
    if let Some(oldest) = pending
        .iter()
        .filter(|(_, p)| among(p))
        .min_by_key(|(_, p)| p.started)
        .map(|(state, _)| state.clone())
    {
        pending.remove(&oldest);
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

    fn sign_in_of(org: i64, session_id: i64) -> PendingSignIn {
        PendingSignIn::new(session_id, 7, org, SecretString::from("verifier"))
    }

    #[test]
    fn one_organization_cannot_push_out_another_organizations_sign_in() {
        let sign_ins = SignIns::default();
        sign_ins.insert("theirs".into(), sign_in_of(2, 1));
        sign_ins.age("theirs", Duration::from_secs(60));
        for n in 0..MAX_PENDING {
            sign_ins.insert(format!("flood{n}"), sign_in_of(1, n as i64));
        }
        assert!(
            sign_ins.take("theirs").is_some(),
            "organization 2's sign-in survives organization 1's flood"
        );
        // Organization 1 keeps only its newest sign-ins.
        assert!(sign_ins.take("flood0").is_none());
        assert!(
            sign_ins
                .take(&format!("flood{}", MAX_PENDING - 1))
                .is_some()
        );
    }

    #[test]
    fn the_oldest_sign_in_makes_room_when_full() {
        let sign_ins = SignIns::default();
        for n in 0..MAX_PENDING {
            // Every sign-in from its own organization, oldest first.
            sign_ins.insert(format!("s{n}"), sign_in_of(n as i64, n as i64));
            sign_ins.age(
                &format!("s{n}"),
                Duration::from_millis((MAX_PENDING - n) as u64),
            );
        }
        sign_ins.insert("new".into(), sign_in_of(99_999, 999));
        assert!(sign_ins.take("s0").is_none(), "the oldest was dropped");
        assert!(sign_ins.take("s1").is_some());
        assert!(sign_ins.take("new").is_some());
    }

    #[test]
    fn a_wrong_caller_does_not_burn_the_pending_sign_in() {
        let sign_ins = SignIns::default();
        sign_ins.insert("abc".into(), sign_in(1));
        assert!(matches!(
            sign_ins.take_if("abc", |p| p.session_id == 2),
            Taken::NotYours
        ));
        assert!(matches!(
            sign_ins.take_if("abc", |p| p.session_id == 1),
            Taken::Found(_)
        ));
        assert!(matches!(sign_ins.take_if("abc", |_| true), Taken::Missing));
    }
}
