//! The storage quota: every write checks it, concurrent writes cannot pass it together, and
//! the per-user counter stays exact.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, statuses_together, TestApp};
use crate::workspace_projects::storage_used;

/// An app with a 1,000-byte quota, a user's token and their first project of 600 bytes.
async fn quota_nearly_used() -> (TestApp, String, Value) {
    let app = spawn_app_with(|s| s.storage_quota_bytes = 1_000).await;
    let token = app.signed_up_user("hoarder@example.com").await.access_token;
    let first = app
        .create_project(
            &token,
            &json!({ "title": "0123456789", "chapters": [{ "text": "x".repeat(590) }] }),
        )
        .await;
    assert_eq!(first["size_bytes"], 600);
    (app, token, first)
}

#[tokio::test]
async fn a_new_project_beyond_the_quota_is_refused() {
    let (app, token, _first) = quota_nearly_used().await;
    let text = "x".repeat(590);
    let second = app
        .post_authed(
            "/api/v1/projects",
            &token,
            &json!({ "title": "0123456789", "chapters": [{ "text": text }] }),
        )
        .await;
    let problem = assert_problem(second, StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded").await;
    assert_eq!(
        problem["extra"],
        json!({ "used_bytes": 600, "limit_bytes": 1000, "needed_bytes": 600 })
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM projects").await, 1);
}

#[tokio::test]
async fn an_edit_growing_beyond_the_quota_is_refused_and_changes_nothing() {
    let (app, token, first) = quota_nearly_used().await;
    let path = format!("/api/v1/projects/{}", first["id"].as_str().unwrap());
    let grow = app
        .patch_at(
            &path,
            &token,
            "\"1\"",
            &json!({ "chapters": [{ "text": "y".repeat(1_000) }] }),
        )
        .await;
    assert_problem(grow, StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded").await;
    let unchanged: Value = app.get_authed(&path, &token).await.json().await.unwrap();
    assert_eq!(
        (
            unchanged["version"].as_i64(),
            unchanged["size_bytes"].as_i64()
        ),
        (Some(1), Some(600))
    );
}

#[tokio::test]
async fn a_shrinking_edit_frees_storage() {
    let (app, token, first) = quota_nearly_used().await;
    let path = format!("/api/v1/projects/{}", first["id"].as_str().unwrap());
    let shrink = app
        .patch_at(
            &path,
            &token,
            "\"1\"",
            &json!({ "chapters": [{ "text": "short" }] }),
        )
        .await;
    assert_eq!(shrink.status(), StatusCode::OK);
    let usage: Value = app
        .get_authed("/api/v1/storage", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(usage["used_bytes"], 15);
    assert_eq!(usage["limit_bytes"], 1000);
    assert_eq!(usage["available_bytes"], 985);
    assert_eq!(usage["projects"][0]["size_bytes"], 15);
}

#[tokio::test]
async fn concurrent_writes_cannot_pass_the_quota_together() {
    let app = spawn_app_with(|s| s.storage_quota_bytes = 10_000).await;
    let token = app.signed_up_user("racer@example.com").await.access_token;
    let body = json!({ "title": "0123456789", "chapters": [{ "text": "z".repeat(990) }] });
    let attempts = (0..25).map(|_| app.post_authed("/api/v1/projects", &token, &body));
    let statuses = statuses_together(attempts).await;
    assert_eq!(statuses.count(StatusCode::CREATED), 10, "{statuses:?}");
    statuses.assert_only(&[StatusCode::CREATED, StatusCode::PAYLOAD_TOO_LARGE]);
    assert_eq!(app.count("SELECT COUNT(*) FROM projects").await, 10);
    assert_eq!(
        app.count("SELECT CAST(SUM(size_bytes) AS BIGINT) FROM projects")
            .await,
        storage_used(&app, &token).await
    );
}

/// A DELETE racing a PATCH that shrinks the project must free the size the row has when it
/// is deleted, not the size it had when the delete first read it.
#[tokio::test]
async fn storage_counter_stays_exact_when_deletes_race_shrinking_edits() {
    let app = spawn_app().await;
    let token = app
        .signed_up_user("shrinker@example.com")
        .await
        .access_token;
    // A project that stays, so a drift shows as a wrong counter before it could go negative.
    app.create_project(
        &token,
        &json!({ "title": "Ballast", "chapters": [{ "text": "b".repeat(20_000) }] }),
    )
    .await;
    let big = json!({ "title": "Big", "chapters": [{ "text": "x".repeat(4_000) }] });
    let small = json!({ "chapters": [{ "text": "y" }] });
    for round in 0..200 {
        let project = app.create_project(&token, &big).await;
        let path = format!("/api/v1/projects/{}", project["id"].as_str().unwrap());
        // PATCH needs If-Match; DELETE takes it optionally, and without it deletes whatever
        // version is current.
        let (patched, deleted) = tokio::join!(
            app.patch_at(&path, &token, "\"1\"", &small),
            app.send_with_etag(Method::DELETE, &path, &token, None, None),
        );
        assert!(
            [
                StatusCode::OK,
                StatusCode::NOT_FOUND,
                StatusCode::PRECONDITION_FAILED
            ]
            .contains(&patched.status()),
            "round {round}: patch {}",
            patched.status()
        );
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT, "round {round}");
        let counter = app.count("SELECT storage_used_bytes FROM users").await;
        let sum = app
            .count("SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM projects")
            .await;
        assert_eq!(
            counter, sum,
            "round {round}: counter = sum of the remaining projects' sizes"
        );
    }
}
