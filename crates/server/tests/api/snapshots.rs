//! Response snapshots of the JSON shapes a client depends on: auth, balance, transactions,
//! a generation result, problem details and the OpenAI-compatible answers.
//!
//! Ids, timestamps, tokens and request ids are redacted, so one snapshot file serves SQLite
//! and PostgreSQL. Snapshots live in `snapshots/`; with `CI=true` insta never writes them and
//! fails on a missing or changed one (review changes with `cargo insta review`).

use insta::internals::{Content, ContentPath, Redaction};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Session, TestApp, PASSWORD};
use crate::streams::continue_body;

const STORY: &str =
    "Mira pushed the lighthouse door open. The lamp room smelled of salt and old brass.";

/// Replaces a present value with `label` and keeps a null, so the snapshot still tells
/// whether the field was set.
fn redact(label: &'static str) -> Redaction {
    insta::dynamic_redaction(move |value: Content, _: ContentPath<'_>| match value {
        Content::None | Content::Unit => value,
        _ => Content::from(label),
    })
}

/// Replaces each uuid inside a string (hyphenated or simple) with `[id]`, keeping the rest
/// (`hold:[id]`, `chatcmpl-[id]`, and names such as `offline-demo` as they are).
fn redact_uuids() -> Redaction {
    insta::dynamic_redaction(|value: Content, _: ContentPath<'_>| match value {
        Content::String(text) => Content::from(without_uuids(&text)),
        other => other,
    })
}

fn without_uuids(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    'scan: while !rest.is_empty() {
        for len in [36, 32] {
            if let Some(candidate) = rest.get(..len) {
                let starts_word = !out.ends_with(|c: char| c.is_ascii_hexdigit());
                let ends_word = !rest[len..].starts_with(|c: char| c.is_ascii_hexdigit());
                if starts_word && ends_word && uuid::Uuid::try_parse(candidate).is_ok() {
                    out.push_str("[id]");
                    rest = &rest[len..];
                    continue 'scan;
                }
            }
        }
        let mut chars = rest.chars();
        out.extend(chars.next());
        rest = chars.as_str();
    }
    out
}

/// Asserts `body` against the snapshot `name`, with every field that changes from run to
/// run (or from database to database) redacted, wherever it is in the document.
fn assert_snapshot(name: &str, body: &Value) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    for field in ["id", "user_id", "generation_id", "project_id", "reference"] {
        settings.add_redaction(&format!(".**.{field}"), redact_uuids());
    }
    for field in [
        "created_at",
        "updated_at",
        "finished_at",
        "started_at",
        "expires_at",
        "created",
    ] {
        settings.add_redaction(&format!(".**.{field}"), redact("[timestamp]"));
    }
    settings.add_redaction(".**.access_token", redact("[token]"));
    settings.add_redaction(".**.request_id", redact("[request_id]"));
    settings.add_redaction(".**.next_cursor", redact("[cursor]"));
    settings.bind(|| insta::assert_json_snapshot!(name, body));
}

async fn json_of(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.expect("json body")
}

/// A personal API key with the scopes the OpenAI-compatible routes need.
async fn sdk_key(app: &TestApp, user: &Session) -> String {
    let key = app
        .post_authed(
            "/api/v1/api-keys",
            &user.access_token,
            &json!({ "name": "sdk", "scopes": ["generate", "read"] }),
        )
        .await;
    let key = json_of(key, StatusCode::CREATED).await;
    key["secret"].as_str().expect("secret").to_owned()
}

#[tokio::test]
async fn signup_answers_user_token_and_lifetime() {
    let app = spawn_app().await;
    let response = app.signup("shape@example.com", PASSWORD).await;
    assert_snapshot("auth_signup", &json_of(response, StatusCode::CREATED).await);
}

#[tokio::test]
async fn login_answers_user_token_and_lifetime() {
    let app = spawn_app().await;
    app.signed_up_user("shape@example.com").await;
    let response = app.login("shape@example.com", PASSWORD).await;
    assert_snapshot("auth_login", &json_of(response, StatusCode::OK).await);
}

#[tokio::test]
async fn refresh_answers_user_token_and_lifetime() {
    let app = spawn_app().await;
    let user = app.signed_up_user("shape@example.com").await;
    let response = app.refresh(&user.refresh_token).await;
    assert_snapshot("auth_refresh", &json_of(response, StatusCode::OK).await);
}

#[tokio::test]
async fn balance_shape() {
    let app = spawn_app().await;
    let user = app.signed_up_user("shape@example.com").await;
    let response = app
        .get_authed("/api/v1/credits/balance", &user.access_token)
        .await;
    assert_snapshot("balance", &json_of(response, StatusCode::OK).await);
}

#[tokio::test]
async fn generation_result_shape() {
    let app = spawn_app().await;
    let user = app.signed_up_user("shape@example.com").await;
    let response = app
        .post_authed(
            "/api/v1/generations",
            &user.access_token,
            &continue_body(STORY),
        )
        .await;
    assert_snapshot(
        "generation_result",
        &json_of(response, StatusCode::CREATED).await,
    );
}

#[tokio::test]
async fn transactions_page_shape() {
    let app = spawn_app().await;
    let user = app.signed_up_user("shape@example.com").await;
    let generation = app
        .post_authed(
            "/api/v1/generations",
            &user.access_token,
            &continue_body(STORY),
        )
        .await;
    assert_eq!(generation.status(), StatusCode::CREATED);
    let response = app
        .get_authed("/api/v1/credits/transactions?limit=1", &user.access_token)
        .await;
    assert_snapshot(
        "transactions_page",
        &json_of(response, StatusCode::OK).await,
    );
}

#[tokio::test]
async fn not_found_problem_shape() {
    let app = spawn_app().await;
    let user = app.signed_up_user("shape@example.com").await;
    let path = format!("/api/v1/generations/{}", uuid::Uuid::now_v7());
    let response = app.get_authed(&path, &user.access_token).await;
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/problem+json"),
        "{content_type}"
    );
    assert_snapshot(
        "problem_not_found",
        &json_of(response, StatusCode::NOT_FOUND).await,
    );
}

#[tokio::test]
async fn validation_problem_shape() {
    let app = spawn_app().await;
    let user = app.signed_up_user("shape@example.com").await;
    let response = app
        .post_authed(
            "/api/v1/projects",
            &user.access_token,
            &json!({ "title": "", "genre": "g".repeat(81) }),
        )
        .await;
    assert_snapshot(
        "problem_validation",
        &json_of(response, StatusCode::UNPROCESSABLE_ENTITY).await,
    );
}

#[tokio::test]
async fn openai_chat_completion_shape() {
    let app = spawn_app().await;
    let user = app.signed_up_user("shape@example.com").await;
    let key = sdk_key(&app, &user).await;
    let chat = json!({
        "model": "offline-demo",
        "messages": [
            { "role": "system", "content": "You are a poet." },
            { "role": "user", "content": "A lighthouse at dusk." },
        ],
    });
    let response = app.post_authed("/v1/chat/completions", &key, &chat).await;
    assert_snapshot(
        "openai_chat_completion",
        &json_of(response, StatusCode::OK).await,
    );
}

#[tokio::test]
async fn openai_models_shape() {
    let app = spawn_app().await;
    let user = app.signed_up_user("shape@example.com").await;
    let key = sdk_key(&app, &user).await;
    let response = app.get_authed("/v1/models", &key).await;
    assert_snapshot("openai_models", &json_of(response, StatusCode::OK).await);
}

#[tokio::test]
async fn openai_error_shape() {
    let app = spawn_app().await;
    let user = app.signed_up_user("shape@example.com").await;
    let key = sdk_key(&app, &user).await;
    let chat = json!({ "model": "gpt-5", "messages": [{ "role": "user", "content": "x" }] });
    let response = app.post_authed("/v1/chat/completions", &key, &chat).await;
    assert_snapshot(
        "openai_error",
        &json_of(response, StatusCode::NOT_FOUND).await,
    );
}
