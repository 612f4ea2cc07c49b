//! Holds: where one is in its life, and how long a generation's hold lives without news of
//! it (the grace period). A running generation moves its hold's expiry on while it lives; a
//! hold that expires is settled by the sweeper on what was saved last.

use std::time::Duration;

/// Where a hold is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HoldState {
    /// Reserving credits until it is settled.
    Open,
    /// Closed: the reservation released and the charge (if any) in the ledger.
    Settled,
}

impl HoldState {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldState::Open => "open",
            HoldState::Settled => "settled",
        }
    }
}

impl std::str::FromStr for HoldState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [HoldState::Open, HoldState::Settled]
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| format!("unknown hold state `{s}`"))
    }
}

/// The longest grace period: every expiry stays a valid date.
pub const MAX_GRACE: Duration = Duration::from_secs(365 * 24 * 3600);

/// The grace period a setting asks for, capped at [`MAX_GRACE`].
pub fn grace(configured: Duration) -> Duration {
    configured.min(MAX_GRACE)
}

/// A generation whose text has not grown since `since_extended` moves its hold's expiry on
/// once a quarter of the grace period has passed, so a model that pauses keeps its hold.
pub fn extend_due(since_extended: Duration, grace: Duration) -> bool {
    since_extended >= grace / 4
}

/// A generation that could not save its progress for the whole grace period stops: the
/// sweeper may settle it any moment, and text after that would be free.
pub fn unsaved_too_long(since_saved: Duration, grace: Duration) -> bool {
    since_saved >= grace
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grace_period_is_capped_at_a_year() {
        assert_eq!(grace(Duration::from_secs(120)), Duration::from_secs(120));
        assert_eq!(grace(Duration::from_secs(u64::MAX)), MAX_GRACE);
        assert_eq!(grace(MAX_GRACE), MAX_GRACE);
    }

    #[test]
    fn an_idle_hold_is_extended_every_quarter_of_the_grace_period() {
        let grace = Duration::from_secs(120);
        assert!(!extend_due(Duration::from_secs(29), grace));
        assert!(extend_due(Duration::from_secs(30), grace));
        assert!(extend_due(Duration::from_secs(31), grace));
    }

    #[test]
    fn saves_failing_for_the_whole_grace_period_stop_the_stream() {
        let grace = Duration::from_secs(120);
        assert!(!unsaved_too_long(Duration::from_secs(119), grace));
        assert!(unsaved_too_long(Duration::from_secs(120), grace));
    }
}

/// Whether a generation may call its provider while its opening commits, on the caller's
/// last known availability (`None`: not known on this replica lately): only when that pays
/// for the whole hold (`full_cost`, input included). Then the request is the one the opening
/// would lead to (the whole length asked for); if the opening is refused after all, the
/// upstream request is dropped and nothing is forwarded or charged.
pub fn may_call_early(
    available: Option<crate::Millicredits>,
    full_cost: crate::Millicredits,
) -> bool {
    available.is_some_and(|available| available.get() >= full_cost.get())
}

#[cfg(test)]
mod early_tests {
    use super::may_call_early;
    use crate::Millicredits;

    #[test]
    fn only_a_known_availability_that_pays_for_the_whole_hold_calls_early() {
        let mc = Millicredits::new;
        assert!(!may_call_early(None, mc(10)));
        assert!(!may_call_early(Some(mc(9)), mc(10)));
        assert!(may_call_early(Some(mc(10)), mc(10)));
        assert!(may_call_early(Some(mc(0)), mc(0)));
    }
}
