//! One chaos client: a streaming generation through nginx that reads to the end, cancels
//! or walks away, counting the billable words it received (the domain's own counting), and
//! retrying with the same Idempotency-Key when its answer was cut or refused for a while.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// What the client does with its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    ReadAll,
    Cancel,
    Disconnect,
}

/// One attempt at a start: its answer and what came of it.
#[derive(Debug, Clone, Default)]
pub struct Attempt {
    pub status: u16,
    /// The problem's `code` for a JSON refusal; "html" for a proxy's own page.
    pub code: String,
    pub replayed: bool,
    pub id: Option<String>,
    pub text: String,
    /// The last event: `done` or `error`, or none when the stream was cut or left.
    pub end: Option<String>,
    /// The connection broke mid-body (a killed replica behind nginx).
    pub cut: bool,
    pub at: Duration,
}

#[derive(Debug, Clone)]
pub struct Record {
    pub token: String,
    pub plan: Plan,
    pub attempts: Vec<Attempt>,
    pub cancel_status: Option<u16>,
}

pub const MODELS: [&str; 10] = [
    "offline-demo",
    "offline-demo",
    "offline-demo",
    "offline-demo",
    "fake-slow",
    "fake-slow",
    "fake-stall",
    "fake-reset",
    "fake-noend",
    "fake-e503",
];

/// A small deterministic mix of `i`: the run is the same every time.
pub fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub async fn run_one(
    client: reqwest::Client,
    base: String,
    token: String,
    index: usize,
    epoch: Instant,
) -> Record {
    let model = MODELS[index % MODELS.len()];
    let plan = match (index / MODELS.len()) % 4 {
        1 => Plan::Cancel,
        2 => Plan::Disconnect,
        _ => Plan::ReadAll,
    };
    let r = mix(index as u64);
    let mut record = Record {
        token,
        plan,
        attempts: Vec::new(),
        cancel_status: None,
    };
    let body = json!({ "tool": "write", "instructions": "the tide over stones", "words": 100, "model": model });
    let key = format!("chaos-{index}");
    let leave_after = Duration::from_millis(150 + r % 700);
    for try_number in 0..4 {
        let (mut attempt, response) =
            start(&client, &base, &record.token, &key, &body, epoch).await;
        if let Some(response) = response {
            let action = if try_number == 0 { plan } else { Plan::ReadAll };
            let cancel = (&client, base.as_str(), record.token.as_str());
            record.cancel_status =
                record
                    .cancel_status
                    .or(read(&mut attempt, response, action, leave_after, cancel).await);
        }
        let retry = attempt.cut || matches!(attempt.status, 502 | 503);
        record.attempts.push(attempt);
        if !retry {
            break;
        }
        // After the fault: nginx sends the retry to a live replica.
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    record
}

/// Sends the start: the attempt so far, and the response still to read when it is a stream.
async fn start(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    key: &str,
    body: &Value,
    epoch: Instant,
) -> (Attempt, Option<reqwest::Response>) {
    let mut attempt = Attempt {
        at: epoch.elapsed(),
        ..Attempt::default()
    };
    let sent = client
        .post(format!("{base}/api/v1/generations"))
        .bearer_auth(token)
        .header("accept", "text/event-stream")
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await;
    let Ok(response) = sent else {
        attempt.cut = true;
        return (attempt, None);
    };
    attempt.status = response.status().as_u16();
    attempt.replayed = response.headers().contains_key("idempotent-replayed");
    let is_stream = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    if is_stream {
        return (attempt, Some(response));
    }
    let text = response.text().await.unwrap_or_default();
    match serde_json::from_str::<Value>(&text) {
        Ok(json) => {
            attempt.code = json["code"].as_str().unwrap_or_default().to_owned();
            attempt.id = json["generation"]["id"].as_str().map(str::to_owned);
        }
        Err(_) => attempt.code = "html".to_owned(),
    }
    (attempt, None)
}

/// Reads the stream as `plan` says into `attempt`; the cancel's status when it cancelled.
async fn read(
    attempt: &mut Attempt,
    response: reqwest::Response,
    plan: Plan,
    leave_after: Duration,
    (client, base, token): (&reqwest::Client, &str, &str),
) -> Option<u16> {
    let began = Instant::now();
    let mut response = response;
    let mut buffer = String::new();
    let mut cancel_status = None;
    let mut cancelled = false;
    loop {
        let wait = match plan {
            Plan::ReadAll => Duration::from_secs(60),
            _ if cancelled => Duration::from_secs(60),
            _ => leave_after.saturating_sub(began.elapsed()),
        };
        let chunk = match tokio::time::timeout(wait, response.chunk()).await {
            Ok(Ok(Some(chunk))) => chunk,
            Ok(Err(_)) => {
                attempt.cut = true;
                return cancel_status;
            }
            Ok(Ok(None)) => {
                attempt.cut = attempt.end.is_none();
                return cancel_status;
            }
            Err(_) if plan == Plan::Disconnect => return cancel_status,
            Err(_) if plan == Plan::Cancel && !cancelled => {
                cancelled = true;
                if let Some(id) = &attempt.id {
                    let url = format!("{base}/api/v1/generations/{id}/cancel");
                    let sent = client.post(url).bearer_auth(token).json(&json!({})).send();
                    cancel_status = sent.await.ok().map(|r| r.status().as_u16());
                }
                continue;
            }
            Err(_) => {
                attempt.cut = true;
                return cancel_status;
            }
        };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(at) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..at + 2).collect();
            take_frame(attempt, &frame);
        }
        if attempt.end.is_some() {
            return cancel_status;
        }
    }
}

fn take_frame(attempt: &mut Attempt, frame: &str) {
    let mut event = "message";
    let mut data = String::new();
    for line in frame.lines() {
        if let Some(name) = line.strip_prefix("event: ") {
            event = name;
        } else if let Some(text) = line.strip_prefix("data: ") {
            data.push_str(text);
        }
    }
    let Ok(value) = serde_json::from_str::<Value>(&data) else {
        return;
    };
    match event {
        "meta" => attempt.id = value["generation_id"].as_str().map(str::to_owned),
        "delta" => attempt
            .text
            .push_str(value["text"].as_str().unwrap_or_default()),
        "done" | "error" => attempt.end = Some(event.to_owned()),
        _ => {}
    }
}
