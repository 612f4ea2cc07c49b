//! Liveness and readiness reports.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `ok` while the process serves requests.
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DetailedHealth {
    /// `ok` when every check passes, else `unhealthy` (and HTTP 503).
    pub status: String,
    pub version: String,
    pub uptime_seconds: u64,
    pub database: DatabaseHealth,
    pub migrations: MigrationHealth,
    /// Each configured provider (the offline model first), as last checked: a provider's
    /// state does not make the server unhealthy.
    pub providers: Vec<ProviderHealth>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatabaseHealth {
    /// `ok` or `unreachable`.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Milliseconds a round trip took.
    pub latency_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MigrationHealth {
    /// `current`, `pending` or `unknown` (database unreachable).
    pub status: String,
    pub pending: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderHealth {
    /// The provider's id, e.g. `offline` or `openai`.
    pub id: String,
    /// `reachable`, `key_refused` (it answered, refusing the platform's key) or
    /// `unreachable`. Checked with a cheap read (its model list) at most every 30 s, each
    /// check bounded to 2 s.
    pub status: String,
    /// The failure's stable code when not reachable (`connection`, `timeout`, ...).
    pub error: Option<String>,
    /// Milliseconds the check took.
    pub latency_ms: u64,
    /// Seconds since it was checked.
    pub checked_seconds_ago: u64,
}
