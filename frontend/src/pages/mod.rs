//! One module per page (or small family of pages).

pub mod account;
pub mod auth_forms;
pub mod editor;
pub mod email_links;
pub mod home;
pub mod shared;
pub mod workspace;
pub mod write;
