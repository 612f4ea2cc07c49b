//! Single sign-on tokens over time and across servers: a token works once (on any replica,
//! at the same moment, whatever its `exp`), key sets are fetched sparingly and their keys
//! checked, and a hand-off that cannot be read is explained.

use penora_fake_idp::{keys, FakeIdp};
use reqwest::StatusCode;

use crate::helpers::{
    assert_problem, refresh_cookie, refusal_of, spawn_sso_app, sso_claims, sso_token,
};
use crate::sign_in_sso::users;
use serde_json::json;

#[tokio::test]
async fn a_token_stays_used_until_it_is_too_old_whatever_its_exp() {
    let app = spawn_sso_app(None).await;
    let mut claims = sso_claims("far", "far@example.com");
    claims["exp"] = json!(253_402_300_799_i64 * 100);
    let token = sso_token(&claims);
    app.sso_session(&token).await;
    penora_app::sign_in::purge_expired(&app.state)
        .await
        .unwrap();
    assert_eq!(
        refusal_of(&app.sso_post(&token, None).await),
        "token_replayed"
    );
}

#[tokio::test]
async fn a_hand_off_whose_form_cannot_be_read_is_explained_on_the_sso_page() {
    let app = spawn_sso_app(None).await;
    let big = format!("token={}", "a".repeat(20_000));
    for (content_type, body) in [
        ("application/x-www-form-urlencoded", big),
        ("application/json", r#"{"token":"x"}"#.to_owned()),
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/auth/sso"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(refusal_of(&response), "invalid_token", "{content_type}");
    }
}

#[tokio::test]
async fn a_provider_that_is_down_is_asked_at_most_once_per_interval() {
    let idp = FakeIdp::start().await;
    idp.set_down(true);
    let jwks_url = idp.jwks_url();
    let app = crate::helpers::spawn_app_with(move |s| {
        s.sign_in.sukusuku_sso_issuer = Some(crate::helpers::SSO_ISSUER.to_owned());
        s.sign_in.sukusuku_sso_jwks_url = Some(jwks_url);
        s.sign_in.jwks_refresh_min_interval_ms = 60_000;
    })
    .await;
    for n in 0..10 {
        let token = keys::rs256(
            &sso_claims(&format!("d{n}"), "d@example.com"),
            Some("rsa-1"),
        );
        let response = app.sso_post(&token, None).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
    assert_eq!(idp.count("jwks"), 1);
}

#[tokio::test]
async fn a_token_works_once_even_across_servers_and_at_the_same_moment() {
    let app = spawn_sso_app(None).await;
    let sign_in = app.state.config.settings.sign_in.clone();
    let other = app.another_server_with(|s| s.sign_in = sign_in).await;
    let token = sso_token(&sso_claims("5", "once@example.com"));
    app.sso_session(&token).await;
    for server in [&app, &other] {
        let replayed = server.sso_post(&token, None).await;
        assert_eq!(refusal_of(&replayed), "token_replayed");
    }

    // Two replicas handed one token at once: one signs in.
    let token = sso_token(&sso_claims("6", "racing@example.com"));
    let (a, b) = tokio::join!(app.sso_post(&token, None), other.sso_post(&token, None));
    let signed_in = [&a, &b]
        .iter()
        .filter(|r| refresh_cookie(r.headers()).is_some())
        .count();
    assert_eq!(signed_in, 1);
    assert_eq!(users(&app).await, 2);
}

#[tokio::test]
async fn rs256_and_es256_tokens_are_checked_against_the_key_set() {
    let idp = FakeIdp::start().await;
    let app = spawn_sso_app(Some(&idp)).await;
    let rs = keys::rs256(&sso_claims("rs", "rs@example.com"), Some("rsa-1"));
    let es = keys::es256(&sso_claims("es", "es@example.com"), Some("ec-1"));
    app.sso_session(&rs).await;
    app.sso_session(&es).await;
    // The EC key named for an RS256 token, and a key the set does not have.
    let confused = keys::rs256(&sso_claims("x", "x@example.com"), Some("ec-1"));
    assert_eq!(
        refusal_of(&app.sso_post(&confused, None).await),
        "unknown_key"
    );
    let unknown = keys::rs256_other(&sso_claims("y", "y@example.com"), Some("rsa-2"));
    assert_eq!(
        refusal_of(&app.sso_post(&unknown, None).await),
        "unknown_key"
    );
    assert_eq!(users(&app).await, 2);

    // The provider rotates to rsa-2: a token naming it fetches the set again.
    idp.set_jwks(keys::JWKS_ROTATED);
    let rotated = keys::rs256_other(&sso_claims("z", "z@example.com"), Some("rsa-2"));
    app.sso_session(&rotated).await;
}

#[tokio::test]
async fn a_key_set_that_cannot_be_fetched_is_a_clear_503_and_signs_nobody_in() {
    let idp = FakeIdp::start().await;
    idp.set_down(true);
    let app = spawn_sso_app(Some(&idp)).await;
    let token = keys::rs256(&sso_claims("d", "down@example.com"), Some("rsa-1"));
    let response = app.sso_post(&token, None).await;
    assert!(refresh_cookie(response.headers()).is_none());
    let problem = assert_problem(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "identity_provider_unavailable",
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("Try again"));
    assert_eq!(users(&app).await, 0);
    // Back up: the same token (its jti was not used) signs in.
    idp.set_down(false);
    app.sso_session(&token).await;
}
