//! Counting the words of streamed text as it arrives, and stopping at a word limit.
//!
//! Words never span whitespace (UAX #29), so the text up to the last whitespace can be
//! counted once and forgotten; only the unfinished tail is recounted with each delta. That
//! keeps a long stream linear instead of recounting everything per delta.

use unicode_segmentation::UnicodeSegmentation;

#[derive(Debug, Clone)]
pub struct WordMeter {
    limit: u64,
    /// Words in the text before `tail`.
    settled: u64,
    /// Text after the last whitespace seen, still part of a word that may grow.
    tail: String,
    full: bool,
}

/// What a delta added, after the limit was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metered<'a> {
    /// The part of the delta within the limit (all of it, unless the limit was reached).
    pub accepted: &'a str,
    /// True once the limit is reached: accept nothing more.
    pub limit_reached: bool,
}

impl WordMeter {
    pub fn new(limit: u64) -> Self {
        Self {
            limit,
            settled: 0,
            tail: String::new(),
            full: limit == 0,
        }
    }

    pub fn words(&self) -> u64 {
        self.settled + count(&self.tail)
    }

    pub fn limit_reached(&self) -> bool {
        self.full
    }

    /// Adds a delta, cutting it where the `limit`-th word ends. The word at the limit is
    /// kept whole even when it arrives in several deltas, so the cut never splits a word
    /// the meter has already counted.
    pub fn push<'a>(&mut self, delta: &'a str) -> Metered<'a> {
        if self.full {
            return Metered {
                accepted: "",
                limit_reached: true,
            };
        }
        let before = self.tail.len();
        self.tail.push_str(delta);
        let total = self.settled + count(&self.tail);
        if total > self.limit {
            // Keep text up to the end of the word that reaches the limit.
            let allowed = usize::try_from(self.limit - self.settled).unwrap_or(usize::MAX);
            let end = self
                .tail
                .unicode_word_indices()
                .nth(allowed.saturating_sub(1))
                .map(|(start, word)| start + word.len())
                .filter(|_| allowed > 0)
                .unwrap_or(0)
                .max(before);
            let accepted = &delta[..end - before];
            self.tail.truncate(end);
            self.full = true;
            return Metered {
                accepted,
                limit_reached: true,
            };
        }
        if let Some(split) = self.tail.rfind(char::is_whitespace) {
            self.settled += count(&self.tail[..split]);
            self.tail.drain(..split);
        }
        Metered {
            accepted: delta,
            limit_reached: false,
        }
    }
}

fn count(text: &str) -> u64 {
    text.unicode_words().count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count_words;
    use proptest::prelude::*;

    #[test]
    fn counts_words_split_across_deltas_once() {
        let mut meter = WordMeter::new(100);
        for delta in ["The qu", "ick bro", "wn fox", " — jum", "ps."] {
            assert!(!meter.push(delta).limit_reached);
        }
        assert_eq!(meter.words(), 5);
    }

    #[test]
    fn stops_at_the_limit_mid_delta() {
        let mut meter = WordMeter::new(3);
        assert_eq!(meter.push("one two ").accepted, "one two ");
        let cut = meter.push("three four five");
        assert_eq!(cut.accepted, "three");
        assert!(cut.limit_reached);
        assert_eq!(meter.words(), 3);
        assert_eq!(meter.push("six").accepted, "");
    }

    #[test]
    fn a_zero_limit_accepts_nothing() {
        let mut meter = WordMeter::new(0);
        assert_eq!(meter.push("hello").accepted, "");
        assert_eq!(meter.words(), 0);
    }

    proptest! {
        #[test]
        fn agrees_with_counting_the_whole_text(
            text in "[a-zé .,\\n\u{0915}\u{094d}\u{0937}я]{0,200}",
            cuts in proptest::collection::vec(0usize..200, 0..12),
            limit in 0u64..60,
        ) {
            let mut points: Vec<usize> = cuts
                .into_iter()
                .map(|c| c.min(text.len()))
                .filter(|c| text.is_char_boundary(*c))
                .collect();
            points.push(0);
            points.push(text.len());
            points.sort_unstable();
            let mut meter = WordMeter::new(limit);
            let mut accepted = String::new();
            for pair in points.windows(2) {
                accepted.push_str(meter.push(&text[pair[0]..pair[1]]).accepted);
            }
            prop_assert_eq!(meter.words(), count_words(&accepted));
            prop_assert!(meter.words() <= limit);
            prop_assert!(text.starts_with(&accepted));
            if count_words(&text) <= limit {
                prop_assert_eq!(accepted, text);
            }
        }
    }
}
