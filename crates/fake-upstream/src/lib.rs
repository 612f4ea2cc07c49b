//! A tiny HTTP/1.1 server on 127.0.0.1:0 playing an AI provider. It is hand-rolled on a
//! TcpListener so a test can make it stall, cut the connection or reset it mid-body, which
//! a real HTTP framework would not let us do.
//!
//! Test support only (the AI clients' tests, the server's tests, the proxy benchmark, and
//! the `penora-fake-upstream` binary the browser tests run): a fake that misbehaves by
//! accident should fail loudly, hence the unwraps.
//!
//! A key check (a GET of a model list) is answered by the fake itself: see [`key_check`].
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod scenario;
pub mod wire;

pub use wire::Wire;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the fake does with one connection.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete non-streaming response, e.g. an error.
    Status {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// `200 OK` with a chunked `text/event-stream` body played step by step. The body is
    /// terminated properly after the last step unless that step resets or stalls.
    Stream(Vec<Step>),
    /// Reads the request and never answers.
    Hang,
    /// Answers with the inner reply after a pause (a model thinking before its first byte).
    Delayed(Duration, Box<Reply>),
}

#[derive(Debug, Clone)]
pub enum Step {
    /// One body chunk (usually one whole SSE event).
    Send(String),
    Pause(Duration),
    /// Close with a TCP reset.
    Reset,
    /// Stop sending but keep the connection open until the client goes away.
    Stall,
}

impl Reply {
    pub fn status(status: u16, body: impl Into<String>) -> Self {
        Self::Status {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub fn with_header(self, name: &'static str, value: impl Into<String>) -> Self {
        match self {
            Self::Status {
                status,
                mut headers,
                body,
            } => {
                headers.push((name, value.into()));
                Self::Status {
                    status,
                    headers,
                    body,
                }
            }
            other => other,
        }
    }

    pub fn events(events: Vec<String>) -> Self {
        Self::Stream(events.into_iter().map(Step::Send).collect())
    }

    pub fn events_then(events: Vec<String>, last: Vec<Step>) -> Self {
        let mut steps: Vec<Step> = events.into_iter().map(Step::Send).collect();
        steps.extend(last);
        Self::Stream(steps)
    }
}

/// A request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Header names lower-cased.
    pub headers: HashMap<String, String>,
    pub body: serde_json::Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

pub struct FakeUpstream {
    pub base_url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    client_closed: Arc<AtomicUsize>,
}

impl FakeUpstream {
    /// Serves `replies[n]` to the n-th request, the last one to every later request.
    pub async fn start(replies: Vec<Reply>) -> Self {
        Self::routed(move |n, _| replies[n.min(replies.len() - 1)].clone()).await
    }

    /// Answers each request with `route(n, request)`, n counting requests from 0; e.g.
    /// choosing a fault by the model the request names. Connections are kept alive after a
    /// complete answer, as real providers do.
    pub async fn routed(route: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static) -> Self {
        Self::serving(route, true).await
    }

    /// Like `routed`, without keeping the requests (benchmarks send hundreds of thousands).
    pub async fn quiet(route: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static) -> Self {
        Self::serving(route, false).await
    }

    async fn serving(
        route: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static,
        record: bool,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let client_closed = Arc::new(AtomicUsize::new(0));
        let (recorded, closed) = (requests.clone(), client_closed.clone());
        let route = Arc::new(route);
        let served = Arc::new(AtomicUsize::new(0));
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                // Without this, Nagle's algorithm holds small chunks back on a reused
                // connection until the client's delayed ACK, and a reset then drops them.
                let _ = socket.set_nodelay(true);
                let route = route.clone();
                let served = served.clone();
                let (recorded, closed) = (recorded.clone(), closed.clone());
                tokio::spawn(async move {
                    let pick =
                        |request: &Recorded| route(served.fetch_add(1, Ordering::SeqCst), request);
                    serve(socket, record, pick, recorded, closed).await;
                });
            }
        });
        Self {
            base_url,
            requests,
            client_closed,
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// How many stalled or unanswered connections the client has closed.
    pub fn clients_closed(&self) -> usize {
        self.client_closed.load(Ordering::SeqCst)
    }

    /// Whether the client closed a stalled connection within `within`.
    pub async fn client_closed_within(&self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if self.client_closed.load(Ordering::SeqCst) > 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }
}

async fn serve(
    mut socket: TcpStream,
    record: bool,
    route: impl Fn(&Recorded) -> Reply,
    requests: Arc<Mutex<Vec<Recorded>>>,
    client_closed: Arc<AtomicUsize>,
) {
    // One request after another on the same connection, until a reply ends it.
    while let Some(request) = read_request(&mut socket).await {
        let mut reply = match key_check(&request) {
            Some(reply) => reply,
            None => {
                let reply = route(&request);
                if record {
                    requests.lock().unwrap().push(request);
                }
                reply
            }
        };
        let keep_alive = loop {
            match reply {
                Reply::Delayed(pause, inner) => {
                    tokio::time::sleep(pause).await;
                    reply = *inner;
                }
                Reply::Status {
                    status,
                    headers,
                    body,
                } => {
                    let mut head = format!(
                        "HTTP/1.1 {status} Fake\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
                        body.len()
                    );
                    for (name, value) in headers {
                        head.push_str(&format!("{name}: {value}\r\n"));
                    }
                    head.push_str("\r\n");
                    break socket.write_all(head.as_bytes()).await.is_ok()
                        && socket.write_all(body.as_bytes()).await.is_ok();
                }
                Reply::Hang => {
                    wait_for_close(&mut socket, &client_closed).await;
                    break false;
                }
                Reply::Stream(steps) => break play(&mut socket, steps, &client_closed).await,
            }
        };
        if !keep_alive {
            return;
        }
    }
}

/// The key used to check it: a key containing this is refused (401); any other is taken.
pub const REFUSED_KEY_MARK: &str = "refused";

/// The answer to a key check (a GET of the model list, or of OpenRouter's `/key`), which
/// the fake gives itself: not routed, counted or recorded, so a test's routes see only
/// generations.
fn key_check(request: &Recorded) -> Option<Reply> {
    let path = request.target.split('?').next().unwrap_or_default();
    if request.method != "GET" || !(path.ends_with("/models") || path.ends_with("/key")) {
        return None;
    }
    let key = ["authorization", "x-api-key", "x-goog-api-key"]
        .iter()
        .find_map(|name| request.header(name))
        .unwrap_or_default();
    Some(if key.contains(REFUSED_KEY_MARK) {
        Reply::status(401, Wire::OpenAi.error_body("Incorrect API key provided."))
    } else {
        Reply::status(200, r#"{"object":"list","data":[]}"#)
    })
}

/// Plays a streamed reply; true when it ended properly and the connection can be reused.
async fn play(socket: &mut TcpStream, steps: Vec<Step>, client_closed: &AtomicUsize) -> bool {
    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
    if socket.write_all(head.as_bytes()).await.is_err() {
        return false;
    }
    for step in steps {
        match step {
            Step::Send(data) => {
                let chunk = format!("{:x}\r\n{data}\r\n", data.len());
                if socket.write_all(chunk.as_bytes()).await.is_err() {
                    return false;
                }
                let _ = socket.flush().await;
            }
            Step::Pause(duration) => tokio::time::sleep(duration).await,
            Step::Reset => {
                // Let the client read what was sent first: a reset discards data still
                // unread in its receive buffer.
                let _ = socket.flush().await;
                tokio::time::sleep(Duration::from_millis(30)).await;
                socket.set_zero_linger().unwrap();
                return false;
            }
            Step::Stall => {
                wait_for_close(socket, client_closed).await;
                return false;
            }
        }
    }
    socket.write_all(b"0\r\n\r\n").await.is_ok()
}

/// Reads until the client closes (or 10 s pass), then notes that it did.
async fn wait_for_close(socket: &mut TcpStream, client_closed: &AtomicUsize) {
    let mut buffer = [0u8; 1024];
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match socket.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    if closed.is_ok() {
        client_closed.fetch_add(1, Ordering::SeqCst);
    }
}

async fn read_request(socket: &mut TcpStream) -> Option<Recorded> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            break end;
        }
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[header_end + 4..].to_vec();
    while body.len() < length {
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some(Recorded {
        method,
        target,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
