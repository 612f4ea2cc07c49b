//! One module per page (or small family of pages).

pub mod account;
pub mod admin;
pub mod auth_forms;
pub mod billing;
pub mod email_links;
pub mod home;
pub mod new_story;
pub mod pager;
pub mod run;
pub mod shared;
pub mod sso;
pub mod story;
pub mod story_cost;
pub mod table;
pub mod welcome;
pub mod workspace;
pub mod writer;
