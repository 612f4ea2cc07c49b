//! Health, metrics, the OpenAPI document and docs page, the browser app's fallback, and
//! production start-up checks.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn health_is_cheap_and_ok() {
    let app = spawn_app().await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "ok");
}

#[tokio::test]
async fn detailed_health_reports_a_dead_database() {
    let app = spawn_app().await;
    let healthy = app.ops_get("/health/detailed").await;
    assert_eq!(healthy.status(), StatusCode::OK);
    let body: Value = healthy.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"]["status"], "ok");
    assert_eq!(body["migrations"]["status"], "current");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    let expected_backend = if std::env::var("PENORA_TEST_DATABASE_URL").is_ok() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(body["database"]["backend"], expected_backend);

    // Close the pool the server uses: from its point of view the database is gone.
    app.db.close_by_ref().await.unwrap();
    let dead = app.ops_get("/health/detailed").await;
    assert_eq!(dead.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = dead.json().await.unwrap();
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["database"]["status"], "unreachable");
    // Liveness is unaffected, and requests needing the database say 503, not 500.
    assert_eq!(app.get("/health").await.status(), StatusCode::OK);
    assert_problem(
        app.login("a@example.com", "whatever 123").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
    )
    .await;
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let app = spawn_app().await;
    app.get("/health").await;
    app.get("/api/v1/nope").await;
    let text = app.ops_get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains(r#"penora_http_requests_total{method="GET",route="/health",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(
        text.contains("penora_http_request_duration_seconds_bucket"),
        "{text}"
    );
}

#[tokio::test]
async fn ops_endpoints_are_served_on_the_ops_listener_not_the_public_port() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health").await.status(), StatusCode::OK);
    for path in ["/metrics", "/health/detailed"] {
        assert_problem(app.get(path).await, StatusCode::NOT_FOUND, "not_found").await;
        // A token means nothing when none is configured.
        let guessed = app.get_authed(path, "anything").await;
        assert_problem(guessed, StatusCode::NOT_FOUND, "not_found").await;
        assert_eq!(app.ops_get(path).await.status(), StatusCode::OK, "{path}");
    }
    assert_eq!(app.ops_get("/health").await.status(), StatusCode::OK);
    // The ops listener serves nothing else.
    let api = app.ops_get("/api/v1/models").await;
    assert_problem(api, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn the_ops_token_opens_ops_endpoints_on_the_public_port() {
    const TOKEN: &str = "ops-token-0123456789-abcdefghijklmnopqrstuvwxyz";
    let app = spawn_app_with(|s| {
        s.ops_token = Some(secrecy::SecretString::from(TOKEN.to_owned()));
    })
    .await;
    for path in ["/metrics", "/health/detailed"] {
        assert_eq!(
            app.get_authed(path, TOKEN).await.status(),
            StatusCode::OK,
            "{path}"
        );
        assert_problem(app.get(path).await, StatusCode::NOT_FOUND, "not_found").await;
        let wrong = app.get_authed(path, &TOKEN.replace('0', "1")).await;
        assert_problem(wrong, StatusCode::NOT_FOUND, "not_found").await;
    }
    let text = app
        .get_authed("/metrics", TOKEN)
        .await
        .text()
        .await
        .unwrap();
    assert!(text.contains("penora_http_requests_total"), "{text}");
}

#[tokio::test]
async fn committed_openapi_matches_the_code() {
    let generated = penora_server::openapi::document().unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date: run `cargo run -p penora-server -- openapi > openapi/openapi.json`"
    );
}

#[tokio::test]
async fn openapi_and_docs_are_served() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    assert!(doc["paths"]["/api/v1/auth/signup"]["post"].is_object());
    assert!(doc["components"]["securitySchemes"]["session"].is_object());
    assert_eq!(
        app.get("/docs").await.status(),
        StatusCode::PERMANENT_REDIRECT
    );
    let page = app.get("/docs/").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text().await.unwrap().contains("swagger"),
        "vendored UI page"
    );
    let asset = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(
        asset.status(),
        StatusCode::OK,
        "UI assets come from the binary, not the internet"
    );
}

fn penora(envs: &[(&str, &str)]) -> std::process::Output {
    let data = std::env::temp_dir().join(format!("penora-prod-{}", uuid::Uuid::new_v4()));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_penora"));
    cmd.arg("serve")
        .env_clear()
        .env("PENORA_DATA_DIR", &data)
        .env("PENORA_BIND", "127.0.0.1:0")
        .env("PENORA_MIGRATE_ON_START", "false");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run penora");
    let _ = std::fs::remove_dir_all(data);
    out
}

#[test]
fn production_refuses_default_or_missing_secrets() {
    let weak = penora(&[
        ("PENORA_ENV", "production"),
        ("JWT_SECRET_KEY", "change-me"),
    ]);
    assert!(!weak.status.success());
    let stderr = String::from_utf8_lossy(&weak.stderr);
    assert!(
        stderr.contains("JWT_SECRET_KEY"),
        "names the secret: {stderr}"
    );
    assert!(!stderr.contains("change-me"), "never prints it: {stderr}");

    let missing = penora(&[("PENORA_ENV", "production")]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("JWT_SECRET_KEY is not set"));
}
