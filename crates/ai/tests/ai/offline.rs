//! The offline demo model: deterministic, task-following, budget- and stop-respecting.

use std::time::{Duration, Instant};

use penora_ai::{
    FinishReason, GenerationRequest, Message, Offline, Provider, RewriteStyle, StreamEvent, Task,
    OFFLINE_ID, OFFLINE_LABEL,
};

use crate::helpers::{run, Outcome};

fn request(task: Task, input: &str, seed: u64) -> GenerationRequest {
    GenerationRequest {
        model: "offline".into(),
        messages: vec![
            Message::system("You are a writing assistant."),
            Message::user(input),
        ],
        max_tokens: 2000,
        temperature: None,
        stop: Vec::new(),
        task,
        input: input.into(),
        seed,
        target_words: None,
    }
}

async fn generate(request: GenerationRequest) -> Outcome {
    let outcome = run(&Offline::default(), request).await;
    outcome.assert_well_formed();
    outcome
}

async fn text(task: Task, input: &str, seed: u64) -> String {
    generate(request(task, input, seed)).await.text
}

const LIGHTHOUSE: &str = "Write a story about a lighthouse keeper and a storm.";
const PASSAGE: &str = "Mira walked down to the harbour before dawn. The boats were still \
    asleep. She carried her grandmother's lantern, and its glass was cold against her palm. \
    Somewhere out past the breakwater, a bell was ringing.";

#[test]
fn is_labelled_as_the_offline_demo_model() {
    assert_eq!(OFFLINE_LABEL, "Offline demo model");
    assert_eq!(Offline::default().id(), OFFLINE_ID);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_text() {
    let first = text(Task::Write, LIGHTHOUSE, 42).await;
    let second = text(Task::Write, LIGHTHOUSE, 42).await;
    assert_eq!(first, second);
    assert!(first.split_whitespace().count() > 50, "{first}");
}

#[tokio::test]
async fn a_requested_length_is_honoured_and_ends_at_a_sentence() {
    for (task, words) in [
        (Task::Write, 150),
        (Task::Write, 800),
        (Task::Continue, 400),
        (
            Task::Chapter {
                number: 1,
                title: "The Drowned Bell".into(),
            },
            800,
        ),
    ] {
        for seed in 0..5 {
            let mut asked = request(task.clone(), PASSAGE, seed);
            asked.target_words = Some(words);
            // As the app asks: room for twice the words, so only the length decides.
            asked.max_tokens = words * 2 + 64;
            let outcome = generate(asked).await;
            let written = outcome.text.split_whitespace().count();
            let low = usize::try_from(words * 4 / 5).unwrap();
            let high = usize::try_from(words).unwrap();
            assert!(
                (low..=high).contains(&written),
                "{task:?} asked {words}, wrote {written}"
            );
            let end = outcome.text.trim_end().chars().last().unwrap();
            assert!(
                ".!?”\"".contains(end),
                "{task:?} ends mid-sentence: {:?}",
                &outcome.text[outcome.text.len() - 40..]
            );
        }
    }
}

#[tokio::test]
async fn different_seeds_give_different_text() {
    let first = text(Task::Write, LIGHTHOUSE, 1).await;
    let second = text(Task::Write, LIGHTHOUSE, 2).await;
    assert_ne!(first, second);
}

#[tokio::test]
async fn write_is_about_the_instructions() {
    let written = text(Task::Write, LIGHTHOUSE, 3).await;
    assert!(written.contains("lighthouse"), "{written}");
    assert!(written.contains("\n\n"), "paragraphs expected: {written}");
}

#[tokio::test]
async fn continue_reuses_a_name_from_the_input() {
    let continued = text(Task::Continue, PASSAGE, 5).await;
    assert!(continued.contains("Mira"), "{continued}");
    assert!(!continued.starts_with(PASSAGE));
}

#[tokio::test]
async fn continue_works_for_many_seeds() {
    for seed in 0..20 {
        let continued = text(Task::Continue, PASSAGE, seed).await;
        assert!(
            continued.starts_with("Mira") || continued.contains(" Mira"),
            "{seed}: {continued}"
        );
    }
}

#[tokio::test]
async fn shorter_is_shorter_than_the_input() {
    let task = Task::Rewrite {
        style: RewriteStyle::Shorter,
    };
    let shorter = text(task, PASSAGE, 1).await;
    assert!(!shorter.is_empty());
    assert!(shorter.len() < PASSAGE.len() * 3 / 4, "{shorter}");
    assert!(shorter.starts_with("Mira walked down to the harbour before dawn."));
}

#[tokio::test]
async fn longer_is_longer_and_keeps_the_original() {
    let task = Task::Rewrite {
        style: RewriteStyle::Longer,
    };
    let longer = text(task, PASSAGE, 1).await;
    assert!(longer.len() > PASSAGE.len() * 3 / 2, "{longer}");
    assert!(longer.contains("The boats were still asleep."));
}

#[tokio::test]
async fn clearer_drops_wordy_phrases() {
    let task = Task::Rewrite {
        style: RewriteStyle::Clearer,
    };
    let input = "In order to reach the harbour she was really very careful.";
    assert_eq!(
        text(task, input, 1).await,
        "To reach the harbour she was careful."
    );
}

#[tokio::test]
async fn more_vivid_adds_sensory_words() {
    let task = Task::Rewrite {
        style: RewriteStyle::MoreVivid,
    };
    let vivid = text(task, PASSAGE, 1).await;
    assert!(vivid.len() > PASSAGE.len());
    assert!(vivid.contains("The air smelled of"), "{vivid}");
    assert!(vivid.contains("harbour") && vivid.contains("lantern"));
}

#[tokio::test]
async fn a_custom_rewrite_mentions_the_instruction() {
    let task = Task::Rewrite {
        style: RewriteStyle::Custom("as a pirate".into()),
    };
    let rewritten = text(task, PASSAGE, 1).await;
    assert!(rewritten.contains("as a pirate"), "{rewritten}");
    assert!(rewritten.contains("harbour"));
}

#[tokio::test]
async fn describe_covers_the_five_senses() {
    let described = text(Task::Describe, "Describe an old spice market.", 9).await;
    assert!(described.contains("market"), "{described}");
    let sentences = described.matches(". ").count() + 1;
    assert!(sentences >= 5, "{described}");
}

#[tokio::test]
async fn brainstorm_is_a_numbered_list() {
    let ideas = text(Task::Brainstorm, "Ideas for a story about a clockmaker", 4).await;
    let lines: Vec<&str> = ideas.lines().collect();
    assert!(lines.len() >= 5, "{ideas}");
    for (index, line) in lines.iter().enumerate() {
        assert!(line.starts_with(&format!("{}. ", index + 1)), "{line}");
    }
}

#[tokio::test]
async fn outline_has_exactly_the_requested_chapters() {
    for chapters in [1, 3, 12] {
        let outline = text(Task::Outline { chapters }, "A heist in a floating city", 8).await;
        let lines: Vec<&str> = outline.lines().collect();
        assert_eq!(lines.len(), chapters as usize, "{outline}");
        for (index, line) in lines.iter().enumerate() {
            assert!(
                line.starts_with(&format!("Chapter {}: ", index + 1)),
                "{line}"
            );
            assert!(line.contains(" — "), "{line}");
        }
    }
}

#[tokio::test]
async fn a_huge_outline_is_cut_by_max_tokens() {
    let mut request = request(Task::Outline { chapters: u32::MAX }, "A saga", 1);
    request.max_tokens = 100;
    let outcome = generate(request).await;
    assert_eq!(outcome.finish(), Some(&FinishReason::Length));
}

#[tokio::test]
async fn chapter_prose_references_its_title() {
    let task = Task::Chapter {
        number: 3,
        title: "The Drowned Bell".into(),
    };
    let chapter = text(task, PASSAGE, 2).await;
    assert!(chapter.contains("The Drowned Bell"), "{chapter}");
    assert!(chapter.split_whitespace().count() > 100);
}

#[tokio::test]
async fn chat_answers_the_last_user_message() {
    let mut question = request(Task::Chat, "", 1);
    question.messages.push(Message::assistant("Sure."));
    question.messages.push(Message::user(
        "How should I introduce the villain's castle?",
    ));
    let reply = generate(question).await.text;
    assert!(reply.contains("castle"), "{reply}");
    assert!(reply.contains("offline demo model"), "{reply}");
}

#[tokio::test]
async fn max_tokens_cuts_with_length() {
    let mut request = request(Task::Write, LIGHTHOUSE, 1);
    request.max_tokens = 20;
    let outcome = generate(request).await;
    assert_eq!(outcome.text.split_whitespace().count(), 15);
    assert_eq!(outcome.finish(), Some(&FinishReason::Length));
    let (_, completion) = outcome.usage().unwrap();
    assert!(completion <= 20);
}

#[tokio::test]
async fn enough_tokens_finishes_with_stop() {
    let outcome = generate(request(Task::Write, LIGHTHOUSE, 1)).await;
    assert_eq!(outcome.finish(), Some(&FinishReason::Stop));
    let (prompt, completion) = outcome.usage().unwrap();
    assert!(prompt > 0 && completion > 0);
}

#[tokio::test]
async fn a_stop_sequence_ends_the_text_before_it() {
    let full = text(Task::Brainstorm, "clockmaker", 4).await;
    let mut request = request(Task::Brainstorm, "clockmaker", 4);
    request.stop = vec!["3.".into()];
    let outcome = generate(request).await;
    assert!(!outcome.text.contains("3."), "{}", outcome.text);
    assert!(outcome.text.contains("2. "));
    assert!(full.starts_with(&outcome.text));
    assert_eq!(outcome.finish(), Some(&FinishReason::Stop));
}

#[tokio::test]
async fn unicode_input_is_safe_for_every_task() {
    let inputs = [
        "राम नदी के किनारे बैठा था। पानी ठंडा था। उसने एक पुराना दीपक देखा।",
        "Мира шла к гавани до рассвета. Лодки ещё спали. Где-то звонил колокол.",
        "🌊🌊 ✨",
        "",
    ];
    let tasks = [
        Task::Write,
        Task::Continue,
        Task::Rewrite {
            style: RewriteStyle::Shorter,
        },
        Task::Rewrite {
            style: RewriteStyle::Longer,
        },
        Task::Rewrite {
            style: RewriteStyle::Clearer,
        },
        Task::Rewrite {
            style: RewriteStyle::MoreVivid,
        },
        Task::Rewrite {
            style: RewriteStyle::Custom("कविता".into()),
        },
        Task::Describe,
        Task::Brainstorm,
        Task::Outline { chapters: 4 },
        Task::Chapter {
            number: 1,
            title: "Глава".into(),
        },
        Task::Chat,
    ];
    for input in inputs {
        for task in &tasks {
            for max_tokens in [0, 1, 7, 2000] {
                let mut request = request(task.clone(), input, 11);
                request.max_tokens = max_tokens;
                request.stop = vec!["ा".into()];
                let outcome = generate(request).await;
                assert!(!outcome.text.contains('ा'), "{task:?}: {}", outcome.text);
            }
        }
    }
    let continued = text(Task::Continue, inputs[1], 3).await;
    assert!(
        continued.contains("Мира") || continued.contains("колокол"),
        "{continued}"
    );
}

#[tokio::test]
async fn streams_word_by_word_at_the_given_pace() {
    let mut request = request(Task::Write, LIGHTHOUSE, 1);
    request.max_tokens = 14; // 10 words
    let offline = Offline::new(Duration::from_millis(10));
    let started = Instant::now();
    let outcome = run(&offline, request).await;
    assert!(
        started.elapsed() >= Duration::from_millis(90),
        "{:?}",
        started.elapsed()
    );
    let deltas = outcome
        .events
        .iter()
        .filter(|event| matches!(event, StreamEvent::Delta(_)))
        .count();
    assert_eq!(deltas, 10);
}
