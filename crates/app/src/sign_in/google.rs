//! "Sign in with Google": OAuth 2.0's authorization code flow with PKCE. A flow's `state`,
//! `nonce` and PKCE verifier are stored server-side, taken once by the callback within ten
//! minutes, and only by the browser that started it: the flow is kept by a digest of its
//! `state` and a binding the starting browser holds in a cookie (a link or callback URL
//! forwarded to someone else signs nobody in and links nothing); the code is exchanged at Google's token endpoint with the
//! verifier and the client secret; the ID token is checked against Google's JWK set
//! (RS256), its issuer, audience (our client id), expiry and the flow's `nonce`.

use std::time::Duration;

use base64::Engine as _;
use chrono::Utc;
use jsonwebtoken::{Algorithm, Validation};
use penora_domain::{Email, ExternalSubject, Provider, UserId};
use penora_store::oauth_flows::{self, FlowRow, NewFlow};
use penora_store::ConnectionTrait;
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::jwks::{Jwks, JwksError};
use super::sso::{refusal_of, LEEWAY_SECS};
use super::{Arrival, Refusal, ReturnTo, SignInError};
use crate::audit::Origin;
use crate::config::{GoogleConfig, SignInSettings};
use crate::sessions::Session;
use crate::AppState;

/// How long a started sign-in may take to come back.
const FLOW_TTL_MINUTES: i64 = 10;
/// The issuers Google's ID tokens name.
const ISSUERS: [&str; 2] = ["https://accounts.google.com", "accounts.google.com"];

pub struct Google {
    client_id: String,
    client_secret: SecretString,
    auth_url: String,
    token_url: String,
    redirect_uri: String,
    http: reqwest::Client,
    jwks: Jwks,
}

/// A started flow: where to send the browser, and the binding it must keep (in a cookie)
/// to finish it.
pub struct Started {
    pub url: String,
    pub binding: String,
}

/// A finished flow: who Google vouched for, and what the flow was started for.
pub struct Finished {
    pub arrival: Arrival,
    pub return_to: Option<String>,
    /// Set when a signed-in user was linking Google to this account.
    pub link_user: Option<UserId>,
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: String,
}

#[derive(Deserialize)]
struct IdClaims {
    /// One audience: ours (checked by `jsonwebtoken`, which also takes arrays).
    aud: serde_json::Value,
    sub: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: bool,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

impl Google {
    pub fn new(
        config: &GoogleConfig,
        settings: &SignInSettings,
        public_url: &str,
        http: reqwest::Client,
    ) -> Self {
        Self {
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            auth_url: settings.google_auth_url.clone(),
            token_url: settings.google_token_url.clone(),
            redirect_uri: format!(
                "{}/api/v1/auth/google/callback",
                public_url.trim_end_matches('/')
            ),
            jwks: Jwks::new(
                settings.google_jwks_url.clone(),
                http.clone(),
                Duration::from_millis(settings.jwks_refresh_min_interval_ms),
            ),
            http,
        }
    }

    /// Starts a flow (to sign in, or to link Google to `link_user`): where to send the
    /// browser.
    pub async fn start(
        &self,
        db: &impl ConnectionTrait,
        return_to: Option<&ReturnTo>,
        link_user: Option<UserId>,
    ) -> Result<Started, SignInError> {
        let (state, nonce, verifier) = (random()?, random()?, random()?);
        let binding = random()?;
        let now = Utc::now();
        let state_hash = flow_key(&state, &binding);
        let flow = NewFlow {
            state_hash: &state_hash,
            provider: Provider::Google.as_str(),
            nonce: &nonce,
            code_verifier: &verifier,
            return_to: return_to.map(ReturnTo::as_str),
            link_user_id: link_user.map(|user| user.as_uuid()),
            created_at: now,
            expires_at: now + chrono::Duration::minutes(FLOW_TTL_MINUTES),
        };
        oauth_flows::insert(db, &flow).await?;
        let challenge =
            base64url(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()).as_ref());
        let url = url::Url::parse_with_params(
            &self.auth_url,
            [
                ("client_id", self.client_id.as_str()),
                ("redirect_uri", self.redirect_uri.as_str()),
                ("response_type", "code"),
                ("scope", "openid email profile"),
                ("state", state.as_str()),
                ("nonce", nonce.as_str()),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
                ("prompt", "select_account"),
            ],
        )
        .map_err(|_| Refusal::NotConfigured)?;
        Ok(Started {
            url: url.into(),
            binding,
        })
    }

    /// Takes the flow `state` and the browser's `binding` name (once), exchanges `code` and
    /// checks the ID token.
    pub async fn finish(
        &self,
        db: &impl ConnectionTrait,
        state: &str,
        binding: Option<&str>,
        code: Option<&str>,
        provider_error: Option<&str>,
    ) -> Result<Finished, (SignInError, Option<FlowRow>)> {
        let key = flow_key(state, binding.unwrap_or_default());
        let flow = oauth_flows::take(db, &key, Utc::now())
            .await
            .map_err(|e| (e.into(), None))?
            .filter(|flow| flow.provider == Provider::Google.as_str())
            .ok_or((Refusal::InvalidState.into(), None))?;
        let fail = |refusal: Refusal, flow: &FlowRow| (refusal.into(), Some(flow.clone()));
        if provider_error.is_some() {
            return Err(fail(Refusal::ProviderRefused, &flow));
        }
        let Some(code) = code.filter(|c| !c.is_empty()) else {
            return Err(fail(Refusal::ProviderRefused, &flow));
        };
        let id_token = self
            .exchange(code, &flow.code_verifier)
            .await
            .map_err(|r| fail(r, &flow))?;
        let arrival = self
            .check(&id_token, &flow.nonce)
            .await
            .map_err(|r| fail(r, &flow))?;
        Ok(Finished {
            arrival,
            return_to: flow.return_to,
            link_user: flow.link_user_id.map(UserId::from_uuid),
        })
    }

    async fn exchange(&self, code: &str, verifier: &str) -> Result<String, Refusal> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose_secret()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("code_verifier", verifier),
        ];
        let response = self
            .http
            .post(&self.token_url)
            .form(&form)
            .send()
            .await
            .map_err(|_| Refusal::ProviderUnavailable)?;
        let status = response.status();
        if status.is_server_error() {
            return Err(Refusal::ProviderUnavailable);
        }
        if !status.is_success() {
            tracing::warn!(%status, "Google refused the code exchange");
            return Err(Refusal::ProviderRefused);
        }
        let body: TokenResponse = response
            .json()
            .await
            .map_err(|_| Refusal::ProviderRefused)?;
        Ok(body.id_token)
    }

    /// The arrival an ID token vouches for, when Google signed it for us and this flow.
    async fn check(&self, id_token: &str, nonce: &str) -> Result<Arrival, Refusal> {
        if super::sso::has_critical_extensions(id_token) {
            return Err(Refusal::InvalidToken);
        }
        let header = jsonwebtoken::decode_header(id_token).map_err(|_| Refusal::InvalidToken)?;
        if header.alg != Algorithm::RS256 {
            return Err(Refusal::InvalidToken);
        }
        let key = self
            .jwks
            .key(header.kid.as_deref(), Algorithm::RS256)
            .await
            .map_err(|e| match e {
                JwksError::Unavailable(_) => Refusal::ProviderUnavailable,
                JwksError::UnknownKey(_) => Refusal::UnknownKey,
            })?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&ISSUERS);
        validation.set_audience(&[&self.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        let claims = jsonwebtoken::decode::<IdClaims>(id_token, &key, &validation)
            .map_err(|e| refusal_of(e.kind()))?
            .claims;
        if !claims.aud.is_string() {
            return Err(Refusal::WrongAudience);
        }
        if claims.nonce.as_deref() != Some(nonce) {
            return Err(Refusal::WrongNonce);
        }
        let subject = ExternalSubject::parse(&claims.sub).map_err(|_| Refusal::InvalidToken)?;
        let email = claims
            .email
            .as_deref()
            .and_then(|e| Email::parse(e).ok())
            .ok_or(Refusal::MissingEmail)?;
        Ok(Arrival {
            provider: Provider::Google,
            subject,
            email,
            email_verified: claims.email_verified,
            name: claims.name,
        })
    }
}

/// 32 random bytes, base64url.
fn random() -> Result<String, SignInError> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Refusal::ProviderUnavailable)?;
    Ok(base64url(&bytes))
}

fn base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What a flow is kept by: a digest of its `state` and the starting browser's binding, so
/// the table holds nothing that finishes a flow, and only that browser can.
fn flow_key(state: &str, binding: &str) -> String {
    let input = format!("{state}.{binding}");
    let digest = ring::digest::digest(&ring::digest::SHA256, input.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Where to send the browser to sign in with Google, returning to `return_to` afterwards.
pub async fn start_sign_in(
    state: &AppState,
    return_to: Option<&ReturnTo>,
) -> Result<Started, SignInError> {
    let google = state
        .sign_in
        .google
        .as_ref()
        .ok_or(Refusal::NotConfigured)?;
    google.start(&state.db, return_to, None).await
}

/// Where to send the browser of signed-in `user` to link their Google account.
pub async fn start_link(state: &AppState, user: UserId) -> Result<Started, SignInError> {
    let google = state
        .sign_in
        .google
        .as_ref()
        .ok_or(Refusal::NotConfigured)?;
    google.start(&state.db, None, Some(user)).await
}

/// What a callback did.
pub enum Done {
    SignedIn {
        session: Box<Session>,
        return_to: Option<String>,
    },
    Linked,
}

/// A callback refused; `linking` when it was a link started from the account page (the
/// refusal is shown there).
pub struct Failed {
    pub error: SignInError,
    pub linking: bool,
}

/// Finishes the flow `flow_state` names: signs in (finding, linking or making the account
/// as every arrival does) or links Google to the user who started it. Refusals are audited.
#[tracing::instrument(name = "services::sign_in::google_callback", skip_all)]
pub async fn callback(
    state: &AppState,
    flow_state: &str,
    binding: Option<&str>,
    code: Option<&str>,
    provider_error: Option<&str>,
    origin: &Origin,
) -> Result<Done, Failed> {
    let Some(google) = state.sign_in.google.as_ref() else {
        let error = Refusal::NotConfigured.into();
        return Err(Failed {
            error,
            linking: false,
        });
    };
    let finished = match google
        .finish(&state.db, flow_state, binding, code, provider_error)
        .await
    {
        Ok(finished) => finished,
        Err((error, flow)) => {
            if let SignInError::Refused(refusal) = &error {
                super::refused(state, Provider::Google, *refusal, None, origin).await;
            }
            let linking = flow.is_some_and(|f| f.link_user_id.is_some());
            return Err(Failed { error, linking });
        }
    };
    match finished.link_user {
        Some(user) => super::link(state, user, &finished.arrival, origin)
            .await
            .map(|()| Done::Linked)
            .map_err(|error| Failed {
                error,
                linking: true,
            }),
        None => super::arrive(state, &finished.arrival, origin)
            .await
            .map(|(session, _)| Done::SignedIn {
                session: Box::new(session),
                return_to: finished.return_to,
            })
            .map_err(|error| Failed {
                error,
                linking: false,
            }),
    }
}
