//! What an API key may do. A personal key acts as its user within its `Scope`s; an app key
//! acts for a sister app within its `AppScope`s. The names are the wire format (the
//! `scopes` of a key as created and listed).

use std::fmt;
use std::str::FromStr;

/// A personal API key's permission. Sessions hold every scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read projects, stories, generations, credits and the profile.
    Read,
    /// Change projects, stories, chapters, shares and the profile.
    Write,
    /// Start (and cancel) billed generations.
    Generate,
}

impl Scope {
    /// Every scope, in the order of their names.
    pub const ALL: [Scope; 3] = [Scope::Generate, Scope::Read, Scope::Write];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Generate => "generate",
        }
    }
}

/// An app key's permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AppScope {
    UsersRead,
    CreditsRead,
    CreditsWrite,
    ProjectsRead,
}

impl AppScope {
    pub const ALL: [AppScope; 4] = [
        AppScope::UsersRead,
        AppScope::CreditsRead,
        AppScope::CreditsWrite,
        AppScope::ProjectsRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppScope::UsersRead => "users:read",
            AppScope::CreditsRead => "credits:read",
            AppScope::CreditsWrite => "credits:write",
            AppScope::ProjectsRead => "projects:read",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown scope {0:?}")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

impl FromStr for AppScope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AppScope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for AppScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_round_trip() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
        for scope in AppScope::ALL {
            assert_eq!(scope.as_str().parse::<AppScope>(), Ok(scope));
        }
        assert!("admin".parse::<Scope>().is_err());
        assert!("read".parse::<AppScope>().is_err());
    }
}
