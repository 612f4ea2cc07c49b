//! What callers ask a gateway to create.

use std::fmt;
use std::str::FromStr;

use penora_domain::Currency;
use serde::{Deserialize, Serialize};

use crate::entities::Notes;

/// An order to create: `amount` in the currency's smallest unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrder {
    pub amount: i64,
    pub currency: Currency,
    pub receipt: String,
    pub notes: Notes,
}

/// How often a plan charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Monthly,
    Yearly,
}

impl Period {
    pub fn as_str(&self) -> &'static str {
        match self {
            Period::Monthly => "monthly",
            Period::Yearly => "yearly",
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a plan period (monthly or yearly)")]
pub struct BadPeriod(pub String);

impl FromStr for Period {
    type Err = BadPeriod;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "monthly" => Ok(Period::Monthly),
            "yearly" => Ok(Period::Yearly),
            other => Err(BadPeriod(other.to_owned())),
        }
    }
}

/// A plan to create: charges `amount` of `currency` every `interval` `period`s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPlan {
    pub period: Period,
    pub interval: i64,
    pub name: String,
    pub amount: i64,
    pub currency: Currency,
    pub description: Option<String>,
    pub notes: Notes,
}

/// A subscription to create on plan `plan_id`, for `total_count` billing cycles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSubscription {
    pub plan_id: String,
    pub total_count: i64,
    pub notes: Notes,
}

/// A refund to make: `amount` None refunds what is left of the payment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRefund {
    pub amount: Option<i64>,
    pub notes: Notes,
    /// Razorpay's `X-Refund-Idempotency` (10+ characters of `[A-Za-z0-9_-]`): the same key
    /// with the same request gets the refund made the first time, not a second one; with
    /// another request it is refused.
    #[serde(skip)]
    pub idempotency_key: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_and_write_razorpay_names() {
        assert_eq!(
            serde_json::to_string(&Period::Monthly).unwrap(),
            "\"monthly\""
        );
        assert_eq!(
            serde_json::from_str::<Period>("\"yearly\"").unwrap(),
            Period::Yearly
        );
        assert_eq!("monthly".parse::<Period>(), Ok(Period::Monthly));
        assert!("weekly".parse::<Period>().is_err());
    }
}
