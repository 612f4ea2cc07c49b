//! Integration tests: each starts the real server on a free port with a fresh database
//! (SQLite by default, PostgreSQL when `PENORA_TEST_DATABASE_URL` is set) and speaks HTTP.

mod accounts;
mod errors;
mod helpers;
mod mail_flows;
mod operations;
mod sessions;
