//! Projects and chapters: CRUD, ETag / If-Match, the storage quota, listing and bad input.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp};

fn etag_of(response: &reqwest::Response) -> String {
    response.headers()["etag"].to_str().unwrap().to_owned()
}

async fn storage_used(app: &TestApp, token: &str) -> i64 {
    let usage: Value = app
        .get_authed("/api/v1/storage", token)
        .await
        .json()
        .await
        .unwrap();
    usage["used_bytes"].as_i64().unwrap()
}

#[tokio::test]
async fn create_read_update_and_delete_a_project() {
    let app = spawn_app().await;
    let token = app.signed_up_user("writer@example.com").await.access_token;

    let created = app
        .post_authed(
            "/api/v1/projects",
            &token,
            &json!({ "title": "  Notes ", "chapters": [{ "text": "Hello world" }] }),
        )
        .await;
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

    let updated = app
        .patch_at(
            &location,
            &token,
            "\"1\"",
            &json!({ "title": "Better notes", "genre": "essay" }),
        )
        .await;
    assert_eq!(updated.status(), StatusCode::OK);
    assert_eq!(etag_of(&updated), "\"2\"");
    let updated: Value = updated.json().await.unwrap();
    assert_eq!(
        (updated["title"].as_str(), updated["version"].as_i64()),
        (Some("Better notes"), Some(2))
    );
    assert_eq!(storage_used(&app, &token).await, 12 + 11 + 5);

    let stale = app
        .patch_at(&location, &token, "\"1\"", &json!({ "title": "Lost edit" }))
        .await;
    let problem = assert_problem(stale, StatusCode::PRECONDITION_FAILED, "version_conflict").await;
    assert_eq!(problem["extra"]["current_version"], 2);
    let garbage = app
        .patch_at(&location, &token, "\"abc\"", &json!({ "title": "x" }))
        .await;
    assert_problem(garbage, StatusCode::PRECONDITION_FAILED, "version_conflict").await;
    let page: Value = app
        .get_authed("/api/v1/projects", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["title"], "Better notes");
    assert_eq!(page["items"][0]["chapter_count"], 1);

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
async fn stories_keep_ordered_chapters() {
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
    let titles = |p: &Value| {
        p["chapters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["title"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
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

    let out_of_range = app
        .patch_at(
            &format!("{chapters}/7"),
            &token,
            "\"5\"",
            &json!({ "text": "x" }),
        )
        .await;
    let problem = assert_problem(out_of_range, StatusCode::NOT_FOUND, "chapter_not_found").await;
    assert_eq!(problem["extra"]["chapter_count"], 2);
    let not_a_number = app
        .patch_at(&format!("{chapters}/-1"), &token, "\"5\"", &json!({}))
        .await;
    assert_problem(not_a_number, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    let bad_order = app
        .send_with_etag(
            Method::PUT,
            &format!("{chapters}/order"),
            &token,
            Some("\"5\""),
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
    let to_document = app
        .patch_at(&base, &token, "\"5\"", &json!({ "kind": "document" }))
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
        (Some(5), Some("story"))
    );

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

#[tokio::test]
async fn lists_page_search_and_sort() {
    let app = spawn_app().await;
    let token = app.signed_up_user("lister@example.com").await.access_token;
    for (title, text) in [
        ("Banana", "yellow fruit"),
        ("apple", "red 100% fruit"),
        ("Cherry", "dark"),
        ("Date", "sweet"),
        ("Elder", "flower"),
    ] {
        app.create_project(
            &token,
            &json!({ "title": title, "chapters": [{ "text": text }] }),
        )
        .await;
    }
    let collect = |sort: &'static str| {
        let app = &app;
        let token = &token;
        async move {
            let mut titles = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut path = format!("/api/v1/projects?limit=2&sort={sort}");
                if let Some(c) = &cursor {
                    path.push_str(&format!("&cursor={c}"));
                }
                let page: Value = app.get_authed(&path, token).await.json().await.unwrap();
                titles.extend(
                    page["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| p["title"].as_str().unwrap().to_owned()),
                );
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break titles,
                }
            }
        }
    };
    assert_eq!(
        collect("created").await,
        ["Elder", "Date", "Cherry", "apple", "Banana"]
    );
    assert_eq!(
        collect("updated").await,
        ["Elder", "Date", "Cherry", "apple", "Banana"]
    );
    assert_eq!(
        collect("title").await,
        ["Banana", "Cherry", "Date", "Elder", "apple"]
    );

    let search = |q: &'static str| {
        let app = &app;
        let token = &token;
        async move {
            let page: Value = app
                .get_authed(&format!("/api/v1/projects?q={q}"), token)
                .await
                .json()
                .await
                .unwrap();
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["title"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search("FRUIT").await, ["apple", "Banana"]);
    assert_eq!(search("cherr").await, ["Cherry"]);
    assert_eq!(search("100%25").await, ["apple"]);
    assert!(search("%25%25%25x").await.is_empty());

    let first: Value = app
        .get_authed("/api/v1/projects?limit=1&sort=title", &token)
        .await
        .json()
        .await
        .unwrap();
    let cursor = first["next_cursor"].as_str().unwrap();
    for path in [
        format!("/api/v1/projects?sort=updated&cursor={cursor}"),
        "/api/v1/projects?cursor=not-a-cursor".to_owned(),
        "/api/v1/projects?sort=size".to_owned(),
        "/api/v1/projects?limit=0".to_owned(),
    ] {
        assert_problem(
            app.get_authed(&path, &token).await,
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        )
        .await;
    }
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_written() {
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
async fn the_storage_quota_holds_on_every_write() {
    let app = spawn_app_with(|s| s.storage_quota_bytes = 1_000).await;
    let token = app.signed_up_user("hoarder@example.com").await.access_token;
    let text = "x".repeat(590);
    let first = app
        .create_project(
            &token,
            &json!({ "title": "0123456789", "chapters": [{ "text": text }] }),
        )
        .await;
    assert_eq!(first["size_bytes"], 600);

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
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 10, "{statuses:?}");
    assert!(statuses
        .iter()
        .all(|s| *s == StatusCode::CREATED || *s == StatusCode::PAYLOAD_TOO_LARGE));
    assert_eq!(app.count("SELECT COUNT(*) FROM projects").await, 10);
    assert_eq!(
        app.count("SELECT CAST(SUM(size_bytes) AS BIGINT) FROM projects")
            .await,
        storage_used(&app, &token).await
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
        async move { app.patch_at(&path, &token, "\"1\"", &body).await.status() }
    });
    let statuses = futures_util::future::join_all(writes).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::PRECONDITION_FAILED)
            .count(),
        7
    );
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
