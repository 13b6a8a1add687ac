//! The circuit breaker (ST-04, OS-09, TS-03): a small pure state machine, fed with the
//! outcome of every call round and asked before each one. Five failures in a row open it; while
//! open nothing calls Salesforce; once the cool-down has passed, the next scheduled round is a
//! trial: success closes it, failure re-opens it with a cool-down twice as long, never more
//! than the cap (one hour). Test never feeds it (OS-09).

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// Failures in a row that open the circuit.
pub const FAILURE_THRESHOLD: i32 = 5;

/// The longest the circuit stays open (ST-04: "for up to one hour").
pub const MAX_COOLDOWN: Duration = Duration::from_secs(3600);

/// Cool-down settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// The first cool-down; each failed trial doubles it.
    pub base_cooldown: Duration,
    /// Never longer than this.
    pub max_cooldown: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy {
            base_cooldown: Duration::from_secs(5 * 60),
            max_cooldown: MAX_COOLDOWN,
        }
    }
}

/// May the next round call Salesforce?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Closed: call.
    Closed,
    /// Open, cool-down over: this round is the trial.
    Trial,
    /// Open: no call before this moment.
    OpenUntil(DateTime<Utc>),
}

/// The breaker's state; persisted as `consecutive_failures` and `circuit_opened_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breaker {
    pub consecutive_failures: i32,
    pub opened_at: Option<DateTime<Utc>>,
    policy: BreakerPolicy,
}

impl Breaker {
    pub fn new(
        policy: BreakerPolicy,
        consecutive_failures: i32,
        opened_at: Option<DateTime<Utc>>,
    ) -> Self {
        Breaker {
            consecutive_failures: consecutive_failures.max(0),
            opened_at,
            policy,
        }
    }

    pub fn is_open(&self) -> bool {
        self.opened_at.is_some()
    }

    /// The current cool-down: the base, doubled per failed trial, capped.
    pub fn cooldown(&self) -> Duration {
        let trials_failed = (self.consecutive_failures - FAILURE_THRESHOLD).clamp(0, 20) as u32;
        self.policy
            .base_cooldown
            .saturating_mul(1u32 << trials_failed)
            .min(self.policy.max_cooldown)
    }

    pub fn gate(&self, now: DateTime<Utc>) -> Gate {
        let Some(opened_at) = self.opened_at else {
            return Gate::Closed;
        };
        let until = opened_at + TimeDelta::from_std(self.cooldown()).unwrap_or(TimeDelta::MAX);
        if now >= until {
            Gate::Trial
        } else {
            Gate::OpenUntil(until)
        }
    }

    /// A round succeeded: closed, count reset.
    pub fn record_success(&mut self) {
        self.consecutive_failures = 0;
        self.opened_at = None;
    }

    /// A round failed in a way that counts (transient or limits). Returns true when this
    /// failure opened (or re-opened) the circuit.
    pub fn record_failure(&mut self, now: DateTime<Utc>) -> bool {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        if self.consecutive_failures >= FAILURE_THRESHOLD {
            self.opened_at = Some(now);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> BreakerPolicy {
        BreakerPolicy {
            base_cooldown: Duration::from_secs(60),
            max_cooldown: Duration::from_secs(3600),
        }
    }

    fn t(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).expect("valid time")
    }

    #[test]
    fn st_04_five_failures_in_a_row_open_the_circuit_and_four_do_not() {
        let mut breaker = Breaker::new(policy(), 0, None);
        for second in 0..4 {
            assert!(!breaker.record_failure(t(second)));
            assert_eq!(breaker.gate(t(second)), Gate::Closed);
        }
        assert!(breaker.record_failure(t(4)));
        assert_eq!(breaker.gate(t(5)), Gate::OpenUntil(t(64)));
    }

    #[test]
    fn a_success_between_failures_resets_the_count() {
        let mut breaker = Breaker::new(policy(), 0, None);
        for second in 0..4 {
            breaker.record_failure(t(second));
        }
        breaker.record_success();
        for second in 10..14 {
            assert!(!breaker.record_failure(t(second)));
        }
        assert!(!breaker.is_open());
    }

    #[test]
    fn st_04_after_the_cool_down_the_next_round_is_a_trial_and_success_closes() {
        let mut breaker = Breaker::new(policy(), 0, None);
        for second in 0..5 {
            breaker.record_failure(t(second));
        }
        assert_eq!(breaker.gate(t(63)), Gate::OpenUntil(t(64)));
        assert_eq!(breaker.gate(t(64)), Gate::Trial);
        breaker.record_success();
        assert_eq!(breaker.gate(t(64)), Gate::Closed);
        assert_eq!(breaker.consecutive_failures, 0);
    }

    #[test]
    fn a_failed_trial_doubles_the_cool_down_up_to_one_hour() {
        let mut breaker = Breaker::new(policy(), 0, None);
        for second in 0..5 {
            breaker.record_failure(t(second));
        }
        let mut expected = 60;
        let mut now = 4;
        for _ in 0..10 {
            assert_eq!(breaker.cooldown(), Duration::from_secs(expected));
            now += expected as i64;
            assert_eq!(breaker.gate(t(now)), Gate::Trial);
            assert!(breaker.record_failure(t(now)), "a failed trial re-opens");
            expected = (expected * 2).min(3600);
        }
        assert_eq!(breaker.cooldown(), MAX_COOLDOWN);
    }

    #[test]
    fn the_product_default_never_exceeds_one_hour() {
        let breaker = Breaker::new(BreakerPolicy::default(), 1_000, Some(t(0)));
        assert_eq!(breaker.cooldown(), MAX_COOLDOWN);
        assert_eq!(breaker.gate(t(3599)), Gate::OpenUntil(t(3600)));
        assert_eq!(breaker.gate(t(3600)), Gate::Trial);
    }

    #[test]
    fn a_restored_open_circuit_stays_open() {
        let breaker = Breaker::new(policy(), 5, Some(t(0)));
        assert!(breaker.is_open());
        assert_eq!(breaker.gate(t(30)), Gate::OpenUntil(t(60)));
    }
}
