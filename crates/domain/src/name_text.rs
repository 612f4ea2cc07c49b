//! Which characters a name or title may hold: display names, project, story and chapter
//! titles, genres, API and app key names. Names are shown to other people (an author on a
//! shared page, a key in a list), so characters that are invisible or that reorder the text
//! around them would let a name pass for another; they are refused here, in one place.
//! Body text (chapter content, premises, prompts) keeps them: it is not matched against.
//!
//! Refused:
//! - general category Cc (control characters), Zl and Zp (line and paragraph separators):
//!   code `invalid_characters`;
//! - general category Cf (format characters: the bidi embeddings, overrides and isolates
//!   U+202A–U+202E and U+2066–U+2069, the marks U+200E/U+200F and U+061C, the zero-width
//!   characters U+200B–U+200D, U+2060–U+2064, U+FEFF, the soft hyphen U+00AD, tag
//!   characters U+E0020–U+E007F, ...): code `invisible_character`;
//! - except U+200D ZERO WIDTH JOINER inside an emoji ZWJ sequence (UTS #51: an emoji, its
//!   optional U+FE0F or skin-tone modifier, ZWJ, an emoji), e.g. 👩‍💻: it only joins two
//!   emoji pictures into one and cannot hide or reorder letters.
//!
//! Categories come from `unicode-properties` (Unicode Character Database).

use std::borrow::Cow;

use unicode_properties::{GeneralCategory, UnicodeEmoji, UnicodeGeneralCategory};

use crate::FieldError;

/// The field code for a control character or line break in a name.
pub const INVALID_CHARACTERS: &str = "invalid_characters";
/// The field code for an invisible or text-direction character in a name.
pub const INVISIBLE_CHARACTER: &str = "invisible_character";

const ZWJ: char = '\u{200D}';

/// Why a character may not stand in a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Control,
    Invisible,
}

/// Checks that `text` holds no character names may not hold; the first one found is
/// reported for `field`.
pub fn check_name_text(field: impl Into<Cow<'static, str>>, text: &str) -> Result<(), FieldError> {
    let chars: Vec<char> = text.chars().collect();
    let Some((c, refusal)) =
        (0..chars.len()).find_map(|i| refusal_at(&chars, i).map(|r| (chars[i], r)))
    else {
        return Ok(());
    };
    Err(match refusal {
        Refusal::Control => FieldError::new(
            field,
            INVALID_CHARACTERS,
            "Use printable characters only (no line breaks or control characters).",
        ),
        Refusal::Invisible => FieldError::new(
            field,
            INVISIBLE_CHARACTER,
            format!(
                "Remove the invisible or text-direction character U+{:04X}; names and titles \
                 cannot hold it.",
                u32::from(c)
            ),
        ),
    })
}

/// `text` without the characters [`check_name_text`] refuses: for names derived from text
/// nobody typed as a name (an outline's chapter lines, an address's local part). The result
/// always passes [`check_name_text`].
pub fn strip_name_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len())
        .filter(|&i| refusal_at(&chars, i).is_none())
        .map(|i| chars[i])
        .collect()
}

fn refusal_at(chars: &[char], i: usize) -> Option<Refusal> {
    let c = chars[i];
    match c.general_category() {
        GeneralCategory::Control
        | GeneralCategory::LineSeparator
        | GeneralCategory::ParagraphSeparator => Some(Refusal::Control),
        GeneralCategory::Format if c == ZWJ && joins_emoji(chars, i) => None,
        GeneralCategory::Format => Some(Refusal::Invisible),
        _ => None,
    }
}

/// Whether the ZWJ at `i` stands between two emoji (the one before it may carry U+FE0F
/// and a skin-tone modifier).
fn joins_emoji(chars: &[char], i: usize) -> bool {
    let before = chars[..i]
        .iter()
        .rev()
        .find(|&&c| !is_emoji_suffix(c))
        .copied();
    let after = chars.get(i + 1).copied();
    before.is_some_and(is_pictorial_emoji) && after.is_some_and(is_pictorial_emoji)
}

/// U+FE0F (emoji presentation) and the skin-tone modifiers U+1F3FB–U+1F3FF.
fn is_emoji_suffix(c: char) -> bool {
    c == '\u{FE0F}' || ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
}

/// An emoji picture: `Emoji=Yes`, leaving out the ASCII digits, `#` and `*` (which carry
/// the property for keycap sequences) and the skin-tone modifiers.
fn is_pictorial_emoji(c: char) -> bool {
    !c.is_ascii() && !is_emoji_suffix(c) && c.is_emoji_char()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn code(text: &str) -> Option<&'static str> {
        check_name_text("name", text).err().map(|e| e.code)
    }

    #[test]
    fn bidi_and_invisible_characters_are_refused() {
        let refused = [
            '\u{202A}',
            '\u{202B}',
            '\u{202C}',
            '\u{202D}',
            '\u{202E}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{200F}',
            '\u{2060}',
            '\u{2061}',
            '\u{2062}',
            '\u{2063}',
            '\u{2064}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{061C}',
            '\u{180E}',
            '\u{E0041}',
            '\u{E007F}',
        ];
        for c in refused {
            assert_eq!(
                code(&format!("Ada{c}Lovelace")),
                Some(INVISIBLE_CHARACTER),
                "U+{:04X}",
                u32::from(c)
            );
        }
        let err = check_name_text("display_name", "evil\u{202E}gnp.exe").unwrap_err();
        assert_eq!(err.field, "display_name");
        assert!(err.message.contains("U+202E"), "{}", err.message);
    }

    #[test]
    fn control_characters_and_line_breaks_are_refused() {
        for text in [
            "a\u{0}b",
            "a\u{7}",
            "two\nlines",
            "tab\there",
            "a\u{85}b",
            "a\u{2028}b",
        ] {
            assert_eq!(code(text), Some(INVALID_CHARACTERS), "{text:?}");
        }
    }

    #[test]
    fn letters_marks_and_emoji_are_kept() {
        for text in [
            "Ada Lovelace",
            "Zoë Ñúñez",
            "नमस्ते",
            "محمد",
            "עברית",
            "山田太郎",
            "e\u{301}",
            "Rocket 🚀",
            "❤\u{FE0F}",
            "🇫🇷",
        ] {
            assert_eq!(code(text), None, "{text:?}");
        }
    }

    #[test]
    fn a_zero_width_joiner_is_kept_only_inside_an_emoji_sequence() {
        for text in [
            "👩\u{200D}💻",
            "👨\u{200D}👩\u{200D}👧\u{200D}👦",
            "🏃\u{200D}♀\u{FE0F}",
            "👩\u{1F3FD}\u{200D}🚀",
            "❤\u{FE0F}\u{200D}🔥",
            "Team 🧑\u{200D}🤝\u{200D}🧑 rocks",
        ] {
            assert_eq!(code(text), None, "{text:?}");
        }
        for text in [
            "a\u{200D}b",
            "\u{200D}👩",
            "👩\u{200D}",
            "👩\u{200D}\u{200D}💻",
            "1\u{200D}2",
            "👩\u{200D}a",
            "👩 \u{200D}💻",
        ] {
            assert_eq!(code(text), Some(INVISIBLE_CHARACTER), "{text:?}");
        }
    }

    #[test]
    fn stripping_keeps_everything_else() {
        assert_eq!(
            strip_name_text("The\u{200B} Harbour\u{202E}"),
            "The Harbour"
        );
        assert_eq!(
            strip_name_text("👩\u{200D}💻 and a\u{200D}b"),
            "👩\u{200D}💻 and ab"
        );
        assert_eq!(strip_name_text("plain"), "plain");
    }

    #[test]
    fn project_titles_refuse_what_chapter_text_keeps() {
        assert_eq!(
            crate::ProjectTitle::parse("Du\u{200B}ne").unwrap_err().code,
            "invisible_character"
        );
        let hidden = "he said \u{202E}olleh\u{202C} and\u{200B}left\u{00AD}";
        let errs = crate::Chapter::parse("One\u{2066}", hidden, "chapters[1]").unwrap_err();
        let codes: Vec<_> = errs.iter().map(|e| (e.field.to_string(), e.code)).collect();
        assert_eq!(
            codes,
            [("chapters[1].title".to_owned(), "invisible_character")]
        );
        let kept = crate::Chapter::parse("One", hidden, "chapters[1]").unwrap();
        assert_eq!(kept.text(), hidden);
        let meta = crate::ProjectMeta::parse(Some("noir\u{FEFF}"), Some(hidden), None).unwrap_err();
        assert_eq!(meta[0].code, "invisible_character");
        // A stored title is read back as it is, and new text keeps the chapter's title.
        let stored = crate::ProjectTitle::from_stored("Old\u{200B}".to_owned());
        assert_eq!(stored.as_str(), "Old\u{200B}");
        let renamed = crate::Chapter::parse("Kept", "", "c")
            .unwrap()
            .with_text(hidden, "c");
        assert_eq!(
            renamed.map(|c| (c.title().to_owned(), c.text().to_owned())),
            Ok(("Kept".into(), hidden.into()))
        );
    }

    /// Any characters, with the ones the rules are about mixed in often.
    fn mixed_text() -> impl Strategy<Value = String> {
        let notable = prop::sample::select(vec![
            '\u{200D}',
            '\u{202E}',
            '\u{200B}',
            '\u{FE0F}',
            '\u{1F3FD}',
            '\u{0}',
            '\n',
            '👩',
            '💻',
            '1',
            'a',
            ' ',
        ]);
        prop::collection::vec(prop_oneof![any::<char>(), notable], 0..40)
            .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn stripped_text_passes_and_clean_text_is_unchanged(text in mixed_text()) {
            let stripped = strip_name_text(&text);
            prop_assert!(check_name_text("name", &stripped).is_ok());
            if check_name_text("name", &text).is_ok() {
                prop_assert_eq!(stripped, text);
            }
        }

        #[test]
        fn a_format_character_anywhere_is_refused(
            before in "[a-zA-Z é]{0,10}",
            after in "[a-zA-Z é]{0,10}",
            c in prop::sample::select(vec!['\u{202E}', '\u{2066}', '\u{200B}', '\u{200D}', '\u{FEFF}', '\u{00AD}', '\u{2060}']),
        ) {
            let text = format!("{before}{c}{after}");
            prop_assert_eq!(code(&text), Some(INVISIBLE_CHARACTER));
        }
    }
}
