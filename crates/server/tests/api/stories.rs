//! Stories: settings, outline, chapters one by one or in sequence, stopping midway.

use penora_domain::{cost_mc, count_words, Multiplier};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::generation_faults::app_with_fake;
use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp};
use crate::streams::{text_of, EventReader};

async fn create_story(app: &TestApp, token: &str, chapters: i64) -> Value {
    let response = app
        .post_authed(
            "/api/v1/stories",
            token,
            &json!({
                "title": "The Lighthouse Keeper",
                "premise": "Mira inherits a lighthouse and the letters hidden in its walls.",
                "genre": "mystery",
                "tone": "wistful",
                "chapter_count": chapters,
                "words_per_chapter": 120,
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn get_story(app: &TestApp, token: &str, id: &str) -> Value {
    app.get_json(&format!("/api/v1/stories/{id}"), token).await
}

#[tokio::test]
async fn a_story_is_planned_outlined_and_written_chapter_by_chapter() {
    let app = spawn_app().await;
    let user = app.signed_up_user("novelist@example.com").await;
    let token = &user.access_token;
    let story = create_story(&app, token, 3).await;
    assert_eq!(story["chapter_count"], 3);
    assert_eq!(story["tone"], "wistful");
    assert_eq!(story["project"]["kind"], "story");
    let titles: Vec<&str> = story["project"]["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Chapter 1", "Chapter 2", "Chapter 3"]);
    let id = story["project"]["id"].as_str().unwrap();

    // The outline is generated, saved, and names the chapters.
    let response = app
        .post_authed(&format!("/api/v1/stories/{id}/outline"), token, &json!({}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let generation: Value = response.json().await.unwrap();
    assert_eq!(generation["generation"]["tool"], "outline");
    let story = get_story(&app, token, id).await;
    let outline = story["outline"].as_str().unwrap();
    assert!(outline.starts_with("Chapter 1: "), "{outline}");
    let first_title = story["project"]["chapters"][0]["title"].as_str().unwrap();
    assert!(first_title.starts_with("The "), "{first_title}");

    // Chapter 1 is written and saved; then continued.
    let path = format!("/api/v1/stories/{id}/chapters/1/generate");
    let response = app.post_authed(&path, token, &json!({})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let story = get_story(&app, token, id).await;
    let written = story["project"]["chapters"][0]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(count_words(&written) > 20);
    assert!(count_words(&written) <= 120);
    let response = app
        .post_authed(&path, token, &json!({ "continue": true }))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let story = get_story(&app, token, id).await;
    let longer = story["project"]["chapters"][0]["text"].as_str().unwrap();
    assert!(longer.starts_with(written.trim_end()) && longer.len() > written.len());
    // The title survives a regenerate.
    assert_eq!(story["project"]["chapters"][0]["title"], first_title);

    // Out of range: no generation, no charge.
    for number in [0, 5] {
        let response = app
            .post_authed(
                &format!("/api/v1/stories/{id}/chapters/{number}/generate"),
                token,
                &json!({}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM generations").await, 3);
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn bad_story_settings_are_refused_and_write_nothing() {
    let app = spawn_app().await;
    let user = app.signed_up_user("bad-story@example.com").await;
    for body in [
        json!({ "title": "" }),
        json!({ "title": "x", "chapter_count": 0 }),
        json!({ "title": "x", "chapter_count": 51 }),
        json!({ "title": "x", "words_per_chapter": 50 }),
        json!({ "title": "x", "chapter_count": "five" }),
    ] {
        let response = app
            .post_authed("/api/v1/stories", &user.access_token, &body)
            .await;
        assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    let unknown = app
        .post_authed(
            "/api/v1/stories",
            &user.access_token,
            &json!({ "title": "x", "model": "nope" }),
        )
        .await;
    assert_problem(unknown, StatusCode::UNPROCESSABLE_ENTITY, "unknown_model").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM projects").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM stories").await, 0);

    let story = create_story(&app, &user.access_token, 2).await;
    let id = story["project"]["id"].as_str().unwrap();
    let stranger = app.signed_up_user("stranger-story@example.com").await;
    let peek = app
        .get_authed(&format!("/api/v1/stories/{id}"), &stranger.access_token)
        .await;
    assert_problem(peek, StatusCode::NOT_FOUND, "project_not_found").await;
    let theirs = app
        .post_authed(
            &format!("/api/v1/stories/{id}/outline"),
            &stranger.access_token,
            &json!({}),
        )
        .await;
    assert_problem(theirs, StatusCode::NOT_FOUND, "project_not_found").await;
    // A plain document is not a story.
    let document = app
        .post_authed_json(
            "/api/v1/projects",
            &user.access_token,
            &json!({ "title": "Notes" }),
        )
        .await;
    let not_story = app
        .get_authed(
            &format!("/api/v1/stories/{}", document["id"].as_str().unwrap()),
            &user.access_token,
        )
        .await;
    assert_problem(not_story, StatusCode::NOT_FOUND, "project_not_found").await;
}

#[tokio::test]
async fn an_edited_outline_renames_the_chapters() {
    let app = spawn_app().await;
    let user = app.signed_up_user("editor-story@example.com").await;
    let story = create_story(&app, &user.access_token, 2).await;
    let id = story["project"]["id"].as_str().unwrap();
    let outline = "Chapter 1: Salt — Mira arrives.\nChapter 2: Letters — The walls speak.";
    let updated: Value = app
        .client
        .patch(app.url(&format!("/api/v1/stories/{id}")))
        .bearer_auth(&user.access_token)
        .json(&json!({ "outline": outline, "tone": "eerie" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(updated["outline"], outline);
    assert_eq!(updated["tone"], "eerie");
    assert_eq!(updated["project"]["chapters"][1]["title"], "Letters");
    let bad = app
        .client
        .patch(app.url(&format!("/api/v1/stories/{id}")))
        .bearer_auth(&user.access_token)
        .json(&json!({ "chapter_count": 99 }))
        .send()
        .await
        .unwrap();
    assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}

#[tokio::test]
async fn all_chapters_are_written_in_sequence_each_billed_and_saved() {
    let app = spawn_app().await;
    let user = app.signed_up_user("sequence@example.com").await;
    let story = create_story(&app, &user.access_token, 3).await;
    let id = story["project"]["id"].as_str().unwrap();
    let path = format!("/api/v1/stories/{id}/generate");
    let response = app.stream_post(&path, &user.access_token, &json!({})).await;
    let events = EventReader::new(response).all().await;
    let chapters: Vec<u64> = events
        .iter()
        .filter(|(name, _)| name == "chapter")
        .map(|(_, data)| data["number"].as_u64().unwrap())
        .collect();
    assert_eq!(chapters, [1, 2, 3]);
    let dones: Vec<&Value> = events
        .iter()
        .filter(|(n, _)| n == "done")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(dones.len(), 3);
    assert!(dones.iter().all(|d| d["saved_to"] == id));
    let (last, end) = events.last().unwrap();
    assert_eq!(last, "story_done");
    assert_eq!(end["written"], json!([1, 2, 3]));
    assert_eq!(end["complete"], true);
    let total: i64 = dones.iter().map(|d| d["cost_mc"].as_i64().unwrap()).sum();
    assert_eq!(end["total_cost_mc"], total);
    assert_eq!(
        total,
        cost_mc(count_words(&text_of(&events)), Multiplier::ONE)
            .get()
            .max(total)
    );

    let story = get_story(&app, &user.access_token, id).await;
    for chapter in story["project"]["chapters"].as_array().unwrap() {
        assert!(
            count_words(chapter["text"].as_str().unwrap()) > 20,
            "{chapter}"
        );
    }
    // One ledger entry per chapter.
    let history: Value = app
        .get_json(
            "/api/v1/credits/transactions?kind=generation",
            &user.access_token,
        )
        .await;
    assert_eq!(history["items"].as_array().unwrap().len(), 3);
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn stopping_midway_keeps_what_was_written() {
    let app = spawn_app_with(|s| s.offline_pace_ms = 10).await;
    let user = app.signed_up_user("halt@example.com").await;
    let story = create_story(&app, &user.access_token, 3).await;
    let id = story["project"]["id"].as_str().unwrap();
    let path = format!("/api/v1/stories/{id}/generate");
    let response = app.stream_post(&path, &user.access_token, &json!({})).await;
    let mut reader = EventReader::new(response);
    // Let chapter 1 finish, then stop chapter 2 after its first words.
    let mut current = None;
    let mut deltas_in_two = 0;
    while let Some((name, data)) = reader.next().await {
        if name == "chapter" {
            current = Some(data["number"].as_u64().unwrap());
        }
        if name == "meta" && current == Some(2) {
            let generation = data["generation_id"].as_str().unwrap().to_owned();
            while deltas_in_two < 3 {
                if reader.next().await.unwrap().0 == "delta" {
                    deltas_in_two += 1;
                }
            }
            let cancel = app
                .post_authed(
                    &format!("/api/v1/generations/{generation}/cancel"),
                    &user.access_token,
                    &json!({}),
                )
                .await;
            assert_eq!(cancel.status(), StatusCode::OK);
            break;
        }
    }
    let rest = reader.all().await;
    let (last, end) = rest.last().unwrap();
    assert_eq!(last, "story_done");
    assert_eq!(end["complete"], false);
    assert_eq!(end["written"], json!([1, 2]));
    assert_eq!(end["error"]["code"], "cancelled");
    let story = get_story(&app, &user.access_token, id).await;
    let chapters = story["project"]["chapters"].as_array().unwrap();
    assert!(count_words(chapters[0]["text"].as_str().unwrap()) > 20);
    let partial = count_words(chapters[1]["text"].as_str().unwrap());
    assert!((3..120).contains(&partial), "{partial}");
    assert_eq!(chapters[2]["text"], "");
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn a_sequence_stops_cleanly_when_credits_run_out() {
    // 2 credits: about 200 words at 1x, less than three chapters of 120.
    let app = spawn_app_with(|s| s.welcome_bonus_mc = 2_000).await;
    let user = app.signed_up_user("thrifty@example.com").await;
    let story = create_story(&app, &user.access_token, 3).await;
    let id = story["project"]["id"].as_str().unwrap();
    let end: Value = app
        .post_authed_json(
            &format!("/api/v1/stories/{id}/generate"),
            &user.access_token,
            &json!({}),
        )
        .await;
    assert_eq!(end["complete"], false, "{end}");
    assert!(!end["written"].as_array().unwrap().is_empty());
    let balance: Value = app
        .get_json("/api/v1/credits/balance", &user.access_token)
        .await;
    assert!(balance["balance_mc"].as_i64().unwrap() >= 0);
    assert_eq!(
        balance["balance_mc"],
        2_000 - end["total_cost_mc"].as_i64().unwrap()
    );
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn each_chapter_prompt_carries_the_outline_and_summaries_of_the_chapters_before() {
    let (app, fake) = app_with_fake(|_| {}).await;
    let user = app.signed_up_user("prompted@example.com").await;
    let token = &user.access_token;
    let response = app
        .post_authed(
            "/api/v1/stories",
            token,
            &json!({ "title": "Tides", "premise": "A village under the sea wall.", "chapter_count": 2, "words_per_chapter": 100, "model": "openai-ok" }),
        )
        .await;
    let story: Value = response.json().await.unwrap();
    let id = story["project"]["id"].as_str().unwrap();
    let outline = "Chapter 1: The Wall — It cracks.\nChapter 2: The Flood — It breaks.";
    app.client
        .patch(app.url(&format!("/api/v1/stories/{id}")))
        .bearer_auth(token)
        .json(&json!({ "outline": outline }))
        .send()
        .await
        .unwrap();
    for number in [1, 2] {
        let response = app
            .post_authed(
                &format!("/api/v1/stories/{id}/chapters/{number}/generate"),
                token,
                &json!({}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let prompts: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| r.body["messages"].to_string())
        .collect();
    assert!(
        prompts[0].contains("The Wall") && prompts[0].contains("It breaks."),
        "{}",
        prompts[0]
    );
    assert!(prompts[0].contains("this is the first chapter"));
    // The fake wrote "The tide came in over the stones." as chapter 1.
    assert!(
        prompts[1].contains("Chapter 1 (The Wall): The tide came in over the stones."),
        "{}",
        prompts[1]
    );
    assert!(prompts[1].contains("chapter 2 of 2"));
}
