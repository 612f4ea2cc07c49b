//! The offline demo model: no key, no network. It writes readable, clearly-demo prose that
//! follows the `Task`, from templates and the user's own names and nouns, so the whole
//! product works on a fresh machine. The same seed and request always give the same text.

mod compose;
mod plainer;
mod text;
mod words;

use std::time::Duration;

use async_trait::async_trait;
use futures_util::{stream, StreamExt};

use crate::error::ProviderError;
use crate::provider::Provider;
use crate::types::{EventStream, FinishReason, GenerationRequest, StreamEvent};

/// What the product shows as the model's name.
pub const OFFLINE_LABEL: &str = "Offline demo model";
/// The provider id of the offline model.
pub const OFFLINE_ID: &str = "offline";

/// The offline model. `pace` is the pause between streamed words (zero in tests), so the
/// demo streams like a real model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Offline {
    pub pace: Duration,
}

impl Offline {
    pub fn new(pace: Duration) -> Self {
        Self { pace }
    }
}

#[async_trait]
impl Provider for Offline {
    fn id(&self) -> &'static str {
        OFFLINE_ID
    }

    async fn stream(&self, request: GenerationRequest) -> Result<EventStream, ProviderError> {
        let events = generate(&request);
        let pace = self.pace;
        let paced =
            stream::iter(events.into_iter().enumerate()).then(move |(index, event)| async move {
                if index > 0 && !pace.is_zero() && matches!(event, StreamEvent::Delta(_)) {
                    tokio::time::sleep(pace).await;
                }
                Ok(event)
            });
        Ok(Box::pin(paced))
    }
}

/// A prompt carrying this gets text without a single word break (as base64, a long
/// identifier or unspaced script would be), so the demo and tests show how it is billed.
pub const OFFLINE_UNBROKEN: &str = "[offline:unbroken]";
/// A prompt carrying this gets text with NUL and other control characters in it.
pub const OFFLINE_CONTROLS: &str = "[offline:controls]";

/// Characters per token in text without word breaks, as tokenizers commonly cut it.
const CHARS_PER_TOKEN: usize = 4;
/// Characters per delta of unbroken text.
const UNBROKEN_CHUNK: usize = 12;

/// Words per token, as commonly estimated for English: a token is about ¾ of a word.
const WORDS_PER_TOKEN_NUM: u64 = 3;
const WORDS_PER_TOKEN_DEN: u64 = 4;

/// The whole event sequence for a request: word deltas, usage, finished.
fn generate(request: &GenerationRequest) -> Vec<StreamEvent> {
    let budget = word_budget(request.max_tokens);
    let full = compose::compose(request, budget);
    let (text, stopped) = cut_at_stop(&full, &request.stop);
    let unbroken = asks_for(request, OFFLINE_UNBROKEN);
    let (mut chunks, cut) = if unbroken {
        unbroken_within(text, request.max_tokens)
    } else {
        chunks_within(text, budget)
    };
    if asks_for(request, OFFLINE_CONTROLS) {
        with_controls(&mut chunks);
    }
    let reason = if cut && !stopped {
        FinishReason::Length
    } else {
        FinishReason::Stop
    };
    let prompt_words: usize = request
        .messages
        .iter()
        .map(|message| text::word_count(&message.content))
        .sum::<usize>()
        .max(text::word_count(&request.input));
    let completion_tokens = if unbroken {
        let chars: usize = chunks.iter().map(|chunk| chunk.chars().count()).sum();
        u32::try_from(chars.div_ceil(CHARS_PER_TOKEN)).unwrap_or(u32::MAX)
    } else {
        tokens_for(chunks.len())
    }
    .min(request.max_tokens);
    let mut events: Vec<StreamEvent> = chunks.into_iter().map(StreamEvent::Delta).collect();
    events.push(StreamEvent::Usage {
        prompt_tokens: tokens_for(prompt_words),
        completion_tokens,
    });
    events.push(StreamEvent::Finished { reason });
    events
}

/// The most words `max_tokens` allows (at least one when any token is allowed).
fn word_budget(max_tokens: u32) -> usize {
    let words = u64::from(max_tokens) * WORDS_PER_TOKEN_NUM / WORDS_PER_TOKEN_DEN;
    let words = usize::try_from(words).unwrap_or(usize::MAX);
    if max_tokens > 0 {
        words.max(1)
    } else {
        0
    }
}

/// Tokens reported for `words`, rounded down: ¾ of them, rounded up, never exceeds the
/// words, so the token term of the billable length never bills prose above its words.
fn tokens_for(words: usize) -> u32 {
    let words = u64::try_from(words).unwrap_or(u64::MAX);
    let tokens = words.saturating_mul(WORDS_PER_TOKEN_DEN) / WORDS_PER_TOKEN_NUM;
    u32::try_from(tokens).unwrap_or(u32::MAX)
}

/// The text before the earliest stop sequence, and whether one was found.
fn cut_at_stop<'a>(text: &'a str, stop: &[String]) -> (&'a str, bool) {
    let earliest = stop
        .iter()
        .filter(|sequence| !sequence.is_empty())
        .filter_map(|sequence| text.find(sequence.as_str()))
        .min();
    match earliest {
        Some(end) => (&text[..end], true),
        None => (text, false),
    }
}

/// Whether the caller's input or any message carries a demo directive.
fn asks_for(request: &GenerationRequest, directive: &str) -> bool {
    request.input.contains(directive)
        || request
            .messages
            .iter()
            .any(|message| message.content.contains(directive))
}

/// The text with its whitespace removed, at most what `max_tokens` allows, in chunks of a
/// few characters; and whether it was cut.
fn unbroken_within(text: &str, max_tokens: u32) -> (Vec<String>, bool) {
    let limit = usize::try_from(max_tokens)
        .unwrap_or(usize::MAX)
        .saturating_mul(CHARS_PER_TOKEN);
    let joined: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    let cut = joined.len() > limit;
    let chunks = joined[..joined.len().min(limit)]
        .chunks(UNBROKEN_CHUNK)
        .map(|chunk| chunk.iter().collect())
        .collect();
    (chunks, cut)
}

/// Puts a NUL, an escape, a carriage return and a DEL into the text, as a faulty model
/// might.
fn with_controls(chunks: &mut [String]) {
    for (index, chunk) in chunks.iter_mut().enumerate() {
        let control = ["\0", "\u{1b}", "\r", "\u{7f}"][index % 4];
        chunk.insert_str(0, control);
    }
}

/// Word-sized chunks (each word with the whitespace after it), at most `budget` of them,
/// and whether the text was cut.
fn chunks_within(text: &str, budget: usize) -> (Vec<String>, bool) {
    let mut chunks: Vec<&str> = Vec::new();
    let mut start = 0;
    let mut after_word = false;
    for (index, c) in text.char_indices() {
        if c.is_whitespace() {
            after_word = true;
        } else if after_word {
            chunks.push(&text[start..index]);
            start = index;
            after_word = false;
        }
    }
    chunks.push(&text[start..]);
    chunks.retain(|chunk| !chunk.trim().is_empty());
    let cut = chunks.len() > budget;
    chunks.truncate(budget);
    let mut chunks: Vec<String> = chunks.into_iter().map(str::to_owned).collect();
    if cut {
        if let Some(last) = chunks.last_mut() {
            last.truncate(last.trim_end().len());
        }
    }
    (chunks, cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_budget_is_three_quarters_of_the_tokens() {
        assert_eq!(word_budget(0), 0);
        assert_eq!(word_budget(1), 1);
        assert_eq!(word_budget(100), 75);
        assert_eq!(tokens_for(75), 100);
        assert_eq!(tokens_for(1), 1);
        assert_eq!(tokens_for(5), 6);
    }

    #[test]
    fn stop_cuts_at_the_earliest_sequence() {
        let stops = vec!["C".to_owned(), "B".to_owned(), String::new()];
        assert_eq!(cut_at_stop("xxBxxCxx", &stops), ("xx", true));
        assert_eq!(cut_at_stop("xxx", &stops), ("xxx", false));
    }

    #[test]
    fn unbroken_text_has_no_word_breaks_and_fits_the_tokens() {
        let (chunks, cut) = unbroken_within("Hello  wide\n\nworld — ok", 2);
        assert!(cut);
        assert_eq!(chunks.concat(), "Hellowid");
        assert_eq!(chunks.len(), 1);
        let (chunks, cut) = unbroken_within("a b", 100);
        assert!(!cut);
        assert_eq!(chunks.concat(), "ab");
    }

    #[test]
    fn chunks_are_words_and_rejoin_to_the_text() {
        let text = "Hello  wide\n\nworld — ok";
        let (chunks, cut) = chunks_within(text, 100);
        assert!(!cut);
        assert_eq!(chunks.concat(), text);
        assert_eq!(chunks.len(), 5);
        let (chunks, cut) = chunks_within(text, 2);
        assert!(cut);
        assert_eq!(chunks.concat(), "Hello  wide");
    }
}
