//! The built browser app as browsers get it: the entry page for client-side routes,
//! precompressed files chosen by `Accept-Encoding`, long-lived caching for fingerprinted
//! names only.

use reqwest::StatusCode;

use crate::helpers::{assert_problem, spawn_app_with, TestApp};

/// A built app as `cargo xtask build-frontend` lays it out, with stand-in compressed bodies
/// (the server never decodes them, it only picks one).
fn built_app() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("penora-spa-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let files: [(&str, &[u8]); 7] = [
        ("index.html", b"<html>penora app</html>"),
        ("index.html.br", b"BR index"),
        ("app-0123456789abcdef.js", b"console.log(1)"),
        ("app-0123456789abcdef.js.br", b"BR js"),
        ("app-0123456789abcdef.js.gz", b"GZ js"),
        ("robots.txt", b"User-agent: *"),
        ("csp-script-hashes.txt", b"sha256-AbCd+/09=\n"),
    ];
    for (name, body) in files {
        std::fs::write(dir.join(name), body).unwrap();
    }
    dir
}

async fn serving_built_app() -> (TestApp, std::path::PathBuf) {
    let dir = built_app();
    let frontend = dir.clone();
    (
        spawn_app_with(move |s| s.frontend_dir = Some(frontend)).await,
        dir,
    )
}

async fn get(app: &TestApp, path: &str, accept_encoding: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("Accept-Encoding", accept_encoding)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn client_side_routes_get_the_entry_page_and_api_paths_do_not() {
    let (app, dir) = serving_built_app().await;
    for path in ["/", "/account", "/sign-in", "/index.html"] {
        let page = get(&app, path, "identity").await;
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        let csp = page.headers()["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-AbCd+/09=';"),
            "the built app's inline script is allowed on {path}: {csp}"
        );
        assert_eq!(page.headers()["cache-control"], "no-cache", "{path}");
        assert!(page.text().await.unwrap().contains("penora app"));
    }
    assert_problem(
        app.get("/api/v1/nothing").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // A file name that is not there is a 404, not the page: a stale page asking for an
    // older build's script must not get HTML for it.
    for path in ["/csp-script-hashes.txt", "/app-fedcba9876543210.js"] {
        assert_problem(app.get(path).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn files_come_precompressed_as_the_browser_accepts() {
    let (app, dir) = serving_built_app().await;
    let path = "/app-0123456789abcdef.js";
    for (accepted, body, encoding) in [
        ("gzip, deflate, br, zstd", "BR js", Some("br")),
        ("gzip", "GZ js", Some("gzip")),
        ("br;q=0, gzip;q=0.5", "GZ js", Some("gzip")),
        ("identity", "console.log(1)", None),
        ("deflate", "console.log(1)", None),
    ] {
        let res = get(&app, path, accepted).await;
        assert_eq!(res.status(), StatusCode::OK, "{accepted}");
        assert_eq!(
            res.headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            encoding,
            "{accepted}"
        );
        let vary = res.headers()["vary"].to_str().unwrap().to_lowercase();
        assert!(vary.contains("accept-encoding"), "{accepted}: {vary}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript"));
        assert_eq!(res.text().await.unwrap(), body, "{accepted}");
    }
    // Only a brotli copy of the page was built: gzip falls back to the plain file.
    let page = get(&app, "/sign-in", "gzip, br").await;
    assert_eq!(page.headers()["content-encoding"], "br");
    let page = get(&app, "/sign-in", "gzip").await;
    assert!(page.headers().get("content-encoding").is_none());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn fingerprinted_files_are_cached_for_good_and_others_revalidated() {
    let (app, dir) = serving_built_app().await;
    let js = get(&app, "/app-0123456789abcdef.js", "br").await;
    assert_eq!(
        js.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let robots = get(&app, "/robots.txt", "br").await;
    assert_eq!(robots.headers()["cache-control"], "no-cache");
    let etag = robots.headers()["etag"].clone();
    let again = app
        .client
        .get(app.url("/robots.txt"))
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let head = app
        .client
        .head(app.url("/app-0123456789abcdef.js"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["content-length"], "5");
    let post = app
        .client
        .post(app.url("/robots.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    let _ = std::fs::remove_dir_all(dir);
}
