//! DOCX and EPUB opened again as zip packages: the parts a reader needs, well-formed XML,
//! escaped text.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Cursor, Read};

use penora_export::{render, Chapter, Document, Format};

fn sample() -> Document {
    Document {
        title: "Tom & Jerry <2>".into(),
        author: Some("Ada \"A\" Lovelace".into()),
        chapters: vec![
            Chapter {
                title: "Первая глава".into(),
                text: "A < B & \"C\"\nline two\n\nयह एक परीक्षण वाक्य है।".into(),
            },
            Chapter {
                title: String::new(),
                text: "The end.".into(),
            },
        ],
    }
}

fn open(bytes: Vec<u8>) -> zip::ZipArchive<Cursor<Vec<u8>>> {
    zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip package")
}

fn part(archive: &mut zip::ZipArchive<Cursor<Vec<u8>>>, name: &str) -> String {
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap_or_else(|_| panic!("part {name}"))
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn assert_well_formed(xml: &str, name: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("{name} is not well-formed XML: {e}"),
        }
    }
}

#[test]
fn docx_has_the_parts_a_word_processor_opens() {
    let mut docx = open(render(&sample(), Format::Docx).unwrap());
    for name in [
        "[Content_Types].xml",
        "_rels/.rels",
        "word/document.xml",
        "word/styles.xml",
    ] {
        assert_well_formed(&part(&mut docx, name), name);
    }
    let document = part(&mut docx, "word/document.xml");
    for expected in [
        "Tom &amp; Jerry &lt;2&gt;",
        "Первая глава",
        "A &lt; B &amp;",
        "यह एक परीक्षण वाक्य है।",
        "Chapter 2",
        "The end.",
    ] {
        assert!(document.contains(expected), "missing {expected:?}");
    }
    assert!(part(&mut docx, "word/styles.xml").contains("Heading1"));
}

#[test]
fn epub_is_a_valid_package_with_one_file_per_chapter() {
    let bytes = render(&sample(), Format::Epub).unwrap();
    let mut epub = open(bytes);
    let first = epub.by_index(0).unwrap();
    assert_eq!(first.name(), "mimetype", "mimetype comes first");
    assert_eq!(first.compression(), zip::CompressionMethod::Stored);
    drop(first);
    assert_eq!(part(&mut epub, "mimetype"), "application/epub+zip");
    let container = part(&mut epub, "META-INF/container.xml");
    assert_well_formed(&container, "container.xml");
    let names: Vec<String> = epub.file_names().map(str::to_owned).collect();
    let opf_name = names
        .iter()
        .find(|n| n.ends_with(".opf"))
        .expect("an OPF package document");
    let opf = part(&mut epub, opf_name);
    assert_well_formed(&opf, opf_name);
    assert!(
        opf.contains("<dc:title") && opf.contains("Tom &amp; Jerry &lt;2&gt;"),
        "{opf}"
    );
    assert!(opf.contains("<dc:creator") && opf.contains("version=\"3.0\""));
    assert!(
        names.iter().any(|n| n.contains("nav")),
        "a navigation document: {names:?}"
    );
    let chapters: Vec<&String> = names
        .iter()
        .filter(|n| n.contains("chapter") && n.ends_with(".xhtml"))
        .collect();
    assert_eq!(chapters.len(), 2, "{names:?}");
    for name in names
        .iter()
        .filter(|n| n.ends_with(".xhtml") || n.ends_with(".ncx"))
    {
        assert_well_formed(&part(&mut epub, name), name);
    }
    let all_text: String = chapters.iter().map(|n| part(&mut epub, n)).collect();
    assert!(all_text.contains("A &lt; B &amp;") && all_text.contains("यह एक परीक्षण वाक्य है।"));
}
