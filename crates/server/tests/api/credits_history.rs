//! The credit history and usage: pages newest first, filters, usage by day or model, bad
//! parameters.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_problem, spawn_app, Session, TestApp};

/// An app and a user with five app debits of 100 to 104 mc (and the welcome entry).
async fn five_debits() -> (TestApp, Session) {
    let app = spawn_app().await;
    let session = app.signed_up_user("history@example.com").await;
    let user = app.user_id(&session).await;
    let key = app.app_key(&["credits:write"]).await;
    for i in 0..5 {
        let r = app.debit(&key, &user, &format!("h-{i}"), 100 + i).await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    (app, session)
}

async fn get(app: &TestApp, session: &Session, path: &str) -> Value {
    app.get_authed(path, &session.access_token)
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn history_pages_newest_first() {
    let (app, session) = five_debits().await;
    let first = get(&app, &session, "/api/v1/credits/transactions?limit=4").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 4);
    assert_eq!(first["items"][0]["amount_mc"], -104, "newest first");
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = get(
        &app,
        &session,
        &format!("/api/v1/credits/transactions?limit=4&cursor={cursor}"),
    )
    .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 2);
    assert_eq!(second["items"][1]["kind"], "welcome");
    assert!(second["next_cursor"].is_null());
}

#[tokio::test]
async fn history_filters_by_kind() {
    let (app, session) = five_debits().await;
    let debits = get(
        &app,
        &session,
        "/api/v1/credits/transactions?kind=app_debit",
    )
    .await;
    assert_eq!(debits["items"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn history_refuses_bad_parameters() {
    let (app, session) = five_debits().await;
    for bad in [
        "kind=gift",
        "limit=0",
        "limit=101",
        "cursor=nonsense",
        "from=yesterday",
    ] {
        let r = app
            .get_authed(
                &format!("/api/v1/credits/transactions?{bad}"),
                &session.access_token,
            )
            .await;
        assert_problem(r, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    }
}

#[tokio::test]
async fn usage_groups_spending_by_day_or_model() {
    let (app, session) = five_debits().await;
    let by_day = get(&app, &session, "/api/v1/credits/usage?group_by=day").await;
    assert_eq!(by_day["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_day["items"][0]["spent_mc"], 510);
    assert_eq!(by_day["items"][0]["entries"], 5);
    let by_model = get(&app, &session, "/api/v1/credits/usage?group_by=model").await;
    assert_eq!(by_model["items"][0]["key"], "app_debit");
}

#[tokio::test]
async fn usage_refuses_an_unknown_grouping_or_too_long_a_range() {
    let (app, session) = five_debits().await;
    let bad = app
        .get_authed("/api/v1/credits/usage?group_by=week", &session.access_token)
        .await;
    assert_problem(bad, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    let too_long = app
        .get_authed(
            "/api/v1/credits/usage?group_by=day&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            &session.access_token,
        )
        .await;
    assert_problem(too_long, StatusCode::BAD_REQUEST, "invalid_parameter").await;
}
