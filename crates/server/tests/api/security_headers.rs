//! Security headers on every response (a CSP per kind of page, nosniff, referrer policy,
//! HSTS over https) and CORS limited to the configured origins.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

use crate::helpers::{spawn_app, spawn_app_with};

const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn assert_common(headers: &HeaderMap, what: &str) {
    assert_eq!(
        header(headers, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        header(headers, "referrer-policy"),
        Some("strict-origin-when-cross-origin"),
        "{what}"
    );
    assert!(
        header(headers, "content-security-policy").is_some(),
        "{what}"
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let session = app.signed_up_user("headers@example.com").await;
    let responses = [
        ("health", app.get("/health").await),
        (
            "json",
            app.get_authed("/api/v1/me", &session.access_token).await,
        ),
        ("401", app.get("/api/v1/me").await),
        ("404", app.get("/api/v1/nothing").await),
        (
            "405",
            app.client.delete(app.url("/health")).send().await.unwrap(),
        ),
        ("openapi", app.get("/openapi.json").await),
        ("ops 404", app.get("/metrics").await),
        ("ops listener", app.ops_get("/metrics").await),
    ];
    for (what, response) in &responses {
        let headers = response.headers();
        assert_common(headers, what);
        assert_eq!(
            header(headers, "content-security-policy"),
            Some(API_POLICY),
            "{what}"
        );
        assert!(
            header(headers, "strict-transport-security").is_none(),
            "no HSTS over http: {what}"
        );
    }

    // Swagger UI's page and its files get a policy of their own: its own scripts only.
    for path in ["/docs/", "/docs/swagger-ui-bundle.js"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_common(response.headers(), path);
        let csp = header(response.headers(), "content-security-policy").unwrap();
        assert!(csp.contains("script-src 'self';"), "{path}: {csp}");
        assert!(!csp.contains("'unsafe-eval'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
    let redirect = app.get("/docs").await;
    assert_common(redirect.headers(), "docs redirect");
}

#[tokio::test]
async fn hsts_is_sent_when_the_public_url_is_https() {
    let app = spawn_app_with(|s| s.public_url = "https://penora.example.com".to_owned()).await;
    for response in [app.get("/health").await, app.get("/nothing").await] {
        assert_eq!(
            header(response.headers(), "strict-transport-security"),
            Some("max-age=31536000")
        );
    }
}

#[tokio::test]
async fn cors_answers_configured_origins_only() {
    const ALLOWED: &str = "https://app.example.com";
    const FOREIGN: &str = "https://evil.example.net";
    let app = spawn_app_with(|s| s.cors_origins = ALLOWED.to_owned()).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/v1/auth/login"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let simple = |origin: &'static str| {
        app.client
            .get(app.url("/health"))
            .header("origin", origin)
            .send()
    };

    for response in [
        preflight(ALLOWED).await.unwrap(),
        simple(ALLOWED).await.unwrap(),
    ] {
        assert_eq!(
            header(response.headers(), "access-control-allow-origin"),
            Some(ALLOWED)
        );
    }
    for (what, response) in [
        ("preflight", preflight(FOREIGN).await.unwrap()),
        ("simple", simple(FOREIGN).await.unwrap()),
    ] {
        let headers = response.headers();
        assert!(
            header(headers, "access-control-allow-origin").is_none(),
            "{what}: {headers:?}"
        );
        assert_common(headers, what);
    }
}
