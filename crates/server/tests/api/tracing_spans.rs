//! One request is one span tree: the `request` span of the outermost middleware, the
//! handler's span under it, the services' spans under that — also those opened in the tasks
//! the request spawned (a generation's stream, a story run) — and no secret, password, token
//! or prompt is a field of any span.
//!
//! A capturing layer is installed as the process's subscriber (nextest runs each test in a
//! process of its own); each test finds its tree by the request id it sent.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use reqwest::StatusCode;
use serde_json::{json, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;
use uuid::Uuid;

use crate::helpers::{spawn_app, TestApp, PASSWORD};
use crate::streams::continue_body;

const STORY: &str = "Mira pushed the lighthouse door open. The lamp room smelled of salt.";

/// One span as it was opened (and recorded into later).
#[derive(Debug, Clone)]
struct Captured {
    serial: u64,
    parent: Option<u64>,
    name: &'static str,
    fields: HashMap<String, String>,
}

/// Our own span numbers: the registry reuses the ids of closed spans.
struct Serial(u64);

#[derive(Default)]
struct Fields(HashMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

struct Capture;

fn spans() -> MutexGuard<'static, HashMap<u64, Captured>> {
    static SPANS: OnceLock<Mutex<HashMap<u64, Captured>>> = OnceLock::new();
    SPANS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let Some(span) = ctx.span(id) else { return };
        let parent = span
            .parent()
            .and_then(|p| p.extensions().get::<Serial>().map(|s| s.0));
        let serial = NEXT.fetch_add(1, Ordering::Relaxed);
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        span.extensions_mut().insert(Serial(serial));
        let captured = Captured {
            serial,
            parent,
            name: attrs.metadata().name(),
            fields: fields.0,
        };
        spans().insert(serial, captured);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let Some(serial) = span.extensions().get::<Serial>().map(|s| s.0) else {
            return;
        };
        let mut fields = Fields::default();
        values.record(&mut fields);
        if let Some(captured) = spans().get_mut(&serial) {
            captured.fields.extend(fields.0);
        }
    }
}

/// Installs the capturing subscriber (once per process) for the server's own spans.
fn capture() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let filter = Targets::new()
            .with_target("penora_server", Level::INFO)
            .with_target("penora_app", Level::INFO);
        let subscriber = tracing_subscriber::registry().with(Capture.with_filter(filter));
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other subscriber (run without TEST_LOG, one test per process)");
    });
}

/// The spans of the request with id `request_id`: its `request` span first, then every span
/// below it.
struct Tree {
    root: Captured,
    below: Vec<Captured>,
}

impl Tree {
    fn of(request_id: &str) -> Tree {
        let all = spans().clone();
        let roots: Vec<&Captured> = all
            .values()
            .filter(|s| {
                s.name == "request"
                    && s.fields.get("request_id").map(String::as_str) == Some(request_id)
            })
            .collect();
        assert_eq!(roots.len(), 1, "one request span for {request_id}");
        let root = roots[0].clone();
        let below = all
            .values()
            .filter(|s| {
                let mut up = s.parent;
                while let Some(parent) = up {
                    if parent == root.serial {
                        return true;
                    }
                    up = all.get(&parent).and_then(|p| p.parent);
                }
                false
            })
            .cloned()
            .collect();
        Tree { root, below }
    }

    /// The one span named `name` in the tree.
    fn one(&self, name: &str) -> &Captured {
        let found: Vec<&Captured> = self.below.iter().filter(|s| s.name == name).collect();
        assert_eq!(found.len(), 1, "one {name} in {:#?}", self.below);
        found[0]
    }

    fn all(&self, name: &str) -> Vec<&Captured> {
        self.below.iter().filter(|s| s.name == name).collect()
    }
}

fn field<'a>(span: &'a Captured, name: &str) -> &'a str {
    span.fields
        .get(name)
        .unwrap_or_else(|| panic!("{} has no {name}: {:?}", span.name, span.fields))
}

/// No span of the process has any of `secrets` in a field.
fn assert_no_field_holds(secrets: &[&str]) {
    for span in spans().values() {
        for (name, value) in &span.fields {
            for secret in secrets {
                assert!(
                    !value.contains(secret),
                    "{}.{name} holds a secret: {value}",
                    span.name
                );
            }
        }
    }
}

async fn post_as(app: &TestApp, request_id: &str, path: &str, token: &str, body: &Value) -> Value {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("x-request-id", request_id)
        .json(body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_json_generation_is_one_span_tree_without_secrets() {
    capture();
    let app = spawn_app().await;
    let user = app.signed_up_user("traced@example.com").await;
    let user_id = app.user_id(&user).await;
    let request_id = Uuid::new_v4().to_string();
    let body = post_as(
        &app,
        &request_id,
        "/api/v1/generations",
        &user.access_token,
        &continue_body(STORY),
    )
    .await;

    let tree = Tree::of(&request_id);
    assert_eq!(tree.root.fields["method"], "POST");
    assert_eq!(tree.root.fields["path"], "/api/v1/generations");
    // The extractor names the caller on the request span: every line of it says who.
    assert_eq!(field(&tree.root, "user_id"), user_id);
    let handler = tree.one("routes::generations::create");
    assert_eq!(handler.parent, Some(tree.root.serial));
    assert_eq!(field(handler, "user_id"), user_id);
    assert_eq!(field(handler, "model"), "offline-demo");
    let generation_id = body["generation"]["id"].as_str().unwrap();
    assert_eq!(field(handler, "generation_id"), generation_id);
    // The per-minute limit is a service the start calls: a child of the handler's span.
    let limit = tree.one("services::limits::hit");
    assert_eq!(limit.parent, Some(handler.serial));

    assert_no_field_holds(&[
        PASSWORD,
        &user.access_token,
        &user.refresh_token,
        "Mira pushed",
        "traced@example.com",
    ]);
}

#[tokio::test]
async fn an_app_debit_is_one_span_tree() {
    capture();
    let app = spawn_app().await;
    let user = app.signed_up_user("debited@example.com").await;
    let user_id = app.user_id(&user).await;
    let secret = app.app_key(&["credits:write"]).await;
    let request_id = Uuid::new_v4().to_string();
    let response = app
        .client
        .post(app.url(&format!("/api/v1/apps/users/{user_id}/debits")))
        .bearer_auth(&secret)
        .header("x-request-id", &request_id)
        .header("idempotency-key", "trace-1")
        .json(&json!({ "amount_mc": 1_000 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);

    let tree = Tree::of(&request_id);
    // The key is checked before the handler runs, inside the request.
    let key = tree.one("services::api_keys::authenticate");
    assert_eq!(key.parent, Some(tree.root.serial));
    let handler = tree.one("routes::apps::debit");
    assert_eq!(handler.parent, Some(tree.root.serial));
    assert_eq!(field(handler, "user_id"), user_id);
    let app_key_id = field(handler, "app_key_id");
    assert_eq!(field(&tree.root, "app_key_id"), app_key_id);
    let service = tree.one("services::apps::debit");
    assert_eq!(service.parent, Some(handler.serial));
    assert_eq!(field(service, "user_id"), user_id);
    assert_eq!(field(service, "app_key_id"), app_key_id);
    let write = tree.one("services::idempotency::once_recorded");
    assert_eq!(write.parent, Some(service.serial));

    assert_no_field_holds(&[PASSWORD, &secret, &user.access_token]);
}

#[tokio::test]
async fn a_story_run_and_its_generations_carry_the_request_span() {
    capture();
    let app = spawn_app().await;
    let user = app.signed_up_user("storied@example.com").await;
    let story = post_as(
        &app,
        &Uuid::new_v4().to_string(),
        "/api/v1/stories",
        &user.access_token,
        &json!({
            "title": "The Keeper",
            "premise": "Mira inherits a lighthouse.",
            "genre": "mystery",
            "tone": "wistful",
            "chapter_count": 2,
            "words_per_chapter": 120,
        }),
    )
    .await;
    let id = story["project"]["id"].as_str().unwrap();
    let request_id = Uuid::new_v4().to_string();
    let end = post_as(
        &app,
        &request_id,
        &format!("/api/v1/stories/{id}/generate"),
        &user.access_token,
        &json!({}),
    )
    .await;
    assert_eq!(end["written"], json!([1, 2]));

    let tree = Tree::of(&request_id);
    let handler = tree.one("routes::stories::generate_all");
    assert_eq!(handler.parent, Some(tree.root.serial));
    assert_eq!(field(handler, "project_id"), id);
    assert_eq!(field(handler, "model"), "offline-demo");
    // The run (a task of its own) reads the story before each chapter, under the handler.
    let reads = tree.all("services::stories::get");
    assert!(reads.len() >= 3, "{reads:?}");
    assert!(reads.iter().all(|s| s.parent == Some(handler.serial)));
    // Each chapter has a span naming its generation, under the handler; the generation's
    // task (spawned by the run) saves the text under it.
    let chapters = tree.all("services::story_runs::chapter");
    assert_eq!(chapters.len(), 2, "{chapters:?}");
    let keeps = tree.all("services::stories::keep");
    assert_eq!(keeps.len(), 2, "{keeps:?}");
    for chapter in chapters {
        assert_eq!(chapter.parent, Some(handler.serial));
        assert!(Uuid::try_parse(field(chapter, "generation_id")).is_ok());
        let kept = keeps.iter().filter(|s| s.parent == Some(chapter.serial));
        assert_eq!(kept.count(), 1, "{keeps:?}");
    }
}
