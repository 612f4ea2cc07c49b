//! Gateway webhooks: checked over the raw body with the webhook secret, stored once by event
//! id, then applied. An event that cannot be applied yet (its order or subscription is not
//! known here yet, the database hiccupped) stays stored and is retried with back-off by
//! [`retry_due`]; a delivery seen before is answered without applying anything.

use chrono::Duration;
use penora_payments::{Event, EventKind};
use penora_store::billing::orders;
use penora_store::billing::webhooks::{self, EventRow};
use penora_store::WriteError;

use super::refunds::{self, RefundPending};
use super::subscriptions::{self, EventPending};
use super::{payments, BillingError};
use crate::audit::{self, Origin};
use crate::AppState;

/// Attempts before an event that still cannot be applied is left for an admin.
const MAX_ATTEMPTS: i32 = 25;
/// The longest wait between two attempts.
const MAX_BACKOFF_SECS: i64 = 3_600;
/// How long an attempt holds its event: long enough to finish; an event whose attempt died
/// with its process is retried after it.
const ATTEMPT_LEASE_SECS: i64 = 60;

/// What became of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Applied (or, for an event Penora does not act on, stored and ignored).
    Applied { outcome: String },
    /// Stored; it will be applied when what it refers to exists.
    Deferred { reason: String },
    /// This event id was received before.
    Duplicate,
}

/// Receives one delivery. `signature` is the `X-Razorpay-Signature` header, `event_id` the
/// `X-Razorpay-Event-Id` header (a digest of the body stands in when it is missing).
#[tracing::instrument(name = "services::billing::webhooks::receive", skip_all)]
pub async fn receive(
    state: &AppState,
    body: &[u8],
    signature: Option<&str>,
    event_id: Option<&str>,
    origin: &Origin,
) -> Result<Received, BillingError> {
    let signer = state.gateway.signer();
    if !signature.is_some_and(|s| signer.verify_webhook(body, s)) {
        let meta = serde_json::json!({ "signature_present": signature.is_some() });
        audit::record(
            &state.db,
            None,
            "billing.webhook_refused",
            None,
            origin,
            meta,
        )
        .await;
        return Err(BillingError::InvalidSignature);
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| BillingError::InvalidEvent("the body is not UTF-8".to_owned()))?;
    let event = Event::parse(body).map_err(|e| BillingError::InvalidEvent(e.to_string()))?;
    let digest;
    let event_id = match event_id
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= 200)
    {
        Some(id) => id,
        None => {
            digest = body_digest(body);
            digest.as_str()
        }
    };
    let lease = penora_store::now() + Duration::seconds(ATTEMPT_LEASE_SECS);
    let row = match webhooks::insert(&state.db, event_id, &event.event, text, lease).await {
        Ok(row) => row,
        Err(WriteError::Taken) => return Ok(Received::Duplicate),
        Err(WriteError::Db(err)) => return Err(err.into()),
    };
    tracing::info!(event_id, event = %event.event, "webhook received");
    attempt(state, &row, &event, origin).await
}

fn body_digest(body: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, body);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Applies a stored event once more, recording the outcome or the next attempt.
async fn attempt(
    state: &AppState,
    row: &EventRow,
    event: &Event,
    origin: &Origin,
) -> Result<Received, BillingError> {
    match apply(state, event, origin).await {
        Ok(outcome) => {
            webhooks::processed(&state.db, row.id, outcome).await?;
            Ok(Received::Applied {
                outcome: outcome.to_owned(),
            })
        }
        Err(reason) => {
            let attempts = row.attempts + 1;
            let next = (attempts < MAX_ATTEMPTS).then(|| {
                let wait = 2_i64
                    .saturating_pow(attempts.unsigned_abs())
                    .min(MAX_BACKOFF_SECS);
                penora_store::now() + Duration::seconds(wait)
            });
            webhooks::deferred(&state.db, row.id, &reason, next).await?;
            tracing::warn!(event_id = %row.event_id, %reason, attempts, "webhook deferred");
            Ok(Received::Deferred { reason })
        }
    }
}

/// What an event did (its outcome), or why it must wait.
async fn apply(state: &AppState, event: &Event, origin: &Origin) -> Result<&'static str, String> {
    match event.kind() {
        EventKind::PaymentCaptured | EventKind::OrderPaid => {
            let Some(payment) = event.payment() else {
                return Ok("ignored: no payment in the event");
            };
            if payment.subscription_id.is_some() || payment.invoice_id.is_some() {
                return Ok("ignored: a subscription's payment, granted by subscription.charged");
            }
            let Some(order_id) = payment.order_id.as_deref() else {
                return Ok("ignored: a payment without an order");
            };
            let gateway = state.gateway.kind().as_str();
            let order = orders::find_by_gateway_id(&state.db, gateway, order_id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("order {order_id} is not known here yet"))?;
            match payments::apply_to_order(state, &order, payment, origin).await {
                Ok(applied) if applied.earlier => Ok("already applied"),
                Ok(applied) if applied.payment.status == penora_domain::PaymentStatus::Mismatch => {
                    Ok("mismatch: flagged")
                }
                Ok(_) => Ok("credited"),
                Err(BillingError::NotCaptured { .. }) => Ok("ignored: not captured"),
                Err(err) => Err(err.to_string()),
            }
        }
        EventKind::PaymentFailed => {
            let payment = event.payment();
            let meta = serde_json::json!({
                "gateway_payment_id": payment.map(|p| &p.id),
                "gateway_order_id": payment.and_then(|p| p.order_id.as_ref()),
                "error": payment.and_then(|p| p.error_description.as_ref()),
            });
            audit::record(
                &state.db,
                None,
                "billing.payment_failed",
                None,
                origin,
                meta,
            )
            .await;
            Ok("recorded: payment failed")
        }
        EventKind::RefundProcessed => {
            let Some(refund) = event.refund() else {
                return Ok("ignored: no refund in the event");
            };
            match refunds::apply(state, refund, origin).await {
                Ok(applied) if applied.earlier => Ok("already applied"),
                Ok(_) => Ok("refunded"),
                Err(RefundPending::UnknownPayment(id)) => {
                    Err(format!("payment {id} is not known here yet"))
                }
                Err(err) => Err(err.to_string()),
            }
        }
        EventKind::SubscriptionActivated
        | EventKind::SubscriptionCharged
        | EventKind::SubscriptionPending
        | EventKind::SubscriptionHalted
        | EventKind::SubscriptionCancelled
        | EventKind::SubscriptionCompleted => {
            let Some(sub) = event.subscription() else {
                return Ok("ignored: no subscription in the event");
            };
            match subscriptions::apply(state, sub, event.payment(), origin).await {
                Ok(outcome) => Ok(outcome),
                Err(EventPending::UnknownSubscription(id)) => {
                    Err(format!("subscription {id} is not known here yet"))
                }
                Err(EventPending::Failed(err)) => Err(err.to_string()),
            }
        }
        EventKind::Other(_) => Ok("ignored: not an event Penora acts on"),
    }
}

/// Retries stored events whose next attempt is due; the number applied. Replicas may run
/// this at once: each event is claimed by one before it is attempted.
pub async fn retry_due(state: &AppState) -> Result<usize, BillingError> {
    let now = penora_store::now();
    let due = webhooks::due(&state.db, now, 100).await?;
    let mut applied = 0;
    for row in due {
        let lease = now + Duration::seconds(ATTEMPT_LEASE_SECS);
        if !webhooks::claim(&state.db, &row, lease).await? {
            continue;
        }
        let Ok(event) = Event::parse(row.body.as_bytes()) else {
            webhooks::processed(&state.db, row.id, "ignored: unreadable").await?;
            continue;
        };
        let origin = Origin::ip("webhook-retry");
        if let Received::Applied { .. } = attempt(state, &row, &event, &origin).await? {
            applied += 1;
        }
    }
    Ok(applied)
}

/// How long a received webhook is kept: far longer than Razorpay retries a delivery (a day),
/// so a redelivery is still recognised, and no longer, as events carry the customer's email
/// and phone.
pub const KEEP_EVENTS_DAYS: i64 = 30;

/// Forgets webhook events older than [`KEEP_EVENTS_DAYS`] that were applied or given up,
/// and the sandbox's deliveries made before then.
pub async fn purge_old(state: &AppState) -> Result<u64, BillingError> {
    let before = penora_store::now() - Duration::days(KEEP_EVENTS_DAYS);
    let events = webhooks::purge(&state.db, before).await?;
    let deliveries = penora_store::billing::sandbox::purge_delivered(&state.db, before).await?;
    Ok(events + deliveries)
}
