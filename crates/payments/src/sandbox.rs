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

    /// Pays, fails or abandons order `order_id`. Pay: a captured payment of the order's amount
    /// (or the tampered one), order status "paid", and webhooks payment.captured then order.paid
    /// queued; Fail: a failed payment and payment.failed queued; Cancel: nothing changes.
    /// The signature is `payment_signature(order_id, payment_id)`. Paying an already paid order:
    /// GatewayError::Rejected (code "BAD_REQUEST_ERROR").
    pub async fn checkout_order(
        &self,
        order_id: &str,
        action: CheckoutAction,
        tamper: Tamper,
    ) -> Result<CheckoutResult, GatewayError> {
        let _one_at_a_time = self.writes.lock().await;
        let mut order: Order = self.load(ORDER, order_id).await?;
        let mut result = CheckoutResult {
            status: "cancelled".to_owned(),
            razorpay_order_id: Some(order.id.clone()),
            razorpay_subscription_id: None,
            razorpay_payment_id: None,
            razorpay_signature: None,
            error_description: None,
        };
        if action == CheckoutAction::Cancel {
            return Ok(result);
        }
        if order.status == "paid" {
            return Err(GatewayError::bad_request(
                "This order has already been paid",
            ));
        }
        let now = Utc::now().timestamp();
        let captured = action == CheckoutAction::Pay;
        let pay = payment(
            NewPayment {
                amount: tamper.amount.unwrap_or(order.amount),
                currency: tamper.currency.as_deref().unwrap_or(&order.currency),
                order_id: Some(&order.id),
                subscription_id: None,
                invoice_id: None,
                captured,
                notes: order.notes.clone(),
            },
            now,
        );
        self.store(PAYMENT, &pay.id, Some(&order.id), &pay).await?;
        order.attempts += 1;
        result.razorpay_payment_id = Some(pay.id.clone());
        if captured {
            order.status = "paid".to_owned();
            order.amount_paid = pay.amount;
            order.amount_due = (order.amount - pay.amount).max(0);
            self.store(ORDER, &order.id, None, &order).await?;
            let wrapped = Some(Wrapped::new(pay.clone()));
            self.emit(
                EventKind::PaymentCaptured,
                EventPayload {
                    payment: wrapped.clone(),
                    ..EventPayload::default()
                },
            )
            .await?;
            self.emit(
                EventKind::OrderPaid,
                EventPayload {
                    payment: wrapped,
                    order: Some(Wrapped::new(order.clone())),
                    ..EventPayload::default()
                },
            )
            .await?;
            result.status = "paid".to_owned();
            result.razorpay_signature = Some(self.signer.payment_signature(&order.id, &pay.id));
        } else {
            order.status = "attempted".to_owned();
            self.store(ORDER, &order.id, None, &order).await?;
            result.status = "failed".to_owned();
            result.error_description = pay.error_description.clone();
            self.emit(
                EventKind::PaymentFailed,
                EventPayload {
                    payment: Some(Wrapped::new(pay)),
                    ..EventPayload::default()
                },
            )
            .await?;
        }
        Ok(result)
    }

    /// The first payment of subscription `id`: status "active", current_start = now,
    /// current_end = now + the plan's period (monthly: +1 calendar month, yearly: +1 year),
    /// paid_count 1, a captured payment (amount of the plan item) with subscription_id and
    /// invoice_id set, webhooks subscription.activated then subscription.charged (payload with
    /// subscription and payment). Signature: subscription_signature(payment_id, sub_id).
    /// Fail: a failed payment (subscription unchanged) and payment.failed queued.
    pub async fn checkout_subscription(
        &self,
        id: &str,
        action: CheckoutAction,
    ) -> Result<CheckoutResult, GatewayError> {
        let _one_at_a_time = self.writes.lock().await;
        let (mut sub, cancel_at_end) = self.load_subscription(id).await?;
        let plan: Plan = self.load(PLAN, &sub.plan_id).await?;
        let mut result = CheckoutResult {
            status: "cancelled".to_owned(),
            razorpay_order_id: None,
            razorpay_subscription_id: Some(sub.id.clone()),
            razorpay_payment_id: None,
            razorpay_signature: None,
            error_description: None,
        };
        if action == CheckoutAction::Cancel {
            return Ok(result);
        }
        if !matches!(sub.status.as_str(), "created" | "authenticated") {
            return Err(GatewayError::bad_request(format!(
                "Subscription is in {} state and cannot be paid for at checkout",
                sub.status
            )));
        }
        let now = Utc::now().timestamp();
        let captured = action == CheckoutAction::Pay;
        let pay = payment(
            NewPayment {
                amount: plan.item.amount.saturating_mul(sub.quantity),
                currency: &plan.item.currency,
                order_id: None,
                subscription_id: Some(&sub.id),
                invoice_id: Some(new_id("inv_")),
                captured,
                notes: sub.notes.clone(),
            },
            now,
        );
        self.store(PAYMENT, &pay.id, Some(&sub.id), &pay).await?;
        result.razorpay_payment_id = Some(pay.id.clone());
        if !captured {
            result.status = "failed".to_owned();
            result.error_description = pay.error_description.clone();
            self.emit(
                EventKind::PaymentFailed,
                EventPayload {
                    payment: Some(Wrapped::new(pay)),
                    ..EventPayload::default()
                },
            )
            .await?;
            return Ok(result);
        }
        let end = advance(now, &plan.period, plan.interval)?;
        sub.status = "active".to_owned();
        sub.start_at = Some(now);
        sub.current_start = Some(now);
        sub.current_end = Some(end);
        sub.charge_at = Some(end);
        sub.paid_count = 1;
        sub.remaining_count = Some((sub.total_count - sub.paid_count).max(0));
        self.store_subscription(&sub, cancel_at_end).await?;
        self.emit(
            EventKind::SubscriptionActivated,
            EventPayload {
                subscription: Some(Wrapped::new(sub.clone())),
                ..EventPayload::default()
            },
        )
        .await?;
        self.emit(
            EventKind::SubscriptionCharged,
            EventPayload {
                subscription: Some(Wrapped::new(sub.clone())),
                payment: Some(Wrapped::new(pay.clone())),
                ..EventPayload::default()
            },
        )
        .await?;
        result.status = "paid".to_owned();
        result.razorpay_signature = Some(self.signer.subscription_signature(&pay.id, &sub.id));
        Ok(result)
    }

    /// TEST MODE: the next period is charged now: current_start = old current_end,
    /// current_end advances one period, paid_count + 1, a new captured payment,
    /// subscription.charged queued. If the subscription was cancelled at cycle end, instead:
    /// status "cancelled", ended_at = now, subscription.cancelled queued. If it has reached
    /// total_count: status "completed", subscription.completed queued. A pending or halted
    /// subscription becomes active again. Other statuses: Rejected.
    pub async fn renew_subscription(&self, id: &str) -> Result<Subscription, GatewayError> {
        let _one_at_a_time = self.writes.lock().await;
        let (mut sub, cancel_at_end) = self.load_subscription(id).await?;
        if !matches!(sub.status.as_str(), "active" | "pending" | "halted") {
            return Err(GatewayError::bad_request(format!(
                "Subscription is in {} state and cannot be charged",
                sub.status
            )));
        }
        let now = Utc::now().timestamp();
        if cancel_at_end || sub.paid_count >= sub.total_count {
            let kind = if cancel_at_end {
                sub.status = "cancelled".to_owned();
                EventKind::SubscriptionCancelled
            } else {
                sub.status = "completed".to_owned();
                EventKind::SubscriptionCompleted
            };
            sub.ended_at = Some(now);
            sub.charge_at = None;
            sub.has_scheduled_changes = false;
            self.store_subscription(&sub, false).await?;
            self.emit(
                kind,
                EventPayload {
                    subscription: Some(Wrapped::new(sub.clone())),
                    ..EventPayload::default()
                },
            )
            .await?;
            return Ok(sub);
        }
        let plan: Plan = self.load(PLAN, &sub.plan_id).await?;
        let start = sub.current_end.unwrap_or(now);
        let end = advance(start, &plan.period, plan.interval)?;
        let pay = payment(
            NewPayment {
                amount: plan.item.amount.saturating_mul(sub.quantity),
                currency: &plan.item.currency,
                order_id: None,
                subscription_id: Some(&sub.id),
                invoice_id: Some(new_id("inv_")),
                captured: true,
                notes: sub.notes.clone(),
            },
            now,
        );
        self.store(PAYMENT, &pay.id, Some(&sub.id), &pay).await?;
        sub.status = "active".to_owned();
        sub.current_start = Some(start);
        sub.current_end = Some(end);
        sub.charge_at = Some(end);
        sub.paid_count += 1;
        sub.remaining_count = Some((sub.total_count - sub.paid_count).max(0));
        self.store_subscription(&sub, false).await?;
        self.emit(
            EventKind::SubscriptionCharged,
            EventPayload {
                subscription: Some(Wrapped::new(sub.clone())),
                payment: Some(Wrapped::new(pay)),
                ..EventPayload::default()
            },
        )
        .await?;
        Ok(sub)
    }

    /// TEST MODE: the renewal charge failed: status "pending" then "halted";
    /// subscription.pending then subscription.halted queued. Only an active or pending
    /// subscription can be halted (others: Rejected).
    pub async fn halt_subscription(&self, id: &str) -> Result<Subscription, GatewayError> {
        let _one_at_a_time = self.writes.lock().await;
        let (mut sub, cancel_at_end) = self.load_subscription(id).await?;
        if !matches!(sub.status.as_str(), "active" | "pending") {
            return Err(GatewayError::bad_request(format!(
                "Subscription is in {} state and cannot be halted",
                sub.status
            )));
        }
        for (status, kind) in [
            ("pending", EventKind::SubscriptionPending),
            ("halted", EventKind::SubscriptionHalted),
        ] {
            sub.status = status.to_owned();
            self.store_subscription(&sub, cancel_at_end).await?;
            self.emit(
                kind,
                EventPayload {
                    subscription: Some(Wrapped::new(sub.clone())),
                    ..EventPayload::default()
                },
            )
            .await?;
        }
        Ok(sub)
    }
}

#[async_trait::async_trait]
impl Gateway for Sandbox {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Sandbox
    }

    fn key_id(&self) -> &str {
        &self.options.key_id
    }

    fn signer(&self) -> &Signer {
        &self.signer
    }

    async fn create_order(&self, new: &NewOrder) -> Result<Order, GatewayError> {
        if new.amount <= 0 {
            return Err(GatewayError::bad_request("The amount must be at least 1"));
        }
        if new.receipt.chars().count() > 40 {
            return Err(GatewayError::bad_request(
                "receipt: The receipt may not be greater than 40 characters.",
            ));
        }
        let order = Order {
            id: new_id("order_"),
            entity: "order".to_owned(),
            amount: new.amount,
            amount_paid: 0,
            amount_due: new.amount,
            currency: new.currency.to_string(),
            receipt: Some(new.receipt.clone()),
            status: "created".to_owned(),
            attempts: 0,
            notes: new.notes.clone(),
            created_at: Utc::now().timestamp(),
        };
        self.store(ORDER, &order.id, None, &order).await?;
        Ok(order)
    }

    async fn fetch_order(&self, id: &str) -> Result<Order, GatewayError> {
        self.load(ORDER, id).await
    }

    async fn fetch_payment(&self, id: &str) -> Result<Payment, GatewayError> {
        self.load(PAYMENT, id).await
    }

    async fn order_payments(&self, order_id: &str) -> Result<Vec<Payment>, GatewayError> {
        let _order: Order = self.load(ORDER, order_id).await?;
        self.children(PAYMENT, order_id).await
    }

    async fn refund(&self, payment_id: &str, new: &NewRefund) -> Result<Refund, GatewayError> {
        let _one_at_a_time = self.writes.lock().await;
        let mut pay: Payment = self.load(PAYMENT, payment_id).await?;
        if pay.status != "captured" {
            return Err(GatewayError::bad_request(format!(
                "The payment is in {} state and cannot be refunded",
                pay.status
            )));
        }
        let left = pay.amount - pay.amount_refunded;
        let amount = new.amount.unwrap_or(left);
        if amount <= 0 || amount > left {
            return Err(GatewayError::bad_request(
                "The refund amount provided is greater than amount captured",
            ));
        }
        let refund = Refund {
            id: new_id("rfnd_"),
            entity: "refund".to_owned(),
            amount,
            currency: pay.currency.clone(),
            payment_id: pay.id.clone(),
            notes: new.notes.clone(),
            status: "processed".to_owned(),
            created_at: Utc::now().timestamp(),
        };
        self.store(REFUND, &refund.id, Some(&pay.id), &refund)
            .await?;
        pay.amount_refunded += amount;
        if pay.amount_refunded == pay.amount {
            pay.status = "refunded".to_owned();
        }
        let parent = pay.order_id.clone().or_else(|| pay.subscription_id.clone());
        self.store(PAYMENT, &pay.id, parent.as_deref(), &pay)
            .await?;
        self.emit(
            EventKind::RefundProcessed,
            EventPayload {
                refund: Some(Wrapped::new(refund.clone())),
                payment: Some(Wrapped::new(pay)),
                ..EventPayload::default()
            },
        )
        .await?;
        Ok(refund)
    }

    async fn create_plan(&self, new: &NewPlan) -> Result<Plan, GatewayError> {
        if new.amount <= 0 || new.interval <= 0 {
            return Err(GatewayError::bad_request(
                "The plan amount and interval must be at least 1",
            ));
        }
        let plan = Plan {
            id: new_id("plan_"),
            entity: "plan".to_owned(),
            period: new.period.as_str().to_owned(),
            interval: new.interval,
            item: PlanItem {
                name: new.name.clone(),
                amount: new.amount,
                currency: new.currency.to_string(),
                description: new.description.clone(),
            },
            notes: new.notes.clone(),
            created_at: Utc::now().timestamp(),
        };
        self.store(PLAN, &plan.id, None, &plan).await?;
        Ok(plan)
    }

    async fn create_subscription(
        &self,
        new: &NewSubscription,
    ) -> Result<Subscription, GatewayError> {
        let _plan: Plan = self.load(PLAN, &new.plan_id).await?;
        if new.total_count <= 0 {
            return Err(GatewayError::bad_request("total_count must be at least 1"));
        }
        let sub = Subscription {
            id: new_id("sub_"),
            entity: "subscription".to_owned(),
            plan_id: new.plan_id.clone(),
            status: "created".to_owned(),
            current_start: None,
            current_end: None,
            ended_at: None,
            charge_at: None,
            start_at: None,
            end_at: None,
            total_count: new.total_count,
            paid_count: 0,
            remaining_count: Some(new.total_count),
            quantity: 1,
            customer_notify: true,
            notes: new.notes.clone(),
            short_url: None,
            has_scheduled_changes: false,
            created_at: Utc::now().timestamp(),
        };
        self.store_subscription(&sub, false).await?;
        Ok(sub)
    }

    async fn fetch_subscription(&self, id: &str) -> Result<Subscription, GatewayError> {
        Ok(self.load_subscription(id).await?.0)
    }

    /// An active subscription with `at_cycle_end` stays active with `has_scheduled_changes`
    /// set, and is cancelled by the next `renew_subscription`; otherwise it is cancelled now
    /// and subscription.cancelled queued.
    async fn cancel_subscription(
        &self,
        id: &str,
        at_cycle_end: bool,
    ) -> Result<Subscription, GatewayError> {
        let _one_at_a_time = self.writes.lock().await;
        let (mut sub, _) = self.load_subscription(id).await?;
        if matches!(sub.status.as_str(), "cancelled" | "completed" | "expired") {
            return Err(GatewayError::bad_request(format!(
                "Subscription is not cancellable in {} status.",
                sub.status
            )));
        }
        if at_cycle_end && sub.status == "active" {
            sub.has_scheduled_changes = true;
            self.store_subscription(&sub, true).await?;
            return Ok(sub);
        }
        sub.status = "cancelled".to_owned();
        sub.ended_at = Some(Utc::now().timestamp());
        sub.charge_at = None;
        sub.has_scheduled_changes = false;
        self.store_subscription(&sub, false).await?;
        self.emit(
            EventKind::SubscriptionCancelled,
            EventPayload {
                subscription: Some(Wrapped::new(sub.clone())),
                ..EventPayload::default()
            },
        )
        .await?;
        Ok(sub)
    }

    async fn subscription_payments(&self, id: &str) -> Result<Vec<Payment>, GatewayError> {
        let _sub = self.load_subscription(id).await?;
        self.children(PAYMENT, id).await
    }
}

#[cfg(test)]
mod tests;
