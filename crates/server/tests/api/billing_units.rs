//! Output is billed by its billable length (issue 15, items 1 and 4): text without word
//! breaks is cut at what the caller can afford and billed by its length, the provider's
//! token count raises the charge up to the hold, and control characters in model output
//! are dropped before anything is saved or billed.

use penora_ai::{OFFLINE_CONTROLS, OFFLINE_UNBROKEN};
use penora_app::generations::max_tokens_for;
use penora_domain::{billable_words_of, cost_mc, Multiplier};
use penora_fake_upstream::wire::unbroken_deltas;
use penora_fake_upstream::{FakeUpstream, Recorded, Reply, Wire};
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, TestApp};
use crate::openai_compat::personal_key;
use crate::streams::{text_of, EventReader};

/// Upstream models (by name): `unbroken` writes 5,000 characters of base64 and reports
/// 1,250 tokens; `tokens-<n>` writes one sentence and reports `n` completion tokens;
/// `controls` writes text with NUL and other control characters in it.
fn route(request: &Recorded) -> Reply {
    let wire = Wire::OpenAi;
    let model = request.body["model"].as_str().unwrap_or_default();
    if model == "unbroken" {
        return Reply::events(wire.stream_reporting(&unbroken_deltas(5_000, 7), 1_250));
    }
    if model == "controls" {
        let deltas = [
            "The \0tide ",
            "came\u{1b} in\r\n",
            "over\u{7f} the ",
            "stones.\u{85}",
        ];
        return Reply::events(wire.stream_reporting(&deltas, 8));
    }
    let tokens = model
        .strip_prefix("tokens-")
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    let deltas = ["The tide ", "came in ", "over the ", "stones."];
    Reply::events(wire.stream_reporting(&deltas, tokens))
}

/// An app whose models at 2x speak to the fake, and whose users start with `bonus_mc`.
async fn app_with(bonus_mc: i64) -> (TestApp, FakeUpstream) {
    let fake = FakeUpstream::routed(|_, request| route(request)).await;
    let base = fake.base_url.clone();
    let app = spawn_app_with(move |s| {
        let mut catalog = String::from(
            "default_model = \"offline-demo\"\n\n[[models]]\nid = \"offline-demo\"\ndisplay_name = \"Offline\"\nprovider = \"offline\"\nupstream = \"offline\"\nmultiplier_per_mille = 1000\ncontext_tokens = 8192\nmax_output_words = 4000\n",
        );
        for upstream in ["unbroken", "controls", "tokens-40", "tokens-100000"] {
            catalog.push_str(&format!(
                "\n[[models]]\nid = \"fake-{upstream}\"\ndisplay_name = \"{upstream}\"\nprovider = \"deepinfra\"\nupstream = \"{upstream}\"\nmultiplier_per_mille = 2000\ncontext_tokens = 8192\nmax_output_words = 2000\n"
            ));
        }
        let models = s.data_dir.join("models.toml");
        std::fs::write(&models, catalog).unwrap();
        s.models_file = Some(models);
        s.providers
            .insert("DEEPINFRA_API_KEY".to_owned(), "fake-key".to_owned());
        s.providers
            .insert("DEEPINFRA_BASE_URL".to_owned(), format!("{base}/v1"));
        s.welcome_bonus_mc = bonus_mc;
    })
    .await;
    (app, fake)
}

fn at(per_mille: u32) -> Multiplier {
    Multiplier::per_mille(per_mille).unwrap()
}

/// Streams a generation; returns its text and the last event.
async fn generate(app: &TestApp, token: &str, body: Value) -> (String, Value) {
    let events = EventReader::new(app.stream_generation(token, &body).await)
        .all()
        .await;
    let (name, end) = events.last().cloned().unwrap();
    assert_eq!(name, "done", "{events:?}");
    (text_of(&events), end)
}

/// The stored generation and the ledger agree with the `done` event: the charge is the
/// cost of the delivered text's billable words (at least), and never above the hold.
async fn assert_billed(app: &TestApp, token: &str, end: &Value, text: &str, rate: Multiplier) {
    let stored = app
        .settled_generation(token, end["generation_id"].as_str().unwrap())
        .await;
    assert_eq!(stored["output"], text);
    assert_eq!(stored["words"], end["words"]);
    assert_eq!(stored["cost_mc"], end["cost_mc"]);
    let words = end["words"].as_u64().unwrap();
    assert!(words >= billable_words_of(text), "{end}");
    assert_eq!(end["cost_mc"], cost_mc(words, rate).get(), "{end}");
    assert!(end["cost_mc"].as_i64().unwrap() <= stored["max_cost_mc"].as_i64().unwrap());
    app.assert_generations_settled().await;
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn unbroken_output_is_cut_at_what_little_credit_affords_and_billed_by_its_length() {
    // 100 mc pays for 10 words at 1x: 60 code points of text without word breaks.
    let (app, _fake) = app_with(100).await;
    let user = app.signed_up_user("unbroken@example.com").await;
    let body = json!({ "tool": "write", "words": 400,
        "instructions": format!("{OFFLINE_UNBROKEN} a tale of the tide") });
    let (text, end) = generate(&app, &user.access_token, body).await;
    assert_eq!(end["finish_reason"], "credit_limit", "{end}");
    assert_eq!(text.chars().count(), 60, "{text}");
    assert!(!text.contains(char::is_whitespace));
    assert_eq!(end["words"], 10);
    assert_eq!(end["cost_mc"], 100);
    assert_eq!(end["balance_mc"], 0);
    assert_billed(&app, &user.access_token, &end, &text, Multiplier::ONE).await;
}

#[tokio::test]
async fn the_upstream_is_asked_for_no_more_tokens_than_the_caller_can_afford() {
    // 100 mc pays for 5 words at 2x, though 2,000 are asked for.
    let (app, fake) = app_with(100).await;
    let user = app.signed_up_user("afford@example.com").await;
    let body = json!({ "tool": "write", "words": 2000, "instructions": "the tide",
        "model": "fake-unbroken" });
    let (text, end) = generate(&app, &user.access_token, body).await;
    let asked = fake.requests()[0].body["max_tokens"].as_u64().unwrap();
    assert_eq!(
        asked,
        u64::from(max_tokens_for(5)),
        "asked for {asked} tokens"
    );
    // The provider's base64 is cut at 5 words' worth (30 code points), its token count
    // (of text never delivered) not billed.
    assert_eq!(end["finish_reason"], "credit_limit", "{end}");
    assert_eq!(text.chars().count(), 30, "{text}");
    assert_eq!(end["words"], 5);
    assert_eq!(end["cost_mc"], 100);
    assert_billed(&app, &user.access_token, &end, &text, at(2000)).await;
}

#[tokio::test]
async fn reported_completion_tokens_raise_the_charge_up_to_the_hold() {
    let (app, _fake) = app_with(50_000).await;
    let user = app.signed_up_user("tokens@example.com").await;
    let body = |model: &str| {
        json!({ "tool": "write", "words": 200,
        "instructions": "the tide", "model": model })
    };
    // 7 words of text, but 40 tokens reported: 30 words billed.
    let (text, end) = generate(&app, &user.access_token, body("fake-tokens-40")).await;
    assert_eq!(text, "The tide came in over the stones.");
    assert_eq!(end["completion_tokens"], 40);
    assert_eq!(end["words"], 30);
    assert_eq!(end["cost_mc"], cost_mc(30, at(2000)).get());
    assert_billed(&app, &user.access_token, &end, &text, at(2000)).await;
    // 100,000 tokens reported: the charge stops at the hold (200 words).
    let (text, end) = generate(&app, &user.access_token, body("fake-tokens-100000")).await;
    assert_eq!(end["words"], 200);
    assert_eq!(end["cost_mc"], cost_mc(200, at(2000)).get());
    assert_billed(&app, &user.access_token, &end, &text, at(2000)).await;
}

#[tokio::test]
async fn unbroken_chat_completions_are_cut_and_billed_by_their_length() {
    // 100 mc: 10 words at 1x.
    let (app, _fake) = app_with(100).await;
    let key = personal_key(&app, "chat-unbroken@example.com").await;
    let request = json!({ "model": "offline-demo", "messages": [
        { "role": "user", "content": format!("{OFFLINE_UNBROKEN} a long poem") } ] });
    let body: Value = app
        .post_authed_json("/v1/chat/completions", &key, &request)
        .await;
    let text = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert_eq!(text.chars().count(), 60, "{text}");
    assert_eq!(body["choices"][0]["finish_reason"], "length");
    let history: Value = app.get_json("/api/v1/generations?tool=chat", &key).await;
    let stored = &history["items"][0];
    assert_eq!(stored["output"], text);
    assert_eq!(stored["words"], 10);
    assert_eq!(stored["cost_mc"], 100);
    // OpenAI's usage estimates tokens from the billable words (none were reported).
    assert_eq!(body["usage"]["completion_tokens"], 14);
    let balance: Value = app.get_json("/api/v1/credits/balance", &key).await;
    assert_eq!(balance["balance_mc"], 0);
    app.assert_generations_settled().await;
    app.assert_ledger_consistent().await;
}

/// No control character but tab and line feed in `text`.
fn assert_clean(text: &str) {
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{text:?}"
    );
}

#[tokio::test]
async fn control_characters_from_a_provider_are_dropped_and_the_text_saved_and_billed() {
    let (app, _fake) = app_with(50_000).await;
    let user = app.signed_up_user("nul@example.com").await;
    let body = json!({ "tool": "write", "words": 200, "instructions": "the tide",
        "model": "fake-controls" });
    let (text, end) = generate(&app, &user.access_token, body).await;
    assert_eq!(text, "The tide came in\nover the stones.");
    assert_eq!(end["status"], "completed", "{end}");
    assert_eq!(end["words"], 7);
    assert_billed(&app, &user.access_token, &end, &text, at(2000)).await;
}

#[tokio::test]
async fn control_characters_from_the_offline_model_are_dropped_and_the_text_saved_and_billed() {
    let (app, _fake) = app_with(50_000).await;
    let user = app.signed_up_user("offline-nul@example.com").await;
    let body = json!({ "tool": "write", "words": 150,
        "instructions": format!("{OFFLINE_CONTROLS} the tide") });
    let (text, end) = generate(&app, &user.access_token, body).await;
    assert!(text.len() > 100, "{text}");
    assert_clean(&text);
    assert_eq!(end["status"], "completed", "{end}");
    assert_billed(&app, &user.access_token, &end, &text, Multiplier::ONE).await;
}
