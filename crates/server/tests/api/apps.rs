//! The ImageGene endpoints: app keys, debits, refunds, idempotency and bad input.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn resolve_balance_debit_and_replay() {
    let app = spawn_app().await;
    let session = app.signed_up_user("painter@example.com").await;
    let user = app.user_id(&session).await;
    let key = app
        .app_key(&["users:read", "credits:read", "credits:write"])
        .await;
    assert!(key.starts_with("ak_live_"));

    let resolved: Value = app
        .post_authed(
            "/api/v1/apps/users/resolve",
            &key,
            &json!({ "email": "Painter@Example.com" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resolved["user_id"], user.as_str());
    let unknown = app
        .post_authed(
            "/api/v1/apps/users/resolve",
            &key,
            &json!({ "email": "ghost@example.com" }),
        )
        .await;
    assert_problem(unknown, StatusCode::NOT_FOUND, "user_not_found").await;

    let path = format!("/api/v1/apps/users/{user}/debits");
    let first = app
        .post_idem(
            &path,
            &key,
            "img-1",
            &json!({ "amount_mc": 1500, "description": "4 images" }),
        )
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["balance_mc"], 48_500);

    let replay = app
        .post_idem(
            &path,
            &key,
            "img-1",
            &json!({ "amount_mc": 1500, "description": "4 images" }),
        )
        .await;
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.json::<Value>().await.unwrap(), first);

    let reused = app
        .post_idem(&path, &key, "img-1", &json!({ "amount_mc": 9 }))
        .await;
    assert_problem(
        reused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    let missing = app
        .post_authed(&path, &key, &json!({ "amount_mc": 9 }))
        .await;
    assert_problem(missing, StatusCode::BAD_REQUEST, "idempotency_key_required").await;

    let balance: Value = app
        .get_authed(&format!("/api/v1/apps/users/{user}/balance"), &key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(balance["available_mc"], 48_500);
    let quota: Value = app
        .get_authed(&format!("/api/v1/apps/users/{user}/quota"), &key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(quota["credits"]["balance_mc"], 48_500);

    let history: Value = app
        .get_authed(
            "/api/v1/credits/transactions?kind=app_debit",
            &session.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["items"][0]["description"], "4 images");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'app_debit'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'app.%'")
            .await,
        4,
        "resolve, debit, balance, quota"
    );
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn overspending_is_402_with_the_available_amount() {
    let app = spawn_app().await;
    let session = app.signed_up_user("poor@example.com").await;
    let user = app.user_id(&session).await;
    let key = app.app_key(&["credits:write"]).await;
    let r = app.debit(&key, &user, "big", 50_001).await;
    let body = assert_problem(r, StatusCode::PAYMENT_REQUIRED, "insufficient_credits").await;
    assert_eq!(body["extra"]["available_mc"], 50_000);
    // Nothing was written, and the key is free to use for a smaller debit.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'app_debit'")
            .await,
        0
    );
    let ok = app.debit(&key, &user, "big", 50_000).await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn bad_amounts_and_ids_are_4xx_and_write_nothing() {
    let app = spawn_app().await;
    let session = app.signed_up_user("bad@example.com").await;
    let user = app.user_id(&session).await;
    let key = app.app_key(&["credits:write"]).await;
    let path = format!("/api/v1/apps/users/{user}/debits");
    for (i, amount) in [
        json!(0),
        json!(-5),
        json!(1.5),
        json!("100"),
        json!(1_000_000_000_001_i64),
        json!(1e30),
        json!(null),
    ]
    .into_iter()
    .enumerate()
    {
        let r = app
            .post_idem(
                &path,
                &key,
                &format!("bad-{i}"),
                &json!({ "amount_mc": amount }),
            )
            .await;
        assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
    let unknown = app
        .post_idem(
            "/api/v1/apps/users/0193a2b4-0000-7000-8000-000000000000/debits",
            &key,
            "u",
            &json!({ "amount_mc": 5 }),
        )
        .await;
    assert_problem(unknown, StatusCode::NOT_FOUND, "user_not_found").await;
    let not_uuid = app
        .post_idem(
            "/api/v1/apps/users/42/debits",
            &key,
            "u2",
            &json!({ "amount_mc": 5 }),
        )
        .await;
    assert_problem(not_uuid, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'app_debit'")
            .await,
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM idempotency_keys").await, 0);
}

#[tokio::test]
async fn only_app_keys_with_the_scope_get_in() {
    let app = spawn_app().await;
    let session = app.signed_up_user("scoped@example.com").await;
    let user = app.user_id(&session).await;
    let read_only = app.app_key(&["credits:read"]).await;
    let path = format!("/api/v1/apps/users/{user}/debits");
    let r = app
        .post_idem(&path, &read_only, "k", &json!({ "amount_mc": 5 }))
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "insufficient_scope").await;
    let r = app
        .post_idem(
            &path,
            &session.access_token,
            "k",
            &json!({ "amount_mc": 5 }),
        )
        .await;
    assert_problem(r, StatusCode::FORBIDDEN, "app_key_required").await;
    let r = app
        .post_idem(&path, "ak_live_forged", "k", &json!({ "amount_mc": 5 }))
        .await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_problem(
        app.get(&format!("/api/v1/apps/users/{user}/balance")).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // An app key is not a user.
    assert_problem(
        app.get_authed("/api/v1/me", &read_only).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn refunds_never_exceed_their_debit() {
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
    let debit_id = debit["debit_id"].as_str().unwrap();
    let refunds = format!("/api/v1/apps/users/{user}/refunds");

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
        2
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
    let statuses: Vec<StatusCode> = futures_util::future::join_all(tries)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::UNPROCESSABLE_ENTITY),
        "{statuses:?}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'app_refund'")
            .await,
        1
    );
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn admins_list_and_revoke_app_keys() {
    let app = spawn_app().await;
    let admin = app.admin("keymaster@example.com").await;
    let created: Value = app
        .post_authed(
            "/api/v1/admin/app-keys",
            &admin.access_token,
            &json!({ "name": "imagegene", "scopes": ["users:read"] }),
        )
        .await
        .json()
        .await
        .unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let resolve = json!({ "email": "keymaster@example.com" });
    assert_eq!(
        app.post_authed("/api/v1/apps/users/resolve", &secret, &resolve)
            .await
            .status(),
        StatusCode::OK
    );

    let listed: Value = app
        .get_authed("/api/v1/admin/app-keys", &admin.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["kind"], "app");
    assert!(!listed.to_string().contains(&secret));
    assert!(
        listed["items"][0]["last_used_at"].is_string(),
        "use is recorded"
    );

    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/admin/app-keys/{id}");
    let revoked = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let after = app
        .post_authed("/api/v1/apps/users/resolve", &secret, &resolve)
        .await;
    assert_problem(after, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let again = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap();
    assert_problem(again, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'admin.app_key_revoked'")
            .await,
        1
    );
}

/// Another replica revoking a key (here: the database changed behind this server's back)
/// takes effect once this server's cached look-up expires; revoking here takes effect at once.
#[tokio::test]
async fn a_key_revoked_elsewhere_stops_working_when_its_cached_look_up_expires() {
    use sea_orm::ConnectionTrait;

    let path = "/api/v1/apps/users/resolve";
    let resolve = json!({ "email": "nobody@example.com" });
    let status = |response: reqwest::Response| response.status();

    let app = crate::helpers::spawn_app_with(|s| s.api_key_cache_ms = 300).await;
    let key = app.app_key(&["users:read"]).await;
    let works = |response| status(response) == StatusCode::NOT_FOUND;
    assert!(works(app.post_authed(path, &key, &resolve).await));
    app.db
        .execute_unprepared("UPDATE api_keys SET revoked_at = created_at")
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let after = app.post_authed(path, &key, &resolve).await;
    assert_problem(after, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // A long cache time: a key revoked elsewhere still works from the cache, until a
    // revocation through this server forgets every cached key.
    let app = crate::helpers::spawn_app_with(|s| s.api_key_cache_ms = 600_000).await;
    let (elsewhere, here) = (
        app.app_key(&["users:read"]).await,
        app.app_key(&["users:read"]).await,
    );
    for key in [&elsewhere, &here] {
        assert!(works(app.post_authed(path, key, &resolve).await));
    }
    let admin = app.admin("revoker@example.com").await;
    let listed: Value = app
        .get_authed("/api/v1/admin/app-keys", &admin.access_token)
        .await
        .json()
        .await
        .unwrap();
    let id_of = |secret: &str| {
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| secret.starts_with(k["prefix"].as_str().unwrap()))
            .map(|k| k["id"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let sql = format!(
        "UPDATE api_keys SET revoked_at = created_at WHERE prefix = '{}'",
        &elsewhere[.."ak_live_".len() + 6]
    );
    app.db.execute_unprepared(&sql).await.unwrap();
    assert!(
        works(app.post_authed(path, &elsewhere, &resolve).await),
        "served from the cache"
    );
    let revoked = app
        .client
        .delete(app.url(&format!("/api/v1/admin/app-keys/{}", id_of(&here))))
        .bearer_auth(&admin.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    for key in [&elsewhere, &here] {
        let after = app.post_authed(path, key, &resolve).await;
        assert_problem(after, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
}

/// Debits arriving together (on PostgreSQL they share one statement): several per user, the
/// same request sent three times at once, and more than a user can pay. Each retry answers
/// like the first, each success is one entry, and no balance goes below zero.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn debits_arriving_together_are_each_applied_once() {
    let app = std::sync::Arc::new(crate::helpers::spawn_app().await);
    let key = app.app_key(&["credits:write"]).await;
    let mut users = Vec::new();
    for i in 0..4 {
        let session = app
            .signed_up_user(&format!("together{i}@example.com"))
            .await;
        users.push(app.user_id(&session).await);
    }
    // 4 users x 8 debits of 7 credits (welcome: 50 credits, so 7 of 8 fit), each sent three
    // times with the same key, all at once.
    let mut tasks = Vec::new();
    for (u, user) in users.iter().enumerate() {
        for n in 0..8 {
            for _copy in 0..3 {
                let (app, key, user) = (app.clone(), key.clone(), user.clone());
                tasks.push(tokio::spawn(async move {
                    let response = app.debit(&key, &user, &format!("t-{u}-{n}"), 7_000).await;
                    let status = response.status();
                    let body: Value = response.json().await.unwrap();
                    ((u, n), status, body)
                }));
            }
        }
    }
    let mut answers: std::collections::HashMap<(usize, usize), Vec<(StatusCode, Value)>> =
        std::collections::HashMap::new();
    for task in tasks {
        let (request, status, body) = task.await.unwrap();
        answers.entry(request).or_default().push((status, body));
    }
    let mut applied = 0;
    for copies in answers.values() {
        let (status, first) = &copies[0];
        if *status == StatusCode::CREATED {
            applied += 1;
            for (other_status, other) in copies {
                assert_eq!(*other_status, StatusCode::CREATED);
                assert_eq!(other["debit_id"], first["debit_id"], "one debit per key");
            }
        } else {
            assert_eq!(*status, StatusCode::PAYMENT_REQUIRED, "{first}");
        }
    }
    assert_eq!(applied, 4 * 7, "7 of each user's 8 debits fit");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'app_debit'")
            .await,
        applied
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE balance_mc = 1000")
            .await,
        4
    );
    app.assert_ledger_consistent().await;
}
