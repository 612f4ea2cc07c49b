//! Credentials the services issue and check: password hashes, access tokens and opaque
//! random tokens. Turning a request into a caller is the server's job.

pub mod jwt;
pub mod opaque;
pub mod password;
