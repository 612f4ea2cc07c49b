//! Authentication: password hashing, access tokens, opaque tokens and the extractors that
//! turn a request into a known caller.

pub mod extractor;
pub mod jwt;
pub mod opaque;
pub mod password;
pub mod scoped;

pub use extractor::{AdminUser, AppClient, AuthUser, Caller, SessionUser, Via};
pub use scoped::{
    App, CreditsRead, CreditsWrite, Generate, ProjectsRead, Read, Scoped, ScopedCaller, UsersRead,
    Write,
};
