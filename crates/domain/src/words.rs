//! Counting words of generated text, the unit credits are priced in.

use unicode_segmentation::UnicodeSegmentation;

/// Words by Unicode's word boundaries (UAX #29): works for Latin, Cyrillic, Devanagari and
/// others; each CJK ideograph counts as a word, which is how those scripts are usually
/// measured. Punctuation and spaces are not words.
pub fn count_words(text: &str) -> u64 {
    text.unicode_words().count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_across_scripts() {
        assert_eq!(count_words(""), 0);
        assert_eq!(count_words("  ,.;  "), 0);
        assert_eq!(count_words("The cat's hat — isn't it fine?"), 6);
        assert_eq!(count_words("Привет, как дела?"), 3);
        assert_eq!(count_words("नमस्ते दुनिया, आप कैसे हैं?"), 5);
        assert_eq!(count_words("naïve café déjà-vu"), 4);
        assert_eq!(count_words("我爱你"), 3);
    }
}
