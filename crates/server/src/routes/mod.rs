//! HTTP routes, one module per resource. Handlers parse and authenticate, call one service
//! function and shape the response; the rules live in `services` and `penora-domain`.

pub mod admin;
pub mod admin_payments;
pub mod api_keys;
pub mod apps;
pub mod auth;
pub mod billing;
pub mod billing_sandbox;
pub mod credits;
pub(crate) mod generation_events;
pub mod generations;
pub mod health;
pub mod me;
pub mod openai;
pub(crate) mod pagination;
pub mod projects;
pub mod provider_keys;
mod responses;
pub mod sign_in;
pub(crate) mod sse;
pub mod stories;

use actix_web::web;

/// Mounts every API route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(auth::configure)
            .configure(me::configure)
            .configure(credits::configure)
            .configure(api_keys::configure)
            .configure(provider_keys::configure)
            .configure(apps::configure)
            .configure(projects::configure)
            .configure(generations::configure)
            .configure(stories::configure)
            .configure(billing::configure)
            .configure(billing_sandbox::configure)
            .configure(admin::configure),
    )
    .configure(openai::configure)
    .configure(health::configure);
}

/// Used by handlers to collect field errors from several parses.
pub(crate) fn validated<T>(
    errors: penora_domain::FieldErrors,
    value: Option<T>,
) -> Result<T, crate::error::ApiError> {
    match (errors.finish(), value) {
        (Ok(()), Some(value)) => Ok(value),
        (Err(errors), _) => Err(crate::error::ApiError::validation(errors)),
        (Ok(()), None) => Err(crate::error::ApiError::internal(anyhow::anyhow!(
            "value missing without an error"
        ))),
    }
}
