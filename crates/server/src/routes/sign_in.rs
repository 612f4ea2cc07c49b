//! Signing in through another site: the main site's single sign-on hand-off
//! (`/api/v1/auth/sso`) and which methods this server offers (`/api/v1/auth/providers`).
//! Browsers arrive here by navigation, so answers are redirects: to where the sign-in
//! returns to, with the refresh cookie, or to the app's `/sso` page with the refusal's code.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use penora_api_types::{LinkStart, SignInProviders};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::responses::{origin, session_cookies};
use crate::auth::SessionUser;
use crate::error::ApiError;
use penora_app::sessions::Session;
use penora_app::sign_in::google::{self, Done, Failed};
use penora_app::sign_in::{self, Refusal, SignInError};
use penora_app::AppState;

/// The main site's hand-off: its sign-in token and where to go afterwards.
#[derive(Debug, Deserialize, ToSchema, IntoParams)]
pub struct SsoHandOff {
    /// The signed token (see the README for its contract).
    pub token: Option<String>,
    /// A path of the app (`/write`) or a URL on an allowed origin; anything else goes to the
    /// app's home.
    pub return_to: Option<String>,
}

/// Arrive from the main site (the form post it sends the browser with).
///
/// Answers `303 See Other`: to `return_to` (or the app's home) with the refresh cookie set,
/// or to the app's `/sso?error=<code>` page when the token is refused (`invalid_token`,
/// `token_expired`, `token_not_yet_valid`, `token_too_old`, `wrong_issuer`, `wrong_audience`,
/// `unknown_key`, `token_replayed`, `missing_email`, `unverified_email`, `missing_token`,
/// `sso_not_configured`). Nothing is created on a refusal.
#[utoipa::path(post, path = "/api/v1/auth/sso", tag = "auth",
    request_body(content = SsoHandOff, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Signed in (refresh cookie set), or refused: see `Location`"),
        (status = 503, description = "`identity_provider_unavailable`: the main site's key set cannot be fetched; nothing was signed in"),
    ))]
#[tracing::instrument(name = "routes::sign_in::sso_form", skip_all)]
pub async fn sso_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<SsoHandOff>,
) -> Result<HttpResponse, ApiError> {
    sso(&state, &req, form.into_inner()).await
}

/// Arrive from the main site by a link (`?token=…&return_to=…`); the same as the form post.
/// Penora never logs a query string, and the deployment's nginx logs none either.
#[utoipa::path(get, path = "/api/v1/auth/sso", tag = "auth", params(SsoHandOff),
    responses(
        (status = 303, description = "Signed in (refresh cookie set), or refused: see `Location`"),
        (status = 503, description = "`identity_provider_unavailable`"),
    ))]
#[tracing::instrument(name = "routes::sign_in::sso_link", skip_all)]
pub async fn sso_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<SsoHandOff>,
) -> Result<HttpResponse, ApiError> {
    sso(&state, &req, query.into_inner()).await
}

/// A hand-off whose form cannot be read (too large, another content type) is a refused
/// token to the person whose browser carried it: the `/sso` page explains, not JSON.
pub fn sso_form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(16 * 1024)
        .error_handler(|err, req| {
            let page = "/sso?error=invalid_token";
            let location = req.app_data::<web::Data<AppState>>().map_or_else(
                || page.to_owned(),
                |state| state.sign_in.destinations.app_page(page),
            );
            actix_web::error::InternalError::from_response(err, see_other(location)).into()
        })
}

async fn sso(
    state: &AppState,
    req: &HttpRequest,
    hand_off: SsoHandOff,
) -> Result<HttpResponse, ApiError> {
    let destinations = &state.sign_in.destinations;
    let return_to = destinations.check(hand_off.return_to.as_deref());
    let token = hand_off.token.unwrap_or_default();
    let signed_in = sign_in::by_sso(state, &token, &origin(req, state)).await;
    arrived(state, signed_in.map(|(session, _)| session), || {
        destinations.or_home(return_to)
    })
}

/// The answer to a browser's arrival: signed in, or sent to the `/sso` page with the
/// refusal's code. An unreachable provider is a 503 (nothing to explain but "try again").
pub(super) fn arrived(
    state: &AppState,
    signed_in: Result<Session, SignInError>,
    destination: impl FnOnce() -> String,
) -> Result<HttpResponse, ApiError> {
    match signed_in {
        Ok(session) => {
            let [refresh, hint] = session_cookies(state, session.refresh_token);
            Ok(HttpResponse::SeeOther()
                .cookie(refresh)
                .cookie(hint)
                .insert_header((header::LOCATION, destination()))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish())
        }
        Err(SignInError::Refused(Refusal::ProviderUnavailable)) => {
            Err(Refusal::ProviderUnavailable.into())
        }
        Err(SignInError::Refused(refusal)) => {
            let page = format!("/sso?error={}", refusal.code());
            Ok(see_other(state.sign_in.destinations.app_page(&page)))
        }
        Err(err) => Err(err.into()),
    }
}

/// Where a Google sign-in returns to afterwards.
#[derive(Debug, Deserialize, IntoParams)]
pub struct GoogleStart {
    /// A path of the app (`/write`) or a URL on an allowed origin; anything else goes to the
    /// app's home.
    pub return_to: Option<String>,
}

/// Start "Sign in with Google": `303` to Google's consent page.
#[utoipa::path(get, path = "/api/v1/auth/google/start", tag = "auth", params(GoogleStart),
    responses(
        (status = 303, description = "To Google; it comes back to `/api/v1/auth/google/callback`"),
        (status = 404, description = "`sign_in_method_unavailable`: Google sign-in is not set up"),
    ))]
#[tracing::instrument(name = "routes::sign_in::google_start", skip_all)]
pub async fn google_start(
    state: web::Data<AppState>,
    query: web::Query<GoogleStart>,
) -> Result<HttpResponse, ApiError> {
    let return_to = state.sign_in.destinations.check(query.return_to.as_deref());
    let started = google::start_sign_in(&state, return_to.as_ref()).await?;
    let mut response = see_other(started.url);
    response
        .add_cookie(&flow_cookie(&state, started.binding, GOOGLE_FLOW_TTL))
        .map_err(ApiError::internal)?;
    Ok(response)
}

/// The cookie that binds a Google flow to the browser that started it.
const GOOGLE_FLOW_COOKIE: &str = "penora_google_flow";
const GOOGLE_FLOW_TTL: CookieDuration = CookieDuration::minutes(10);

/// Sent back to the callback only (`SameSite=Lax`: the return from Google is a cross-site
/// top-level navigation).
fn flow_cookie(state: &AppState, value: String, max_age: CookieDuration) -> Cookie<'static> {
    Cookie::build(GOOGLE_FLOW_COOKIE, value)
        .path("/api/v1/auth/google")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .max_age(max_age)
        .finish()
}

/// Google's answer to a flow.
#[derive(Debug, Deserialize, IntoParams)]
pub struct GoogleCallback {
    pub state: Option<String>,
    pub code: Option<String>,
    /// Set when the person declined or Google refused.
    pub error: Option<String>,
}

/// Where Google sends the browser back: `303` to where the sign-in returns (refresh cookie
/// set), or to the app's `/sso?error=<code>` (`invalid_state`, `wrong_nonce`,
/// `provider_refused`, `unverified_email`, `token_expired`, `wrong_audience`,
/// `unknown_key` ...). A link started from the account page returns to
/// `/account?linked=google` or `/account?error=<code>`.
#[utoipa::path(get, path = "/api/v1/auth/google/callback", tag = "auth", params(GoogleCallback),
    responses(
        (status = 303, description = "Signed in or linked, or refused: see `Location`"),
        (status = 503, description = "`identity_provider_unavailable`: Google's token endpoint or keys cannot be reached"),
    ))]
#[tracing::instrument(name = "routes::sign_in::google_callback", skip_all)]
pub async fn google_callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<GoogleCallback>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let flow_state = q.state.unwrap_or_default();
    let binding = req.cookie(GOOGLE_FLOW_COOKIE).map(|c| c.value().to_owned());
    let done = google::callback(
        &state,
        &flow_state,
        binding.as_deref(),
        q.code.as_deref(),
        q.error.as_deref(),
        &origin(&req, &state),
    )
    .await;
    let destinations = &state.sign_in.destinations;
    let answer = match done {
        Ok(Done::SignedIn { session, return_to }) => arrived(&state, Ok(*session), || {
            return_to.unwrap_or_else(|| destinations.or_home(None))
        }),
        Ok(Done::Linked) => Ok(see_other(destinations.app_page("/account?linked=google"))),
        Err(Failed {
            error: SignInError::Refused(refusal),
            linking: true,
        }) if refusal != Refusal::ProviderUnavailable => Ok(see_other(
            destinations.app_page(&format!("/account?error={}", refusal.code())),
        )),
        Err(Failed { error, .. }) => arrived(&state, Err(error), || destinations.or_home(None)),
    };
    // The flow is used up either way.
    let mut response = answer?;
    response
        .add_cookie(&flow_cookie(&state, String::new(), CookieDuration::ZERO))
        .map_err(ApiError::internal)?;
    Ok(response)
}

/// Link a Google account to this one: where to send the browser (session only).
#[utoipa::path(post, path = "/api/v1/me/sign-in-methods/google", tag = "account", security(("session" = [])),
    responses(
        (status = 200, description = "Go to `url`", body = LinkStart),
        (status = 401, description = "`unauthorized`"),
        (status = 403, description = "`session_required`"),
        (status = 404, description = "`sign_in_method_unavailable`: Google sign-in is not set up"),
    ))]
#[tracing::instrument(name = "routes::sign_in::link_google", skip_all, fields(user_id = %user.id))]
pub async fn link_google(
    state: web::Data<AppState>,
    SessionUser(user): SessionUser,
) -> Result<HttpResponse, ApiError> {
    let started = google::start_link(&state, user.id).await?;
    Ok(HttpResponse::Ok()
        .cookie(flow_cookie(&state, started.binding, GOOGLE_FLOW_TTL))
        .json(LinkStart { url: started.url }))
}

fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The sign-in methods this server offers (the app shows a button for each).
#[utoipa::path(get, path = "/api/v1/auth/providers", tag = "auth",
    responses((status = 200, description = "What is offered", body = SignInProviders)))]
pub async fn providers(state: web::Data<AppState>) -> web::Json<SignInProviders> {
    web::Json(SignInProviders {
        password: true,
        sso: state.sign_in.sso.is_some(),
        google: state.sign_in.google.is_some(),
    })
}
