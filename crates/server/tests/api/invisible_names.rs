//! Names and titles refuse invisible and text-direction characters (so an author's name on
//! a shared page cannot pass for another); body text keeps them verbatim.

use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};

/// Asserts `422 validation_failed` with exactly one field error: `field`, `code`.
async fn assert_field_error(response: reqwest::Response, field: &str, code: &str) {
    let body = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let errors: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [(field, code)], "{body}");
}

async fn send(app: &TestApp, method: Method, path: &str, token: &str, body: Value) -> Value {
    let response = app
        .send_with_etag(method, path, token, Some("*"), Some(&body))
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_display_name_with_a_direction_override_is_refused() {
    let app = spawn_app().await;
    let signup = app
        .post_json(
            "/api/v1/auth/signup",
            &json!({ "email": "spoof@example.com", "password": "correct horse 7",
                     "display_name": "Ada\u{202E}ecalevoL" }),
        )
        .await;
    assert_field_error(signup, "display_name", "invisible_character").await;

    let token = app.signed_up_user("ada@example.com").await.access_token;
    for name in ["Ada\u{2067}", "Ada\u{200B}Lovelace", "\u{FEFF}Ada"] {
        let renamed = app
            .send_with_etag(
                Method::PATCH,
                "/api/v1/me",
                &token,
                None,
                Some(&json!({ "display_name": name })),
            )
            .await;
        assert_field_error(renamed, "display_name", "invisible_character").await;
    }
    // An emoji ZWJ sequence is one picture, not a hidden character.
    let coder = "Ada 👩\u{200D}💻";
    let me = send(
        &app,
        Method::PATCH,
        "/api/v1/me",
        &token,
        json!({ "display_name": coder }),
    )
    .await;
    assert_eq!(me["display_name"], coder);
}

#[tokio::test]
async fn titles_refuse_invisible_characters_that_chapter_text_keeps() {
    let app = spawn_app().await;
    let token = app.signed_up_user("titles@example.com").await.access_token;
    let hidden = "He wrote \u{202E}drawkcab\u{202C}, a\u{200B}gap and a soft\u{00AD}hyphen.";

    let refused = app
        .post_authed(
            "/api/v1/projects",
            &token,
            &json!({ "title": "Du\u{200B}ne", "chapters": [{ "text": hidden }] }),
        )
        .await;
    assert_field_error(refused, "title", "invisible_character").await;
    let refused = app
        .post_authed(
            "/api/v1/projects",
            &token,
            &json!({ "title": "Dune", "kind": "story",
                     "chapters": [{ "title": "One\u{2066}", "text": "x" }] }),
        )
        .await;
    assert_field_error(refused, "chapters[0].title", "invisible_character").await;

    let project = app
        .create_project(
            &token,
            &json!({ "title": "Dune", "kind": "story",
                     "chapters": [{ "title": "One", "text": hidden }] }),
        )
        .await;
    let path = format!("/api/v1/projects/{}", project["id"].as_str().unwrap());
    let read: Value = app.get_authed(&path, &token).await.json().await.unwrap();
    assert_eq!(
        read["chapters"][0]["text"], hidden,
        "body text kept verbatim"
    );

    for (method, at, body, field) in [
        (
            Method::PATCH,
            path.clone(),
            json!({ "title": "Dune\u{FEFF}" }),
            "title",
        ),
        (
            Method::PATCH,
            path.clone(),
            json!({ "genre": "s\u{200D}f" }),
            "genre",
        ),
        (
            Method::POST,
            format!("{path}/chapters"),
            json!({ "title": "Two\u{200F}", "text": hidden }),
            "chapter.title",
        ),
        (
            Method::PATCH,
            format!("{path}/chapters/0"),
            json!({ "title": "One\u{00AD}" }),
            "chapter.title",
        ),
    ] {
        let response = app
            .send_with_etag(method, &at, &token, Some("*"), Some(&body))
            .await;
        assert_field_error(response, field, "invisible_character").await;
    }
    let added = send(
        &app,
        Method::POST,
        &format!("{path}/chapters"),
        &token,
        json!({ "title": "Two", "text": hidden }),
    )
    .await;
    assert_eq!(added["chapters"][1]["text"], hidden);
}

#[tokio::test]
async fn story_titles_and_key_names_refuse_invisible_characters() {
    let app = spawn_app().await;
    let token = app.signed_up_user("keys@example.com").await.access_token;
    let story = app
        .post_authed(
            "/api/v1/stories",
            &token,
            &json!({ "title": "Salt\u{202D}", "premise": "A \u{202E} stays in a premise." }),
        )
        .await;
    assert_field_error(story, "title", "invisible_character").await;

    let key = app
        .post_authed(
            "/api/v1/api-keys",
            &token,
            &json!({ "name": "ci\u{200E}laptop" }),
        )
        .await;
    assert_field_error(key, "name", "invisible_character").await;

    let admin = app.admin("root@example.com").await;
    let app_key = app
        .post_authed(
            "/api/v1/admin/app-keys",
            &admin.access_token,
            &json!({ "name": "image\u{2060}gene", "scopes": ["users:read"] }),
        )
        .await;
    assert_field_error(app_key, "name", "invisible_character").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM api_keys").await, 0);
}

#[tokio::test]
async fn an_outline_keeps_hidden_characters_and_its_chapter_titles_lose_them() {
    let app = spawn_app().await;
    let token = app.signed_up_user("outline@example.com").await.access_token;
    let story: Value = app
        .post_authed(
            "/api/v1/stories",
            &token,
            &json!({ "title": "Tides", "chapter_count": 2, "words_per_chapter": 120 }),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = story["project"]["id"].as_str().unwrap();
    let outline =
        "Chapter 1: Sa\u{200B}lt — Mira\u{202E} arrives.\nChapter 2: \u{2066}Letters\u{2069} — x";
    let updated = send(
        &app,
        Method::PATCH,
        &format!("/api/v1/stories/{id}"),
        &token,
        json!({ "outline": outline }),
    )
    .await;
    assert_eq!(updated["outline"], outline);
    assert_eq!(updated["project"]["chapters"][0]["title"], "Salt");
    assert_eq!(updated["project"]["chapters"][1]["title"], "Letters");
}

/// Titles stored before the rule existed are served and kept; only new input is refused.
#[tokio::test]
async fn titles_stored_before_the_rule_are_still_read_and_their_text_edited() {
    let app = spawn_app().await;
    let token = app.signed_up_user("legacy@example.com").await.access_token;
    let project = app
        .create_project(
            &token,
            &json!({ "title": "Old", "kind": "story", "chapters": [{ "title": "One", "text": "a" }] }),
        )
        .await;
    let path = format!("/api/v1/projects/{}", project["id"].as_str().unwrap());
    let chapters = json!([{ "title": "One\u{200B}", "text": "a" }]).to_string();
    app.db
        .execute_unprepared(&format!(
            "UPDATE projects SET title = 'Old\u{200B}', chapters = '{chapters}'"
        ))
        .await
        .unwrap();

    let read = app.get_authed(&path, &token).await;
    assert_eq!(read.status(), StatusCode::OK);
    let edited = send(
        &app,
        Method::PATCH,
        &format!("{path}/chapters/0"),
        &token,
        json!({ "text": "b" }),
    )
    .await;
    assert_eq!(edited["title"], "Old\u{200B}");
    assert_eq!(
        edited["chapters"][0],
        json!({ "title": "One\u{200B}", "text": "b" })
    );
}
