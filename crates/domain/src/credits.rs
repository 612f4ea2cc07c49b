//! Money-like amounts: integer millicredits (1 credit = 1000 mc). No floats anywhere.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount of credits in thousandths. Signed, so ledger entries can be debits; arithmetic is
/// checked, so an overflow is an error rather than a wrapped balance.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Millicredits(i64);

/// The largest single movement accepted from a client: one billion credits. Far above any
/// real purchase, far below where sums could overflow an i64.
pub const MAX_AMOUNT: Millicredits = Millicredits(1_000_000_000 * Millicredits::PER_CREDIT);

impl Millicredits {
    pub const ZERO: Self = Self(0);
    pub const PER_CREDIT: i64 = 1000;

    pub const fn new(mc: i64) -> Self {
        Self(mc)
    }

    pub const fn from_credits(credits: i64) -> Self {
        Self(credits * Self::PER_CREDIT)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }

    pub fn checked_neg(self) -> Option<Self> {
        self.0.checked_neg().map(Self)
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl fmt::Display for Millicredits {
    /// Credits with up to three decimals: `12.5`, `-0.001`, `3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, frac) = (abs / 1000, abs % 1000);
        if frac == 0 {
            write!(f, "{sign}{whole}")
        } else {
            let frac = format!("{frac:03}");
            write!(f, "{sign}{whole}.{}", frac.trim_end_matches('0'))
        }
    }
}

/// A positive amount a client asked to move: 1 mc up to [`MAX_AMOUNT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositiveAmount(Millicredits);

impl PositiveAmount {
    pub fn parse(mc: i64, field: &'static str) -> Result<Self, crate::FieldError> {
        if mc <= 0 {
            return Err(crate::FieldError::new(
                field,
                "not_positive",
                "The amount must be at least 1 millicredit.",
            ));
        }
        if mc > MAX_AMOUNT.get() {
            return Err(crate::FieldError::new(
                field,
                "too_large",
                format!(
                    "The amount can be at most {} millicredits.",
                    MAX_AMOUNT.get()
                ),
            ));
        }
        Ok(Self(Millicredits(mc)))
    }

    pub fn get(self) -> Millicredits {
        self.0
    }
}

/// A signed, non-zero amount within [`MAX_AMOUNT`] either way (admin adjustments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adjustment(Millicredits);

impl Adjustment {
    pub fn parse(mc: i64, field: &'static str) -> Result<Self, crate::FieldError> {
        if mc == 0 {
            return Err(crate::FieldError::new(
                field,
                "zero",
                "An adjustment cannot be zero.",
            ));
        }
        if mc.unsigned_abs() > MAX_AMOUNT.get().unsigned_abs() {
            return Err(crate::FieldError::new(
                field,
                "too_large",
                format!(
                    "An adjustment can be at most {} millicredits either way.",
                    MAX_AMOUNT.get()
                ),
            ));
        }
        Ok(Self(Millicredits(mc)))
    }

    pub fn get(self) -> Millicredits {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_credits() {
        assert_eq!(Millicredits::new(12_500).to_string(), "12.5");
        assert_eq!(Millicredits::new(-1).to_string(), "-0.001");
        assert_eq!(Millicredits::from_credits(3).to_string(), "3");
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(
            Millicredits::new(i64::MAX).checked_add(Millicredits::new(1)),
            None
        );
        assert_eq!(Millicredits::new(i64::MIN).checked_neg(), None);
        assert_eq!(
            Millicredits::new(5).checked_sub(Millicredits::new(7)),
            Some(Millicredits::new(-2))
        );
    }

    #[test]
    fn positive_amounts() {
        assert!(PositiveAmount::parse(0, "amount_mc").is_err());
        assert!(PositiveAmount::parse(-5, "amount_mc").is_err());
        assert!(PositiveAmount::parse(MAX_AMOUNT.get() + 1, "amount_mc").is_err());
        assert_eq!(
            PositiveAmount::parse(1, "amount_mc").map(|a| a.get()),
            Ok(Millicredits::new(1))
        );
    }

    #[test]
    fn adjustments_are_signed_and_non_zero() {
        assert!(Adjustment::parse(0, "amount_mc").is_err());
        assert!(Adjustment::parse(-1000, "amount_mc").is_ok());
        assert!(Adjustment::parse(i64::MIN, "amount_mc").is_err());
    }
}
