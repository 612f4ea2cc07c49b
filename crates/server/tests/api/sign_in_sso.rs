//! Single sign-on from the main site, against the test issuer: arrivals that create, find,
//! link or take over an account, every refusal (each leaves nothing behind), and where a
//! sign-in may return to.

use penora_fake_idp::keys;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    location, refresh_cookie, refusal_of, spawn_app, spawn_sso_app, sso_claims, sso_token, TestApp,
    PASSWORD, SSO_ISSUER,
};

const WELCOME_MC: i64 = 50_000;

pub(crate) async fn users(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM users").await
}

async fn identities(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM identities").await
}

async fn balance(app: &TestApp, token: &str) -> i64 {
    let body: Value = app
        .get_authed("/api/v1/credits/balance", token)
        .await
        .json()
        .await
        .unwrap();
    body["balance_mc"].as_i64().unwrap()
}

#[tokio::test]
async fn a_first_arrival_makes_an_account_with_the_welcome_bonus_and_signs_it_in() {
    let app = spawn_sso_app(None).await;
    // The old app stored SSO ids in an integer column and overflowed: a 40-digit id is text.
    let sub = "1".repeat(40);
    let session = app
        .sso_session(&sso_token(&sso_claims(&sub, "asha@example.com")))
        .await;
    assert_eq!(session.body["user"]["email"], "asha@example.com");
    assert_eq!(session.body["user"]["display_name"], "Asha Rao");
    assert_eq!(session.body["user"]["email_verified"], true);
    assert_eq!(balance(&app, &session.access_token).await, WELCOME_MC);
    let subject = app
        .count(&format!(
            "SELECT COUNT(*) FROM identities WHERE provider = 'sukusuku' AND subject = '{sub}'"
        ))
        .await;
    assert_eq!(subject, 1);
    // No password: the password sign-in finds nothing to match.
    let login = app.login("asha@example.com", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);

    // Arriving again (a new token) is the same account, without a second bonus.
    let again = app
        .sso_session(&sso_token(&sso_claims(&sub, "asha@example.com")))
        .await;
    assert_eq!(again.body["user"]["id"], session.body["user"]["id"]);
    assert_eq!(balance(&app, &again.access_token).await, WELCOME_MC);
    assert_eq!((users(&app).await, identities(&app).await), (1, 1));
    let arrivals = app
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.sign_in_arrival'")
        .await;
    assert_eq!(arrivals, 2);
}

#[tokio::test]
async fn a_verified_address_links_the_existing_account_and_an_unverified_one_is_refused() {
    let app = spawn_sso_app(None).await;
    let existing = app.verified_user("ravi@example.com").await;

    let mut unverified = sso_claims("42", "ravi@example.com");
    unverified["email_verified"] = json!(false);
    let refused = app.sso_post(&sso_token(&unverified), None).await;
    assert_eq!(refusal_of(&refused), "unverified_email");
    assert_eq!((users(&app).await, identities(&app).await), (1, 0));

    let linked = app
        .sso_session(&sso_token(&sso_claims("42", "ravi@example.com")))
        .await;
    assert_eq!(linked.body["user"]["id"], existing.body["user"]["id"]);
    assert_eq!((users(&app).await, identities(&app).await), (1, 1));
    // The password still signs in too, and the bonus was not paid twice.
    let login = app.login("ravi@example.com", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    assert_eq!(balance(&app, &linked.access_token).await, WELCOME_MC);
}

#[tokio::test]
async fn an_unverified_address_makes_no_account_that_would_squat_it() {
    // Someone whose main-site address is unverified could otherwise take an address that is
    // not theirs, and lock its owner out of both sign-up and their own hand-off.
    let app = spawn_sso_app(None).await;
    let mut claims = sso_claims("7", "new@example.com");
    claims["email_verified"] = json!(false);
    let refused = app.sso_post(&sso_token(&claims), None).await;
    assert_eq!(refusal_of(&refused), "unverified_email");
    assert_eq!((users(&app).await, identities(&app).await), (0, 0));
    app.sso_session(&sso_token(&sso_claims("8", "new@example.com")))
        .await;
}

#[tokio::test]
async fn the_verified_owner_takes_over_an_account_nobody_verified_and_shuts_its_maker_out() {
    // Account pre-hijacking: someone signs up with another person's address and a password
    // of their own, and waits for the owner to arrive from the main site.
    let app = spawn_sso_app(None).await;
    let squatter = app.signed_up_user("owner@example.com").await;
    let key: Value = app
        .post_authed(
            "/api/v1/api-keys",
            &squatter.access_token,
            &json!({ "name": "kept" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let owner = app
        .sso_session(&sso_token(&sso_claims("real-owner", "owner@example.com")))
        .await;
    assert_eq!(owner.body["user"]["id"], squatter.body["user"]["id"]);
    assert_eq!(owner.body["user"]["email_verified"], true);
    // The squatter's password, session, refresh token and API key no longer work.
    let login = app.login("owner@example.com", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
    let me = app.get_authed("/api/v1/me", &squatter.access_token).await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    let refreshed = app.refresh(&squatter.refresh_token).await;
    assert_eq!(refreshed.status(), StatusCode::UNAUTHORIZED);
    let with_key = app
        .get_authed("/api/v1/me", key["secret"].as_str().unwrap())
        .await;
    assert_eq!(with_key.status(), StatusCode::UNAUTHORIZED);
    let me = app.get_authed("/api/v1/me", &owner.access_token).await;
    assert_eq!(me.status(), StatusCode::OK);
}

/// `claims` changed by `change`, signed HS256.
fn with(change: impl FnOnce(&mut Value)) -> String {
    let mut claims = sso_claims("99", "mallory@example.com");
    change(&mut claims);
    sso_token(&claims)
}

#[tokio::test]
async fn bad_tokens_are_refused_with_their_reason_and_leave_nothing() {
    let app = spawn_sso_app(None).await;
    let now = chrono::Utc::now().timestamp();
    let genuine = sso_token(&sso_claims("99", "mallory@example.com"));
    let tampered = {
        // Same signature, another subject.
        let parts: Vec<&str> = genuine.split('.').collect();
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut payload: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        payload["sub"] = json!("1");
        format!(
            "{}.{}.{}",
            parts[0],
            b64.encode(payload.to_string()),
            parts[2]
        )
    };
    let cases = [
        (
            "expired",
            with(|c| c["exp"] = json!(now - 120)),
            "token_expired",
        ),
        (
            "not yet valid",
            with(|c| c["nbf"] = json!(now + 600)),
            "token_not_yet_valid",
        ),
        (
            "issued too long ago",
            with(|c| c["iat"] = json!(now - 3_600)),
            "token_too_old",
        ),
        (
            "issued in the future",
            with(|c| c["iat"] = json!(now + 600)),
            "token_not_yet_valid",
        ),
        (
            "no iat",
            with(|c| c.as_object_mut().unwrap().remove("iat").map(drop).unwrap()),
            "invalid_token",
        ),
        (
            "no jti",
            with(|c| c.as_object_mut().unwrap().remove("jti").map(drop).unwrap()),
            "invalid_token",
        ),
        (
            "wrong issuer",
            with(|c| c["iss"] = json!("https://evil.example")),
            "wrong_issuer",
        ),
        (
            "for ImageGene",
            with(|c| c["aud"] = json!("imagegene")),
            "wrong_audience",
        ),
        (
            "no email",
            with(|c| {
                c.as_object_mut()
                    .unwrap()
                    .remove("email")
                    .map(drop)
                    .unwrap()
            }),
            "missing_email",
        ),
        (
            "not an email",
            with(|c| c["email"] = json!("not-an-address")),
            "missing_email",
        ),
        (
            "blank subject",
            with(|c| c["sub"] = json!(" ")),
            "invalid_token",
        ),
        (
            "another secret",
            keys::hs256(
                &sso_claims("99", "m@example.com"),
                b"another-secret-0123456789-0123456789",
            ),
            "invalid_token",
        ),
        (
            "alg none",
            keys::unsigned(&sso_claims("99", "m@example.com")),
            "invalid_token",
        ),
        // HS/RS confusion: the RSA public key used as the HS256 secret.
        (
            "HS256 with the public key",
            keys::hs256(
                &sso_claims("99", "m@example.com"),
                keys::RSA_PUBLIC.as_bytes(),
            ),
            "invalid_token",
        ),
        // Without a configured JWK set, no RS256 token is accepted at all.
        (
            "RS256 without a key set",
            keys::rs256(&sso_claims("99", "m@example.com"), Some("rsa-1")),
            "invalid_token",
        ),
        ("tampered", tampered, "invalid_token"),
        ("garbage", "not.a.token".to_owned(), "invalid_token"),
        // One token for both apps would work at each once.
        (
            "two audiences",
            with(|c| c["aud"] = json!(["penora", "imagegene"])),
            "invalid_token",
        ),
        (
            "issuer as a list",
            with(|c| c["iss"] = json!([SSO_ISSUER])),
            "invalid_token",
        ),
        ("critical header", crit_token(), "invalid_token"),
        ("empty", String::new(), "missing_token"),
    ];
    for (what, token, code) in cases {
        let response = app.sso_post(&token, Some("/write")).await;
        assert_eq!(refusal_of(&response), code, "{what}");
    }
    assert_eq!((users(&app).await, identities(&app).await), (0, 0));
    let refusals = app
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.sign_in_refused'")
        .await;
    assert!(refusals >= 21, "every refusal is audited: {refusals}");
    // The genuine one still works: nothing above used up its jti.
    app.sso_session(&genuine).await;
}

/// A token whose header names a critical extension nobody here understands.
fn crit_token() -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(r#"{"alg":"HS256","typ":"JWT","crit":["exp-v2"],"exp-v2":1}"#);
    let claims = b64.encode(sso_claims("99", "m@example.com").to_string());
    let input = format!("{header}.{claims}");
    let key = ring::hmac::Key::new(
        ring::hmac::HMAC_SHA256,
        crate::helpers::SSO_SECRET.as_bytes(),
    );
    let tag = b64.encode(ring::hmac::sign(&key, input.as_bytes()).as_ref());
    format!("{input}.{tag}")
}

#[tokio::test]
async fn a_sign_in_returns_only_to_the_app_or_an_allowed_origin() {
    let app = spawn_sso_app(None).await;
    let home = format!(
        "{}/",
        app.state.config.settings.public_url.trim_end_matches('/')
    );
    for (return_to, expected) in [
        ("/projects?tab=1", format!("{}projects?tab=1", home)),
        ("https://evil.example/steal", home.clone()),
        ("//evil.example", home.clone()),
        ("/\\evil.example", home.clone()),
        ("javascript:alert(1)", home.clone()),
    ] {
        let token = sso_token(&sso_claims("r", "return@example.com"));
        let response = app.sso_post(&token, Some(return_to)).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), expected, "{return_to}");
    }
}

#[tokio::test]
async fn a_link_works_like_the_form_and_a_user_id_in_the_url_signs_nobody_in() {
    let app = spawn_sso_app(None).await;
    let victim = app.signed_up_user("victim@example.com").await;
    let id = victim.body["user"]["id"].as_str().unwrap().to_owned();
    for path in [
        format!("/api/v1/auth/sso?user_id={id}"),
        format!("/api/v1/auth/sso?sub={id}&email=victim@example.com"),
    ] {
        let response = app.get(&path).await;
        assert_eq!(refusal_of(&response), "missing_token", "{path}");
    }
    let token = sso_token(&sso_claims("link", "link@example.com"));
    let response = app
        .get(&format!("/api/v1/auth/sso?token={token}&return_to=/write"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).ends_with("/write"));
    assert!(refresh_cookie(response.headers()).is_some());
}

#[tokio::test]
async fn without_single_sign_on_set_up_the_hand_off_explains_and_providers_say_so() {
    let app = spawn_app().await;
    let token = sso_token(&sso_claims("n", "n@example.com"));
    let response = app.sso_post(&token, None).await;
    assert_eq!(refusal_of(&response), "sso_not_configured");
    let providers: Value = app
        .get("/api/v1/auth/providers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        providers,
        json!({ "password": true, "sso": false, "google": false })
    );
    let sso = spawn_sso_app(None).await;
    let providers: Value = sso
        .get("/api/v1/auth/providers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(providers["sso"], true);
}
