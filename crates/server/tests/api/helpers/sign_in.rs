//! Single sign-on: a server that trusts the test issuer (HS256 secret, and the fake identity
//! provider's JWK set when given), tokens as the main site makes them, and the hand-off.

use penora_fake_idp::FakeIdp;
use reqwest::header::LOCATION;
use reqwest::{Response, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};

use super::{refresh_cookie, spawn_app_with, Session, TestApp};

pub const SSO_ISSUER: &str = "https://sukusuku.test";
pub const SSO_SECRET: &str = "sso-test-secret-0123456789-abcdefghijklmnop";

/// A server with single sign-on from [`SSO_ISSUER`]: HS256 with [`SSO_SECRET`], and RS256 /
/// ES256 with `idp`'s keys when given.
pub async fn spawn_sso_app(idp: Option<&FakeIdp>) -> TestApp {
    let jwks_url = idp.map(FakeIdp::jwks_url);
    spawn_app_with(move |s| {
        s.sign_in.sukusuku_sso_issuer = Some(SSO_ISSUER.to_owned());
        s.sign_in.sukusuku_sso_secret = Some(SecretString::from(SSO_SECRET.to_owned()));
        s.sign_in.sukusuku_sso_jwks_url = jwks_url;
        s.sign_in.jwks_refresh_min_interval_ms = 0;
    })
    .await
}

/// The claims of a fresh token for `sub` / `email` (verified), meant for Penora.
pub fn sso_claims(sub: &str, email: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": SSO_ISSUER, "aud": "penora", "sub": sub, "email": email,
        "email_verified": true, "name": "Asha Rao",
        "iat": now, "nbf": now, "exp": now + 300, "jti": uuid::Uuid::new_v4().to_string(),
    })
}

/// `claims` signed HS256 with [`SSO_SECRET`].
pub fn sso_token(claims: &Value) -> String {
    penora_fake_idp::keys::hs256(claims, SSO_SECRET.as_bytes())
}

impl TestApp {
    /// The main site's form post of `token`.
    pub async fn sso_post(&self, token: &str, return_to: Option<&str>) -> Response {
        let mut form = vec![("token", token)];
        form.extend(return_to.map(|r| ("return_to", r)));
        self.client
            .post(self.url("/api/v1/auth/sso"))
            .form(&form)
            .send()
            .await
            .expect("request")
    }

    /// Hands `token` off and follows the browser: the session the refresh cookie opens.
    pub async fn sso_session(&self, token: &str) -> Session {
        let response = self.sso_post(token, Some("/write")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = location(&response);
        assert!(location.ends_with("/write"), "{location}");
        let cookie = refresh_cookie(response.headers()).expect("the refresh cookie");
        let refreshed = self.refresh(&cookie).await;
        assert_eq!(refreshed.status(), StatusCode::OK);
        Session::from_response(refreshed).await
    }
}

/// A redirect's `Location`.
pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("a Location")
        .to_owned()
}

/// The refusal code a redirect to the app's `/sso` page carries.
pub fn refusal_of(response: &Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        refresh_cookie(response.headers()).is_none(),
        "no session on a refusal"
    );
    let location = location(response);
    location
        .split_once("/sso?error=")
        .map(|(_, code)| code.to_owned())
        .unwrap_or_else(|| panic!("not a refusal: {location}"))
}
