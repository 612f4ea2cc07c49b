//! Exports over HTTP: every format with its content type and a safe file name.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn every_format_downloads_with_its_type_and_a_safe_name() {
    let app = spawn_app().await;
    let token = app
        .signed_up_user("exporter@example.com")
        .await
        .access_token;
    let project = app
        .create_project(
            &token,
            &json!({ "title": "Café / ../Nights", "kind": "story", "chapters": [
            { "title": "Первая глава", "text": "It began.\n\nयह एक परीक्षण वाक्य है।" },
            { "title": "Two", "text": "It ended." }] }),
        )
        .await;
    let base = format!(
        "/api/v1/projects/{}/export",
        project["id"].as_str().unwrap()
    );
    for (format, content_type, magic) in [
        ("pdf", "application/pdf", &b"%PDF"[..]),
        (
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            &b"PK"[..],
        ),
        ("epub", "application/epub+zip", &b"PK"[..]),
        ("txt", "text/plain; charset=utf-8", &b"Caf"[..]),
        ("MD", "text/markdown; charset=utf-8", &b"# Caf"[..]),
    ] {
        let response = app
            .get_authed(&format!("{base}?format={format}"), &token)
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{format}");
        assert_eq!(response.headers()["content-type"], content_type);
        let disposition = response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(disposition.starts_with("attachment"), "{disposition}");
        let extension = format.to_lowercase();
        assert!(
            disposition.contains(&format!(".{extension}")),
            "{disposition}"
        );
        assert!(
            !disposition.contains('/') && !disposition.contains(".."),
            "{disposition}"
        );
        let bytes = response.bytes().await.unwrap();
        assert!(bytes.starts_with(magic), "{format}");
        if extension == "txt" || extension == "md" {
            let text = String::from_utf8(bytes.to_vec()).unwrap();
            assert!(text.contains("Первая глава") && text.contains("यह एक परीक्षण वाक्य है।"));
        }
    }
    for bad in ["?format=rtf", ""] {
        let response = app.get_authed(&format!("{base}{bad}"), &token).await;
        assert_problem(response, StatusCode::BAD_REQUEST, "unknown_export_format").await;
    }
}
