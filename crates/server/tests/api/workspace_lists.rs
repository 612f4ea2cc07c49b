//! Listing projects: pages in each sort order, search, bad parameters.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};

/// An app and a user's token with five projects: Banana, apple, Cherry, Date, Elder (in
/// that order of creation).
async fn five_projects() -> (TestApp, String) {
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
    (app, token)
}

fn titles_of(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap().to_owned())
        .collect()
}

/// Every title, following the cursor through pages of two.
async fn collect(app: &TestApp, token: &str, sort: &str) -> Vec<String> {
    let mut titles = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/projects?limit=2&sort={sort}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page: Value = app.get_authed(&path, token).await.json().await.unwrap();
        titles.extend(titles_of(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break titles,
        }
    }
}

async fn search(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    let page: Value = app
        .get_authed(&format!("/api/v1/projects?q={q}"), token)
        .await
        .json()
        .await
        .unwrap();
    titles_of(&page)
}

#[tokio::test]
async fn lists_page_in_each_sort_order() {
    let (app, token) = five_projects().await;
    assert_eq!(
        collect(&app, &token, "created").await,
        ["Elder", "Date", "Cherry", "apple", "Banana"]
    );
    assert_eq!(
        collect(&app, &token, "updated").await,
        ["Elder", "Date", "Cherry", "apple", "Banana"]
    );
    assert_eq!(
        collect(&app, &token, "title").await,
        ["Banana", "Cherry", "Date", "Elder", "apple"]
    );
}

#[tokio::test]
async fn search_matches_titles_and_text_ignoring_case_and_wildcards() {
    let (app, token) = five_projects().await;
    assert_eq!(search(&app, &token, "FRUIT").await, ["apple", "Banana"]);
    assert_eq!(search(&app, &token, "cherr").await, ["Cherry"]);
    assert_eq!(search(&app, &token, "100%25").await, ["apple"]);
    assert!(search(&app, &token, "%25%25%25x").await.is_empty());
}

#[tokio::test]
async fn bad_list_parameters_are_refused() {
    let (app, token) = five_projects().await;
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
