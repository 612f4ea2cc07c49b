//! Cross-cutting HTTP plumbing: request ids, metrics, error shapes for extractor failures,
//! client IPs, security headers and the catch-all responses.

pub mod assets;
pub mod client_ip;
pub mod extract_errors;
pub mod fallback;
pub mod metrics;
pub mod observe;
pub mod openai_errors;
pub mod security;
