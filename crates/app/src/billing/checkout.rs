//! The sandbox's test-mode checkout: what its page shows and what a tester does there (pay,
//! fail or cancel; renew or halt a subscription). Only while the sandbox is the gateway.

use std::sync::Arc;

use penora_payments::{CheckoutAction, CheckoutResult, Sandbox, Subscription, Tamper};
use penora_store::billing::orders::{self, OrderRow};
use penora_store::billing::subscriptions::{self, SubscriptionRow};

use super::catalog::Item;
use super::BillingError;
use crate::AppState;

/// Where the checkout page lives, under the API.
pub const PAGE_PATH: &str = "/api/v1/billing/sandbox/checkout";

fn sandbox(state: &AppState) -> Result<&Arc<Sandbox>, BillingError> {
    state.sandbox.as_ref().ok_or(BillingError::NotSandbox)
}

fn page(state: &AppState, query: &str) -> String {
    let base = state.config.settings.public_url.trim_end_matches('/');
    format!("{base}{PAGE_PATH}?{query}")
}

/// The checkout page of gateway order `id`.
pub fn order_page(state: &AppState, id: &str) -> String {
    page(state, &format!("order_id={id}"))
}

/// The checkout page of gateway subscription `id`.
pub fn subscription_page(state: &AppState, id: &str) -> String {
    page(state, &format!("subscription_id={id}"))
}

/// What is being paid for on a checkout page.
pub enum Paying<'a> {
    Order {
        order: OrderRow,
        item: Option<&'a Item>,
    },
    Subscription {
        row: SubscriptionRow,
        item: Option<&'a Item>,
    },
}

/// The order behind gateway order `id`, for its page.
pub async fn order<'a>(state: &'a AppState, id: &str) -> Result<Paying<'a>, BillingError> {
    sandbox(state)?;
    let order = orders::find_by_gateway_id(&state.db, state.gateway.kind().as_str(), id)
        .await?
        .ok_or(BillingError::OrderNotFound)?;
    let item = state.billing.item(&order.item_id);
    Ok(Paying::Order { order, item })
}

/// The subscription behind gateway subscription `id`, for its page.
pub async fn subscription<'a>(state: &'a AppState, id: &str) -> Result<Paying<'a>, BillingError> {
    sandbox(state)?;
    let gateway = state.gateway.kind().as_str();
    let row = subscriptions::find_by_gateway_id(&state.db, gateway, id)
        .await?
        .ok_or(BillingError::NoSubscription)?;
    let item = state.billing.item(&row.item_id);
    Ok(Paying::Subscription { row, item })
}

/// Pays, fails or abandons gateway order `id` (TEST MODE; `tamper` pays another amount or
/// currency, to try mismatch handling).
pub async fn pay_order(
    state: &AppState,
    id: &str,
    action: CheckoutAction,
    tamper: Tamper,
) -> Result<CheckoutResult, BillingError> {
    Ok(sandbox(state)?.checkout_order(id, action, tamper).await?)
}

/// Pays (or fails) the first period of gateway subscription `id`.
pub async fn pay_subscription(
    state: &AppState,
    id: &str,
    action: CheckoutAction,
) -> Result<CheckoutResult, BillingError> {
    Ok(sandbox(state)?.checkout_subscription(id, action).await?)
}

/// Charges the next period of gateway subscription `id` now (TEST MODE).
pub async fn renew(state: &AppState, id: &str) -> Result<Subscription, BillingError> {
    Ok(sandbox(state)?.renew_subscription(id).await?)
}

/// Makes the renewal of gateway subscription `id` fail for good (TEST MODE).
pub async fn halt(state: &AppState, id: &str) -> Result<Subscription, BillingError> {
    Ok(sandbox(state)?.halt_subscription(id).await?)
}
