//! Model output made safe to store and bill, before anything else sees it.

use std::borrow::Cow;

/// Drops the control characters (Unicode `Cc`: C0, DEL and C1) from a delta of model output,
/// except tab and line feed. PostgreSQL refuses NUL in text, so one NUL would make every
/// save of the generation fail; the others have no place in prose and render as nothing or
/// garbage. Carriage return is dropped too: a CR LF pair becomes a line feed, and a lone CR
/// would only move a terminal's cursor. Code points are counted after this, so what is
/// dropped is neither shown nor billed. Borrowed when nothing is dropped (the usual case).
pub fn clean_delta(delta: &str) -> Cow<'_, str> {
    if delta.chars().any(dropped) {
        Cow::Owned(delta.chars().filter(|&c| !dropped(c)).collect())
    } else {
        Cow::Borrowed(delta)
    }
}

fn dropped(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nul_and_other_controls_are_dropped() {
        assert_eq!(clean_delta("a\0b\u{1b}[31mc\u{7f}\u{85}d"), "ab[31mcd");
        assert_eq!(clean_delta("line\r\nnext\rend"), "line\nnextend");
    }

    #[test]
    fn tabs_line_feeds_and_ordinary_text_are_kept_as_they_are() {
        let text = "One\ttwo\n\nПривет — 我爱你 \u{200d}\u{301}";
        assert!(matches!(clean_delta(text), Cow::Borrowed(t) if t == text));
    }

    proptest! {
        #[test]
        fn leaves_no_control_but_tab_and_line_feed(text in "\\PC{0,50}[\\x00-\\x1f\\x7f]{0,5}\\PC{0,50}") {
            let cleaned = clean_delta(&text);
            prop_assert!(cleaned.chars().all(|c| !c.is_control() || c == '\n' || c == '\t'));
            prop_assert_eq!(clean_delta(&cleaned).into_owned(), cleaned.clone().into_owned());
        }
    }
}
