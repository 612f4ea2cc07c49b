//! Razorpay's entities as its API sends them: field names are Razorpay's JSON, unknown fields
//! are ignored, and status strings stay raw `String`s so a value Razorpay adds later never
//! fails parsing (the helper enums below read them).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

mod lenient;

pub use lenient::deserialize_notes;
use lenient::{deserialize_lenient_bool, deserialize_lenient_count};

/// Razorpay's free-form `notes`. Razorpay sends `"notes": []` when there are none; an empty
/// array (or null) reads as an empty map, and non-string values are kept as their JSON text.
pub type Notes = BTreeMap<String, String>;

/// A Razorpay order (`order_...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub entity: String,
    pub amount: i64,
    #[serde(default)]
    pub amount_paid: i64,
    #[serde(default)]
    pub amount_due: i64,
    pub currency: String,
    #[serde(default)]
    pub receipt: Option<String>,
    pub status: String,
    #[serde(default)]
    pub attempts: i64,
    #[serde(default, deserialize_with = "deserialize_notes")]
    pub notes: Notes,
    pub created_at: i64,
}

/// A Razorpay payment (`pay_...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub id: String,
    pub entity: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    #[serde(default)]
    pub order_id: Option<String>,
    #[serde(default)]
    pub invoice_id: Option<String>,
    #[serde(default)]
    pub subscription_id: Option<String>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub amount_refunded: i64,
    #[serde(default, deserialize_with = "deserialize_lenient_bool")]
    pub captured: bool,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "deserialize_notes")]
    pub notes: Notes,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
    pub created_at: i64,
}

/// A Razorpay refund (`rfnd_...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: String,
    pub entity: String,
    pub amount: i64,
    pub currency: String,
    pub payment_id: String,
    #[serde(default, deserialize_with = "deserialize_notes")]
    pub notes: Notes,
    pub status: String,
    pub created_at: i64,
}

/// What a plan charges each period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanItem {
    pub name: String,
    pub amount: i64,
    pub currency: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// A Razorpay subscription plan (`plan_...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub id: String,
    pub entity: String,
    pub period: String,
    pub interval: i64,
    pub item: PlanItem,
    #[serde(default, deserialize_with = "deserialize_notes")]
    pub notes: Notes,
    pub created_at: i64,
}

/// A Razorpay subscription (`sub_...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub entity: String,
    pub plan_id: String,
    pub status: String,
    #[serde(default)]
    pub current_start: Option<i64>,
    #[serde(default)]
    pub current_end: Option<i64>,
    #[serde(default)]
    pub ended_at: Option<i64>,
    #[serde(default)]
    pub charge_at: Option<i64>,
    #[serde(default)]
    pub start_at: Option<i64>,
    #[serde(default)]
    pub end_at: Option<i64>,
    #[serde(default)]
    pub total_count: i64,
    #[serde(default)]
    pub paid_count: i64,
    #[serde(default, deserialize_with = "deserialize_lenient_count")]
    pub remaining_count: Option<i64>,
    #[serde(default = "one")]
    pub quantity: i64,
    #[serde(default, deserialize_with = "deserialize_lenient_bool")]
    pub customer_notify: bool,
    #[serde(default, deserialize_with = "deserialize_notes")]
    pub notes: Notes,
    #[serde(default)]
    pub short_url: Option<String>,
    #[serde(default, deserialize_with = "deserialize_lenient_bool")]
    pub has_scheduled_changes: bool,
    pub created_at: i64,
}

fn one() -> i64 {
    1
}

/// A Razorpay invoice (`inv_...`), as far as Penora reads it: a subscription's charges are
/// found through its invoices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub id: String,
    pub entity: String,
    #[serde(default)]
    pub subscription_id: Option<String>,
    #[serde(default)]
    pub payment_id: Option<String>,
    #[serde(default)]
    pub order_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
}

/// A list answer: `{"entity":"collection","count":N,"items":[..]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collection<T> {
    pub entity: String,
    #[serde(default)]
    pub count: i64,
    pub items: Vec<T>,
}

impl<T> Collection<T> {
    pub fn of(items: Vec<T>) -> Self {
        Self {
            entity: "collection".to_owned(),
            count: i64::try_from(items.len()).unwrap_or(i64::MAX),
            items,
        }
    }
}

/// Defines a status enum over Razorpay's raw strings: `of` never fails (unknown values are
/// `Other`), `as_str` gives the string back.
macro_rules! status_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            Other(String),
        }

        impl $name {
            pub fn of(s: &str) -> Self {
                match s {
                    $($text => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }

            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(other) => other,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

status_enum!(
    /// `Order::status`.
    OrderStatus { Created => "created", Attempted => "attempted", Paid => "paid" }
);

status_enum!(
    /// `Payment::status`.
    PaymentStatus {
        Created => "created",
        Authorized => "authorized",
        Captured => "captured",
        Refunded => "refunded",
        Failed => "failed",
    }
);

status_enum!(
    /// `Refund::status`.
    RefundStatus { Pending => "pending", Processed => "processed", Failed => "failed" }
);

status_enum!(
    /// `Subscription::status`.
    SubscriptionStatus {
        Created => "created",
        Authenticated => "authenticated",
        Active => "active",
        Pending => "pending",
        Halted => "halted",
        Cancelled => "cancelled",
        Completed => "completed",
        Expired => "expired",
        Paused => "paused",
    }
);

impl Order {
    pub fn status_kind(&self) -> OrderStatus {
        OrderStatus::of(&self.status)
    }
}

impl Payment {
    pub fn status_kind(&self) -> PaymentStatus {
        PaymentStatus::of(&self.status)
    }
}

impl Refund {
    pub fn status_kind(&self) -> RefundStatus {
        RefundStatus::of(&self.status)
    }
}

impl Subscription {
    pub fn status_kind(&self) -> SubscriptionStatus {
        SubscriptionStatus::of(&self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_with_empty_array_notes_parses() {
        let body = r#"{"id":"order_IluGWxBm9U8zJ8","entity":"order","amount":5000,
            "amount_paid":0,"amount_due":5000,"currency":"INR","receipt":"rcptid_11",
            "offer_id":null,"status":"created","attempts":0,"notes":[],"created_at":1642662092}"#;
        let order: Order = serde_json::from_str(body).unwrap();
        assert_eq!(order.id, "order_IluGWxBm9U8zJ8");
        assert_eq!(order.amount_due, 5000);
        assert!(order.notes.is_empty());
        assert_eq!(order.status_kind(), OrderStatus::Created);
    }

    #[test]
    fn notes_read_objects_null_and_non_string_values() {
        let p: Payment = serde_json::from_str(
            r#"{"id":"pay_1","entity":"payment","amount":100,"currency":"INR","status":"captured",
            "captured":true,"notes":{"user":"u1","n":3},"created_at":1}"#,
        )
        .unwrap();
        assert_eq!(p.notes.get("user").map(String::as_str), Some("u1"));
        assert_eq!(p.notes.get("n").map(String::as_str), Some("3"));
        let p: Payment = serde_json::from_str(
            r#"{"id":"pay_1","entity":"payment","amount":100,"currency":"INR","status":"weird",
            "notes":null,"created_at":1}"#,
        )
        .unwrap();
        assert!(p.notes.is_empty());
        assert_eq!(p.status_kind(), PaymentStatus::Other("weird".into()));
        assert_eq!(p.subscription_id, None);
    }

    #[test]
    fn a_non_empty_notes_array_is_refused() {
        let r = serde_json::from_str::<Order>(
            r#"{"id":"order_1","entity":"order","amount":1,"currency":"INR","status":"created",
            "notes":["x"],"created_at":1}"#,
        );
        assert!(r.is_err());
    }

    #[test]
    fn a_subscription_takes_counts_as_strings_and_flags_as_numbers() {
        let body = r#"{"id":"sub_00000000000001","entity":"subscription","plan_id":"plan_00000000000001",
            "customer_id":null,"status":"created","current_start":null,"current_end":null,
            "ended_at":null,"quantity":1,"notes":[],"charge_at":1580453311,"start_at":1580626111,
            "end_at":1583433000,"auth_attempts":0,"total_count":6,"paid_count":0,
            "customer_notify":1,"created_at":1580280581,"expire_by":1580626111,
            "short_url":"https://rzp.io/i/z3b1R61A9","has_scheduled_changes":false,
            "change_scheduled_at":null,"source":"api","offer_id":null,"remaining_count":"5"}"#;
        let s: Subscription = serde_json::from_str(body).unwrap();
        assert_eq!(s.remaining_count, Some(5));
        assert!(s.customer_notify);
        assert_eq!(s.total_count, 6);
        assert_eq!(s.status_kind(), SubscriptionStatus::Created);

        let s: Subscription = serde_json::from_str(
            &body
                .replace(r#""remaining_count":"5""#, r#""remaining_count":4"#)
                .replace(r#""customer_notify":1"#, r#""customer_notify":false"#),
        )
        .unwrap();
        assert_eq!(s.remaining_count, Some(4));
        assert!(!s.customer_notify);
    }

    #[test]
    fn entities_round_trip_through_json() {
        let plan = Plan {
            id: "plan_1".into(),
            entity: "plan".into(),
            period: "monthly".into(),
            interval: 1,
            item: PlanItem {
                name: "Pro".into(),
                amount: 49900,
                currency: "INR".into(),
                description: None,
            },
            notes: Notes::new(),
            created_at: 5,
        };
        let back: Plan = serde_json::from_value(serde_json::to_value(&plan).unwrap()).unwrap();
        assert_eq!(back, plan);
        let c = Collection::of(vec![plan]);
        assert_eq!(c.count, 1);
        assert_eq!(c.entity, "collection");
    }
}
