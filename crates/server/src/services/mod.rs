//! Business operations. Each is a plain async function over the shared state: it opens the
//! transactions it needs and returns a `thiserror` error; no HTTP types here.

pub mod accounts;
pub mod admin;
pub mod api_keys;
pub mod apps;
pub mod audit;
pub mod credits;
pub mod export_cache;
pub mod exports;
pub mod generations;
pub mod holds;
pub mod idempotency;
pub mod limits;
pub mod projects;
pub mod provider_keys;
pub mod sessions;
pub mod share_lookups;
pub mod shares;
pub mod stories;
pub mod story_runs;
pub mod streams;
