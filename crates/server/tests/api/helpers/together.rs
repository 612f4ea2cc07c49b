//! Requests sent all at once: their answers counted by status, or grouped by request.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::hash::Hash;

use reqwest::{Response, StatusCode};
use serde_json::Value;

/// How many answers came back with each status.
#[derive(Debug, Default)]
pub struct StatusCounts(BTreeMap<u16, usize>);

impl StatusCounts {
    pub fn of(statuses: impl IntoIterator<Item = StatusCode>) -> Self {
        let mut counts = Self::default();
        for status in statuses {
            *counts.0.entry(status.as_u16()).or_default() += 1;
        }
        counts
    }

    /// How many answers had `status`.
    pub fn count(&self, status: StatusCode) -> usize {
        self.0.get(&status.as_u16()).copied().unwrap_or_default()
    }

    /// Asserts that every answer had one of the `allowed` statuses.
    pub fn assert_only(&self, allowed: &[StatusCode]) {
        assert!(
            self.0
                .keys()
                .all(|code| allowed.iter().any(|s| s.as_u16() == *code)),
            "statuses {self:?}, allowed {allowed:?}"
        );
    }
}

/// Sends the requests together and counts their answers by status.
pub async fn statuses_together<F>(requests: impl IntoIterator<Item = F>) -> StatusCounts
where
    F: Future<Output = Response>,
{
    let responses = futures_util::future::join_all(requests).await;
    StatusCounts::of(responses.iter().map(Response::status))
}

/// Sends the keyed requests together, each on its own task, and groups the answers (status
/// and JSON body) by key: copies of one request share a key.
pub async fn answers_grouped<K, F>(
    requests: impl IntoIterator<Item = (K, F)>,
) -> HashMap<K, Vec<(StatusCode, Value)>>
where
    K: Eq + Hash + Send + 'static,
    F: Future<Output = Response> + Send + 'static,
{
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|(key, request)| {
            tokio::spawn(async move {
                let response = request.await;
                let status = response.status();
                let body: Value = response.json().await.expect("json answer");
                (key, status, body)
            })
        })
        .collect();
    let mut answers: HashMap<K, Vec<(StatusCode, Value)>> = HashMap::new();
    for task in tasks {
        let (key, status, body) = task.await.expect("request task");
        answers.entry(key).or_default().push((status, body));
    }
    answers
}
