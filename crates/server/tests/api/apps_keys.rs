//! App keys: scopes, listing and revoking them, and revocation through the look-up cache.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, Session, TestApp};

#[tokio::test]
async fn only_app_keys_with_the_scope_get_in() {
    let app = spawn_app().await;
    let session = app.signed_up_user("scoped@example.com").await;
    let user = app.user_id(&session).await;
    let read_only = app.app_key(&["credits:read"]).await;
    let path = format!("/api/v1/apps/users/{user}/debits");
    let r = app
        .post_idem(&path, &read_only, "k", &json!({ "amount_mc": 5 }))
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "insufficient_scope").await;
    let r = app
        .post_idem(
            &path,
            &session.access_token,
            "k",
            &json!({ "amount_mc": 5 }),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "app_key_required").await;
    let r = app
        .post_idem(&path, "ak_live_forged", "k", &json!({ "amount_mc": 5 }))
        .await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_problem(
        app.get(&format!("/api/v1/apps/users/{user}/balance")).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // An app key is not a user.
    assert_problem(
        app.get_authed("/api/v1/me", &read_only).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

/// An app, an admin, and an app key they issued (its creation answer and secret) that has
/// been used once.
async fn used_app_key() -> (TestApp, Session, Value, String) {
    let app = spawn_app().await;
    let admin = app.admin("keymaster@example.com").await;
    let created: Value = app
        .post_authed(
            "/api/v1/admin/app-keys",
            &admin.access_token,
            &json!({ "name": "imagegene", "scopes": ["users:read"] }),
        )
        .await
        .json()
        .await
        .unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let resolve = json!({ "email": "keymaster@example.com" });
    assert_eq!(
        app.post_authed("/api/v1/apps/users/resolve", &secret, &resolve)
            .await
            .status(),
        StatusCode::OK
    );
    (app, admin, created, secret)
}

#[tokio::test]
async fn admins_list_app_keys_without_their_secrets() {
    let (app, admin, _created, secret) = used_app_key().await;
    let listed: Value = app
        .get_authed("/api/v1/admin/app-keys", &admin.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["kind"], "app");
    assert!(!listed.to_string().contains(&secret));
    assert!(
        listed["items"][0]["last_used_at"].is_string(),
        "use is recorded"
    );
}

#[tokio::test]
async fn admins_revoke_an_app_key_once() {
    let (app, admin, created, secret) = used_app_key().await;
    let resolve = json!({ "email": "keymaster@example.com" });
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/admin/app-keys/{id}");
    let revoked = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let after = app
        .post_authed("/api/v1/apps/users/resolve", &secret, &resolve)
        .await;
    assert_problem(after, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let again = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap();
    assert_problem(again, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'admin.app_key_revoked'")
            .await,
        1
    );
}

const RESOLVE: &str = "/api/v1/apps/users/resolve";

/// Whether an app key still gets in: resolving an unknown email is then a 404.
async fn works(app: &TestApp, key: &str) -> bool {
    let resolve = json!({ "email": "nobody@example.com" });
    app.post_authed(RESOLVE, key, &resolve).await.status() == StatusCode::NOT_FOUND
}

async fn assert_refused(app: &TestApp, key: &str) {
    let resolve = json!({ "email": "nobody@example.com" });
    let after = app.post_authed(RESOLVE, key, &resolve).await;
    assert_problem(after, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

/// Another replica revoking a key (here: the database changed behind this server's back)
/// takes effect once this server's cached look-up expires.
#[tokio::test]
async fn a_key_revoked_elsewhere_stops_working_when_its_cached_look_up_expires() {
    use sea_orm::ConnectionTrait;

    let app = spawn_app_with(|s| s.api_key_cache_ms = 300).await;
    let key = app.app_key(&["users:read"]).await;
    assert!(works(&app, &key).await);
    app.db
        .execute_unprepared("UPDATE api_keys SET revoked_at = created_at")
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_refused(&app, &key).await;
}

/// With a long cache time a key revoked elsewhere still works from the cache, until a
/// revocation through this server forgets every cached key: that takes effect at once.
#[tokio::test]
async fn a_revocation_here_forgets_every_cached_key() {
    use sea_orm::ConnectionTrait;

    let app = spawn_app_with(|s| s.api_key_cache_ms = 600_000).await;
    let (elsewhere, here) = (
        app.app_key(&["users:read"]).await,
        app.app_key(&["users:read"]).await,
    );
    for key in [&elsewhere, &here] {
        assert!(works(&app, key).await);
    }
    let admin = app.admin("revoker@example.com").await;
    let listed: Value = app
        .get_authed("/api/v1/admin/app-keys", &admin.access_token)
        .await
        .json()
        .await
        .unwrap();
    let id_of = |secret: &str| {
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| secret.starts_with(k["prefix"].as_str().unwrap()))
            .map(|k| k["id"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let sql = format!(
        "UPDATE api_keys SET revoked_at = created_at WHERE prefix = '{}'",
        &elsewhere[.."ak_live_".len() + 6]
    );
    app.db.execute_unprepared(&sql).await.unwrap();
    assert!(works(&app, &elsewhere).await, "served from the cache");
    let revoked = app
        .client
        .delete(app.url(&format!("/api/v1/admin/app-keys/{}", id_of(&here))))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    for key in [&elsewhere, &here] {
        assert_refused(&app, key).await;
    }
}
