//! What public share look-ups keep in memory so that most of them write nothing:
//!
//! - views, counted here and added to the database in batches ([`Lookups::flush`], run by
//!   a background task every `share_view_flush_ms` and once at shutdown). A flush adds
//!   increments (`share_views = share_views + n`), so the counts of several replicas add up;
//! - clients the database limit refused, until their wait ends: their further look-ups are
//!   refused here without counting another hit (the database counter already says they are
//!   over; counting more only grows the row).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use penora_store::{projects, ConnectionTrait, DbErr};
use uuid::Uuid;

/// Refused clients remembered at most; past it, those whose wait is over are forgotten
/// (and if all are still waiting, the map is cleared: the database limit still holds).
const MAX_REFUSED: usize = 10_000;

#[derive(Default)]
pub struct Lookups {
    views: Mutex<HashMap<Uuid, i64>>,
    refused: Mutex<HashMap<String, Instant>>,
}

impl Lookups {
    /// Counts one view of the project (written at the next flush).
    pub fn count_view(&self, project: Uuid) {
        let mut views = lock(&self.views);
        *views.entry(project).or_insert(0) += 1;
    }

    /// Views counted and not yet written.
    pub fn pending_views(&self) -> i64 {
        lock(&self.views).values().sum()
    }

    /// Adds the views counted so far to the database, one statement per project. Views of
    /// a failed write are kept for the next flush. Returns the views written.
    #[tracing::instrument(name = "services::share_lookups::flush", skip_all)]
    pub async fn flush(&self, db: &impl ConnectionTrait) -> Result<i64, DbErr> {
        let batch = std::mem::take(&mut *lock(&self.views));
        let mut written = 0;
        let mut pending = batch.into_iter();
        while let Some((project, n)) = pending.next() {
            if let Err(err) = projects::add_views(db, project, n).await {
                let mut views = lock(&self.views);
                for (project, n) in std::iter::once((project, n)).chain(pending) {
                    *views.entry(project).or_insert(0) += n;
                }
                return Err(err);
            }
            written += n;
        }
        Ok(written)
    }

    /// Whole seconds the client still has to wait, if the database limit refused it and
    /// the wait is not over.
    pub fn refused_for(&self, client: &str) -> Option<u64> {
        let now = Instant::now();
        let refused = lock(&self.refused);
        let until = refused.get(client).filter(|until| **until > now)?;
        let left = *until - now;
        Some(left.as_secs() + u64::from(left.subsec_nanos() > 0))
    }

    /// Remembers that the database limit refused the client for `secs` seconds.
    pub fn refuse(&self, client: String, secs: u64) {
        let now = Instant::now();
        let mut refused = lock(&self.refused);
        if refused.len() >= MAX_REFUSED {
            refused.retain(|_, until| *until > now);
            if refused.len() >= MAX_REFUSED {
                refused.clear();
            }
        }
        refused.insert(client, now + Duration::from_secs(secs));
    }
}

/// The maps hold plain counters: a panic elsewhere cannot leave them inconsistent.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Flushes the counted views every `every` (the caller spawns it once per process).
#[tracing::instrument(name = "services::share_lookups::flush_every", skip_all)]
pub async fn flush_every(state: crate::AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(err) = state.share_lookups.flush(&state.db).await {
            tracing::warn!(error = %err, "share view flush failed");
        }
    }
}
