//! A database that ends the server's connections (a PostgreSQL restart: "terminating
//! connection due to administrator command") answers the documented `503`, which a client
//! may retry, never `500 internal_error`.

use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, TransactionTrait};

use crate::helpers::{assert_problem, spawn_app};

/// PostgreSQL only (SQLite has no server to restart). The request is held on a table lock,
/// then its connection is terminated as a shutdown would.
#[tokio::test]
async fn a_connection_ended_by_a_database_restart_is_a_503() {
    let app = spawn_app().await;
    if !app.database_url.starts_with("postgres") {
        return;
    }
    let user = app.signed_up_user("restart@example.com").await;
    let locker = Database::connect(&app.database_url).await.unwrap();
    let lock = locker.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let request = tokio::spawn({
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/v1/me"),
            user.access_token.clone(),
        );
        async move { client.get(url).bearer_auth(token).send().await.unwrap() }
    });
    // Wait until the server's query waits on the lock, then end its connection.
    let admin = Database::connect(&app.database_url).await.unwrap();
    let waiting = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                   AND wait_event_type = 'Lock'";
    let mut terminated = false;
    for _ in 0..200 {
        let row = admin.query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            waiting,
        ));
        let count: i64 = row.await.unwrap().unwrap().try_get_by_index(0).unwrap();
        if count > 0 {
            admin
                .execute_unprepared(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = current_database() AND wait_event_type = 'Lock'",
                )
                .await
                .unwrap();
            terminated = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(terminated, "the request never waited on the lock");
    let response = request.await.unwrap();
    lock.rollback().await.unwrap();
    let retry_after = response.headers().get("retry-after").cloned();
    assert_problem(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
    )
    .await;
    assert_eq!(retry_after.unwrap(), "2");
    // The pool replaces the ended connection: the next request is answered.
    let me = app.get_authed("/api/v1/me", &user.access_token).await;
    assert_eq!(me.status(), StatusCode::OK);
}
