//! How service errors read over HTTP. Kept in one place so every route maps them the same way.

use actix_web::http::StatusCode;
use penora_api_types::ErrorCode;
use penora_domain::FieldError;

use super::{ApiError, SESSION_ENDED};
use penora_app::accounts::AccountError;
use penora_app::auth::password::HashError;
use penora_app::credits::{CreditError, EstimateError, MAX_ESTIMATE_WORDS};
use penora_app::exports::ExportFailed;
use penora_app::idempotency::IdemError;
use penora_app::projects::ProjectError;
use penora_app::sessions::SessionError;
use penora_app::shares::ShareError;
use penora_store::ledger::LedgerError;

impl From<SessionError> for ApiError {
    fn from(err: SessionError) -> Self {
        match err {
            SessionError::Invalid => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidRefreshToken,
                "The session has ended; sign in again.",
            ),
            SessionError::Reused => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::RefreshTokenReused,
                "This sign-in was used from somewhere else, so it was ended everywhere. Sign in again.",
            ),
            SessionError::Signing(e) => ApiError::internal(e),
            SessionError::Db(e) => e.into(),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::EmailTaken => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::EmailTaken,
                "An account with this email exists. Sign in instead.",
            ),
            AccountError::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidCredentials,
                "Wrong email or password.",
            ),
            AccountError::WrongPassword => ApiError::validation(vec![FieldError::new(
                "current_password",
                "incorrect",
                "That is not your current password.",
            )]),
            AccountError::InvalidEmailToken => ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidEmailToken,
                "This link is unknown, already used or expired. Ask for a new one.",
            ),
            AccountError::RateLimited(secs) => ApiError::rate_limited(secs),
            AccountError::Gone => ApiError::unauthorized("This account no longer exists."),
            AccountError::GenerationsRunning => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::GenerationRunning,
                "A generation is still running; delete the account when it has finished.",
            ),
            AccountError::WeakPassword(e) => ApiError::validation(vec![e]),
            AccountError::RecentSignInRequired => ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::RecentSignInRequired,
                "This needs a sign-in within the last 5 minutes. Sign out, sign in again, and \
                 retry.",
            ),
            AccountError::PasswordAlreadySet => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::PasswordAlreadySet,
                "This account has a password already; change it with POST /api/v1/me/password.",
            ),
            AccountError::NotLinked => {
                ApiError::not_found("This sign-in method is not linked to your account.")
            }
            AccountError::LastSignInMethod => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::LastSignInMethod,
                "This is the only way into your account; set a password or link another \
                 sign-in method first.",
            ),
            AccountError::MailUnavailable => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::MailUnavailable,
                "This server sends no mail, so no link can be mailed. Ask its operator for help.",
            ),
            AccountError::Session(e) => e.into(),
            AccountError::Hash(HashError::Busy) => ApiError::service_unavailable(
                1,
                "Too many password checks at once. Try again in a moment.",
            ),
            AccountError::Hash(e) => ApiError::internal(e),
            AccountError::Ledger(e) => ApiError::internal(e),
            AccountError::Db(e) => e.into(),
        }
    }
}

fn insufficient(available: penora_domain::Millicredits) -> ApiError {
    ApiError::new(
        StatusCode::PAYMENT_REQUIRED,
        ErrorCode::InsufficientCredits,
        format!("Not enough credits: {available} available."),
    )
    .with_extra(serde_json::json!({ "available_mc": available.get() }))
}

pub(super) fn user_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::UserNotFound,
        "No such user.",
    )
}

impl From<IdemError> for ApiError {
    fn from(err: IdemError) -> Self {
        match err {
            IdemError::Missing => ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::IdempotencyKeyRequired,
                "Send an `Idempotency-Key` header (1 to 255 visible ASCII characters) so a retry is applied once.",
            ),
            IdemError::Reused => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::IdempotencyKeyReused,
                "This Idempotency-Key was already used for a different request.",
            ),
        }
    }
}

impl From<CreditError> for ApiError {
    fn from(err: CreditError) -> Self {
        match err {
            CreditError::UserNotFound => user_not_found(),
            CreditError::Insufficient { available } => insufficient(available),
            CreditError::DebitNotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::DebitNotFound,
                "No such debit for this user.",
            ),
            CreditError::RefundExceedsDebit { remaining } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::RefundExceedsDebit,
                format!(
                    "Refunds cannot exceed the debit; {remaining} credits can still be refunded."
                ),
            )
            .with_extra(serde_json::json!({ "refundable_mc": remaining.get() })),
            CreditError::AlreadyApplied => IdemError::Reused.into(),
            CreditError::Idem(e) => e.into(),
            CreditError::Db(e) => e.into(),
        }
    }
}

impl From<LedgerError> for ApiError {
    fn from(err: LedgerError) -> Self {
        match err {
            LedgerError::Insufficient { available } => insufficient(available),
            LedgerError::UnknownUser => user_not_found(),
            LedgerError::AlreadyApplied(_) => IdemError::Reused.into(),
            LedgerError::Db(e) => e.into(),
        }
    }
}

impl From<EstimateError> for ApiError {
    fn from(err: EstimateError) -> Self {
        match err {
            EstimateError::UnknownModel(id) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::UnknownModel,
                format!("There is no model {id:?}; GET /api/v1/models lists them."),
            ),
            EstimateError::Words => ApiError::validation(vec![FieldError::new(
                "words",
                "out_of_range",
                format!("Ask for 1 to {MAX_ESTIMATE_WORDS} words."),
            )]),
            EstimateError::BothInputs => ApiError::validation(vec![FieldError::new(
                "input_words",
                "conflict",
                "Give the input as `input` (text) or as `input_words`, not both.",
            )]),
        }
    }
}

pub fn project_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::ProjectNotFound,
        "No such project.",
    )
}

impl From<ProjectError> for ApiError {
    fn from(err: ProjectError) -> Self {
        match err {
            ProjectError::NotFound => project_not_found(),
            ProjectError::ChapterNotFound { index, count } => ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::ChapterNotFound,
                format!(
                    "There is no chapter {index}; chapters are numbered 0 to {}.",
                    count.saturating_sub(1)
                ),
            )
            .with_extra(serde_json::json!({ "chapter_count": count })),
            ProjectError::Stale { current } => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                ErrorCode::VersionConflict,
                "The project changed since you read it. Load it again and reapply your edit.",
            )
            .with_extra(serde_json::json!({ "current_version": current })),
            ProjectError::Quota {
                used,
                limit,
                needed,
            } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::QuotaExceeded,
                format!(
                    "This needs {needed} more bytes but only {} of your {limit} bytes are free.",
                    (limit - used).max(0)
                ),
            )
            .with_extra(serde_json::json!({
                "used_bytes": used, "limit_bytes": limit, "needed_bytes": needed,
            })),
            ProjectError::Invalid(errors) => ApiError::validation(errors),
            ProjectError::Db(e) => e.into(),
        }
    }
}

impl From<ShareError> for ApiError {
    fn from(err: ShareError) -> Self {
        match err {
            ShareError::ProjectNotFound => project_not_found(),
            ShareError::InvalidCode(e) => ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidShareCode,
                e.message,
            ),
            // One answer for unknown, revoked and expired: no hint which.
            ShareError::NotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::ShareNotFound,
                "Nothing is shared under this code.",
            ),
            ShareError::RateLimited(secs) => ApiError::rate_limited(secs),
            ShareError::Exhausted => ApiError::internal(anyhow::anyhow!("share codes exhausted")),
            ShareError::Db(e) => e.into(),
        }
    }
}

impl From<ExportFailed> for ApiError {
    fn from(err: ExportFailed) -> Self {
        match err {
            ExportFailed::Busy => ApiError::service_unavailable(
                penora_app::exports::BUSY_RETRY_SECS,
                "Every export slot is busy. Try again in a moment.",
            ),
            err => ApiError::internal(err),
        }
    }
}

impl From<penora_app::generations::GenerationError> for ApiError {
    fn from(err: penora_app::generations::GenerationError) -> Self {
        use penora_app::generations::GenerationError as E;
        match err {
            E::UnknownModel => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::UnknownModel,
                "No such model. `GET /api/v1/models` lists them.",
            ),
            E::ModelUnavailable(model) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ModelUnavailable,
                format!("The model `{model}` cannot be used now: its provider is not configured on this server."),
            ),
            E::NotInPlan { plans } => ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::ModelNotInPlan,
                format!("This model needs one of these plans: {}.", plans.join(", ")),
            )
            .with_extra(serde_json::json!({ "plans": plans })),
            E::Insufficient { available } => insufficient(available),
            E::TooMany { limit } => {
                let mut err = ApiError::rate_limited(1);
                err.code = ErrorCode::TooManyGenerations;
                err.detail = format!(
                    "You have {limit} generations running, the most at once. Wait for one to finish or cancel it."
                );
                err.with_extra(serde_json::json!({ "limit": limit, "retry_after": 1 }))
            }
            E::RateLimited { limit, retry_after } => {
                let mut err = ApiError::rate_limited(retry_after);
                err.detail = format!(
                    "You have reached the limit of {limit} generations a minute. Try again in {retry_after} seconds."
                );
                err.with_extra(serde_json::json!({ "limit": limit, "retry_after": retry_after }))
            }
            E::NotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::GenerationNotFound,
                "No such generation.",
            ),
            E::ServerRestarting => ApiError::server_restarting(),
            E::SignedOut => ApiError::unauthorized(SESSION_ENDED),
            E::KeyReused => IdemError::Reused.into(),
            E::Invalid(errors) => ApiError::validation(errors),
            E::OwnKey(e) => e.into(),
            E::Db(e) => e.into(),
        }
    }
}

impl From<penora_app::generations::SaveError> for ApiError {
    fn from(err: penora_app::generations::SaveError) -> Self {
        use penora_app::generations::SaveError as E;
        match err {
            E::Generation(e) => e.into(),
            E::Project(e) => e.into(),
            E::Running => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::GenerationRunning,
                "The generation is still running; save it when it has finished.",
            ),
        }
    }
}

impl From<penora_app::provider_keys::ProviderKeyError> for ApiError {
    fn from(err: penora_app::provider_keys::ProviderKeyError) -> Self {
        use penora_app::provider_keys::ProviderKeyError as E;
        match err {
            E::Invalid(errors) => ApiError::validation(errors),
            E::NotAccepted => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ProviderKeyNotAccepted,
                "This provider takes no key: its models are paid in credits.",
            ),
            E::NotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::ProviderKeyNotFound,
                "No key is stored for this provider.",
            ),
            E::Unreadable => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::ProviderKeyUnreadable,
                "Your stored key for this provider can no longer be read. Store it again.",
            ),
            E::Unchecked => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::ProviderKeyUnchecked,
                "The provider could not be reached to check this key, so it was not saved. Try again in a minute.",
            ),
            E::Seal => ApiError::internal(anyhow::anyhow!("sealing a provider key failed")),
            E::Db(e) => e.into(),
        }
    }
}

impl From<penora_app::streams::StreamRefused> for ApiError {
    fn from(err: penora_app::streams::StreamRefused) -> Self {
        use penora_app::streams::StreamRefused as E;
        match err {
            E::User { limit } => {
                let mut err = ApiError::rate_limited(1);
                err.code = ErrorCode::TooManyStreams;
                err.detail = format!(
                    "You have {limit} streams open, the most at once. Close one or wait for it to end."
                );
                err.with_extra(serde_json::json!({ "limit": limit, "retry_after": 1 }))
            }
            E::Total { .. } => ApiError::service_unavailable(
                2,
                "The server has as many streams open as it can serve. Try again in a moment.",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use penora_app::generations::GenerationError;

    /// A ledger reference applied before is a reused key wherever it surfaces, not a 500.
    #[test]
    fn an_applied_reference_is_a_reused_key() {
        let applied = || LedgerError::AlreadyApplied("app_debit:app:k:1".to_owned());
        for api in [
            ApiError::from(GenerationError::from(applied())),
            ApiError::from(CreditError::from(applied())),
            ApiError::from(applied()),
        ] {
            assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY, "{api}");
            assert_eq!(api.code, ErrorCode::IdempotencyKeyReused);
        }
    }

    #[test]
    fn sign_in_method_rules_have_their_codes() {
        let cases = [
            (
                AccountError::RecentSignInRequired,
                StatusCode::FORBIDDEN,
                ErrorCode::RecentSignInRequired,
            ),
            (
                AccountError::PasswordAlreadySet,
                StatusCode::CONFLICT,
                ErrorCode::PasswordAlreadySet,
            ),
            (
                AccountError::NotLinked,
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
            ),
            (
                AccountError::LastSignInMethod,
                StatusCode::CONFLICT,
                ErrorCode::LastSignInMethod,
            ),
        ];
        for (err, status, code) in cases {
            let api = ApiError::from(err);
            assert_eq!((api.status, api.code), (status, code), "{api}");
        }
    }
}
