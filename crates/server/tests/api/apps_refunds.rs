//! App refunds: never more than their debit, only of the user's own debit, once when raced.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, statuses_together, TestApp};

/// An app, a user's id, an app key that writes credits, the user's debit of 1,000 mc (its
/// id) and the user's refunds path.
async fn debited() -> (TestApp, String, String, String, String) {
    let app = spawn_app().await;
    let session = app.signed_up_user("refund@example.com").await;
    let user = app.user_id(&session).await;
    let key = app.app_key(&["credits:write"]).await;
    let debit: Value = app
        .debit(&key, &user, "d1", 1000)
        .await
        .json()
        .await
        .unwrap();
    let debit_id = debit["debit_id"].as_str().unwrap().to_owned();
    let refunds = format!("/api/v1/apps/users/{user}/refunds");
    (app, user, key, debit_id, refunds)
}

#[tokio::test]
async fn refunds_never_exceed_their_debit() {
    let (app, _user, key, debit_id, refunds) = debited().await;
    let part = app
        .post_idem(
            &refunds,
            &key,
            "r1",
            &json!({ "debit_id": debit_id, "amount_mc": 400, "reason": "2 failed" }),
        )
        .await;
    assert_eq!(part.status(), StatusCode::CREATED);
    let part: Value = part.json().await.unwrap();
    assert_eq!(part["refunded_total_mc"], 400);
    assert_eq!(part["balance_mc"], 49_400);

    let too_much = app
        .post_idem(
            &refunds,
            &key,
            "r2",
            &json!({ "debit_id": debit_id, "amount_mc": 601 }),
        )
        .await;
    let body = assert_problem(
        too_much,
        StatusCode::UNPROCESSABLE_ENTITY,
        "refund_exceeds_debit",
    )
    .await;
    assert_eq!(body["extra"]["refundable_mc"], 600);
    let rest = app
        .post_idem(
            &refunds,
            &key,
            "r3",
            &json!({ "debit_id": debit_id, "amount_mc": 600 }),
        )
        .await;
    assert_eq!(rest.status(), StatusCode::CREATED);

    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'app_refund'")
            .await,
        2
    );
    app.assert_ledger_consistent().await;
}
#[tokio::test]
async fn a_refund_of_another_users_debit_or_of_no_debit_is_not_found() {
    let (app, _user, key, debit_id, refunds) = debited().await;
    // Someone else's debit, or no debit at all.
    let other = app.signed_up_user("stranger@example.com").await;
    let other_id = app.user_id(&other).await;
    let r = app
        .post_idem(
            &format!("/api/v1/apps/users/{other_id}/refunds"),
            &key,
            "r4",
            &json!({ "debit_id": debit_id, "amount_mc": 1 }),
        )
        .await;
    assert_problem(r, StatusCode::NOT_FOUND, "debit_not_found").await;
    let r = app
        .post_idem(
            &refunds,
            &key,
            "r5",
            &json!({ "debit_id": uuid::Uuid::now_v7(), "amount_mc": 1 }),
        )
        .await;
    assert_problem(r, StatusCode::NOT_FOUND, "debit_not_found").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'app_refund'")
            .await,
        0
    );
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn racing_full_refunds_of_one_debit_let_one_through() {
    let app = spawn_app().await;
    let session = app.signed_up_user("race-refund@example.com").await;
    let user = app.user_id(&session).await;
    let key = app.app_key(&["credits:write"]).await;
    let debit: Value = app.debit(&key, &user, "d", 700).await.json().await.unwrap();
    let refunds = format!("/api/v1/apps/users/{user}/refunds");
    let body = json!({ "debit_id": debit["debit_id"], "amount_mc": 700 });
    let keys: Vec<String> = (0..8).map(|i| format!("race-{i}")).collect();
    let tries = keys.iter().map(|k| app.post_idem(&refunds, &key, k, &body));
    let statuses = statuses_together(tries).await;
    assert_eq!(statuses.count(StatusCode::CREATED), 1, "{statuses:?}");
    statuses.assert_only(&[StatusCode::CREATED, StatusCode::UNPROCESSABLE_ENTITY]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'app_refund'")
            .await,
        1
    );
    app.assert_ledger_consistent().await;
}
