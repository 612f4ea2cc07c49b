//! One module per page (or small family of pages).

pub mod account;
pub mod admin;
pub mod auth_forms;
pub mod editor;
pub mod email_links;
pub mod home;
pub mod new_story;
pub mod provider_keys;
pub mod run;
pub mod shared;
pub mod sign_in_methods;
pub mod sso;
pub mod story;
pub mod workspace;
pub mod write;
