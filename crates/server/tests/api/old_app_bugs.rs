//! The old app's bugs (PRODUCT.md, "Bugs of the old app that must be impossible here"), one
//! test each, named for the bug (the authentication bugs are in `old_app_bugs_auth.rs`).
//! Each stands on its own even where other files test the same machinery in more detail.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::generation_faults::app_with_fake;
use crate::helpers::{assert_problem, spawn_app, StatusCounts, TestApp};
use crate::streams::EventReader;

pub async fn balance_of(app: &TestApp, token: &str) -> i64 {
    let balance: Value = app.get_json("/api/v1/credits/balance", token).await;
    balance["balance_mc"].as_i64().unwrap()
}

// ---------------------------------------------------------------------------------------
// "Everyone's balance reset by hand"
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn balances_reset_by_hand_cannot_happen_every_change_is_a_ledger_entry() {
    let app = spawn_app().await;
    let admin = app.admin("bookkeeper@example.com").await;
    let alice = app.signed_up_user("alice@example.com").await;
    let bob = app.signed_up_user("bob@example.com").await;
    let (alice_id, bob_id) = (app.user_id(&alice).await, app.user_id(&bob).await);

    // A generation on the offline model, paid in credits.
    let generated = app
        .post_authed(
            "/api/v1/generations",
            &alice.access_token,
            &json!({ "tool": "write", "instructions": "the lighthouse" }),
        )
        .await;
    assert_eq!(generated.status(), StatusCode::CREATED);
    // An app debit and a partial refund of it.
    let key = app.app_key(&["credits:write"]).await;
    let debit = app.debit(&key, &bob_id, "bug-debit", 3_000).await;
    assert_eq!(debit.status(), StatusCode::CREATED);
    let debit: Value = debit.json().await.unwrap();
    let refund = app
        .post_idem(
            &format!("/api/v1/apps/users/{bob_id}/refunds"),
            &key,
            "bug-refund",
            &json!({ "debit_id": debit["debit_id"], "amount_mc": 1_000 }),
        )
        .await;
    assert_eq!(refund.status(), StatusCode::CREATED);
    // An admin adjustment is itself a ledger entry, with its reason.
    let adjusted = app
        .post_idem(
            &format!("/api/v1/admin/users/{alice_id}/adjustments"),
            &admin.access_token,
            "bug-adjust",
            &json!({ "amount_mc": 5_000, "reason": "goodwill" }),
        )
        .await;
    assert_eq!(adjusted.status(), StatusCode::CREATED);

    let before = balance_of(&app, &alice.access_token).await;

    let ledger: Value = app
        .get_json("/api/v1/credits/transactions", &alice.access_token)
        .await;
    let kinds: Vec<&str> = ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["admin_adjustment", "generation", "welcome"],
        "{ledger}"
    );
    assert_eq!(ledger["items"][0]["amount_mc"], 5_000);
    assert_eq!(ledger["items"][0]["balance_after_mc"], before);
    // Every user's balance is the sum of their ledger entries, and nothing is negative.
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn balances_reset_by_hand_cannot_happen_no_request_sets_a_balance() {
    let app = spawn_app().await;
    let alice = app.signed_up_user("alice@example.com").await;
    // There is no way to set a balance: a balance in an account update is not a field.
    let before = balance_of(&app, &alice.access_token).await;
    let update = app
        .client
        .patch(app.url("/api/v1/me"))
        .bearer_auth(&alice.access_token)
        .json(&json!({ "display_name": "Alice", "balance_mc": 999_999_999, "reserved_mc": 0 }))
        .send()
        .await
        .unwrap();
    assert!(
        update.status() == StatusCode::OK || update.status().is_client_error(),
        "{}",
        update.status()
    );
    assert_eq!(balance_of(&app, &alice.access_token).await, before);
    // Nor does any endpoint the API documents take a balance in its request body.
    assert_eq!(
        request_fields_named(&["balance_mc", "reserved_mc"]),
        Vec::<String>::new()
    );
}

/// The request-body properties, anywhere in the committed OpenAPI document, named one of
/// `names`, as `"<method> <path>: <name>"`.
fn request_fields_named(names: &[&str]) -> Vec<String> {
    let document: Value =
        serde_json::from_str(include_str!("../../../../openapi/openapi.json")).unwrap();
    let mut found = Vec::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let mut properties = Vec::new();
            collect_properties(&document, &operation["requestBody"], &mut properties, 0);
            for name in properties
                .into_iter()
                .filter(|p| names.contains(&p.as_str()))
            {
                found.push(format!("{method} {path}: {name}"));
            }
        }
    }
    found
}

fn collect_properties(document: &Value, schema: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 16 {
        return;
    }
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                if key == "$ref" {
                    if let Some(name) = value.as_str().and_then(|r| r.strip_prefix("#/")) {
                        let target = name.split('/').fold(document, |node, part| &node[part]);
                        collect_properties(document, target, out, depth + 1);
                    }
                } else if key == "properties" {
                    if let Some(properties) = value.as_object() {
                        out.extend(properties.keys().cloned());
                    }
                    collect_properties(document, value, out, depth + 1);
                } else {
                    collect_properties(document, value, out, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_properties(document, item, out, depth + 1);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------
// "Credits deducted in the session instead of the database"
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn credits_deducted_in_the_session_cannot_happen_two_servers_share_one_balance() {
    let a = spawn_app().await;
    let b = a.another_server().await;
    let user = a.signed_up_user("two-servers@example.com").await;
    let user_id = a.user_id(&user).await;
    let key = a.app_key(&["credits:read", "credits:write"]).await;
    let start = balance_of(&a, &user.access_token).await;
    assert_eq!(start, 50_000);

    // 40 debits of 2,000 mc, alternating servers, all at once, with balance reads on both
    // in between: 25 fit, the rest are refused, and no read ever sees a negative balance.
    let path = format!("/api/v1/apps/users/{user_id}/debits");
    let balance_path = format!("/api/v1/apps/users/{user_id}/balance");
    let debits = (0..40).map(|i| {
        let base = if i % 2 == 0 { &a.address } else { &b.address };
        let (a, key, path, balance_path) = (&a, &key, &path, &balance_path);
        async move {
            let debit = a
                .post_idem_at(
                    base,
                    path,
                    key,
                    &format!("d{i}"),
                    &json!({ "amount_mc": 2_000 }),
                )
                .await;
            let status = debit.status();
            let seen: Value = a
                .client
                .get(format!("{base}{balance_path}"))
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (status, seen["balance_mc"].as_i64().unwrap())
        }
    });
    let results = futures_util::future::join_all(debits).await;
    let statuses = StatusCounts::of(results.iter().map(|(status, _)| *status));
    assert_eq!(statuses.count(StatusCode::CREATED), 25, "{results:?}");
    statuses.assert_only(&[StatusCode::CREATED, StatusCode::PAYMENT_REQUIRED]);
    assert!(
        results.iter().all(|(_, seen)| (0..=start).contains(seen)),
        "{results:?}"
    );

    // Both servers, and the user's session on either, read the same balance from the database.
    assert_eq!(balance_of(&a, &user.access_token).await, 0);
    assert_eq!(balance_of(&b, &user.access_token).await, 0);
    assert_eq!(
        a.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'app_debit'")
            .await,
        25
    );
    a.assert_ledger_consistent().await;
}

// ---------------------------------------------------------------------------------------
// "Timeouts turning into Internal Server Error"
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn timeouts_turning_into_internal_server_error_cannot_happen() {
    // The fake's `hang` never answers and `stall` stops mid-stream; the app waits 1 s.
    let (app, _fake) = app_with_fake(|_| {}).await;
    let user = app.signed_up_user("patient@example.com").await;
    let token = &user.access_token;
    let body = |model: &str| json!({ "tool": "write", "instructions": "the tide", "model": model });

    for model in [
        "openai-hang",
        "anthropic-hang",
        "gemini-stall",
        "openai-stall",
    ] {
        // JSON: a gateway problem naming the timeout.
        let started = Instant::now();
        let response = app
            .post_authed("/api/v1/generations", token, &body(model))
            .await;
        assert!(started.elapsed() < Duration::from_secs(15), "{model}");
        let problem = assert_problem(response, StatusCode::BAD_GATEWAY, "upstream_error").await;
        assert_eq!(
            problem["extra"]["upstream_code"], "upstream_timeout",
            "{model}"
        );

        // SSE: the stream ends with an `error` event, not a broken connection.
        let events = EventReader::new(app.stream_generation(token, &body(model)).await)
            .all()
            .await;
        let (name, end) = events.last().unwrap();
        assert_eq!(name, "error", "{model}: {events:?}");
        assert_eq!(end["error"]["code"], "upstream_timeout", "{model}");
    }

    // The OpenAI-compatible endpoint answers a hung upstream with a gateway status too.
    let chat = app
        .post_authed(
            "/v1/chat/completions",
            token,
            &json!({ "model": "openai-hang", "messages": [{ "role": "user", "content": "hi" }] }),
        )
        .await;
    assert!(
        [StatusCode::BAD_GATEWAY, StatusCode::GATEWAY_TIMEOUT].contains(&chat.status()),
        "{}",
        chat.status()
    );
    let error: Value = chat.json().await.unwrap();
    assert!(error["error"]["message"].is_string(), "{error}");
    app.assert_generations_settled().await;
}
