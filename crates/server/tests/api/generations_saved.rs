//! What happens to a generation afterwards: saved into a project, listed in the history.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::generations_json::STORY;
use crate::helpers::{assert_problem, spawn_app, spawn_app_with, Session, TestApp};
use crate::streams::continue_body;

/// An app with a 4,000-byte storage quota and a user of it.
async fn saver() -> (TestApp, Session) {
    let app = spawn_app_with(|s| s.storage_quota_bytes = 4_000).await;
    let user = app.signed_up_user("saver@example.com").await;
    (app, user)
}

/// A JSON generation's `generation`.
async fn generate(app: &TestApp, token: &str, body: Value) -> Value {
    let response = app.post_authed("/api/v1/generations", token, &body).await;
    let body: Value = response.json().await.unwrap();
    body["generation"].clone()
}

/// A generation of `STORY` saved into a new project "Lighthouse": (generation, project).
async fn saved_story(app: &TestApp, token: &str) -> (Value, Value) {
    let generation = generate(app, token, continue_body(STORY)).await;
    let id = generation["id"].as_str().unwrap();
    let save = format!("/api/v1/generations/{id}/save");
    let project: Value = app
        .post_authed_json(&save, token, &json!({ "title": "Lighthouse" }))
        .await;
    (generation, project)
}

#[tokio::test]
async fn a_result_is_saved_into_a_new_project() {
    let (app, user) = saver().await;
    let token = &user.access_token;
    let (generation, project) = saved_story(&app, token).await;
    assert_eq!(project["title"], "Lighthouse");
    assert_eq!(project["chapters"][0]["text"], generation["output"]);
    let project_id = project["id"].as_str().unwrap();
    let id = generation["id"].as_str().unwrap();
    let read: Value = app
        .get_json(&format!("/api/v1/generations/{id}"), token)
        .await;
    assert_eq!(read["project_id"], project_id);
}

#[tokio::test]
async fn a_result_is_appended_to_an_existing_project_as_a_new_paragraph() {
    let (app, user) = saver().await;
    let token = &user.access_token;
    let (generation, project) = saved_story(&app, token).await;
    let project_id = project["id"].as_str().unwrap();
    let second = generate(
        &app,
        token,
        json!({ "tool": "describe", "input": "the lamp room" }),
    )
    .await;
    let second_id = second["id"].as_str().unwrap();
    let appended: Value = app
        .post_authed_json(
            &format!("/api/v1/generations/{second_id}/save"),
            token,
            &json!({ "project_id": project_id }),
        )
        .await;
    let text = appended["chapters"][0]["text"].as_str().unwrap();
    assert!(text.starts_with(generation["output"].as_str().unwrap().trim_end()));
    assert!(text.ends_with(second["output"].as_str().unwrap()));
}

#[tokio::test]
async fn saving_stops_at_the_storage_quota_with_nothing_half_written() {
    let (app, user) = saver().await;
    let token = &user.access_token;
    let (_, project) = saved_story(&app, token).await;
    let project_id = project["id"].as_str().unwrap();
    // Saved again and again until the quota stops it; nothing is half-written.
    let big = generate(
        &app,
        token,
        json!({ "tool": "write", "instructions": "a long saga", "words": 800 }),
    )
    .await;
    let big_save = format!("/api/v1/generations/{}/save", big["id"].as_str().unwrap());
    let mut refused = None;
    for _ in 0..10 {
        let response = app
            .post_authed(&big_save, token, &json!({ "project_id": project_id }))
            .await;
        if response.status() != StatusCode::OK {
            refused = Some(response);
            break;
        }
    }
    assert_problem(
        refused.expect("the quota stops it"),
        StatusCode::PAYLOAD_TOO_LARGE,
        "quota_exceeded",
    )
    .await;
    let storage: Value = app.get_json("/api/v1/storage", token).await;
    assert!(
        storage["used_bytes"].as_i64().unwrap() <= 4_000,
        "{storage}"
    );
}

#[tokio::test]
async fn saving_into_a_missing_project_is_not_found() {
    let (app, user) = saver().await;
    let token = &user.access_token;
    let generation = generate(&app, token, continue_body(STORY)).await;
    let save = format!(
        "/api/v1/generations/{}/save",
        generation["id"].as_str().unwrap()
    );
    let missing = app
        .post_authed(&save, token, &json!({ "project_id": uuid::Uuid::now_v7() }))
        .await;
    assert_problem(missing, StatusCode::NOT_FOUND, "project_not_found").await;
}

/// An app, a user with three generations (write, brainstorm, write; their ids oldest first)
/// and another user.
async fn history() -> (TestApp, Session, Session, Vec<String>) {
    let app = spawn_app().await;
    let user = app.signed_up_user("history@example.com").await;
    let other = app.signed_up_user("nosy@example.com").await;
    let mut ids = Vec::new();
    for tool in ["write", "brainstorm", "write"] {
        let body = json!({ "tool": tool, "instructions": "boats", "words": 10 });
        let response = app
            .post_authed("/api/v1/generations", &user.access_token, &body)
            .await;
        let body: Value = response.json().await.unwrap();
        ids.push(body["generation"]["id"].as_str().unwrap().to_owned());
    }
    (app, user, other, ids)
}

#[tokio::test]
async fn history_pages_the_users_generations_newest_first() {
    let (app, user, _other, ids) = history().await;
    let page: Value = app
        .get_json("/api/v1/generations?limit=2", &user.access_token)
        .await;
    assert_eq!(page["items"][0]["id"], ids[2].as_str());
    assert_eq!(page["items"][1]["id"], ids[1].as_str());
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest: Value = app
        .get_json(
            &format!("/api/v1/generations?limit=2&cursor={cursor}"),
            &user.access_token,
        )
        .await;
    assert_eq!(rest["items"][0]["id"], ids[0].as_str());
    assert!(rest["next_cursor"].is_null());
}

#[tokio::test]
async fn history_filters_by_tool_and_status() {
    let (app, user, _other, _ids) = history().await;
    let writes: Value = app
        .get_json(
            "/api/v1/generations?tool=write&status=completed",
            &user.access_token,
        )
        .await;
    assert_eq!(writes["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn history_refuses_bad_parameters() {
    let (app, user, _other, _ids) = history().await;
    for bad in ["?tool=summon", "?status=done", "?cursor=zzz", "?limit=0"] {
        let response = app
            .get_authed(&format!("/api/v1/generations{bad}"), &user.access_token)
            .await;
        assert_problem(response, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    }
}

#[tokio::test]
async fn history_shows_no_one_another_users_generations() {
    let (app, _user, other, ids) = history().await;
    let theirs: Value = app
        .get_json("/api/v1/generations", &other.access_token)
        .await;
    assert_eq!(theirs["items"], json!([]));
    let peek = app
        .get_authed(
            &format!("/api/v1/generations/{}", ids[0]),
            &other.access_token,
        )
        .await;
    assert_problem(peek, StatusCode::NOT_FOUND, "generation_not_found").await;
}
