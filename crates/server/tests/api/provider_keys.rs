//! Users' own provider keys: stored sealed, shown as hints, audited, and used (without a
//! credit charge) by generations with that provider's models.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::generation_faults::app_with_fake;
use crate::helpers::{assert_problem, spawn_app, TestApp};

pub(crate) const KEY: &str = "di-user-secret-key-9f3a";

pub(crate) async fn set_key(
    app: &TestApp,
    token: &str,
    provider: &str,
    key: &str,
) -> reqwest::Response {
    app.post_authed(
        "/api/v1/me/provider-keys",
        token,
        &json!({ "provider": provider, "key": key }),
    )
    .await
}

/// The users' count of provider keys (generations look for one only when it is not zero).
const COUNTED: &str = "SELECT SUM(provider_keys) FROM users";
const DEEPINFRA: &str = "/api/v1/me/provider-keys/deepinfra";

/// An app and a user's token with the DeepInfra key `KEY` stored; the answer to storing it.
async fn stored_key() -> (TestApp, String, Value) {
    let app = spawn_app().await;
    let token = app.signed_up_user("byok@example.com").await.access_token;
    let stored: Value = set_key(&app, &token, "deepinfra", KEY)
        .await
        .json()
        .await
        .unwrap();
    (app, token, stored)
}

async fn replace_key(app: &TestApp, token: &str) -> Value {
    set_key(app, token, "deepinfra", "di-another-key-0000")
        .await
        .json()
        .await
        .unwrap()
}

/// Provider keys that are refused: (provider, key, the field named in the error).
const INVALID: [(&str, &str, &str); 4] = [
    ("skynet", KEY, "provider"),
    ("offline", KEY, "provider"),
    ("openai", "short", "key"),
    ("openai", "has spaces in it", "key"),
];

async fn delete_key(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .delete(app.url(DEEPINFRA))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_stored_key_is_sealed_and_shown_as_a_hint() {
    let (app, _token, stored) = stored_key().await;
    assert_eq!(stored["provider"], "deepinfra");
    assert_eq!(stored["hint"], "di-…9f3a");
    assert!(!stored.to_string().contains(KEY));
    // At rest it is ciphertext.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM provider_keys WHERE sealed LIKE '%{KEY}%'"
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn a_replaced_key_is_still_one_key() {
    let (app, token, _stored) = stored_key().await;
    let replaced = replace_key(&app, &token).await;
    assert_eq!(replaced["hint"], "di-…0000");
    let list: Value = app.get_json("/api/v1/me/provider-keys", &token).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.count(COUNTED).await, 1, "a replaced key is still one");
}

#[tokio::test]
async fn unknown_providers_and_malformed_keys_are_refused() {
    let (app, token, _stored) = stored_key().await;
    for (provider, key, field) in INVALID {
        let response = set_key(&app, &token, provider, key).await;
        let problem = assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field);
    }
}

#[tokio::test]
async fn a_personal_api_key_cannot_manage_provider_keys() {
    let (app, token, _stored) = stored_key().await;
    let api_key: Value = app
        .post_authed_json("/api/v1/api-keys", &token, &json!({ "name": "k" }))
        .await;
    let by_key = set_key(&app, api_key["secret"].as_str().unwrap(), "openai", KEY).await;
    assert_problem(by_key, StatusCode::FORBIDDEN, "session_required").await;
}

#[tokio::test]
async fn a_deleted_key_is_gone_and_deleted_once() {
    let (app, token, _stored) = stored_key().await;
    let deleted = delete_key(&app, &token).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.count(COUNTED).await, 0);
    let again = delete_key(&app, &token).await;
    assert_problem(again, StatusCode::NOT_FOUND, "provider_key_not_found").await;
}

/// Storing, replacing and deleting are audited; refused keys (also those sent with a
/// personal API key) and a second delete are not.
#[tokio::test]
async fn storing_replacing_and_deleting_a_key_are_audited() {
    let (app, token, _stored) = stored_key().await;
    replace_key(&app, &token).await;
    for (provider, key, _) in INVALID {
        set_key(&app, &token, provider, key).await;
    }
    let api_key: Value = app
        .post_authed_json("/api/v1/api-keys", &token, &json!({ "name": "k" }))
        .await;
    set_key(&app, api_key["secret"].as_str().unwrap(), "openai", KEY).await;
    delete_key(&app, &token).await;
    delete_key(&app, &token).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'provider_key.%'")
            .await,
        3
    );
}

#[tokio::test]
async fn a_generation_with_an_own_key_uses_it_and_costs_no_credits() {
    // The platform has no DeepInfra key: its models are unavailable until the user brings one.
    let (app, fake) = app_with_fake(|s| {
        s.providers.remove("DEEPINFRA_API_KEY");
    })
    .await;
    let user = app.signed_up_user("own-key@example.com").await;
    let token = &user.access_token;
    let body = json!({ "tool": "write", "instructions": "the tide", "model": "openai-ok" });
    let before = app.post_authed("/api/v1/generations", token, &body).await;
    assert_problem(
        before,
        StatusCode::UNPROCESSABLE_ENTITY,
        "model_unavailable",
    )
    .await;

    set_key(&app, token, "deepinfra", KEY).await;
    // The catalog says so: available to this user on their key, not to everyone.
    let model = |list: Value| {
        list["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "openai-ok")
            .cloned()
            .unwrap()
    };
    let mine = model(app.get_json("/api/v1/models", token).await);
    assert_eq!(
        (mine["available"].clone(), mine["own_key"].clone()),
        (json!(true), json!(true))
    );
    let anyone = model(app.get("/api/v1/models").await.json().await.unwrap());
    assert_eq!(anyone["available"], false);
    let response = app.post_authed("/api/v1/generations", token, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["generation"]["billed_to"], "own_key");
    assert_eq!(result["generation"]["cost_mc"], 0);
    assert_eq!(result["generation"]["words"], 7);
    assert_eq!(result["balance"]["balance_mc"], 50_000);
    let sent = fake.requests();
    assert_eq!(
        sent.last().unwrap().header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'generation'")
            .await,
        0
    );
    // Deleted, the key is no longer used: the model is unavailable to this user again.
    let deleted = app
        .client
        .delete(app.url("/api/v1/me/provider-keys/deepinfra"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let after = app.post_authed("/api/v1/generations", token, &body).await;
    assert_problem(after, StatusCode::UNPROCESSABLE_ENTITY, "model_unavailable").await;
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn a_configured_fee_applies_to_own_key_generations() {
    let (app, _fake) = app_with_fake(|s| s.own_key_fee_per_mille = 500).await;
    let user = app.signed_up_user("fee@example.com").await;
    let token = &user.access_token;
    set_key(&app, token, "deepinfra", KEY).await;
    let body = json!({ "tool": "write", "instructions": "the tide", "model": "openai-ok" });
    let result: Value = app
        .post_authed_json("/api/v1/generations", token, &body)
        .await;
    // 7 words at 2x would be 140 mc; half of it for the fee.
    assert_eq!(result["generation"]["cost_mc"], 70);
    assert_eq!(result["generation"]["billed_to"], "own_key");
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn a_key_for_another_provider_leaves_the_platform_paying() {
    let (app, fake) = app_with_fake(|_| {}).await;
    let user = app.signed_up_user("other-provider@example.com").await;
    let token = &user.access_token;
    let stored = set_key(&app, token, "anthropic", KEY).await;
    assert_eq!(stored.status(), StatusCode::OK);
    let body = json!({ "tool": "write", "instructions": "the tide", "model": "openai-ok" });
    let result: Value = app
        .post_authed_json("/api/v1/generations", token, &body)
        .await;
    // 7 words at 2x, on the platform's key.
    assert_eq!(result["generation"]["billed_to"], "credits");
    assert_eq!(result["generation"]["cost_mc"], 140);
    assert_eq!(result["balance"]["balance_mc"], 50_000 - 140);
    let sent = fake.requests();
    assert_ne!(
        sent.last().unwrap().header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn an_unreadable_key_is_reported_not_silently_billed() {
    let (app, _fake) = app_with_fake(|_| {}).await;
    let user = app.signed_up_user("garbled@example.com").await;
    let token = &user.access_token;
    set_key(&app, token, "deepinfra", KEY).await;
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("UPDATE provider_keys SET sealed = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAA'")
        .await
        .unwrap();
    let body = json!({ "tool": "write", "instructions": "x", "model": "openai-ok" });
    let response = app.post_authed("/api/v1/generations", token, &body).await;
    assert_problem(response, StatusCode::CONFLICT, "provider_key_unreadable").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM generations").await, 0);
}

#[tokio::test]
async fn the_sweeper_closes_a_free_generation_whose_server_died() {
    let (app, _fake) = app_with_fake(|s| s.generation_hold_grace_ms = 0).await;
    let user = app.signed_up_user("free-crash@example.com").await;
    let stored = set_key(&app, &user.access_token, "deepinfra", KEY).await;
    assert_eq!(stored.status(), StatusCode::OK, "{:?}", stored.text().await);
    let state = app.state.clone();
    // Opened but never streamed: as if the process died at once.
    let started = app
        .open_unstreamed("free-crash@example.com", Some("openai-stall"))
        .await;
    assert!(started.hold.is_none());
    let id = started.row.id;
    drop(started);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(penora_app::holds::sweep(&state).await.unwrap(), 1);
    let stored: Value = app
        .get_json(&format!("/api/v1/generations/{id}"), &user.access_token)
        .await;
    assert_eq!(stored["status"], "interrupted");
    assert_eq!(stored["cost_mc"], 0);
    app.assert_generations_settled().await;
}

/// The fake upstreams plus a local keyless server (ollama) with one model, `ollama-ok`.
async fn app_with_keyless_provider() -> (TestApp, penora_fake_upstream::FakeUpstream) {
    app_with_fake(|s| {
        let base = s.providers["DEEPINFRA_BASE_URL"].clone();
        s.providers.insert("OLLAMA_BASE_URL".to_owned(), base);
        let models = s.data_dir.join("keyless-models.toml");
        let model = |id: &str, provider: &str, upstream: &str| {
            format!(
                "\n[[models]]\nid = \"{id}\"\ndisplay_name = \"{id}\"\nprovider = \"{provider}\"\nupstream = \"{upstream}\"\nmultiplier_per_mille = 2000\ncontext_tokens = 8192\nmax_output_words = 2000\n"
            )
        };
        let catalog = format!(
            "default_model = \"offline-demo\"\n{}{}{}",
            model("offline-demo", "offline", "offline"),
            model("ollama-ok", "ollama", "ok"),
            model("openai-ok", "deepinfra", "ok"),
        );
        std::fs::write(&models, catalog).unwrap();
        s.models_file = Some(models);
    })
    .await
}

#[tokio::test]
async fn own_keys_are_refused_for_providers_that_need_no_key() {
    let (app, _fake) = app_with_keyless_provider().await;
    let user = app.signed_up_user("keyless@example.com").await;
    let response = set_key(&app, &user.access_token, "ollama", KEY).await;
    assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "provider_key_not_accepted",
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM provider_keys").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'provider_key.%'")
            .await,
        0
    );
    // Providers that need a key still take one.
    let stored = set_key(&app, &user.access_token, "deepinfra", KEY).await;
    assert_eq!(stored.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_stored_key_for_a_provider_that_needs_none_is_ignored_and_credits_pay() {
    let (app, fake) = app_with_keyless_provider().await;
    let user = app.signed_up_user("keyless-stored@example.com").await;
    let token = &user.access_token;
    // A key stored before such keys were refused.
    let id = app.user_id(&user).await;
    let sealed = app
        .state
        .secrets
        .seal(KEY, &format!("{id}:ollama"))
        .unwrap();
    let user_id = penora_domain::UserId::parse(&id).unwrap();
    penora_store::provider_keys::upsert(&app.db, user_id, "ollama", &sealed, "di-…9f3a")
        .await
        .unwrap();

    let body = json!({ "tool": "write", "instructions": "the tide", "model": "ollama-ok" });
    let result: Value = app
        .post_authed_json("/api/v1/generations", token, &body)
        .await;
    assert_eq!(result["generation"]["billed_to"], "credits", "{result}");
    let cost = result["generation"]["cost_mc"].as_i64().unwrap();
    assert!(cost > 0, "{result}");
    assert_eq!(result["balance"]["balance_mc"], 50_000 - cost);
    let sent = fake.requests();
    assert_ne!(
        sent.last().unwrap().header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    // Nor does the catalog call the model paid by the user's key.
    let models: Value = app.get_json("/api/v1/models", token).await;
    let ollama = models["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "ollama-ok")
        .cloned()
        .unwrap();
    assert_eq!(ollama["own_key"], false, "{ollama}");
    assert_eq!(ollama["available"], true);
    app.assert_generations_settled().await;
    app.assert_ledger_consistent().await;
}

/// An operator who points an OpenAI-compatible provider at a keyless server (vLLM, llama.cpp)
/// says so with `<PROVIDER>_KEY_REQUIRED=false`: users' keys for it are refused like an
/// ollama key, since any "key" would make the platform's generations free.
#[tokio::test]
async fn own_keys_are_refused_for_a_provider_configured_as_keyless() {
    let (app, _fake) = app_with_fake(|s| {
        s.providers
            .insert("DEEPINFRA_KEY_REQUIRED".to_owned(), "false".to_owned());
    })
    .await;
    let user = app.signed_up_user("vllm@example.com").await;
    let stored = app
        .post_authed(
            "/api/v1/me/provider-keys",
            &user.access_token,
            &json!({ "provider": "deepinfra", "key": "sk-anything-at-all" }),
        )
        .await;
    assert_problem(
        stored,
        StatusCode::UNPROCESSABLE_ENTITY,
        "provider_key_not_accepted",
    )
    .await;
    // The platform still serves the provider's models from that server.
    let generated = app
        .post_authed(
            "/api/v1/generations",
            &user.access_token,
            &json!({ "tool": "continue", "input": "The lamp flickered.", "model": "openai-ok" }),
        )
        .await;
    assert_eq!(generated.status(), StatusCode::CREATED);
}
