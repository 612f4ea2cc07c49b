//! Billing: the catalog, orders and their verification, payments received (by the browser's
//! verify, a webhook or the reconcile job, whichever comes first: each is applied once),
//! subscriptions and the plans they entitle users to, refunds and the debts they leave,
//! receipts, and the test-mode sandbox gateway.

pub mod catalog;
pub mod checkout;
pub mod debts;
mod error;
pub mod gateway;
pub mod history;
pub mod orders;
pub mod payments;
pub mod periods;
pub mod plan;
pub mod receipts;
pub mod reconcile;
pub mod refunds;
pub mod sandbox;
pub mod subscriptions;
pub mod webhooks;

pub use error::BillingError;

use penora_domain::UserId;

use crate::limits::{self, Bucket, Limit, Verdict};
use crate::AppState;

/// Counts one order or subscription the user starts against
/// `rate_checkouts_per_user_per_hour` (in the database, across replicas).
pub(crate) async fn count_checkout(state: &AppState, user: UserId) -> Result<(), BillingError> {
    let max = state
        .config
        .settings
        .payments
        .rate_checkouts_per_user_per_hour;
    match limits::hit(&state.db, Bucket::Checkouts(user), Limit::per_hour(max)).await? {
        Verdict::Allowed => Ok(()),
        Verdict::Wait(secs) => Err(BillingError::RateLimited(secs)),
    }
}
