//! What moved a balance: every ledger entry has one of these kinds.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// The sign-up bonus.
    Welcome,
    /// A credit pack bought.
    Purchase,
    /// Credits a plan grants each period.
    SubscriptionGrant,
    /// Words generated (charged when a generation settles).
    Generation,
    /// Money returned for a purchase.
    Refund,
    /// A sister app (ImageGene) spent the user's credits.
    AppDebit,
    /// A sister app gave back (part of) a debit.
    AppRefund,
    /// An admin corrected a balance, with a reason.
    AdminAdjustment,
}

impl EntryKind {
    pub const ALL: [EntryKind; 8] = [
        EntryKind::Welcome,
        EntryKind::Purchase,
        EntryKind::SubscriptionGrant,
        EntryKind::Generation,
        EntryKind::Refund,
        EntryKind::AppDebit,
        EntryKind::AppRefund,
        EntryKind::AdminAdjustment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Welcome => "welcome",
            EntryKind::Purchase => "purchase",
            EntryKind::SubscriptionGrant => "subscription_grant",
            EntryKind::Generation => "generation",
            EntryKind::Refund => "refund",
            EntryKind::AppDebit => "app_debit",
            EntryKind::AppRefund => "app_refund",
            EntryKind::AdminAdjustment => "admin_adjustment",
        }
    }
}

impl FromStr for EntryKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EntryKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown ledger entry kind {s:?}"))
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for kind in EntryKind::ALL {
            assert_eq!(kind.as_str().parse::<EntryKind>(), Ok(kind));
        }
        assert!("gift".parse::<EntryKind>().is_err());
    }
}
