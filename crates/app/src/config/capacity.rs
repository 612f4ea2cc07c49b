//! How much one server process takes on: connection timeouts and caps, open event streams,
//! and how many generations a caller may start a minute. Flattened into
//! [`super::Settings`], so each is a top-level setting (`PENORA_KEEP_ALIVE_SECS`, ...).

use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Capacity {
    /// How long a new connection may take to send its first request's head (request line
    /// and headers), in milliseconds; then it gets `408` and is closed (slow-header clients).
    /// The body is not under this timeout. 0: no limit; otherwise at least 1000 (see
    /// [`Capacity::client_request_timeout`]).
    pub client_request_timeout_ms: u64,
    /// How long the server waits for a client to close a connection it is shutting down
    /// (milliseconds); then the connection is dropped. 0: no limit; otherwise at least 1000.
    pub client_disconnect_timeout_ms: u64,
    /// How long an idle connection is kept open for the client's next request (seconds;
    /// 0: closed after each response).
    pub keep_alive_secs: u64,
    /// Connections this process holds open at once (idle keep-alive connections and open
    /// streams count), spread evenly over its workers. At the limit the server stops
    /// accepting: new connections wait in the kernel's queue (`backlog`), and past that the
    /// kernel refuses them. No HTTP answer is possible there, so keep it above
    /// `sse_streams_total`, which answers `503`.
    pub max_connections: usize,
    /// Connections the kernel queues for the server to accept (the `listen` backlog).
    pub backlog: u32,
    /// Event streams (`text/event-stream` generations and story runs) one user may have
    /// open on this process; more get `429 too_many_streams`.
    pub sse_streams_per_user: u32,
    /// Event streams open on this process, all users together; more get
    /// `503 service_unavailable`.
    pub sse_streams_total: u32,
    /// Generations one user may start a minute through the app (sessions); counted in the
    /// database, across replicas. More get `429 rate_limited`.
    pub rate_generations_per_user_per_minute: u32,
    /// Generations one personal API key may start a minute; counted in the database,
    /// across replicas. More get `429 rate_limited`.
    pub rate_generations_per_key_per_minute: u32,
    /// Generations one user may run at once through personal API keys (a developer's
    /// backend), when their plan allows fewer; counted in the database with the app's, so
    /// a session still gets `429 too_many_generations` past its plan's limit while keys run.
    pub api_key_concurrent_generations: u32,
}

impl Default for Capacity {
    fn default() -> Self {
        Self {
            client_request_timeout_ms: 5_000,
            client_disconnect_timeout_ms: 1_000,
            // Longer than the 60 s idle timeout of common load balancers, so the balancer
            // closes an idle connection first and never sends a request into a closing one.
            keep_alive_secs: 75,
            max_connections: 10_000,
            backlog: 1_024,
            // Above `generations_per_user` (3): one user's streams are normally bounded by
            // their running generations; this bounds them when that limit is raised.
            sse_streams_per_user: 5,
            sse_streams_total: 1_000,
            // A person clicks a tool every few seconds at most; a story run counts each
            // chapter as it starts, and chapters take longer than two seconds each.
            rate_generations_per_user_per_minute: 30,
            // Integrations batch work: ten a second per key, still inside the concurrency
            // limit `generations_per_user`.
            rate_generations_per_key_per_minute: 600,
            // A backend calls with one key from many workers; a person runs a few at once.
            api_key_concurrent_generations: 64,
        }
    }
}

/// The shortest connection timeout: actix-web sets these deadlines from a clock it updates
/// every 500 ms, so a deadline may start up to 500 ms late. A timeout under that would close
/// connections whose request arrived at once with `408`.
const MIN_CONNECTION_TIMEOUT: Duration = Duration::from_millis(1_000);

/// `ms` as a connection timeout: zero (no limit) or at least [`MIN_CONNECTION_TIMEOUT`].
fn connection_timeout(ms: u64) -> Duration {
    match ms {
        0 => Duration::ZERO,
        ms => Duration::from_millis(ms).max(MIN_CONNECTION_TIMEOUT),
    }
}

impl Capacity {
    /// Effective between half a second less and the setting (actix's coarse clock).
    pub fn client_request_timeout(&self) -> Duration {
        connection_timeout(self.client_request_timeout_ms)
    }

    pub fn client_disconnect_timeout(&self) -> Duration {
        connection_timeout(self.client_disconnect_timeout_ms)
    }

    /// `max_connections` per worker (at least 1), for `workers` workers.
    pub fn max_connections_per_worker(&self, workers: usize) -> usize {
        self.max_connections.div_ceil(workers.max(1)).max(1)
    }
}

#[cfg(test)]
mod tests {
    use figment::providers::{Format, Toml};
    use figment::Figment;

    use super::super::Settings;

    #[test]
    fn capacity_settings_are_top_level() -> Result<(), Box<figment::Error>> {
        let toml = "keep_alive_secs = 0\nsse_streams_total = 7\nmax_connections = 9";
        let settings: Settings = Figment::from(Toml::string(toml)).extract()?;
        assert_eq!(settings.capacity.keep_alive_secs, 0);
        assert_eq!(settings.capacity.sse_streams_total, 7);
        assert_eq!(settings.capacity.max_connections_per_worker(2), 5);
        assert_eq!(settings.capacity.sse_streams_per_user, 5);
        Ok(())
    }

    #[test]
    fn connection_timeouts_are_off_or_at_least_a_second() {
        let capacity = |ms| super::Capacity {
            client_request_timeout_ms: ms,
            client_disconnect_timeout_ms: ms,
            ..super::Capacity::default()
        };
        let secs = |ms| std::time::Duration::from_millis(ms);
        assert_eq!(capacity(0).client_request_timeout(), secs(0));
        assert_eq!(capacity(300).client_request_timeout(), secs(1_000));
        assert_eq!(capacity(300).client_disconnect_timeout(), secs(1_000));
        assert_eq!(capacity(2_500).client_request_timeout(), secs(2_500));
    }
}
