//! `spawn_app()` and the `TestApp` helpers every test uses, one concern per file.

mod accounts;
mod billing;
mod checks;
mod requests;
mod sign_in;
mod spawn;
mod together;

pub use accounts::{refresh_cookie, Session};
pub use billing::{hmac_hex, TEST_KEY_SECRET, TEST_WEBHOOK_SECRET};
pub use checks::{assert_problem, content_type};
pub use sign_in::{
    location, refusal_of, spawn_sso_app, sso_claims, sso_token, SSO_ISSUER, SSO_SECRET,
};
pub use spawn::{spawn_app, spawn_app_on, spawn_app_with, EmptyDatabase, TestApp};
pub use together::{answers_grouped, statuses_together, StatusCounts};

pub const PASSWORD: &str = "correct horse 7";
pub const TEST_JWT_SECRET: &str = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
