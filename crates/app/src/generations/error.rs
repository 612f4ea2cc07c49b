//! Why a generation could not start, be read or be cancelled.

use penora_domain::{FieldError, Millicredits};
use penora_store::ledger::LedgerError;
use penora_store::DbErr;

use crate::provider_keys::ProviderKeyError;

#[derive(Debug, thiserror::Error)]
pub enum GenerationError {
    #[error("unknown model")]
    UnknownModel,
    #[error("model {0} is unavailable")]
    ModelUnavailable(String),
    #[error("model not in plan")]
    NotInPlan { plans: Vec<String> },
    #[error("insufficient credits")]
    Insufficient { available: Millicredits },
    #[error("too many generations running")]
    TooMany { limit: u32 },
    /// Over the generations a minute of the user's sessions or of the API key.
    #[error("too many generations started this minute")]
    RateLimited { limit: u32, retry_after: u64 },
    #[error("no such generation")]
    NotFound,
    /// The server is stopping: it opens no new generation.
    #[error("the server is restarting")]
    ServerRestarting,
    /// The account is gone or the session ended (found when the generation starts: its
    /// route does not read the account first).
    #[error("signed out")]
    SignedOut,
    #[error("idempotency key reused")]
    KeyReused,
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    OwnKey(#[from] ProviderKeyError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Each refusal of the ledger as the generation's own: a reference applied before is a
/// reused key (`422`, as on every other path), never an internal error.
impl From<LedgerError> for GenerationError {
    fn from(err: LedgerError) -> Self {
        match err {
            LedgerError::Insufficient { available } => Self::Insufficient { available },
            LedgerError::UnknownUser => Self::SignedOut,
            LedgerError::AlreadyApplied(_) => Self::KeyReused,
            LedgerError::Db(e) => Self::Db(e),
        }
    }
}
