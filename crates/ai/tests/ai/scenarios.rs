//! The same upstream behaviours played in each provider's own wire format. Each provider
//! module implements `Wire` and instantiates every scenario with `wire_scenarios!`.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use penora_ai::{FinishReason, HttpSettings, Provider, ProviderError, StreamEvent, TimeoutPhase};

use crate::helpers::{chat_request, fast_settings, run, API_KEY};
use penora_fake_upstream::{FakeUpstream, Reply, Step};

/// A provider's streaming format, as SSE event text.
pub trait Wire {
    const MODEL: &'static str;
    /// The client under test, pointed at the fake, with `API_KEY` or no key.
    fn provider(base_url: &str, key: Option<&str>, settings: HttpSettings) -> Box<dyn Provider>;
    /// The wire format, shared with the server's tests (`penora_fake_upstream::Wire`).
    const FORMAT: penora_fake_upstream::Wire;

    /// Events before the first delta.
    fn opening() -> Vec<String> {
        Self::FORMAT.opening()
    }

    fn delta(text: &str) -> String {
        Self::FORMAT.delta(text)
    }

    /// The finish (reason "stop"), usage, and end marker.
    fn closing(prompt_tokens: u32, completion_tokens: u32) -> Vec<String> {
        Self::FORMAT.closing(prompt_tokens, completion_tokens)
    }

    /// An error body in the provider's format.
    fn error_body(message: &str) -> String {
        Self::FORMAT.error_body(message)
    }
}

fn stream_of<W: Wire>(deltas: &[&str], closing: bool) -> Vec<String> {
    let mut events = W::opening();
    events.extend(deltas.iter().map(|text| W::delta(text)));
    if closing {
        events.extend(W::closing(12, 3));
    }
    events
}

fn good_stream<W: Wire>() -> Reply {
    Reply::events(stream_of::<W>(&["Hello", ", ", "world"], true))
}

async fn run_against<W: Wire>(fake: &FakeUpstream) -> crate::helpers::Outcome {
    let provider = W::provider(&fake.base_url, Some(API_KEY), fast_settings());
    run(provider.as_ref(), chat_request(W::MODEL)).await
}

pub async fn streams_text_usage_and_finish<W: Wire>() {
    let fake = FakeUpstream::start(vec![good_stream::<W>()]).await;
    let outcome = run_against::<W>(&fake).await;
    outcome.assert_well_formed();
    assert_eq!(outcome.text, "Hello, world");
    assert_eq!(outcome.usage(), Some((12, 3)));
    assert_eq!(outcome.finish(), Some(&FinishReason::Stop));
    assert_eq!(fake.request_count(), 1);
}

pub async fn unauthorized_is_reported_without_the_key<W: Wire>() {
    let body = W::error_body(&format!("Invalid API key: {API_KEY}"));
    let fake = FakeUpstream::start(vec![Reply::status(401, body)]).await;
    let outcome = run_against::<W>(&fake).await;
    assert_eq!(outcome.error_code(), Some("unauthorized"));
    let error = outcome.error.unwrap();
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("Invalid API key"), "{shown}");
    assert!(!shown.contains(API_KEY), "key leaked: {shown}");
    assert_eq!(fake.request_count(), 1, "401 must not be retried");
}

pub async fn forbidden_is_unauthorized<W: Wire>() {
    let fake = FakeUpstream::start(vec![Reply::status(403, W::error_body("no access"))]).await;
    assert_eq!(
        run_against::<W>(&fake).await.error_code(),
        Some("unauthorized")
    );
}

pub async fn unknown_model_is_a_bad_request_with_the_upstream_message<W: Wire>() {
    let body = W::error_body("model `nope` does not exist");
    let fake = FakeUpstream::start(vec![Reply::status(404, body)]).await;
    let outcome = run_against::<W>(&fake).await;
    assert_eq!(
        outcome.error,
        Some(ProviderError::BadRequest {
            message: "model `nope` does not exist".into()
        })
    );
}

pub async fn rate_limited_with_a_long_retry_after_is_not_retried<W: Wire>() {
    let reply = Reply::status(429, W::error_body("slow down")).with_header("retry-after", "120");
    let fake = FakeUpstream::start(vec![reply]).await;
    let outcome = run_against::<W>(&fake).await;
    assert_eq!(outcome.error_code(), Some("rate_limited"));
    assert_eq!(outcome.error.unwrap().retry_after(), Some(120));
    assert_eq!(fake.request_count(), 1);
}

pub async fn rate_limited_with_a_short_retry_after_is_retried<W: Wire>() {
    let reply = Reply::status(429, W::error_body("slow down")).with_header("retry-after", "0");
    let fake = FakeUpstream::start(vec![reply, good_stream::<W>()]).await;
    let outcome = run_against::<W>(&fake).await;
    outcome.assert_well_formed();
    assert_eq!(outcome.text, "Hello, world");
    assert_eq!(fake.request_count(), 2);
}

pub async fn server_error_500_is_not_retried<W: Wire>() {
    let fake = FakeUpstream::start(vec![Reply::status(500, W::error_body("boom"))]).await;
    let outcome = run_against::<W>(&fake).await;
    assert_eq!(
        outcome.error,
        Some(ProviderError::UpstreamUnavailable {
            status: 500,
            message: "boom".into()
        })
    );
    assert_eq!(fake.request_count(), 1);
}

pub async fn unavailable_503_is_retried_before_the_first_byte<W: Wire>() {
    let busy = Reply::status(503, W::error_body("busy"));
    let fake = FakeUpstream::start(vec![busy, good_stream::<W>()]).await;
    let outcome = run_against::<W>(&fake).await;
    outcome.assert_well_formed();
    assert_eq!(outcome.text, "Hello, world");
    assert_eq!(fake.request_count(), 2);
}

pub async fn unavailable_503_gives_up_after_two_retries<W: Wire>() {
    let fake = FakeUpstream::start(vec![Reply::status(503, W::error_body("busy"))]).await;
    let outcome = run_against::<W>(&fake).await;
    assert_eq!(outcome.error_code(), Some("upstream_unavailable"));
    assert_eq!(fake.request_count(), 3);
}

pub async fn no_answer_times_out_before_the_first_byte<W: Wire>() {
    let fake = FakeUpstream::start(vec![Reply::Hang]).await;
    let started = Instant::now();
    let outcome = run_against::<W>(&fake).await;
    assert_eq!(
        outcome.error,
        Some(ProviderError::Timeout {
            phase: TimeoutPhase::FirstByte
        })
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fake.request_count(), 1, "timeouts are not retried");
}

pub async fn headers_without_events_time_out_before_the_first_byte<W: Wire>() {
    let fake = FakeUpstream::start(vec![Reply::Stream(vec![Step::Stall])]).await;
    let outcome = run_against::<W>(&fake).await;
    assert_eq!(
        outcome.error,
        Some(ProviderError::Timeout {
            phase: TimeoutPhase::FirstByte
        })
    );
    assert!(outcome.events.is_empty());
}

pub async fn a_stall_mid_stream_times_out_without_retrying<W: Wire>() {
    let events = stream_of::<W>(&["Once", " upon"], false);
    let fake = FakeUpstream::start(vec![Reply::events_then(events, vec![Step::Stall])]).await;
    let outcome = run_against::<W>(&fake).await;
    assert_eq!(outcome.text, "Once upon");
    assert_eq!(
        outcome.error,
        Some(ProviderError::Timeout {
            phase: TimeoutPhase::Idle
        })
    );
    assert_eq!(fake.request_count(), 1);
}

pub async fn a_malformed_chunk_is_malformed_stream<W: Wire>() {
    let mut events = stream_of::<W>(&["Hi"], false);
    events.push("data: {\"candidates\": [oops\n\n".to_owned());
    let fake = FakeUpstream::start(vec![Reply::events(events)]).await;
    let outcome = run_against::<W>(&fake).await;
    assert_eq!(outcome.text, "Hi");
    assert_eq!(outcome.error_code(), Some("malformed_stream"));
}

pub async fn a_reset_mid_stream_is_a_connection_error<W: Wire>() {
    let events = stream_of::<W>(&["Hi"], false);
    let last = vec![Step::Pause(Duration::from_millis(50)), Step::Reset];
    let fake = FakeUpstream::start(vec![Reply::events_then(events, last)]).await;
    let outcome = run_against::<W>(&fake).await;
    assert_eq!(outcome.text, "Hi");
    assert_eq!(outcome.error_code(), Some("connection"), "{outcome:?}");
    assert_eq!(fake.request_count(), 1, "never retried after text");
}

pub async fn a_stream_closed_without_its_end_ended_early<W: Wire>() {
    let fake = FakeUpstream::start(vec![Reply::events(stream_of::<W>(&["Hi"], false))]).await;
    let outcome = run_against::<W>(&fake).await;
    assert_eq!(outcome.text, "Hi");
    assert_eq!(outcome.error, Some(ProviderError::StreamEndedEarly));
    assert!(outcome.finish().is_none());
}

pub async fn dropping_the_stream_closes_the_upstream_connection<W: Wire>() {
    let events = stream_of::<W>(&["Hi"], false);
    let fake = FakeUpstream::start(vec![Reply::events_then(events, vec![Step::Stall])]).await;
    let provider = W::provider(&fake.base_url, Some(API_KEY), fast_settings());
    let mut stream = provider.stream(chat_request(W::MODEL)).await.unwrap();
    assert_eq!(
        stream.next().await.unwrap().unwrap(),
        StreamEvent::Delta("Hi".into())
    );
    assert!(!fake.client_closed_within(Duration::from_millis(50)).await);
    drop(stream);
    assert!(fake.client_closed_within(Duration::from_secs(2)).await);
}

pub async fn a_refused_connection_is_a_connection_error<W: Wire>() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let provider = W::provider(&base_url, Some(API_KEY), fast_settings());
    let outcome = run(provider.as_ref(), chat_request(W::MODEL)).await;
    assert_eq!(outcome.error_code(), Some("connection"), "{outcome:?}");
}

pub async fn no_key_is_not_configured<W: Wire>() {
    let fake = FakeUpstream::start(vec![good_stream::<W>()]).await;
    let provider = W::provider(&fake.base_url, None, fast_settings());
    let outcome = run(provider.as_ref(), chat_request(W::MODEL)).await;
    assert_eq!(outcome.error_code(), Some("not_configured"));
    assert_eq!(fake.request_count(), 0);
}

/// One `#[tokio::test]` per scenario for the given `Wire`.
#[macro_export]
macro_rules! wire_scenarios {
    ($wire:ty: $($scenario:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $scenario() {
                $crate::scenarios::$scenario::<$wire>().await;
            }
        )*
    };
    ($wire:ty) => {
        $crate::wire_scenarios!($wire:
            streams_text_usage_and_finish,
            unauthorized_is_reported_without_the_key,
            forbidden_is_unauthorized,
            unknown_model_is_a_bad_request_with_the_upstream_message,
            rate_limited_with_a_long_retry_after_is_not_retried,
            rate_limited_with_a_short_retry_after_is_retried,
            server_error_500_is_not_retried,
            unavailable_503_is_retried_before_the_first_byte,
            unavailable_503_gives_up_after_two_retries,
            no_answer_times_out_before_the_first_byte,
            headers_without_events_time_out_before_the_first_byte,
            a_stall_mid_stream_times_out_without_retrying,
            a_malformed_chunk_is_malformed_stream,
            a_reset_mid_stream_is_a_connection_error,
            a_stream_closed_without_its_end_ended_early,
            dropping_the_stream_closes_the_upstream_connection,
            a_refused_connection_is_a_connection_error,
            no_key_is_not_configured,
        );
    };
}
