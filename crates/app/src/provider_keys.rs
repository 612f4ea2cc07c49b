//! Users' own provider keys: validated, sealed with AES-256-GCM (bound to the user and the
//! provider), shown only as a hint, replaceable, deletable, and every change audited.

use penora_ai::ProviderError;
use penora_domain::{FieldError, UserId};
use penora_store::provider_keys::{self, ProviderKeyRow};
use penora_store::{begin_write, ConnectionTrait, DbErr};
use secrecy::SecretString;

use super::audit::{self, Origin};
use crate::AppState;

#[derive(Debug, thiserror::Error)]
pub enum ProviderKeyError {
    #[error("invalid provider key")]
    Invalid(Vec<FieldError>),
    #[error("the provider takes no key; the platform pays for its models")]
    NotAccepted,
    #[error("no key stored for this provider")]
    NotFound,
    /// The provider could not be asked whether it takes the key.
    #[error("the provider could not be reached to check the key")]
    Unchecked,
    #[error("the stored key cannot be decrypted")]
    Unreadable,
    #[error("could not encrypt the key")]
    Seal,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// What ties a sealed key to its row: moving the ciphertext elsewhere breaks it.
fn binding(user: UserId, provider: &str) -> String {
    format!("{user}:{provider}")
}

/// The first three and last four characters, enough to recognise a key.
pub fn hint(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 10 {
        return "…".to_owned()
            + &chars[chars.len().saturating_sub(2)..]
                .iter()
                .collect::<String>();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

fn parse(
    state: &AppState,
    provider: &str,
    key: &str,
) -> Result<(String, String), ProviderKeyError> {
    if state.providers.is_keyless(provider) {
        return Err(ProviderKeyError::NotAccepted);
    }
    let mut errors = Vec::new();
    if !state.providers.accepts_own_keys(provider) {
        errors.push(FieldError::new(
            "provider",
            "unknown_provider",
            "`provider` is deepinfra, openai, groq, openrouter, anthropic or gemini.",
        ));
    }
    let key = key.trim();
    if key.len() < 8 || key.len() > 500 || !key.chars().all(|c| c.is_ascii_graphic()) {
        errors.push(FieldError::new(
            "key",
            "invalid_key",
            "A provider key is 8 to 500 visible ASCII characters, without spaces.",
        ));
    }
    if errors.is_empty() {
        Ok((provider.to_owned(), key.to_owned()))
    } else {
        Err(ProviderKeyError::Invalid(errors))
    }
}

#[tracing::instrument(name = "services::provider_keys::set", skip_all,
    fields(user_id = %user, provider = provider))]
pub async fn set(
    state: &AppState,
    user: UserId,
    provider: &str,
    key: &str,
    origin: &Origin,
) -> Result<ProviderKeyRow, ProviderKeyError> {
    let (provider, key) = parse(state, provider, key)?;
    check(state, &provider, &key).await?;
    let sealed = state
        .secrets
        .seal(&key, &binding(user, &provider))
        .map_err(|_| ProviderKeyError::Seal)?;
    let hint = hint(&key);
    let txn = begin_write(&state.db).await?;
    let row = provider_keys::upsert(&txn, user, &provider, &sealed, &hint).await?;
    let meta = serde_json::json!({ "provider": provider, "hint": hint });
    audit::record_in(
        &txn,
        Some(user),
        "provider_key.set",
        Some(&provider),
        origin,
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The longest a person waits for a provider to say whether it takes their key.
const KEY_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Asks the provider whether it takes `key`, so a key that cannot pay for anything is never
/// stored. Only a refusal of the key (401/403) refuses it; a provider that does not answer
/// the check stores nothing either (try again); one that answers the check path with
/// another 4xx has not refused the key, which is stored.
async fn check(state: &AppState, provider: &str, key: &str) -> Result<(), ProviderKeyError> {
    let Some(client) = state
        .providers
        .with_key(provider, SecretString::from(key.to_owned()))
    else {
        return Ok(());
    };
    let answer = tokio::time::timeout(KEY_CHECK_TIMEOUT, client.check_key())
        .await
        .unwrap_or(Err(ProviderError::Timeout {
            phase: penora_ai::TimeoutPhase::FirstByte,
        }));
    match answer {
        Ok(()) => Ok(()),
        Err(ProviderError::Unauthorized { .. }) => {
            Err(ProviderKeyError::Invalid(vec![FieldError::new(
                "key",
                "key_refused",
                "The provider refused this key. Check that it was copied whole and is still active.",
            )]))
        }
        Err(err @ ProviderError::BadRequest { .. }) => {
            tracing::warn!(code = err.code(), %err, "provider key check inconclusive");
            Ok(())
        }
        Err(err) => {
            tracing::warn!(code = err.code(), %err, "provider key check failed");
            Err(ProviderKeyError::Unchecked)
        }
    }
}

#[tracing::instrument(name = "services::provider_keys::delete", skip_all,
    fields(user_id = %user, provider = provider))]
pub async fn delete(
    state: &AppState,
    user: UserId,
    provider: &str,
    origin: &Origin,
) -> Result<(), ProviderKeyError> {
    let txn = begin_write(&state.db).await?;
    if !provider_keys::delete(&txn, user, provider).await? {
        return Err(ProviderKeyError::NotFound);
    }
    let meta = serde_json::json!({ "provider": provider });
    audit::record_in(
        &txn,
        Some(user),
        "provider_key.deleted",
        Some(provider),
        origin,
        meta,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The providers whose models the user's stored keys pay for (a key stored for a provider
/// that no longer accepts one is ignored).
#[tracing::instrument(name = "services::provider_keys::providers_of", skip_all,
    fields(user_id = %user))]
pub async fn providers_of(
    state: &AppState,
    user: UserId,
) -> Result<std::collections::HashSet<String>, DbErr> {
    Ok(provider_keys::list(&state.db, user)
        .await?
        .into_iter()
        .map(|row| row.provider)
        .filter(|provider| state.providers.accepts_own_keys(provider))
        .collect())
}

/// The user's own key for `provider`, decrypted, if they stored one.
#[tracing::instrument(name = "services::provider_keys::own_key", skip_all,
    fields(user_id = %user, provider = provider))]
pub async fn own_key(
    state: &AppState,
    user: UserId,
    provider: &str,
) -> Result<Option<SecretString>, ProviderKeyError> {
    let Some(row) = provider_keys::find(&state.db, user, provider).await? else {
        return Ok(None);
    };
    state
        .secrets
        .open(&row.sealed, &binding(user, provider))
        .map(Some)
        .map_err(|_| ProviderKeyError::Unreadable)
}

/// A user's own provider keys, by provider (hints only; the keys stay sealed).
#[tracing::instrument(name = "services::provider_keys::list", skip_all, fields(user_id = %user))]
pub async fn list(db: &impl ConnectionTrait, user: UserId) -> Result<Vec<ProviderKeyRow>, DbErr> {
    penora_store::provider_keys::list(db, user).await
}

#[cfg(test)]
mod tests {
    use super::hint;

    #[test]
    fn hints_show_only_the_ends() {
        assert_eq!(hint("sk-proj-abcdefghijkl9f3a"), "sk-…9f3a");
        assert_eq!(hint("short-key"), "…ey");
    }
}
