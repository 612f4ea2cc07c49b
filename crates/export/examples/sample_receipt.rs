//! Writes a sample test-mode receipt with a refund and a Devanagari buyer name to the path
//! given, for looking at the layout (e.g. `pdftoppm -png -r 80 -f 1 -l 1 receipt.pdf page`).

use chrono::{TimeZone, Utc};
use penora_domain::{Currency, Money};
use penora_export::{receipt_pdf, Receipt, Seller};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "receipt.pdf".into());
    let receipt = Receipt {
        number: "PN-20261204-3F9A1C2B".into(),
        paid_at: Utc
            .with_ymd_and_hms(2026, 12, 4, 9, 5, 0)
            .single()
            .ok_or("no such time")?,
        seller: Seller {
            name: "Penora Labs Pvt. Ltd.".into(),
            address: vec![
                "4th Floor, Koramangala 5th Block".into(),
                "Bengaluru 560095, India".into(),
            ],
            email: "billing@penora.example".into(),
            tax_id: Some("GSTIN 29ABCDE1234F1Z5".into()),
        },
        buyer_name: "प्रिया शर्मा (Priya Sharmá)".into(),
        buyer_email: "priya@example.com".into(),
        item: "100 credits (pack-100)".into(),
        credits: "100 credits".into(),
        amount: Money::new(90_000, Currency::INR),
        refunded: Some(Money::new(30_000, Currency::INR)),
        payment_id: "pay_29QQoUBi66xm2f".into(),
        gateway: "Sandbox (test mode)".into(),
        test_mode: true,
    };
    std::fs::write(path, receipt_pdf(&receipt)?)?;
    Ok(())
}
