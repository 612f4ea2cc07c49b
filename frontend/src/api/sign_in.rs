//! Sign-in methods: what the server offers, and the account's own methods (listing,
//! unlinking, linking Google, a first password, deleting an account without one).

use gloo_net::http::Request;
use penora_api_types::{AuthResponse, SignInMethods, SignInProviders};

use super::{fetch_json, json, read, ApiError, Method};
use crate::session::Session;

/// The sign-in methods this server offers (public).
pub async fn providers() -> Result<SignInProviders, ApiError> {
    let request = Request::get("/api/v1/auth/providers");
    read(request.send().await.map_err(ApiError::network)?).await
}

pub async fn sign_in_methods(session: Session) -> Result<SignInMethods, ApiError> {
    let path = "/api/v1/me/sign-in-methods".to_owned();
    fetch_json(session, Method::Get, path, None, None).await
}

/// Unlinks `method` (`sukusuku` or `google`).
pub async fn unlink_method(session: Session, method: &'static str) -> Result<(), ApiError> {
    let path = format!("/api/v1/me/sign-in-methods/{method}");
    fetch_json(session, Method::Delete, path, None, None).await
}

/// Starts linking a Google account: the URL of Google's consent page to go to.
pub async fn link_google(session: Session) -> Result<String, ApiError> {
    let path = "/api/v1/me/sign-in-methods/google".to_owned();
    let body = Some(serde_json::json!({}));
    let answer: serde_json::Value = fetch_json(session, Method::Post, path, None, body).await?;
    answer["url"].as_str().map(str::to_owned).ok_or_else(|| {
        ApiError::local(
            "Unexpected answer",
            "The server gave no Google address.".into(),
        )
    })
}

/// Sets the first password of an account without one; the answer is a fresh session.
pub async fn set_first_password(
    session: Session,
    new_password: String,
) -> Result<AuthResponse, ApiError> {
    let path = "/api/v1/me/password".to_owned();
    let body = json(&penora_api_types::SetPasswordRequest { new_password });
    fetch_json(session, Method::Put, path, None, body).await
}

/// Deletes the account; `password` is `None` for an account without one.
pub async fn delete_account(session: Session, password: Option<String>) -> Result<(), ApiError> {
    let path = "/api/v1/me".to_owned();
    let body = json(&penora_api_types::DeleteMeRequest { password });
    fetch_json(session, Method::Delete, path, None, body).await
}
