//! sea-orm entities, one per table. Queries live in the modules beside `entities`.

pub mod api_key;
pub mod audit_log;
pub mod credit_debt;
pub mod email_token;
pub mod gateway_plan;
pub mod generation;
pub mod hold;
pub mod idempotency_key;
pub mod identity;
pub mod ledger_entry;
pub mod oauth_flow;
pub mod payment;
pub mod payment_order;
pub mod project;
pub mod provider_key;
pub mod rate_limit_hit;
pub mod refresh_token;
pub mod refund;
pub mod sandbox_delivery;
pub mod sandbox_object;
pub mod story;
pub mod subscription;
pub mod used_token;
pub mod user;
pub mod webhook_event;
pub mod welcome_grant;
