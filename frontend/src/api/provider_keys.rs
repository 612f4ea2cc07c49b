//! The user's own provider keys.

use penora_api_types::{ProviderKey, ProviderKeyList, SetProviderKey};

use super::{fetch_json, json, ApiError, Method};
use crate::session::Session;

pub async fn provider_keys(session: Session) -> Result<ProviderKeyList, ApiError> {
    let path = "/api/v1/me/provider-keys".into();
    fetch_json(session, Method::Get, path, None, None).await
}

/// Stores (or replaces) the user's key for a provider; the answer holds only its hint.
pub async fn set_provider_key(
    session: Session,
    body: SetProviderKey,
) -> Result<ProviderKey, ApiError> {
    let path = "/api/v1/me/provider-keys".into();
    fetch_json(session, Method::Post, path, None, json(&body)).await
}

pub async fn delete_provider_key(session: Session, provider: String) -> Result<(), ApiError> {
    let path = format!("/api/v1/me/provider-keys/{provider}");
    fetch_json(session, Method::Delete, path, None, None).await
}
