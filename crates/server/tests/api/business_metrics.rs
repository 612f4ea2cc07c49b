//! The business metrics on `/metrics` move with what happens (generations, upstream
//! failures, holds), `/health/detailed` reports each provider's reachability, and the alert
//! rules shipped in deploy/ name only metrics a real scrape has.

use std::time::{Duration, Instant};

use penora_fake_upstream::{FakeUpstream, Reply};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::generation_faults::app_with_fake;
use crate::helpers::{spawn_app, spawn_app_with, TestApp};
use crate::streams::EventReader;

/// The sum of the samples of `name` whose labels include every one of `labels`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            (metric == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
            .then(|| value.parse::<f64>().ok())?
        })
        .sum()
}

async fn scrape(app: &TestApp) -> String {
    let response = app.ops_get("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

async fn stream(app: &TestApp, token: &str, model: &str) -> Vec<(String, Value)> {
    let body = json!({ "tool": "write", "instructions": "the tide", "words": 200, "model": model });
    EventReader::new(app.stream_generation(token, &body).await)
        .all()
        .await
}

#[tokio::test]
async fn generations_and_upstream_failures_move_the_business_metrics() {
    let (app, _fake) = app_with_fake(|_| {}).await;
    let user = app.signed_up_user("metrics@example.com").await;
    let ok = stream(&app, &user.access_token, "openai-ok").await;
    assert_eq!(ok.last().unwrap().0, "done", "{ok:?}");
    let failed = stream(&app, &user.access_token, "openai-e401").await;
    assert_eq!(failed.last().unwrap().0, "error", "{failed:?}");
    let text = scrape(&app).await;

    let ok_model = [("model", "openai-ok")];
    let completed = [("model", "openai-ok"), ("outcome", "completed")];
    assert_eq!(
        sample(&text, "penora_generations_total", &completed),
        1.0,
        "{text}"
    );
    let failed_labels = [("model", "openai-e401"), ("outcome", "failed")];
    assert_eq!(
        sample(&text, "penora_generations_total", &failed_labels),
        1.0
    );
    // 7 words at 2x: 140 millicredits, billed as priced.
    assert_eq!(
        sample(&text, "penora_generation_words_delivered_total", &ok_model),
        7.0
    );
    assert_eq!(
        sample(&text, "penora_generation_words_billed_total", &ok_model),
        7.0
    );
    let billed = "penora_generation_credits_billed_millicredits_total";
    assert_eq!(sample(&text, billed, &ok_model), 140.0);
    let priced = "penora_generation_credits_priced_millicredits_total";
    assert_eq!(sample(&text, priced, &ok_model), 140.0);
    let output_tokens = [("model", "openai-ok"), ("kind", "output")];
    assert_eq!(
        sample(&text, "penora_generation_tokens_total", &output_tokens),
        3.0
    );

    let deepinfra = [("provider", "deepinfra")];
    assert_eq!(
        sample(&text, "penora_upstream_requests_total", &deepinfra),
        2.0
    );
    let refused = [("provider", "deepinfra"), ("code", "unauthorized")];
    assert_eq!(sample(&text, "penora_upstream_errors_total", &refused), 1.0);
    let first = "penora_upstream_first_byte_seconds_count";
    assert_eq!(sample(&text, first, &deepinfra), 1.0);

    // On PostgreSQL opening and closing go through the group commit (SQLite writes one at a
    // time: its histograms stay at zero).
    let batched = if std::env::var("PENORA_TEST_DATABASE_URL").is_ok() {
        2.0
    } else {
        0.0
    };
    assert!(
        sample(&text, "penora_group_commit_batch_size_count", &[]) >= batched,
        "{text}"
    );
    assert!(sample(&text, "penora_group_commit_write_seconds_count", &[]) >= batched);
    assert!(text.contains("# TYPE penora_group_commit_batch_size histogram"));
    // Nothing is left open.
    assert_eq!(sample(&text, "penora_holds_open", &[]), 0.0);
    assert_eq!(sample(&text, "penora_holds_expired_open", &[]), 0.0);
}

#[tokio::test]
async fn a_running_generation_shows_as_an_open_hold() {
    let app = spawn_app_with(|s| s.offline_pace_ms = 20).await;
    let user = app.signed_up_user("holding@example.com").await;
    let body = json!({ "tool": "write", "instructions": "a long tide", "words": 300 });
    let mut reader = EventReader::new(app.stream_generation(&user.access_token, &body).await);
    let (first, meta) = reader.next().await.unwrap();
    assert_eq!(first, "meta");
    let text = scrape(&app).await;
    assert_eq!(sample(&text, "penora_holds_open", &[]), 1.0, "{text}");
    let reserved = sample(&text, "penora_holds_open_millicredits", &[]);
    assert_eq!(reserved, meta["max_cost_mc"].as_f64().unwrap());
    assert_eq!(sample(&text, "penora_holds_expired_open", &[]), 0.0);
    let offline = [("provider", "offline")];
    assert_eq!(
        sample(&text, "penora_upstream_requests_total", &offline),
        1.0
    );
    drop(reader);
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn a_hold_past_its_expiry_shows_until_the_sweeper_settles_it() {
    // Saves (which move the expiry on) come far later than the hold expires.
    let app = spawn_app_with(|s| {
        s.offline_pace_ms = 50;
        s.generation_save_interval_ms = 60_000;
        s.generation_hold_grace_ms = 200;
    })
    .await;
    let user = app.signed_up_user("stuck@example.com").await;
    let body = json!({ "tool": "write", "instructions": "a slow tide", "words": 300 });
    let mut reader = EventReader::new(app.stream_generation(&user.access_token, &body).await);
    assert_eq!(reader.next().await.unwrap().0, "meta");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let stuck = scrape(&app).await;
    assert_eq!(sample(&stuck, "penora_holds_open", &[]), 1.0, "{stuck}");
    assert_eq!(sample(&stuck, "penora_holds_expired_open", &[]), 1.0);
    assert!(sample(&stuck, "penora_hold_oldest_open_age_seconds", &[]) >= 0.0);

    let settled = penora_app::holds::sweep(&app.state).await.unwrap();
    assert_eq!(settled, 1);
    let swept = scrape(&app).await;
    assert_eq!(sample(&swept, "penora_holds_open", &[]), 0.0, "{swept}");
    assert_eq!(sample(&swept, "penora_holds_expired_open", &[]), 0.0);
    drop(reader);
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn a_purchase_is_counted_once_however_often_it_is_applied() {
    let app = spawn_app().await;
    let user = app.signed_up_user("buyer-metrics@example.com").await;
    let token = &user.access_token;
    let before = scrape(&app).await;
    let captured = [("kind", "order"), ("outcome", "captured")];
    // Every payment series is there before the first payment.
    assert_eq!(
        sample(&before, "penora_payments_total", &captured),
        0.0,
        "{before}"
    );
    let order = app.order(token, "pack-100").await;
    let paid = app
        .sandbox_pay(order["gateway_order_id"].as_str().unwrap())
        .await;
    let order_id = order["order_id"].as_str().unwrap();
    for _ in 0..2 {
        let verified = app.verify(token, order_id, &paid).await;
        assert_eq!(verified.status(), StatusCode::OK);
    }
    // The webhook finds it applied.
    app.wait_for_webhooks().await;
    let text = scrape(&app).await;
    assert_eq!(
        sample(&text, "penora_payments_total", &captured),
        1.0,
        "{text}"
    );
    let credited = "penora_credits_purchased_millicredits_total";
    assert_eq!(sample(&text, credited, &[("kind", "order")]), 100_000.0);
    let mismatched = [("outcome", "mismatch")];
    assert_eq!(sample(&text, "penora_payments_total", &mismatched), 0.0);
}

#[tokio::test]
async fn detailed_health_reports_each_provider_reachable_or_not() {
    let up = FakeUpstream::routed(|_, _| Reply::status(404, "no")).await;
    // A port nothing listens on: refused at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://{}/v1", closed.local_addr().unwrap());
    drop(closed);
    // A port that takes connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hangs = format!("http://{}/v1", silent.local_addr().unwrap());
    let up_url = format!("{}/v1", up.base_url);
    let app = spawn_app_with(move |s| {
        for (name, value) in [
            ("OPENAI_API_KEY", "fake-key".to_owned()),
            ("OPENAI_BASE_URL", up_url),
            ("GROQ_API_KEY", "fake-key".to_owned()),
            ("GROQ_BASE_URL", down),
            ("DEEPINFRA_API_KEY", "fake-key".to_owned()),
            ("DEEPINFRA_BASE_URL", hangs),
        ] {
            s.providers.insert(name.to_owned(), value);
        }
    })
    .await;
    // The first report waits for the checks, each bounded (2 s).
    let started = Instant::now();
    let response = app.ops_get("/health/detailed").await;
    let first_took = started.elapsed();
    assert!(first_took < Duration::from_secs(4), "{first_took:?}");
    // A provider that is down does not make the server unhealthy.
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let status_of = |id: &str| {
        body["providers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} in {body}"))
    };
    assert_eq!(status_of("offline")["status"], "reachable");
    assert_eq!(status_of("openai")["status"], "reachable", "{body}");
    let groq = status_of("groq");
    assert_eq!(groq["status"], "unreachable", "{body}");
    assert_eq!(groq["error"], "connection", "{body}");
    let deepinfra = status_of("deepinfra");
    assert_eq!(deepinfra["status"], "unreachable", "{body}");
    assert_eq!(deepinfra["error"], "timeout", "{body}");

    // Cached: the next report asks no provider and does not wait for the silent one.
    let started = Instant::now();
    let again: Value = app.ops_get("/health/detailed").await.json().await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(500));
    let without_age = |report: &Value| {
        let mut providers = report["providers"].clone();
        for provider in providers.as_array_mut().unwrap() {
            provider
                .as_object_mut()
                .unwrap()
                .remove("checked_seconds_ago");
        }
        providers
    };
    assert_eq!(without_age(&again), without_age(&body));
    let ids: Vec<&str> = body["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["offline", "deepinfra", "openai", "groq"],
        "in the registry's order"
    );
    drop(silent);
}

#[tokio::test]
async fn alert_rules_name_only_metrics_a_scrape_has() {
    let (app, _fake) = app_with_fake(|_| {}).await;
    let user = app.signed_up_user("alerts@example.com").await;
    stream(&app, &user.access_token, "openai-ok").await;
    stream(&app, &user.access_token, "openai-e500").await;
    let text = scrape(&app).await;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/prometheus/alerts.yml"
    );
    let rules: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).expect("valid YAML");
    let mut alerts = 0;
    for group in rules["groups"].as_sequence().expect("groups") {
        for rule in group["rules"].as_sequence().expect("rules") {
            let name = rule["alert"].as_str().expect("alert name");
            let expr = rule["expr"].as_str().expect("expr");
            for help in ["summary", "description", "runbook"] {
                assert!(
                    rule["annotations"][help]
                        .as_str()
                        .is_some_and(|t| t.len() > 20),
                    "{name}: annotation {help}"
                );
            }
            assert_scraped(&text, expr, name);
            alerts += 1;
        }
    }
    assert!(alerts >= 4);
    let dashboard = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/grafana/penora.json"
    );
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(dashboard).unwrap()).unwrap();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap_or_default();
            assert_scraped(&text, expr, panel["title"].as_str().unwrap_or_default());
        }
    }
}

/// Every `penora_` metric `expr` names (a histogram by its `_bucket`, `_count` or `_sum`) is
/// in the scrape `text`; `what` names the rule or panel.
fn assert_scraped(text: &str, expr: &str, what: &str) {
    for metric in penora_names(expr) {
        let family = ["_bucket", "_count", "_sum"]
            .iter()
            .find_map(|suffix| metric.strip_suffix(suffix))
            .unwrap_or(&metric);
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "{what} names {metric}, which no scrape has"
        );
    }
}

/// The `penora_*` names in a PromQL expression.
fn penora_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(at) = rest.find("penora_") {
        let before_ok = rest[..at]
            .chars()
            .last()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        if before_ok {
            names.push(tail[..end].to_owned());
        }
        rest = &tail[end..];
    }
    names
}
