//! A streaming generation stays alive exactly as long as its task does: a client that stops
//! reading cannot get the rest for free, a generation closed by someone else stops, and one
//! whose progress cannot be saved stops with an error.

use std::net::SocketAddr;
use std::time::Duration;

use penora_app::config::Settings;
use penora_fake_upstream::{FakeUpstream, Reply, Wire};
use penora_store::entities::{generation, hold};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use socket2::{Domain, Socket, Type};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;

use crate::helpers::{assert_problem, spawn_app_on, spawn_app_with, TestApp};
use crate::streams::{text_of, EventReader};

/// Short enough for a test, long enough for a save to come round several times.
fn short_liveness(s: &mut Settings) {
    s.generation_save_interval_ms = 50;
    s.generation_hold_grace_ms = 400;
}

/// A listener whose accepted connections have a small send buffer, so a client that stops
/// reading stalls the server after a few kB instead of several MB.
fn small_send_buffer_listener() -> std::net::TcpListener {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.set_send_buffer_size(4096).unwrap();
    socket.set_reuse_address(true).unwrap();
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&addr.into()).unwrap();
    socket.listen(128).unwrap();
    socket.into()
}

/// A client written by hand: a small receive buffer, and it reads only when told to.
struct RawStream {
    stream: TcpStream,
}

impl RawStream {
    async fn open(app: &TestApp, token: &str, body: &Value) -> Self {
        let addr: SocketAddr = app.address.trim_start_matches("http://").parse().unwrap();
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        // Before connecting, so the window offered is small from the start.
        socket.set_recv_buffer_size(4096).unwrap();
        socket.connect(&addr.into()).unwrap();
        socket.set_nonblocking(true).unwrap();
        let mut stream = TcpStream::from_std(socket.into()).unwrap();
        let body = body.to_string();
        let request = format!(
            "POST /api/v1/generations HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
             Accept: text/event-stream\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        Self { stream }
    }

    /// Reads the whole response; its server-sent events.
    async fn events(mut self) -> Vec<(String, Value)> {
        let mut raw = Vec::new();
        tokio::time::timeout(Duration::from_secs(60), self.stream.read_to_end(&mut raw))
            .await
            .expect("the stream ends")
            .unwrap();
        let text = String::from_utf8(raw).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").expect("headers");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_owned()
        };
        body.split("\n\n")
            .filter(|frame| !frame.trim().is_empty())
            .map(|frame| {
                let mut name = "message".to_owned();
                let mut data = String::new();
                for line in frame.lines() {
                    if let Some(value) = line.strip_prefix("event: ") {
                        name = value.to_owned();
                    } else if let Some(value) = line.strip_prefix("data: ") {
                        data.push_str(value);
                    }
                }
                (
                    name,
                    serde_json::from_str(&data).unwrap_or(Value::String(data)),
                )
            })
            .collect()
    }
}

/// The body of a `Transfer-Encoding: chunked` response.
fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n").expect("chunk size");
        let size = usize::from_str_radix(size.trim(), 16).expect("hex chunk size");
        if size == 0 {
            return body;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
}

async fn generation(app: &TestApp, token: &str, id: &str) -> Value {
    app.get_json(&format!("/api/v1/generations/{id}"), token)
        .await
}

/// A model that writes `LONG_WORDS` one-word deltas: about 160 kB of events, far more than
/// every buffer between the server and a stalled client holds.
const LONG_WORDS: usize = 4_000;

/// The app with one model, `long`, served by a fake answering `reply`.
async fn app_with_model(
    reply: Reply,
    tweak: impl FnOnce(&mut Settings),
    listener: Option<std::net::TcpListener>,
) -> (TestApp, FakeUpstream) {
    let fake = FakeUpstream::start(vec![reply]).await;
    let base = fake.base_url.clone();
    let app = spawn_app_on(
        move |s| {
            let models = s.data_dir.join("models.toml");
            std::fs::write(
                &models,
                "default_model = \"long\"\n\n[[models]]\nid = \"long\"\ndisplay_name = \"Long\"\n\
                 provider = \"deepinfra\"\nupstream = \"long\"\nmultiplier_per_mille = 1000\n\
                 context_tokens = 8192\nmax_output_words = 4000\n",
            )
            .unwrap();
            s.models_file = Some(models);
            s.providers
                .insert("DEEPINFRA_API_KEY".to_owned(), "fake-key".to_owned());
            s.providers
                .insert("DEEPINFRA_BASE_URL".to_owned(), format!("{base}/v1"));
            tweak(s);
        },
        listener,
    )
    .await;
    (app, fake)
}

#[tokio::test]
async fn a_client_that_stops_reading_pays_for_all_it_gets_and_keeps_its_slots_taken() {
    let deltas = vec!["word "; LONG_WORDS];
    let (app, _fake) = app_with_model(
        Reply::events(Wire::OpenAi.stream(&deltas)),
        |s| {
            short_liveness(s);
            // Saves every 50 ms; a grace of 1 s (not 400 ms) so that a loaded machine
            // delaying one save does not look like a dead server. The stall below still
            // outlasts it twice over.
            s.generation_hold_grace_ms = 1_000;
            s.sweep_interval_ms = 50;
            s.generations_per_user = 3;
            s.welcome_bonus_mc = 200_000;
        },
        Some(small_send_buffer_listener()),
    )
    .await;
    let user = app.signed_up_user("stalled@example.com").await;
    let body = json!({ "tool": "write", "instructions": "a very long walk", "words": LONG_WORDS });
    let mut stalled = Vec::new();
    for _ in 0..3 {
        stalled.push(RawStream::open(&app, &user.access_token, &body).await);
    }
    // Nobody reads: every buffer on the way fills, and the sweeper runs many times over.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let fourth = app
        .post_authed(
            "/api/v1/generations",
            &user.access_token,
            &json!({ "tool": "write", "instructions": "x", "words": 5 }),
        )
        .await;
    assert_problem(
        fourth,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_generations",
    )
    .await;

    for client in stalled {
        let events = client.events().await;
        let (name, end) = events.last().expect("events");
        assert_eq!(name, "done", "{end}");
        assert_eq!(end["status"], "completed", "{end}");
        let id = end["generation_id"].as_str().unwrap();
        let stored = generation(&app, &user.access_token, id).await;
        // Everything delivered is what was recorded and charged.
        let delivered = text_of(&events);
        assert_eq!(stored["output"].as_str().unwrap(), delivered);
        assert_eq!(stored["words"], end["words"]);
        assert_eq!(stored["cost_mc"], end["cost_mc"]);
        assert_eq!(end["words"], LONG_WORDS, "{end}");
    }
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn a_generation_closed_by_someone_else_stops_streaming_at_once() {
    let app = spawn_app_with(|s| {
        short_liveness(s);
        s.offline_pace_ms = 20;
    })
    .await;
    let user = app.signed_up_user("swept@example.com").await;
    let body = json!({ "tool": "write", "instructions": "a long walk", "words": 400 });
    let mut reader = EventReader::new(app.stream_generation(&user.access_token, &body).await);
    let (_, meta) = reader.next().await.unwrap();
    let id = meta["generation_id"].as_str().unwrap().to_owned();
    while let Some((name, _)) = reader.next().await {
        if name == "delta" {
            break;
        }
    }
    // As another replica's sweeper would after a long silence: its hold expired, settled.
    let row = generation::Entity::find_by_id(Uuid::parse_str(&id).unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    hold::Entity::update_many()
        .col_expr(
            hold::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .filter(hold::Column::Id.eq(row.hold_id.unwrap()))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(penora_app::holds::sweep(&app.state).await.unwrap(), 1);
    let swept = generation(&app, &user.access_token, &id).await;
    assert_eq!(swept["status"], "interrupted");

    // The task finds out at its next save and stops: no free text after that.
    let rest = tokio::time::timeout(Duration::from_secs(2), async {
        let mut rest = Vec::new();
        while let Some(event) = reader.next().await {
            rest.push(event);
        }
        rest
    })
    .await
    .expect("the stream stops soon after its generation was closed");
    let after: usize = text_of(&rest).split_whitespace().count();
    assert!(after < 20, "{after} words streamed after the close");
    let (_, end) = rest.last().unwrap();
    assert_eq!(end["status"], "interrupted", "{end}");
    assert_eq!(end["cost_mc"], swept["cost_mc"]);
    app.assert_generations_settled().await;
}

/// Makes every progress save of a running generation fail, as a database refusing writes
/// would; closing a generation (a change of status) still works.
async fn refuse_progress_saves(app: &TestApp) {
    let statements: &[&str] = if app.database_url.starts_with("sqlite") {
        &[
            "CREATE TRIGGER refuse_progress BEFORE UPDATE ON generations \
           WHEN NEW.status = 'running' BEGIN SELECT RAISE(ABORT, 'progress refused'); END",
        ]
    } else {
        &[
            "CREATE FUNCTION refuse_progress() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'progress refused'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_progress BEFORE UPDATE ON generations FOR EACH ROW \
             WHEN (NEW.status = 'running') EXECUTE FUNCTION refuse_progress()",
        ]
    };
    for statement in statements {
        app.db.execute_unprepared(statement).await.unwrap();
    }
}

#[tokio::test]
async fn a_generation_whose_progress_cannot_be_saved_stops_with_an_error_after_the_grace() {
    let app = spawn_app_with(|s| {
        short_liveness(s);
        s.offline_pace_ms = 20;
    })
    .await;
    let user = app.signed_up_user("unsaved@example.com").await;
    let body = json!({ "tool": "write", "instructions": "a long walk", "words": 400 });
    let mut reader = EventReader::new(app.stream_generation(&user.access_token, &body).await);
    let (_, meta) = reader.next().await.unwrap();
    let id = meta["generation_id"].as_str().unwrap().to_owned();
    refuse_progress_saves(&app).await;

    let events = tokio::time::timeout(Duration::from_secs(4), async {
        let mut events = Vec::new();
        while let Some(event) = reader.next().await {
            events.push(event);
        }
        events
    })
    .await
    .expect("the stream stops after the grace period");
    let (name, end) = events.last().unwrap();
    assert_eq!(name, "error", "{end}");
    assert_eq!(end["error"]["code"], "progress_not_saved", "{end}");
    assert_eq!(end["status"], "interrupted");
    // Stopped after about the grace period (400 ms at 20 ms a word), long before 400 words.
    let words = end["words"].as_i64().unwrap();
    assert!(words < 200, "{words} words");
    // What was delivered is billed.
    let stored = generation(&app, &user.access_token, &id).await;
    assert_eq!(stored["output"].as_str().unwrap(), text_of(&events));
    assert_eq!(stored["cost_mc"], end["cost_mc"]);
    assert!(end["cost_mc"].as_i64().unwrap() > 0);
    app.assert_generations_settled().await;
}

#[tokio::test]
async fn a_generation_waiting_for_the_providers_first_byte_keeps_its_hold() {
    // The model thinks for several grace periods before it answers at all.
    let reply = Reply::Delayed(
        Duration::from_millis(1_500),
        Box::new(Reply::events(
            Wire::OpenAi.stream(&["The tide ", "came in."]),
        )),
    );
    let (app, _fake) = app_with_model(
        reply,
        |s| {
            short_liveness(s);
            s.sweep_interval_ms = 50;
        },
        None,
    )
    .await;
    let user = app.signed_up_user("patient@example.com").await;
    let body = json!({ "tool": "write", "instructions": "the tide", "words": 50 });
    let events = EventReader::new(app.stream_generation(&user.access_token, &body).await)
        .all()
        .await;
    let (name, end) = events.last().unwrap();
    assert_eq!(name, "done", "{end}");
    assert_eq!(end["status"], "completed", "{end}");
    assert_eq!(text_of(&events), "The tide came in.");
    assert_eq!(end["words"], 4);
    app.assert_generations_settled().await;
}

/// The sweeper reads expired holds before it settles each: a save that renews the hold in
/// between (the stream is alive after all) makes the sweeper leave it, not close it on the
/// amount it read earlier.
#[tokio::test]
async fn the_sweeper_leaves_a_hold_renewed_since_it_was_read() {
    let app = spawn_app_with(|s| s.offline_pace_ms = 20).await;
    let user = app.signed_up_user("renewed@example.com").await;
    let body = json!({ "tool": "write", "instructions": "a long walk", "words": 400 });
    let mut reader = EventReader::new(app.stream_generation(&user.access_token, &body).await);
    let (_, meta) = reader.next().await.unwrap();
    let id = Uuid::parse_str(meta["generation_id"].as_str().unwrap()).unwrap();
    let row = generation::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let hold_id = row.hold_id.unwrap();
    hold::Entity::update_many()
        .col_expr(
            hold::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .filter(hold::Column::Id.eq(hold_id))
        .exec(&app.db)
        .await
        .unwrap();
    let stale = penora_store::holds::expired(&app.db, 100).await.unwrap();
    assert_eq!(stale.len(), 1);

    // The stream's save lands now: more delivered, expiry moved on.
    let renewed = penora_store::holds::record_delivery(
        &app.db,
        hold_id,
        penora_domain::Millicredits::new(stale[0].delivered_mc + 30),
        Some(chrono::Utc::now() + chrono::Duration::minutes(2)),
    )
    .await
    .unwrap();
    assert!(renewed);
    let swept = penora_app::holds::sweep_hold(&app.state, &stale[0])
        .await
        .unwrap();
    assert!(!swept, "a renewed hold is not the sweeper's");
    let still = generation::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.status, penora_domain::GenerationStatus::Running);
    while reader.next().await.is_some() {}
    app.assert_ledger_consistent().await;
}
