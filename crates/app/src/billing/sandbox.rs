//! The sandbox gateway's storage (its Razorpay-shaped objects and webhook outbox, in the
//! database so replicas share them and a restart loses none) and the delivery of its
//! webhooks, with retries.

use std::sync::Arc;

use chrono::Duration;
use penora_payments::{BookError, Delivery, SandboxBook, EVENT_ID_HEADER, SIGNATURE_HEADER};
use penora_store::billing::sandbox::{self, NewDelivery};
use penora_store::DatabaseConnection;

use super::BillingError;
use crate::AppState;

/// Attempts before a delivery is given up (it stays in the table with its last error).
const MAX_ATTEMPTS: i32 = 12;

/// [`SandboxBook`] over the database.
pub struct DbBook {
    db: DatabaseConnection,
}

impl DbBook {
    pub fn new(db: DatabaseConnection) -> Arc<Self> {
        Arc::new(Self { db })
    }
}

fn book_err(err: impl std::fmt::Display) -> BookError {
    BookError(err.to_string())
}

#[async_trait::async_trait]
impl SandboxBook for DbBook {
    async fn put(
        &self,
        kind: &str,
        id: &str,
        parent: Option<&str>,
        body: serde_json::Value,
    ) -> Result<(), BookError> {
        sandbox::put(&self.db, kind, id, parent, &body.to_string())
            .await
            .map_err(book_err)
    }

    async fn get(&self, kind: &str, id: &str) -> Result<Option<serde_json::Value>, BookError> {
        let Some(text) = sandbox::get(&self.db, kind, id).await.map_err(book_err)? else {
            return Ok(None);
        };
        serde_json::from_str(&text).map(Some).map_err(book_err)
    }

    async fn children(
        &self,
        kind: &str,
        parent: &str,
    ) -> Result<Vec<serde_json::Value>, BookError> {
        sandbox::children(&self.db, kind, parent)
            .await
            .map_err(book_err)?
            .iter()
            .map(|text| serde_json::from_str(text).map_err(book_err))
            .collect()
    }

    async fn enqueue(&self, delivery: Delivery) -> Result<(), BookError> {
        sandbox::enqueue(
            &self.db,
            &NewDelivery {
                event_id: &delivery.event_id,
                event: &delivery.event,
                body: &delivery.body,
                signature: &delivery.signature,
                deliver_after: delivery.deliver_after,
            },
        )
        .await
        .map_err(book_err)
    }
}

/// Posts the sandbox's due webhooks to `url`, like Razorpay: the raw body with its
/// signature and event id headers. A failed delivery is retried with back-off. The number
/// delivered.
pub async fn deliver_due(
    state: &AppState,
    client: &reqwest::Client,
    url: &str,
) -> Result<usize, BillingError> {
    let now = penora_store::now();
    let due = sandbox::due(&state.db, now, 50).await?;
    let mut delivered = 0;
    for row in due {
        // Long enough for the request to finish; a lost attempt is retried after it.
        if !sandbox::claim(&state.db, &row, now + Duration::seconds(30)).await? {
            continue;
        }
        let sent = client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, &row.signature)
            .header(EVENT_ID_HEADER, &row.event_id)
            .body(row.body.clone())
            .send()
            .await;
        let error = match sent {
            Ok(response) if response.status().is_success() => None,
            Ok(response) => Some(format!("answered {}", response.status())),
            Err(err) => Some(err.to_string()),
        };
        match error {
            None => {
                sandbox::delivered(&state.db, row.id).await?;
                delivered += 1;
            }
            Some(error) => {
                let attempts = row.attempts + 1;
                let wait = if attempts >= MAX_ATTEMPTS {
                    // Given up: kept, with its last error, far in the future.
                    Duration::days(36_500)
                } else {
                    Duration::seconds(2_i64.saturating_pow(attempts.unsigned_abs()).min(600))
                };
                tracing::warn!(event_id = %row.event_id, %error, attempts, "sandbox webhook not delivered");
                sandbox::failed(&state.db, row.id, &error, penora_store::now() + wait).await?;
            }
        }
    }
    Ok(delivered)
}
