//! The built-in TEST MODE gateway. It behaves like Razorpay (same entity shapes, id prefixes,
//! signatures and webhooks) and keeps its objects and webhook outbox in a `SandboxBook`, so
//! replicas share it and a restart loses nothing. Its checkout page is driven through
//! `checkout_order` / `checkout_subscription`; renewals and failed renewals are triggered by
//! hand (`renew_subscription`, `halt_subscription`).
//!
//! Each change is a read-modify-write of the book; one `Sandbox` runs them one at a time, but
//! two replicas changing the same object at once may race (acceptable for TEST MODE).

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Months, TimeDelta, Utc};
use rand::distributions::Alphanumeric;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::entities::{Notes, Order, Payment, Plan, PlanItem, Refund, Subscription};
use crate::error::GatewayError;
use crate::gateway::{Gateway, GatewayKind};
use crate::requests::{NewOrder, NewPlan, NewRefund, NewSubscription};
use crate::signature::Signer;
use crate::webhook::{Event, EventKind, EventPayload, Wrapped};

/// Where the sandbox keeps Razorpay-shaped objects and its webhook outbox (a database table
/// in Penora, so replicas share it and a restart loses nothing).
#[async_trait::async_trait]
pub trait SandboxBook: Send + Sync + 'static {
    /// Inserts or replaces the object `id` (kind: "order", "payment", "refund", "plan",
    /// "subscription"); `parent` is the order or subscription a payment belongs to.
    async fn put(
        &self,
        kind: &str,
        id: &str,
        parent: Option<&str>,
        body: serde_json::Value,
    ) -> Result<(), BookError>;
    async fn get(&self, kind: &str, id: &str) -> Result<Option<serde_json::Value>, BookError>;
    /// Objects of `kind` whose parent is `parent`, oldest first.
    async fn children(&self, kind: &str, parent: &str)
        -> Result<Vec<serde_json::Value>, BookError>;
    /// Queues one webhook delivery, to be sent no earlier than `deliver_after`.
    async fn enqueue(&self, delivery: Delivery) -> Result<(), BookError>;
}

#[derive(Debug, thiserror::Error)]
#[error("sandbox storage: {0}")]
pub struct BookError(pub String);

impl From<BookError> for GatewayError {
    fn from(e: BookError) -> Self {
        GatewayError::Unavailable(e.to_string())
    }
}

/// One webhook delivery: POST `body` with headers X-Razorpay-Signature: signature and
/// X-Razorpay-Event-Id: event_id.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event_id: String,
    /// The event's name, e.g. "payment.captured".
    pub event: String,
    pub body: String,
    pub signature: String,
    pub deliver_after: DateTime<Utc>,
}

/// The book's kinds of object.
pub const ORDER: &str = "order";
pub const PAYMENT: &str = "payment";
pub const REFUND: &str = "refund";
/// A refund's idempotency key, and the request and refund it stands for.
pub const REFUND_KEY: &str = "refund_key";
pub const PLAN: &str = "plan";
pub const SUBSCRIPTION: &str = "subscription";

/// A field the sandbox adds to a stored subscription: cancel when the current period ends.
const CANCEL_AT_CYCLE_END: &str = "sandbox_cancel_at_cycle_end";

/// The most a shuffled delivery is held back.
const MAX_SHUFFLE_DELAY_MS: i64 = 1500;

#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// The key id the checkout page shows; "rzp_test_sandbox" by default.
    pub key_id: String,
    /// Queue every webhook delivery twice with the same event id.
    pub duplicates: bool,
    /// Hold each delivery back by 0..=1500 ms drawn from a ChaCha8 generator seeded with
    /// `seed`, so deliveries can arrive out of order (the same way every run).
    pub shuffle: bool,
    pub seed: u64,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            key_id: "rzp_test_sandbox".to_owned(),
            duplicates: false,
            shuffle: false,
            seed: 0,
        }
    }
}

/// What the person did on the TEST MODE checkout page ("pay", "fail", "cancel" in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckoutAction {
    Pay,
    Fail,
    Cancel,
}

/// TEST MODE knobs a tester may set on the page: pay another amount or currency than the
/// order's (to exercise mismatch handling).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Tamper {
    pub amount: Option<i64>,
    pub currency: Option<String>,
}

/// What the checkout hands back to the browser, like Razorpay Checkout's handler response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutResult {
    /// "paid" | "failed" | "cancelled"
    pub status: String,
    pub razorpay_order_id: Option<String>,
    pub razorpay_subscription_id: Option<String>,
    pub razorpay_payment_id: Option<String>,
    pub razorpay_signature: Option<String>,
    pub error_description: Option<String>,
}

/// The account id the sandbox's events carry.
const ACCOUNT_ID: &str = "acc_sandbox";
const DECLINED: &str = "Payment failed: the card was declined (TEST MODE)";

pub struct Sandbox {
    book: Arc<dyn SandboxBook>,
    signer: Signer,
    options: SandboxOptions,
    delays: Mutex<ChaCha8Rng>,
    writes: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A Razorpay-style id: the prefix and 14 random alphanumerics (from the thread's generator,
/// not the seeded one, so ids never repeat across runs).
fn new_id(prefix: &str) -> String {
    let tail: String = rand::thread_rng()
        .sample_iter(Alphanumeric)
        .take(14)
        .map(char::from)
        .collect();
    format!("{prefix}{tail}")
}

/// `from` plus `interval` periods of a plan.
fn advance(from: i64, period: &str, interval: i64) -> Result<i64, GatewayError> {
    let bad = || GatewayError::Malformed(format!("cannot add {interval} {period} to {from}"));
    let start = DateTime::from_timestamp(from, 0).ok_or_else(bad)?;
    let n = u32::try_from(interval).map_err(|_| bad())?;
    let end = match period {
        "monthly" => start.checked_add_months(Months::new(n)),
        "yearly" => start.checked_add_months(Months::new(n.checked_mul(12).ok_or_else(bad)?)),
        "weekly" => start.checked_add_signed(TimeDelta::weeks(i64::from(n))),
        "daily" => start.checked_add_signed(TimeDelta::days(i64::from(n))),
        _ => None,
    };
    end.map(|t| t.timestamp()).ok_or_else(bad)
}

struct NewPayment<'a> {
    amount: i64,
    currency: &'a str,
    order_id: Option<&'a str>,
    subscription_id: Option<&'a str>,
    invoice_id: Option<String>,
    captured: bool,
    notes: Notes,
}

fn payment(p: NewPayment<'_>, now: i64) -> Payment {
    Payment {
        id: new_id("pay_"),
        entity: "payment".to_owned(),
        amount: p.amount,
        currency: p.currency.to_owned(),
        status: if p.captured { "captured" } else { "failed" }.to_owned(),
        order_id: p.order_id.map(str::to_owned),
        invoice_id: p.invoice_id,
        subscription_id: p.subscription_id.map(str::to_owned),
        method: Some("card".to_owned()),
        amount_refunded: 0,
        captured: p.captured,
        description: Some("TEST MODE".to_owned()),
        email: None,
        notes: p.notes,
        error_code: (!p.captured).then(|| crate::error::BAD_REQUEST_ERROR.to_owned()),
        error_description: (!p.captured).then(|| DECLINED.to_owned()),
        created_at: now,
    }
}

fn not_found(kind: &str, id: &str) -> GatewayError {
    GatewayError::NotFound(format!("The id provided does not exist ({kind} {id:?})"))
}

impl Sandbox {
    pub fn new(book: Arc<dyn SandboxBook>, signer: Signer, options: SandboxOptions) -> Self {
        let delays = Mutex::new(ChaCha8Rng::seed_from_u64(options.seed));
        Self {
            book,
            signer,
            options,
            delays,
            writes: tokio::sync::Mutex::new(()),
        }
    }

    pub fn options(&self) -> &SandboxOptions {
        &self.options
    }

    async fn load<T: DeserializeOwned>(&self, kind: &str, id: &str) -> Result<T, GatewayError> {
        let body = self
            .book
            .get(kind, id)
            .await?
            .ok_or_else(|| not_found(kind, id))?;
        serde_json::from_value(body)
            .map_err(|e| GatewayError::Malformed(format!("sandbox {kind} {id:?}: {e}")))
    }

    async fn store<T: Serialize>(
        &self,
        kind: &str,
        id: &str,
        parent: Option<&str>,
        value: &T,
    ) -> Result<(), GatewayError> {
        let body = serde_json::to_value(value)
            .map_err(|e| GatewayError::Malformed(format!("sandbox {kind} {id:?}: {e}")))?;
        Ok(self.book.put(kind, id, parent, body).await?)
    }

    async fn children<T: DeserializeOwned>(
        &self,
        kind: &str,
        parent: &str,
    ) -> Result<Vec<T>, GatewayError> {
        self.book
            .children(kind, parent)
            .await?
            .into_iter()
            .map(|body| {
                serde_json::from_value(body)
                    .map_err(|e| GatewayError::Malformed(format!("sandbox {kind}: {e}")))
            })
            .collect()
    }

    /// A subscription and whether it is to be cancelled when its period ends.
    async fn load_subscription(&self, id: &str) -> Result<(Subscription, bool), GatewayError> {
        let body = self
            .book
            .get(SUBSCRIPTION, id)
            .await?
            .ok_or_else(|| not_found(SUBSCRIPTION, id))?;
        let cancel_at_end = body
            .get(CANCEL_AT_CYCLE_END)
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        let sub = serde_json::from_value(body)
            .map_err(|e| GatewayError::Malformed(format!("sandbox subscription {id:?}: {e}")))?;
        Ok((sub, cancel_at_end))
    }

    async fn store_subscription(
        &self,
        sub: &Subscription,
        cancel_at_end: bool,
    ) -> Result<(), GatewayError> {
        let mut body = serde_json::to_value(sub)
            .map_err(|e| GatewayError::Malformed(format!("sandbox subscription: {e}")))?;
        if let (true, Some(map)) = (cancel_at_end, body.as_object_mut()) {
            map.insert(
                CANCEL_AT_CYCLE_END.to_owned(),
                serde_json::Value::Bool(true),
            );
        }
        Ok(self.book.put(SUBSCRIPTION, &sub.id, None, body).await?)
    }

    /// The next delivery's hold-back: 0..=1500 ms from the seeded generator when shuffling.
    pub fn next_delay(&self) -> TimeDelta {
        if !self.options.shuffle {
            return TimeDelta::zero();
        }
        let mut rng = self
            .delays
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        TimeDelta::milliseconds(rng.gen_range(0..=MAX_SHUFFLE_DELAY_MS))
    }

    /// Signs and queues one event (twice with `duplicates`).
    async fn emit(&self, kind: EventKind, payload: EventPayload) -> Result<(), GatewayError> {
        let now = Utc::now();
        let event = Event::new(kind, payload, ACCOUNT_ID, now.timestamp());
        let body = serde_json::to_string(&event)
            .map_err(|e| GatewayError::Malformed(format!("sandbox event: {e}")))?;
        let signature = self.signer.webhook_signature(body.as_bytes());
        let event_id = new_id("evt_");
        let copies = if self.options.duplicates { 2 } else { 1 };
        for _ in 0..copies {
            self.book
                .enqueue(Delivery {
                    event_id: event_id.clone(),
                    event: event.event.clone(),
                    body: body.clone(),
                    signature: signature.clone(),
                    deliver_after: now + self.next_delay(),
                })
                .await?;
        }
        Ok(())
    }
}

mod checkout;
mod gateway;

#[cfg(test)]
mod tests;
