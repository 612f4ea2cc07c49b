//! Renders one document model to PDF, DOCX, EPUB, plain text and Markdown.
//!
//! The model is deliberately small: a title, an optional author and a list of chapters, each
//! with a title (possibly empty) and plain text. How the text is read is the same for every
//! format (see [`Chapter`]), so an export looks alike whichever format is picked.
//!
//! ```
//! use penora_export::{render, Chapter, Document, Format};
//!
//! let doc = Document {
//!     title: "Notes".into(),
//!     author: Some("Ada".into()),
//!     chapters: vec![Chapter { title: String::new(), text: "First paragraph.\n\nSecond.".into() }],
//! };
//! let md = render(&doc, Format::Markdown).unwrap();
//! assert!(String::from_utf8(md).unwrap().starts_with("# Notes"));
//! ```

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

mod docx;
mod epub;
mod pdf;
mod receipt;
mod text;

pub use receipt::{Receipt, Seller};

/// A document to export.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Document {
    pub title: String,
    pub author: Option<String>,
    pub chapters: Vec<Chapter>,
}

/// One chapter of a [`Document`].
///
/// `title` may be empty: a plain document is one untitled chapter. When a document has several
/// chapters, an untitled one is labelled "Chapter N" (its 1-based position).
///
/// `text` is read the same way by every format:
/// - paragraphs are separated by one or more blank (or whitespace-only) lines;
/// - a single `'\n'` inside a paragraph is a line break, kept as such;
/// - whitespace at the start and end of each line is dropped (`"\r\n"` works too).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chapter {
    pub title: String,
    pub text: String,
}

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Pdf,
    Docx,
    Epub,
    Txt,
    Markdown,
}

impl Format {
    /// Every format, in the order a picker would list them.
    pub const ALL: [Format; 5] = [
        Format::Pdf,
        Format::Docx,
        Format::Epub,
        Format::Txt,
        Format::Markdown,
    ];

    /// The short name, as accepted by [`FromStr`]: `pdf`, `docx`, `epub`, `txt`, `md`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Epub => "epub",
            Format::Txt => "txt",
            Format::Markdown => "md",
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        self.as_str()
    }

    /// The MIME type for a `Content-Type` header.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Epub => "application/epub+zip",
            Format::Txt => "text/plain; charset=utf-8",
            Format::Markdown => "text/markdown; charset=utf-8",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a format name that [`Format::from_str`] does not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown export format {input:?}; expected one of: pdf, docx, epub, txt, md")]
pub struct ParseFormatError {
    pub input: String,
}

impl FromStr for Format {
    type Err = ParseFormatError;

    /// Case-insensitive; `markdown` is accepted for `md`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim();
        Format::ALL
            .into_iter()
            .find(|f| name.eq_ignore_ascii_case(f.as_str()))
            .or_else(|| {
                name.eq_ignore_ascii_case("markdown")
                    .then_some(Format::Markdown)
            })
            .ok_or_else(|| ParseFormatError { input: s.into() })
    }
}

/// Why an export failed. The text formats cannot fail; the others only on a bug or a broken
/// build (a font that does not parse), never because of what the user wrote.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error("the embedded font {0} could not be read")]
    Font(&'static str),
    #[error("could not write the {format} file")]
    Encode {
        format: Format,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl ExportError {
    fn encode(format: Format, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        ExportError::Encode {
            format,
            source: Box::new(source),
        }
    }
}

/// Renders `receipt` as a one-page A4 PDF (more pages only if its text is very long).
///
/// Fails only as [`crate::render`]'s PDF does: on a bug or a font that does not parse.
pub fn receipt_pdf(receipt: &Receipt) -> Result<Vec<u8>, ExportError> {
    pdf::receipt::render(receipt)
}

/// Renders `doc` in `format`.
pub fn render(doc: &Document, format: Format) -> Result<Vec<u8>, ExportError> {
    match format {
        Format::Pdf => pdf::render(doc),
        Format::Docx => docx::render(doc),
        Format::Epub => epub::render(doc),
        Format::Txt => Ok(text::render_txt(doc).into_bytes()),
        Format::Markdown => Ok(text::render_markdown(doc).into_bytes()),
    }
}

/// The longest file stem [`file_name`] produces, before the extension.
const MAX_STEM: usize = 80;
/// The stem when nothing of the title survives (e.g. a title in Cyrillic only).
const FALLBACK_STEM: &str = "penora-export";

/// A safe ASCII file name for a download of `title` in `format`, e.g.
/// `"Café déjà vu: Part 2"` → `Cafe-deja-vu-Part-2.pdf`.
///
/// Accents are dropped from Latin letters (é → e); ASCII letters, digits, `-` and `_` are kept;
/// anything else (spaces, punctuation, path separators, other scripts) becomes a separator, and
/// runs of separators collapse into one `-`. The stem is at most 80 characters; if nothing is
/// left, it is `penora-export`.
pub fn file_name(title: &str, format: Format) -> String {
    use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

    let mut stem = String::with_capacity(title.len().min(MAX_STEM + 1));
    let mut pending_separator = false;
    for c in title.nfkd().filter(|c| !is_combining_mark(*c)) {
        if c.is_ascii_alphanumeric() || c == '_' {
            let separate = pending_separator && !stem.is_empty();
            if stem.len() + 1 + usize::from(separate) > MAX_STEM {
                break;
            }
            if separate {
                stem.push('-');
            }
            pending_separator = false;
            stem.push(c);
        } else {
            pending_separator = true;
        }
    }
    let stem = if stem.is_empty() {
        FALLBACK_STEM
    } else {
        &stem
    };
    format!("{stem}.{}", format.extension())
}

/// The paragraphs of a chapter's text, each as its (trimmed, non-empty) lines. See [`Chapter`].
pub(crate) fn paragraphs(text: &str) -> Vec<Vec<&str>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The heading shown for chapter `index` (0-based): its title, "Chapter N" for an untitled
/// chapter among several, or `None` for the single untitled chapter of a plain document.
pub(crate) fn chapter_heading(doc: &Document, index: usize) -> Option<Cow<'_, str>> {
    let title = doc.chapters.get(index)?.title.trim();
    if !title.is_empty() {
        Some(Cow::Borrowed(title))
    } else if doc.chapters.len() > 1 {
        Some(Cow::Owned(format!("Chapter {}", index + 1)))
    } else {
        None
    }
}

/// `text` without the control characters XML 1.0 forbids (everything below U+0020 except tab,
/// line feed and carriage return, plus U+FFFE/U+FFFF). One of them pasted into a chapter
/// would otherwise make the DOCX or EPUB unreadable: XML parsers reject the whole file.
pub(crate) fn xml_safe(text: &str) -> Cow<'_, str> {
    fn forbidden(c: char) -> bool {
        matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
    }
    if text.chars().any(forbidden) {
        Cow::Owned(text.chars().filter(|c| !forbidden(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// The document title, trimmed, or "Untitled" so every format has something to show.
pub(crate) fn document_title(doc: &Document) -> &str {
    match doc.title.trim() {
        "" => "Untitled",
        t => t,
    }
}

/// The author, trimmed, if there is one.
pub(crate) fn document_author(doc: &Document) -> Option<&str> {
    doc.author
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_split_on_blank_lines_and_keep_line_breaks() {
        let text = "  One\r\ntwo  \n\n\n \t \nThree\n";
        assert_eq!(paragraphs(text), vec![vec!["One", "two"], vec!["Three"]]);
        assert!(paragraphs("\n \n").is_empty());
    }

    #[test]
    fn xml_safe_drops_only_forbidden_characters() {
        assert!(matches!(xml_safe("a\tb\nc é"), Cow::Borrowed(_)));
        assert_eq!(xml_safe("a\u{0}b\u{B}c\u{1F}d\u{FFFF}"), "abcd");
    }

    #[test]
    fn untitled_chapters_are_numbered_only_among_several() {
        let one = Document {
            chapters: vec![Chapter::default()],
            ..Document::default()
        };
        assert_eq!(chapter_heading(&one, 0), None);
        let two = Document {
            chapters: vec![
                Chapter {
                    title: " Start ".into(),
                    text: String::new(),
                },
                Chapter::default(),
            ],
            ..Document::default()
        };
        assert_eq!(chapter_heading(&two, 0).as_deref(), Some("Start"));
        assert_eq!(chapter_heading(&two, 1).as_deref(), Some("Chapter 2"));
    }
}
