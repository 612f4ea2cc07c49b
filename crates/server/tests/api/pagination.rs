//! Every cursor-paginated list, at the edge: a page that holds exactly the last items has no
//! `next_cursor`, and one more item moves to a next page that ends the list.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};
use crate::streams::continue_body;

/// The page size the tests ask for.
const LIMIT: usize = 2;

/// `path` with `param` appended as another query parameter.
fn with(path: &str, param: &str) -> String {
    let joiner = if path.contains('?') { '&' } else { '?' };
    format!("{path}{joiner}{param}")
}

/// One page of the list at `path`, its items under `key`.
async fn page(app: &TestApp, path: &str, token: &str, limit: usize, cursor: Option<&str>) -> Value {
    let mut path = with(path, &format!("limit={limit}"));
    if let Some(cursor) = cursor {
        path = with(&path, &format!("cursor={cursor}"));
    }
    let response = app.get_authed(&path, token).await;
    assert!(
        response.status().is_success(),
        "GET {path}: {}",
        response.status()
    );
    response.json().await.expect("page json")
}

fn ids(page: &Value, key: &str) -> Vec<String> {
    page[key]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect()
}

/// With exactly `LIMIT` items in the list: one page, no cursor.
async fn assert_full_last_page_ends(app: &TestApp, path: &str, token: &str, key: &str) {
    let first = page(app, path, token, LIMIT, None).await;
    assert_eq!(ids(&first, key).len(), LIMIT, "{path}: {first}");
    assert!(
        first["next_cursor"].is_null(),
        "{path}: a full last page has no next_cursor: {first}"
    );
}

/// With `LIMIT + 1` items: the first page's cursor leads to a page of the last item alone,
/// which ends the list.
async fn assert_one_more_is_on_a_last_page(app: &TestApp, path: &str, token: &str, key: &str) {
    let all = ids(&page(app, path, token, 100, None).await, key);
    assert_eq!(all.len(), LIMIT + 1, "{path}");
    let first = page(app, path, token, LIMIT, None).await;
    assert_eq!(ids(&first, key), all[..LIMIT], "{path}");
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a cursor to the last item");
    let last = page(app, path, token, LIMIT, Some(cursor)).await;
    assert_eq!(ids(&last, key), all[LIMIT..], "{path}: {last}");
    assert!(last["next_cursor"].is_null(), "{path}: {last}");
}

async fn project(app: &TestApp, token: &str, i: usize) {
    let text = "x".repeat(10 + i);
    app.create_project(
        token,
        &json!({ "title": format!("p{i}"), "chapters": [{ "title": "", "text": text }] }),
    )
    .await;
}

#[tokio::test]
async fn pagination_of_transactions_ends_on_a_full_page() {
    let app = spawn_app().await;
    let session = app.signed_up_user("ledger@example.com").await;
    let user = app.user_id(&session).await;
    let key = app.app_key(&["credits:write"]).await;
    let path = "/api/v1/credits/transactions?kind=app_debit";
    for i in 0..=LIMIT {
        if i == LIMIT {
            assert_full_last_page_ends(&app, path, &session.access_token, "items").await;
        }
        let debit = app.debit(&key, &user, &format!("d-{i}"), 100).await;
        assert!(debit.status().is_success());
    }
    assert_one_more_is_on_a_last_page(&app, path, &session.access_token, "items").await;
}

#[tokio::test]
async fn pagination_of_generations_ends_on_a_full_page() {
    let app = spawn_app().await;
    let token = app.signed_up_user("writer@example.com").await.access_token;
    let path = "/api/v1/generations";
    for i in 0..=LIMIT {
        if i == LIMIT {
            assert_full_last_page_ends(&app, path, &token, "items").await;
        }
        let body = continue_body("The lamp room smelled of salt.");
        let started = app.post_authed(path, &token, &body).await;
        assert!(started.status().is_success());
    }
    assert_one_more_is_on_a_last_page(&app, path, &token, "items").await;
}

#[tokio::test]
async fn pagination_of_projects_ends_on_a_full_page_in_every_sort() {
    let app = spawn_app().await;
    let session = app.signed_up_user("author@example.com").await;
    let token = &session.access_token;
    let user = app.user_id(&session).await;
    let key = app.app_key(&["projects:read"]).await;
    let apps_path = format!("/api/v1/apps/users/{user}/projects");
    let lists = [
        ("/api/v1/projects".to_owned(), token.as_str()),
        ("/api/v1/projects?sort=created".to_owned(), token),
        ("/api/v1/projects?sort=title".to_owned(), token),
        (apps_path.clone(), key.as_str()),
        (with(&apps_path, "sort=title"), &key),
    ];
    for i in 0..=LIMIT {
        if i == LIMIT {
            for (path, token) in &lists {
                assert_full_last_page_ends(&app, path, token, "items").await;
            }
        }
        project(&app, token, i).await;
    }
    for (path, token) in &lists {
        assert_one_more_is_on_a_last_page(&app, path, token, "items").await;
    }
}

#[tokio::test]
async fn pagination_of_storage_ends_on_a_full_page() {
    let app = spawn_app().await;
    let token = app.signed_up_user("sizes@example.com").await.access_token;
    let path = "/api/v1/storage";
    for i in 0..=LIMIT {
        if i == LIMIT {
            assert_full_last_page_ends(&app, path, &token, "projects").await;
        }
        project(&app, &token, i).await;
    }
    assert_one_more_is_on_a_last_page(&app, path, &token, "projects").await;
}

#[tokio::test]
async fn pagination_of_admin_users_ends_on_a_full_page() {
    let app = spawn_app().await;
    let admin = app.admin("boss@example.com").await;
    let path = "/api/v1/admin/users?q=listed";
    for i in 0..=LIMIT {
        if i == LIMIT {
            assert_full_last_page_ends(&app, path, &admin.access_token, "items").await;
        }
        app.signed_up_user(&format!("listed-{i}@example.com")).await;
    }
    assert_one_more_is_on_a_last_page(&app, path, &admin.access_token, "items").await;
}

#[tokio::test]
async fn pagination_of_the_audit_log_ends_on_a_full_page() {
    let app = spawn_app().await;
    let admin = app.admin("boss@example.com").await;
    let user = app.signed_up_user("customer@example.com").await;
    let adjust = format!(
        "/api/v1/admin/users/{}/adjustments",
        app.user_id(&user).await
    );
    let path = "/api/v1/admin/audit-log?action=admin.balance_adjusted";
    for i in 0..=LIMIT {
        if i == LIMIT {
            assert_full_last_page_ends(&app, path, &admin.access_token, "items").await;
        }
        let body = json!({ "amount_mc": 10, "reason": "goodwill" });
        let adjusted = app
            .post_idem(&adjust, &admin.access_token, &format!("adj-{i}"), &body)
            .await;
        assert!(adjusted.status().is_success());
    }
    assert_one_more_is_on_a_last_page(&app, path, &admin.access_token, "items").await;
}
