//! Stopping a replica without leaving money in flight.
//!
//! On SIGTERM the server stops accepting connections and calls [`Shutdown::begin`]: new
//! generations are refused (`503 server_restarting`) and running ones may finish within the
//! grace period. Then [`Shutdown::cut`] ends those still running: each stops with an `error`
//! event (`server_restarting`) and is billed for what it delivered. Every generation is
//! counted here from before its opening to the end of its settling
//! ([`Shutdown::running_token`]), so the server exits only once each one has closed its
//! generation, settled its hold and given its concurrency slot back.
//!
//! Settling runs on the runtime that built the state (the main one), not on the HTTP worker
//! whose request started the generation: a worker stops once its connections are closed,
//! dropping its tasks, and a generation whose client had gone would otherwise be dropped in
//! the middle of settling and left to the sweeper.

use std::future::Future;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::task_tracker::TaskTrackerToken;
use tokio_util::task::TaskTracker;

/// A generation counted as running while this is held.
pub type RunningToken = TaskTrackerToken;

#[derive(Debug, Clone)]
pub struct Shutdown {
    draining: CancellationToken,
    cut: CancellationToken,
    tasks: TaskTracker,
    /// The runtime settling runs on: it lives until every tracked task is done.
    home: Handle,
}

impl Shutdown {
    /// Settling will run on the calling Tokio runtime.
    pub fn on_this_runtime() -> Self {
        Self {
            draining: CancellationToken::new(),
            cut: CancellationToken::new(),
            tasks: TaskTracker::new(),
            home: Handle::current(),
        }
    }

    /// From now on new generations are refused.
    pub fn begin(&self) {
        self.draining.cancel();
        self.tasks.close();
    }

    pub fn is_draining(&self) -> bool {
        self.draining.is_cancelled()
    }

    /// Running generations end now, billed for what they delivered.
    pub fn cut(&self) {
        self.begin();
        self.cut.cancel();
    }

    /// Resolves when running generations must end.
    pub async fn cut_requested(&self) {
        self.cut.cancelled().await;
    }

    /// Counts a generation as running from before its opening commits, so a shutdown that
    /// begins while it opens waits for it (and cuts it after the grace) instead of finding
    /// nothing running. Take it before checking [`Shutdown::is_draining`].
    pub fn running_token(&self) -> RunningToken {
        self.tasks.token()
    }

    /// Runs `work` to the end on the home runtime, even if the caller is dropped meanwhile
    /// (its worker stopped), and returns its output when the caller is still there.
    pub async fn outlive<F>(&self, work: F) -> Option<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tasks.spawn_on(work, &self.home).await.ok()
    }

    /// Running generations: counted and not yet settled.
    pub fn running(&self) -> usize {
        self.tasks.len()
    }

    /// Waits until every tracked task has ended (after [`Shutdown::begin`]), or `limit`
    /// passed; says whether they all ended.
    pub async fn wait(&self, limit: Duration) -> bool {
        tokio::time::timeout(limit, self.tasks.wait()).await.is_ok()
    }
}
