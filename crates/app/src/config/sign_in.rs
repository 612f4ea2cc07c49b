//! Sign-in settings: single sign-on from the main site (SukuSuku) and Google. Flattened into
//! [`super::Settings`]; the secrets also go by the names the main site documents
//! (`SUKUSUKU_SSO_ISSUER`, `SUKUSUKU_SSO_SECRET`, `SUKUSUKU_SSO_JWKS_URL`,
//! `GOOGLE_OAUTH_CLIENT_ID`, `GOOGLE_OAUTH_CLIENT_SECRET`).

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{is_weak, ConfigError, Environment, Settings};

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SignInSettings {
    /// The `iss` of the main site's sign-in tokens; single sign-on is off without it.
    pub sukusuku_sso_issuer: Option<String>,
    /// The shared secret of HS256 tokens.
    pub sukusuku_sso_secret: Option<SecretString>,
    /// Where the main site publishes the public keys of RS256 / ES256 tokens.
    pub sukusuku_sso_jwks_url: Option<String>,
    /// How old a sign-in token may be (its `iat`), in seconds.
    pub sso_token_max_age_secs: u64,
    /// Comma-separated origins besides `public_url` that a sign-in may return to.
    pub sso_return_to_origins: String,
    /// The shortest wait between two fetches of a key set (milliseconds): a token naming an
    /// unknown key refreshes it at most this often.
    pub jwks_refresh_min_interval_ms: u64,
    /// How long a call to an identity provider may take (milliseconds).
    pub sign_in_timeout_ms: u64,
    pub google_oauth_client_id: Option<String>,
    pub google_oauth_client_secret: Option<SecretString>,
    /// Google's endpoints (local fakes in tests).
    pub google_auth_url: String,
    pub google_token_url: String,
    pub google_jwks_url: String,
}

impl Default for SignInSettings {
    fn default() -> Self {
        Self {
            sukusuku_sso_issuer: None,
            sukusuku_sso_secret: None,
            sukusuku_sso_jwks_url: None,
            sso_token_max_age_secs: 300,
            sso_return_to_origins: String::new(),
            jwks_refresh_min_interval_ms: 30_000,
            sign_in_timeout_ms: 10_000,
            google_oauth_client_id: None,
            google_oauth_client_secret: None,
            google_auth_url: "https://accounts.google.com/o/oauth2/v2/auth".to_owned(),
            google_token_url: "https://oauth2.googleapis.com/token".to_owned(),
            google_jwks_url: "https://www.googleapis.com/oauth2/v3/certs".to_owned(),
        }
    }
}

/// Single sign-on from the main site, when configured: its issuer, and the HS256 secret,
/// the JWKS URL of its RS256 / ES256 keys, or both.
#[derive(Debug, Clone)]
pub struct SsoConfig {
    pub issuer: String,
    pub secret: Option<SecretString>,
    pub jwks_url: Option<String>,
}

/// Google sign-in, when configured.
#[derive(Debug, Clone)]
pub struct GoogleConfig {
    pub client_id: String,
    pub client_secret: SecretString,
}

impl SsoConfig {
    pub fn resolve(settings: &Settings) -> Result<Option<Self>, ConfigError> {
        let s = &settings.sign_in;
        let issuer = s
            .sukusuku_sso_issuer
            .clone()
            .filter(|i| !i.trim().is_empty());
        let secret = s
            .sukusuku_sso_secret
            .clone()
            .filter(|k| !k.expose_secret().is_empty());
        let jwks_url = s
            .sukusuku_sso_jwks_url
            .clone()
            .filter(|u| !u.trim().is_empty());
        let Some(issuer) = issuer else {
            if secret.is_some() || jwks_url.is_some() {
                return Err(ConfigError::Invalid(
                    "single sign-on needs SUKUSUKU_SSO_ISSUER beside its secret or JWKS URL"
                        .to_owned(),
                ));
            }
            return Ok(None);
        };
        if secret.is_none() && jwks_url.is_none() {
            return Err(ConfigError::Invalid(
                "single sign-on needs SUKUSUKU_SSO_SECRET (HS256) or SUKUSUKU_SSO_JWKS_URL \
                 (RS256 / ES256)"
                    .to_owned(),
            ));
        }
        let weak = secret.as_ref().is_some_and(|k| is_weak(k.expose_secret()));
        if settings.env == Environment::Production && weak {
            return Err(ConfigError::WeakSecret {
                name: "SUKUSUKU_SSO_SECRET",
            });
        }
        Ok(Some(Self {
            issuer,
            secret,
            jwks_url,
        }))
    }
}

impl GoogleConfig {
    pub fn resolve(settings: &Settings) -> Result<Option<Self>, ConfigError> {
        let s = &settings.sign_in;
        let id = s
            .google_oauth_client_id
            .clone()
            .filter(|i| !i.trim().is_empty());
        let secret = s
            .google_oauth_client_secret
            .clone()
            .filter(|k| !k.expose_secret().is_empty());
        match (id, secret) {
            (Some(client_id), Some(client_secret)) => Ok(Some(Self {
                client_id,
                client_secret,
            })),
            (None, None) => Ok(None),
            _ => Err(ConfigError::Invalid(
                "Google sign-in needs both GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET"
                    .to_owned(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(env: Environment, tweak: impl FnOnce(&mut SignInSettings)) -> Settings {
        let mut settings = Settings {
            env,
            ..Settings::default()
        };
        tweak(&mut settings.sign_in);
        settings
    }

    #[test]
    fn single_sign_on_is_off_until_an_issuer_and_a_key_are_set() {
        let off = SsoConfig::resolve(&settings(Environment::Development, |_| {}));
        assert!(off.unwrap().is_none());
        let no_key = SsoConfig::resolve(&settings(Environment::Development, |s| {
            s.sukusuku_sso_issuer = Some("https://sukusuku.example".to_owned());
        }));
        assert!(no_key.is_err());
        let no_issuer = SsoConfig::resolve(&settings(Environment::Development, |s| {
            s.sukusuku_sso_jwks_url = Some("https://sukusuku.example/jwks".to_owned());
        }));
        assert!(no_issuer.is_err());
    }

    #[test]
    fn production_refuses_a_weak_sso_secret() {
        let weak = |env| {
            SsoConfig::resolve(&settings(env, |s| {
                s.sukusuku_sso_issuer = Some("https://sukusuku.example".to_owned());
                s.sukusuku_sso_secret = Some(SecretString::from("short".to_owned()));
            }))
        };
        assert!(matches!(
            weak(Environment::Production),
            Err(ConfigError::WeakSecret { .. })
        ));
        assert!(weak(Environment::Development).unwrap().is_some());
    }

    #[test]
    fn google_needs_both_its_id_and_its_secret() {
        let half = GoogleConfig::resolve(&settings(Environment::Development, |s| {
            s.google_oauth_client_id = Some("id".to_owned());
        }));
        assert!(half.is_err());
    }
}
