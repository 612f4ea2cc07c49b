//! A provider's public keys (a JWK set fetched from its URL), cached. A token naming a key
//! the cache lacks refetches the set, one fetch at a time and at most once per
//! `min_refresh`, whether or not the last one worked (a flood of tokens with made-up key ids,
//! or a provider that is down, costs the provider one request per interval); the set is also
//! refetched once it is older than [`MAX_AGE`], so a key the provider withdrew stops working.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::Mutex;

/// How long a fetched set is used before it is fetched again.
pub const MAX_AGE: Duration = Duration::from_secs(3_600);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    /// The set could not be fetched and none is cached.
    #[error("the key set at {0} cannot be fetched")]
    Unavailable(String),
    /// No key in the set has this id (or, for a token without one, the set has several).
    #[error("no key {0:?} in the provider's key set")]
    UnknownKey(Option<String>),
}

pub struct Jwks {
    url: String,
    http: reqwest::Client,
    min_refresh: Duration,
    /// The set as last fetched; read without waiting for a fetch under way.
    cached: std::sync::RwLock<Cached>,
    /// Held by the one fetch under way: others wait for it rather than fetch again.
    fetching: Mutex<()>,
}

#[derive(Default)]
struct Cached {
    set: Option<JwkSet>,
    fetched_at: Option<Instant>,
    /// The last fetch, whether or not it worked: fetches are at least `min_refresh` apart.
    tried_at: Option<Instant>,
}

impl Cached {
    fn fresh_key(&self, kid: Option<&str>, alg: Algorithm) -> Option<Jwk> {
        let fresh = self.fetched_at.is_some_and(|at| at.elapsed() < MAX_AGE);
        fresh
            .then(|| {
                self.set
                    .as_ref()
                    .and_then(|set| pick(set, kid, alg))
                    .cloned()
            })
            .flatten()
    }
}

impl Jwks {
    pub fn new(url: String, http: reqwest::Client, min_refresh: Duration) -> Self {
        Self {
            url,
            http,
            min_refresh,
            cached: std::sync::RwLock::new(Cached::default()),
            fetching: Mutex::new(()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Cached> {
        self.cached
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Cached> {
        self.cached
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The key `kid` for a token signed with `alg`. A key whose own `alg` says otherwise is
    /// not used for it. A key in a fresh set is answered at once, even while a fetch for an
    /// unknown `kid` waits on a slow provider.
    pub async fn key(&self, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey, JwksError> {
        if let Some(jwk) = self.read().fresh_key(kid, alg) {
            return decoding_key(&jwk, kid);
        }
        let _fetching = self.fetching.lock().await;
        // A fetch that finished while this one waited may have brought the key.
        if let Some(jwk) = self.read().fresh_key(kid, alg) {
            return decoding_key(&jwk, kid);
        }
        let may_fetch = self
            .read()
            .tried_at
            .is_none_or(|at| at.elapsed() >= self.min_refresh);
        if may_fetch {
            let fetched = self.fetch().await;
            let mut cached = self.write();
            cached.tried_at = Some(Instant::now());
            match fetched {
                Ok(set) => {
                    cached.set = Some(set);
                    cached.fetched_at = Some(Instant::now());
                }
                // The set cached before, if any, stays in use.
                Err(err) => tracing::warn!(url = %self.url, error = %err, "key set fetch failed"),
            }
        }
        let cached = self.read();
        let set = cached
            .set
            .as_ref()
            .ok_or_else(|| JwksError::Unavailable(self.url.clone()))?;
        let jwk =
            pick(set, kid, alg).ok_or_else(|| JwksError::UnknownKey(kid.map(str::to_owned)))?;
        decoding_key(jwk, kid)
    }

    async fn fetch(&self) -> Result<JwkSet, reqwest::Error> {
        self.http
            .get(&self.url)
            .send()
            .await?
            .error_for_status()?
            .json::<JwkSet>()
            .await
    }
}

fn decoding_key(jwk: &Jwk, kid: Option<&str>) -> Result<DecodingKey, JwksError> {
    DecodingKey::from_jwk(jwk).map_err(|_| JwksError::UnknownKey(kid.map(str::to_owned)))
}

/// The key for `kid` (the only key when the token names none) that may verify `alg`.
fn pick<'a>(set: &'a JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<&'a Jwk> {
    let fits = |jwk: &&Jwk| {
        jwk.common
            .key_algorithm
            .is_none_or(|declared| same_algorithm(declared, alg))
    };
    match kid {
        Some(kid) => set
            .keys
            .iter()
            .filter(fits)
            .find(|jwk| jwk.common.key_id.as_deref() == Some(kid)),
        None => match set.keys.as_slice() {
            [only] => Some(only).filter(fits),
            _ => None,
        },
    }
}

fn same_algorithm(declared: KeyAlgorithm, alg: Algorithm) -> bool {
    matches!(
        (declared, alg),
        (KeyAlgorithm::RS256, Algorithm::RS256) | (KeyAlgorithm::ES256, Algorithm::ES256)
    )
}
