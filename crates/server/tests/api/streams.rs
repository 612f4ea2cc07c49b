//! Reading server-sent events from a response, and checking that generations settled.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{content_type, TestApp};

/// Reads `event:`/`data:` frames from a streaming response as they arrive.
pub struct EventReader {
    response: Response,
    buffer: String,
}

impl EventReader {
    pub fn new(response: Response) -> Self {
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = content_type(&response);
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (name, data), or `None` at the end of the body.
    pub async fn next(&mut self) -> Option<(String, Value)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let mut name = "message".to_owned();
                let mut data = String::new();
                for line in frame.lines() {
                    if let Some(value) = line.strip_prefix("event: ") {
                        name = value.to_owned();
                    } else if let Some(value) = line.strip_prefix("data: ") {
                        data.push_str(value);
                    }
                }
                let data = serde_json::from_str(&data).unwrap_or(Value::String(data));
                return Some((name, data));
            }
            let chunk = self.response.chunk().await.expect("body chunk")?;
            self.buffer
                .push_str(std::str::from_utf8(&chunk).expect("utf-8"));
        }
    }

    /// Every remaining event.
    pub async fn all(mut self) -> Vec<(String, Value)> {
        let mut events = Vec::new();
        while let Some(event) = self.next().await {
            events.push(event);
        }
        events
    }
}

/// The text of the `delta` events, concatenated.
pub fn text_of(events: &[(String, Value)]) -> String {
    events
        .iter()
        .filter(|(name, _)| name == "delta")
        .map(|(_, data)| data["text"].as_str().unwrap_or_default())
        .collect()
}

impl TestApp {
    /// GET with a bearer token; the JSON body.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        self.get_authed(path, token)
            .await
            .json()
            .await
            .expect("json")
    }

    /// POST with a bearer token; the JSON body.
    pub async fn post_authed_json(&self, path: &str, token: &str, body: &Value) -> Value {
        self.post_authed(path, token, body)
            .await
            .json()
            .await
            .expect("json")
    }

    /// POST /api/v1/generations asking for a stream.
    pub async fn stream_generation(&self, token: &str, body: &Value) -> Response {
        self.stream_post("/api/v1/generations", token, body).await
    }

    /// POST asking for `text/event-stream`.
    pub async fn stream_post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .header("accept", "text/event-stream")
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Waits until the generation is no longer running; returns it.
    pub async fn settled_generation(&self, token: &str, id: &str) -> Value {
        for _ in 0..500 {
            let response = self
                .get_authed(&format!("/api/v1/generations/{id}"), token)
                .await;
            let body: Value = response.json().await.expect("json");
            if body["status"] != "running" {
                return body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("generation {id} never settled");
    }

    /// Everything a finished generation must leave: no open hold, no running generation,
    /// no slot taken, and the ledger adding up.
    pub async fn assert_generations_settled(&self) {
        assert_eq!(
            self.count("SELECT COUNT(*) FROM generations WHERE status = 'running'")
                .await,
            0,
            "running generations"
        );
        assert_eq!(
            self.count("SELECT COUNT(*) FROM holds WHERE state = 'open'")
                .await,
            0,
            "open holds"
        );
        assert_eq!(
            self.count("SELECT COALESCE(SUM(active_generations), 0) FROM users")
                .await,
            0,
            "generation slots"
        );
        // Each settled generation's cost is exactly its ledger entry.
        use sea_orm::EntityTrait;
        let generations = penora_store::entities::generation::Entity::find()
            .all(&self.db)
            .await
            .expect("generations");
        for generation in generations {
            let charged = match generation.hold_id {
                Some(hold) => {
                    penora_store::ledger::find_by_reference(&self.db, &format!("hold:{hold}"))
                        .await
                        .expect("ledger")
                        .map_or(0, |e| -e.amount_mc)
                }
                // Free generations (own key, no fee) reserve nothing.
                None => 0,
            };
            assert_eq!(generation.cost_mc, charged, "cost of {}", generation.id);
            assert!(generation.cost_mc <= generation.max_cost_mc);
        }
        self.assert_ledger_consistent().await;
    }
}

impl TestApp {
    /// Opens a generation as the server does, without streaming it: as if the process died
    /// right after.
    pub async fn open_unstreamed(
        &self,
        email: &str,
        model: Option<&str>,
    ) -> Box<penora_app::generations::Started> {
        use penora_app::generations::{self, Job, Opened};
        let model = generations::choose_model(&self.state, penora_domain::UserId::new(), model)
            .await
            .unwrap();
        let request =
            penora_domain::ToolRequest::parse(&penora_domain::generation::RawToolRequest {
                tool: "write",
                instructions: "a long walk",
                words: Some(400),
                ..Default::default()
            })
            .unwrap();
        let job = Job::for_tool(&self.state.prompts, &request, model);
        let email = penora_domain::Email::parse(email).unwrap();
        let user = penora_store::users::find_by_email(&self.db, &email)
            .await
            .unwrap()
            .unwrap();
        let account = generations::Account {
            user: penora_domain::UserId::from_uuid(user.id),
            session_epoch: None,
            key: None,
        };
        match generations::start(&self.state, account, job).await.unwrap() {
            Opened::New(started) => started,
            Opened::Replay(_) => panic!("not new"),
        }
    }
}

pub fn continue_body(input: &str) -> Value {
    json!({ "tool": "continue", "input": input, "length": "short" })
}
