//! Money paid through a gateway: an integer amount in the currency's smallest unit (cents,
//! paise) with its ISO 4217 currency beside it. Never floats.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An ISO 4217 currency code: three ASCII capital letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a currency code (three capital letters, like USD or INR)")]
pub struct BadCurrency(pub String);

impl Currency {
    pub const USD: Currency = Currency(*b"USD");
    pub const INR: Currency = Currency(*b"INR");

    pub fn as_str(&self) -> &str {
        // Only ASCII capitals are ever stored (see `from_str`), which are always UTF-8.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Digits after the decimal point of the currency's major unit (ISO 4217 minor unit).
    pub fn exponent(&self) -> u32 {
        match self.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF"
            | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }
}

impl FromStr for Currency {
    type Err = BadCurrency;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Ok(Self([a, b, c])),
            _ => Err(BadCurrency(s.to_owned())),
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// An amount of money: `minor` units (cents, paise) of `currency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }
}

impl fmt::Display for Money {
    /// `9.00 USD`, `1500.50 INR`, `500 JPY`: no digit grouping, the currency's own decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let exp = self.currency.exponent();
        if exp == 0 {
            return write!(f, "{sign}{abs} {}", self.currency);
        }
        let unit = 10u64.pow(exp);
        let width = exp as usize;
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            abs / unit,
            abs % unit,
            self.currency
        )
    }
}

/// The credits a refund of `refunded_total` of a payment of `paid` takes back, in total, when
/// the payment granted `granted`: proportional, rounded down (a partial refund never takes a
/// credit the buyer did not pay back). `refunded_total` is capped at `paid`.
///
/// Each refund takes `share(after) - share(before)`, so partial refunds add up to the whole
/// grant exactly when the whole payment is refunded.
pub fn refunded_share(granted: i64, paid: i64, refunded_total: i64) -> i64 {
    if paid <= 0 || granted <= 0 || refunded_total <= 0 {
        return 0;
    }
    let refunded = i128::from(refunded_total.min(paid));
    let share = i128::from(granted) * refunded / i128::from(paid);
    i64::try_from(share).unwrap_or(granted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_currencies() {
        let usd: Currency = "USD".parse().unwrap();
        assert_eq!(usd, Currency::USD);
        assert_eq!(Money::new(900, usd).to_string(), "9.00 USD");
        assert_eq!(Money::new(5, usd).to_string(), "0.05 USD");
        assert_eq!(
            Money::new(-150_050, Currency::INR).to_string(),
            "-1500.50 INR"
        );
        let jpy: Currency = "JPY".parse().unwrap();
        assert_eq!(Money::new(500, jpy).to_string(), "500 JPY");
        let kwd: Currency = "KWD".parse().unwrap();
        assert_eq!(Money::new(1234, kwd).to_string(), "1.234 KWD");
        for bad in ["usd", "US", "USDT", "U$D", ""] {
            assert!(bad.parse::<Currency>().is_err(), "{bad}");
        }
        assert_eq!(serde_json::to_string(&usd).unwrap(), "\"USD\"");
        assert!(serde_json::from_str::<Currency>("\"usd\"").is_err());
    }

    #[test]
    fn refunds_take_credits_proportionally_rounded_down() {
        // 100 credits for $9.00.
        let granted = 100_000;
        assert_eq!(refunded_share(granted, 900, 900), granted);
        assert_eq!(refunded_share(granted, 900, 300), 33_333);
        assert_eq!(refunded_share(granted, 900, 1), 111);
        assert_eq!(refunded_share(granted, 900, 5_000), granted);
        assert_eq!(refunded_share(granted, 900, 0), 0);
        // Three refunds of a third add up to the whole grant.
        let steps = [300, 600, 900];
        let mut taken = 0;
        let mut before = 0;
        for after in steps {
            taken += refunded_share(granted, 900, after) - refunded_share(granted, 900, before);
            before = after;
        }
        assert_eq!(taken, granted);
    }
}
