//! Every call to the Penora API. Same-origin, so the refresh cookie travels by itself; the
//! access token is sent as a Bearer header and refreshed once when it has expired.

use gloo_net::http::{Request, RequestBuilder, Response};
use penora_api_types::{
    AuthResponse, Balance, ErrorCode, FieldProblem, LoginRequest, Problem, SignupRequest, User,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::session::Session;

/// A failed call: the server's problem document when it sent one.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub problem: Option<Problem>,
}

impl ApiError {
    fn network(err: gloo_net::Error) -> Self {
        Self {
            status: 0,
            problem: Some(Problem {
                type_uri: String::new(),
                title: "Network error".into(),
                status: 0,
                detail: format!("Could not reach Penora: {err}"),
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

/// Uses the httpOnly refresh cookie; fails when there is no live session.
pub async fn refresh() -> Result<AuthResponse, ApiError> {
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
            let fresh = refresh().await?;
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
