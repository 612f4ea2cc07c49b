//! A provider key is checked with its provider before it is stored: a refused key, or one
//! the provider could not be asked about, is not stored.

use reqwest::StatusCode;

use crate::helpers::{assert_problem, spawn_app};
use crate::provider_keys::{set_key, KEY};

#[tokio::test]
async fn a_key_the_provider_refuses_is_not_stored() {
    // The test servers' providers are a local fake that refuses keys containing "refused".
    let app = spawn_app().await;
    let token = app
        .signed_up_user("refused-key@example.com")
        .await
        .access_token;
    for provider in ["deepinfra", "openrouter", "anthropic", "gemini"] {
        let refused = set_key(&app, &token, provider, "my-refused-key-0000").await;
        let problem = assert_problem(
            refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "key", "{provider}");
        assert_eq!(problem["errors"][0]["code"], "key_refused", "{provider}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM provider_keys").await, 0);
    let taken = set_key(&app, &token, "anthropic", "my-good-key-0000").await;
    assert_eq!(taken.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_key_that_cannot_be_checked_is_not_stored() {
    // Nothing listens on port 9: the provider cannot be asked.
    let app = crate::helpers::spawn_app_with(|s| {
        s.providers.insert(
            "OPENAI_BASE_URL".to_owned(),
            "http://127.0.0.1:9/v1".to_owned(),
        );
    })
    .await;
    let token = app
        .signed_up_user("unchecked-key@example.com")
        .await
        .access_token;
    let unchecked = set_key(&app, &token, "openai", KEY).await;
    assert_problem(
        unchecked,
        StatusCode::SERVICE_UNAVAILABLE,
        "provider_key_unchecked",
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM provider_keys").await, 0);
}
