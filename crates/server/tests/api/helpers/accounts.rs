//! Accounts: signing up and in, sessions and their refresh cookie, admins, app keys,
//! mailed links.

use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{assert_problem, TestApp, PASSWORD};

impl TestApp {
    pub async fn signup(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/signup",
            &json!({ "email": email, "password": password }),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/login",
            &json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Signs up a fresh user; returns (access token, refresh cookie value).
    pub async fn signed_up_user(&self, email: &str) -> Session {
        let response = self.signup(email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        Session::from_response(response).await
    }

    /// Signs up a fresh user and confirms the address with the mailed link.
    pub async fn verified_user(&self, email: &str) -> Session {
        let session = self.signed_up_user(email).await;
        let token = self.mailed_token(email);
        let verified = self
            .post_json("/api/v1/auth/verify-email", &json!({ "token": token }))
            .await;
        assert_eq!(verified.status(), StatusCode::OK);
        session
    }

    /// Presents a refresh token the way a browser would: as the cookie.
    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.client
            .post(self.url("/api/v1/auth/refresh"))
            .header("cookie", format!("penora_refresh={refresh_token}"))
            .send()
            .await
            .expect("request")
    }

    /// The mails written to the development outbox, oldest first.
    pub fn outbox(&self) -> Vec<Value> {
        let dir = self.data_dir.join("outbox");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        paths.sort();
        paths
            .iter()
            .map(|p| {
                serde_json::from_slice(&std::fs::read(p).expect("mail file")).expect("mail json")
            })
            .collect()
    }

    /// The token in the newest mailed link sent to `to`.
    pub fn mailed_token(&self, to: &str) -> String {
        let mail = self
            .outbox()
            .into_iter()
            .rev()
            .find(|m| m["to"] == to)
            .expect("a mail to the address");
        let link = mail["link"].as_str().expect("link");
        link.split("token=")
            .nth(1)
            .expect("token in link")
            .to_owned()
    }
}

pub struct Session {
    pub body: Value,
    pub access_token: String,
    pub refresh_token: String,
}

impl Session {
    pub async fn from_response(response: Response) -> Self {
        let refresh_token = refresh_cookie(response.headers()).expect("refresh cookie");
        let body: Value = response.json().await.expect("json");
        let access_token = body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned();
        Self {
            body,
            access_token,
            refresh_token,
        }
    }
}

/// The refresh token from a `Set-Cookie` header, if one was set (and not cleared).
pub fn refresh_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("penora_refresh="))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
        .filter(|v| !v.is_empty())
}
impl TestApp {
    /// A signed-in admin (the role is read from the database on every request).
    pub async fn admin(&self, email: &str) -> Session {
        let session = self.signed_up_user(email).await;
        let email = penora_domain::Email::parse(email).expect("email");
        penora_store::users::set_role(&self.db, &email, penora_domain::Role::Admin)
            .await
            .expect("grant admin");
        session
    }

    /// An app key with these scopes, issued by a fresh admin.
    pub async fn app_key(&self, scopes: &[&str]) -> String {
        let admin = self
            .admin(&format!("admin-{}@example.com", Uuid::new_v4().simple()))
            .await;
        let response = self
            .post_authed(
                "/api/v1/admin/app-keys",
                &admin.access_token,
                &json!({ "name": "imagegene", "scopes": scopes }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.expect("json");
        body["secret"].as_str().expect("secret").to_owned()
    }

    /// Asserts that a session no longer works: neither its access token nor its refresh token.
    pub async fn assert_session_ended(&self, session: &Session) {
        let me = self.get_authed("/api/v1/me", &session.access_token).await;
        assert_problem(me, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let refresh = self.refresh(&session.refresh_token).await;
        assert_problem(refresh, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    }

    /// An app debit of `amount_mc` from `user` under Idempotency-Key `key_id`.
    pub async fn debit(&self, app_key: &str, user: &str, key_id: &str, amount_mc: i64) -> Response {
        let path = format!("/api/v1/apps/users/{user}/debits");
        self.post_idem(&path, app_key, key_id, &json!({ "amount_mc": amount_mc }))
            .await
    }

    pub async fn user_id(&self, session: &Session) -> String {
        session.body["user"]["id"].as_str().expect("id").to_owned()
    }

    /// Creates a project; returns its JSON (asserting 201).
    pub async fn create_project(&self, token: &str, body: &Value) -> Value {
        let response = self.post_authed("/api/v1/projects", token, body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "create project");
        response.json().await.expect("project json")
    }
}
