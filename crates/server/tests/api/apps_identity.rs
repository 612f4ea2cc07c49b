//! One user across Penora and ImageGene: ImageGene finds the user by address, Penora id,
//! the main site's id or a single sign-on token made for it, and reports the storage it
//! holds, which counts in the quota both apps share.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, refusal_of, spawn_sso_app, sso_claims, sso_token, statuses_together, TestApp,
};

async fn resolve(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/apps/users/resolve"))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn report(app: &TestApp, key: &str, user: &str, bytes: i64) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/v1/apps/users/{user}/storage")))
        .bearer_auth(key)
        .json(&json!({ "bytes": bytes }))
        .send()
        .await
        .unwrap()
}

fn for_imagegene(sub: &str, email: &str) -> String {
    let mut claims = sso_claims(sub, email);
    claims["aud"] = json!("imagegene");
    sso_token(&claims)
}

#[tokio::test]
async fn imagegene_finds_one_user_by_each_of_its_keys() {
    let app = spawn_sso_app(None).await;
    let key = app.app_key(&["users:read"]).await;
    // The main site's ids are long decimal strings: 40 digits are kept as they are.
    let sub = "9".repeat(40);
    let session = app
        .sso_session(&sso_token(&sso_claims(&sub, "one@example.com")))
        .await;
    let id = session.body["user"]["id"].as_str().unwrap().to_owned();

    for body in [
        json!({ "email": "One@Example.com" }),
        json!({ "user_id": id }),
        json!({ "external_id": sub }),
        json!({ "sso_token": for_imagegene(&sub, "one@example.com") }),
    ] {
        let response = resolve(&app, &key, &body).await;
        assert_eq!(response.status(), StatusCode::OK, "{body}");
        let found: Value = response.json().await.unwrap();
        assert_eq!(found["user_id"], id.as_str(), "{body}");
        assert_eq!(found["external_id"], sub.as_str());
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE role = 'user'")
            .await,
        1
    );
    let resolved = app
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'app.user_resolved'")
        .await;
    assert_eq!(resolved, 4);
}

#[tokio::test]
async fn a_person_arriving_at_imagegene_first_gets_the_same_account_penora_shows() {
    let app = spawn_sso_app(None).await;
    let key = app.app_key(&["users:read"]).await;
    let found: Value = resolve(
        &app,
        &key,
        &json!({ "sso_token": for_imagegene("77", "first@example.com") }),
    )
    .await
    .json()
    .await
    .unwrap();
    let session = app
        .sso_session(&sso_token(&sso_claims("77", "first@example.com")))
        .await;
    assert_eq!(session.body["user"]["id"], found["user_id"]);
    let balance: Value = app
        .get_authed("/api/v1/credits/balance", &session.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(balance["balance_mc"], 50_000, "one welcome bonus");
}

#[tokio::test]
async fn a_token_for_one_app_is_refused_by_the_other_and_works_once() {
    let app = spawn_sso_app(None).await;
    let key = app.app_key(&["users:read"]).await;
    let penora_token = sso_token(&sso_claims("8", "eight@example.com"));
    let refused = resolve(&app, &key, &json!({ "sso_token": penora_token })).await;
    let problem = assert_problem(refused, StatusCode::UNAUTHORIZED, "sign_in_refused").await;
    assert_eq!(problem["extra"]["reason"], "wrong_audience");
    let imagegene_token = for_imagegene("8", "eight@example.com");
    assert_eq!(
        refusal_of(&app.sso_post(&imagegene_token, None).await),
        "wrong_audience"
    );
    let first = resolve(&app, &key, &json!({ "sso_token": imagegene_token })).await;
    assert_eq!(first.status(), StatusCode::OK);
    let again = resolve(&app, &key, &json!({ "sso_token": imagegene_token })).await;
    let problem = assert_problem(again, StatusCode::UNAUTHORIZED, "sign_in_refused").await;
    assert_eq!(problem["extra"]["reason"], "token_replayed");
}

#[tokio::test]
async fn a_resolve_names_exactly_one_valid_key() {
    let app = spawn_sso_app(None).await;
    let key = app.app_key(&["users:read"]).await;
    for body in [
        json!({}),
        json!({ "email": "a@example.com", "user_id": "0190c1e2-0000-7000-8000-000000000000" }),
        json!({ "user_id": "42" }),
        json!({ "external_id": "" }),
        json!({ "email": "not an address" }),
    ] {
        let response = resolve(&app, &key, &body).await;
        assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    for body in [
        json!({ "user_id": "0190c1e2-0000-7000-8000-000000000000" }),
        json!({ "external_id": "1".repeat(40) }),
        json!({ "email": "nobody@example.com" }),
    ] {
        let response = resolve(&app, &key, &body).await;
        assert_problem(response, StatusCode::NOT_FOUND, "user_not_found").await;
    }
}

/// A user with `quota` bytes of storage, ImageGene's key (`storage:write`) and the user's
/// session token and id.
async fn shared_quota(quota: i64) -> (TestApp, String, String, String) {
    let app = crate::helpers::spawn_app_with(move |s| s.storage_quota_bytes = quota).await;
    let key = app.app_key(&["storage:write", "credits:read"]).await;
    let session = app.signed_up_user("shared@example.com").await;
    let id = session.body["user"]["id"].as_str().unwrap().to_owned();
    (app, key, session.access_token, id)
}

#[tokio::test]
async fn imagegene_reports_its_storage_once_and_it_counts_in_the_quota() {
    let (app, key, token, id) = shared_quota(1_000).await;
    let reported = report(&app, &key, &id, 700).await;
    assert_eq!(reported.status(), StatusCode::OK);
    let quota: Value = reported.json().await.unwrap();
    assert_eq!(
        quota,
        json!({ "used_bytes": 700, "penora_bytes": 0, "imagegene_bytes": 700,
                "limit_bytes": 1000, "available_bytes": 300 })
    );
    // The same figure again is no change, and is recorded once.
    assert_eq!(report(&app, &key, &id, 700).await.status(), StatusCode::OK);
    let recorded = app
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'app.storage_reported'")
        .await;
    assert_eq!(recorded, 1);

    // Penora's own writes now have 300 bytes left.
    let project = json!({ "title": "0123456789", "chapters": [{ "text": "x".repeat(390) }] });
    let refused = app.post_authed("/api/v1/projects", &token, &project).await;
    assert_problem(refused, StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded").await;
    let small = json!({ "title": "0123456789", "chapters": [{ "text": "x".repeat(190) }] });
    let created = app.post_authed("/api/v1/projects", &token, &small).await;
    assert_eq!(created.status(), StatusCode::CREATED);

    // ImageGene growing past what is left is refused and changes nothing; shrinking works.
    let over = report(&app, &key, &id, 900).await;
    assert_problem(over, StatusCode::PAYLOAD_TOO_LARGE, "quota_exceeded").await;
    let usage: Value = app
        .get_authed("/api/v1/storage", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            usage["penora_bytes"].as_i64(),
            usage["imagegene_bytes"].as_i64()
        ),
        (Some(200), Some(700))
    );
    assert_eq!(report(&app, &key, &id, 0).await.status(), StatusCode::OK);
    let quota: Value = app
        .client
        .get(app.url(&format!("/api/v1/apps/users/{id}/quota")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(quota["storage"]["used_bytes"], 200);
}

#[tokio::test]
async fn storage_reports_refuse_bad_figures_unknown_users_and_keys_without_the_scope() {
    let (app, key, _token, id) = shared_quota(1_000).await;
    for bytes in [-1, (1_i64 << 53) + 1] {
        let response = report(&app, &key, &id, bytes).await;
        assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    let unknown = report(&app, &key, "0190c1e2-0000-7000-8000-000000000000", 1).await;
    assert_problem(unknown, StatusCode::NOT_FOUND, "user_not_found").await;
    let reader = app.app_key(&["users:read"]).await;
    let response = report(&app, &reader, &id, 1).await;
    assert_problem(response, StatusCode::FORBIDDEN, "insufficient_scope").await;
}

#[tokio::test]
async fn both_apps_writing_at_once_never_pass_the_quota_together() {
    let (app, key, token, id) = shared_quota(10_000).await;
    let project = json!({ "title": "0123456789", "chapters": [{ "text": "z".repeat(990) }] });
    // Ten Penora projects of 1,000 bytes and ImageGene asking for 1,000 to 10,000 bytes, at
    // once: whichever order they land in, the two together stay within 10,000.
    let writes = (0..10).map(|_| {
        let app = &app;
        let token = &token;
        let project = &project;
        Box::pin(async move { app.post_authed("/api/v1/projects", token, project).await })
            as std::pin::Pin<Box<dyn std::future::Future<Output = reqwest::Response> + '_>>
    });
    let reports = (1..=10).map(|n| {
        let app = &app;
        let key = &key;
        let id = &id;
        Box::pin(async move { report(app, key, id, n * 1_000).await })
            as std::pin::Pin<Box<dyn std::future::Future<Output = reqwest::Response> + '_>>
    });
    let statuses = statuses_together(writes.chain(reports)).await;
    statuses.assert_only(&[
        StatusCode::CREATED,
        StatusCode::OK,
        StatusCode::PAYLOAD_TOO_LARGE,
    ]);
    let penora = app
        .count("SELECT COALESCE(CAST(SUM(size_bytes) AS BIGINT), 0) FROM projects")
        .await;
    let of_user = |column: &str| format!("SELECT {column} FROM users WHERE role = 'user'");
    let imagegene = app.count(&of_user("app_storage_bytes")).await;
    let counter = app.count(&of_user("storage_used_bytes")).await;
    assert_eq!(counter, penora, "the counter stays exact");
    assert!(penora + imagegene <= 10_000, "{penora} + {imagegene}");
}

#[tokio::test]
async fn the_same_report_sent_twice_at_once_is_one_change() {
    let (app, key, _token, id) = shared_quota(10_000).await;
    for round in 1..=3 {
        let bytes = round * 1_000;
        let reports = (0..4).map(|_| report(&app, &key, &id, bytes));
        let statuses = statuses_together(reports).await;
        assert_eq!(statuses.count(StatusCode::OK), 4);
    }
    let recorded = app
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'app.storage_reported'")
        .await;
    assert_eq!(recorded, 3, "one entry per change");
}
