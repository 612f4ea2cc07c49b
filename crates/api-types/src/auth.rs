//! Accounts, sessions and the signed-in user.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignupRequest {
    #[cfg_attr(feature = "openapi", schema(example = "ada@example.com"))]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 254, pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    )]
    pub email: String,
    /// At least 10 characters, letters mixed with a digit, space or symbol.
    #[cfg_attr(feature = "openapi", schema(example = "correct horse 7"))]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 10,
            max_length = 128,
            pattern = r"^(?=.*[A-Za-z])(?=.*[0-9 !-/:-@\[-`{-~])[^\x00-\x1f\x7f]+$"
        )
    )]
    pub password: String,
    /// Defaults to the email's local part.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 80,
            pattern = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
        )
    )]
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    #[cfg_attr(feature = "openapi", schema(example = "ada@example.com"))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(example = "correct horse 7"))]
    pub password: String,
}

/// A signed-in session. The refresh token travels only in an httpOnly cookie (with the
/// `penora_signed_in=1` hint beside it, which scripts may read).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthResponse {
    pub user: User,
    /// A JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoleView {
    User,
    Admin,
}

/// An account as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: RoleView,
    pub email_verified: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 80,
            pattern = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
        )
    )]
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePasswordRequest {
    pub current_password: String,
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 10,
            max_length = 128,
            pattern = r"^(?=.*[A-Za-z])(?=.*[0-9 !-/:-@\[-`{-~])[^\x00-\x1f\x7f]+$"
        )
    )]
    pub new_password: String,
    /// Also revoke every personal API key (default false).
    #[serde(default)]
    pub revoke_api_keys: bool,
}

/// Signing out everywhere; the body is optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogoutAllRequest {
    /// Also revoke every personal API key (default false).
    #[serde(default)]
    pub revoke_api_keys: bool,
}

/// Deleting an account needs the password again; an account without a password (made by
/// single sign-on or Google) sends none and needs a recent sign-in instead.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeleteMeRequest {
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyEmailRequest {
    pub token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForgotPasswordRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 254, pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    )]
    pub email: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetPasswordRequest {
    pub token: String,
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 10,
            max_length = 128,
            pattern = r"^(?=.*[A-Za-z])(?=.*[0-9 !-/:-@\[-`{-~])[^\x00-\x1f\x7f]+$"
        )
    )]
    pub new_password: String,
}

/// A plain acknowledgement for requests with nothing else to return.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ack {
    pub message: String,
}

/// The sign-in methods this server offers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInProviders {
    /// Email and password.
    pub password: bool,
    /// Single sign-on from the main site (SukuSuku).
    pub sso: bool,
    /// "Sign in with Google".
    pub google: bool,
}

/// A way into an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignInMethodName {
    Password,
    /// Single sign-on from the main site.
    Sukusuku,
    Google,
}

impl SignInMethodName {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInMethodName::Password => "password",
            SignInMethodName::Sukusuku => "sukusuku",
            SignInMethodName::Google => "google",
        }
    }
}

/// One of the account's sign-in methods. The password has only `method`; a linked identity
/// has the rest too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInMethodView {
    pub method: SignInMethodName,
    /// The user's id at the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The address the provider gave when it was linked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The account's sign-in methods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInMethods {
    /// The password first (when set), then linked identities, oldest link first.
    pub methods: Vec<SignInMethodView>,
    pub has_password: bool,
    /// Until when this session may set a first password or delete an account without one
    /// (5 minutes after its sign-in); `null` when it must sign in again first.
    pub recent_sign_in_until: Option<DateTime<Utc>>,
}

/// A first password for an account that has none.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetPasswordRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 10,
            max_length = 128,
            pattern = r"^(?=.*[A-Za-z])(?=.*[0-9 !-/:-@\[-`{-~])[^\x00-\x1f\x7f]+$"
        )
    )]
    pub new_password: String,
}

/// Where to send the browser to link a Google account (`POST /me/sign-in-methods/google`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkStart {
    /// Google's consent page for this account; it comes back to
    /// `/account?linked=google` (or `/account?error=<code>`).
    pub url: String,
}
