//! Amounts typed by an admin, read by string arithmetic (never floats): credits into
//! millicredits, money into the currency's smallest unit; and money shown to people.

/// Why a typed amount could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    Empty,
    NotANumber,
    TooManyDecimals(u32),
    TooLarge,
}

impl AmountError {
    /// A sentence about the field called `what` ("Amount").
    pub fn say(self, what: &str) -> String {
        match self {
            Self::Empty => format!("{what} is needed."),
            Self::NotANumber => format!("{what} must be a number, like 12.5 or -3."),
            Self::TooManyDecimals(0) => format!("{what} must be a whole number."),
            Self::TooManyDecimals(n) => format!("{what} can have at most {n} decimal places."),
            Self::TooLarge => format!("{what} is too large."),
        }
    }
}

/// `text` (an optional sign, digits, at most `decimals` places after a point) as an integer
/// of 10^-decimals units: `parse_decimal("12.5", 3)` is 12500.
pub fn parse_decimal(text: &str, decimals: u32) -> Result<i64, AmountError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AmountError::Empty);
    }
    // A typographic minus (U+2212) counts as a minus.
    let (negative, digits) = match text.strip_prefix(['-', '\u{2212}']) {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !all_digits(whole) || !all_digits(frac) {
        return Err(AmountError::NotANumber);
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > decimals as usize {
        return Err(AmountError::TooManyDecimals(decimals));
    }
    let scale = 10_i64.pow(decimals);
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| AmountError::TooLarge)?
    };
    let padded = format!("{frac:0<width$}", width = decimals as usize);
    let frac: i64 = if padded.is_empty() {
        0
    } else {
        padded.parse().map_err(|_| AmountError::NotANumber)?
    };
    let units = whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac))
        .ok_or(AmountError::TooLarge)?;
    Ok(if negative { -units } else { units })
}

/// Credits as typed ("12.5", "-3") into millicredits.
pub fn parse_credits(text: &str) -> Result<i64, AmountError> {
    parse_decimal(text, 3)
}

/// Places after the point in a currency's major unit (ISO 4217).
pub fn currency_decimals(currency: &str) -> u32 {
    match currency.to_ascii_uppercase().as_str() {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "IQD" | "LYD" => 3,
        _ => 2,
    }
}

/// Money in its smallest unit as people read it: `₹499.00`, `$4.99`, `1,000 JPY` is `¥1000`.
pub fn money(minor: i64, currency: &str) -> String {
    let decimals = currency_decimals(currency);
    let scale = 10_i64.pow(decimals);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let whole = abs / scale.unsigned_abs();
    let frac = abs % scale.unsigned_abs();
    let number = if decimals == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{frac:0width$}", width = decimals as usize)
    };
    let symbol = match currency.to_ascii_uppercase().as_str() {
        "INR" => Some("₹"),
        "USD" => Some("$"),
        "EUR" => Some("€"),
        "GBP" => Some("£"),
        "JPY" => Some("¥"),
        _ => None,
    };
    match symbol {
        Some(symbol) => format!("{sign}{symbol}{number}"),
        None => format!("{sign}{number} {}", currency.to_ascii_uppercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_are_read_without_floats() {
        assert_eq!(parse_credits("12.5"), Ok(12_500));
        assert_eq!(parse_credits(" -3 "), Ok(-3_000));
        assert_eq!(parse_credits("+0.001"), Ok(1));
        assert_eq!(parse_credits(".25"), Ok(250));
        assert_eq!(parse_credits("7."), Ok(7_000));
        assert_eq!(parse_credits("1.2500"), Ok(1_250));
        assert_eq!(parse_credits("\u{2212}2"), Ok(-2_000));
        assert_eq!(
            parse_credits("0.1234"),
            Err(AmountError::TooManyDecimals(3))
        );
        assert_eq!(parse_credits("1e3"), Err(AmountError::NotANumber));
        assert_eq!(parse_credits("-"), Err(AmountError::NotANumber));
        assert_eq!(parse_credits("."), Err(AmountError::NotANumber));
        assert_eq!(parse_credits(""), Err(AmountError::Empty));
        assert_eq!(
            parse_credits("99999999999999999"),
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn money_uses_the_currency_minor_unit() {
        assert_eq!(money(49_900, "INR"), "₹499.00");
        assert_eq!(money(5, "usd"), "$0.05");
        assert_eq!(money(1000, "JPY"), "¥1000");
        assert_eq!(money(1234, "KWD"), "1.234 KWD");
        assert_eq!(parse_decimal("4.99", currency_decimals("USD")), Ok(499));
        assert_eq!(parse_decimal("10", currency_decimals("JPY")), Ok(10));
    }
}
