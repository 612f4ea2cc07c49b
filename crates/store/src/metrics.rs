//! Prometheus metrics of the database layer: group-commit batch sizes and how long a write
//! waits for its batch. Process-wide; the server registers [`collectors`] in its registry
//! (which adds the `penora_` prefix). Nothing is recorded before that.

use std::sync::OnceLock;
use std::time::Instant;

use prometheus::core::Collector;
use prometheus::{Histogram, HistogramOpts};

struct StoreMetrics {
    batch_size: Histogram,
    write_seconds: Histogram,
}

static METRICS: OnceLock<StoreMetrics> = OnceLock::new();

/// The collectors to register (made on the first call, the same ones after).
pub fn collectors() -> Result<Vec<Box<dyn Collector>>, prometheus::Error> {
    let metrics = match METRICS.get() {
        Some(metrics) => metrics,
        None => {
            let made = StoreMetrics {
                batch_size: Histogram::with_opts(
                    HistogramOpts::new(
                        "group_commit_batch_size",
                        "Writes committed together by a group-commit writer, per batch",
                    )
                    .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]),
                )?,
                write_seconds: Histogram::with_opts(
                    HistogramOpts::new(
                        "group_commit_write_seconds",
                        "From a write joining the group-commit queue to its answer (waiting for its batch, and the batch's commit)",
                    )
                    .buckets(vec![
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                    ]),
                )?,
            };
            METRICS.get_or_init(|| made)
        }
    };
    Ok(vec![
        Box::new(metrics.batch_size.clone()),
        Box::new(metrics.write_seconds.clone()),
    ])
}

/// A batch of `size` writes was committed (or written one at a time after failing whole).
pub(crate) fn batch_committed(size: usize) {
    if let Some(metrics) = METRICS.get() {
        metrics.batch_size.observe(size as f64);
    }
}

/// Observes, when dropped, the time since it was made: a group-commit write from joining the
/// queue to its answer (or to its caller going away).
pub(crate) struct Answered(Instant);

impl Answered {
    pub(crate) fn from_now() -> Self {
        Self(Instant::now())
    }
}

impl Drop for Answered {
    fn drop(&mut self) {
        if let Some(metrics) = METRICS.get() {
            metrics
                .write_seconds
                .observe(self.0.elapsed().as_secs_f64());
        }
    }
}
