//! The billable length of a text: the one unit output and input are priced in.
//!
//! Words are counted by Unicode's word boundaries, but text without word breaks (an
//! `unbroken_identifier`, CamelCase runs, base64, URLs, Thai written without spaces) is one
//! "word" to UAX #29. So the billable length is never less than a word per 6 code points,
//! nor, where the provider reported it, than ¾ of a word per completion token:
//!
//! `billable = max(words, ceil(code_points / 6), ceil(completion_tokens × 3 / 4))`.
//!
//! Every price (the meter's limit, the settled charge, the estimate, the sweeper's charge
//! for an abandoned stream) goes through [`billable_words`], so the rule is in one place.

use crate::count_words;

/// Code points that make one billable word at the least.
pub const CODE_POINTS_PER_WORD: u64 = 6;

/// What is known of a text's length. `completion_tokens` is the provider's own count, and
/// only present when the provider reported usage (not after a disconnect or a cut).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextLength {
    pub words: u64,
    pub code_points: u64,
    pub completion_tokens: Option<u64>,
}

impl TextLength {
    /// The length of a whole text (no provider tokens).
    pub fn of(text: &str) -> Self {
        Self {
            words: count_words(text),
            code_points: text.chars().count() as u64,
            completion_tokens: None,
        }
    }

    /// The same length with the provider's completion-token count.
    pub fn with_tokens(self, completion_tokens: Option<u64>) -> Self {
        Self {
            completion_tokens,
            ..self
        }
    }

    /// The billable words of this length (see the module docs).
    pub fn billable(self) -> u64 {
        billable_words(self)
    }
}

/// `max(words, ceil(code_points / 6), ceil(completion_tokens × 3 / 4))`.
pub fn billable_words(length: TextLength) -> u64 {
    let by_chars = length.code_points.div_ceil(CODE_POINTS_PER_WORD);
    let by_tokens = length
        .completion_tokens
        .map_or(0, |tokens| tokens.saturating_mul(3).div_ceil(4));
    length.words.max(by_chars).max(by_tokens)
}

/// The billable words of a whole text with no provider count: prompts, estimates.
pub fn billable_words_of(text: &str) -> u64 {
    TextLength::of(text).billable()
}

/// The billable words of a request's input given in parts (a prompt, its instructions, a
/// conversation's messages): each part is measured on its own and the lengths added, so
/// joining or splitting fields cannot change the price by more than a word a part.
pub fn billable_words_of_all<'a>(parts: impl IntoIterator<Item = &'a str>) -> u64 {
    parts
        .into_iter()
        .map(billable_words_of)
        .fold(0, u64::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ordinary_prose_is_billed_by_its_words() {
        let text = "The quick brown fox jumps over the lazy dog.";
        assert_eq!(billable_words_of(text), 9);
    }

    #[test]
    fn text_without_word_breaks_is_billed_by_its_length() {
        let unbroken = "this_is_one_word_that_goes_on_and_on";
        assert_eq!(count_words(unbroken), 1);
        assert_eq!(billable_words_of(unbroken), 6);
        let base64 = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=".repeat(10);
        assert_eq!(billable_words_of(&base64), 60);
        let thai = "สวัสดีครับยินดีต้อนรับ";
        assert!(billable_words_of(thai) >= 22 / 6);
    }

    #[test]
    fn reported_tokens_set_a_floor() {
        let length = TextLength::of("short").with_tokens(Some(100));
        assert_eq!(length.billable(), 75);
        assert_eq!(TextLength::of("short").with_tokens(Some(1)).billable(), 1);
        assert_eq!(TextLength::of("").billable(), 0);
    }

    proptest! {
        #[test]
        fn never_less_than_any_of_the_three_terms(
            text in "\\PC{0,300}",
            tokens in proptest::option::of(0u64..10_000),
        ) {
            let length = TextLength::of(&text).with_tokens(tokens);
            let billed = length.billable();
            prop_assert!(billed >= count_words(&text));
            prop_assert!(billed * CODE_POINTS_PER_WORD >= text.chars().count() as u64);
            prop_assert!(billed * 4 >= tokens.unwrap_or(0) * 3);
        }

        #[test]
        fn parts_cost_their_sum(parts in proptest::collection::vec("\\PC{0,80}", 0..6)) {
            let sum: u64 = parts.iter().map(|p| billable_words_of(p)).sum();
            prop_assert_eq!(billable_words_of_all(parts.iter().map(String::as_str)), sum);
        }

        #[test]
        fn grows_with_the_text(a in "\\PC{0,100}", b in "\\PC{0,100}") {
            let whole = format!("{a}{b}");
            prop_assert!(billable_words_of(&whole) >= billable_words_of(&a));
        }
    }
}
