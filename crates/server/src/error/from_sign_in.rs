//! How sign-ins through other sites, and ImageGene's look-ups and storage reports, read over
//! HTTP.

use actix_web::http::StatusCode;
use penora_api_types::ErrorCode;

use super::from_services::user_not_found;
use super::ApiError;
use penora_app::apps::{ResolveError, StorageReportError};
use penora_app::projects::ProjectError;
use penora_app::sign_in::{Refusal, SignInError};

impl From<ResolveError> for ApiError {
    fn from(err: ResolveError) -> Self {
        match err {
            ResolveError::Credit(e) => e.into(),
            ResolveError::SignIn(e) => e.into(),
        }
    }
}

impl From<StorageReportError> for ApiError {
    fn from(err: StorageReportError) -> Self {
        match err {
            StorageReportError::UserNotFound => user_not_found(),
            StorageReportError::Quota {
                used,
                limit,
                needed,
            } => ProjectError::Quota {
                used,
                limit,
                needed,
            }
            .into(),
            StorageReportError::Db(e) => e.into(),
        }
    }
}

impl From<SignInError> for ApiError {
    fn from(err: SignInError) -> Self {
        match err {
            SignInError::Refused(refusal) => refusal.into(),
            SignInError::Account(e) => e.into(),
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::ProviderUnavailable => {
                let mut err = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::IdentityProviderUnavailable,
                    "The identity provider cannot be reached, so nobody can be signed in by it \
                     now. Try again in a minute.",
                );
                err.retry_after = Some(30);
                err
            }
            Refusal::NotConfigured => ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::SignInMethodUnavailable,
                "This sign-in method is not set up on this server.",
            ),
            other => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::SignInRefused,
                format!("Sign-in refused: {other}."),
            )
            .with_extra(serde_json::json!({ "reason": other.code() })),
        }
    }
}
