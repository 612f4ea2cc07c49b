//! Calling the provider while a generation's opening commits, so the commit does not add to
//! the time to the first token.
//!
//! The rule ([`penora_domain::hold::may_call_early`]): only when this replica learned the
//! caller's availability in the last few seconds ([`Availability`]) and it pays for the
//! whole hold, so the request is the one the opening leads to. Nothing of the upstream's
//! stream is read before the opening committed: the stream task reads it only once the
//! generation is `Started`. A refused opening drops the call ([`Early`] aborts it when
//! dropped), which cancels the upstream request; nothing was forwarded or charged.

use std::sync::Arc;
use std::time::Duration;

use penora_ai::{EventStream, GenerationRequest, Provider, ProviderError};
use penora_domain::{Millicredits, UserId};
use tokio::task::JoinHandle;
use tracing::Instrument;

/// How long a learned availability is trusted for calling early.
const FRESH: Duration = Duration::from_secs(5);

/// Each caller's available credits as this replica last saw them (after a generation
/// settled, or opened the long way), for a few seconds.
#[derive(Clone)]
pub struct Availability(moka::sync::Cache<UserId, i64>);

impl Default for Availability {
    fn default() -> Self {
        Self(
            moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(FRESH)
                .build(),
        )
    }
}

impl Availability {
    pub fn learn(&self, user: UserId, available: Millicredits) {
        self.0.insert(user, available.get());
    }

    pub fn forget(&self, user: UserId) {
        self.0.invalidate(&user);
    }

    pub fn known(&self, user: UserId) -> Option<Millicredits> {
        self.0.get(&user).map(Millicredits::new)
    }
}

/// A provider call started before its generation opened. Dropped, it cancels the call.
pub struct Early(JoinHandle<Result<EventStream, ProviderError>>);

impl Early {
    /// Calls `provider` with `request` in a task of its own.
    pub(super) fn call(provider: Arc<dyn Provider>, request: GenerationRequest) -> Self {
        let call = async move { provider.stream(request).await };
        Self(tokio::spawn(call.in_current_span()))
    }

    /// The call's outcome, as `Provider::stream` would have answered.
    pub async fn opened(mut self) -> Result<EventStream, ProviderError> {
        match (&mut self.0).await {
            Ok(opened) => opened,
            Err(err) => Err(ProviderError::Connection {
                detail: format!("the provider call stopped: {err}"),
            }),
        }
    }
}

impl Drop for Early {
    fn drop(&mut self) {
        self.0.abort();
    }
}
