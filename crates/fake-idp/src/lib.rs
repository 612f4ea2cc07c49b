//! A fake identity provider on a local port, for tests: it publishes a JWK set (the
//! committed test keys, replaceable, or down with a 503), and stands in for Google's token
//! endpoint (codes registered by the test, PKCE checked). [`keys`] signs tokens with the
//! committed test keys.

// A test fake: a port it cannot bind or a key it cannot read is a broken test setup.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

pub mod keys;

/// A code the token endpoint will exchange once.
#[derive(Debug, Clone)]
pub struct Grant {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    /// The PKCE `code_challenge` (S256) sent to the authorization endpoint.
    pub code_challenge: String,
    /// What the token endpoint answers with as `id_token`.
    pub id_token: String,
}

#[derive(Default)]
struct State {
    jwks: Value,
    down: bool,
    grants: HashMap<String, Grant>,
    counts: HashMap<&'static str, usize>,
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub struct FakeIdp {
    /// "http://127.0.0.1:PORT".
    pub url: String,
    state: Shared,
    handle: ServerHandle,
}

impl FakeIdp {
    /// Starts on a free port, publishing [`keys::JWKS`].
    pub async fn start() -> Self {
        let state: Shared = Arc::new(Mutex::new(State {
            jwks: serde_json::from_str(keys::JWKS).expect("the committed JWK set is JSON"),
            ..State::default()
        }));
        let shared = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(shared.clone()))
                .route("/jwks", web::get().to(jwks))
                .route("/token", web::post().to(token))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .expect("a free port");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}"),
            state,
            handle,
        }
    }

    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.url)
    }

    pub fn token_url(&self) -> String {
        format!("{}/token", self.url)
    }

    /// Publishes `jwks` from now on.
    pub fn set_jwks(&self, jwks: &str) {
        lock(&self.state).jwks = serde_json::from_str(jwks).expect("a JWK set");
    }

    /// Every endpoint answers 503 while down.
    pub fn set_down(&self, down: bool) {
        lock(&self.state).down = down;
    }

    /// Registers `code` for the token endpoint to exchange once.
    pub fn grant(&self, code: &str, grant: Grant) {
        lock(&self.state).grants.insert(code.to_owned(), grant);
    }

    /// How many requests `route` ("jwks", "token") has had.
    pub fn count(&self, route: &'static str) -> usize {
        lock(&self.state).counts.get(route).copied().unwrap_or(0)
    }
}

impl Drop for FakeIdp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}

async fn jwks(state: web::Data<Shared>) -> HttpResponse {
    let mut state = lock(&state);
    *state.counts.entry("jwks").or_default() += 1;
    if state.down {
        return HttpResponse::ServiceUnavailable().finish();
    }
    HttpResponse::Ok().json(state.jwks.clone())
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
    code: String,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    code_verifier: String,
}

/// Google's token endpoint, as far as a web server's code exchange goes.
async fn token(state: web::Data<Shared>, form: web::Form<TokenForm>) -> HttpResponse {
    let mut state = lock(&state);
    *state.counts.entry("token").or_default() += 1;
    if state.down {
        return HttpResponse::ServiceUnavailable().finish();
    }
    let invalid = |what: &str| {
        HttpResponse::BadRequest()
            .json(json!({ "error": "invalid_grant", "error_description": what }))
    };
    if form.grant_type != "authorization_code" {
        return invalid("grant_type");
    }
    let Some(grant) = state.grants.remove(&form.code) else {
        return invalid("unknown or used code");
    };
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        form.code_verifier.as_bytes(),
    ));
    if form.client_id != grant.client_id || form.client_secret != grant.client_secret {
        return HttpResponse::Unauthorized().json(json!({ "error": "invalid_client" }));
    }
    if form.redirect_uri != grant.redirect_uri {
        return invalid("redirect_uri");
    }
    if challenge != grant.code_challenge {
        return invalid("code_verifier");
    }
    HttpResponse::Ok().json(json!({
        "access_token": "fake-access-token",
        "expires_in": 3599,
        "token_type": "Bearer",
        "scope": "openid email profile",
        "id_token": grant.id_token,
    }))
}
