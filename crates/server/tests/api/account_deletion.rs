//! Deleting an account: personal data goes, the ledger stays against an anonymous tombstone,
//! and the welcome bonus is granted once per email address, ever.

use penora_domain::UserId;
use penora_store::entities::{
    api_key, email_token, generation, ledger_entry, project, provider_key, refresh_token, user,
};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, Session, TestApp, PASSWORD};

async fn delete_account(app: &TestApp, session: &Session) {
    let deleted = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&session.access_token)
        .json(&json!({ "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
}

fn uuid_of(id: &str) -> uuid::Uuid {
    id.parse().unwrap()
}

/// The row of a user, tombstone or not.
async fn user_row(app: &TestApp, id: &str) -> user::Model {
    user::Entity::find_by_id(uuid_of(id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn balance_mc(app: &TestApp, session: &Session) -> i64 {
    let balance: Value = app
        .get_authed("/api/v1/credits/balance", &session.access_token)
        .await
        .json()
        .await
        .unwrap();
    balance["balance_mc"].as_i64().unwrap()
}

#[tokio::test]
async fn signing_up_again_after_deletion_grants_no_second_welcome_bonus() {
    let app = spawn_app().await;
    let first = app.signed_up_user("twice@example.com").await;
    assert_eq!(balance_mc(&app, &first).await, 50_000);
    delete_account(&app, &first).await;

    // Another spelling of the same address is the same address.
    let again = app.signed_up_user("Twice@Example.com").await;
    assert_ne!(app.user_id(&again).await, app.user_id(&first).await);
    assert_eq!(balance_mc(&app, &again).await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'welcome'")
            .await,
        1
    );
    // A different address still gets its bonus.
    let other = app.signed_up_user("someone-else@example.com").await;
    assert_eq!(balance_mc(&app, &other).await, 50_000);
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn ledger_rows_survive_deletion_and_sum_to_the_tombstones_balance() {
    let app = spawn_app().await;
    let session = app.signed_up_user("spender@example.com").await;
    let user = app.user_id(&session).await;
    let key = app.app_key(&["credits:write"]).await;
    assert_eq!(
        app.debit(&key, &user, "img-1", 1_500).await.status(),
        StatusCode::CREATED
    );
    delete_account(&app, &session).await;

    let entries = ledger_entry::Entity::find()
        .filter(ledger_entry::Column::UserId.eq(uuid_of(&user)))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(entries, 2, "welcome and the debit stay");
    let sum = penora_store::ledger::sum_for_user(&app.db, UserId::from_uuid(uuid_of(&user)))
        .await
        .unwrap();
    assert_eq!(sum, 48_500);
    let tombstone = user_row(&app, &user).await;
    assert_eq!(tombstone.balance_mc, 48_500);
    // Nothing personal is left on the tombstone.
    assert!(!tombstone.email.contains('@'), "{}", tombstone.email);
    assert_eq!(tombstone.password_hash, None);
    assert_eq!(tombstone.display_name, "");
    assert!(tombstone.deleted_at.is_some());
    app.assert_ledger_consistent().await;
}

#[tokio::test]
async fn personal_data_goes_with_the_account() {
    let app = spawn_app().await;
    let session = app.signed_up_user("private@example.com").await;
    let user = app.user_id(&session).await;
    app.create_project(
        &session.access_token,
        &json!({ "title": "Diary", "chapters": [{ "text": "secret thoughts" }] }),
    )
    .await;
    let key = app
        .post_authed(
            "/api/v1/api-keys",
            &session.access_token,
            &json!({ "name": "laptop" }),
        )
        .await;
    assert_eq!(key.status(), StatusCode::CREATED);
    delete_account(&app, &session).await;

    let owner = uuid_of(&user);
    let db = &app.db;
    let left = [
        project::Entity::find()
            .filter(project::Column::UserId.eq(owner))
            .count(db)
            .await
            .unwrap(),
        api_key::Entity::find()
            .filter(api_key::Column::UserId.eq(owner))
            .count(db)
            .await
            .unwrap(),
        provider_key::Entity::find()
            .filter(provider_key::Column::UserId.eq(owner))
            .count(db)
            .await
            .unwrap(),
        refresh_token::Entity::find()
            .filter(refresh_token::Column::UserId.eq(owner))
            .count(db)
            .await
            .unwrap(),
        email_token::Entity::find()
            .filter(email_token::Column::UserId.eq(owner))
            .count(db)
            .await
            .unwrap(),
    ];
    assert_eq!(
        left, [0; 5],
        "projects, keys, provider keys, sessions, links"
    );
    assert!(user_row(&app, &user).await.deleted_at.is_some());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE subject LIKE '%private@example.com%'")
            .await,
        0,
        "the audit trail keeps no address"
    );
    app.assert_session_ended(&session).await;
    assert_problem(
        app.login("private@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
}

#[tokio::test]
async fn app_debits_of_a_deleted_user_stay_in_the_audit_log() {
    let app = spawn_app().await;
    let admin = app.admin("auditor@example.com").await;
    let session = app.signed_up_user("painter@example.com").await;
    let user = app.user_id(&session).await;
    let key = app.app_key(&["credits:write"]).await;
    let debit = app.debit(&key, &user, "img-7", 700).await;
    assert_eq!(debit.status(), StatusCode::CREATED);
    let debit: Value = debit.json().await.unwrap();
    delete_account(&app, &session).await;

    let page: Value = app
        .get_authed(
            "/api/v1/admin/audit-log?action=app.debit",
            &admin.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|e| e["subject"] == user.as_str() && e["meta"]["debit_id"] == debit["debit_id"]),
        "{page}"
    );
    let entry = ledger_entry::Entity::find_by_id(uuid_of(debit["debit_id"].as_str().unwrap()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((entry.amount_mc, entry.user_id), (-700, uuid_of(&user)));
    // The app's stored answer is still there for its retries.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM idempotency_keys WHERE key = 'img-7'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_deleted_users_id_is_not_found_for_apps() {
    let app = spawn_app().await;
    let session = app.signed_up_user("leaver@example.com").await;
    let user = app.user_id(&session).await;
    let key = app
        .app_key(&["users:read", "credits:read", "credits:write"])
        .await;
    let debit = app.debit(&key, &user, "before", 100).await;
    assert_eq!(debit.status(), StatusCode::CREATED);
    let debit: Value = debit.json().await.unwrap();
    delete_account(&app, &session).await;

    let resolve = app
        .post_authed(
            "/api/v1/apps/users/resolve",
            &key,
            &json!({ "email": "leaver@example.com" }),
        )
        .await;
    assert_problem(resolve, StatusCode::NOT_FOUND, "user_not_found").await;
    let balance = app
        .get_authed(&format!("/api/v1/apps/users/{user}/balance"), &key)
        .await;
    assert_problem(balance, StatusCode::NOT_FOUND, "user_not_found").await;
    let quota = app
        .get_authed(&format!("/api/v1/apps/users/{user}/quota"), &key)
        .await;
    assert_problem(quota, StatusCode::NOT_FOUND, "user_not_found").await;
    assert_problem(
        app.debit(&key, &user, "after", 100).await,
        StatusCode::NOT_FOUND,
        "user_not_found",
    )
    .await;
    let refund = app
        .post_idem(
            &format!("/api/v1/apps/users/{user}/refunds"),
            &key,
            "refund-after",
            &json!({ "debit_id": debit["debit_id"], "amount_mc": 100 }),
        )
        .await;
    assert_problem(refund, StatusCode::NOT_FOUND, "user_not_found").await;
    app.assert_ledger_consistent().await;
}

/// Accounts from before grants were recorded: the server records theirs at start-up, so
/// deleting one and signing up again grants nothing either.
#[tokio::test]
async fn welcome_grants_of_earlier_accounts_are_recorded_once() {
    use penora_store::entities::welcome_grant;
    let app = spawn_app().await;
    let earlier = app.signed_up_user("earlier@example.com").await;
    // An account made without a bonus (as the CLI makes admins).
    let email = penora_domain::Email::parse("no-bonus@example.com").unwrap();
    let password = penora_domain::Password::parse(PASSWORD, Some(&email)).unwrap();
    penora_app::accounts::create_admin(&app.state, &email, &password)
        .await
        .unwrap();
    // As before the migration: no grant rows.
    welcome_grant::Entity::delete_many()
        .exec(&app.db)
        .await
        .unwrap();

    let record = penora_app::accounts::record_welcome_grants;
    assert_eq!(record(&app.state).await.unwrap(), 1);
    assert_eq!(record(&app.state).await.unwrap(), 0, "nothing left to do");

    delete_account(&app, &earlier).await;
    let again = app.signed_up_user("earlier@example.com").await;
    assert_eq!(balance_mc(&app, &again).await, 0);
}

#[tokio::test]
async fn deletion_waits_for_running_generations() {
    use crate::streams::{continue_body, EventReader};
    let app = crate::helpers::spawn_app_with(|s| s.offline_pace_ms = 20).await;
    let session = app.signed_up_user("busy-writer@example.com").await;
    let body = continue_body("The harbour was quiet that night, and the boats rocked slowly.");
    let mut running = EventReader::new(app.stream_generation(&session.access_token, &body).await);
    let (_, meta) = running.next().await.unwrap();

    let refused = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&session.access_token)
        .json(&json!({ "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_problem(refused, StatusCode::CONFLICT, "generation_running").await;

    let id = meta["generation_id"].as_str().unwrap();
    let cancel = app
        .post_authed(
            &format!("/api/v1/generations/{id}/cancel"),
            &session.access_token,
            &json!({}),
        )
        .await;
    assert_eq!(cancel.status(), StatusCode::OK);
    while running.next().await.is_some() {}
    delete_account(&app, &session).await;
    app.assert_ledger_consistent().await;
}

/// Another replica may still trust a personal key it looked up before the account was
/// deleted (for `api_key_cache_ms`): the generation's opening statement refuses the tombstone
/// all the same, so nothing is reserved or written against it.
#[tokio::test]
async fn a_replica_trusting_a_cached_key_opens_no_generation_for_a_deleted_account() {
    let app = spawn_app().await;
    let replica = app
        .another_server_with(|s| s.api_key_cache_ms = 600_000)
        .await;
    let session = app.signed_up_user("gone-soon@example.com").await;
    let user = app.user_id(&session).await;
    let created: Value = app
        .post_authed(
            "/api/v1/api-keys",
            &session.access_token,
            &json!({ "name": "script" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let key = created["secret"].as_str().unwrap().to_owned();
    let body = crate::streams::continue_body("The tide came in over the flats at dusk.");
    let warm = replica
        .post_authed("/api/v1/generations", &key, &body)
        .await;
    assert_eq!(warm.status(), StatusCode::CREATED);
    delete_account(&app, &session).await;

    let after = replica
        .post_authed("/api/v1/generations", &key, &body)
        .await;
    assert_problem(after, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let generations = generation::Entity::find()
        .filter(generation::Column::UserId.eq(uuid_of(&user)))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(generations, 1);
    app.assert_ledger_consistent().await;
}
