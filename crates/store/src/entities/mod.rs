//! sea-orm entities, one per table. Queries live in the modules beside `entities`.

pub mod api_key;
pub mod audit_log;
pub mod email_token;
pub mod generation;
pub mod hold;
pub mod idempotency_key;
pub mod ledger_entry;
pub mod project;
pub mod provider_key;
pub mod rate_limit_hit;
pub mod refresh_token;
pub mod story;
pub mod user;
pub mod welcome_grant;
