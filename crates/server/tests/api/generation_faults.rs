//! Generations against misbehaving providers (a local fake for each wire format), and many
//! generations at once with cancels, disconnects and faults: every one ends with a clear
//! error or a `done`, is billed for the words delivered only, and leaves no hold open.

use std::time::Duration;

use penora_domain::{cost_mc, count_words, Multiplier};
use penora_fake_upstream::{FakeUpstream, Recorded, Reply, Step, Wire};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app_with, TestApp};
use crate::streams::{text_of, EventReader};

pub const DELTAS: [&str; 4] = ["The tide ", "came in ", "over the ", "stones."];

/// What the fake does for each upstream model name.
fn reply_for(wire: Wire, scenario: &str) -> Reply {
    let opening_and_deltas = || {
        let mut events = wire.opening();
        events.extend(DELTAS.iter().map(|d| wire.delta(d)));
        events
    };
    match scenario {
        "ok" => Reply::events(wire.stream(&DELTAS)),
        "e401" => Reply::status(401, wire.error_body("invalid api key")),
        "e429" => Reply::status(429, wire.error_body("slow down")).with_header("retry-after", "0"),
        "e500" => Reply::status(500, wire.error_body("boom")),
        "e503" => Reply::status(503, wire.error_body("overloaded")),
        "hang" => Reply::Hang,
        "stall" => Reply::events_then(opening_and_deltas(), vec![Step::Stall]),
        "malformed" => Reply::events_then(
            opening_and_deltas(),
            vec![Step::Send("data: {\"choices\": [tru\n\n".to_owned())],
        ),
        "reset" => Reply::events_then(opening_and_deltas(), vec![Step::Reset]),
        // Provider details (an organisation id, a masked platform key) in the error text.
        "leak" => Reply::status(401, wire.error_body(crate::upstream_error_text::LEAK)),
        "leakmid" => Reply::events_then(
            opening_and_deltas(),
            vec![Step::Send(crate::upstream_error_text::error_event(wire))],
        ),
        // Closes cleanly but never says it is done.
        "noend" => Reply::events(opening_and_deltas()),
        "slow" => {
            let mut steps: Vec<Step> = wire.opening().into_iter().map(Step::Send).collect();
            for _ in 0..40 {
                steps.push(Step::Send(wire.delta("word ")));
                steps.push(Step::Pause(Duration::from_millis(10)));
            }
            steps.extend(wire.closing(12, 40).into_iter().map(Step::Send));
            Reply::Stream(steps)
        }
        other => Reply::status(404, wire.error_body(&format!("no scenario {other}"))),
    }
}

/// Routes by the model named in the request: `<scenario>` for the OpenAI and Anthropic
/// formats (in the body), in the path for Gemini.
fn route(request: &Recorded) -> Reply {
    if request.target.contains("/v1beta/models/") {
        let model = request.target.split("/models/").nth(1).unwrap_or_default();
        return reply_for(Wire::Gemini, model.split(':').next().unwrap_or_default());
    }
    let model = request.body["model"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let wire = if request.target.ends_with("/v1/messages") {
        Wire::Anthropic
    } else {
        Wire::OpenAi
    };
    reply_for(wire, &model)
}

const SCENARIOS: [&str; 13] = [
    "ok",
    "e401",
    "e429",
    "e500",
    "e503",
    "hang",
    "stall",
    "malformed",
    "reset",
    "noend",
    "slow",
    "leak",
    "leakmid",
];

/// A catalog with one model per provider format and scenario: `openai-<scenario>`,
/// `anthropic-<scenario>`, `gemini-<scenario>`.
fn catalog() -> String {
    let mut text = String::from(
        "default_model = \"offline-demo\"\n\n[[models]]\nid = \"offline-demo\"\ndisplay_name = \"Offline demo model\"\nprovider = \"offline\"\nupstream = \"offline\"\nmultiplier_per_mille = 1000\ncontext_tokens = 8192\nmax_output_words = 4000\n",
    );
    for (prefix, provider) in [
        ("openai", "deepinfra"),
        ("anthropic", "anthropic"),
        ("gemini", "gemini"),
    ] {
        for scenario in SCENARIOS {
            text.push_str(&format!(
                "\n[[models]]\nid = \"{prefix}-{scenario}\"\ndisplay_name = \"{prefix} {scenario}\"\nprovider = \"{provider}\"\nupstream = \"{scenario}\"\nmultiplier_per_mille = 2000\ncontext_tokens = 8192\nmax_output_words = 2000\n"
            ));
        }
    }
    text
}

pub async fn app_with_fake(
    tweak: impl FnOnce(&mut penora_app::config::Settings),
) -> (TestApp, FakeUpstream) {
    let fake = FakeUpstream::routed(|_, request| route(request)).await;
    let base = fake.base_url.clone();
    let app = spawn_app_with(move |s| {
        let models = s.data_dir.join("models.toml");
        std::fs::write(&models, catalog()).unwrap();
        s.models_file = Some(models);
        for (name, value) in [
            ("DEEPINFRA_API_KEY", "fake-key".to_owned()),
            ("DEEPINFRA_BASE_URL", format!("{base}/v1")),
            ("ANTHROPIC_API_KEY", "fake-key".to_owned()),
            ("ANTHROPIC_BASE_URL", base.clone()),
            ("GEMINI_API_KEY", "fake-key".to_owned()),
            ("GEMINI_BASE_URL", base.clone()),
        ] {
            s.providers.insert(name.to_owned(), value);
        }
        s.upstream_first_byte_timeout_secs = 1;
        s.upstream_idle_timeout_secs = 1;
        tweak(s);
    })
    .await;
    (app, fake)
}

fn body(model: &str) -> Value {
    json!({ "tool": "write", "instructions": "the tide", "words": 200, "model": model })
}

/// Streams a generation with `model`; returns the events.
async fn stream(app: &TestApp, token: &str, model: &str) -> Vec<(String, Value)> {
    EventReader::new(app.stream_generation(token, &body(model)).await)
        .all()
        .await
}

/// The last event is `error` with `code`, the text before it is billed at 2x, and the stored
/// generation says the same.
async fn assert_failed(app: &TestApp, token: &str, events: &[(String, Value)], code: &str) {
    let (name, end) = events.last().unwrap();
    assert_eq!(name, "error", "{events:?}");
    assert_eq!(end["error"]["code"], code, "{end}");
    assert_eq!(end["status"], "failed");
    let words = count_words(&text_of(events));
    assert_eq!(end["words"], words);
    assert_eq!(
        end["cost_mc"],
        cost_mc(words, Multiplier::per_mille(2000).unwrap()).get()
    );
    let id = end["generation_id"].as_str().unwrap();
    let stored = app.settled_generation(token, id).await;
    assert_eq!(stored["error"]["code"], code);
    assert_eq!(stored["output"], text_of(events).as_str());
}

#[tokio::test]
async fn every_provider_format_streams_and_is_billed() {
    let (app, fake) = app_with_fake(|_| {}).await;
    let user = app.signed_up_user("formats@example.com").await;
    for model in ["openai-ok", "anthropic-ok", "gemini-ok"] {
        let events = stream(&app, &user.access_token, model).await;
        assert_eq!(text_of(&events), DELTAS.concat(), "{model}");
        let (name, done) = events.last().unwrap();
        assert_eq!(name, "done", "{model}: {events:?}");
        assert_eq!(done["words"], 7);
        assert_eq!(done["cost_mc"], 140, "7 words at 2x");
    }
    // The provider got Penora's prompt, the upstream model name and the key.
    let first = &fake.requests()[0];
    assert_eq!(first.body["model"], "ok");
    assert_eq!(first.header("authorization"), Some("Bearer fake-key"));
    let prompt = first.body["messages"].to_string();
    assert!(prompt.contains("the tide"), "{prompt}");
    // The catalog shows them as available; models of unconfigured providers are not hidden.
    let models: Value = app.get("/api/v1/models").await.json().await.unwrap();
    let ok = models["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "openai-ok")
        .cloned()
        .unwrap();
    assert_eq!(ok["available"], true);
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn upstream_errors_before_the_first_byte_end_with_a_clear_error_and_no_charge() {
    let (app, _fake) = app_with_fake(|_| {}).await;
    let user = app.signed_up_user("errors@example.com").await;
    for (model, code) in [
        ("openai-e401", "upstream_unauthorized"),
        ("anthropic-e401", "upstream_unauthorized"),
        ("openai-e429", "upstream_rate_limited"),
        ("gemini-e500", "upstream_upstream_unavailable"),
        ("openai-e503", "upstream_upstream_unavailable"),
        ("anthropic-hang", "upstream_timeout"),
    ] {
        let events = stream(&app, &user.access_token, model).await;
        assert_eq!(events[0].0, "meta");
        assert_failed(&app, &user.access_token, &events, code).await;
        assert_eq!(events.last().unwrap().1["cost_mc"], 0, "{model}");
    }
    // JSON mode: a 502 problem naming the stored generation.
    let response = app
        .post_authed(
            "/api/v1/generations",
            &user.access_token,
            &body("openai-e500"),
        )
        .await;
    let problem = assert_problem(response, StatusCode::BAD_GATEWAY, "upstream_error").await;
    assert_eq!(
        problem["extra"]["upstream_code"],
        "upstream_upstream_unavailable"
    );
    assert_eq!(problem["extra"]["cost_mc"], 0);
    let balance: Value = app
        .get_json("/api/v1/credits/balance", &user.access_token)
        .await;
    assert_eq!(balance["balance_mc"], 50_000);
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn faults_mid_stream_bill_the_words_delivered_before_them() {
    let (app, fake) = app_with_fake(|_| {}).await;
    let user = app.signed_up_user("midstream@example.com").await;
    for (model, code) in [
        ("openai-stall", "upstream_timeout"),
        ("gemini-stall", "upstream_timeout"),
        ("openai-malformed", "upstream_malformed_stream"),
        ("openai-reset", "upstream_connection"),
        ("anthropic-reset", "upstream_connection"),
        ("openai-noend", "upstream_stream_ended_early"),
        ("anthropic-noend", "upstream_stream_ended_early"),
    ] {
        let events = stream(&app, &user.access_token, model).await;
        assert_eq!(text_of(&events), DELTAS.concat(), "{model}");
        assert_failed(&app, &user.access_token, &events, code).await;
        assert_eq!(events.last().unwrap().1["cost_mc"], 140, "{model}");
    }
    // The stalled upstream connection was dropped, not left open.
    assert!(fake.client_closed_within(Duration::from_secs(2)).await);
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn cancelling_an_upstream_generation_drops_the_upstream_request() {
    let (app, fake) = app_with_fake(|_| {}).await;
    let user = app.signed_up_user("stop@example.com").await;
    let mut reader = EventReader::new(
        app.stream_generation(&user.access_token, &body("openai-stall"))
            .await,
    );
    let (_, meta) = reader.next().await.unwrap();
    let id = meta["generation_id"].as_str().unwrap();
    while reader.next().await.unwrap().0 != "delta" {}
    let cancelled: Value = app
        .post_authed_json(
            &format!("/api/v1/generations/{id}/cancel"),
            &user.access_token,
            &json!({}),
        )
        .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert!(fake.client_closed_within(Duration::from_secs(2)).await);
    app.assert_generations_settled().await;
}

/// 200 streaming generations at once over 10 users: a fifth run to the end on the offline
/// model, a fifth are cancelled, a fifth disconnect, the rest meet upstream successes and
/// faults. Afterwards every hold is settled and the ledger adds up.
#[tokio::test]
async fn two_hundred_concurrent_generations_with_cancels_disconnects_and_faults_settle_exactly() {
    let (app, _fake) = app_with_fake(|s| {
        s.offline_pace_ms = 3;
        s.generations_per_user = 50;
        s.generation_save_interval_ms = 100;
    })
    .await;
    let mut tokens = Vec::new();
    for n in 0..10 {
        tokens.push(
            app.signed_up_user(&format!("crowd{n}@example.com"))
                .await
                .access_token,
        );
    }
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let app = app.clone();
        let token = tokens[i % tokens.len()].clone();
        tasks.push(tokio::spawn(async move {
            let model = match i % 10 {
                0..=5 => "offline-demo",
                6 => "openai-slow",
                7 => "anthropic-stall",
                8 => "gemini-reset",
                _ => "openai-e503",
            };
            let body =
                json!({ "tool": "write", "instructions": "crowds", "words": 100, "model": model });
            let mut reader = EventReader::new(app.stream_generation(&token, &body).await);
            let (_, meta) = reader.next().await.unwrap();
            let id = meta["generation_id"].as_str().unwrap().to_owned();
            match i % 5 {
                // Cancel after the first text (or at once if none comes).
                1 => {
                    let _ = tokio::time::timeout(Duration::from_millis(300), reader.next()).await;
                    let path = format!("/api/v1/generations/{id}/cancel");
                    let response = app.post_authed(&path, &token, &json!({})).await;
                    assert_eq!(response.status(), StatusCode::OK);
                    drop(reader);
                }
                // Go away mid-stream.
                2 => {
                    let _ = tokio::time::timeout(Duration::from_millis(300), reader.next()).await;
                    drop(reader);
                }
                _ => {
                    let events = reader.all().await;
                    let (name, _) = events.last().unwrap();
                    assert!(name == "done" || name == "error", "{events:?}");
                }
            }
            app.settled_generation(&token, &id).await
        }));
    }
    let mut statuses = std::collections::BTreeMap::new();
    for task in tasks {
        let generation = task.await.unwrap();
        *statuses
            .entry(generation["status"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
        let words = generation["words"].as_u64().unwrap();
        let multiplier = if generation["model"] == "offline-demo" {
            1000
        } else {
            2000
        };
        assert_eq!(
            generation["cost_mc"],
            cost_mc(words, Multiplier::per_mille(multiplier).unwrap()).get(),
            "{generation}"
        );
    }
    assert_eq!(statuses.values().sum::<i32>(), 200);
    assert!(
        statuses.contains_key("completed")
            && statuses.contains_key("failed")
            && statuses.contains_key("cancelled"),
        "{statuses:?}"
    );
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn the_openai_compatible_api_reports_provider_failures_in_openais_shape() {
    let (app, _fake) = app_with_fake(|_| {}).await;
    let key = crate::openai_compat::personal_key(&app, "compat@example.com").await;
    let request =
        json!({ "model": "openai-e500", "messages": [{ "role": "user", "content": "hi" }] });
    let response = app
        .post_authed("/v1/chat/completions", &key, &request)
        .await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "api_error");
    assert_eq!(body["error"]["code"], "upstream_error");

    let mut streamed =
        json!({ "model": "openai-reset", "messages": [{ "role": "user", "content": "hi" }] });
    streamed["stream"] = json!(true);
    let text = app
        .post_authed("/v1/chat/completions", &key, &streamed)
        .await
        .text()
        .await
        .unwrap();
    let last = text.trim_end().rsplit("\n\n").next().unwrap();
    let error: Value = serde_json::from_str(last.strip_prefix("data: ").unwrap()).unwrap();
    assert_eq!(error["error"]["code"], "upstream_connection");
    assert!(!text.contains("[DONE]"));
    assert!(
        text.contains("The tide"),
        "the text before the fault was sent: {text}"
    );
    app.assert_generations_settled().await;
}
