//! The gateway interface the billing services call: Razorpay, or the sandbox that behaves
//! like it.

use std::fmt;
use std::str::FromStr;

use crate::entities::{Order, Payment, Plan, Refund, Subscription};
use crate::error::GatewayError;
use crate::requests::{NewOrder, NewPlan, NewRefund, NewSubscription};
use crate::signature::Signer;

/// Which gateway handled a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GatewayKind {
    Razorpay,
    Sandbox,
}

impl GatewayKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            GatewayKind::Razorpay => "razorpay",
            GatewayKind::Sandbox => "sandbox",
        }
    }
}

impl fmt::Display for GatewayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a payment gateway (razorpay or sandbox)")]
pub struct BadGatewayKind(pub String);

impl FromStr for GatewayKind {
    type Err = BadGatewayKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "razorpay" => Ok(GatewayKind::Razorpay),
            "sandbox" => Ok(GatewayKind::Sandbox),
            other => Err(BadGatewayKind(other.to_owned())),
        }
    }
}

/// A payment gateway with Razorpay's objects and flows. No call retries by itself: a
/// `GatewayError::Unavailable` is for the caller to retry or report.
#[async_trait::async_trait]
pub trait Gateway: Send + Sync + 'static {
    fn kind(&self) -> GatewayKind;
    /// The public key id the browser's checkout needs (Razorpay `key_id`).
    fn key_id(&self) -> &str;
    fn signer(&self) -> &Signer;
    async fn create_order(&self, order: &NewOrder) -> Result<Order, GatewayError>;
    async fn fetch_order(&self, id: &str) -> Result<Order, GatewayError>;
    async fn fetch_payment(&self, id: &str) -> Result<Payment, GatewayError>;
    /// The payments made for an order (captured and failed), as the gateway lists them.
    async fn order_payments(&self, order_id: &str) -> Result<Vec<Payment>, GatewayError>;
    async fn refund(&self, payment_id: &str, refund: &NewRefund) -> Result<Refund, GatewayError>;
    async fn create_plan(&self, plan: &NewPlan) -> Result<Plan, GatewayError>;
    async fn create_subscription(&self, s: &NewSubscription) -> Result<Subscription, GatewayError>;
    async fn fetch_subscription(&self, id: &str) -> Result<Subscription, GatewayError>;
    /// `at_cycle_end`: keep it active until the paid period ends.
    async fn cancel_subscription(
        &self,
        id: &str,
        at_cycle_end: bool,
    ) -> Result<Subscription, GatewayError>;
    /// The payments charged for a subscription (Razorpay: GET /v1/invoices?subscription_id=..
    /// then each invoice's payment_id, or the sandbox's record), oldest first.
    async fn subscription_payments(&self, id: &str) -> Result<Vec<Payment>, GatewayError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_stable_names() {
        for kind in [GatewayKind::Razorpay, GatewayKind::Sandbox] {
            assert_eq!(kind.as_str().parse::<GatewayKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
        assert!("stripe".parse::<GatewayKind>().is_err());
    }
}
