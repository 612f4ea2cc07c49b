//! Text helpers of the writer: word counts as the server makes them, the browser's UTF-16
//! selection offsets as byte offsets, and the edits the result buttons make.

use unicode_segmentation::UnicodeSegmentation;

/// Words by Unicode's word boundaries, as the server counts a project's words; a project's
/// total is the sum of its chapters'.
pub fn words(text: &str) -> i64 {
    i64::try_from(text.unicode_words().count()).unwrap_or(i64::MAX)
}

/// The byte offset of UTF-16 offset `units` (what `selectionStart` reports), clamped to the
/// text and to a character boundary.
pub fn byte_offset(text: &str, units: u32) -> usize {
    let mut seen = 0u32;
    for (at, c) in text.char_indices() {
        if seen >= units {
            return at;
        }
        seen += c.len_utf16() as u32;
    }
    text.len()
}

/// The UTF-16 offset of byte offset `at` (for `setSelectionRange`).
pub fn utf16_offset(text: &str, at: usize) -> u32 {
    let at = at.min(text.len());
    text.char_indices()
        .take_while(|(i, _)| *i < at)
        .map(|(_, c)| c.len_utf16() as u32)
        .sum()
}

/// `text` with `range` replaced by `insert`; the range is clamped to the text. Returns the
/// new text and the byte offset just after what was inserted.
pub fn splice(text: &str, range: (usize, usize), insert: &str) -> (String, usize) {
    let end = range.1.min(text.len());
    let start = range.0.min(end);
    let (start, end) = if text.is_char_boundary(start) && text.is_char_boundary(end) {
        (start, end)
    } else {
        (end, end)
    };
    let mut out = String::with_capacity(text.len() + insert.len());
    out.push_str(&text[..start]);
    out.push_str(insert);
    out.push_str(&text[end..]);
    (out, start + insert.len())
}

/// `addition` after `text` as a new paragraph.
pub fn append_paragraph(text: &str, addition: &str) -> String {
    let body = text.trim_end();
    if body.is_empty() {
        addition.trim().to_owned()
    } else {
        format!("{body}\n\n{}", addition.trim())
    }
}

/// What a tool gets from the editor: the selection when there is one; for Continue the text
/// up to the cursor; otherwise the whole chapter. The second value names it for people.
pub fn tool_input(tool: &str, text: &str, selection: (usize, usize)) -> (String, &'static str) {
    let (start, end) = (selection.0.min(text.len()), selection.1.min(text.len()));
    if tool == "write" {
        return (
            String::new(),
            "nothing from the editor (only your instructions)",
        );
    }
    if start < end && text.is_char_boundary(start) && text.is_char_boundary(end) {
        return (text[start..end].to_owned(), "the selection");
    }
    if tool == "continue" && start > 0 && start < text.len() && text.is_char_boundary(start) {
        return (text[..start].to_owned(), "the text before the cursor");
    }
    (text.to_owned(), "the whole chapter")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_like_the_server() {
        assert_eq!(words("The cat's hat — isn't it fine?"), 6);
        assert_eq!(
            words("The lanterns went out one by one.\n\nMira counted them in the dark."),
            13
        );
        assert_eq!(words("  ,. "), 0);
    }

    #[test]
    fn utf16_offsets_round_trip() {
        let text = "Olá 😀 mar";
        // "Olá " is 4 units, the emoji 2.
        assert_eq!(byte_offset(text, 4), 5);
        assert_eq!(byte_offset(text, 6), 9);
        assert_eq!(byte_offset(text, 99), text.len());
        assert_eq!(utf16_offset(text, 9), 6);
        assert_eq!(utf16_offset(text, text.len()), 10);
    }

    #[test]
    fn splices_and_appends() {
        assert_eq!(
            splice("one two three", (4, 7), "2"),
            ("one 2 three".into(), 5)
        );
        assert_eq!(splice("ab", (9, 9), "c"), ("abc".into(), 3));
        assert_eq!(
            append_paragraph("First.\n", "Second. "),
            "First.\n\nSecond."
        );
        assert_eq!(append_paragraph("", "Only."), "Only.");
    }

    #[test]
    fn tools_take_the_selection_or_what_fits() {
        let text = "One. Two. Three.";
        assert_eq!(tool_input("rewrite", text, (5, 9)).0, "Two.");
        assert_eq!(tool_input("continue", text, (9, 9)).0, "One. Two.");
        assert_eq!(tool_input("describe", text, (3, 3)).0, text);
        assert_eq!(tool_input("write", text, (5, 9)).0, "");
    }
}
