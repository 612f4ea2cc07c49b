//! Prometheus metrics of the upstreams, by provider id (a fixed set: `offline` and the
//! configured upstreams): requests, time to the first stream event, and failures by error
//! code. Process-wide; the server registers [`collectors`] in its registry (which adds the
//! `penora_` prefix). Nothing is recorded before that.

use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Instant;

use async_trait::async_trait;
use futures_util::Stream;
use prometheus::core::Collector;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts};

use crate::error::ProviderError;
use crate::provider::Provider;
use crate::types::{EventStream, GenerationRequest, StreamEvent};

struct UpstreamMetrics {
    requests: IntCounterVec,
    first_event: HistogramVec,
    errors: IntCounterVec,
}

static METRICS: OnceLock<UpstreamMetrics> = OnceLock::new();

/// The collectors to register (made on the first call, the same ones after).
pub fn collectors() -> Result<Vec<Box<dyn Collector>>, prometheus::Error> {
    let metrics = match METRICS.get() {
        Some(metrics) => metrics,
        None => {
            let made = UpstreamMetrics {
                requests: IntCounterVec::new(
                    Opts::new("upstream_requests_total", "Generation requests sent to a provider"),
                    &["provider"],
                )?,
                first_event: HistogramVec::new(
                    HistogramOpts::new(
                        "upstream_first_byte_seconds",
                        "From sending a generation request to the provider's first stream event",
                    )
                    .buckets(vec![
                        0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                    ]),
                    &["provider"],
                )?,
                errors: IntCounterVec::new(
                    Opts::new(
                        "upstream_errors_total",
                        "Generation requests a provider failed, before or during the stream, by error code",
                    ),
                    &["provider", "code"],
                )?,
            };
            METRICS.get_or_init(|| made)
        }
    };
    Ok(vec![
        Box::new(metrics.requests.clone()),
        Box::new(metrics.first_event.clone()),
        Box::new(metrics.errors.clone()),
    ])
}

fn failed(provider: &str, error: &ProviderError) {
    if let Some(metrics) = METRICS.get() {
        metrics
            .errors
            .with_label_values(&[provider, error.code()])
            .inc();
    }
}

/// A provider whose generations are measured.
pub(crate) struct Measured(pub(crate) Arc<dyn Provider>);

#[async_trait]
impl Provider for Measured {
    fn id(&self) -> &'static str {
        self.0.id()
    }

    async fn stream(&self, request: GenerationRequest) -> Result<EventStream, ProviderError> {
        let provider = self.0.id();
        if let Some(metrics) = METRICS.get() {
            metrics.requests.with_label_values(&[provider]).inc();
        }
        let sent = Instant::now();
        match self.0.stream(request).await {
            Ok(inner) => Ok(Box::pin(Watched {
                inner,
                provider,
                sent: Some(sent),
            })),
            Err(error) => {
                failed(provider, &error);
                Err(error)
            }
        }
    }

    async fn check_key(&self) -> Result<(), ProviderError> {
        self.0.check_key().await
    }
}

/// The stream as it comes: the first event's time, and a failure that ends it.
struct Watched {
    inner: EventStream,
    provider: &'static str,
    /// Until the first event.
    sent: Option<Instant>,
}

impl Stream for Watched {
    type Item = Result<StreamEvent, ProviderError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.inner.as_mut().poll_next(cx);
        if let Poll::Ready(Some(item)) = &polled {
            if let Some(sent) = self.sent.take() {
                if let Some(metrics) = METRICS.get() {
                    metrics
                        .first_event
                        .with_label_values(&[self.provider])
                        .observe(sent.elapsed().as_secs_f64());
                }
            }
            if let Err(error) = item {
                failed(self.provider, error);
            }
        }
        polled
    }
}
