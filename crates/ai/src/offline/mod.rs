//! The offline demo model: no key, no network. It writes readable, clearly-demo prose that
//! follows the `Task`, from templates and the user's own names and nouns, so the whole
//! product works on a fresh machine. The same seed and request always give the same text.

mod compose;
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

/// Words per token, as commonly estimated for English: a token is about ¾ of a word.
const WORDS_PER_TOKEN_NUM: u64 = 3;
const WORDS_PER_TOKEN_DEN: u64 = 4;

/// The whole event sequence for a request: word deltas, usage, finished.
fn generate(request: &GenerationRequest) -> Vec<StreamEvent> {
    let budget = word_budget(request.max_tokens);
    let full = compose::compose(request, budget);
    let (text, stopped) = cut_at_stop(&full, &request.stop);
    let (chunks, cut) = chunks_within(text, budget);
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
    let completion_tokens = tokens_for(chunks.len()).min(request.max_tokens);
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

fn tokens_for(words: usize) -> u32 {
    let words = u64::try_from(words).unwrap_or(u64::MAX);
    let tokens = words
        .saturating_mul(WORDS_PER_TOKEN_DEN)
        .div_ceil(WORDS_PER_TOKEN_NUM);
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
        assert_eq!(tokens_for(1), 2);
    }

    #[test]
    fn stop_cuts_at_the_earliest_sequence() {
        let stops = vec!["C".to_owned(), "B".to_owned(), String::new()];
        assert_eq!(cut_at_stop("xxBxxCxx", &stops), ("xx", true));
        assert_eq!(cut_at_stop("xxx", &stops), ("xxx", false));
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
