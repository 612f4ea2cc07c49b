//! Whether each configured provider answers, for `/health/detailed`: a cheap read (its
//! model list or key page, as the key check does; the offline model always answers),
//! bounded by [`CHECK_TIMEOUT`], cached for [`FRESH_FOR`], one check in flight per provider.
//!
//! A report never waits for a provider already known: a stale result is reported as it is
//! while a new check runs in the background. Only a provider never checked yet is waited
//! for, at most [`CHECK_TIMEOUT`], so a provider that hangs cannot slow the endpoint beyond
//! that once, and not at all after.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use penora_ai::{Provider, ProviderError};
use tokio::sync::watch;

/// How long a result stands before the next report checks again.
pub const FRESH_FOR: Duration = Duration::from_secs(30);

/// The most one check may take; past it the provider is `unreachable` (`timeout`).
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// One provider's last check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// `reachable`, `key_refused` (it answered, refusing the platform's key) or
    /// `unreachable`.
    pub status: &'static str,
    /// The error's stable code when not reachable (`connection`, `timeout`, ...).
    pub error: Option<&'static str>,
    pub latency_ms: u64,
    pub at: Instant,
}

/// The cache: per provider, the last result and the check in flight.
#[derive(Default, Clone)]
pub struct Reachability {
    entries: Arc<Mutex<HashMap<&'static str, Entry>>>,
}

#[derive(Default)]
struct Entry {
    last: Option<Checked>,
    /// Set while a check runs: its result arrives here.
    running: Option<watch::Receiver<Option<Checked>>>,
}

impl Reachability {
    /// Each provider's result, in the order given: fresh from the cache, else the stale one
    /// while a background check runs, else (never checked) the check's, waited for.
    pub async fn report(&self, providers: Vec<Arc<dyn Provider>>) -> Vec<(&'static str, Checked)> {
        let looked: Vec<_> = providers
            .into_iter()
            .map(|provider| (provider.id(), self.lookup_or_start(provider)))
            .collect();
        let mut report = Vec::with_capacity(looked.len());
        for (id, looked) in looked {
            let checked = match looked {
                Ok(checked) => checked,
                Err(mut receiver) => {
                    let waited = tokio::time::timeout(
                        CHECK_TIMEOUT + Duration::from_millis(100),
                        receiver.wait_for(Option::is_some),
                    )
                    .await;
                    match waited {
                        Ok(Ok(result)) => result.clone().unwrap_or_else(timed_out),
                        _ => timed_out(),
                    }
                }
            };
            report.push((id, checked));
        }
        report
    }

    /// The cached result if fresh; else starts a check unless one runs, and returns the
    /// stale result, or (none yet) the receiver of the check's.
    fn lookup_or_start(
        &self,
        provider: Arc<dyn Provider>,
    ) -> Result<Checked, watch::Receiver<Option<Checked>>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.entry(provider.id()).or_default();
        if let Some(last) = &entry.last {
            if last.at.elapsed() < FRESH_FOR {
                return Ok(last.clone());
            }
        }
        let receiver = match &entry.running {
            Some(receiver) => receiver.clone(),
            None => {
                let (sender, receiver) = watch::channel(None);
                entry.running = Some(receiver.clone());
                let cache = self.clone();
                tokio::spawn(async move {
                    let checked = check(&*provider).await;
                    cache.store(provider.id(), checked.clone());
                    let _ = sender.send(Some(checked));
                });
                receiver
            }
        };
        entry.last.clone().ok_or(receiver)
    }

    fn store(&self, id: &'static str, checked: Checked) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.entry(id).or_default();
        entry.last = Some(checked);
        entry.running = None;
    }
}

async fn check(provider: &dyn Provider) -> Checked {
    let started = Instant::now();
    let answer = tokio::time::timeout(CHECK_TIMEOUT, provider.check_key()).await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (status, error) = match answer {
        Ok(Ok(())) => ("reachable", None),
        Ok(Err(err @ ProviderError::Unauthorized { .. })) => ("key_refused", Some(err.code())),
        Ok(Err(err)) => ("unreachable", Some(err.code())),
        Err(_) => ("unreachable", Some("timeout")),
    };
    Checked {
        status,
        error,
        latency_ms,
        at: Instant::now(),
    }
}

fn timed_out() -> Checked {
    Checked {
        status: "unreachable",
        error: Some("timeout"),
        latency_ms: u64::try_from(CHECK_TIMEOUT.as_millis()).unwrap_or(u64::MAX),
        at: Instant::now(),
    }
}
