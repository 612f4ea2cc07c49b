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

/// Each `w:style` of a styles part: (styleId, name, outline level).
fn styles(xml: &str) -> Vec<(String, String, Option<String>)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let attr = |name: &[u8]| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == name)
                        .map(|a| String::from_utf8(a.value.to_vec()).unwrap())
                };
                match e.name().as_ref() {
                    b"w:style" => out.push((attr(b"w:styleId").unwrap(), String::new(), None)),
                    b"w:name" => out.last_mut().unwrap().1 = attr(b"w:val").unwrap(),
                    b"w:outlineLvl" => out.last_mut().unwrap().2 = attr(b"w:val"),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    out
}

/// Each `w:p` of a document part: (its paragraph style, if any; its text).
fn paragraphs(xml: &str) -> Vec<(Option<String>, String)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    let mut in_text = false;
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) if e.name().as_ref() == b"w:p" => out.push((None, String::new())),
            Event::Start(e) if e.name().as_ref() == b"w:t" => in_text = true,
            Event::End(e) if e.name().as_ref() == b"w:t" => in_text = false,
            Event::Empty(e) if e.name().as_ref() == b"w:pStyle" => {
                let style = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == b"w:val");
                out.last_mut().unwrap().0 =
                    style.map(|a| String::from_utf8(a.value.to_vec()).unwrap());
            }
            Event::Text(t) if in_text => out.last_mut().unwrap().1 += &t.decode().unwrap(),
            Event::GeneralRef(r) if in_text => {
                let name = String::from_utf8(r.to_vec()).unwrap();
                let c = match name.as_str() {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    other => panic!("unexpected entity {other}"),
                };
                out.last_mut().unwrap().1.push(c);
            }
            _ => {}
        }
    }
    out
}

#[test]
fn docx_title_and_chapters_use_the_built_in_heading_styles() {
    let mut docx = open(render(&sample(), Format::Docx).unwrap());
    let styles = styles(&part(&mut docx, "word/styles.xml"));
    for (id, name, level) in [
        ("Heading1", "heading 1", "0"),
        ("Heading2", "heading 2", "1"),
    ] {
        let style = styles.iter().find(|s| s.0 == id);
        assert_eq!(
            style,
            Some(&(id.to_owned(), name.to_owned(), Some(level.to_owned()))),
            "{styles:?}"
        );
    }
    let headings: Vec<(String, String)> = paragraphs(&part(&mut docx, "word/document.xml"))
        .into_iter()
        .filter_map(|(style, text)| style.filter(|s| s.starts_with("Heading")).zip(Some(text)))
        .collect();
    let expected = [
        ("Heading1", "Tom & Jerry <2>"),
        ("Heading2", "Первая глава"),
        ("Heading2", "Chapter 2"),
    ];
    assert_eq!(
        headings,
        expected.map(|(s, t)| (s.to_owned(), t.to_owned())),
        "the navigation pane's outline"
    );
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
