//! Single sign-on tokens from the main site (SukuSuku): a JWT signed with the shared secret
//! (HS256) or with a key of the main site's JWK set (RS256, ES256). The token's contract is
//! in the README. Checked: the signature with a key of the family its `alg` names (an HS256
//! token is never checked with a public key), `iss`, `aud`, `exp`, `nbf`, an `iat` not
//! older than the allowed age, and a `jti` not used before on any replica.

use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use penora_domain::{Email, ExternalSubject, Provider};
use penora_store::used_tokens;
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::jwks::{Jwks, JwksError};
use super::{Arrival, Refusal, SignInError};
use crate::config::SsoConfig;

/// Clock skew allowed on `exp`, `nbf` and a future `iat` (seconds).
pub const LEEWAY_SECS: u64 = 30;
/// The longest `jti` accepted.
const MAX_JTI_LEN: usize = 200;

/// Which app a token is meant for (its `aud`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Penora,
    ImageGene,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Penora => "penora",
            Audience::ImageGene => "imagegene",
        }
    }
}

#[derive(Deserialize)]
struct Claims {
    /// Checked by `jsonwebtoken`, which also takes arrays; here they must be one string.
    iss: serde_json::Value,
    aud: serde_json::Value,
    sub: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: bool,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    jti: Option<String>,
}

pub struct SsoVerifier {
    issuer: String,
    secret: Option<DecodingKey>,
    jwks: Option<Jwks>,
    max_age: Duration,
}

impl SsoVerifier {
    pub fn new(
        config: &SsoConfig,
        http: reqwest::Client,
        max_age: Duration,
        min_refresh: Duration,
    ) -> Self {
        Self {
            issuer: config.issuer.clone(),
            secret: config
                .secret
                .as_ref()
                .map(|s| DecodingKey::from_secret(s.expose_secret().as_bytes())),
            jwks: config
                .jwks_url
                .clone()
                .map(|url| Jwks::new(url, http, min_refresh)),
            max_age,
        }
    }

    /// The arrival `token` vouches for, meant for `audience`; its `jti` is used up.
    pub async fn verify(
        &self,
        db: &impl penora_store::ConnectionTrait,
        token: &str,
        audience: Audience,
    ) -> Result<Arrival, SignInError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(Refusal::MissingToken.into());
        }
        if has_critical_extensions(token) {
            return Err(Refusal::InvalidToken.into());
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| Refusal::InvalidToken)?;
        let key = self.key(header.alg, header.kid.as_deref()).await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|e| refusal_of(e.kind()))?
            .claims;
        // One issuer and one audience: a token naming both apps would work at each once.
        if !(claims.iss.is_string() && claims.aud.is_string()) {
            return Err(Refusal::InvalidToken.into());
        }
        let now = Utc::now().timestamp();
        let iat = claims.iat.ok_or(Refusal::InvalidToken)?;
        let max_age = i64::try_from(self.max_age.as_secs()).unwrap_or(i64::MAX);
        if iat > now + LEEWAY_SECS as i64 {
            return Err(Refusal::NotYetValid.into());
        }
        if now.saturating_sub(iat) > max_age {
            return Err(Refusal::TooOld.into());
        }
        let jti = claims
            .jti
            .filter(|j| !j.is_empty() && j.len() <= MAX_JTI_LEN)
            .ok_or(Refusal::InvalidToken)?;
        let subject = ExternalSubject::parse(&claims.sub).map_err(|_| Refusal::InvalidToken)?;
        let email = claims
            .email
            .as_deref()
            .and_then(|e| Email::parse(e).ok())
            .ok_or(Refusal::MissingEmail)?;
        // Kept while the token could pass the checks above: past `iat` + the allowed age it
        // is refused as too old whatever its `exp` says.
        let usable_until = iat
            .saturating_add(max_age)
            .saturating_add(LEEWAY_SECS as i64);
        let expires = DateTime::from_timestamp(usable_until, 0).unwrap_or_else(Utc::now);
        let key = used_key(&self.issuer, audience, &jti);
        if !used_tokens::use_once(db, &key, expires).await? {
            return Err(Refusal::Replayed.into());
        }
        Ok(Arrival {
            provider: Provider::Sukusuku,
            subject,
            email,
            email_verified: claims.email_verified,
            name: claims.name,
        })
    }

    async fn key(&self, alg: Algorithm, kid: Option<&str>) -> Result<DecodingKey, SignInError> {
        match alg {
            Algorithm::HS256 => self.secret.clone().ok_or(Refusal::InvalidToken.into()),
            Algorithm::RS256 | Algorithm::ES256 => {
                let jwks = self.jwks.as_ref().ok_or(Refusal::InvalidToken)?;
                jwks.key(kid, alg).await.map_err(|e| {
                    SignInError::from(match e {
                        JwksError::Unavailable(_) => Refusal::ProviderUnavailable,
                        JwksError::UnknownKey(_) => Refusal::UnknownKey,
                    })
                })
            }
            _ => Err(Refusal::InvalidToken.into()),
        }
    }
}

/// What an example token says (`penora admin sso-token`).
pub struct Mint<'a> {
    pub subject: &'a ExternalSubject,
    pub email: &'a Email,
    pub email_verified: bool,
    pub name: Option<&'a str>,
    pub audience: Audience,
    pub ttl: Duration,
}

/// A token the way the main site makes one, signed HS256 with the configured secret: for
/// trying the hand-off and for the main site's developers to compare with theirs. `None`
/// without a secret (RS256 / ES256 tokens are signed by the main site's private key).
pub fn mint_hs256(config: &SsoConfig, mint: &Mint<'_>) -> Option<String> {
    let secret = config.secret.as_ref()?;
    let now = Utc::now().timestamp();
    let ttl = i64::try_from(mint.ttl.as_secs()).unwrap_or(i64::MAX / 2);
    let claims = serde_json::json!({
        "iss": config.issuer,
        "aud": mint.audience.as_str(),
        "sub": mint.subject.as_str(),
        "email": mint.email.as_str(),
        "email_verified": mint.email_verified,
        "name": mint.name,
        "iat": now,
        "nbf": now,
        "exp": now.saturating_add(ttl),
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    let key = jsonwebtoken::EncodingKey::from_secret(secret.expose_secret().as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::new(Algorithm::HS256), &claims, &key).ok()
}

/// True when the token's header lists `crit` extensions: none is understood here, so such
/// a token must be refused (RFC 7515, section 4.1.11).
pub(super) fn has_critical_extensions(token: &str) -> bool {
    use base64::Engine as _;
    let Some(header) = token.split('.').next() else {
        return false;
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|header| header.get("crit").is_some())
}

/// The refusal a failed check means.
pub(super) fn refusal_of(kind: &ErrorKind) -> Refusal {
    match kind {
        ErrorKind::ExpiredSignature => Refusal::Expired,
        ErrorKind::ImmatureSignature => Refusal::NotYetValid,
        ErrorKind::InvalidIssuer => Refusal::WrongIssuer,
        ErrorKind::InvalidAudience => Refusal::WrongAudience,
        _ => Refusal::InvalidToken,
    }
}

/// What records a used token: a digest of its issuer, audience and `jti` (bounded in size,
/// and one `jti` reused by the issuer for the other app is another token).
fn used_key(issuer: &str, audience: Audience, jti: &str) -> String {
    let input = format!("sso\n{issuer}\n{}\n{jti}", audience.as_str());
    let digest = ring::digest::digest(&ring::digest::SHA256, input.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}
