//! Reading the user's text: sentences, words, and the names and nouns it is about.
//! Heuristics for a demo, not linguistics; they only need to be safe on any Unicode text.

use std::collections::HashSet;

use super::words::STOPWORDS;

/// Splits text into sentences at `.`, `!`, `?`, `…`, the Devanagari danda, or a line break,
/// keeping each sentence's closing punctuation and quotes.
pub(super) fn sentences(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        let ends = matches!(c, '.' | '!' | '?' | '…' | '।' | '॥' | '\n');
        if !ends {
            continue;
        }
        let mut end = index + c.len_utf8();
        while let Some(&(next_index, next)) = chars.peek() {
            if matches!(next, '"' | '\'' | '”' | '’' | ')' | '»' | '.' | '!' | '?') {
                end = next_index + next.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        let at_boundary = c == '\n' || chars.peek().is_none_or(|&(_, next)| next.is_whitespace());
        if at_boundary {
            push_trimmed(&mut found, &text[start..end]);
            start = end;
        }
    }
    push_trimmed(&mut found, &text[start..]);
    found
}

fn push_trimmed<'a>(found: &mut Vec<&'a str>, sentence: &'a str) {
    let sentence = sentence.trim();
    if !sentence.is_empty() {
        found.push(sentence);
    }
}

pub(super) fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || "“”‘’«»—–…।॥¿¡".contains(c)
}

/// A word without surrounding punctuation or a possessive `'s`.
pub(super) fn clean_word(word: &str) -> &str {
    let word = word.trim_matches(is_punctuation);
    word.strip_suffix("'s")
        .or_else(|| word.strip_suffix("’s"))
        .unwrap_or(word)
}

pub(super) fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Upper-cases the first letter (a no-op for scripts without case).
pub(super) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What a text is about: names (most prominent first) and noun phrases (most frequent
/// first).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Topic {
    pub names: Vec<String>,
    pub nouns: Vec<String>,
}

const MAX_TOPIC_WORDS: usize = 8;
/// The longest noun phrase taken after a determiner ("an old spice market").
const MAX_PHRASE_WORDS: usize = 3;

/// Words after which a noun phrase starts, in English.
const DETERMINERS: &[&str] = &[
    "the", "a", "an", "his", "her", "their", "its", "my", "our", "your", "this", "that", "these",
    "those", "every", "each",
];

/// A name candidate: how often it appears mid-sentence (surely a name), in all, and first.
struct NameSeen {
    name: String,
    mid_sentence: usize,
    total: usize,
}

impl Topic {
    pub fn of(text: &str) -> Self {
        let sentences = sentences(text);
        let lowercase_seen: HashSet<String> = text
            .split_whitespace()
            .map(clean_word)
            .filter(|word| word.chars().next().is_some_and(char::is_lowercase))
            .map(str::to_lowercase)
            .collect();
        let mut names: Vec<NameSeen> = Vec::new();
        let mut phrases = Counter::default();
        let mut words = Counter::default();
        for sentence in &sentences {
            let tokens: Vec<&str> = sentence.split_whitespace().collect();
            for (position, token) in tokens.iter().enumerate() {
                let word = clean_word(token);
                let lower = word.to_lowercase();
                if !is_content_word(word, &lower) {
                    continue;
                }
                let capitalised = word.chars().next().is_some_and(char::is_uppercase);
                // A capital at the start of a sentence may just be grammar; count it as a
                // name only if the word never appears in lower case.
                if capitalised && (position > 0 || !lowercase_seen.contains(&lower)) {
                    note_name(&mut names, word, position > 0);
                } else if is_nounish(&lower) {
                    words.add(lower);
                }
            }
            for phrase in noun_phrases(&tokens) {
                phrases.add(phrase);
            }
        }
        // Mid-sentence capitals first, then the most mentioned, then the first mentioned.
        names.sort_by_key(|seen| std::cmp::Reverse((seen.mid_sentence, seen.total)));
        // English text gives noun phrases; other languages fall back to frequent words.
        let nouns = if phrases.is_empty() { words } else { phrases };
        Self {
            names: names
                .into_iter()
                .map(|seen| seen.name)
                .take(MAX_TOPIC_WORDS)
                .collect(),
            nouns: nouns.ranked(MAX_TOPIC_WORDS),
        }
    }
}

fn note_name(names: &mut Vec<NameSeen>, word: &str, mid_sentence: bool) {
    let index = match names.iter().position(|seen| seen.name == word) {
        Some(index) => index,
        None => {
            names.push(NameSeen {
                name: word.to_owned(),
                mid_sentence: 0,
                total: 0,
            });
            names.len() - 1
        }
    };
    if let Some(seen) = names.get_mut(index) {
        seen.total += 1;
        seen.mid_sentence += usize::from(mid_sentence);
    }
}

/// Phrases following a determiner: "the harbour", "a lighthouse keeper", "her grandmother's
/// lantern". A phrase of several words must end at punctuation, a function word or the end
/// of the sentence; otherwise the run probably ran into a verb and only its first word is
/// kept ("the rain kept falling" gives "rain").
fn noun_phrases(tokens: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        if !DETERMINERS.contains(&token.to_lowercase().as_str()) {
            continue;
        }
        let mut phrase: Vec<&str> = Vec::new();
        let mut closed = true;
        for next in tokens.iter().skip(index + 1) {
            let word = next.trim_matches(is_punctuation);
            let lower = word.to_lowercase();
            let capitalised = word.chars().next().is_some_and(char::is_uppercase);
            if !is_content_word(word, &lower) || !is_nounish(&lower) || capitalised {
                closed = STOPWORDS.contains(&lower.as_str()) || word.is_empty();
                break;
            }
            if phrase.len() == MAX_PHRASE_WORDS {
                closed = false;
                break;
            }
            phrase.push(word);
            if next.ends_with(is_punctuation) && !next.ends_with("'s") {
                break;
            }
        }
        if !closed {
            phrase.truncate(1);
        }
        if !phrase.is_empty() {
            found.push(phrase.join(" ").to_lowercase());
        }
    }
    found
}

fn is_content_word(word: &str, lower: &str) -> bool {
    !word.is_empty() && !STOPWORDS.contains(&lower) && !word.chars().any(char::is_numeric)
}

/// Counts in first-seen order.
#[derive(Default)]
struct Counter {
    counts: Vec<(String, usize)>,
}

impl Counter {
    fn add(&mut self, key: String) {
        match self.counts.iter_mut().find(|(known, _)| *known == key) {
            Some((_, count)) => *count += 1,
            None => self.counts.push((key, 1)),
        }
    }

    fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Most frequent first; a stable sort keeps first-seen order among equals.
    fn ranked(mut self, limit: usize) -> Vec<String> {
        self.counts
            .sort_by_key(|(_, count)| std::cmp::Reverse(*count));
        self.counts
            .into_iter()
            .map(|(key, _)| key)
            .take(limit)
            .collect()
    }
}

/// Drops short words and, in English, the obvious verb and adverb endings.
fn is_nounish(lower: &str) -> bool {
    let length = lower.chars().count();
    if length < 3 {
        return false;
    }
    let english_inflection = length >= 5
        && lower.is_ascii()
        && ["ed", "ing", "ly"].iter().any(|end| lower.ends_with(end));
    !english_inflection
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sentences_keeping_quotes_and_decimals() {
        assert_eq!(
            sentences("Mira ran. \"Wait!\" she said. It cost 3.50 today\nNew line"),
            [
                "Mira ran.",
                "\"Wait!\"",
                "she said.",
                "It cost 3.50 today",
                "New line"
            ]
        );
        assert_eq!(
            sentences("राम घर गया। वह खुश था।"),
            ["राम घर गया।", "वह खुश था।"]
        );
        assert!(sentences("   ").is_empty());
    }

    #[test]
    fn finds_prominent_names_and_frequent_nouns() {
        let topic = Topic::of(
            "Mira walked to the harbour with Tomas. The harbour was cold. Tomas watched the boats.",
        );
        assert_eq!(topic.names, ["Tomas", "Mira"]);
        assert_eq!(topic.nouns, ["harbour", "boats"]);
    }

    #[test]
    fn a_sentence_initial_common_word_is_not_a_name() {
        let topic = Topic::of("Rain fell. The rain kept falling on the roof.");
        assert!(topic.names.is_empty());
        assert!(topic.nouns.contains(&"rain".to_owned()));
    }

    #[test]
    fn noun_phrases_stop_before_verbs_and_at_punctuation() {
        let topic = Topic::of(
            "Describe an old spice market. She held her grandmother's lantern, and the light turned.",
        );
        assert_eq!(
            topic.nouns,
            ["old spice market", "grandmother's lantern", "light"]
        );
        let topic = Topic::of("Write a story about a lighthouse keeper and a storm.");
        assert_eq!(topic.nouns, ["lighthouse keeper", "storm"]);
    }

    #[test]
    fn the_first_of_equally_prominent_names_leads() {
        let topic = Topic::of("Мира шла к гавани. Лодки спали. Где-то звонил колокол.");
        assert_eq!(topic.names.first().map(String::as_str), Some("Мира"));
    }

    #[test]
    fn works_on_scripts_without_case() {
        let topic = Topic::of("नदी के किनारे एक पुराना मंदिर था।");
        assert!(topic.names.is_empty());
        assert!(!topic.nouns.is_empty());
    }

    #[test]
    fn capitalise_handles_unicode() {
        assert_eq!(capitalise("ёлка"), "Ёлка");
        assert_eq!(capitalise("नदी"), "नदी");
        assert_eq!(capitalise(""), "");
    }
}
