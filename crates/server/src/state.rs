//! Everything a request handler may need, built once at start-up and shared by the workers.

use std::sync::Arc;
use std::time::Instant;

use penora_store::DatabaseConnection;

use crate::auth::jwt::JwtKeys;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::mailer::Mailer;
use crate::rate_limit::RateLimits;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub catalog: Arc<Catalog>,
    pub jwt: JwtKeys,
    pub mailer: Mailer,
    pub limits: RateLimits,
    pub started_at: Instant,
}
