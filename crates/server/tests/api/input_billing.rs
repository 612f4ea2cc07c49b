//! Input billing: what the caller supplies is billed past a free allowance (1,000 billable
//! words by default) at the model's input rate (by default a quarter of its output rate), in
//! the reserve, the estimate, the generation's record and its ledger entry.

use penora_domain::{billable_words_of, cost_mc, count_words, Multiplier};
use penora_store::ConnectionTrait;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::generation_faults::app_with_fake;
use crate::helpers::{assert_problem, spawn_app, TestApp};
use crate::openai_compat::personal_key;
use crate::streams::{text_of, EventReader};

/// The default free allowance.
const FREE_WORDS: u64 = 1_000;

fn rate(per_mille: u32) -> Multiplier {
    Multiplier::per_mille(per_mille).unwrap()
}

/// What `words` billable words of input cost at `per_mille` past the default allowance.
fn input_cost(words: u64, per_mille: u32) -> i64 {
    cost_mc(words.saturating_sub(FREE_WORDS), rate(per_mille)).get()
}

/// An input of `words` words, 5 characters a word with its space: its billable length is its
/// word count.
fn prose(words: usize) -> String {
    "tide ".repeat(words).trim_end().to_owned()
}

/// The `meta` of the user's generation ledger entries, oldest first.
async fn generation_metas(app: &TestApp) -> Vec<Value> {
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT CAST(meta AS TEXT) FROM ledger_entries WHERE kind = 'generation' ORDER BY id",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| serde_json::from_str(&row.try_get_by_index::<String>(0).unwrap()).unwrap())
        .collect()
}

#[tokio::test]
async fn a_long_prompt_with_a_one_token_answer_costs_its_input() {
    let app = spawn_app().await;
    let key = personal_key(&app, "prompter@example.com").await;
    // 99,996 characters, 16,666 words.
    let prompt = "lorem ".repeat(16_666);
    let words = billable_words_of(&prompt);
    assert_eq!(words, 16_666);
    let response = app
        .post_authed(
            "/v1/chat/completions",
            &key,
            &json!({
                "model": "offline-demo",
                "messages": [{ "role": "user", "content": prompt }],
                "max_tokens": 1,
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let answer = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert_eq!(count_words(answer), 1, "{answer}");
    let id = body["id"].as_str().unwrap().trim_start_matches("chatcmpl-");
    let id = uuid::Uuid::parse_str(id).unwrap();

    // 15,666 words past the allowance at 0.25x, and one word of output.
    let expected_input = input_cost(words, 250);
    assert_eq!(expected_input, 39_165);
    let generation = app
        .get_json(&format!("/api/v1/generations/{id}"), &key)
        .await;
    assert_eq!(
        generation["input_words"], words,
        "cost_mc {}",
        generation["cost_mc"]
    );
    assert_eq!(generation["input_cost_mc"], expected_input);
    assert_eq!(generation["cost_mc"], expected_input + 10);
    assert!(generation["max_cost_mc"].as_i64().unwrap() >= expected_input + 10);
    let balance = app.get_json("/api/v1/credits/balance", &key).await;
    assert_eq!(balance["balance_mc"], 50_000 - expected_input - 10);
    let metas = generation_metas(&app).await;
    assert_eq!(metas[0]["input_words"], words);
    assert_eq!(metas[0]["input_cost_mc"], expected_input);
    app.assert_ledger_consistent().await;
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn a_prompt_within_the_free_allowance_costs_nothing_extra() {
    let app = spawn_app().await;
    let user = app.signed_up_user("thrifty@example.com").await;
    let token = &user.access_token;
    // Exactly the allowance: 1,000 words in 4,999 characters.
    let input = prose(1_000);
    assert_eq!(billable_words_of(&input), 1_000);
    let bodies = [
        json!({ "tool": "continue", "input": input, "words": 50 }),
        json!({ "tool": "write", "instructions": "a haiku about rain", "tone": "calm", "words": 50 }),
    ];
    let mut spent = 0;
    for (body, input_words) in bodies.iter().zip([1_000, 5]) {
        let response = app.post_authed("/api/v1/generations", token, body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let result: Value = response.json().await.unwrap();
        let generation = &result["generation"];
        assert_eq!(
            generation["input_words"], input_words,
            "cost_mc {}",
            generation["cost_mc"]
        );
        assert_eq!(generation["input_cost_mc"], 0);
        let words = generation["words"].as_u64().unwrap();
        assert_eq!(generation["cost_mc"], cost_mc(words, Multiplier::ONE).get());
        spent += generation["cost_mc"].as_i64().unwrap();
    }
    let balance = app.get_json("/api/v1/credits/balance", token).await;
    assert_eq!(balance["balance_mc"], 50_000 - spent);
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn the_estimate_of_a_long_prompt_matches_what_it_is_charged() {
    let app = spawn_app().await;
    let user = app.signed_up_user("planner@example.com").await;
    let token = &user.access_token;
    let input = prose(6_000);
    let response = app
        .post_authed(
            "/api/v1/generations",
            token,
            &json!({ "tool": "continue", "input": input, "words": 200 }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let result: Value = response.json().await.unwrap();
    let generation = &result["generation"];
    let words = generation["words"].as_u64().unwrap();
    assert_eq!(
        generation["input_words"], 6_000,
        "cost_mc {}",
        generation["cost_mc"]
    );
    assert_eq!(generation["input_cost_mc"], input_cost(6_000, 250));

    let by_text: Value = app
        .post_json(
            "/api/v1/credits/estimate",
            &json!({ "model": "offline-demo", "words": words, "input": input }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_text["cost_mc"], generation["cost_mc"], "{by_text}");
    assert_eq!(by_text["input_cost_mc"], generation["input_cost_mc"]);
    assert_eq!(by_text["input_words"], 6_000);
    assert_eq!(by_text["free_input_words"], FREE_WORDS);
    assert_eq!(by_text["input_multiplier_per_mille"], 250);
    assert_eq!(
        by_text["output_cost_mc"],
        cost_mc(words, Multiplier::ONE).get()
    );
    let by_words: Value = app
        .post_json(
            "/api/v1/credits/estimate",
            &json!({ "model": "offline-demo", "words": words, "input_words": 6_000 }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_words, by_text);
    assert_problem(
        app.post_json(
            "/api/v1/credits/estimate",
            &json!({ "model": "offline-demo", "words": 10, "input": "x", "input_words": 1 }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn a_user_who_cannot_afford_the_input_is_refused_before_any_upstream_call() {
    let (app, fake) = app_with_fake(|s| s.welcome_bonus_mc = 1_000).await;
    let user = app.signed_up_user("overdrawn@example.com").await;
    let token = &user.access_token;
    // 6,000 words: 5,000 past the allowance at 0.5x (a quarter of the model's 2x) cost
    // 25,000 mc; the balance pays for 50 words of output, not for the input.
    let input = prose(6_000);
    assert_eq!(input_cost(6_000, 500), 25_000);
    for stream in [false, true] {
        let body = json!({ "tool": "continue", "input": input, "words": 50, "model": "openai-ok" });
        let response = if stream {
            app.stream_generation(token, &body).await
        } else {
            app.post_authed("/api/v1/generations", token, &body).await
        };
        let problem = assert_problem(
            response,
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_credits",
        )
        .await;
        assert_eq!(problem["extra"]["available_mc"], 1_000);
    }
    assert_eq!(fake.request_count(), 0, "no upstream call");
    assert_eq!(app.count("SELECT COUNT(*) FROM holds").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM generations").await, 0);
    let balance = app.get_json("/api/v1/credits/balance", token).await;
    assert_eq!(
        balance,
        json!({ "balance_mc": 1_000, "reserved_mc": 0, "available_mc": 1_000 })
    );
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn every_message_of_a_chat_completion_is_billed_as_input() {
    let app = spawn_app().await;
    let key = personal_key(&app, "chatty@example.com").await;
    let messages = [
        ("system", prose(600)),
        ("user", prose(500)),
        ("assistant", prose(400)),
        ("user", prose(300)),
    ];
    let words: u64 = messages.iter().map(|(_, m)| billable_words_of(m)).sum();
    assert_eq!(words, 1_800);
    let response = app
        .post_authed(
            "/v1/chat/completions",
            &key,
            &json!({
                "model": "offline-demo",
                "messages": messages
                    .iter()
                    .map(|(role, content)| json!({ "role": role, "content": content }))
                    .collect::<Vec<_>>(),
                "max_tokens": 20,
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let id = body["id"].as_str().unwrap().trim_start_matches("chatcmpl-");
    let generation = app
        .get_json(&format!("/api/v1/generations/{id}"), &key)
        .await;
    assert_eq!(
        generation["input_words"], words,
        "cost_mc {}",
        generation["cost_mc"]
    );
    assert_eq!(generation["input_cost_mc"], input_cost(words, 250));
    let output = generation["words"].as_u64().unwrap();
    assert_eq!(
        generation["cost_mc"],
        input_cost(words, 250) + cost_mc(output, Multiplier::ONE).get()
    );
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn a_story_chapter_bills_its_premise_and_outline_but_not_earlier_chapters() {
    let (app, fake) = app_with_fake(|_| {}).await;
    let user = app.signed_up_user("saga@example.com").await;
    let token = &user.access_token;
    let premise = prose(600);
    let response = app
        .post_authed(
            "/api/v1/stories",
            token,
            &json!({ "title": "Tides", "premise": premise, "chapter_count": 2,
                     "words_per_chapter": 100, "model": "openai-ok" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let story: Value = response.json().await.unwrap();
    let id = story["project"]["id"].as_str().unwrap();
    let detail = "the sea wall cracks ".repeat(150);
    let outline = format!(
        "Chapter 1: The Wall — {}\nChapter 2: The Flood — {}",
        detail.trim_end(),
        detail.trim_end()
    );
    let patched = app
        .client
        .patch(app.url(&format!("/api/v1/stories/{id}")))
        .bearer_auth(token)
        .json(&json!({ "outline": outline }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    let stored: Value = app.get_json(&format!("/api/v1/stories/{id}"), token).await;
    let stored_premise = stored["project"]["premise"].as_str().unwrap();
    let stored_outline = stored["outline"].as_str().unwrap();
    let words = billable_words_of(stored_premise) + billable_words_of(stored_outline);
    assert!(words > FREE_WORDS + 500, "{words}");

    let mut spent = 0;
    for number in [1, 2] {
        let response = app
            .post_authed(
                &format!("/api/v1/stories/{id}/chapters/{number}/generate"),
                token,
                &json!({}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let result: Value = response.json().await.unwrap();
        let generation = &result["generation"];
        // The same for chapter 2, whose prompt also carries chapter 1's summary.
        assert_eq!(generation["input_words"], words, "chapter {number}");
        assert_eq!(generation["input_cost_mc"], input_cost(words, 500));
        let output = generation["words"].as_u64().unwrap();
        assert_eq!(output, 7, "the fake's chapter");
        assert_eq!(
            generation["cost_mc"],
            input_cost(words, 500) + cost_mc(output, rate(2000)).get()
        );
        spent += generation["cost_mc"].as_i64().unwrap();
    }
    let prompts: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| r.body["messages"].to_string())
        .collect();
    assert!(
        prompts[1].contains("Chapter 1 (The Wall)"),
        "{}",
        prompts[1]
    );
    let balance = app.get_json("/api/v1/credits/balance", token).await;
    assert_eq!(balance["balance_mc"], 50_000 - spent);
    app.assert_ledger_consistent().await;
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn the_input_is_charged_once_the_provider_accepted_the_request() {
    let (app, _fake) = app_with_fake(|_| {}).await;
    let user = app.signed_up_user("refused@example.com").await;
    let token = &user.access_token;
    let input = prose(6_000);
    let charge = input_cost(6_000, 500);
    let mut spent = 0;
    // Refused before answering: the input costs nothing. Accepted, then stalled: the input
    // is charged with the words delivered.
    for (model, input_charge) in [("openai-e401", 0), ("openai-stall", charge)] {
        let body = json!({ "tool": "continue", "input": input, "words": 50, "model": model });
        let events = EventReader::new(app.stream_generation(token, &body).await)
            .all()
            .await;
        let (name, end) = events.last().unwrap();
        assert_eq!(name, "error", "{model}");
        let id = end["generation_id"].as_str().unwrap();
        let generation = app.settled_generation(token, id).await;
        assert_eq!(generation["status"], "failed", "{model}");
        assert_eq!(generation["input_words"], 6_000);
        assert_eq!(generation["input_cost_mc"], input_charge, "{model}");
        let words = count_words(&text_of(&events));
        let cost = input_charge + cost_mc(words, rate(2000)).get();
        assert_eq!(generation["cost_mc"], cost, "{model}");
        assert_eq!(end["cost_mc"], cost, "{model}");
        spent += cost;
    }
    let balance = app.get_json("/api/v1/credits/balance", token).await;
    assert_eq!(balance["balance_mc"], 50_000 - spent);
    app.assert_ledger_consistent().await;
    app.assert_generations_settled().await;
}

/// Continuing a chapter sends the chapter's own text upstream, as the `continue` tool sends
/// its `input`: the writer supplied it, so it is billed like any input.
#[tokio::test]
async fn continuing_a_story_chapter_bills_the_chapter_it_continues() {
    let (app, _fake) = app_with_fake(|_| {}).await;
    let user = app.signed_up_user("longer@example.com").await;
    let token = &user.access_token;
    let response = app
        .post_authed(
            "/api/v1/stories",
            token,
            &json!({ "title": "Keeper", "premise": "A keeper finds a letter.",
                     "chapter_count": 1, "words_per_chapter": 100, "model": "openai-ok" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let story: Value = response.json().await.unwrap();
    let id = story["project"]["id"].as_str().unwrap();
    let project = app
        .client
        .get(app.url(&format!("/api/v1/projects/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let etag = project.headers()["etag"].to_str().unwrap().to_owned();
    let chapter = prose(3_000);
    let edited = app
        .patch_at(
            &format!("/api/v1/projects/{id}/chapters/0"),
            token,
            &etag,
            &json!({ "text": chapter }),
        )
        .await;
    assert_eq!(edited.status(), StatusCode::OK);

    let response = app
        .post_authed(
            &format!("/api/v1/stories/{id}/chapters/1/generate"),
            token,
            &json!({ "continue": true }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let result: Value = response.json().await.unwrap();
    let words = billable_words_of("A keeper finds a letter.") + billable_words_of(&chapter);
    assert_eq!(result["generation"]["input_words"], words);
    assert_eq!(
        result["generation"]["input_cost_mc"],
        input_cost(words, 500)
    );
}
