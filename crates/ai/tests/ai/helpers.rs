//! Shared test helpers: fast settings, a sample request, and collecting a stream.

use std::time::Duration;

use futures_util::StreamExt;
use penora_ai::{
    FinishReason, GenerationRequest, HttpSettings, Message, Provider, ProviderError, RetryPolicy,
    StreamEvent, Task, Timeouts,
};

pub const API_KEY: &str = "test-key-5f2a";

/// Short timeouts and backoff so the misbehaving-upstream tests take well under a second.
pub fn fast_settings() -> HttpSettings {
    HttpSettings {
        timeouts: Timeouts {
            connect: Duration::from_secs(1),
            first_byte: Duration::from_millis(500),
            idle: Duration::from_millis(500),
        },
        retry: RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
        },
    }
}

pub fn chat_request(model: &str) -> GenerationRequest {
    GenerationRequest {
        model: model.to_owned(),
        messages: vec![
            Message::system("You are a helpful writing assistant."),
            Message::user("Write one line about the sea."),
        ],
        max_tokens: 256,
        temperature: Some(0.7),
        stop: vec!["THE END".to_owned()],
        task: Task::Write,
        input: "Write one line about the sea.".to_owned(),
        seed: 7,
        target_words: None,
    }
}

/// Everything a generation produced: the text, every event, and the error that ended it.
#[derive(Debug)]
pub struct Outcome {
    pub text: String,
    pub events: Vec<StreamEvent>,
    pub error: Option<ProviderError>,
}

impl Outcome {
    pub fn error_code(&self) -> Option<&'static str> {
        self.error.as_ref().map(ProviderError::code)
    }

    pub fn usage(&self) -> Option<(u32, u32)> {
        self.events.iter().find_map(|event| match event {
            StreamEvent::Usage {
                prompt_tokens,
                completion_tokens,
            } => Some((*prompt_tokens, *completion_tokens)),
            _ => None,
        })
    }

    pub fn finish(&self) -> Option<&FinishReason> {
        self.events.iter().find_map(|event| match event {
            StreamEvent::Finished { reason } => Some(reason),
            _ => None,
        })
    }

    /// Asserts the stream obeyed its shape: deltas, then at most one usage, then one
    /// finished, and nothing after.
    pub fn assert_well_formed(&self) {
        let mut seen_usage = false;
        for (index, event) in self.events.iter().enumerate() {
            match event {
                StreamEvent::Delta(_) => assert!(!seen_usage, "delta after usage: {self:?}"),
                StreamEvent::Usage { .. } => {
                    assert!(!seen_usage, "two usages: {self:?}");
                    seen_usage = true;
                }
                StreamEvent::Finished { .. } => {
                    assert_eq!(
                        index,
                        self.events.len() - 1,
                        "events after finish: {self:?}"
                    )
                }
            }
        }
        assert!(self.finish().is_some(), "no finish: {self:?}");
        assert!(self.error.is_none(), "unexpected error: {self:?}");
    }
}

pub async fn run(provider: &dyn Provider, request: GenerationRequest) -> Outcome {
    let mut outcome = Outcome {
        text: String::new(),
        events: Vec::new(),
        error: None,
    };
    let mut stream = match provider.stream(request).await {
        Ok(stream) => stream,
        Err(error) => {
            outcome.error = Some(error);
            return outcome;
        }
    };
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => {
                if let StreamEvent::Delta(text) = &event {
                    outcome.text.push_str(text);
                }
                outcome.events.push(event);
            }
            Err(error) => {
                outcome.error = Some(error);
                break;
            }
        }
    }
    // A stream that ended with an error must stay ended.
    if outcome.error.is_some() {
        assert!(stream.next().await.is_none(), "items after an error");
    }
    outcome
}
