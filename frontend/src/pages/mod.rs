//! One module per page (or small family of pages).

pub mod account;
pub mod account_area;
pub mod admin;
pub mod api_keys;
pub mod auth_forms;
pub mod billing;
pub mod delete_account;
pub mod email_links;
pub mod history;
pub mod home;
pub mod new_story;
pub mod profile;
pub mod provider_keys;
pub mod run;
pub mod shared;
pub mod sign_in_methods;
pub mod sso;
pub mod story;
pub mod story_cost;
pub mod usage_chart;
pub mod welcome;
pub mod workspace;
pub mod writer;
