//! Throttles for guessing: failed attempts per key in a window ([`FailureThrottle`]) and work
//! in flight per key ([`InFlight`]). Both keep a bounded number of keys in memory.
//!
//! Hand-written rather than `governor`: governor's keyed limiters count every check (we count
//! failures only, so that signing in many times never trips a limit), cannot tell whether a
//! key is exhausted without spending a cell, and keep every key until `retain_recent` runs.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use chrono::{DateTime, TimeDelta, Utc};

use crate::sync::SharedClock;

/// At most `limit` failures per `window`; once used up, the key waits until its window ends.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub limit: u32,
    pub window: Duration,
}

/// Failed attempts per key (a username, a client address).
pub struct FailureThrottle {
    rule: Rule,
    /// Most keys remembered; when full, expired windows go first, then the window ending first.
    capacity: usize,
    clock: SharedClock,
    entries: Mutex<HashMap<String, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    failures: u32,
    ends: DateTime<Utc>,
}

impl FailureThrottle {
    pub fn new(rule: Rule, capacity: usize, clock: SharedClock) -> Self {
        FailureThrottle {
            rule,
            capacity: capacity.max(1),
            clock,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(retry_after)` while `key` has used up its failures for the current window.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let now = self.clock.now();
        match self.entries().get(key) {
            Some(window) if window.ends > now && window.failures >= self.rule.limit => {
                Err((window.ends - now).to_std().unwrap_or(Duration::ZERO))
            }
            _ => Ok(()),
        }
    }

    /// Counts one failure for `key`.
    pub fn record_failure(&self, key: &str) {
        let now = self.clock.now();
        let window = TimeDelta::from_std(self.rule.window).unwrap_or(TimeDelta::MAX);
        let mut entries = self.entries();
        if !entries.contains_key(key) && entries.len() >= self.capacity {
            entries.retain(|_, w| w.ends > now);
            if entries.len() >= self.capacity
                && let Some(first) = entries
                    .iter()
                    .min_by_key(|(_, w)| w.ends)
                    .map(|(k, _)| k.clone())
            {
                entries.remove(&first);
            }
        }
        let entry = entries.entry(key.to_string()).or_insert(Window {
            failures: 0,
            ends: now + window,
        });
        if entry.ends <= now {
            *entry = Window {
                failures: 0,
                ends: now + window,
            };
        }
        entry.failures = entry.failures.saturating_add(1);
    }

    /// Forgets `key` (a successful sign-in clears its username's failures).
    pub fn clear(&self, key: &str) {
        self.entries().remove(key);
    }

    /// Keys remembered (tests).
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<String, Window>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Work in flight per key: at most `per_key` at once, at most `capacity` keys at once.
/// Refuses rather than queues, so one client cannot fill a shared queue.
#[derive(Clone)]
pub struct InFlight {
    per_key: u32,
    capacity: usize,
    counts: Arc<Mutex<HashMap<String, u32>>>,
}

/// Held while the work runs; dropping it frees the place.
pub struct InFlightPermit {
    key: String,
    counts: Arc<Mutex<HashMap<String, u32>>>,
}

impl InFlight {
    pub fn new(per_key: u32, capacity: usize) -> Self {
        InFlight {
            per_key: per_key.max(1),
            capacity: capacity.max(1),
            counts: Arc::default(),
        }
    }

    /// A place for `key`, or `None` when it already has `per_key` in flight (or too many keys do).
    pub fn try_enter(&self, key: &str) -> Option<InFlightPermit> {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = counts.get(key).copied().unwrap_or(0);
        if count >= self.per_key || (count == 0 && counts.len() >= self.capacity) {
            return None;
        }
        counts.insert(key.to_string(), count + 1);
        Some(InFlightPermit {
            key: key.to_string(),
            counts: self.counts.clone(),
        })
    }
}

impl Drop for InFlightPermit {
    fn drop(&mut self) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = counts.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// The throttling key of a client address: IPv4 as is, IPv6 by its /64 (one host usually holds
/// a whole /64), `unknown` when the server does not know the address.
pub fn client_key(address: Option<IpAddr>) -> String {
    match address {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::sync::ManualClock;

    const RULE: Rule = Rule {
        limit: 3,
        window: Duration::from_secs(600),
    };

    fn throttle(capacity: usize) -> (FailureThrottle, ManualClock) {
        let clock = ManualClock::new(Utc::now());
        (
            FailureThrottle::new(RULE, capacity, Arc::new(clock.clone())),
            clock,
        )
    }

    #[test]
    fn a_key_is_refused_after_its_limit_until_the_window_ends() {
        let (throttle, clock) = throttle(100);
        for _ in 0..RULE.limit {
            assert_eq!(throttle.check("alice"), Ok(()));
            throttle.record_failure("alice");
        }
        assert_eq!(throttle.check("alice"), Err(Duration::from_secs(600)));
        assert_eq!(throttle.check("bob"), Ok(()), "other keys are not affected");
        clock.advance(Duration::from_secs(599));
        assert_eq!(throttle.check("alice"), Err(Duration::from_secs(1)));
        clock.advance(Duration::from_secs(1));
        assert_eq!(throttle.check("alice"), Ok(()), "a new window starts");
        throttle.record_failure("alice");
        assert_eq!(throttle.check("alice"), Ok(()), "with its failures reset");
    }

    #[test]
    fn clearing_a_key_forgets_its_failures() {
        let (throttle, _clock) = throttle(100);
        for _ in 0..RULE.limit {
            throttle.record_failure("alice");
        }
        throttle.clear("alice");
        assert_eq!(throttle.check("alice"), Ok(()));
    }

    #[test]
    fn memory_stays_bounded_and_expired_windows_go_first() {
        let (throttle, clock) = throttle(3);
        throttle.record_failure("old");
        clock.advance(Duration::from_secs(700));
        for key in ["a", "b", "c"] {
            for _ in 0..RULE.limit {
                throttle.record_failure(key);
            }
        }
        assert_eq!(throttle.len(), 3, "the expired key made room");
        assert!(throttle.check("a").is_err());
        for n in 0..50 {
            throttle.record_failure(&format!("spray-{n}"));
        }
        assert_eq!(throttle.len(), 3);
    }

    #[test]
    fn in_flight_refuses_a_second_place_for_the_same_key() {
        let in_flight = InFlight::new(1, 2);
        let first = in_flight.try_enter("10.0.0.1").expect("a first place");
        assert!(in_flight.try_enter("10.0.0.1").is_none());
        let other = in_flight.try_enter("10.0.0.2").expect("another client");
        assert!(in_flight.try_enter("10.0.0.3").is_none(), "at capacity");
        drop(first);
        assert!(in_flight.try_enter("10.0.0.1").is_some(), "freed on drop");
        drop(other);
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        assert_eq!(client_key(Some(a)), client_key(Some(b)));
        assert_eq!(
            client_key(Some("::ffff:10.1.2.3".parse().expect("ip"))),
            "10.1.2.3"
        );
        assert_eq!(client_key(None), "unknown");
    }
}
