//! Penora's services: the business operations (use cases) behind the HTTP API. Each opens the
//! transactions it needs over the store, calls the AI providers and the exporter, and returns
//! a domain result or a `thiserror` error. Nothing here knows about HTTP: `penora-server`
//! parses requests, calls one operation and renders its result.

pub mod accounts;
pub mod admin;
pub mod api_keys;
pub mod apps;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod catalog;
pub mod config;
pub mod context;
pub mod credits;
pub mod crypto;
pub mod export_cache;
pub mod exports;
pub mod generations;
pub mod holds;
pub mod idempotency;
pub mod limits;
pub mod mailer;
pub mod metrics;
pub mod notices;
pub mod projects;
pub mod prompts;
pub mod provider_keys;
pub mod reachability;
pub mod request_id;
pub mod sessions;
pub mod share_lookups;
pub mod shares;
pub mod shutdown;
pub mod sign_in;
pub mod spans;
pub mod stories;
pub mod story_runs;
pub mod streams;

pub use context::{AppState, Shared};
