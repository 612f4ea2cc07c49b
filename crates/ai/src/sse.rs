//! Turns an upstream's server-sent-events body into our `EventStream`: the SSE framing is
//! parsed by `eventsource-stream`; each provider supplies a `Decoder` for its JSON payloads.
//! This driver owns the timeouts between events and the "closed without its end" check.

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::{stream, Stream, StreamExt};
use tokio::time::{timeout, timeout_at, Instant};

use crate::error::{ProviderError, TimeoutPhase};
use crate::http::Opened;
use crate::types::{EventStream, StreamEvent};

/// Whether the upstream has said it is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    More,
    Done,
}

/// A provider's reading of its own SSE payloads.
pub(crate) trait Decoder: Send + 'static {
    /// Reads one SSE event, pushing what it means onto `out`. Returns `Done` at the
    /// provider's end marker; the stream then ends after `out` is drained.
    fn decode(
        &mut self,
        event: &Event,
        out: &mut VecDeque<StreamEvent>,
    ) -> Result<Flow, ProviderError>;
}

type SseStream =
    Pin<Box<dyn Stream<Item = Result<Event, EventStreamError<reqwest::Error>>> + Send>>;

struct Driver<D> {
    events: SseStream,
    decoder: D,
    pending: VecDeque<StreamEvent>,
    /// Set until the first event arrives; after that `idle` applies.
    first_byte_deadline: Option<Instant>,
    idle: Duration,
    ended: bool,
}

/// The stream of one opened response. It owns the response body, so dropping it closes the
/// upstream connection.
pub(crate) fn event_stream<D: Decoder>(opened: Opened, idle: Duration, decoder: D) -> EventStream {
    let driver = Driver {
        events: Box::pin(opened.response.bytes_stream().eventsource()),
        decoder,
        pending: VecDeque::new(),
        first_byte_deadline: Some(opened.first_byte_deadline),
        idle,
        ended: false,
    };
    Box::pin(stream::unfold(driver, next_item))
}

async fn next_item<D: Decoder>(
    mut driver: Driver<D>,
) -> Option<(Result<StreamEvent, ProviderError>, Driver<D>)> {
    loop {
        if let Some(event) = driver.pending.pop_front() {
            return Some((Ok(event), driver));
        }
        if driver.ended {
            return None;
        }
        if let Err(error) = driver.read_one().await {
            // An error ends the stream: nothing after it could be trusted.
            driver.ended = true;
            driver.pending.clear();
            return Some((Err(error), driver));
        }
    }
}

impl<D: Decoder> Driver<D> {
    async fn read_one(&mut self) -> Result<(), ProviderError> {
        let next = match self.first_byte_deadline.take() {
            Some(deadline) => timeout_at(deadline, self.events.next())
                .await
                .map_err(|_| timed_out(TimeoutPhase::FirstByte))?,
            None => timeout(self.idle, self.events.next())
                .await
                .map_err(|_| timed_out(TimeoutPhase::Idle))?,
        };
        let event = match next {
            None => return Err(ProviderError::StreamEndedEarly),
            Some(Err(error)) => return Err(from_sse_error(error)),
            Some(Ok(event)) => event,
        };
        if self.decoder.decode(&event, &mut self.pending)? == Flow::Done {
            self.ended = true;
        }
        Ok(())
    }
}

fn timed_out(phase: TimeoutPhase) -> ProviderError {
    ProviderError::Timeout { phase }
}

fn from_sse_error(error: EventStreamError<reqwest::Error>) -> ProviderError {
    match error {
        EventStreamError::Transport(error) => {
            ProviderError::from_transport(error, TimeoutPhase::Idle)
        }
        EventStreamError::Utf8(error) => ProviderError::malformed(error),
        EventStreamError::Parser(error) => ProviderError::malformed(error),
    }
}

/// Parses an event's JSON payload, calling a failure a malformed stream.
pub(crate) fn parse_json<'a, T: serde::Deserialize<'a>>(data: &'a str) -> Result<T, ProviderError> {
    serde_json::from_str(data).map_err(|error| {
        ProviderError::malformed(format!("{error} in event data {}", preview(data)))
    })
}

/// The start of a payload, for error messages.
fn preview(data: &str) -> String {
    let cut: String = data.chars().take(120).collect();
    if cut.len() < data.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}
