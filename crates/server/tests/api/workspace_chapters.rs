//! Stories keep ordered chapters; a document keeps exactly one.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};

/// The chapter titles of a project, in order.
fn titles(project: &Value) -> Vec<String> {
    project["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap().to_owned())
        .collect()
}

/// An app, a user's token and the path of their story "Saga" with the chapters "One" and
/// "Two" (version 1).
async fn saga() -> (TestApp, String, String) {
    let app = spawn_app().await;
    let token = app
        .signed_up_user("novelist@example.com")
        .await
        .access_token;
    let story = app
        .create_project(
            &token,
            &json!({ "title": "Saga", "kind": "story", "premise": "A long road.",
            "chapters": [{ "title": "One", "text": "a" }, { "title": "Two", "text": "b" }] }),
        )
        .await;
    let base = format!("/api/v1/projects/{}", story["id"].as_str().unwrap());
    (app, token, base)
}

#[tokio::test]
async fn stories_keep_ordered_chapters() {
    let (app, token, base) = saga().await;
    let chapters = format!("{base}/chapters");

    let added = app
        .send_with_etag(
            Method::POST,
            &chapters,
            &token,
            Some("\"1\""),
            Some(&json!({ "title": "Between", "text": "c", "position": 1 })),
        )
        .await;
    assert_eq!(added.status(), StatusCode::OK);
    assert_eq!(
        titles(&added.json().await.unwrap()),
        ["One", "Between", "Two"]
    );

    let edited: Value = app
        .patch_at(
            &format!("{chapters}/2"),
            &token,
            "\"2\"",
            &json!({ "text": "the end" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        edited["chapters"][2],
        json!({ "title": "Two", "text": "the end" })
    );

    let reordered = app
        .send_with_etag(
            Method::PUT,
            &format!("{chapters}/order"),
            &token,
            Some("\"3\""),
            Some(&json!({ "order": [2, 0, 1] })),
        )
        .await;
    assert_eq!(
        titles(&reordered.json().await.unwrap()),
        ["Two", "One", "Between"]
    );

    let removed = app
        .send_with_etag(
            Method::DELETE,
            &format!("{chapters}/0"),
            &token,
            Some("\"4\""),
            None,
        )
        .await;
    assert_eq!(titles(&removed.json().await.unwrap()), ["One", "Between"]);
}

#[tokio::test]
async fn bad_chapter_changes_are_refused_and_change_nothing() {
    let (app, token, base) = saga().await;
    let chapters = format!("{base}/chapters");
    let out_of_range = app
        .patch_at(
            &format!("{chapters}/7"),
            &token,
            "\"1\"",
            &json!({ "text": "x" }),
        )
        .await;
    let problem = assert_problem(out_of_range, StatusCode::NOT_FOUND, "chapter_not_found").await;
    assert_eq!(problem["extra"]["chapter_count"], 2);
    let not_a_number = app
        .patch_at(&format!("{chapters}/-1"), &token, "\"1\"", &json!({}))
        .await;
    assert_problem(not_a_number, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    let bad_order = app
        .send_with_etag(
            Method::PUT,
            &format!("{chapters}/order"),
            &token,
            Some("\"1\""),
            Some(&json!({ "order": [0, 0] })),
        )
        .await;
    let problem = assert_problem(
        bad_order,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["code"], "invalid_order");
    let unchanged: Value = app.get_authed(&base, &token).await.json().await.unwrap();
    assert_eq!(
        (unchanged["version"].as_i64(), unchanged["kind"].as_str()),
        (Some(1), Some("story"))
    );
}

#[tokio::test]
async fn a_story_of_several_chapters_cannot_become_a_document() {
    let (app, token, base) = saga().await;
    let to_document = app
        .patch_at(&base, &token, "\"1\"", &json!({ "kind": "document" }))
        .await;
    let problem = assert_problem(
        to_document,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["code"], "document_has_one_chapter");
    let unchanged: Value = app.get_authed(&base, &token).await.json().await.unwrap();
    assert_eq!(
        (unchanged["version"].as_i64(), unchanged["kind"].as_str()),
        (Some(1), Some("story"))
    );
}

#[tokio::test]
async fn a_document_keeps_exactly_one_chapter() {
    let app = spawn_app().await;
    let token = app
        .signed_up_user("novelist@example.com")
        .await
        .access_token;
    let doc = app
        .create_project(&token, &json!({ "title": "Memo" }))
        .await;
    let doc_chapters = format!("/api/v1/projects/{}/chapters", doc["id"].as_str().unwrap());
    let second = app
        .send_with_etag(
            Method::POST,
            &doc_chapters,
            &token,
            Some("\"1\""),
            Some(&json!({ "text": "more" })),
        )
        .await;
    assert_problem(
        second,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let last = app
        .send_with_etag(
            Method::DELETE,
            &format!("{doc_chapters}/0"),
            &token,
            Some("\"1\""),
            None,
        )
        .await;
    let problem = assert_problem(last, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "last_chapter");
}
