//! Webhook events, as Razorpay posts them and as the sandbox builds them. Check the body's
//! signature (`Signer::verify_webhook`) on the raw bytes before parsing it.

use serde::{Deserialize, Serialize};

use crate::entities::{Order, Payment, Refund, Subscription};

/// The header carrying HMAC-SHA256(raw body, webhook secret) as hex.
pub const SIGNATURE_HEADER: &str = "X-Razorpay-Signature";
/// The header carrying the event's id; a redelivery carries the same id.
pub const EVENT_ID_HEADER: &str = "X-Razorpay-Event-Id";

/// The events Penora acts on; anything else is `Other` with Razorpay's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventKind {
    PaymentCaptured,
    PaymentFailed,
    OrderPaid,
    RefundProcessed,
    SubscriptionActivated,
    SubscriptionCharged,
    SubscriptionPending,
    SubscriptionHalted,
    SubscriptionCancelled,
    SubscriptionCompleted,
    Other(String),
}

impl EventKind {
    pub fn of(s: &str) -> Self {
        match s {
            "payment.captured" => Self::PaymentCaptured,
            "payment.failed" => Self::PaymentFailed,
            "order.paid" => Self::OrderPaid,
            "refund.processed" => Self::RefundProcessed,
            "subscription.activated" => Self::SubscriptionActivated,
            "subscription.charged" => Self::SubscriptionCharged,
            "subscription.pending" => Self::SubscriptionPending,
            "subscription.halted" => Self::SubscriptionHalted,
            "subscription.cancelled" => Self::SubscriptionCancelled,
            "subscription.completed" => Self::SubscriptionCompleted,
            other => Self::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::PaymentCaptured => "payment.captured",
            Self::PaymentFailed => "payment.failed",
            Self::OrderPaid => "order.paid",
            Self::RefundProcessed => "refund.processed",
            Self::SubscriptionActivated => "subscription.activated",
            Self::SubscriptionCharged => "subscription.charged",
            Self::SubscriptionPending => "subscription.pending",
            Self::SubscriptionHalted => "subscription.halted",
            Self::SubscriptionCancelled => "subscription.cancelled",
            Self::SubscriptionCompleted => "subscription.completed",
            Self::Other(other) => other,
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The event body Razorpay posts: {"entity":"event","account_id":..,"event":"payment.captured",
/// "contains":["payment"],"payload":{"payment":{"entity":{..}},"order":{"entity":{..}}},"created_at":..}
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub entity: String,
    #[serde(default)]
    pub account_id: Option<String>,
    pub event: String,
    #[serde(default)]
    pub contains: Vec<String>,
    #[serde(default)]
    pub payload: EventPayload,
    pub created_at: i64,
}

/// The entities an event carries, each wrapped as `{"entity": {..}}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EventPayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<Wrapped<Payment>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Wrapped<Order>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<Wrapped<Refund>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<Wrapped<Subscription>>,
}

/// Razorpay's `{"entity": {..}}` wrapper around each payload entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wrapped<T> {
    pub entity: T,
}

impl<T> Wrapped<T> {
    pub fn new(entity: T) -> Self {
        Self { entity }
    }
}

impl Event {
    /// Parses a webhook body. Unknown events and unknown fields parse; call `kind` to sort.
    pub fn parse(body: &[u8]) -> Result<Event, serde_json::Error> {
        serde_json::from_slice(body)
    }

    pub fn kind(&self) -> EventKind {
        EventKind::of(&self.event)
    }

    pub fn payment(&self) -> Option<&Payment> {
        self.payload.payment.as_ref().map(|w| &w.entity)
    }

    pub fn order(&self) -> Option<&Order> {
        self.payload.order.as_ref().map(|w| &w.entity)
    }

    pub fn refund(&self) -> Option<&Refund> {
        self.payload.refund.as_ref().map(|w| &w.entity)
    }

    pub fn subscription(&self) -> Option<&Subscription> {
        self.payload.subscription.as_ref().map(|w| &w.entity)
    }

    /// Builds an event the way Razorpay does (contains = the entities present, in Razorpay's
    /// order: subscription, refund, payment, order).
    pub fn new(kind: EventKind, payload: EventPayload, account_id: &str, created_at: i64) -> Event {
        let present = [
            ("subscription", payload.subscription.is_some()),
            ("refund", payload.refund.is_some()),
            ("payment", payload.payment.is_some()),
            ("order", payload.order.is_some()),
        ];
        Event {
            entity: "event".to_owned(),
            account_id: Some(account_id.to_owned()),
            event: kind.as_str().to_owned(),
            contains: present
                .iter()
                .filter(|(_, here)| *here)
                .map(|(name, _)| (*name).to_owned())
                .collect(),
            payload,
            created_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The shape of Razorpay's documented payment.captured example (trimmed).
    const CAPTURED: &str = r#"{
      "entity": "event",
      "account_id": "acc_BFQ7uQEaa7j2z7",
      "event": "payment.captured",
      "contains": ["payment"],
      "payload": {
        "payment": {
          "entity": {
            "id": "pay_DESlfW9H8K9uqM",
            "entity": "payment",
            "amount": 100,
            "currency": "INR",
            "base_amount": 100,
            "status": "captured",
            "order_id": "order_DESlLckIVRkHWj",
            "invoice_id": null,
            "international": false,
            "method": "netbanking",
            "amount_refunded": 0,
            "refund_status": null,
            "captured": true,
            "description": null,
            "card_id": null,
            "bank": "HDFC",
            "wallet": null,
            "vpa": null,
            "email": "gaurav.kumar@example.com",
            "contact": "+919876543210",
            "notes": [],
            "fee": 2,
            "tax": 0,
            "error_code": null,
            "error_description": null,
            "acquirer_data": {"bank_transaction_id": "0125836177"},
            "created_at": 1567674599
          }
        }
      },
      "created_at": 1567674606
    }"#;

    #[test]
    fn parses_razorpays_payment_captured_example() {
        let e = Event::parse(CAPTURED.as_bytes()).unwrap();
        assert_eq!(e.kind(), EventKind::PaymentCaptured);
        let p = e.payment().unwrap();
        assert_eq!(p.id, "pay_DESlfW9H8K9uqM");
        assert_eq!(p.order_id.as_deref(), Some("order_DESlLckIVRkHWj"));
        assert!(p.captured);
        assert!(e.order().is_none() && e.refund().is_none() && e.subscription().is_none());
    }

    #[test]
    fn unknown_events_parse_as_other() {
        let e = Event::parse(
            br#"{"entity":"event","event":"payment.dispute.created","contains":[],"payload":{},"created_at":1}"#,
        )
        .unwrap();
        assert_eq!(e.kind(), EventKind::Other("payment.dispute.created".into()));
        assert_eq!(e.kind().as_str(), "payment.dispute.created");
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in [
            EventKind::PaymentCaptured,
            EventKind::PaymentFailed,
            EventKind::OrderPaid,
            EventKind::RefundProcessed,
            EventKind::SubscriptionActivated,
            EventKind::SubscriptionCharged,
            EventKind::SubscriptionPending,
            EventKind::SubscriptionHalted,
            EventKind::SubscriptionCancelled,
            EventKind::SubscriptionCompleted,
        ] {
            assert_eq!(EventKind::of(kind.as_str()), kind);
        }
    }

    #[test]
    fn new_lists_the_entities_present_and_round_trips() {
        let captured = Event::parse(CAPTURED.as_bytes()).unwrap();
        let payment = captured.payment().unwrap().clone();
        let payload = EventPayload {
            payment: Some(Wrapped::new(payment.clone())),
            ..EventPayload::default()
        };
        let e = Event::new(EventKind::PaymentFailed, payload, "acc_1", 7);
        assert_eq!(e.contains, vec!["payment".to_owned()]);
        assert_eq!(e.entity, "event");
        let body = serde_json::to_vec(&e).unwrap();
        let back = Event::parse(&body).unwrap();
        assert_eq!(back.kind(), EventKind::PaymentFailed);
        assert_eq!(back.payment(), Some(&payment));
        assert_eq!(back.account_id.as_deref(), Some("acc_1"));
        assert_eq!(back.created_at, 7);
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(json["payload"].get("order").is_none());
    }
}
