//! Penora's business rules. Pure: no I/O, no clocks, no randomness beyond id generation.
//!
//! Values that cross a trust boundary are parsed into these types once (parse, don't
//! validate); code behind the HTTP layer receives only values that are already valid.

pub mod billable;
pub mod billing;
pub mod chat;
pub mod client_ip;
pub mod credits;
pub mod display_name;
pub mod email;
pub mod generation;
pub mod hold;
pub mod identity;
pub mod ids;
pub mod ledger;
pub mod money;
pub mod name_text;
pub mod output;
pub mod password;
pub mod pricing;
pub mod project;
pub mod prompt;
pub mod role;
pub mod scope;
pub mod share_code;
pub mod story;
pub mod validation;
pub mod word_meter;
pub mod words;

pub use billable::{billable_words, billable_words_of, billable_words_of_all, TextLength};
pub use billing::{ItemKind, OrderStatus, PaymentStatus, Period, SubscriptionStatus};
pub use client_ip::ClientIp;
pub use credits::{Adjustment, Millicredits, PositiveAmount};
pub use display_name::DisplayName;
pub use email::Email;
pub use generation::{GenerationStatus, Length, Style, Tool, ToolRequest};
pub use hold::HoldState;
pub use identity::{ExternalSubject, Provider, SignInMethod};
pub use ids::{ApiKeyId, LedgerEntryId, ProjectId, UserId};
pub use ledger::EntryKind;
pub use money::{Currency, Money};
pub use name_text::{check_name_text, strip_name_text};
pub use output::clean_delta;
pub use password::Password;
pub use pricing::{cost_mc, input_cost_mc, BilledTo, Multiplier, Price};
pub use project::{
    Chapter, ChapterError, ProjectContent, ProjectKind, ProjectMeta, ProjectPatch, ProjectTitle,
};
pub use role::Role;
pub use scope::{AppScope, KeyKind, KeyScope, KeyScopes, Scope, UnknownScope};
pub use share_code::ShareCode;
pub use validation::{FieldError, FieldErrors};
pub use word_meter::WordMeter;
pub use words::count_words;
