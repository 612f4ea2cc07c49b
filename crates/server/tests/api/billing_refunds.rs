//! An admin's refund is made once per `Idempotency-Key`: a retry after a lost answer, the
//! same request many times at once on two servers, or a webhook that applied it first all
//! end in one refund at the gateway and one ledger entry.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::billing_gateway::{signature, with_razorpay, KEY_ID};
use crate::helpers::{assert_problem, TestApp, TEST_WEBHOOK_SECRET};

/// A paid $9 pack on the fake Razorpay: (buyer's token, Penora payment id).
async fn paid_pack(app: &TestApp, fake: &penora_fake_razorpay::FakeRazorpay) -> (String, String) {
    let user = app.signed_up_user("refunded@example.com").await;
    let token = user.access_token;
    let order = app.order(&token, "pack-100").await;
    let gateway_order = order["gateway_order_id"].as_str().unwrap();
    let payment = fake.pay(gateway_order, 900, "USD");
    let paid = json!({
        "razorpay_order_id": gateway_order,
        "razorpay_payment_id": payment.id,
        "razorpay_signature": signature(gateway_order, &payment.id),
    });
    let verified: Value = app
        .verify(&token, order["order_id"].as_str().unwrap(), &paid)
        .await
        .json()
        .await
        .unwrap();
    let id = verified["payment"]["id"].as_str().unwrap().to_owned();
    (token, id)
}

#[tokio::test]
async fn a_refund_whose_answer_was_lost_is_retried_without_refunding_twice() {
    let (app, fake) = with_razorpay().await;
    let admin = app.admin("refunds-admin@example.com").await;
    let (token, payment) = paid_pack(&app, &fake).await;
    let path = format!("/api/v1/admin/payments/{payment}/refunds");
    let before = app.balance_mc(&token).await;

    // The gateway refunds, but its answer never arrives.
    fake.lose_refund_answers(1);
    let lost = app
        .post_idem(
            &path,
            &admin.access_token,
            "refund-1",
            &json!({ "amount_minor": 300 }),
        )
        .await;
    assert_problem(lost, StatusCode::SERVICE_UNAVAILABLE, "gateway_unavailable").await;
    assert_eq!(fake.refunds().len(), 1);

    // The admin retries with the same key: the refund made the first time, applied once.
    let retried = app
        .post_idem(
            &path,
            &admin.access_token,
            "refund-1",
            &json!({ "amount_minor": 300 }),
        )
        .await;
    assert_eq!(retried.status(), StatusCode::OK);
    let retried: Value = retried.json().await.unwrap();
    assert_eq!(retried["gateway_refund_id"], fake.refunds()[0].id.as_str());
    assert_eq!(retried["amount_minor"], 300);
    assert_eq!(retried["taken_mc"], 33_333, "{retried}");
    assert_eq!(fake.refunds().len(), 1, "one refund at the gateway");
    assert_eq!(app.balance_mc(&token).await, before - 33_333);

    // Once more: the same answer again, marked as a replay; the gateway is not asked.
    let asked = fake.count("POST /payments/{id}/refund");
    let replay = app
        .post_idem(
            &path,
            &admin.access_token,
            "refund-1",
            &json!({ "amount_minor": 300 }),
        )
        .await;
    assert_eq!(replay.status(), StatusCode::OK);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay, retried);
    assert_eq!(fake.count("POST /payments/{id}/refund"), asked);

    // The key with another request is refused; no key at all is refused.
    let reused = app
        .post_idem(
            &path,
            &admin.access_token,
            "refund-1",
            &json!({ "amount_minor": 100 }),
        )
        .await;
    assert_problem(
        reused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    let keyless = app
        .post_authed(&path, &admin.access_token, &json!({ "amount_minor": 100 }))
        .await;
    assert_problem(keyless, StatusCode::BAD_REQUEST, "idempotency_key_required").await;
    assert_eq!(fake.refunds().len(), 1);
    assert_eq!(app.entries_of(&token, "refund").await.len(), 1);
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn a_full_refund_retried_after_its_webhook_applied_it_answers_the_first_refund() {
    // "The rest" resolves to an amount when first asked; after the webhook applied the
    // refund nothing is left, and a retry must still get the same refund, not a refusal.
    let (app, fake) = with_razorpay().await;
    let admin = app.admin("refunds-admin2@example.com").await;
    let (token, payment) = paid_pack(&app, &fake).await;
    let path = format!("/api/v1/admin/payments/{payment}/refunds");
    fake.lose_refund_answers(1);
    let lost = app
        .post_idem(&path, &admin.access_token, "refund-all", &json!({}))
        .await;
    assert_eq!(lost.status(), StatusCode::SERVICE_UNAVAILABLE);
    let refund = fake.refunds()[0].clone();
    let event = json!({
        "entity": "event", "event": "refund.processed", "contains": ["refund"],
        "payload": { "refund": { "entity": refund } }, "created_at": 1,
    });
    let applied = app
        .webhook_signed(&event.to_string(), "evt_refund_first", TEST_WEBHOOK_SECRET)
        .await;
    assert_eq!(applied.status(), StatusCode::OK);
    let retried = app
        .post_idem(&path, &admin.access_token, "refund-all", &json!({}))
        .await;
    assert_eq!(retried.status(), StatusCode::OK);
    let retried: Value = retried.json().await.unwrap();
    assert_eq!(
        retried["gateway_refund_id"],
        refund.id.as_str(),
        "{retried}"
    );
    assert_eq!(retried["amount_minor"], 900);
    assert_eq!(fake.refunds().len(), 1);
    assert_eq!(app.entries_of(&token, "refund").await.len(), 1);
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn one_refund_request_sent_many_times_at_once_on_two_servers_refunds_once() {
    let (app, fake) = with_razorpay().await;
    let url = fake.url.clone();
    let second = app
        .another_server_with(move |s| {
            s.payments.payments_gateway = Some("razorpay".to_owned());
            s.payments.razorpay_key_id = Some(KEY_ID.to_owned());
            s.payments.razorpay_base_url = url;
        })
        .await;
    let admin = app.admin("refunds-race@example.com").await;
    let (token, payment) = paid_pack(&app, &fake).await;
    let path = format!("/api/v1/admin/payments/{payment}/refunds");
    let servers = [&app, &second];
    let tasks = (0..16).map(|n| {
        let (server, path, admin) = (servers[n % 2], path.clone(), admin.access_token.clone());
        async move {
            let response = server
                .post_idem(
                    &path,
                    &admin,
                    "race-refund-1",
                    &json!({ "amount_minor": 450 }),
                )
                .await;
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    });
    let answers = futures_util::future::join_all(tasks).await;
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
        assert_eq!(body, &answers[0].1);
    }
    assert_eq!(fake.refunds().len(), 1);
    assert_eq!(app.entries_of(&token, "refund").await.len(), 1);
    let payments: Value = app
        .get_authed("/api/v1/billing/payments", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(payments["items"][0]["refunded_minor"], 450, "{payments}");
    app.assert_ledger_consistent().await;
}
