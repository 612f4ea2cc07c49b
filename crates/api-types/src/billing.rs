//! Billing: the catalog, orders and their verification, payments with receipts,
//! subscriptions, and the sandbox's test-mode checkout.
//!
//! Money is an integer in the currency's smallest unit (`*_minor`: cents, paise) with its
//! ISO 4217 `currency` beside it; credits are `*_mc` millicredits as everywhere.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a plan tier (or the free tier) gives while it applies.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanTier {
    /// `free`, `lite`, `pro` or `studio` (the catalog's tiers).
    pub id: String,
    pub name: String,
    /// Storage for projects.
    pub storage_bytes: i64,
    /// Generations running at once.
    pub concurrent_generations: u32,
    /// Generations started a minute through the app.
    pub generations_per_minute: u32,
    /// Models this tier may use.
    pub models: Vec<String>,
}

/// One thing for sale.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogItem {
    pub id: String,
    /// `topup`, `pack` (one-off, `POST /billing/orders`) or `plan` (`POST /billing/subscription`).
    pub kind: String,
    pub name: String,
    /// Credits granted by a purchase, or by each paid period of a plan.
    pub credits_mc: i64,
    pub price_minor: i64,
    pub currency: String,
    /// Plans: the tier it subscribes to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Plans: `monthly` or `yearly`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingCatalog {
    pub currency: String,
    pub items: Vec<CatalogItem>,
    /// The tier of an account without a plan.
    pub free: PlanTier,
    /// Plan tiers, lowest first.
    pub tiers: Vec<PlanTier>,
    /// `sandbox` (test mode: nothing is charged) or `razorpay`.
    pub gateway: String,
    /// Razorpay Checkout's `key`.
    pub key_id: String,
}

/// Buy a top-up or a pack. The price comes from the catalog: any amount sent is ignored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateOrderRequest {
    pub item_id: String,
}

/// An order and what the browser's checkout needs to pay it (Razorpay Checkout: `key`,
/// `order_id` = `gateway_order_id`, `amount`, `currency`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderCheckout {
    pub order_id: Uuid,
    pub item_id: String,
    pub credits_mc: i64,
    pub amount_minor: i64,
    pub currency: String,
    /// `sandbox` or `razorpay`.
    pub gateway: String,
    pub gateway_order_id: String,
    pub key_id: String,
    /// The sandbox's TEST MODE checkout page (sandbox only).
    pub checkout_url: Option<String>,
    /// `created`, `paid` or `mismatch`.
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// What Razorpay Checkout (or the sandbox's page) handed the browser after paying.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyOrderRequest {
    pub razorpay_payment_id: String,
    /// Optional; when sent it must be this order's gateway order id.
    #[serde(default)]
    pub razorpay_order_id: Option<String>,
    pub razorpay_signature: String,
}

/// A payment received, as its payer sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Payment {
    pub id: Uuid,
    pub item_id: String,
    pub item_name: String,
    /// Credits it granted (0 for a flagged mismatch).
    pub credits_mc: i64,
    pub amount_minor: i64,
    pub currency: String,
    /// `captured`, `mismatch`, `partially_refunded` or `refunded`.
    pub status: String,
    pub refunded_minor: i64,
    pub gateway: String,
    pub gateway_payment_id: String,
    pub order_id: Option<Uuid>,
    pub subscription_id: Option<Uuid>,
    /// The plan period it paid for.
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: Option<DateTime<Utc>>,
    pub receipt_number: String,
    /// `GET` it for the receipt (PDF).
    pub receipt_url: String,
    pub created_at: DateTime<Utc>,
}

/// A verified order: paid and credited.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifiedOrder {
    pub order: OrderCheckout,
    pub payment: Payment,
    /// The balance once the payment was applied.
    pub balance_mc: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentList {
    pub items: Vec<Payment>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A payment as an admin sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminPayment {
    #[serde(flatten)]
    pub payment: Payment,
    pub user_id: Uuid,
    /// What the catalog asked for.
    pub expected_amount_minor: i64,
    pub expected_currency: String,
    /// The amount or currency paid differ from what was asked: nothing was credited.
    pub amount_mismatch: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminPaymentList {
    pub items: Vec<AdminPayment>,
    pub next_cursor: Option<String>,
}

/// Refund (part of) a payment through the gateway.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminRefundRequest {
    /// In the payment's smallest unit; the whole rest when left out.
    #[serde(default)]
    pub amount_minor: Option<i64>,
}

/// What a refund took back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundResult {
    pub gateway_refund_id: String,
    pub amount_minor: i64,
    /// Credits taken back now (never ones held by running generations).
    pub taken_mc: i64,
    /// Credits that could not be taken now: owed, and taken from the next purchase or grant.
    pub debt_mc: i64,
}

/// Subscribe to a plan item.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscribeRequest {
    pub item_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    pub id: Uuid,
    pub item_id: String,
    pub tier: String,
    /// The gateway's status: `created` (not paid yet), `active`, `pending` (a renewal
    /// failed, retrying), `halted` (renewal gave up: the plan is off), `cancelled`,
    /// `completed` ...
    pub status: String,
    pub gateway: String,
    pub gateway_subscription_id: String,
    pub current_period_start: Option<DateTime<Utc>>,
    pub current_period_end: Option<DateTime<Utc>>,
    /// When the next period is charged (none once cancelled).
    pub next_renewal_at: Option<DateTime<Utc>>,
    /// It ends with the current period.
    pub cancel_at_period_end: bool,
    /// The plan's storage and models apply until then.
    pub entitled_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A new subscription and how to pay its first period.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionCheckout {
    pub subscription: Subscription,
    /// Razorpay Checkout's `key` (with `subscription_id` = `gateway_subscription_id`).
    pub key_id: String,
    /// The sandbox's TEST MODE page, or Razorpay's hosted page when it gave one.
    pub checkout_url: Option<String>,
}

/// What Razorpay Checkout (or the sandbox's page) handed the browser after paying a
/// subscription's first period.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifySubscriptionRequest {
    pub razorpay_subscription_id: String,
    pub razorpay_payment_id: String,
    pub razorpay_signature: String,
}

/// Your plan now, and your latest subscription.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurrentPlan {
    pub plan: PlanTier,
    pub subscription: Option<Subscription>,
}

/// A webhook delivery's fate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookAck {
    /// `applied` (or ignored: see `outcome`), `deferred` (stored, retried later) or
    /// `duplicate` (this event id was received before).
    pub status: String,
    pub outcome: Option<String>,
}

/// TEST MODE: what the tester did on the sandbox's checkout page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SandboxCheckoutRequest {
    /// The gateway order id (`order_...`), or
    #[serde(default)]
    pub order_id: Option<String>,
    /// the gateway subscription id (`sub_...`).
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// `pay`, `fail` or `cancel`.
    pub action: String,
    /// Pay another amount than asked (to try mismatch handling).
    #[serde(default)]
    pub amount_minor: Option<i64>,
    /// Pay in another currency than asked.
    #[serde(default)]
    pub currency: Option<String>,
}

/// What Razorpay Checkout's handler would receive.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SandboxCheckoutResult {
    /// `paid`, `failed` or `cancelled`.
    pub status: String,
    pub razorpay_order_id: Option<String>,
    pub razorpay_subscription_id: Option<String>,
    pub razorpay_payment_id: Option<String>,
    pub razorpay_signature: Option<String>,
    pub error_description: Option<String>,
}
