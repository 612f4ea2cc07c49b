//! Authentication: the extractors that turn a request into a known caller. The credentials
//! themselves (password hashes, access tokens, opaque tokens) are `penora_app::auth`.

pub mod extractor;
pub mod scoped;

pub use extractor::{AdminUser, AppClient, AuthUser, Caller, SessionUser, Via};
pub use scoped::{
    App, CreditsRead, CreditsWrite, Generate, ProjectsRead, Read, Scoped, ScopedCaller,
    StorageWrite, UsersRead, Write,
};
