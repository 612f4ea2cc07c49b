//! The signed-in hint: a cookie scripts may read, set and cleared beside the refresh cookie,
//! so the browser app tries to restore a session only when there may be one (a signed-out
//! visit then sends no request that fails).

use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::spawn_app;

/// The `penora_signed_in` cookie a response sets, as its full `Set-Cookie` text.
fn hint(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("penora_signed_in="))
        .map(str::to_owned)
}

#[tokio::test]
async fn the_hint_follows_the_session_and_holds_no_secret() {
    let app = spawn_app().await;
    let signup = app
        .post_json(
            "/api/v1/auth/signup",
            &json!({"email": "hint@example.com", "password": "correct horse 7"}),
        )
        .await;
    assert_eq!(signup.status(), StatusCode::CREATED);
    let set = hint(signup.headers()).expect("sign-up sets the hint");
    assert!(set.starts_with("penora_signed_in=1;"), "{set}");
    assert!(set.contains("Path=/"), "the app's pages can read it: {set}");
    assert!(!set.contains("HttpOnly"), "scripts read it: {set}");
    let session = crate::helpers::Session::from_response(signup).await;

    let refreshed = app.refresh(&session.refresh_token).await;
    assert!(hint(refreshed.headers()).is_some_and(|c| c.starts_with("penora_signed_in=1;")));
    let session = crate::helpers::Session::from_response(refreshed).await;

    let out = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header(
            "cookie",
            format!("penora_refresh={}", session.refresh_token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let cleared = hint(out.headers()).expect("sign-out clears the hint");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
}
