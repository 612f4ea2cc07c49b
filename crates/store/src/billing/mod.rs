//! Billing's tables: orders, payments, refunds and debts, subscriptions and the gateway's
//! plan ids, received webhook events, and the sandbox gateway's objects and outbox.
//!
//! Each gateway id is unique in its table: an insert that meets it returns
//! [`crate::WriteError::Taken`], which callers read as "applied before".

pub mod debts;
pub mod orders;
pub mod payments;
pub mod plans;
pub mod refund_requests;
pub mod refunds;
pub mod sandbox;
pub mod subscriptions;
pub mod webhooks;
