//! Access tokens: HS256 JWTs, 15 minutes by default, with issuer and audience checked.
//! Only HS256 is accepted, so `alg: none` and algorithm-confusion tokens fail.

use chrono::Utc;
use jsonwebtoken::{
    decode, encode, errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use penora_domain::{Role, UserId};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "penora";
pub const AUDIENCE: &str = "penora-api";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    pub role: Role,
    /// The user's session epoch when issued; a later epoch (logout everywhere, password
    /// change) makes the token worthless before it expires.
    pub epoch: i64,
    /// When the sign-in this session comes from happened (Unix seconds; OpenID's
    /// `auth_time`). Refreshes keep it, so it tells whether the user proved who they are
    /// recently. Tokens issued without it read as long ago.
    #[serde(default)]
    pub auth_time: i64,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: u64,
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Expired,
    Invalid,
}

impl JwtKeys {
    pub fn new(secret: &SecretString, ttl_secs: u64) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            ttl_secs,
        }
    }

    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }

    pub fn issue(
        &self,
        user: UserId,
        role: Role,
        epoch: i64,
        auth_time: i64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user.to_string(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            nbf: now,
            exp: now + i64::try_from(self.ttl_secs).unwrap_or(i64::MAX / 2),
            jti: uuid::Uuid::now_v7().to_string(),
            role,
            epoch,
            auth_time,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }

    /// Signs arbitrary claims with the server key: tests use it to forge expired tokens.
    pub fn sign_raw(&self, claims: &impl Serialize) -> Result<String, jsonwebtoken::errors::Error> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(&SecretString::from("x".repeat(40)), 900)
    }

    #[test]
    fn issued_tokens_verify() {
        let user = UserId::new();
        let token = keys().issue(user, Role::Admin, 3, 1_700_000_000).unwrap();
        let claims = keys().verify(&token).unwrap();
        assert_eq!(claims.sub, user.to_string());
        assert_eq!(claims.role, Role::Admin);
        assert_eq!(claims.epoch, 3);
        assert_eq!(claims.auth_time, 1_700_000_000);
    }

    #[test]
    fn other_keys_and_garbage_are_invalid() {
        let token = keys().issue(UserId::new(), Role::User, 0, 0).unwrap();
        let other = JwtKeys::new(&SecretString::from("y".repeat(40)), 900);
        assert_eq!(other.verify(&token).err(), Some(TokenError::Invalid));
        assert_eq!(keys().verify("not.a.jwt").err(), Some(TokenError::Invalid));
    }
}
