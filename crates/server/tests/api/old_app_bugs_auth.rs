//! The old app's authentication bugs (PRODUCT.md, "Bugs of the old app that must be
//! impossible here"): each bug's tests are named for it, one behaviour each.

use penora_app::auth::jwt::JwtKeys;
use penora_app::config::{Config, ConfigError, Environment, Settings};
use penora_domain::{Role, UserId};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, spawn_app, spawn_app_with, Session, TestApp, TEST_JWT_SECRET,
};
use crate::old_app_bugs::balance_of;

/// Secrets that tutorials, templates and leaked sources use.
const WELL_KNOWN_SECRETS: &[&str] = &[
    "secret",
    "changeme",
    "change-me",
    "your-secret-key",
    "jwt_secret",
    "jwt-secret",
    "supersecret",
    "penora",
    "default",
    "",
];

// ---------------------------------------------------------------------------------------
// "A hard-coded JWT secret in the source"
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_hard_coded_jwt_secret_cannot_be_used_production_needs_a_strong_one() {
    // Production refuses to start without a secret or with a well-known one.
    let production = |secret: Option<&str>| {
        Config::resolve(Settings {
            env: Environment::Production,
            jwt_secret_key: secret.map(|s| SecretString::from(s.to_owned())),
            encryption_key: Some(SecretString::from("e".repeat(48))),
            data_dir: std::env::temp_dir().join("penora-never-written"),
            ..Settings::default()
        })
    };
    assert!(matches!(
        production(None),
        Err(ConfigError::MissingSecret {
            name: "JWT_SECRET_KEY"
        })
    ));
    for secret in WELL_KNOWN_SECRETS {
        assert!(
            matches!(
                production(Some(secret)),
                Err(ConfigError::WeakSecret { .. })
            ),
            "{secret:?}"
        );
    }
}

/// An app, and a token for its user "victim" as admin signed with its own secret (which
/// works) together with a function signing the same claims with another secret.
async fn victim_token() -> (TestApp, String, impl Fn(&str) -> String) {
    let app = spawn_app().await;
    let victim = app.signed_up_user("victim@example.com").await;
    let id = UserId::parse(&app.user_id(&victim).await).unwrap();
    let epoch = app
        .count("SELECT CAST(session_epoch AS BIGINT) FROM users WHERE email = 'victim@example.com'")
        .await;
    let forge = move |secret: &str| {
        JwtKeys::new(&SecretString::from(secret.to_owned()), 900)
            .issue(id, Role::Admin, epoch, 0)
            .unwrap()
    };
    let genuine = forge(TEST_JWT_SECRET);
    assert_eq!(
        app.get_authed("/api/v1/me", &genuine).await.status(),
        StatusCode::OK
    );
    (app, genuine, forge)
}

/// A running server rejects tokens signed with any well-known secret, even for a real user
/// with the right claims; the same claims signed with its own secret work.
#[tokio::test]
async fn a_hard_coded_jwt_secret_cannot_be_used_to_sign_a_token() {
    let (app, _genuine, forge) = victim_token().await;
    for secret in WELL_KNOWN_SECRETS {
        let forged = forge(secret);
        for path in ["/api/v1/me", "/api/v1/admin/users"] {
            let response = app.get_authed(path, &forged).await;
            assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        }
    }
}

/// An unsigned token (`alg: none`) is no token either.
#[tokio::test]
async fn a_hard_coded_jwt_secret_cannot_be_used_nor_no_signature_at_all() {
    let (app, genuine, _forge) = victim_token().await;
    let unsigned = {
        use base64::Engine;
        let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let claims: Value = serde_json::from_str(
            &String::from_utf8(
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(genuine.split('.').nth(1).unwrap())
                    .unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
        format!(
            "{}.{}.",
            b64(json!({ "alg": "none", "typ": "JWT" })),
            b64(claims)
        )
    };
    let response = app.get_authed("/api/v1/me", &unsigned).await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

/// Without a configured secret (development), each installation makes its own: two servers
/// on one database do not accept each other's tokens.
#[tokio::test]
async fn a_hard_coded_jwt_secret_cannot_be_used_each_installation_makes_its_own() {
    let first = spawn_app_with(|s| s.jwt_secret_key = None).await;
    let second = first.another_server_with(|s| s.jwt_secret_key = None).await;
    let session = first.signed_up_user("dev@example.com").await;
    assert_eq!(
        first
            .get_authed("/api/v1/me", &session.access_token)
            .await
            .status(),
        StatusCode::OK
    );
    let elsewhere = second.get_authed("/api/v1/me", &session.access_token).await;
    assert_problem(elsewhere, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

// ---------------------------------------------------------------------------------------
// "Authentication by a user id in the URL"
// ---------------------------------------------------------------------------------------

/// An app, the user "victim" (with a private project; their session and id) and the user
/// "attacker".
async fn victim_and_attacker() -> (TestApp, Session, String, Session) {
    let app = spawn_app().await;
    let victim = app.signed_up_user("victim@example.com").await;
    let victim_id = app.user_id(&victim).await;
    app.create_project(&victim.access_token, &json!({ "title": "Private diary" }))
        .await;
    let attacker = app.signed_up_user("attacker@example.com").await;
    (app, victim, victim_id, attacker)
}

#[tokio::test]
async fn authentication_by_a_user_id_in_the_url_cannot_happen_app_routes_need_an_app_key() {
    let (app, victim, victim_id, attacker) = victim_and_attacker().await;
    let personal: Value = app
        .post_authed_json(
            "/api/v1/api-keys",
            &victim.access_token,
            &json!({ "name": "mine", "scopes": ["generate", "read", "write"] }),
        )
        .await;
    let personal = personal["secret"].as_str().unwrap().to_owned();
    let refunds_body = json!({ "debit_id": uuid::Uuid::new_v4(), "amount_mc": 1 });
    let endpoints = [
        (Method::GET, "balance", None),
        (Method::POST, "debits", Some(json!({ "amount_mc": 1_000 }))),
        (Method::POST, "refunds", Some(refunds_body)),
        (Method::GET, "quota", None),
        (Method::GET, "projects", None),
    ];
    let call = |method: Method, path: String, token: Option<String>, body: Option<Value>| {
        let mut request = app
            .client
            .request(method, app.url(&path))
            .header("idempotency-key", uuid::Uuid::new_v4().to_string());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { request.send().await.unwrap() }
    };
    for (method, tail, body) in &endpoints {
        let path = format!("/api/v1/apps/users/{victim_id}/{tail}");
        // Knowing the id is not enough.
        let anonymous = call(method.clone(), path.clone(), None, body.clone()).await;
        assert_problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
        // Nor is being that very user: these endpoints are for app keys only.
        for token in [&victim.access_token, &personal, &attacker.access_token] {
            let response = call(
                method.clone(),
                path.clone(),
                Some(token.clone()),
                body.clone(),
            )
            .await;
            assert_problem(response, StatusCode::FORBIDDEN, "app_key_required").await;
        }
        // A made-up app key is no key.
        let forged = call(
            method.clone(),
            path.clone(),
            Some("ak_live_0123456789abcdef".to_owned()),
            body.clone(),
        )
        .await;
        assert_problem(forged, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    // The victim's account is untouched.
    assert_eq!(balance_of(&app, &victim.access_token).await, 50_000);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind <> 'welcome'")
            .await,
        0
    );
}

#[tokio::test]
async fn authentication_by_a_user_id_in_the_url_cannot_happen_a_user_id_query_grants_nothing() {
    let (app, _victim, victim_id, attacker) = victim_and_attacker().await;
    // `?user_id=` grants nothing: without credentials it is refused, with the attacker's
    // own it answers about the attacker.
    let query = format!("?user_id={victim_id}");
    for path in ["/api/v1/me", "/api/v1/credits/balance", "/api/v1/projects"] {
        let anonymous = app.get(&format!("{path}{query}")).await;
        assert_problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let me: Value = app
        .get_json(&format!("/api/v1/me{query}"), &attacker.access_token)
        .await;
    assert_eq!(me["email"], "attacker@example.com", "{me}");
    let projects: Value = app
        .get_json(&format!("/api/v1/projects{query}"), &attacker.access_token)
        .await;
    assert_eq!(projects["items"], json!([]), "{projects}");
}
