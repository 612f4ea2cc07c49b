//! Every route against every key scope, enumerated from the served OpenAPI document: a
//! personal key without the scope an operation names gets `403 insufficient_scope`, a key
//! with only that scope does not get a 403; routes no personal key may call refuse even a
//! key with every scope; app routes the same with app keys.

use reqwest::Response;
use serde_json::{json, Value};

use crate::contract::{operations, send, Op};
use crate::helpers::{Session, TestApp};

const PERSONAL: [&str; 3] = ["read", "write", "generate"];
const APP: [&str; 5] = [
    "users:read",
    "credits:read",
    "credits:write",
    "projects:read",
    "storage:write",
];

async fn personal_key(app: &TestApp, session: &Session, scopes: &[&str]) -> String {
    let response = app
        .post_authed(
            "/api/v1/api-keys",
            &session.access_token,
            &json!({ "name": "scoped", "scopes": scopes }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("json");
    body["secret"].as_str().expect("secret").to_owned()
}

async fn app_key(app: &TestApp, admin: &Session, scopes: &[&str]) -> String {
    let response = app
        .post_authed(
            "/api/v1/admin/app-keys",
            &admin.access_token,
            &json!({ "name": "scoped", "scopes": scopes }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("json");
    body["secret"].as_str().expect("secret").to_owned()
}

/// Keys holding exactly `only` and all but it, per scope.
struct Keys {
    only: Vec<(String, String)>,
    without: Vec<(String, String)>,
}

impl Keys {
    fn get<'a>(list: &'a [(String, String)], scope: &str) -> &'a str {
        list.iter()
            .find(|(s, _)| s == scope)
            .map(|(_, key)| key.as_str())
            .unwrap_or_else(|| panic!("no key for scope {scope:?}"))
    }
}

async fn call(app: &TestApp, op: &Op, token: &str) -> (u16, Value) {
    let body = op.body.clone().map(Ok);
    let response: Response = send(app, op, &op.sample_path(), Some(token), body).await;
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn code_of(op: &Op, body: &Value) -> String {
    let code = if op.is_openai() {
        &body["error"]["code"]
    } else {
        &body["code"]
    };
    code.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn every_route_checks_the_scope_it_documents() {
    let app = crate::helpers::spawn_app().await;
    let admin = app.admin("scopes-admin@example.com").await;
    let user = app.signed_up_user("scopes@example.com").await;
    let mut personal = Keys {
        only: Vec::new(),
        without: Vec::new(),
    };
    for scope in PERSONAL {
        let rest: Vec<&str> = PERSONAL.into_iter().filter(|s| *s != scope).collect();
        let only = personal_key(&app, &user, &[scope]).await;
        let without = personal_key(&app, &user, &rest).await;
        personal.only.push((scope.to_owned(), only));
        personal.without.push((scope.to_owned(), without));
    }
    let full_key = personal_key(&app, &user, &PERSONAL).await;
    let mut apps = Keys {
        only: Vec::new(),
        without: Vec::new(),
    };
    for scope in APP {
        let rest: Vec<&str> = APP.into_iter().filter(|s| *s != scope).collect();
        apps.only
            .push((scope.to_owned(), app_key(&app, &admin, &[scope]).await));
        apps.without
            .push((scope.to_owned(), app_key(&app, &admin, &rest).await));
    }
    let full_app_key = app_key(&app, &admin, &APP).await;

    let mut failures = Vec::new();
    let mut expect = |op: &Op, case: &str, ok: bool, status: u16, body: &Value| {
        if !ok {
            failures.push(format!("{} ({case}): {status} {body}", op.name()));
        }
    };
    let mut checked = 0;
    for op in operations(&app).await {
        if op.anonymous() && op.scope_of("personal_key").is_none() {
            continue;
        }
        checked += 1;
        if let Some(scope) = op.scope_of("app_key") {
            let (status, body) = call(&app, &op, Keys::get(&apps.without, &scope)).await;
            let refused = status == 403 && code_of(&op, &body) == "insufficient_scope";
            expect(&op, "app key without the scope", refused, status, &body);
            let (status, body) = call(&app, &op, Keys::get(&apps.only, &scope)).await;
            expect(
                &op,
                "app key with only the scope",
                status != 403,
                status,
                &body,
            );
            let (status, body) = call(&app, &op, &full_key).await;
            let refused = status == 403 && code_of(&op, &body) == "app_key_required";
            expect(&op, "personal key", refused, status, &body);
            continue;
        }
        if op.anonymous() {
            // Optional sign-in: a key without the scope gets the anonymous answer.
            let scope = op.scope_of("personal_key").unwrap_or_default();
            let (status, body) = call(&app, &op, Keys::get(&personal.only, &scope)).await;
            expect(&op, "key with only the scope", status == 200, status, &body);
            continue;
        }
        let (status, body) = call(&app, &op, &full_app_key).await;
        expect(&op, "app key", status == 403, status, &body);
        match op.scope_of("personal_key") {
            Some(scope) => {
                let (status, body) = call(&app, &op, Keys::get(&personal.without, &scope)).await;
                let refused = status == 403 && code_of(&op, &body) == "insufficient_scope";
                expect(&op, "key without the scope", refused, status, &body);
                let (status, body) = call(&app, &op, Keys::get(&personal.only, &scope)).await;
                expect(&op, "key with only the scope", status != 403, status, &body);
            }
            None => {
                let (status, body) = call(&app, &op, &full_key).await;
                let refused = status == 403 && code_of(&op, &body) == "session_required";
                expect(&op, "key with every scope", refused, status, &body);
            }
        }
    }
    assert!(checked > 40, "only {checked} operations need a token");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
