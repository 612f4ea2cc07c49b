//! The JSON shapes of Penora's HTTP API, shared by the server and the browser app.
//!
//! Builds for wasm32. The `openapi` feature adds utoipa schema derives for the server only.

pub mod auth;
pub mod error;
pub mod health;

pub use auth::*;
pub use error::{ErrorCode, FieldProblem, Problem};
pub use health::*;
