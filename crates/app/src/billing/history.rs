//! Payments as their payers and admins see them.

use penora_domain::UserId;
use penora_store::billing::payments::{self, PaymentFilter, PaymentRow};
use penora_store::Page;
use uuid::Uuid;

use super::BillingError;
use crate::AppState;

/// One page of the user's payments, newest first, older than `before`.
pub async fn of_user(
    state: &AppState,
    user: UserId,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Page<PaymentRow>, BillingError> {
    let filter = PaymentFilter {
        user: Some(user),
        before,
        ..PaymentFilter::default()
    };
    Ok(payments::list(&state.db, &filter, limit).await?)
}

/// One page of everyone's payments for an admin, filtered.
pub async fn all(
    state: &AppState,
    filter: &PaymentFilter,
    limit: u64,
) -> Result<Page<PaymentRow>, BillingError> {
    Ok(payments::list(&state.db, filter, limit).await?)
}

/// The user's payment `id`.
pub async fn find(state: &AppState, user: UserId, id: Uuid) -> Result<PaymentRow, BillingError> {
    payments::find(&state.db, id)
        .await?
        .filter(|p| p.user_id == user.as_uuid())
        .ok_or(BillingError::PaymentNotFound)
}

/// Any payment, for an admin.
pub async fn find_any(state: &AppState, id: Uuid) -> Result<PaymentRow, BillingError> {
    payments::find(&state.db, id)
        .await?
        .ok_or(BillingError::PaymentNotFound)
}
