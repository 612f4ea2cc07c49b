//! The JSON shapes of Penora's HTTP API, shared by the server and the browser app.
//!
//! Builds for wasm32. The `openapi` feature adds utoipa schema derives for the server only.

pub mod admin;
pub mod apps;
pub mod auth;
pub mod billing;
pub mod credits;
pub mod error;
pub mod generation;
pub mod health;
pub mod keys;
pub mod openai;
pub mod story;
pub mod workspace;

pub use admin::*;
pub use apps::*;
pub use auth::*;
pub use billing::*;
pub use credits::*;
pub use error::{ErrorCode, FieldProblem, Problem};
pub use generation::*;
pub use health::*;
pub use keys::*;
pub use story::*;
pub use workspace::*;
