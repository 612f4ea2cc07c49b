//! A provider's public keys (a JWK set fetched from its URL), cached. A token naming a key
//! the cache lacks refetches the set, at most once per `min_refresh` (a flood of tokens with
//! made-up key ids costs the provider one request per interval); the set is also refetched
//! once it is older than [`MAX_AGE`], so a key the provider withdrew stops working.

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
    cached: Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    set: Option<JwkSet>,
    fetched_at: Option<Instant>,
}

impl Jwks {
    pub fn new(url: String, http: reqwest::Client, min_refresh: Duration) -> Self {
        Self {
            url,
            http,
            min_refresh,
            cached: Mutex::new(Cached::default()),
        }
    }

    /// The key `kid` for a token signed with `alg`. A key whose own `alg` says otherwise is
    /// not used for it.
    pub async fn key(&self, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey, JwksError> {
        let mut cached = self.cached.lock().await;
        let stale = cached.fetched_at.is_none_or(|at| at.elapsed() >= MAX_AGE);
        let found = cached.set.as_ref().and_then(|set| pick(set, kid, alg));
        if found.is_none() || stale {
            let may_fetch = cached
                .fetched_at
                .is_none_or(|at| at.elapsed() >= self.min_refresh);
            if may_fetch {
                match self.fetch().await {
                    Ok(set) => {
                        cached.set = Some(set);
                        cached.fetched_at = Some(Instant::now());
                    }
                    Err(err) => {
                        tracing::warn!(url = %self.url, error = %err, "key set fetch failed");
                        if cached.set.is_none() {
                            return Err(JwksError::Unavailable(self.url.clone()));
                        }
                        // Keep what is cached, and wait before asking again.
                        cached.fetched_at = Some(Instant::now());
                    }
                }
            }
        }
        let set = cached
            .set
            .as_ref()
            .ok_or_else(|| JwksError::Unavailable(self.url.clone()))?;
        let jwk =
            pick(set, kid, alg).ok_or_else(|| JwksError::UnknownKey(kid.map(str::to_owned)))?;
        DecodingKey::from_jwk(jwk).map_err(|_| JwksError::UnknownKey(kid.map(str::to_owned)))
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
