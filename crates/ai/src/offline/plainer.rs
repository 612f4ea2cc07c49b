//! The offline model's plainer rewrites: shorter (every other sentence) and clearer (wordy
//! phrases and fillers out, long sentences split).

use super::text::{capitalise, clean_word, sentences, word_count};
use super::words::*;

/// About half the sentences, evenly spread and starting with the first, without fillers.
/// A single sentence keeps its first half.
pub(super) fn shorter(input: &str) -> String {
    let all = sentences(input);
    let kept: Vec<String> = if all.len() >= 2 {
        let keep = all.len().div_ceil(2);
        (0..keep)
            .filter_map(|i| all.get(i * all.len() / keep))
            .map(|sentence| drop_fillers(sentence))
            .collect()
    } else {
        let words: Vec<&str> = input.split_whitespace().collect();
        let half = words.len() / 2;
        if half == 0 {
            return String::new();
        }
        let mut cut = words[..half].join(" ");
        cut = cut.trim_end_matches(super::text::is_punctuation).to_owned();
        cut.push('.');
        vec![cut]
    };
    kept.join(" ")
}

/// Wordy phrases replaced, fillers dropped, long sentences split at ", and".
pub(super) fn clearer(input: &str) -> String {
    input
        .split('\n')
        .map(|line| {
            sentences(line)
                .iter()
                .map(|sentence| split_long(&simplify(sentence)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn drop_fillers(sentence: &str) -> String {
    simplify_words(sentence, false)
}

fn simplify(sentence: &str) -> String {
    simplify_words(sentence, true)
}

fn simplify_words(sentence: &str, replace_wordy: bool) -> String {
    let words: Vec<&str> = sentence.split_whitespace().collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut index = 0;
    while index < words.len() {
        if replace_wordy {
            if let Some((length, replacement)) = wordy_at(&words[index..]) {
                let last = words[index + length - 1];
                let trailing = &last[last.trim_end_matches(super::text::is_punctuation).len()..];
                let capital = words[index].chars().next().is_some_and(char::is_uppercase);
                let word = if capital {
                    capitalise(replacement)
                } else {
                    replacement.to_owned()
                };
                out.push(format!("{word}{trailing}"));
                index += length;
                continue;
            }
        }
        let word = words[index];
        let is_filler = FILLERS.contains(&word.to_lowercase().as_str());
        if !is_filler {
            out.push(word.to_owned());
        }
        index += 1;
    }
    let text = out.join(" ");
    // A filler may have started the sentence.
    if sentence.chars().next().is_some_and(char::is_uppercase) {
        capitalise(&text)
    } else {
        text
    }
}

/// The wordy phrase starting at `words[0]`, if any: its length and replacement. Only the
/// phrase's last word may carry punctuation.
fn wordy_at(words: &[&str]) -> Option<(usize, &'static str)> {
    WORDY.iter().find_map(|(phrase, replacement)| {
        let candidate = words.get(..phrase.len())?;
        let last = phrase.len() - 1;
        let matches = candidate
            .iter()
            .zip(phrase.iter())
            .enumerate()
            .all(|(i, (word, want))| {
                let word = if i == last { clean_word(word) } else { word };
                word.to_lowercase() == *want
            });
        matches.then_some((phrase.len(), *replacement))
    })
}

/// Splits a sentence of more than 12 words at its first ", and".
fn split_long(sentence: &str) -> String {
    if word_count(sentence) <= 12 {
        return sentence.to_owned();
    }
    match sentence.split_once(", and ") {
        Some((first, second)) if !second.trim().is_empty() => {
            format!("{first}. {}", capitalise(second))
        }
        _ => sentence.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearer_replaces_wordy_phrases_and_fillers() {
        assert_eq!(
            clearer("In order to win, she was really very careful to utilize the map."),
            "To win, she was careful to use the map."
        );
        assert_eq!(
            clearer("Due to the fact that it rained, they stayed."),
            "Because it rained, they stayed."
        );
    }

    #[test]
    fn clearer_splits_long_sentences() {
        let long = "The rain came down on the roofs of the old town for hours, and the people waited inside for the storm to pass.";
        assert_eq!(
            clearer(long),
            "The rain came down on the roofs of the old town for hours. The people waited inside for the storm to pass."
        );
    }

    #[test]
    fn shorter_keeps_half_the_sentences() {
        assert_eq!(shorter("One. Two. Three. Four."), "One. Three.");
        assert_eq!(shorter("One. Two. Three."), "One. Two.");
        assert_eq!(
            shorter("a single long sentence of eight words here"),
            "a single long sentence."
        );
    }
}
