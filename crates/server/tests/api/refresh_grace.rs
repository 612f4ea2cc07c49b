//! Concurrent refreshes with one refresh token (two tabs, or two calls after an idle
//! access token) share one successor; a reuse after the grace is still theft.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{assert_problem, refresh_cookie, spawn_app, spawn_app_with, Session};

#[tokio::test]
async fn concurrent_refreshes_with_one_token_get_the_same_successor() {
    let app = spawn_app().await;
    let session = app.signed_up_user("two-tabs@example.com").await;
    let (a, b) = tokio::join!(
        app.refresh(&session.refresh_token),
        app.refresh(&session.refresh_token)
    );
    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(b.status(), StatusCode::OK);
    let (a, b) = (
        refresh_cookie(a.headers()).unwrap(),
        refresh_cookie(b.headers()).unwrap(),
    );
    assert_eq!(a, b, "both tabs hold the same successor");
    assert_ne!(a, session.refresh_token);

    // A third, late tab within the grace gets it too; the family lives on.
    let late = app.refresh(&session.refresh_token).await;
    assert_eq!(late.status(), StatusCode::OK);
    assert_eq!(refresh_cookie(late.headers()).unwrap(), a);
    let next = Session::from_response(app.refresh(&a).await).await;
    assert_eq!(
        app.get_authed("/api/v1/me", &next.access_token)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.refresh_token_reused'")
            .await,
        0
    );
}

#[tokio::test]
async fn reuse_after_the_grace_revokes_the_family() {
    let app = spawn_app_with(|s| s.refresh_reuse_grace_ms = 50).await;
    let session = app.signed_up_user("late-replay@example.com").await;
    let rotated = Session::from_response(app.refresh(&session.refresh_token).await).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    assert_problem(
        app.refresh(&session.refresh_token).await,
        StatusCode::UNAUTHORIZED,
        "refresh_token_reused",
    )
    .await;
    assert_problem(
        app.refresh(&rotated.refresh_token).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
}

/// A refresh racing "sign out everywhere" never leaves a live token behind: on PostgreSQL
/// the refresh read the account and wrote its successor while the sign-out waited on the
/// old token, whose revocation then missed the new one.
#[tokio::test]
async fn a_refresh_racing_logout_everywhere_leaves_no_live_token() {
    let app = spawn_app().await;
    let body = serde_json::json!({});
    for round in 0..30 {
        let session = app
            .signed_up_user(&format!("race{round}@example.com"))
            .await;
        let (refreshed, _) = tokio::join!(
            app.refresh(&session.refresh_token),
            app.post_authed("/api/v1/auth/logout-all", &session.access_token, &body)
        );
        if let Some(next) = refresh_cookie(refreshed.headers()) {
            let again = app.refresh(&next).await;
            assert_eq!(again.status(), StatusCode::UNAUTHORIZED, "round {round}");
        }
    }
}
