//! The account area: profile, password, credit history and usage, personal API keys.

use penora_api_types::{
    ApiKey, ApiKeyList, AuthResponse, ChangePasswordRequest, CreateApiKeyRequest, CreatedApiKey,
    TransactionPage, UpdateMeRequest, Usage, User,
};

use super::{fetch_json, get, send, ApiError, Method};
use crate::ids::ApiKeyId;
use crate::session::Session;

/// Renames the account; the answer is the account as it now is.
pub async fn rename(session: Session, display_name: String) -> Result<User, ApiError> {
    let body = UpdateMeRequest {
        display_name: Some(display_name),
    };
    send(session, Method::Patch, "/api/v1/me".into(), &body).await
}

/// Changes the password; every other session ends and this one goes on with the fresh
/// tokens of the answer.
pub async fn change_password(
    session: Session,
    body: ChangePasswordRequest,
) -> Result<AuthResponse, ApiError> {
    send(session, Method::Post, "/api/v1/me/password".into(), &body).await
}

/// One page of the credit history, newest first; `query` is already encoded
/// (`limit`, `kind`, `from`, `to`, `cursor`).
pub async fn transactions(session: Session, query: String) -> Result<TransactionPage, ApiError> {
    get(session, format!("/api/v1/credits/transactions?{query}")).await
}

/// Spending over the last 30 days, grouped by `day` or `model`.
pub async fn usage(session: Session, group_by: &'static str) -> Result<Usage, ApiError> {
    get(
        session,
        format!("/api/v1/credits/usage?group_by={group_by}"),
    )
    .await
}

/// The personal API keys, revoked ones included (never their secrets).
pub async fn api_keys(session: Session) -> Result<Vec<ApiKey>, ApiError> {
    let list: ApiKeyList = get(session, "/api/v1/api-keys".into()).await?;
    Ok(list.items)
}

/// A new personal key: the only answer that holds its secret.
pub async fn create_api_key(
    session: Session,
    body: CreateApiKeyRequest,
) -> Result<CreatedApiKey, ApiError> {
    send(session, Method::Post, "/api/v1/api-keys".into(), &body).await
}

pub async fn revoke_api_key(session: Session, id: ApiKeyId) -> Result<(), ApiError> {
    let path = format!("/api/v1/api-keys/{id}");
    fetch_json(session, Method::Delete, path, None, None).await
}
