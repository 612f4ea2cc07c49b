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
