//! Share codes: create, read without signing in, revoke, expiry, rate limits, exports, and
//! the ImageGene reads.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp};

const ALPHABET: &str = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

async fn shared_project(app: &TestApp, email: &str) -> (String, String, String) {
    let token = app.signed_up_user(email).await.access_token;
    let project = app
        .create_project(
            &token,
            &json!({ "title": "Open letter", "kind": "story",
            "chapters": [{ "title": "Dear reader", "text": "Hello there." }] }),
        )
        .await;
    let path = format!("/api/v1/projects/{}", project["id"].as_str().unwrap());
    let share = app
        .post_authed(&format!("{path}/share"), &token, &json!({}))
        .await;
    assert_eq!(share.status(), StatusCode::CREATED);
    let share: Value = share.json().await.unwrap();
    (token, path, share["code"].as_str().unwrap().to_owned())
}

async fn revoke_share(app: &TestApp, token: &str, path: &str) {
    let revoked = app
        .send_with_etag(Method::DELETE, &format!("{path}/share"), token, None, None)
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_share_code_is_six_characters_of_the_unambiguous_alphabet() {
    let app = spawn_app().await;
    let (_token, _path, code) = shared_project(&app, "author@example.com").await;
    assert_eq!(code.len(), 6);
    assert!(code.chars().all(|c| ALPHABET.contains(c)), "{code}");
}

#[tokio::test]
async fn sharing_again_keeps_the_live_code() {
    let app = spawn_app().await;
    let (token, path, code) = shared_project(&app, "author@example.com").await;
    let again = app
        .client
        .post(app.url(&format!("{path}/share")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        StatusCode::OK,
        "an empty body is fine and keeps the live code"
    );
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["code"], code.as_str());
    assert!(again["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/s/{code}")));
}

#[tokio::test]
async fn a_share_code_opens_a_read_only_copy_and_counts_views() {
    let app = spawn_app().await;
    let (token, path, code) = shared_project(&app, "author@example.com").await;
    let lower = code.to_lowercase();
    let public: Value = app
        .get(&format!("/api/v1/shared/{lower}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["title"], "Open letter");
    assert_eq!(public["author"], "author");
    assert_eq!(public["chapters"][0]["text"], "Hello there.");
    app.get(&format!("/api/v1/shared/{code}")).await;
    app.state.share_lookups.flush(&app.db).await.unwrap();
    let project: Value = app.get_authed(&path, &token).await.json().await.unwrap();
    assert_eq!(project["share"]["views"], 2);
}

#[tokio::test]
async fn a_shared_copy_exports_as_text() {
    let app = spawn_app().await;
    let (_token, _path, code) = shared_project(&app, "author@example.com").await;
    let txt = app
        .get(&format!("/api/v1/shared/{code}/export?format=txt"))
        .await;
    assert_eq!(txt.status(), StatusCode::OK);
    assert!(txt.text().await.unwrap().contains("Hello there."));
}

#[tokio::test]
async fn a_revoked_code_is_gone_without_a_hint_that_it_existed() {
    let app = spawn_app().await;
    let (token, path, code) = shared_project(&app, "author@example.com").await;
    revoke_share(&app, &token, &path).await;
    let gone = assert_problem(
        app.get(&format!("/api/v1/shared/{code}")).await,
        StatusCode::NOT_FOUND,
        "share_not_found",
    )
    .await;
    let unknown = assert_problem(
        app.get("/api/v1/shared/ZZZZZZ").await,
        StatusCode::NOT_FOUND,
        "share_not_found",
    )
    .await;
    assert_eq!(
        gone["detail"], unknown["detail"],
        "no hint whether a code ever existed"
    );
    let export = app
        .get(&format!("/api/v1/shared/{code}/export?format=pdf"))
        .await;
    assert_problem(export, StatusCode::NOT_FOUND, "share_not_found").await;
}

#[tokio::test]
async fn sharing_after_a_revocation_makes_a_new_code() {
    let app = spawn_app().await;
    let (token, path, code) = shared_project(&app, "author@example.com").await;
    app.get(&format!("/api/v1/shared/{code}")).await;
    revoke_share(&app, &token, &path).await;
    let fresh: Value = app
        .post_authed(&format!("{path}/share"), &token, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(fresh["code"], code.as_str());
    assert_eq!(fresh["views"], 0);
}

#[tokio::test]
async fn malformed_codes_and_expiry() {
    let app = spawn_app().await;
    for bad in ["ABC23", "ABC2345", "ABCO23", "ABC1I2", "abcl23"] {
        let response = app.get(&format!("/api/v1/shared/{bad}")).await;
        assert_problem(response, StatusCode::BAD_REQUEST, "invalid_share_code").await;
    }
    let token = app.signed_up_user("timed@example.com").await.access_token;
    let project = app
        .create_project(&token, &json!({ "title": "Timed" }))
        .await;
    let share_path = format!("/api/v1/projects/{}/share", project["id"].as_str().unwrap());
    for days in [0, 366] {
        let response = app
            .post_authed(&share_path, &token, &json!({ "expires_in_days": days }))
            .await;
        assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    let malformed = app
        .client
        .post(app.url(&share_path))
        .bearer_auth(&token)
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_problem(malformed, StatusCode::BAD_REQUEST, "malformed_json").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM projects WHERE share_code IS NOT NULL")
            .await,
        0
    );

    let share: Value = app
        .post_authed(&share_path, &token, &json!({ "expires_in_days": 1 }))
        .await
        .json()
        .await
        .unwrap();
    assert!(share["expires_at"].is_string());
    let code = share["code"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/shared/{code}")).await.status(),
        StatusCode::OK
    );
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        &format!(
            "UPDATE projects SET share_expires_at = {}",
            expired_at(&app)
        ),
    )
    .await
    .unwrap();
    assert_problem(
        app.get(&format!("/api/v1/shared/{code}")).await,
        StatusCode::NOT_FOUND,
        "share_not_found",
    )
    .await;
    let renewed: Value = app
        .post_authed(&share_path, &token, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(renewed["code"], code, "an expired code is replaced");
}

/// A timestamp in the past in the database's own format.
fn expired_at(app: &TestApp) -> String {
    match app.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "NOW() - INTERVAL '1 hour'".to_owned(),
        _ => "'2000-01-01 00:00:00+00:00'".to_owned(),
    }
}

#[tokio::test]
async fn look_ups_are_rate_limited_per_ip() {
    let app = spawn_app_with(|s| s.share_lookups_per_ip_per_minute = 5).await;
    let (_, _, code) = shared_project(&app, "popular@example.com").await;
    for guess in ["AAAAAA", "BBBBBB", "DDDDDD", "CCCCCC"] {
        assert_ne!(
            app.get(&format!("/api/v1/shared/{guess}")).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    assert_eq!(
        app.get(&format!("/api/v1/shared/{code}")).await.status(),
        StatusCode::OK
    );
    let limited = app.get(&format!("/api/v1/shared/{code}")).await;
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    assert_problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let export = app
        .get(&format!("/api/v1/shared/{code}/export?format=md"))
        .await;
    assert_problem(export, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn imagegene_lists_projects_reads_shares_and_sees_the_combined_quota() {
    let app = spawn_app().await;
    let (token, _, code) = shared_project(&app, "both-apps@example.com").await;
    let session_user: Value = app
        .get_authed("/api/v1/me", &token)
        .await
        .json()
        .await
        .unwrap();
    let user = session_user["id"].as_str().unwrap();
    let key = app.app_key(&["projects:read", "credits:read"]).await;

    let page: Value = app
        .get_authed(&format!("/api/v1/apps/users/{user}/projects"), &key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["title"], "Open letter");
    assert_eq!(page["items"][0]["share_code"], code.as_str());
    let shared: Value = app
        .get_authed(&format!("/api/v1/apps/shares/{code}"), &key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shared["chapters"][0]["title"], "Dear reader");
    assert_eq!(shared["views"], 0, "app reads are not views");
    let quota: Value = app
        .get_authed(&format!("/api/v1/apps/users/{user}/quota"), &key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        quota["storage"],
        json!({ "used_bytes": 34, "penora_bytes": 34, "imagegene_bytes": 0,
                "limit_bytes": 1_048_576, "available_bytes": 1_048_542 })
    );
    assert_eq!(quota["credits"]["balance_mc"], 50_000);

    let unknown_user = app
        .get_authed(
            &format!("/api/v1/apps/users/{}/projects", uuid::Uuid::new_v4()),
            &key,
        )
        .await;
    assert_problem(unknown_user, StatusCode::NOT_FOUND, "user_not_found").await;
    let unknown_code = app.get_authed("/api/v1/apps/shares/ZZZZZZ", &key).await;
    assert_problem(unknown_code, StatusCode::NOT_FOUND, "share_not_found").await;
    let narrow = app.app_key(&["credits:read"]).await;
    let denied = app
        .get_authed(&format!("/api/v1/apps/users/{user}/projects"), &narrow)
        .await;
    assert_problem(denied, StatusCode::FORBIDDEN, "insufficient_scope").await;
    let personal = app
        .get_authed(&format!("/api/v1/apps/shares/{code}"), &token)
        .await;
    assert_problem(personal, StatusCode::FORBIDDEN, "app_key_required").await;
    // Audited once each: the refused calls never reached a user or a project.
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('app.projects_listed', 'app.share_read')").await, 2);
}

#[tokio::test]
async fn malformed_share_codes_are_refused_before_any_write() {
    let app = spawn_app().await;
    for bad in ["bad", "ABCDEFG", "AAAAA1", "%20%20%20%20%20%20"] {
        let read = app.get(&format!("/api/v1/shared/{bad}")).await;
        assert_problem(read, StatusCode::BAD_REQUEST, "invalid_share_code").await;
        let export = app
            .get(&format!("/api/v1/shared/{bad}/export?format=txt"))
            .await;
        assert_problem(export, StatusCode::BAD_REQUEST, "invalid_share_code").await;
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM rate_limit_hits WHERE bucket LIKE 'share:%'")
            .await,
        0,
        "no counter row for a code that cannot exist"
    );
}

#[tokio::test]
async fn a_refused_client_waits_without_more_writes() {
    let app = spawn_app_with(|s| s.share_lookups_per_ip_per_minute = 2).await;
    let (_, _, code) = shared_project(&app, "hammered@example.com").await;
    for _ in 0..2 {
        let ok = app.get(&format!("/api/v1/shared/{code}")).await;
        assert_eq!(ok.status(), StatusCode::OK);
    }
    for _ in 0..5 {
        let limited = app.get(&format!("/api/v1/shared/{code}")).await;
        assert!(limited.headers().contains_key("retry-after"));
        assert_problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    }
    // Two allowed and the first refusal were counted; the others were refused in memory.
    assert_eq!(
        app.count(
            "SELECT CAST(SUM(hits) AS BIGINT) FROM rate_limit_hits WHERE bucket LIKE 'share:%'"
        )
        .await,
        3
    );
}

#[tokio::test]
async fn views_are_written_in_batches_that_add_up_across_replicas() {
    // No background flush during the test: the test flushes through the state.
    let app = spawn_app_with(|s| s.share_view_flush_ms = 3_600_000).await;
    let (token, path, code) = shared_project(&app, "viewed@example.com").await;
    let replica = app
        .another_server_with(|s| s.share_view_flush_ms = 3_600_000)
        .await;
    for _ in 0..3 {
        assert_eq!(
            app.get(&format!("/api/v1/shared/{code}")).await.status(),
            StatusCode::OK
        );
    }
    for _ in 0..2 {
        assert_eq!(
            replica
                .get(&format!("/api/v1/shared/{code}"))
                .await
                .status(),
            StatusCode::OK
        );
    }
    let views = || async {
        let project: Value = app.get_authed(&path, &token).await.json().await.unwrap();
        project["share"]["views"].as_i64().unwrap()
    };
    assert_eq!(views().await, 0, "counted in memory");
    assert_eq!(app.state.share_lookups.pending_views(), 3);
    assert_eq!(app.state.share_lookups.flush(&app.db).await.unwrap(), 3);
    assert_eq!(views().await, 3);
    assert_eq!(
        replica
            .state
            .share_lookups
            .flush(&replica.db)
            .await
            .unwrap(),
        2
    );
    assert_eq!(views().await, 5, "each replica adds its own views");
    assert_eq!(app.state.share_lookups.flush(&app.db).await.unwrap(), 0);
    assert_eq!(views().await, 5);
}

#[tokio::test]
async fn the_background_task_writes_the_views() {
    let app = spawn_app_with(|s| s.share_view_flush_ms = 50).await;
    let (token, path, code) = shared_project(&app, "flushed@example.com").await;
    app.get(&format!("/api/v1/shared/{code}")).await;
    let mut views = 0;
    for _ in 0..100 {
        let project: Value = app.get_authed(&path, &token).await.json().await.unwrap();
        views = project["share"]["views"].as_i64().unwrap();
        if views == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(views, 1);
}
