//! Per-replica abuse protection for mail-sending endpoints.
//!
//! Counters live in each replica's memory (DESIGN.md: acceptable for flood protection).
//! Limits that protect money or accounts (sign-up, sign-in, password checks, share look-ups)
//! are counted in the database instead ([`crate::limits`]). GCRA via `governor`.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Settings;

#[derive(Clone)]
pub struct Limiter {
    inner: Arc<DefaultKeyedRateLimiter<String>>,
}

impl Limiter {
    fn new(count: u32, per: Duration) -> Self {
        let count = NonZeroU32::new(count.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(per / count.get())
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(count);
        Self {
            inner: Arc::new(RateLimiter::keyed(quota)),
        }
    }

    /// `Ok` when allowed; otherwise the whole seconds to wait (at least 1).
    pub fn check(&self, key: &str) -> Result<(), u64> {
        self.inner.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    fn forget_idle(&self) {
        self.inner.retain_recent();
        self.inner.shrink_to_fit();
    }
}

#[derive(Clone)]
pub struct RateLimits {
    /// Verification and reset mails per address, so nobody can mail-bomb an inbox.
    pub mail_per_address: Limiter,
}

impl RateLimits {
    pub fn from_settings(s: &Settings) -> Self {
        const HOUR: Duration = Duration::from_secs(3600);
        Self {
            mail_per_address: Limiter::new(s.rate_email_per_address_per_hour, HOUR),
        }
    }

    /// Drops keys whose limits have fully recovered, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.mail_per_address.forget_idle();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_burst_then_refuses_with_a_wait() {
        let limiter = Limiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert_eq!(limiter.check("ip"), Ok(()));
        }
        let wait = limiter.check("ip").err();
        assert!(matches!(wait, Some(1..=20)), "{wait:?}");
        assert_eq!(limiter.check("other-ip"), Ok(()));
    }
}
