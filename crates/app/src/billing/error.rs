//! What a billing operation can end with besides its result.

use penora_payments::GatewayError;
use penora_store::ledger::LedgerError;
use penora_store::{DbErr, WriteError};

use crate::idempotency::{IdemError, IdempotentError};

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error("no catalog item {0:?}")]
    UnknownItem(String),
    #[error("{item:?} is not {wanted}")]
    WrongKind { item: String, wanted: &'static str },
    #[error("no such order")]
    OrderNotFound,
    #[error("no such payment")]
    PaymentNotFound,
    #[error("the payment signature does not match")]
    InvalidSignature,
    #[error("the payment is {status}, not captured")]
    NotCaptured { status: String },
    #[error("the payment's amount or currency is not the order's; nothing was credited")]
    Mismatch,
    #[error("you already have a {status} subscription; cancel it first")]
    SubscriptionExists { status: String },
    #[error("no subscription")]
    NoSubscription,
    #[error("the sandbox gateway is not in use")]
    NotSandbox,
    #[error("invalid webhook: {0}")]
    InvalidEvent(String),
    #[error("refund of {asked} is more than the {left} not yet refunded")]
    RefundTooLarge { asked: i64, left: i64 },
    #[error("too many orders and subscriptions started; try again in {0} seconds")]
    RateLimited(u64),
    #[error("the payment gateway is unavailable: {0}")]
    GatewayUnavailable(String),
    #[error("the payment gateway refused: {0}")]
    GatewayRejected(String),
    #[error(transparent)]
    Idem(#[from] IdemError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl BillingError {
    /// A gateway error as the client should see it: down or slow is 503 (retry later), a
    /// refusal is 502, an id the gateway does not know is ours to report.
    pub fn gateway(err: GatewayError) -> Self {
        match err {
            GatewayError::Unavailable(why) => Self::GatewayUnavailable(why),
            GatewayError::NotFound(_) => Self::PaymentNotFound,
            GatewayError::Rejected { description, .. } => Self::GatewayRejected(description),
            GatewayError::Malformed(why) => Self::GatewayRejected(why),
        }
    }
}

impl From<GatewayError> for BillingError {
    fn from(err: GatewayError) -> Self {
        Self::gateway(err)
    }
}

impl From<WriteError> for BillingError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::Taken => Self::Db(DbErr::Custom("unique value taken".to_owned())),
            WriteError::Db(err) => Self::Db(err),
        }
    }
}

impl From<LedgerError> for BillingError {
    fn from(err: LedgerError) -> Self {
        match err {
            LedgerError::Db(err) => Self::Db(err),
            other => Self::Db(DbErr::Custom(other.to_string())),
        }
    }
}

impl IdempotentError for BillingError {
    fn is_already_applied(&self) -> bool {
        false
    }
}
