//! Response pieces several routes share: the user, balance and ledger entry views, the
//! session response with its refresh cookie, and the request's origin for the audit log.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use penora_api_types::{AuthResponse, Balance, RoleView, Transaction, User};
use penora_store::users::UserRow;

use crate::error::ApiError;
use crate::http::client_ip::client_ip;
use penora_app::audit::Origin;
use penora_app::credits::{Funds, LedgerEntry};
use penora_app::idempotency::{Idem, Outcome};
use penora_app::sessions::Session;
use penora_app::AppState;

pub const REFRESH_COOKIE: &str = "penora_refresh";
/// The cookie goes only to the auth endpoints, never to the rest of the API.
pub const REFRESH_COOKIE_PATH: &str = "/api/v1/auth";
/// A cookie scripts may read, set and cleared beside the refresh cookie: it says only that
/// a session may be there, so the browser app asks to restore one only then.
pub const SIGNED_IN_HINT_COOKIE: &str = "penora_signed_in";

pub fn user_view(row: &UserRow) -> User {
    User {
        id: row.id,
        email: row.email.clone(),
        display_name: row.display_name.clone(),
        role: if row.role.is_admin() {
            RoleView::Admin
        } else {
            RoleView::User
        },
        email_verified: row.email_verified_at.is_some(),
        created_at: row.created_at,
    }
}

pub fn balance_view(funds: Funds) -> Balance {
    Balance {
        balance_mc: funds.balance_mc,
        reserved_mc: funds.reserved_mc,
        available_mc: funds.available_mc(),
    }
}

/// The balance of the account `row` is.
pub fn balance_of(row: &UserRow) -> Balance {
    balance_view(Funds::of(row))
}

pub fn transaction_view(entry: LedgerEntry) -> Transaction {
    Transaction {
        id: entry.id,
        kind: entry.kind,
        amount_mc: entry.amount_mc,
        balance_after_mc: entry.balance_after_mc,
        reference: entry.reference,
        related_entry_id: entry.related_entry_id,
        model: entry.model,
        words: entry.words,
        description: entry.description,
        created_at: entry.created_at,
    }
}

pub fn origin(req: &HttpRequest, state: &AppState) -> Origin {
    Origin::client(client_ip(req, &state.config.settings.trusted_proxies))
}

/// The session as JSON, with the refresh token set as an httpOnly, SameSite=Strict cookie.
pub fn session_response(status: StatusCode, state: &AppState, session: Session) -> HttpResponse {
    let [refresh, hint] = session_cookies(state, session.refresh_token);
    HttpResponse::build(status)
        .cookie(refresh)
        .cookie(hint)
        .json(AuthResponse {
            user: user_view(&session.user),
            access_token: session.access_token,
            token_type: "Bearer".to_owned(),
            expires_in: session.expires_in,
        })
}

/// The session's refresh token as its httpOnly, SameSite=Strict cookie (a browser that
/// arrives by a redirect takes its session from it: `POST /api/v1/auth/refresh`), and the
/// signed-in hint beside it, for as long.
pub fn session_cookies(state: &AppState, refresh_token: String) -> [Cookie<'static>; 2] {
    let max_age = CookieDuration::days(i64::from(state.config.settings.refresh_token_ttl_days));
    [
        refresh_cookie(state, refresh_token, max_age),
        hint_cookie(state, "1", max_age),
    ]
}

/// A response that also deletes the refresh cookie and the hint.
pub fn signed_out(state: &AppState) -> HttpResponse {
    HttpResponse::NoContent()
        .cookie(refresh_cookie(state, String::new(), CookieDuration::ZERO))
        .cookie(hint_cookie(state, "", CookieDuration::ZERO))
        .finish()
}

/// Readable by the app's pages (path `/`, not httpOnly); Lax, so a page reached by a link
/// from another site still sees it. It holds nothing secret.
fn hint_cookie(state: &AppState, value: &'static str, max_age: CookieDuration) -> Cookie<'static> {
    Cookie::build(SIGNED_IN_HINT_COOKIE, value)
        .path("/")
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .max_age(max_age)
        .finish()
}

fn refresh_cookie(state: &AppState, value: String, max_age: CookieDuration) -> Cookie<'static> {
    Cookie::build(REFRESH_COOKIE, value)
        .path(REFRESH_COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.secure_cookies())
        .max_age(max_age)
        .finish()
}

pub fn refresh_token_of(req: &HttpRequest) -> Option<String> {
    req.cookie(REFRESH_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// The request's `Idempotency-Key`, fingerprinted with its method, path and body.
pub fn idem(
    req: &HttpRequest,
    scope: String,
    body: &impl serde::Serialize,
) -> Result<Idem, ApiError> {
    let raw = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok());
    let body = serde_json::to_value(body).map_err(ApiError::internal)?;
    Ok(Idem::new(
        scope,
        raw,
        req.method().as_str(),
        req.path(),
        &body,
    )?)
}

/// An idempotent result; a replay says so in `Idempotent-Replayed: true`.
pub fn replayable<T: serde::Serialize>(outcome: Outcome<T>) -> HttpResponse {
    let status = StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    if outcome.replayed {
        response.insert_header(("idempotent-replayed", "true"));
    }
    response.json(outcome.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    // An adjustment's stored response replays for as long as its key is kept, whichever of
    // the two forms wrote it: the domain result and the response must stay one JSON shape.
    #[test]
    fn ledger_entries_are_stored_in_the_shape_they_are_answered_in() {
        let entry = LedgerEntry {
            id: uuid::Uuid::new_v4(),
            kind: "admin_adjustment".to_owned(),
            amount_mc: 2500,
            balance_after_mc: 52_500,
            reference: "admin_adjustment:admin:k".to_owned(),
            related_entry_id: None,
            model: None,
            words: Some(3),
            description: Some("goodwill".to_owned()),
            created_at: chrono::Utc::now(),
        };
        let stored = serde_json::to_value(&entry).unwrap();
        assert_eq!(
            serde_json::to_value(transaction_view(entry)).unwrap(),
            stored
        );
    }
}
