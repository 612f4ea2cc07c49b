//! Exports under load: a bounded number render at once (the rest wait briefly, then get
//! `503`), and an unchanged project's file is rendered once and then read from the cache.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app_with, TestApp};

async fn project(app: &TestApp, email: &str, text: &str) -> (String, String) {
    let token = app.signed_up_user(email).await.access_token;
    let project = app
        .create_project(
            &token,
            &json!({ "title": "Cached", "chapters": [{ "title": "One", "text": text }] }),
        )
        .await;
    let path = format!("/api/v1/projects/{}", project["id"].as_str().unwrap());
    (token, path)
}

fn cache_header(response: &Response) -> String {
    response.headers()["x-export-cache"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The files in the export cache and their total size.
fn cache_files(app: &TestApp) -> (Vec<String>, u64) {
    let dir = app.data_dir.join("export-cache");
    let mut names = Vec::new();
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        total += entry.metadata().unwrap().len();
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    (names, total)
}

#[tokio::test]
async fn exports_past_the_render_limit_get_503_with_retry_after() {
    let app = spawn_app_with(|s| {
        s.export_concurrency = 1;
        s.export_queue_ms = 0;
    })
    .await;
    let (token, path) = project(&app, "busy@example.com", "Some text.").await;
    let share: Value = app
        .post_authed(&format!("{path}/share"), &token, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let code = share["code"].as_str().unwrap();

    // Another export holds the only render slot.
    let held = app
        .state
        .exports
        .slots()
        .clone()
        .acquire_owned()
        .await
        .unwrap();
    for url in [
        format!("{path}/export?format=pdf"),
        format!("/api/v1/shared/{code}/export?format=pdf"),
    ] {
        let busy = app.get_authed(&url, &token).await;
        assert_eq!(busy.headers()["retry-after"], "2", "{url}");
        assert_problem(busy, StatusCode::SERVICE_UNAVAILABLE, "service_unavailable").await;
    }
    drop(held);
    let done = app
        .get_authed(&format!("{path}/export?format=pdf"), &token)
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    assert_eq!(cache_header(&done), "miss");
    assert_eq!(app.state.exports.slots().available_permits(), 1);
}

#[tokio::test]
async fn an_unchanged_project_exports_from_the_cache_and_an_edit_renders_anew() {
    let app = spawn_app_with(|_| {}).await;
    let (token, path) = project(&app, "cached@example.com", "The first draft.").await;
    let first = app
        .get_authed(&format!("{path}/export?format=pdf"), &token)
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(cache_header(&first), "miss");
    let first = first.bytes().await.unwrap();
    let (files, _) = cache_files(&app);
    assert_eq!(files.len(), 1, "{files:?}");

    let second = app
        .get_authed(&format!("{path}/export?format=pdf"), &token)
        .await;
    assert_eq!(cache_header(&second), "hit");
    assert_eq!(second.bytes().await.unwrap(), first);

    // The public export of the same version is the same file: a popular share renders once.
    let share: Value = app
        .post_authed(&format!("{path}/share"), &token, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let shared = app
        .get(&format!(
            "/api/v1/shared/{}/export?format=pdf",
            share["code"].as_str().unwrap()
        ))
        .await;
    assert_eq!(shared.status(), StatusCode::OK);
    assert_eq!(cache_header(&shared), "hit");
    assert_eq!(cache_files(&app).0, files);

    let edited = app
        .patch_at(
            &path,
            &token,
            "\"1\"",
            &json!({ "chapters": [{ "title": "One", "text": "The second draft." }] }),
        )
        .await;
    assert_eq!(edited.status(), StatusCode::OK);
    let fresh = app
        .get_authed(&format!("{path}/export?format=txt"), &token)
        .await;
    assert_eq!(cache_header(&fresh), "miss");
    let after_edit = app
        .get_authed(&format!("{path}/export?format=pdf"), &token)
        .await;
    assert_eq!(cache_header(&after_edit), "miss", "an edit renders anew");
    assert_ne!(after_edit.bytes().await.unwrap(), first);
    let text = app
        .get_authed(&format!("{path}/export?format=txt"), &token)
        .await;
    assert_eq!(cache_header(&text), "hit");
    assert!(text.text().await.unwrap().contains("The second draft."));
}

#[tokio::test]
async fn the_export_cache_stays_under_its_size_cap() {
    const CAP: u64 = 2_500;
    let app = spawn_app_with(|s| s.export_cache_bytes = CAP).await;
    let (token, path) = project(&app, "capped@example.com", &"word ".repeat(200)).await;
    let mut sizes = Vec::new();
    for format in ["txt", "md", "txt", "md"] {
        let response = app
            .get_authed(&format!("{path}/export?format={format}"), &token)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        sizes.push(response.bytes().await.unwrap().len() as u64);
    }
    assert!(sizes[0] + sizes[1] <= CAP, "both files fit: {sizes:?}");
    assert!(sizes[0] * 3 > CAP, "a third would not: {sizes:?}");
    // A second version of each: the older files are the least recently used.
    let edited = app
        .patch_at(&path, &token, "\"1\"", &json!({ "title": "Cached, again" }))
        .await;
    assert_eq!(edited.status(), StatusCode::OK);
    for format in ["txt", "md"] {
        let response = app
            .get_authed(&format!("{path}/export?format={format}"), &token)
            .await;
        assert_eq!(cache_header(&response), "miss");
        let (files, total) = cache_files(&app);
        assert!(total <= CAP, "{total} bytes in {files:?}");
    }
    let (files, _) = cache_files(&app);
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.iter().all(|f| f.contains("-2-")), "{files:?}");
    let cache = app.state.exports.cache().unwrap();
    assert!(cache.weighted_bytes() <= CAP);
}
