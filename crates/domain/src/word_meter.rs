//! Metering streamed text in billable words (see [`crate::billable`]) as it arrives, and
//! stopping at a limit.
//!
//! The code-point term is a running sum. The word term (UAX #29) is counted incrementally:
//! word boundaries are found by a forward state machine that starts afresh at each segment,
//! and only the last two segments of a text can still change when more text follows (one
//! that reached the end of the text, and a "mid" character such as `.` it may take back).
//! So everything before them is counted once and forgotten. A long unbroken run (an
//! identifier, base64, a URL) is one segment that keeps growing; inside it, counting restarts
//! at a letter, digit, `_`, katakana or space character not preceded by a zero-width joiner,
//! where the state machine is in the same state as when it starts afresh on that character.
//! Each delta then costs time in its own length, not the stream's. (A run of thousands of
//! combining marks has no such point and is recounted per delta; it is at most six times
//! the limit long.)

use unicode_segmentation::UnicodeSegmentation;

use crate::billable::{TextLength, CODE_POINTS_PER_WORD};

/// Unsettled text longer than this is cut at a restart point.
const TAIL_BYTES: usize = 48;
/// How many characters from the end a restart point is looked for.
const RESTART_WINDOW: usize = 16;

#[derive(Debug, Clone)]
pub struct WordMeter {
    limit: u64,
    /// Words of the text before `tail`, not counting a segment `tail` starts inside of.
    settled: u64,
    /// `Some(has_word)` when `tail` starts inside a segment: whether its earlier part holds
    /// a letter or digit (the segment is then a word whatever follows).
    carry: Option<bool>,
    /// The text whose segments may still change or that was not yet settled.
    tail: String,
    /// Words of `tail`, counted with `carry`.
    tail_words: u64,
    code_points: u64,
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
    /// A meter that accepts text up to `limit` billable words.
    pub fn new(limit: u64) -> Self {
        Self {
            limit,
            settled: 0,
            carry: None,
            tail: String::new(),
            tail_words: 0,
            code_points: 0,
            full: limit == 0,
        }
    }

    /// The billable words of the accepted text: `billable_words_of(accepted)`.
    pub fn words(&self) -> u64 {
        self.length().billable()
    }

    /// The length of the accepted text (without provider tokens).
    pub fn length(&self) -> TextLength {
        TextLength {
            words: self.settled + self.tail_words,
            code_points: self.code_points,
            completion_tokens: None,
        }
    }

    pub fn limit_reached(&self) -> bool {
        self.full
    }

    /// Adds a delta, keeping its longest start that stays within the limit; the limit is
    /// reached when the delta did not fit whole, or no further character could. A cut can
    /// fall inside a word: text without word breaks is billed by its length.
    pub fn push<'a>(&mut self, delta: &'a str) -> Metered<'a> {
        if self.full {
            return Metered {
                accepted: "",
                limit_reached: true,
            };
        }
        let before = self.tail.len();
        self.tail.push_str(delta);
        let (words, segments) = self.count_tail();
        let code_points = delta.chars().count() as u64;
        if self.billable(words, code_points) <= self.limit {
            self.accept(words, code_points, &segments);
            return Metered {
                accepted: delta,
                limit_reached: self.full,
            };
        }
        // The longest start of the delta that fits; billable words grow with the text.
        let ends: Vec<usize> = delta
            .char_indices()
            .map(|(index, _)| index)
            .skip(1)
            .chain(std::iter::once(delta.len()))
            .collect();
        let fits = |meter: &mut Self, chars: usize| {
            let end = if chars == 0 { 0 } else { ends[chars - 1] };
            meter.tail.truncate(before);
            meter.tail.push_str(&delta[..end]);
            let (words, _) = meter.count_tail();
            meter.billable(words, chars as u64) <= meter.limit
        };
        let (mut low, mut high) = (0usize, ends.len() - 1);
        while low < high {
            let middle = (low + high).div_ceil(2);
            if fits(self, middle) {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        let end = if low == 0 { 0 } else { ends[low - 1] };
        self.tail.truncate(before);
        self.tail.push_str(&delta[..end]);
        let (words, segments) = self.count_tail();
        self.accept(words, low as u64, &segments);
        self.full = true;
        Metered {
            accepted: &delta[..end],
            limit_reached: true,
        }
    }

    fn billable(&self, tail_words: u64, added_code_points: u64) -> u64 {
        TextLength {
            words: self.settled + tail_words,
            code_points: self.code_points + added_code_points,
            completion_tokens: None,
        }
        .billable()
    }

    fn accept(&mut self, words: u64, code_points: u64, segments: &[Segment]) {
        self.tail_words = words;
        self.code_points += code_points;
        // No character more can fit. (At the word limit punctuation still could.)
        if self.code_points >= self.limit.saturating_mul(CODE_POINTS_PER_WORD) {
            self.full = true;
        }
        self.settle(segments);
    }

    /// The words of `tail` and its segments.
    fn count_tail(&self) -> (u64, Vec<Segment>) {
        let mut segments = Vec::new();
        let mut words = 0;
        for (index, (start, text)) in self.tail.split_word_bound_indices().enumerate() {
            let word = has_word(text) || (index == 0 && self.carry == Some(true));
            words += u64::from(word);
            segments.push(Segment { start, word });
        }
        (words, segments)
    }

    /// Forgets the text before the last two segments, and inside a long run the text
    /// before a restart point near its end.
    fn settle(&mut self, segments: &[Segment]) {
        let mut drained = 0;
        if segments.len() >= 3 {
            let keep = segments.len() - 2;
            let words: u64 = segments[..keep].iter().map(|s| u64::from(s.word)).sum();
            self.settled += words;
            self.tail_words -= words;
            self.carry = None;
            drained = segments[keep].start;
            self.tail.drain(..drained);
        }
        if self.tail.len() <= TAIL_BYTES {
            return;
        }
        let Some(restart) = restart_point(&self.tail) else {
            return;
        };
        // The text before the restart point ends in a joining state, so it splits into the
        // same segments alone as it does in the tail, and its last one is the earlier part
        // of the segment counting goes on in (unless the restart point starts a segment).
        let mut words = 0;
        let mut last_is_word = false;
        for (index, (_, text)) in self.tail[..restart].split_word_bound_indices().enumerate() {
            last_is_word = has_word(text) || (index == 0 && self.carry == Some(true));
            words += u64::from(last_is_word);
        }
        let starts_segment = segments.iter().any(|s| s.start == drained + restart);
        let (words, carry) = if starts_segment {
            (words, None)
        } else {
            (words - u64::from(last_is_word), Some(last_is_word))
        };
        self.settled += words;
        self.tail_words -= words;
        self.carry = carry;
        self.tail.drain(..restart);
    }
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    start: usize,
    word: bool,
}

/// Whether a segment is a word: it holds a letter or digit (as `unicode_words` decides).
fn has_word(segment: &str) -> bool {
    segment.unicode_words().next().is_some()
}

/// The last character near the end of `tail`, after its first, at which counting may
/// restart: it and the character before it both leave the segmenter in the state it
/// starts in on them (see [`joins_onward`]).
fn restart_point(tail: &str) -> Option<usize> {
    let mut chars = tail
        .char_indices()
        .rev()
        .take(RESTART_WINDOW + 1)
        .peekable();
    while let Some((index, ch)) = chars.next() {
        let &(_, before) = chars.peek()?;
        if joins_onward(ch) && joins_onward(before) {
            return Some(index);
        }
    }
    None
}

/// Whether the word-boundary machine, on reading this character inside a segment, is in
/// the state it starts in on it: letters, digits, `_` and katakana (they join what follows
/// whatever came before them) and spaces. Asked of the segmenter itself: only these join a
/// following letter, katakana or space into one segment at the start of a text.
fn joins_onward(ch: char) -> bool {
    if ch.is_ascii() {
        return ch.is_ascii_alphanumeric() || ch == '_' || ch == ' ';
    }
    ['a', '\u{30A2}', ' '].into_iter().any(|next| {
        let mut buffer = [0u8; 8];
        let first = ch.encode_utf8(&mut buffer).len();
        let end = first + next.len_utf8();
        next.encode_utf8(&mut buffer[first..end]);
        std::str::from_utf8(&buffer[..end])
            .map(|probe| probe.split_word_bounds().nth(1).is_none())
            .unwrap_or(false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billable_words_of;
    use crate::TextLength;
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
        assert_eq!(cut.accepted, "three ");
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

    #[test]
    fn text_without_word_breaks_is_cut_at_the_billable_limit() {
        let mut meter = WordMeter::new(10);
        let mut accepted = String::new();
        for _ in 0..100 {
            accepted.push_str(meter.push("this_is_one_word_").accepted);
        }
        assert_eq!(billable_words_of(&accepted), 10);
        assert_eq!(accepted.chars().count(), 60);
        assert!(meter.limit_reached());
    }

    #[test]
    fn a_megabyte_without_spaces_in_one_byte_deltas_is_metered_in_linear_time() {
        let started = std::time::Instant::now();
        let mut meter = WordMeter::new(u64::MAX);
        for _ in 0..1_000_000 {
            assert!(!meter.push("a").limit_reached);
        }
        assert_eq!(meter.words(), 1_000_000 / 6 + 1);
        // Recounting the unbroken tail per delta takes many minutes here; linear metering
        // seconds in a debug build (the bound is generous, for a busy machine).
        assert!(started.elapsed() < std::time::Duration::from_secs(60));
    }

    /// Feeds `text` in the pieces `cuts` makes and checks what the meter accepted.
    fn check_metering(text: &str, cuts: Vec<usize>, limit: u64) -> Result<(), TestCaseError> {
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
            let metered = meter.push(&text[pair[0]..pair[1]]);
            accepted.push_str(metered.accepted);
            prop_assert_eq!(meter.words(), billable_words_of(&accepted));
            prop_assert_eq!(meter.length(), TextLength::of(&accepted));
        }
        prop_assert!(meter.words() <= limit);
        prop_assert!(text.starts_with(&accepted));
        if billable_words_of(text) <= limit {
            prop_assert_eq!(&accepted, text);
        } else {
            // Cut at the longest start that fits: one more character would not.
            prop_assert!(meter.limit_reached());
            let next = text[accepted.len()..]
                .chars()
                .next()
                .map(|c| c.len_utf8())
                .unwrap_or(0);
            prop_assert!(billable_words_of(&text[..accepted.len() + next]) > limit);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn agrees_with_the_billable_words_of_the_accepted_text(
            text in "[a-zé .,:'\"_1-9\n\r\u{0915}\u{094d}\u{0937}я\u{301}\u{200d}\u{05d0}\u{30a2}\u{1f1e6}\u{1f600}我\u{3000}]{0,200}",
            cuts in proptest::collection::vec(0usize..400, 0..40),
            limit in 0u64..80,
        ) {
            check_metering(&text, cuts, limit)?;
        }

        #[test]
        fn agrees_on_long_text_without_word_breaks(
            text in "([a-z0-9_]{1,300}|[a-z.:']{1,80}|я{1,100}|\u{30a2}{1,100}| {1,90}|\u{301}{1,60}|[a-z]\u{200d}\u{1f600}){1,8}",
            cuts in proptest::collection::vec(0usize..2000, 0..200),
            limit in 0u64..400,
        ) {
            check_metering(&text, cuts, limit)?;
        }
    }
}
