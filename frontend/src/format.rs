//! Numbers as people read them, shared by the shell and the pages.

/// Millicredits as credits for people: `12.5`, `50`.
pub fn credits(mc: i64) -> String {
    let whole = mc / 1000;
    let frac = (mc % 1000).abs();
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{}", format!("{frac:03}").trim_end_matches('0'))
    }
}
