//! The HTTP side shared by the upstream clients: one reqwest client, the timeouts, and
//! opening a streaming request with retries before the first byte.

use std::time::Duration;

use reqwest::{header::RETRY_AFTER, RequestBuilder, Response};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::{sleep, timeout_at, Instant};

use crate::error::{error_message, ProviderError, TimeoutPhase};
use crate::retry::RetryPolicy;

/// How long to wait at each stage of a streamed generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening the TCP/TLS connection.
    pub connect: Duration,
    /// From sending the request to the first stream event; models can think a while first.
    pub first_byte: Duration,
    /// Between two stream events once text is flowing.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            first_byte: Duration::from_secs(60),
            idle: Duration::from_secs(30),
        }
    }
}

/// Timeouts and retry policy for every upstream client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpSettings {
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
}

/// The reqwest client could not be built (e.g. the TLS backend failed to start).
#[derive(Debug, thiserror::Error)]
#[error("could not build the HTTP client: {0}")]
pub struct ClientBuildError(#[from] reqwest::Error);

/// A status and body the upstream answered instead of a stream, for a provider to classify.
pub(crate) struct ErrorReply {
    pub status: u16,
    pub retry_after: Option<u64>,
    /// The body with any API key removed.
    pub body: String,
}

impl ErrorReply {
    /// The mapping every provider shares; providers with quirks wrap it.
    pub(crate) fn into_error(self) -> ProviderError {
        let message = error_message(&self.body, self.status);
        ProviderError::from_status(self.status, self.retry_after, message)
    }
}

/// A response with a 2xx status, and when its first event must arrive.
pub(crate) struct Opened {
    pub response: Response,
    pub first_byte_deadline: Instant,
}

/// One connection pool and one set of settings, shared (cheaply cloned) by the clients.
#[derive(Debug, Clone)]
pub struct Transport {
    client: reqwest::Client,
    settings: HttpSettings,
}

/// The most of an error body we read: enough for any JSON error, not a whole HTML page.
const MAX_ERROR_BODY: usize = 16 * 1024;

impl Transport {
    pub fn new(settings: HttpSettings) -> Result<Self, ClientBuildError> {
        // No overall request timeout: a long generation is fine as long as events keep coming.
        let client = reqwest::Client::builder()
            .connect_timeout(settings.timeouts.connect)
            .build()?;
        Ok(Self { client, settings })
    }

    pub fn settings(&self) -> HttpSettings {
        self.settings
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends the request built by `build` until it gets a 2xx response, retrying transient
    /// failures per the policy. `classify` turns an error reply into the provider's error;
    /// `secret` is scrubbed from error bodies first.
    pub(crate) async fn open(
        &self,
        build: impl Fn() -> RequestBuilder,
        classify: fn(ErrorReply) -> ProviderError,
        secret: Option<&SecretString>,
    ) -> Result<Opened, ProviderError> {
        let mut retry = 0;
        loop {
            let error = match self.attempt(build(), classify, secret).await {
                Ok(opened) => return Ok(opened),
                Err(error) => error,
            };
            let Some(delay) = self.settings.retry.delay(retry, &error) else {
                return Err(error);
            };
            tracing::warn!(code = error.code(), %error, retry, ?delay, "retrying upstream request");
            sleep(delay).await;
            retry += 1;
        }
    }

    async fn attempt(
        &self,
        request: RequestBuilder,
        classify: fn(ErrorReply) -> ProviderError,
        secret: Option<&SecretString>,
    ) -> Result<Opened, ProviderError> {
        let deadline = Instant::now() + self.settings.timeouts.first_byte;
        let response = timeout_at(deadline, request.send())
            .await
            .map_err(|_| ProviderError::Timeout {
                phase: TimeoutPhase::FirstByte,
            })?
            .map_err(|error| ProviderError::from_transport(error, TimeoutPhase::FirstByte))?;
        if response.status().is_success() {
            return Ok(Opened {
                response,
                first_byte_deadline: deadline,
            });
        }
        let status = response.status().as_u16();
        let retry_after = retry_after_seconds(&response);
        let body = timeout_at(deadline, read_capped(response))
            .await
            .unwrap_or_default();
        let body = match secret {
            Some(secret) => scrub(&body, secret.expose_secret()),
            None => body,
        };
        Err(classify(ErrorReply {
            status,
            retry_after,
            body,
        }))
    }
}

/// Retry-After in seconds. The HTTP-date form is rare from APIs and treated as absent.
fn retry_after_seconds(response: &Response) -> Option<u64> {
    response
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

async fn read_capped(mut response: Response) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// Some upstreams echo (part of) the key in their "invalid key" message; never pass it on.
fn scrub(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_owned();
    }
    text.replace(secret, "[redacted]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_the_key() {
        assert_eq!(
            scrub("Incorrect API key provided: sk-123", "sk-123"),
            "Incorrect API key provided: [redacted]"
        );
        assert_eq!(scrub("nothing here", ""), "nothing here");
    }
}
