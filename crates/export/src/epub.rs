//! EPUB 3, with epub-builder: a title page, one XHTML file per chapter, the navigation
//! document (table of contents) and a small stylesheet.
//!
//! epub-builder escapes the metadata and table of contents itself; the XHTML pages are written
//! here, and every piece of user text in them goes through [`push_escaped`]. The result passes
//! epubcheck with no errors or warnings (tested in `tests/epubcheck.rs`), after one repair of
//! epub-builder's package document ([`without_language_ids`]).

use std::fmt::Write as _;
use std::io::{Cursor, Read as _, Write as _};

use epub_builder::{EpubBuilder, EpubContent, EpubVersion, ReferenceType, ZipLibrary};

use crate::{
    chapter_heading, document_author, document_title, paragraphs, xml_safe, Document, ExportError,
    Format,
};

/// The book's language. The model has no language yet; readers use it for hyphenation and
/// voice, and "en" is the safest guess for a mixed audience.
const LANGUAGE: &str = "en";

const STYLESHEET: &str = "\
body { font-family: serif; line-height: 1.5; margin: 0 5%; }
h1 { font-size: 1.6em; margin: 2em 0 1em; page-break-after: avoid; }
p { margin: 0 0 0.8em; text-align: left; }
.title-page { text-align: center; margin-top: 30%; }
.title-page h1 { font-size: 2.2em; margin: 0 0 0.5em; }
.author { font-size: 1.2em; font-style: italic; }
";

pub(crate) fn render(doc: &Document) -> Result<Vec<u8>, ExportError> {
    let fail = |e: epub_builder::Error| ExportError::encode(Format::Epub, e);
    let title = xml_safe(document_title(doc));
    let author = document_author(doc).map(xml_safe);

    let mut builder = EpubBuilder::new(ZipLibrary::new().map_err(fail)?).map_err(fail)?;
    builder.epub_version(EpubVersion::V30);
    builder.set_title(title.as_ref());
    if let Some(author) = &author {
        builder.add_author(author.as_ref());
    }
    builder.add_language(LANGUAGE);
    builder.set_generator("Penora");
    builder.stylesheet(STYLESHEET.as_bytes()).map_err(fail)?;

    let mut page = String::new();
    page_start(&mut page, &title);
    page.push_str("<section class=\"title-page\" epub:type=\"titlepage\">\n<h1>");
    push_escaped(&mut page, &title);
    page.push_str("</h1>\n");
    if let Some(author) = &author {
        page.push_str("<p class=\"author\">by ");
        push_escaped(&mut page, author);
        page.push_str("</p>\n");
    }
    page.push_str("</section>\n");
    page_end(&mut page);
    builder
        .add_content(
            EpubContent::new("title.xhtml", page.as_bytes()).reftype(ReferenceType::TitlePage),
        )
        .map_err(fail)?;

    for (index, chapter) in doc.chapters.iter().enumerate() {
        let heading = chapter_heading(doc, index);
        // The table of contents needs a label even for the lone chapter of a plain document.
        let label = xml_safe(heading.as_deref().unwrap_or(&title)).into_owned();

        page.clear();
        page_start(&mut page, &label);
        page.push_str("<section epub:type=\"chapter\">\n");
        if let Some(heading) = &heading {
            page.push_str("<h1>");
            push_escaped(&mut page, heading);
            page.push_str("</h1>\n");
        }
        for paragraph in paragraphs(&chapter.text) {
            page.push_str("<p>");
            for (i, line) in paragraph.iter().enumerate() {
                if i > 0 {
                    page.push_str("<br/>");
                }
                push_escaped(&mut page, line);
            }
            page.push_str("</p>\n");
        }
        page.push_str("</section>\n");
        page_end(&mut page);

        let mut content =
            EpubContent::new(format!("chapter-{:03}.xhtml", index + 1), page.as_bytes())
                .title(label);
        if index == 0 {
            content = content.reftype(ReferenceType::Text);
        }
        builder.add_content(content).map_err(fail)?;
    }

    let mut out = Vec::new();
    builder.generate(&mut out).map_err(fail)?;
    repair_package(out).map_err(|e| ExportError::encode(Format::Epub, e))
}

/// The package file as epub-builder writes it, except for its package document (OPF), which
/// goes through [`without_language_ids`]. The other files are copied as they are, still
/// compressed (and `mimetype` still first and stored, as EPUB requires).
fn repair_package(epub: Vec<u8>) -> zip::result::ZipResult<Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(epub))?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for index in 0..archive.len() {
        let file = archive.by_index_raw(index)?;
        if !file.name().ends_with(".opf") {
            out.raw_copy_file(file)?;
            continue;
        }
        let name = file.name().to_owned();
        drop(file);
        let mut opf = String::new();
        archive.by_index(index)?.read_to_string(&mut opf)?;
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        out.start_file(name, options)?;
        out.write_all(without_language_ids(&opf).as_bytes())?;
    }
    Ok(out.finish()?.into_inner())
}

/// `opf` without the `id` attributes of its `dc:language` elements. epub-builder numbers
/// languages and authors separately under one prefix, so the first language and the first
/// author are both `epub-creator-0`: a duplicate id, which epubcheck rejects (RSC-005).
/// Nothing refers to a language's id.
fn without_language_ids(opf: &str) -> String {
    const OPEN: &str = "<dc:language id=\"";
    let mut out = String::with_capacity(opf.len());
    let mut rest = opf;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        let Some(end) = after.find('"') else { break };
        out.push_str(&rest[..start]);
        out.push_str("<dc:language");
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn page_start(page: &mut String, title: &str) {
    let _ = write!(
        page,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n\
         <html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\" \
         lang=\"{LANGUAGE}\" xml:lang=\"{LANGUAGE}\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>"
    );
    push_escaped(page, title);
    page.push_str(
        "</title>\n<link rel=\"stylesheet\" type=\"text/css\" href=\"stylesheet.css\"/>\n\
         </head>\n<body>\n",
    );
}

fn page_end(page: &mut String) {
    page.push_str("</body>\n</html>\n");
}

/// Appends `text` escaped for XML element content, without the characters XML forbids.
fn push_escaped(out: &mut String, text: &str) {
    for c in xml_safe(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::without_language_ids;

    #[test]
    fn language_ids_are_dropped_and_nothing_else() {
        let opf = "<dc:language id=\"epub-creator-0\">en</dc:language>\n\
                   <dc:creator id=\"epub-creator-0\">Ada</dc:creator>";
        assert_eq!(
            without_language_ids(opf),
            "<dc:language>en</dc:language>\n<dc:creator id=\"epub-creator-0\">Ada</dc:creator>"
        );
    }
}
