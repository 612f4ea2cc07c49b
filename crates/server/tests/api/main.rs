//! Integration tests: each starts the real server on a free port with a fresh database
//! (SQLite by default, PostgreSQL when `PENORA_TEST_DATABASE_URL` is set) and speaks HTTP.

// A failed set-up step should stop the test loudly; that is what expect is for here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod account_deletion;
mod account_recovery;
mod accounts;
mod admin;
mod apps;
mod billing_units;
mod bounded_reads;
mod caps;
mod cli;
mod contract;
mod credits;
mod errors;
mod export_limits;
mod exports;
mod generation_faults;
mod generations;
mod helpers;
mod idempotent_races;
mod identity_limits;
mod input_billing;
mod invisible_names;
mod ledger_concurrency;
mod mail_flows;
mod mail_settings;
mod old_app_bugs;
mod openai_compat;
mod openai_params;
mod operations;
mod provider_keys;
mod refresh_grace;
mod scopes;
mod security_headers;
mod sessions;
mod shares;
mod stories;
mod stream_liveness;
mod streams;
mod upstream_error_text;
mod workspace;
