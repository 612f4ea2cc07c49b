//! Checks every test shares: the problem+json shape, row counts, the ledger invariants.

use reqwest::{Response, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::Value;

use super::TestApp;

/// The response's `Content-Type` (empty when it has none).
pub fn content_type(response: &Response) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Asserts a problem+json response with the given status and code; returns the body.
pub async fn assert_problem(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    let content_type = content_type(&response);
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type {content_type}"
    );
    assert!(response.headers().contains_key("x-request-id"));
    let body: Value = response.json().await.expect("problem json");
    assert_eq!(body["code"], code, "body {body}");
    assert_eq!(body["status"], status.as_u16());
    assert_eq!(body["type"], format!("urn:penora:problem:{code}"));
    assert!(body["request_id"].is_string(), "request id in body {body}");
    body
}

impl TestApp {
    pub async fn count(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .expect("query")
            .expect("row");
        row.try_get_by_index::<i64>(0).expect("count")
    }

    /// Checks the ledger invariants for every user: balance = sum of entries, reserved =
    /// open holds, nothing negative.
    pub async fn assert_ledger_consistent(&self) {
        use sea_orm::EntityTrait;
        let users = penora_store::entities::user::Entity::find()
            .all(&self.db)
            .await
            .expect("users");
        for user in users {
            let id = penora_domain::UserId::from_uuid(user.id);
            let sum = penora_store::ledger::sum_for_user(&self.db, id)
                .await
                .expect("sum");
            let held = penora_store::holds::open_total(&self.db, id)
                .await
                .expect("holds");
            assert_eq!(
                user.balance_mc, sum,
                "balance = sum of ledger entries for {}",
                user.email
            );
            assert_eq!(
                user.reserved_mc, held,
                "reserved = open holds for {}",
                user.email
            );
            assert!(
                user.balance_mc >= 0
                    && user.reserved_mc >= 0
                    && user.reserved_mc <= user.balance_mc
            );
        }
    }
}
