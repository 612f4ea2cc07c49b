//! Everything a request handler may need, built once at start-up and shared by the workers.

use std::sync::Arc;
use std::time::Instant;

use penora_store::recorded::Recorder;
use penora_store::DatabaseConnection;

use crate::api_keys::KeyCache;
use crate::auth::jwt::JwtKeys;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::generations::Running;
use crate::mailer::Mailer;
use crate::prompts::Prompts;
use crate::streams::Streams;

/// A cheap handle: every generation's task holds one while it streams, so cloning it is one
/// reference count, not a copy of the providers' settings, the JWT keys and the rest (a
/// copy per open stream).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub db: DatabaseConnection,
    /// Writes app debits (grouped into one statement on PostgreSQL).
    pub recorder: Recorder,
    /// Opens and closes billed generations (grouped the same way).
    pub generations: penora_store::generations::Writer,
    /// For authentication's reads: on SQLite they do not queue behind the writer
    /// ([`penora_store::readers`]).
    pub reads: DatabaseConnection,
    pub config: Arc<Config>,
    pub catalog: Arc<Catalog>,
    /// What is sold, the plan tiers and the seller.
    pub billing: Arc<crate::billing::catalog::BillingCatalog>,
    /// The payment gateway (Razorpay, or the test-mode sandbox).
    pub gateway: Arc<dyn penora_payments::Gateway>,
    /// The sandbox, when it is the gateway (its test-mode checkout pages).
    pub sandbox: Option<Arc<penora_payments::Sandbox>>,
    /// One client per configured AI provider, plus the offline model.
    pub providers: penora_ai::Providers,
    pub prompts: Arc<Prompts>,
    /// Generations streaming in this process (for instant cancels).
    pub running: Running,
    /// Draining and ending generations when the server stops.
    pub shutdown: crate::shutdown::Shutdown,
    /// Callers' available credits as last seen here, for calling providers early.
    pub availability: crate::generations::Availability,
    /// Generations one user may be starting at once here (the rest wait their turn), so a
    /// user who floods starts cannot take every database connection.
    pub starts: penora_store::admission::Admission,
    /// Event streams open in this process (capped per user and in all).
    pub streams: Streams,
    pub jwt: JwtKeys,
    /// Seals users' own provider keys (from `PENORA_ENCRYPTION_KEY`).
    pub secrets: crate::crypto::SecretBox,
    /// Welcome-grant keys and refresh-token successors (from `PENORA_ENCRYPTION_KEY`).
    pub keyed: crate::crypto::KeyedHashes,
    pub mailer: Mailer,
    /// argon2 with bounded concurrency.
    pub passwords: crate::auth::password::Passwords,
    /// API keys looked up a moment ago.
    pub keys: KeyCache,
    /// Share views not yet written, and clients the share look-up limit refused.
    pub share_lookups: crate::share_lookups::Lookups,
    /// Whether each provider answers, checked now and then for `/health/detailed`.
    pub reachability: crate::reachability::Reachability,
    /// Render slots and the on-disk cache of rendered exports.
    pub exports: crate::exports::Exporter,
    /// Single sign-on and Google sign-in.
    pub sign_in: crate::sign_in::SignIn,
    pub started_at: Instant,
}
