//! When to try a request again. Only before the first byte of a stream: once any text has
//! reached the user, a retry would repeat it (and bill it twice).

use std::time::Duration;

use crate::error::ProviderError;

/// How many times, and how long to wait, when an upstream is briefly unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first wait; doubled for each further retry.
    pub base_delay: Duration,
    /// The longest wait. A Retry-After longer than this is not waited for: the error goes
    /// straight to the caller, who can tell the user when to try again.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// How long to wait before retry number `retry` (0-based) after `error`, or `None` when
    /// the error should go to the caller.
    pub(crate) fn delay(&self, retry: u32, error: &ProviderError) -> Option<Duration> {
        if retry >= self.max_retries || !is_transient(error) {
            return None;
        }
        match error.retry_after() {
            Some(seconds) => {
                let asked = Duration::from_secs(seconds);
                (asked <= self.max_delay).then_some(asked)
            }
            None => {
                let doubled = self.base_delay.saturating_mul(2u32.saturating_pow(retry));
                Some(doubled.min(self.max_delay))
            }
        }
    }
}

/// Errors worth another try: the connection failed, or the upstream said "busy, come back".
/// Not timeouts (the wait would repeat), not 500 (usually a bug upstream, not a blip).
fn is_transient(error: &ProviderError) -> bool {
    match error {
        ProviderError::Connection { .. } | ProviderError::RateLimited { .. } => true,
        // 529 is Anthropic's "overloaded".
        ProviderError::UpstreamUnavailable { status, .. } => {
            matches!(status, 502 | 503 | 504 | 529)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unavailable(status: u16) -> ProviderError {
        ProviderError::UpstreamUnavailable {
            status,
            message: String::new(),
        }
    }

    fn limited(retry_after: Option<u64>) -> ProviderError {
        ProviderError::RateLimited {
            retry_after,
            message: String::new(),
        }
    }

    #[test]
    fn backs_off_exponentially_up_to_the_cap() {
        let policy = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
        };
        let delays: Vec<_> = (0..5).map(|n| policy.delay(n, &unavailable(503))).collect();
        assert_eq!(
            delays,
            [100, 200, 300, 300, 300].map(|ms| Some(Duration::from_millis(ms)))
        );
    }

    #[test]
    fn stops_after_max_retries() {
        let policy = RetryPolicy::default();
        assert!(policy.delay(1, &unavailable(503)).is_some());
        assert_eq!(policy.delay(2, &unavailable(503)), None);
        assert_eq!(RetryPolicy::none().delay(0, &unavailable(503)), None);
    }

    #[test]
    fn honours_retry_after_within_the_cap_only() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(0, &limited(Some(1))),
            Some(Duration::from_secs(1))
        );
        assert_eq!(policy.delay(0, &limited(Some(60))), None);
        assert!(policy.delay(0, &limited(None)).is_some());
    }

    #[test]
    fn only_transient_errors_are_retried() {
        let policy = RetryPolicy::default();
        for status in [502, 503, 504, 529] {
            assert!(policy.delay(0, &unavailable(status)).is_some(), "{status}");
        }
        assert_eq!(policy.delay(0, &unavailable(500)), None);
        let timeout = ProviderError::Timeout {
            phase: crate::error::TimeoutPhase::FirstByte,
        };
        assert_eq!(policy.delay(0, &timeout), None);
        let refused = ProviderError::BadRequest {
            message: String::new(),
        };
        assert_eq!(policy.delay(0, &refused), None);
        let reset = ProviderError::Connection {
            detail: String::new(),
        };
        assert!(policy.delay(0, &reset).is_some());
    }
}
