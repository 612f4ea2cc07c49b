//! Plain text and Markdown.

use std::fmt::Write as _;

use crate::{chapter_heading, document_author, document_title, paragraphs, Document};

/// Plain text: the title underlined with `=`, "by <author>", then the chapters, each with its
/// heading underlined with `-` and separated from the previous one by a `* * *` divider.
/// Paragraphs are separated by a blank line; line breaks inside a paragraph are kept.
pub(crate) fn render_txt(doc: &Document) -> String {
    let mut out = String::with_capacity(text_size_hint(doc));
    let title = document_title(doc);
    out.push_str(title);
    out.push('\n');
    push_underline(&mut out, title, '=');
    if let Some(author) = document_author(doc) {
        let _ = write!(out, "\nby {author}\n");
    }
    for (index, chapter) in doc.chapters.iter().enumerate() {
        out.push('\n');
        if index > 0 {
            // A divider that cannot be mistaken for text makes chapter starts easy to find.
            out.push_str("* * *\n\n");
        }
        if let Some(heading) = chapter_heading(doc, index) {
            out.push_str(&heading);
            out.push('\n');
            push_underline(&mut out, &heading, '-');
            out.push('\n');
        }
        for (i, paragraph) in paragraphs(&chapter.text).iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            for line in paragraph {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// Markdown (CommonMark): `# Title`, `*by author*`, `## Chapter` headings and paragraphs,
/// with a backslash hard break (`\` at the end of a line) for line breaks inside a paragraph.
///
/// Escaping, kept simple: titles and the author are plain text, so every character with a
/// meaning in Markdown inline syntax is backslash-escaped there. Body text keeps its inline
/// syntax (a writer's `*emphasis*` stays emphasis), but a line can never *start* a block
/// construct by accident: a leading `#`, `>`, `-`, `+`, `*`, `=`, `_`, `` ` ``, `~`, `|`, `<`
/// or a number followed by `.` or `)` is escaped, so user text does not turn into headings,
/// quotes, lists, rules, code fences, tables or HTML.
pub(crate) fn render_markdown(doc: &Document) -> String {
    let mut out = String::with_capacity(text_size_hint(doc));
    out.push_str("# ");
    push_inline_escaped(&mut out, document_title(doc));
    out.push('\n');
    if let Some(author) = document_author(doc) {
        out.push_str("\n*by ");
        push_inline_escaped(&mut out, author);
        out.push_str("*\n");
    }
    for (index, chapter) in doc.chapters.iter().enumerate() {
        if let Some(heading) = chapter_heading(doc, index) {
            out.push_str("\n## ");
            push_inline_escaped(&mut out, &heading);
            out.push('\n');
        }
        for paragraph in paragraphs(&chapter.text) {
            out.push('\n');
            let last = paragraph.len() - 1;
            for (i, line) in paragraph.iter().enumerate() {
                push_line_escaped(&mut out, line);
                out.push_str(if i < last { "\\\n" } else { "\n" });
            }
        }
    }
    out
}

fn text_size_hint(doc: &Document) -> usize {
    doc.title.len()
        + doc
            .chapters
            .iter()
            .map(|c| c.title.len() + c.text.len() + 32)
            .sum::<usize>()
}

fn push_underline(out: &mut String, text: &str, c: char) {
    out.extend(std::iter::repeat_n(c, text.chars().count().max(3)));
    out.push('\n');
}

/// Escapes every Markdown inline metacharacter (for titles and names, which are plain text).
fn push_inline_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '!' | '|' | '~' | '&'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Writes a body line, escaping a leading character that would start a block construct.
fn push_line_escaped(out: &mut String, line: &str) {
    let first = line.chars().next();
    if matches!(
        first,
        Some('#' | '>' | '-' | '+' | '*' | '=' | '_' | '`' | '~' | '|' | '<')
    ) {
        out.push('\\');
        out.push_str(line);
        return;
    }
    // "1. " or "12) " starts an ordered list: escape the delimiter after the digits.
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && matches!(line.as_bytes().get(digits), Some(b'.' | b')')) {
        out.push_str(&line[..digits]);
        out.push('\\');
        out.push_str(&line[digits..]);
        return;
    }
    out.push_str(line);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Chapter;

    fn doc() -> Document {
        Document {
            title: "The *Long* Night".into(),
            author: Some("A. N. Author".into()),
            chapters: vec![
                Chapter {
                    title: "Arrival".into(),
                    text: "It was dark.\nVery dark.\n\n# not a heading\n- not a list\n1. not a list\n\nЖили-были.".into(),
                },
                Chapter {
                    title: String::new(),
                    text: "The end.".into(),
                },
            ],
        }
    }

    #[test]
    fn txt_has_title_author_chapters_and_paragraphs() {
        let txt = render_txt(&doc());
        assert!(txt.starts_with("The *Long* Night\n================\n\nby A. N. Author\n"));
        assert!(txt.contains(
            "Author\n\nArrival\n-------\n\nIt was dark.\nVery dark.\n\n# not a heading\n"
        ));
        assert!(txt.contains("\n\nЖили-были.\n\n* * *\n\nChapter 2\n---------\n\nThe end.\n"));
    }

    #[test]
    fn markdown_structure_and_escaping() {
        let md = render_markdown(&doc());
        assert!(md.starts_with("# The \\*Long\\* Night\n\n*by A. N. Author*\n"));
        assert!(md.contains("\n## Arrival\n\nIt was dark.\\\nVery dark.\n"));
        assert!(md.contains("\n\\# not a heading\\\n\\- not a list\\\n1\\. not a list\n"));
        assert!(md.contains("\n## Chapter 2\n\nThe end.\n"));
        // No line of body text starts a block construct.
        for line in md.lines().filter(|l| l.contains("not a")) {
            assert!(!line.starts_with('#') && !line.starts_with('-') && !line.starts_with("1."));
        }
    }

    #[test]
    fn plain_document_has_no_chapter_heading() {
        let doc = Document {
            title: "Note".into(),
            author: None,
            chapters: vec![Chapter {
                title: String::new(),
                text: "Just text.".into(),
            }],
        };
        assert_eq!(render_markdown(&doc), "# Note\n\nJust text.\n");
        assert_eq!(render_txt(&doc), "Note\n====\n\nJust text.\n");
    }
}
