//! Numbers as people read them, shared by the shell and the pages.

/// Millicredits as credits for people: `12.5`, `50`, `30,000`.
pub fn credits(mc: i64) -> String {
    let sign = if mc < 0 { "-" } else { "" };
    let whole = thousands((mc / 1000).abs());
    let frac = (mc % 1000).abs();
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        format!(
            "{sign}{whole}.{}",
            format!("{frac:03}").trim_end_matches('0')
        )
    }
}

/// A whole number with thousands separated: `12,345`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A moment as people read it: "4 Dec 2026, 14:05 UTC".
pub fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%-d %b %Y, %H:%M UTC").to_string()
}

/// The end of an id, enough to tell records apart on screen (ids begin with the time they
/// were made, so records made close together share their first characters).
pub fn short_id(id: &str) -> String {
    let tail: Vec<char> = id.chars().rev().take(8).collect();
    format!("…{}", tail.into_iter().rev().collect::<String>())
}

/// The ledger's entry kinds as the API names them, with their words.
pub const ENTRY_KINDS: [(&str, &str); 8] = [
    ("welcome", "Welcome bonus"),
    ("purchase", "Credits bought"),
    ("subscription_grant", "Plan credits"),
    ("generation", "Writing"),
    ("refund", "Refund"),
    ("app_debit", "ImageGene"),
    ("app_refund", "ImageGene refund"),
    ("admin_adjustment", "Adjustment by Penora"),
];

/// An entry kind in words; an unknown one (a newer server) reads as "Other".
pub fn entry_kind(kind: &str) -> &'static str {
    ENTRY_KINDS
        .iter()
        .find(|(id, _)| *id == kind)
        .map_or("Other", |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_read_as_people_write_them() {
        assert_eq!(credits(50_000), "50");
        assert_eq!(credits(12_500), "12.5");
        assert_eq!(credits(43_140), "43.14");
        assert_eq!(credits(30_000_000), "30,000");
        assert_eq!(credits(-1_500), "-1.5");
        assert_eq!(credits(-500), "-0.5");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
