//! The PDF read back with lopdf: document information, outline, subset fonts, and every glyph
//! shown still drawn by the subset font.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use lopdf::{decode_text_string, Document as Pdf, Object, ObjectId};
use penora_export::{render, Chapter, Document, Format};
use rustybuzz::ttf_parser::{self, GlyphId};

static NOTO_SANS: &[u8] = include_bytes!("../fonts/NotoSans-Regular.ttf");
static NOTO_SANS_DEVANAGARI: &[u8] = include_bytes!("../fonts/NotoSansDevanagari-Regular.ttf");

fn chapter(title: &str, text: &str) -> Chapter {
    Chapter {
        title: title.into(),
        text: text.into(),
    }
}

fn book() -> Document {
    Document {
        title: "Café déjà vu".into(),
        author: Some("Ада Лавлейс".into()),
        chapters: vec![
            chapter("Глава первая", "Привет, как дела?"),
            chapter("", "Untitled, so numbered."),
            chapter("The Return", "It ended where it began."),
        ],
    }
}

fn load(doc: &Document) -> Pdf {
    Pdf::load_mem(&render(doc, Format::Pdf).unwrap()).expect("lopdf reads it")
}

fn dict<'a>(pdf: &'a Pdf, object: &'a Object) -> &'a lopdf::Dictionary {
    match object {
        Object::Reference(id) => pdf.get_dictionary(*id).unwrap(),
        other => other.as_dict().unwrap(),
    }
}

fn text(object: &Object) -> String {
    decode_text_string(object).unwrap()
}

/// `D:YYYYMMDD` in UTC.
fn pdf_day(now: printpdf::OffsetDateTime) -> String {
    format!(
        "D:{:04}{:02}{:02}",
        now.date.year, now.date.month, now.date.day
    )
}

#[test]
fn pdf_information_has_title_author_creator_and_todays_date() {
    let before = pdf_day(printpdf::OffsetDateTime::now_utc());
    let pdf = load(&book());
    let after = pdf_day(printpdf::OffsetDateTime::now_utc());
    let info = dict(&pdf, pdf.trailer.get(b"Info").unwrap());
    assert_eq!(text(info.get(b"Title").unwrap()), "Café déjà vu");
    assert_eq!(text(info.get(b"Author").unwrap()), "Ада Лавлейс");
    assert_eq!(text(info.get(b"Creator").unwrap()), "Penora");
    assert_eq!(text(info.get(b"Producer").unwrap()), "Penora");
    assert!(info.get(b"GTS_PDFXVersion").is_err(), "no PDF/X claim");
    for key in [&b"CreationDate"[..], b"ModDate"] {
        let date = String::from_utf8(info.get(key).unwrap().as_str().unwrap().to_vec()).unwrap();
        assert!(
            date.starts_with(&before) || date.starts_with(&after),
            "{date} is not today ({before})"
        );
    }
}

/// The outline's entries: each title and the 1-based page it opens.
fn outline(pdf: &Pdf) -> Vec<(String, u32)> {
    let pages: BTreeMap<ObjectId, u32> =
        pdf.get_pages().into_iter().map(|(n, id)| (id, n)).collect();
    let catalog = pdf.catalog().unwrap();
    assert_eq!(
        catalog.get(b"PageMode").unwrap().as_name().unwrap(),
        b"UseOutlines"
    );
    let outlines = dict(pdf, catalog.get(b"Outlines").unwrap());
    let mut entries = Vec::new();
    let mut next = outlines
        .get(b"First")
        .ok()
        .map(|o| o.as_reference().unwrap());
    while let Some(id) = next {
        let item = pdf.get_dictionary(id).unwrap();
        let dest = item.get(b"Dest").unwrap().as_array().unwrap();
        let page = pages[&dest[0].as_reference().unwrap()];
        entries.push((text(item.get(b"Title").unwrap()), page));
        next = item.get(b"Next").ok().map(|o| o.as_reference().unwrap());
    }
    entries
}

#[test]
fn pdf_outline_has_one_bookmark_per_chapter_at_its_first_page() {
    let pdf = load(&book());
    assert_eq!(
        outline(&pdf),
        vec![
            ("Глава первая".to_owned(), 2),
            ("Chapter 2".to_owned(), 3),
            ("The Return".to_owned(), 4),
        ]
    );
    // Long chapters: each bookmark still opens its chapter's first page.
    let long = "word ".repeat(4_000);
    let pdf = load(&Document {
        title: "Long".into(),
        author: None,
        chapters: vec![chapter("One", &long), chapter("Two", &long)],
    });
    let entries = outline(&pdf);
    assert_eq!(entries[0], ("One".to_owned(), 2));
    assert_eq!(entries[1].0, "Two");
    assert!(entries[1].1 > 3, "{entries:?}");
    // A plain document's lone untitled chapter is bookmarked by the document title.
    let pdf = load(&Document {
        title: "Notes".into(),
        author: None,
        chapters: vec![chapter("", "Just this.")],
    });
    assert_eq!(outline(&pdf), vec![("Notes".to_owned(), 2)]);
}

/// Each embedded font by BaseFont: (FontFile2 program, CIDToGIDMap bytes).
fn fonts(pdf: &Pdf) -> BTreeMap<String, (Vec<u8>, Vec<u8>)> {
    let mut out = BTreeMap::new();
    for object in pdf.objects.values() {
        let Ok(font) = object.as_dict() else { continue };
        if font.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Type0") {
            continue;
        }
        let base = String::from_utf8(font.get(b"BaseFont").unwrap().as_name().unwrap().to_vec());
        let descendant = dict(
            pdf,
            &font.get(b"DescendantFonts").unwrap().as_array().unwrap()[0],
        );
        let descriptor = dict(pdf, descendant.get(b"FontDescriptor").unwrap());
        let program = pdf
            .get_object(
                descriptor
                    .get(b"FontFile2")
                    .unwrap()
                    .as_reference()
                    .unwrap(),
            )
            .unwrap()
            .as_stream()
            .unwrap()
            .decompressed_content()
            .unwrap();
        let map = pdf
            .get_object(
                descendant
                    .get(b"CIDToGIDMap")
                    .unwrap()
                    .as_reference()
                    .unwrap(),
            )
            .expect("a CIDToGIDMap stream")
            .as_stream()
            .unwrap()
            .decompressed_content()
            .unwrap();
        out.insert(base.unwrap(), (program, map));
    }
    out
}

#[test]
fn a_short_pdf_is_small_and_embeds_subset_fonts() {
    let bytes = render(&book(), Format::Pdf).unwrap();
    assert!(bytes.len() < 100_000, "{} bytes", bytes.len());
    let pdf = Pdf::load_mem(&bytes).unwrap();
    let fonts = fonts(&pdf);
    assert_eq!(fonts.len(), 1, "only Noto Sans is used");
    for (name, (program, _)) in &fonts {
        let (tag, rest) = name.split_once('+').expect("a subset tag");
        assert!(
            tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()),
            "{name}"
        );
        assert!(rest.starts_with("NotoSans"), "{name}");
        assert!(program.len() < 30_000, "{name}: {} bytes", program.len());
        ttf_parser::Face::parse(program, 0).expect("the subset is a font");
    }
}

/// The codes each font (by BaseFont) shows, from the content streams.
fn shown_codes(pdf: &Pdf) -> BTreeMap<String, BTreeSet<u16>> {
    let mut shown: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
    for page in pdf.get_pages().into_values() {
        let names: BTreeMap<Vec<u8>, String> = pdf
            .get_page_fonts(page)
            .unwrap()
            .into_iter()
            .map(|(name, font)| {
                let base = font.get(b"BaseFont").unwrap().as_name().unwrap();
                (name, String::from_utf8(base.to_vec()).unwrap())
            })
            .collect();
        let mut current = None;
        for op in pdf.get_and_decode_page_content(page).unwrap().operations {
            let strings: Vec<&Object> = match op.operator.as_str() {
                "Tf" => {
                    current = Some(names[op.operands[0].as_name().unwrap()].clone());
                    continue;
                }
                "Tj" => op.operands.iter().collect(),
                "TJ" => op.operands[0].as_array().unwrap().iter().collect(),
                _ => continue,
            };
            let codes = shown
                .entry(current.clone().expect("a font is set"))
                .or_default();
            for s in strings {
                if let Ok(bytes) = s.as_str() {
                    codes.extend(bytes.chunks(2).map(|p| u16::from_be_bytes([p[0], p[1]])));
                }
            }
        }
    }
    shown
}

#[test]
fn every_glyph_shown_is_drawn_by_the_subset_font() {
    let doc = Document {
        title: "Scripts ½ — “quotes”".into(),
        author: Some("Ἀριστοτέλης".into()),
        chapters: vec![chapter(
            "यह एक परीक्षण वाक्य है।",
            "Café déjà vu, naïve façade, smörgåsbord, Ærøskøbing, ﬁne ligatures.\n\n\
             Привет, как дела? Ёжик в тумане. Ελληνικά: αβγδ ἄλφα.\n\n\
             क्षत्रिय विद्या की बात करते हैं। किताब, हिंदी, श्री\n\n\
             Combining: e\u{301} a\u{308} o\u{302}. Digits 0123456789 € £ ¥ § © ® ™ …",
        )],
    };
    let pdf = load(&doc);
    let fonts = fonts(&pdf);
    let shown = shown_codes(&pdf);
    assert_eq!(fonts.len(), 2, "both fonts are used");
    for (name, (program, map)) in &fonts {
        let original = ttf_parser::Face::parse(
            if name.contains("Devanagari") {
                NOTO_SANS_DEVANAGARI
            } else {
                NOTO_SANS
            },
            0,
        )
        .unwrap();
        let subset = ttf_parser::Face::parse(program, 0).unwrap();
        let codes = &shown[name];
        assert!(codes.len() > 20, "{name}: {codes:?}");
        for &code in codes {
            let at = usize::from(code) * 2;
            let glyph = u16::from_be_bytes([map[at], map[at + 1]]);
            assert!(
                glyph != 0 || code == 0,
                "{name}: glyph {code} is not in the subset"
            );
            assert_eq!(
                subset.glyph_bounding_box(GlyphId(glyph)),
                original.glyph_bounding_box(GlyphId(code)),
                "{name}: glyph {code} is drawn differently by the subset (its glyph {glyph})"
            );
        }
        let drawn = codes
            .iter()
            .filter(|&&c| original.glyph_bounding_box(GlyphId(c)).is_some())
            .count();
        assert!(drawn > 20, "{name}: only {drawn} glyphs with outlines");
    }
}
