//! What is sold and the states of what was bought: catalog item kinds, plan periods, and the
//! lifecycles of orders, payments and subscriptions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An enum with a fixed stored name per variant: `as_str`, `ALL`, `FromStr`, `Display`.
macro_rules! named_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| format!("unknown {} {s:?}", stringify!($name)))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum! {
    /// What a catalog item is.
    pub enum ItemKind {
        /// A small one-off purchase of credits.
        Topup => "topup",
        /// A larger one-off purchase of credits.
        Pack => "pack",
        /// A subscription: credits each period, a storage quota and models while active.
        Plan => "plan",
    }
}

named_enum! {
    /// How often a plan renews.
    pub enum Period {
        Monthly => "monthly",
        Yearly => "yearly",
    }
}

named_enum! {
    /// An order for a one-off item.
    pub enum OrderStatus {
        /// Created with the gateway; not paid yet.
        Created => "created",
        /// Paid and credited.
        Paid => "paid",
        /// A payment came whose amount or currency is not the order's: nothing was credited;
        /// an admin looks at it.
        Mismatch => "mismatch",
    }
}

named_enum! {
    /// A payment the gateway captured, as applied here.
    pub enum PaymentStatus {
        /// Credited (or, for a plan, its period granted).
        Captured => "captured",
        /// Amount or currency differ from what was ordered: nothing credited.
        Mismatch => "mismatch",
        /// Part of it was refunded.
        PartiallyRefunded => "partially_refunded",
        /// All of it was refunded.
        Refunded => "refunded",
    }
}

named_enum! {
    /// A subscription's state, as the gateway reports it (Razorpay's names).
    pub enum SubscriptionStatus {
        /// Created; the first payment is not made yet.
        Created => "created",
        /// The customer authorised the mandate; the first charge is pending.
        Authenticated => "authenticated",
        /// Paid for the current period.
        Active => "active",
        /// A renewal charge failed; the gateway retries.
        Pending => "pending",
        /// Renewal retries ran out: the plan is off until it is paid again.
        Halted => "halted",
        /// Cancelled; no further periods.
        Cancelled => "cancelled",
        /// Every period it was made for has been charged.
        Completed => "completed",
        /// Never paid before its link expired.
        Expired => "expired",
        /// Paused by the merchant.
        Paused => "paused",
    }
}

impl SubscriptionStatus {
    /// The subscription may still go on (renew or be paid for): a user has at most one.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            Self::Created | Self::Authenticated | Self::Active | Self::Pending
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in ItemKind::ALL {
            assert_eq!(kind.as_str().parse::<ItemKind>(), Ok(*kind));
        }
        for status in SubscriptionStatus::ALL {
            assert_eq!(status.as_str().parse::<SubscriptionStatus>(), Ok(*status));
        }
        for status in PaymentStatus::ALL {
            assert_eq!(status.to_string().parse::<PaymentStatus>(), Ok(*status));
        }
        assert!("weekly".parse::<Period>().is_err());
        assert_eq!(
            serde_json::to_string(&PaymentStatus::PartiallyRefunded).unwrap(),
            "\"partially_refunded\""
        );
    }
}
