//! Every call to the Penora API. Same-origin, so the refresh cookie travels by itself; the
//! access token is sent as a Bearer header and refreshed once when it has expired.

use gloo_net::http::{Request, RequestBuilder, Response};
use penora_api_types::{
    AuthResponse, Balance, ErrorCode, FieldProblem, LoginRequest, Problem, SignupRequest, User,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::session::Session;

mod account;
mod admin;
mod billing;
mod exports;
mod generation;
mod provider_keys;
mod sign_in;
mod stories;
mod workspace;
mod writer;

pub use account::{
    api_keys, change_password, create_api_key, rename, revoke_api_key, transactions, usage,
};
pub use admin::{
    adjust_balance, admin_payments, admin_user, admin_users, app_keys, audit_log, create_app_key,
    query, refund_payment, revoke_app_key,
};
pub use billing::{
    cancel_plan, catalog, create_order, current_plan, download_receipt, payments, subscribe,
    verify_order, verify_subscription,
};
pub use exports::download_export;
pub use generation::{
    cancel_generation, generate, generate_chapter, generate_outline, save_generation, write_story,
};
pub use provider_keys::{delete_provider_key, provider_keys, set_provider_key};
pub use sign_in::{
    delete_account, link_google, providers, set_first_password, sign_in_methods, unlink_method,
};
pub use stories::{create_story, story, update_story};
pub use workspace::{
    create_project, delete_project, project, projects, share, shared, storage, unshare,
    update_project,
};
pub use writer::{estimate, generation, models, my_models};

/// A failed call: the server's problem document when it sent one.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub problem: Option<Problem>,
}

impl ApiError {
    fn network(_: gloo_net::Error) -> Self {
        Self::local(
            "Network error",
            "Penora could not be reached. Check your connection and try again.".to_owned(),
        )
    }

    /// The browser gave no answer to a refresh (its lock could not be taken).
    pub(crate) fn refresh_failed() -> Self {
        Self::local(
            "Session not restored",
            "The session could not be refreshed; try again.".into(),
        )
    }

    /// A failure on this side of the wire: no answer, one that could not be read, or a
    /// request this page would not send.
    pub(crate) fn local(title: &str, detail: String) -> Self {
        Self {
            status: 0,
            problem: Some(Problem {
                type_uri: String::new(),
                title: title.into(),
                status: 0,
                detail,
                code: ErrorCode::ServiceUnavailable,
                errors: Vec::new(),
                request_id: None,
                extra: None,
            }),
        }
    }

    /// A sentence to show people.
    pub fn message(&self) -> String {
        match &self.problem {
            Some(p) if p.errors.is_empty() => p.detail.clone(),
            Some(p) => p
                .errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" "),
            None => format!("The server answered {}.", self.status),
        }
    }

    pub fn field(&self, name: &str) -> Option<FieldProblem> {
        self.problem
            .as_ref()?
            .errors
            .iter()
            .find(|e| e.field == name)
            .cloned()
    }

    pub fn code(&self) -> Option<ErrorCode> {
        self.problem.as_ref().map(|p| p.code)
    }
}

async fn read<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if response.ok() {
        response.json::<T>().await.map_err(ApiError::network)
    } else {
        let status = response.status();
        Err(ApiError {
            status,
            problem: response.json::<Problem>().await.ok(),
        })
    }
}

async fn read_empty(response: Response) -> Result<(), ApiError> {
    if response.ok() {
        Ok(())
    } else {
        let status = response.status();
        Err(ApiError {
            status,
            problem: response.json::<Problem>().await.ok(),
        })
    }
}

fn with_token(builder: RequestBuilder, token: Option<&str>) -> RequestBuilder {
    match token {
        Some(token) => builder.header("Authorization", &format!("Bearer {token}")),
        None => builder,
    }
}

async fn send_json<B: Serialize>(builder: RequestBuilder, body: &B) -> Result<Response, ApiError> {
    builder
        .json(body)
        .map_err(ApiError::network)?
        .send()
        .await
        .map_err(ApiError::network)
}

pub async fn signup(body: &SignupRequest) -> Result<AuthResponse, ApiError> {
    read(send_json(Request::post("/api/v1/auth/signup"), body).await?).await
}

pub async fn login(body: &LoginRequest) -> Result<AuthResponse, ApiError> {
    read(send_json(Request::post("/api/v1/auth/login"), body).await?).await
}

/// Uses the httpOnly refresh cookie; fails when there is no live session. One request at a
/// time across this tab and the others ([`crate::refresh`]).
pub async fn refresh() -> Result<AuthResponse, ApiError> {
    crate::refresh::single_flight(refresh_request).await
}

async fn refresh_request() -> Result<AuthResponse, ApiError> {
    read(
        Request::post("/api/v1/auth/refresh")
            .send()
            .await
            .map_err(ApiError::network)?,
    )
    .await
}

pub async fn logout() -> Result<(), ApiError> {
    read_empty(
        Request::post("/api/v1/auth/logout")
            .send()
            .await
            .map_err(ApiError::network)?,
    )
    .await
}

pub async fn post_public<B: Serialize>(path: &str, body: &B) -> Result<(), ApiError> {
    read_empty(send_json(Request::post(path), body).await?).await
}

/// Runs an authenticated call; on `token_expired` refreshes the session once and retries.
async fn authed<T, F, Fut>(session: Session, call: F) -> Result<T, ApiError>
where
    F: Fn(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    match call(session.token()).await {
        Err(err) if err.code() == Some(ErrorCode::TokenExpired) => {
            let fresh = match refresh().await {
                Ok(fresh) => fresh,
                Err(err) => {
                    // Signed out elsewhere, or the sign-in lapsed: sign in again.
                    if err.status == 401 {
                        crate::session::forget_hint();
                        session.expire();
                    }
                    return Err(err);
                }
            };
            session.sign_in(fresh);
            call(session.token()).await
        }
        other => other,
    }
}

pub async fn me(session: Session) -> Result<User, ApiError> {
    authed(session, |token| async move {
        let request = with_token(Request::get("/api/v1/me"), token.as_deref());
        read(request.send().await.map_err(ApiError::network)?).await
    })
    .await
}

pub async fn balance(session: Session) -> Result<Balance, ApiError> {
    authed(session, |token| async move {
        let request = with_token(Request::get("/api/v1/credits/balance"), token.as_deref());
        read(request.send().await.map_err(ApiError::network)?).await
    })
    .await
}

pub async fn post_authed<B: Serialize + Clone>(
    session: Session,
    path: &'static str,
    body: B,
) -> Result<(), ApiError> {
    authed(session, move |token| {
        let body = body.clone();
        async move {
            let request = with_token(Request::post(path), token.as_deref());
            read_empty(send_json(request, &body).await?).await
        }
    })
    .await
}

/// The HTTP methods of [`fetch_json`].
#[derive(Clone, Copy)]
pub enum Method {
    Get,
    Post,
    Patch,
    Put,
    Delete,
}

/// Aborts its request when dropped: a page that goes away drops its pending reads (their
/// resources are disposed), and the browser stops the download. Aborting a request that has
/// already answered does nothing.
struct AbortOnDrop(Option<web_sys::AbortController>);

impl AbortOnDrop {
    fn new() -> Self {
        Self(web_sys::AbortController::new().ok())
    }

    fn signal(&self) -> Option<web_sys::AbortSignal> {
        self.0.as_ref().map(web_sys::AbortController::signal)
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(controller) = &self.0 {
            controller.abort();
        }
    }
}

/// One authenticated JSON call: optional `If-Match` and JSON body; `T` is `()` for 204s.
/// Refreshes the session once on an expired token, and aborts the request when the future is
/// dropped before it answers.
pub async fn fetch_json<T: DeserializeOwned + 'static>(
    session: Session,
    method: Method,
    path: String,
    if_match: Option<i64>,
    body: Option<serde_json::Value>,
) -> Result<T, ApiError> {
    authed(session, move |token| {
        let (path, body) = (path.clone(), body.clone());
        async move {
            let abort = AbortOnDrop::new();
            let builder = match method {
                Method::Get => Request::get(&path),
                Method::Post => Request::post(&path),
                Method::Patch => Request::patch(&path),
                Method::Put => Request::put(&path),
                Method::Delete => Request::delete(&path),
            };
            let mut builder =
                with_token(builder, token.as_deref()).abort_signal(abort.signal().as_ref());
            if let Some(version) = if_match {
                builder = builder.header("If-Match", &format!("\"{version}\""));
            }
            let response = match body {
                Some(body) => send_json(builder, &body).await?,
                None => builder.send().await.map_err(ApiError::network)?,
            };
            if response.status() == 204 {
                // `()` deserializes from JSON null.
                return serde_json::from_value(serde_json::Value::Null).map_err(|_| ApiError {
                    status: 204,
                    problem: None,
                });
            }
            read(response).await
        }
    })
    .await
}

/// A signed-in read of `path` ([`fetch_json`] with GET).
pub async fn get<T: DeserializeOwned + 'static>(
    session: Session,
    path: String,
) -> Result<T, ApiError> {
    fetch_json(session, Method::Get, path, None, None).await
}

/// A signed-in write of `body` to `path` ([`fetch_json`] without `If-Match`).
pub async fn send<T: DeserializeOwned + 'static, B: Serialize>(
    session: Session,
    method: Method,
    path: String,
    body: &B,
) -> Result<T, ApiError> {
    fetch_json(session, method, path, None, json(body)).await
}

fn json<T: Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}
