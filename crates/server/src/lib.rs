//! The Penora server: configuration, the actix application, services and the CLI's pieces.

pub mod auth;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod error;
pub mod http;
pub mod jobs;
pub mod mailer;
pub mod openapi;
pub mod prompts;
pub mod rate_limit;
pub mod routes;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
