//! Time as the engine sees it. Everything time-based (poll intervals, the circuit's
//! cool-down, CDC retry back-off) asks a [`Clock`], so tests drive time by hand instead of
//! sleeping: [`ManualClock`] only moves when a test advances it.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::watch;

/// Now, and waiting until a moment.
#[async_trait::async_trait]
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    /// Returns once `now() >= at`.
    async fn sleep_until(&self, at: DateTime<Utc>);
}

pub type SharedClock = Arc<dyn Clock>;

/// The wall clock (production).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[async_trait::async_trait]
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    async fn sleep_until(&self, at: DateTime<Utc>) {
        let wait = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        tokio::time::sleep(wait).await;
    }
}

/// A clock that stands still until [`ManualClock::advance`] moves it (tests).
#[derive(Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
    moved: watch::Sender<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
            moved: watch::Sender::new(start),
        }
    }

    /// Moves time forward and wakes every sleeper whose moment has come.
    pub fn advance(&self, by: Duration) {
        let by = TimeDelta::from_std(by).unwrap_or(TimeDelta::MAX);
        let now = match self.now.lock() {
            Ok(mut now) => {
                *now += by;
                *now
            }
            Err(poisoned) => *poisoned.into_inner(),
        };
        self.moved.send_replace(now);
    }
}

#[async_trait::async_trait]
impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        match self.now.lock() {
            Ok(now) => *now,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    async fn sleep_until(&self, at: DateTime<Utc>) {
        let mut moved = self.moved.subscribe();
        // `wait_for` checks the current value first, so an advance that already happened counts.
        let _ = moved.wait_for(|now| *now >= at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_sleeper_wakes_only_when_time_is_advanced_past_its_moment() {
        let start = Utc::now();
        let clock = ManualClock::new(start);
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep_until(start + TimeDelta::seconds(60)).await }
        });
        clock.advance(Duration::from_secs(59));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.advance(Duration::from_secs(1));
        tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .expect("the sleeper wakes")
            .expect("no panic");
        assert_eq!(clock.now(), start + TimeDelta::seconds(60));
    }
}
