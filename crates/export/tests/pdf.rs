//! The PDF opened again: text extracted, pages counted, fonts embedded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use penora_export::{render, Chapter, Document, Format};

const DEVANAGARI: &str = "यह एक परीक्षण वाक्य है।";

fn sample(paragraphs: usize) -> Document {
    let body = "The river ran silver under the old bridge, and nobody spoke. ".repeat(6);
    Document {
        title: "Café déjà vu".into(),
        author: Some("Ада Лавлейс".into()),
        chapters: vec![
            Chapter {
                title: "Глава первая".into(),
                text: format!(
                    "Привет, как дела?\n\n{DEVANAGARI}\n\n{}",
                    vec![body.as_str(); paragraphs].join("\n\n")
                ),
            },
            Chapter {
                title: "The Return".into(),
                text: "It ended where it began.".into(),
            },
        ],
    }
}

fn extract(bytes: &[u8]) -> String {
    let text = pdf_extract::extract_text_from_mem(bytes).expect("extractable");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn pdf_text_extracts_with_titles_and_devanagari() {
    let bytes = render(&sample(2), Format::Pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = extract(&bytes);
    for expected in [
        "Café déjà vu",
        "by Ада Лавлейс",
        "Глава первая",
        "Привет, как дела?",
        "The Return",
        "It ended where it began.",
        DEVANAGARI,
    ] {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
}

#[test]
fn long_chapters_flow_onto_more_pages() {
    let short = lopdf_pages(&render(&sample(1), Format::Pdf).unwrap());
    let long = lopdf_pages(&render(&sample(60), Format::Pdf).unwrap());
    assert_eq!(short, 3, "title page + two chapters");
    assert!(long > short + 2, "{long} pages");
}

fn lopdf_pages(bytes: &[u8]) -> usize {
    let parsed = printpdf::PdfDocument::parse(
        bytes,
        &printpdf::PdfParseOptions::default(),
        &mut Vec::new(),
    )
    .expect("parses");
    parsed.pages.len()
}

#[test]
fn both_fonts_are_embedded_and_streams_compressed() {
    let bytes = render(&sample(1), Format::Pdf).unwrap();
    let raw = String::from_utf8_lossy(&bytes);
    assert_eq!(
        raw.matches("FontFile2").count(),
        2,
        "Noto Sans and Noto Sans Devanagari"
    );
    assert!(raw.contains("FlateDecode"));
    assert!(bytes.len() < 600_000, "{} bytes", bytes.len());
}
