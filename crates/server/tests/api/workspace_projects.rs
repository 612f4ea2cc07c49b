//! Projects: create, read, update and delete with ETag / If-Match, bad input, other users'
//! projects, scopes.

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, statuses_together, TestApp};

pub fn etag_of(response: &reqwest::Response) -> String {
    response.headers()["etag"].to_str().unwrap().to_owned()
}

pub async fn storage_used(app: &TestApp, token: &str) -> i64 {
    let usage: Value = app
        .get_authed("/api/v1/storage", token)
        .await
        .json()
        .await
        .unwrap();
    usage["used_bytes"].as_i64().unwrap()
}

/// Creates the project "  Notes " with one chapter "Hello world".
async fn create_notes(app: &TestApp, token: &str) -> Response {
    app.post_authed(
        "/api/v1/projects",
        token,
        &json!({ "title": "  Notes ", "chapters": [{ "text": "Hello world" }] }),
    )
    .await
}

/// The location of a new "Notes" project at version 1.
async fn notes_location(app: &TestApp, token: &str) -> String {
    let created = create_notes(app, token).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    created.headers()["location"].to_str().unwrap().to_owned()
}

/// Renames "Notes" to "Better notes" (version 2); returns the answer.
async fn update_notes(app: &TestApp, token: &str, location: &str) -> Response {
    app.patch_at(
        location,
        token,
        "\"1\"",
        &json!({ "title": "Better notes", "genre": "essay" }),
    )
    .await
}

#[tokio::test]
async fn a_created_project_answers_with_its_etag_location_and_size() {
    let app = spawn_app().await;
    let token = app.signed_up_user("writer@example.com").await.access_token;
    let created = create_notes(&app, &token).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(etag_of(&created), "\"1\"");
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let project: Value = created.json().await.unwrap();
    assert_eq!(project["title"], "Notes");
    assert_eq!(project["kind"], "document");
    assert_eq!(project["word_count"], 2);
    assert_eq!(project["size_bytes"], 5 + 11);
    assert_eq!(
        location,
        format!("/api/v1/projects/{}", project["id"].as_str().unwrap())
    );
    assert_eq!(storage_used(&app, &token).await, 16);

    let read = app.get_authed(&location, &token).await;
    assert_eq!(etag_of(&read), "\"1\"");
}

#[tokio::test]
async fn an_update_without_if_match_is_refused() {
    let app = spawn_app().await;
    let token = app.signed_up_user("writer@example.com").await.access_token;
    let location = notes_location(&app, &token).await;
    let no_tag = app
        .send_with_etag(
            Method::PATCH,
            &location,
            &token,
            None,
            Some(&json!({ "title": "x" })),
        )
        .await;
    assert_problem(
        no_tag,
        StatusCode::PRECONDITION_REQUIRED,
        "if_match_required",
    )
    .await;
}

#[tokio::test]
async fn an_update_bumps_the_version_and_the_stored_size() {
    let app = spawn_app().await;
    let token = app.signed_up_user("writer@example.com").await.access_token;
    let location = notes_location(&app, &token).await;
    let updated = update_notes(&app, &token, &location).await;
    assert_eq!(updated.status(), StatusCode::OK);
    assert_eq!(etag_of(&updated), "\"2\"");
    let updated: Value = updated.json().await.unwrap();
    assert_eq!(
        (updated["title"].as_str(), updated["version"].as_i64()),
        (Some("Better notes"), Some(2))
    );
    assert_eq!(storage_used(&app, &token).await, 12 + 11 + 5);
    let page: Value = app
        .get_authed("/api/v1/projects", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["title"], "Better notes");
    assert_eq!(page["items"][0]["chapter_count"], 1);
}

#[tokio::test]
async fn a_stale_or_garbled_etag_is_a_version_conflict() {
    let app = spawn_app().await;
    let token = app.signed_up_user("writer@example.com").await.access_token;
    let location = notes_location(&app, &token).await;
    let updated = update_notes(&app, &token, &location).await;
    assert_eq!(updated.status(), StatusCode::OK);
    let stale = app
        .patch_at(&location, &token, "\"1\"", &json!({ "title": "Lost edit" }))
        .await;
    let problem = assert_problem(stale, StatusCode::PRECONDITION_FAILED, "version_conflict").await;
    assert_eq!(problem["extra"]["current_version"], 2);
    let garbage = app
        .patch_at(&location, &token, "\"abc\"", &json!({ "title": "x" }))
        .await;
    assert_problem(garbage, StatusCode::PRECONDITION_FAILED, "version_conflict").await;
}

#[tokio::test]
async fn a_deleted_project_is_gone_and_frees_its_storage() {
    let app = spawn_app().await;
    let token = app.signed_up_user("writer@example.com").await.access_token;
    let location = notes_location(&app, &token).await;
    let deleted = app
        .send_with_etag(Method::DELETE, &location, &token, None, None)
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get_authed(&location, &token).await,
        StatusCode::NOT_FOUND,
        "project_not_found",
    )
    .await;
    assert_eq!(storage_used(&app, &token).await, 0);
}

#[tokio::test]
async fn invalid_projects_are_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let token = app
        .signed_up_user("careless@example.com")
        .await
        .access_token;
    for (body, field, code) in [
        (json!({ "title": "" }), "title", "required"),
        (json!({ "title": "x".repeat(10_000) }), "title", "too_long"),
        (
            json!({ "title": "bell\u{7}" }),
            "title",
            "invalid_characters",
        ),
        (json!({ "title": "ok", "kind": "poem" }), "kind", "invalid"),
        (
            json!({ "title": "ok", "chapters": [{ "text": "nul\u{0}" }] }),
            "chapters[0].text",
            "invalid_characters",
        ),
        (
            json!({ "title": "ok", "genre": "g".repeat(81) }),
            "genre",
            "too_long",
        ),
    ] {
        let response = app.post_authed("/api/v1/projects", &token, &body).await;
        let problem = assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(
            (
                problem["errors"][0]["field"].as_str(),
                problem["errors"][0]["code"].as_str()
            ),
            (Some(field), Some(code)),
            "{body}"
        );
    }
    let invalid_utf8 = app
        .client
        .post(app.url("/api/v1/projects"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(b"{\"title\": \"\xff\xfe\"}".to_vec())
        .send()
        .await
        .unwrap();
    assert_problem(invalid_utf8, StatusCode::BAD_REQUEST, "malformed_json").await;
    let as_number = app
        .post_authed("/api/v1/projects", &token, &json!({ "title": 5 }))
        .await;
    assert_problem(
        as_number,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM projects").await, 0);
}

#[tokio::test]
async fn another_users_project_cannot_be_read_changed_or_exported() {
    let app = spawn_app().await;
    let token = app
        .signed_up_user("careless@example.com")
        .await
        .access_token;
    let mine = app
        .create_project(&token, &json!({ "title": "Mine" }))
        .await;
    let path = format!("/api/v1/projects/{}", mine["id"].as_str().unwrap());
    let other = app.signed_up_user("nosy@example.com").await.access_token;
    assert_problem(
        app.get_authed(&path, &other).await,
        StatusCode::NOT_FOUND,
        "project_not_found",
    )
    .await;
    let steal = app
        .patch_at(&path, &other, "*", &json!({ "title": "Stolen" }))
        .await;
    assert_problem(steal, StatusCode::NOT_FOUND, "project_not_found").await;
    let delete = app
        .send_with_etag(Method::DELETE, &path, &other, None, None)
        .await;
    assert_problem(delete, StatusCode::NOT_FOUND, "project_not_found").await;
    let export = app
        .get_authed(&format!("{path}/export?format=txt"), &other)
        .await;
    assert_problem(export, StatusCode::NOT_FOUND, "project_not_found").await;
    assert_problem(
        app.get_authed("/api/v1/projects/not-a-uuid", &token).await,
        StatusCode::NOT_FOUND,
        "project_not_found",
    )
    .await;
    let unchanged: Value = app.get_authed(&path, &token).await.json().await.unwrap();
    assert_eq!(
        (unchanged["title"].as_str(), unchanged["version"].as_i64()),
        (Some("Mine"), Some(1))
    );
}

#[tokio::test]
async fn racing_writes_with_one_etag_let_exactly_one_win() {
    let app = spawn_app().await;
    let token = app.signed_up_user("editor@example.com").await.access_token;
    let project = app
        .create_project(&token, &json!({ "title": "Contested" }))
        .await;
    let path = format!("/api/v1/projects/{}", project["id"].as_str().unwrap());
    let writes = (0..8).map(|i| {
        let body = json!({ "title": format!("Edit {i}") });
        let path = path.clone();
        let token = token.clone();
        let app = &app;
        async move { app.patch_at(&path, &token, "\"1\"", &body).await }
    });
    let statuses = statuses_together(writes).await;
    assert_eq!(statuses.count(StatusCode::OK), 1, "{statuses:?}");
    assert_eq!(statuses.count(StatusCode::PRECONDITION_FAILED), 7);
    let now: Value = app.get_authed(&path, &token).await.json().await.unwrap();
    assert_eq!(now["version"], 2);
}

#[tokio::test]
async fn personal_keys_need_the_write_scope_to_change_projects() {
    let app = spawn_app().await;
    let token = app.signed_up_user("dev@example.com").await.access_token;
    let key: Value = app
        .post_authed(
            "/api/v1/api-keys",
            &token,
            &json!({ "name": "reader", "scopes": ["read"] }),
        )
        .await
        .json()
        .await
        .unwrap();
    let key = key["secret"].as_str().unwrap();
    assert_eq!(
        app.get_authed("/api/v1/projects", key).await.status(),
        StatusCode::OK
    );
    let write = app
        .post_authed("/api/v1/projects", key, &json!({ "title": "Nope" }))
        .await;
    assert_problem(write, StatusCode::FORBIDDEN, "insufficient_scope").await;
}
