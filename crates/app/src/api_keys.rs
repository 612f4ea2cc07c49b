//! Creating, listing, revoking and checking API keys.

use std::time::Duration;

use penora_domain::{ApiKeyId, AppScope, KeyScopes, Scope, UserId};
use penora_store::api_keys::{self, ApiKeyRow, NewKey};
use penora_store::{ConnectionTrait, DatabaseConnection, DbErr};

use crate::auth::opaque;
use crate::AppState;

pub const PERSONAL_PREFIX: &str = "pk_live_";
pub const APP_PREFIX: &str = "ak_live_";
const NAME_MAX: usize = 80;

pub use penora_domain::KeyKind;

fn prefix(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Personal => PERSONAL_PREFIX,
        KeyKind::App => APP_PREFIX,
    }
}

/// The names of the scopes a key of `kind` may hold.
fn allowed(kind: KeyKind) -> Vec<&'static str> {
    match kind {
        KeyKind::Personal => Scope::ALL.iter().map(|s| s.as_str()).collect(),
        KeyKind::App => AppScope::ALL.iter().map(|s| s.as_str()).collect(),
    }
}

/// A validated request for a key.
pub struct KeySpec {
    pub kind: KeyKind,
    pub name: String,
    pub scopes: Vec<String>,
}

impl KeySpec {
    pub fn parse(
        kind: KeyKind,
        name: &str,
        scopes: Option<&[String]>,
    ) -> Result<Self, penora_domain::FieldError> {
        use penora_domain::FieldError;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control)
        {
            return Err(FieldError::new(
                "name",
                "invalid",
                format!("Give the key a name of 1 to {NAME_MAX} printable characters."),
            ));
        }
        penora_domain::check_name_text("name", name)?;
        let scopes: Vec<String> = match scopes {
            Some(list) => list.iter().map(|s| s.trim().to_owned()).collect(),
            None if kind == KeyKind::Personal => {
                Scope::ALL.iter().map(|s| s.as_str().to_owned()).collect()
            }
            None => Vec::new(),
        };
        if scopes.is_empty() {
            return Err(FieldError::new(
                "scopes",
                "required",
                "Name at least one scope.",
            ));
        }
        if let Some(bad) = scopes.iter().find(|s| !allowed(kind).contains(&s.as_str())) {
            return Err(FieldError::new(
                "scopes",
                "unknown_scope",
                format!(
                    "Unknown scope {bad:?}; allowed: {}.",
                    allowed(kind).join(", ")
                ),
            ));
        }
        let mut scopes = scopes;
        scopes.sort();
        scopes.dedup();
        Ok(Self {
            kind,
            name: name.to_owned(),
            scopes,
        })
    }
}

/// Makes a key; the secret is returned once and only its hash is stored.
#[tracing::instrument(name = "services::api_keys::create", skip_all,
    fields(user_id = crate::spans::opt(owner)))]
pub async fn create(
    db: &impl ConnectionTrait,
    spec: &KeySpec,
    owner: Option<UserId>,
    created_by: Option<UserId>,
) -> Result<(ApiKeyRow, String), DbErr> {
    let secret = format!("{}{}", prefix(spec.kind), opaque::generate());
    let prefix: String = secret.chars().take(prefix(spec.kind).len() + 6).collect();
    let row = api_keys::insert(
        db,
        NewKey {
            kind: spec.kind,
            user: owner,
            name: &spec.name,
            prefix: &prefix,
            key_hash: &opaque::hash(&secret),
            scopes: &KeyScopes::parse(&spec.scopes.join(" ")),
            created_by,
        },
    )
    .await?;
    Ok((row, secret))
}

/// Live API keys recently looked up, by the hash of their secret, so that a busy client
/// (an app debiting for every image it makes) does not cost a database read per request.
///
/// Revoking a key forgets every cached key of this process at once, and of the other
/// replicas as soon as the notice reaches them ([`crate::notices`]); should it be lost,
/// another replica keeps trusting a key it looked up for at most the cache time
/// (`PENORA_API_KEY_CACHE_MS`, default one second).
#[derive(Clone)]
pub struct KeyCache(Option<moka::sync::Cache<String, ApiKeyRow>>);

impl KeyCache {
    /// Enough for every key in use at once; the least used go first beyond it.
    const CAPACITY: u64 = 10_000;

    /// `ttl` zero: no cache, every request reads the key.
    pub fn new(ttl: Duration) -> Self {
        Self((!ttl.is_zero()).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(Self::CAPACITY)
                .time_to_live(ttl)
                .build()
        }))
    }

    /// After a revocation.
    pub fn forget_all(&self) {
        if let Some(cache) = &self.0 {
            cache.invalidate_all();
        }
    }
}

/// The live key a bearer secret belongs to (read through `reads` unless cached), noting its
/// use at most once a minute (written through `db`).
#[tracing::instrument(name = "services::api_keys::authenticate", skip_all)]
pub async fn authenticate(
    cache: &KeyCache,
    reads: &impl ConnectionTrait,
    db: &impl ConnectionTrait,
    secret: &str,
) -> Result<Option<ApiKeyRow>, DbErr> {
    let hash = opaque::hash(secret);
    if let Some(row) = cache.0.as_ref().and_then(|c| c.get(&hash)) {
        return Ok(Some(row));
    }
    let Some(mut row) = api_keys::find_live_by_hash(reads, &hash).await? else {
        return Ok(None);
    };
    let now = chrono::Utc::now();
    // A cached row was used within the minute: only a fresh read can find it stale.
    if row
        .last_used_at
        .is_none_or(|at| now - at > chrono::Duration::seconds(60))
    {
        api_keys::touch(db, ApiKeyId::from_uuid(row.id)).await?;
        row.last_used_at = Some(now);
    }
    if let Some(cache) = &cache.0 {
        cache.insert(hash, row.clone());
    }
    Ok(Some(row))
}

/// Revokes one of `user`'s personal keys (on every replica at once); false when they have
/// no live key `id`.
#[tracing::instrument(name = "services::api_keys::revoke_personal", skip_all,
    fields(user_id = %user, key_id = %id))]
pub async fn revoke_personal(state: &AppState, user: UserId, id: ApiKeyId) -> Result<bool, DbErr> {
    let revoked = api_keys::revoke_personal(&state.db, user, id).await?;
    if revoked {
        crate::notices::keys_revoked(state).await;
    }
    Ok(revoked)
}

/// Revokes an app key (on every replica at once); false when there is no live app key `id`.
#[tracing::instrument(name = "services::api_keys::revoke_app", skip_all, fields(app_key_id = %id))]
pub async fn revoke_app(state: &AppState, id: ApiKeyId) -> Result<bool, DbErr> {
    let revoked = api_keys::revoke_app(&state.db, id).await?;
    if revoked {
        crate::notices::keys_revoked(state).await;
    }
    Ok(revoked)
}

pub fn looks_like_key(token: &str) -> bool {
    token.starts_with(PERSONAL_PREFIX) || token.starts_with(APP_PREFIX)
}

/// A key just made, with its secret: the only time the secret is known.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub key: ApiKeyRow,
    pub secret: String,
}

/// Creates a key and audits it (`action`, by `created_by`); the result carries the secret.
#[tracing::instrument(name = "services::api_keys::issue", skip_all,
    fields(user_id = crate::spans::opt(owner), action = action))]
pub async fn issue(
    db: &impl ConnectionTrait,
    spec: &KeySpec,
    owner: Option<UserId>,
    created_by: Option<UserId>,
    action: &str,
    origin: &super::audit::Origin,
) -> Result<IssuedKey, DbErr> {
    let (row, secret) = create(db, spec, owner, created_by).await?;
    let meta = serde_json::json!({ "key_id": row.id, "name": row.name, "scopes": spec.scopes });
    super::audit::record(db, created_by, action, Some(&row.prefix), origin, meta).await;
    Ok(IssuedKey { key: row, secret })
}

/// Issues a personal key to a signed-in user whose session (`session_epoch`) is still
/// current, checked under the user's row lock in the key's transaction: a key requested
/// while the account's sessions end (sign-out everywhere, password change or reset,
/// deletion) is refused rather than outliving them. `None`: the session has ended.
#[tracing::instrument(name = "services::api_keys::issue_personal", skip_all,
    fields(user_id = %user))]
pub async fn issue_personal(
    db: &DatabaseConnection,
    spec: &KeySpec,
    user: UserId,
    session_epoch: i64,
    origin: &super::audit::Origin,
) -> Result<Option<IssuedKey>, DbErr> {
    let txn = penora_store::begin_write(db).await?;
    if !penora_store::users::lock(&txn, user, Some(session_epoch)).await? {
        return Ok(None);
    }
    let created = issue(
        &txn,
        spec,
        Some(user),
        Some(user),
        "api_key.created",
        origin,
    )
    .await?;
    txn.commit().await?;
    Ok(Some(created))
}

/// A user's personal keys, newest first (never their secrets).
#[tracing::instrument(name = "services::api_keys::list", skip_all, fields(user_id = %user))]
pub async fn list(db: &impl ConnectionTrait, user: UserId) -> Result<Vec<ApiKeyRow>, DbErr> {
    penora_store::api_keys::list_for_user(db, user).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_checked() {
        assert!(KeySpec::parse(KeyKind::Personal, "  ", None).is_err());
        let personal = KeySpec::parse(KeyKind::Personal, "laptop", None).unwrap();
        assert_eq!(personal.scopes, vec!["generate", "read", "write"]);
        assert!(KeySpec::parse(KeyKind::Personal, "x", Some(&["credits:write".into()])).is_err());
        assert!(KeySpec::parse(KeyKind::App, "imagegene", None).is_err());
        let app = KeySpec::parse(
            KeyKind::App,
            "imagegene",
            Some(&[
                "credits:write".into(),
                "users:read".into(),
                "users:read".into(),
            ]),
        )
        .unwrap();
        assert_eq!(app.scopes, vec!["credits:write", "users:read"]);
        let hidden = KeySpec::parse(KeyKind::Personal, "lap\u{202E}top", None).err();
        assert_eq!(hidden.map(|e| e.code), Some("invisible_character"));
    }
}
