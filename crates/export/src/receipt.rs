//! A receipt for one payment, as a one-page PDF set with the same fonts, shaping and writer
//! as the document export.

use chrono::{DateTime, Utc};
use penora_domain::Money;

/// What a receipt shows. Text is used as given (trimmed); any of it may be in any script the
/// embedded fonts cover (Latin, Greek, Cyrillic, Devanagari).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// e.g. "PN-20261204-3F9A1C2B"
    pub number: String,
    /// When the payment was made; shown in UTC to the minute.
    pub paid_at: DateTime<Utc>,
    pub seller: Seller,
    /// Buyer's name (may be empty: then only the email is shown) and email.
    pub buyer_name: String,
    pub buyer_email: String,
    /// What was bought, e.g. "100 credits (pack-100)" or "Pro plan, monthly".
    pub item: String,
    /// e.g. "100 credits"
    pub credits: String,
    /// The amount paid, shown as [`Money`]'s `Display` ("9.00 USD").
    pub amount: Money,
    /// Refunded so far; `None` or zero is not shown.
    pub refunded: Option<Money>,
    /// The gateway's payment id, e.g. "pay_29QQoUBi66xm2f".
    pub payment_id: String,
    /// e.g. "Razorpay" or "Sandbox (test mode)".
    pub gateway: String,
    /// The payment was made in the test-mode sandbox: the receipt says so prominently.
    pub test_mode: bool,
}

/// Who was paid, as shown at the top of a receipt.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seller {
    pub name: String,
    /// Postal address, one entry per line; empty entries are skipped.
    pub address: Vec<String>,
    pub email: String,
    /// Tax registration (VAT, GSTIN, ...), shown as "Tax ID: ..." when present and not empty.
    pub tax_id: Option<String>,
}

/// The banner a test-mode receipt carries.
pub(crate) const TEST_MODE_BANNER: &str = "TEST MODE — no money was taken";

impl Receipt {
    /// The payment time as shown: `YYYY-MM-DD HH:MM UTC`.
    pub(crate) fn paid_at_text(&self) -> String {
        self.paid_at.format("%Y-%m-%d %H:%M UTC").to_string()
    }

    /// The refund to show, if any (a zero refund is not shown).
    pub(crate) fn refund_shown(&self) -> Option<Money> {
        self.refunded.filter(|m| m.minor != 0)
    }
}

impl Seller {
    /// The tax id to show, if any.
    pub(crate) fn tax_id_shown(&self) -> Option<&str> {
        self.tax_id
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use penora_domain::Currency;

    use super::*;

    fn receipt() -> Receipt {
        Receipt {
            number: "PN-20261204-3F9A1C2B".into(),
            paid_at: Utc.with_ymd_and_hms(2026, 12, 4, 9, 5, 59).unwrap(),
            seller: Seller::default(),
            buyer_name: String::new(),
            buyer_email: "a@example.com".into(),
            item: "100 credits (pack-100)".into(),
            credits: "100 credits".into(),
            amount: Money::new(900, Currency::USD),
            refunded: None,
            payment_id: "pay_1".into(),
            gateway: "Razorpay".into(),
            test_mode: false,
        }
    }

    #[test]
    fn paid_at_is_shown_in_utc_to_the_minute() {
        assert_eq!(receipt().paid_at_text(), "2026-12-04 09:05 UTC");
    }

    #[test]
    fn only_a_nonzero_refund_or_tax_id_is_shown() {
        let mut r = receipt();
        assert_eq!(r.refund_shown(), None);
        r.refunded = Some(Money::new(0, Currency::USD));
        assert_eq!(r.refund_shown(), None);
        r.refunded = Some(Money::new(300, Currency::USD));
        assert_eq!(r.refund_shown(), Some(Money::new(300, Currency::USD)));
        let mut seller = Seller::default();
        assert_eq!(seller.tax_id_shown(), None);
        seller.tax_id = Some("  ".into());
        assert_eq!(seller.tax_id_shown(), None);
        seller.tax_id = Some(" GSTIN 29ABCDE1234F1Z5 ".into());
        assert_eq!(seller.tax_id_shown(), Some("GSTIN 29ABCDE1234F1Z5"));
    }
}
