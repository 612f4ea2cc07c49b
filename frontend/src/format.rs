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
