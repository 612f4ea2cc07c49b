//! Linking Google from the account page, and flows that finish only in the browser that
//! started them.

use penora_fake_idp::{keys, FakeIdp, Grant};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{location, refresh_cookie, refusal_of};
use crate::sign_in_google::{
    approve, callback, id_claims, signed_in, spawn_google_app, start, start_link, CLIENT_ID,
    CLIENT_SECRET,
};

#[tokio::test]
async fn a_signed_in_user_links_google_from_the_account_page() {
    let idp = FakeIdp::start().await;
    let app = spawn_google_app(&idp).await;
    let owner = app.signed_up_user("owner@example.com").await;
    let flow = start_link(&app, &owner.access_token).await;
    // Google's address differs and is unverified: linking does not go by the address.
    let mut claims = id_claims(&flow, "555", "owner.personal@example.com");
    claims["email_verified"] = json!(false);
    let response = approve(&app, &idp, &flow, keys::rs256(&claims, Some("rsa-1"))).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).ends_with("/account?linked=google"));
    assert!(
        refresh_cookie(response.headers()).is_none(),
        "linking signs nobody in"
    );
    let methods: Value = app
        .get_authed("/api/v1/me/sign-in-methods", &owner.access_token)
        .await
        .json()
        .await
        .unwrap();
    let google = methods["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["method"] == "google")
        .cloned()
        .expect("google listed");
    assert_eq!(google["subject"], "555");
    let linked = app
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.identity_linked'")
        .await;
    assert_eq!(linked, 1);

    // That Google account is now the owner's: another user cannot link it.
    let other = app.signed_up_user("other@example.com").await;
    let flow = start_link(&app, &other.access_token).await;
    let claims = id_claims(&flow, "555", "owner.personal@example.com");
    let response = approve(&app, &idp, &flow, keys::rs256(&claims, Some("rsa-1"))).await;
    assert!(
        location(&response).ends_with("/account?error=identity_linked_elsewhere"),
        "{}",
        location(&response)
    );
    // And signing in with it finds the owner.
    let flow = start(&app).await;
    let claims = id_claims(&flow, "555", "owner.personal@example.com");
    let session = signed_in(
        &app,
        approve(&app, &idp, &flow, keys::rs256(&claims, Some("rsa-1"))).await,
    )
    .await;
    assert_eq!(session.body["user"]["id"], owner.body["user"]["id"]);
}

#[tokio::test]
async fn a_flow_finishes_only_in_the_browser_that_started_it() {
    // An attacker starts a link to their own account and sends the Google URL to a victim:
    // the victim's browser, without the attacker's flow cookie, links nothing and signs
    // nobody in. Likewise a forwarded sign-in.
    let idp = FakeIdp::start().await;
    let app = spawn_google_app(&idp).await;
    let attacker = app.signed_up_user("attacker@example.com").await;
    for flow in [
        start_link(&app, &attacker.access_token).await,
        start(&app).await,
    ] {
        let code = format!("code-{}", uuid::Uuid::new_v4());
        let claims = id_claims(&flow, "victim-sub", "victim@example.com");
        idp.grant(
            &code,
            Grant {
                client_id: CLIENT_ID.to_owned(),
                client_secret: CLIENT_SECRET.to_owned(),
                redirect_uri: flow.redirect_uri.clone(),
                code_challenge: flow.challenge.clone(),
                id_token: keys::rs256(&claims, Some("rsa-1")),
            },
        );
        let elsewhere = callback(&app, &flow.state, &code, Some("another-browser")).await;
        assert_eq!(refusal_of(&elsewhere), "invalid_state");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM identities").await, 0);
    assert_eq!(idp.count("token"), 0, "no code was exchanged");
}
