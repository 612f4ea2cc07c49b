//! The receipt PDF opened again: lopdf loads it, its text extracts, fonts are embedded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeZone, Utc};
use penora_domain::{Currency, Money};
use penora_export::{receipt_pdf, Receipt, Seller};

/// Latin with a diaeresis, Cyrillic and Devanagari. The Devanagari has no mark drawn before
/// or below its consonant: text extractors read such marks back in drawing order, not text
/// order, so only the rendered page would show them right.
const BUYER: &str = "Zoë Ададурова अनीता देसाई";

fn receipt(test_mode: bool) -> Receipt {
    Receipt {
        number: "PN-20261204-3F9A1C2B".into(),
        paid_at: Utc.with_ymd_and_hms(2026, 12, 4, 9, 5, 59).unwrap(),
        seller: Seller {
            name: "Penora Labs".into(),
            address: vec!["12 Rue de la Paix".into(), "75002 Paris, France".into()],
            email: "billing@penora.example".into(),
            tax_id: Some("FR12345678901".into()),
        },
        buyer_name: BUYER.into(),
        buyer_email: "priya@example.com".into(),
        item: "100 credits (pack-100)".into(),
        credits: "100 credits".into(),
        amount: Money::new(900, Currency::USD),
        refunded: None,
        payment_id: "pay_29QQoUBi66xm2f".into(),
        gateway: if test_mode {
            "Sandbox (test mode)".into()
        } else {
            "Razorpay".into()
        },
        test_mode,
    }
}

fn extract(bytes: &[u8]) -> String {
    let text = pdf_extract::extract_text_from_mem(bytes).expect("extractable");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn receipt_pdf_loads_and_shows_the_payment() {
    let bytes = receipt_pdf(&receipt(false)).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let pdf = lopdf::Document::load_mem(&bytes).expect("lopdf reads it");
    assert_eq!(pdf.get_pages().len(), 1);

    let text = extract(&bytes);
    for expected in [
        "Penora Labs",
        "75002 Paris, France",
        "billing@penora.example",
        "Tax ID: FR12345678901",
        "RECEIPT",
        "PN-20261204-3F9A1C2B",
        "2026-12-04 09:05 UTC",
        "priya@example.com",
        "100 credits (pack-100)",
        "100 credits",
        "9.00 USD",
        "pay_29QQoUBi66xm2f",
        "Razorpay",
        "Thank you",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
    assert!(!text.contains("TEST MODE"), "{text}");
    assert!(!text.contains("Refunded"), "{text}");
}

#[test]
fn a_unicode_buyer_name_is_embedded_and_extracts() {
    let bytes = receipt_pdf(&receipt(false)).unwrap();
    let text = extract(&bytes);
    assert!(text.contains(BUYER), "missing {BUYER:?} in {text}");
    let raw = String::from_utf8_lossy(&bytes);
    assert_eq!(
        raw.matches("FontFile2").count(),
        2,
        "Noto Sans and Noto Sans Devanagari, subset"
    );
    assert!(bytes.len() < 100_000, "{} bytes", bytes.len());
}

#[test]
fn test_mode_receipts_say_so() {
    let bytes = receipt_pdf(&receipt(true)).unwrap();
    lopdf::Document::load_mem(&bytes).expect("lopdf reads it");
    let text = extract(&bytes);
    assert!(
        text.contains("TEST MODE — no money was taken"),
        "missing banner in {text}"
    );
    assert!(text.contains("Sandbox (test mode)"), "{text}");
}

#[test]
fn refunds_are_shown_unless_zero() {
    let mut zero = receipt(false);
    zero.refunded = Some(Money::new(0, Currency::USD));
    assert!(!extract(&receipt_pdf(&zero).unwrap()).contains("Refunded"));

    let mut part = receipt(false);
    part.refunded = Some(Money::new(300, Currency::USD));
    let text = extract(&receipt_pdf(&part).unwrap());
    assert!(text.contains("Refunded"), "{text}");
    assert!(text.contains("3.00 USD"), "{text}");
}

#[test]
fn empty_buyer_name_and_seller_details_are_left_out() {
    let mut bare = receipt(false);
    bare.buyer_name = String::new();
    bare.seller = Seller {
        name: "Penora".into(),
        ..Seller::default()
    };
    let text = extract(&receipt_pdf(&bare).unwrap());
    assert!(text.contains("priya@example.com"), "{text}");
    assert!(!text.contains("Tax ID"), "{text}");
    assert!(!text.contains("Questions"), "{text}");
}
