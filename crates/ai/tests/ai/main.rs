//! Integration tests for penora-ai: each upstream client against a local fake upstream that
//! speaks its real streaming format (and misbehaves on cue), and the offline model.

// Helpers outside `#[test]` fns: a failed set-up step should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod scenarios;

mod anthropic;
mod gemini;
mod offline;
mod openai;
mod registry;
