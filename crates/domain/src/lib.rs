//! Penora's business rules. Pure: no I/O, no clocks, no randomness beyond id generation.
//!
//! Values that cross a trust boundary are parsed into these types once (parse, don't
//! validate); code behind the HTTP layer receives only values that are already valid.

pub mod display_name;
pub mod email;
pub mod ids;
pub mod password;
pub mod role;
pub mod validation;

pub use display_name::DisplayName;
pub use email::Email;
pub use ids::UserId;
pub use password::Password;
pub use role::Role;
pub use validation::{FieldError, FieldErrors};
