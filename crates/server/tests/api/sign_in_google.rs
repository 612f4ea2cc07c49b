//! "Sign in with Google" against a local fake of Google's token endpoint and key set: the
//! code flow with PKCE, state and nonce, linking from the account page, and every refusal
//! (each leaves nothing behind).

use penora_fake_idp::{keys, FakeIdp, Grant};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::helpers::{
    assert_problem, location, refresh_cookie, refusal_of, spawn_app, spawn_app_with, Session,
    TestApp,
};

pub(crate) const CLIENT_ID: &str = "penora-test.apps.googleusercontent.com";
pub(crate) const CLIENT_SECRET: &str = "google-test-client-secret";

pub(crate) async fn spawn_google_app(idp: &FakeIdp) -> TestApp {
    let (token_url, jwks_url) = (idp.token_url(), idp.jwks_url());
    spawn_app_with(move |s| {
        s.sign_in.google_oauth_client_id = Some(CLIENT_ID.to_owned());
        s.sign_in.google_oauth_client_secret = Some(SecretString::from(CLIENT_SECRET.to_owned()));
        s.sign_in.google_auth_url = "https://accounts.google.test/o/oauth2/v2/auth".to_owned();
        s.sign_in.google_token_url = token_url;
        s.sign_in.google_jwks_url = jwks_url;
        s.sign_in.jwks_refresh_min_interval_ms = 0;
    })
    .await
}

/// A flow as Google's consent page sees it, and the binding cookie of the browser that
/// started it.
pub(crate) struct Flow {
    pub(crate) state: String,
    pub(crate) nonce: String,
    pub(crate) challenge: String,
    pub(crate) redirect_uri: String,
    pub(crate) binding: String,
}

/// The flow-binding cookie a start set.
fn binding_of(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("penora_google_flow="))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
        .expect("the flow cookie")
}

fn flow_of(url: &str, binding: String) -> Flow {
    let url = url::Url::parse(url).unwrap();
    assert_eq!(url.host_str(), Some("accounts.google.test"));
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {url}"))
    };
    assert_eq!(param("client_id"), CLIENT_ID);
    assert_eq!(param("response_type"), "code");
    assert_eq!(param("code_challenge_method"), "S256");
    assert!(param("scope").contains("openid"));
    Flow {
        state: param("state"),
        nonce: param("nonce"),
        challenge: param("code_challenge"),
        redirect_uri: param("redirect_uri"),
        binding,
    }
}

pub(crate) async fn start(app: &TestApp) -> Flow {
    let response = app.get("/api/v1/auth/google/start?return_to=/write").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    flow_of(&location(&response), binding_of(&response))
}

/// Starts linking Google to the account of `token`.
pub(crate) async fn start_link(app: &TestApp, token: &str) -> Flow {
    let started = app
        .post_authed("/api/v1/me/sign-in-methods/google", token, &json!({}))
        .await;
    assert_eq!(started.status(), StatusCode::OK);
    let binding = binding_of(&started);
    let body: Value = started.json().await.unwrap();
    flow_of(body["url"].as_str().unwrap(), binding)
}

pub(crate) fn id_claims(flow: &Flow, sub: &str, email: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": "https://accounts.google.com", "aud": CLIENT_ID, "sub": sub, "email": email,
        "email_verified": true, "name": "Grace Hopper", "nonce": flow.nonce,
        "iat": now, "exp": now + 3_600,
    })
}

/// Google approves `flow` with an ID token of `claims`; the browser comes back.
pub(crate) async fn approve(
    app: &TestApp,
    idp: &FakeIdp,
    flow: &Flow,
    id_token: String,
) -> reqwest::Response {
    let code = format!("code-{}", uuid::Uuid::new_v4());
    idp.grant(
        &code,
        Grant {
            client_id: CLIENT_ID.to_owned(),
            client_secret: CLIENT_SECRET.to_owned(),
            redirect_uri: flow.redirect_uri.clone(),
            code_challenge: flow.challenge.clone(),
            id_token,
        },
    );
    callback(app, &flow.state, &code, Some(&flow.binding)).await
}

/// Google sends the browser back; `binding` is its flow cookie, if it has one.
pub(crate) async fn callback(
    app: &TestApp,
    state: &str,
    code: &str,
    binding: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .get(app.url("/api/v1/auth/google/callback"))
        .query(&[("state", state), ("code", code)]);
    if let Some(binding) = binding {
        request = request.header("cookie", format!("penora_google_flow={binding}"));
    }
    request.send().await.unwrap()
}

pub(crate) async fn signed_in(app: &TestApp, response: reqwest::Response) -> Session {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&response).ends_with("/write"),
        "{}",
        location(&response)
    );
    let cookie = refresh_cookie(response.headers()).expect("the refresh cookie");
    let refreshed = app.refresh(&cookie).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    Session::from_response(refreshed).await
}

async fn counts(app: &TestApp) -> (i64, i64) {
    (
        app.count("SELECT COUNT(*) FROM users WHERE role = 'user'")
            .await,
        app.count("SELECT COUNT(*) FROM identities").await,
    )
}

#[tokio::test]
async fn a_google_sign_in_makes_finds_and_links_accounts() {
    let idp = FakeIdp::start().await;
    let app = spawn_google_app(&idp).await;
    let providers: Value = app
        .get("/api/v1/auth/providers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(providers["google"], true);

    let flow = start(&app).await;
    let token = keys::rs256(&id_claims(&flow, "108", "grace@example.com"), Some("rsa-1"));
    let first = signed_in(&app, approve(&app, &idp, &flow, token).await).await;
    assert_eq!(first.body["user"]["email"], "grace@example.com");
    assert_eq!(first.body["user"]["display_name"], "Grace Hopper");
    let balance: Value = app
        .get_authed("/api/v1/credits/balance", &first.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(balance["balance_mc"], 50_000);

    let flow = start(&app).await;
    let token = keys::rs256(&id_claims(&flow, "108", "grace@example.com"), Some("rsa-1"));
    let again = signed_in(&app, approve(&app, &idp, &flow, token).await).await;
    assert_eq!(again.body["user"]["id"], first.body["user"]["id"]);

    // A verified Google address links the password account that has it.
    let ada = app.signed_up_user("ada@example.com").await;
    let flow = start(&app).await;
    let token = keys::rs256(&id_claims(&flow, "109", "ada@example.com"), Some("rsa-1"));
    let linked = signed_in(&app, approve(&app, &idp, &flow, token).await).await;
    assert_eq!(linked.body["user"]["id"], ada.body["user"]["id"]);
    assert_eq!(counts(&app).await, (2, 2));
    assert_eq!(idp.count("token"), 3);
}

#[tokio::test]
async fn an_unverified_google_address_of_an_existing_account_is_not_linked() {
    let idp = FakeIdp::start().await;
    let app = spawn_google_app(&idp).await;
    app.signed_up_user("victim@example.com").await;
    let flow = start(&app).await;
    let mut claims = id_claims(&flow, "666", "victim@example.com");
    claims["email_verified"] = json!(false);
    let response = approve(&app, &idp, &flow, keys::rs256(&claims, Some("rsa-1"))).await;
    assert_eq!(refusal_of(&response), "unverified_email");
    assert_eq!(counts(&app).await, (1, 0));
}

#[tokio::test]
async fn bad_flows_and_tokens_are_refused_with_their_reason_and_leave_nothing() {
    let idp = FakeIdp::start().await;
    let app = spawn_google_app(&idp).await;
    let now = chrono::Utc::now().timestamp();
    type Change = fn(&mut Value);
    let cases: [(&str, Change, &str); 5] = [
        (
            "wrong nonce",
            |c| c["nonce"] = json!("another"),
            "wrong_nonce",
        ),
        (
            "no nonce",
            |c| drop(c.as_object_mut().unwrap().remove("nonce")),
            "wrong_nonce",
        ),
        (
            "for another client",
            |c| c["aud"] = json!("other.apps.googleusercontent.com"),
            "wrong_audience",
        ),
        (
            "another issuer",
            |c| c["iss"] = json!("https://evil.example"),
            "wrong_issuer",
        ),
        (
            "no email",
            |c| drop(c.as_object_mut().unwrap().remove("email")),
            "missing_email",
        ),
    ];
    for (what, change, code) in cases {
        let flow = start(&app).await;
        let mut claims = id_claims(&flow, "1", "x@example.com");
        change(&mut claims);
        let response = approve(&app, &idp, &flow, keys::rs256(&claims, Some("rsa-1"))).await;
        assert_eq!(refusal_of(&response), code, "{what}");
    }
    let flow = start(&app).await;
    let mut claims = id_claims(&flow, "1", "x@example.com");
    claims["exp"] = json!(now - 600);
    let expired = approve(&app, &idp, &flow, keys::rs256(&claims, Some("rsa-1"))).await;
    assert_eq!(refusal_of(&expired), "token_expired");
    let flow = start(&app).await;
    let claims = id_claims(&flow, "1", "x@example.com");
    let unknown = approve(&app, &idp, &flow, keys::rs256_other(&claims, Some("rsa-2"))).await;
    assert_eq!(refusal_of(&unknown), "unknown_key");
    let flow = start(&app).await;
    let claims = id_claims(&flow, "1", "x@example.com");
    let hs = approve(
        &app,
        &idp,
        &flow,
        keys::hs256(&claims, CLIENT_SECRET.as_bytes()),
    )
    .await;
    assert_eq!(refusal_of(&hs), "invalid_token");

    // A state never issued, a code Google does not know, a declined consent.
    assert_eq!(
        refusal_of(&callback(&app, "made-up", "c", None).await),
        "invalid_state"
    );
    let flow = start(&app).await;
    assert_eq!(
        refusal_of(&callback(&app, &flow.state, "unknown-code", Some(&flow.binding)).await),
        "provider_refused"
    );
    let flow = start(&app).await;
    let declined = app
        .client
        .get(app.url("/api/v1/auth/google/callback"))
        .query(&[("state", flow.state.as_str()), ("error", "access_denied")])
        .header("cookie", format!("penora_google_flow={}", flow.binding))
        .send()
        .await
        .unwrap();
    assert_eq!(refusal_of(&declined), "provider_refused");
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn a_state_works_once_and_not_after_ten_minutes() {
    let idp = FakeIdp::start().await;
    let app = spawn_google_app(&idp).await;
    let flow = start(&app).await;
    let token = keys::rs256(&id_claims(&flow, "2", "once@example.com"), Some("rsa-1"));
    signed_in(&app, approve(&app, &idp, &flow, token.clone()).await).await;
    let reused = approve(&app, &idp, &flow, token).await;
    assert_eq!(refusal_of(&reused), "invalid_state");

    let flow = start(&app).await;
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    use sea_orm::{ConnectionTrait, Statement};
    let backend = app.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "UPDATE oauth_flows SET expires_at = $1",
        _ => "UPDATE oauth_flows SET expires_at = ?",
    };
    app.db
        .execute_raw(Statement::from_sql_and_values(backend, sql, [past.into()]))
        .await
        .unwrap();
    let token = keys::rs256(&id_claims(&flow, "3", "late@example.com"), Some("rsa-1"));
    let late = approve(&app, &idp, &flow, token).await;
    assert_eq!(refusal_of(&late), "invalid_state");
    assert_eq!(counts(&app).await, (1, 1));
}

#[tokio::test]
async fn google_down_is_a_clear_503_and_signs_nobody_in() {
    let idp = FakeIdp::start().await;
    let app = spawn_google_app(&idp).await;
    let flow = start(&app).await;
    let token = keys::rs256(&id_claims(&flow, "4", "down@example.com"), Some("rsa-1"));
    idp.set_down(true);
    let response = approve(&app, &idp, &flow, token).await;
    assert!(refresh_cookie(response.headers()).is_none());
    assert_problem(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "identity_provider_unavailable",
    )
    .await;
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn without_google_set_up_nothing_starts() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/auth/google/start").await;
    assert_problem(
        response,
        StatusCode::NOT_FOUND,
        "sign_in_method_unavailable",
    )
    .await;
    let user = app.signed_up_user("nogoogle@example.com").await;
    let response = app
        .post_authed(
            "/api/v1/me/sign-in-methods/google",
            &user.access_token,
            &json!({}),
        )
        .await;
    assert_problem(
        response,
        StatusCode::NOT_FOUND,
        "sign_in_method_unavailable",
    )
    .await;
    // The unlink route beside it still answers DELETE.
    let response = app
        .client
        .delete(app.url("/api/v1/me/sign-in-methods/google"))
        .bearer_auth(&user.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
