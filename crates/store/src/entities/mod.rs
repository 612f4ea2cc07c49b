//! sea-orm entities, one per table. Queries live in the modules beside `entities`.

pub mod audit_log;
pub mod email_token;
pub mod refresh_token;
pub mod user;
