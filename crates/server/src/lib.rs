//! The Penora server: HTTP only. The actix application (routes, extractors, middleware,
//! problem mapping, SSE framing), start-up, background jobs and the CLI's pieces; the
//! business operations it calls are `penora_app`.

pub mod auth;
pub mod cli;
pub mod error;
pub mod healthcheck;
pub mod http;
pub mod jobs;
pub mod openapi;
pub mod routes;
pub mod startup;
pub mod telemetry;
