//! Billing pages: pricing (packs, top-ups, plans), checkout through the gateway, the result
//! a checkout returns to, and the billing page (current plan, payments with receipts). The
//! words and formats they share are here.

pub mod checkout;
pub mod payments;
pub mod plan;
pub mod pricing;
pub mod razorpay;
pub mod result;

use chrono::{DateTime, Utc};

/// Where the gateway's checkout sends the browser back to, with the result in its query.
pub const RESULT_PATH: &str = "/billing/result";

/// Digits after the point in a currency's minor unit (ISO 4217).
fn decimals(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" | "PYG" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "IQD" | "LYD" => 3,
        _ => 2,
    }
}

fn symbol(currency: &str) -> Option<&'static str> {
    Some(match currency {
        "INR" => "₹",
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        "AUD" => "A$",
        "CAD" => "CA$",
        "SGD" => "S$",
        _ => return None,
    })
}

/// Thousands separated by commas: `12,000`.
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// An amount in the currency's smallest unit for people: `₹499`, `$4.99`, `CHF 12.50`.
/// Whole amounts drop the `.00`. Integers throughout: money is never a float.
pub fn money(minor: i64, currency: &str) -> String {
    let scale = 10_i64.pow(decimals(currency));
    let (whole, frac) = (minor / scale, (minor % scale).abs());
    let number = if frac == 0 {
        grouped(whole)
    } else {
        let width = decimals(currency) as usize;
        let sign = if minor < 0 && whole == 0 { "-" } else { "" };
        format!("{sign}{}.{frac:0width$}", grouped(whole))
    };
    match symbol(currency) {
        Some(s) => format!("{s}{number}"),
        None => format!("{currency} {number}"),
    }
}

/// `4 Dec 2026, 14:05 UTC`.
pub fn date_time(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}

/// `4 Dec 2026`.
pub fn date(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y").to_string()
}

/// A plan period as people say it after a price: "month", "year".
pub fn period_word(period: Option<&str>) -> &'static str {
    match period {
        Some("yearly") => "year",
        _ => "month",
    }
}

/// Bytes for people: `1 MB`, `20 MB`, `1.5 GB`.
pub fn storage(bytes: i64) -> String {
    const MB: i64 = 1024 * 1024;
    const GB: i64 = 1024 * MB;
    match bytes {
        b if b >= GB && b % GB == 0 => format!("{} GB", b / GB),
        b if b >= GB => format!("{}.{} GB", b / GB, (b % GB) * 10 / GB),
        b if b >= MB && b % MB == 0 => format!("{} MB", b / MB),
        b if b >= MB => format!("{}.{} MB", b / MB, (b % MB) * 10 / MB),
        b => format!("{} KB", (b + 1023) / 1024),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_like_a_price_tag() {
        assert_eq!(money(49_900, "INR"), "₹499");
        assert_eq!(money(499, "USD"), "$4.99");
        assert_eq!(money(1_200_000, "INR"), "₹12,000");
        assert_eq!(money(1_250, "CHF"), "CHF 12.50");
        assert_eq!(money(500, "JPY"), "¥500");
        assert_eq!(money(5, "USD"), "$0.05");
    }

    #[test]
    fn storage_in_round_units() {
        assert_eq!(storage(1_048_576), "1 MB");
        assert_eq!(storage(5_242_880), "5 MB");
        assert_eq!(storage(104_857_600), "100 MB");
        assert_eq!(storage(1_610_612_736), "1.5 GB");
    }
}
