//! How service errors read over HTTP. Kept in one place so every route maps them the same way.

use actix_web::http::StatusCode;
use penora_api_types::ErrorCode;
use penora_domain::FieldError;

use super::ApiError;
use crate::services::accounts::AccountError;
use crate::services::sessions::SessionError;

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
            AccountError::WeakPassword(e) => ApiError::validation(vec![e]),
            AccountError::Session(e) => e.into(),
            AccountError::Hash(e) => ApiError::internal(e),
            AccountError::Db(e) => e.into(),
        }
    }
}
