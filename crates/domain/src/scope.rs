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
    /// Report what the app stores for a user (counted in the shared storage quota).
    StorageWrite,
}

impl AppScope {
    pub const ALL: [AppScope; 5] = [
        AppScope::UsersRead,
        AppScope::CreditsRead,
        AppScope::CreditsWrite,
        AppScope::ProjectsRead,
        AppScope::StorageWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppScope::UsersRead => "users:read",
            AppScope::CreditsRead => "credits:read",
            AppScope::CreditsWrite => "credits:write",
            AppScope::ProjectsRead => "projects:read",
            AppScope::StorageWrite => "storage:write",
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

/// What an API key acts for: its user (`personal`) or a sister app (`app`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    Personal,
    App,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Personal => "personal",
            KeyKind::App => "app",
        }
    }
}

impl FromStr for KeyKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [KeyKind::Personal, KeyKind::App]
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| format!("unknown key kind `{s}`"))
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One scope a key holds: a personal key's or an app key's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyScope {
    Personal(Scope),
    App(AppScope),
}

impl KeyScope {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyScope::Personal(scope) => scope.as_str(),
            KeyScope::App(scope) => scope.as_str(),
        }
    }
}

impl FromStr for KeyScope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse()
            .map(KeyScope::Personal)
            .or_else(|_| s.parse().map(KeyScope::App))
    }
}

/// The scopes a key holds, in the order they were given. Their text (as stored) is the
/// names separated by spaces; a name no scope has (none is ever stored) grants nothing and
/// is left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyScopes(Vec<KeyScope>);

impl KeyScopes {
    /// The scopes named in `text` (names separated by whitespace).
    pub fn parse(text: &str) -> Self {
        Self(
            text.split_whitespace()
                .filter_map(|s| s.parse().ok())
                .collect(),
        )
    }

    pub fn iter(&self) -> impl Iterator<Item = KeyScope> + '_ {
        self.0.iter().copied()
    }

    /// The names, in order.
    pub fn names(&self) -> Vec<String> {
        self.iter().map(|s| s.as_str().to_owned()).collect()
    }

    /// The personal scopes among them.
    pub fn personal(&self) -> Vec<Scope> {
        self.iter()
            .filter_map(|s| match s {
                KeyScope::Personal(scope) => Some(scope),
                KeyScope::App(_) => None,
            })
            .collect()
    }

    /// The app scopes among them.
    pub fn app(&self) -> Vec<AppScope> {
        self.iter()
            .filter_map(|s| match s {
                KeyScope::App(scope) => Some(scope),
                KeyScope::Personal(_) => None,
            })
            .collect()
    }
}

impl FromIterator<KeyScope> for KeyScopes {
    fn from_iter<I: IntoIterator<Item = KeyScope>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl fmt::Display for KeyScopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
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
        for kind in [KeyKind::Personal, KeyKind::App] {
            assert_eq!(kind.as_str().parse::<KeyKind>(), Ok(kind));
        }
        assert!("session".parse::<KeyKind>().is_err());
        assert!("read".parse::<AppScope>().is_err());
    }

    #[test]
    fn key_scopes_keep_their_order_and_text() {
        let personal = KeyScopes::parse("read generate");
        assert_eq!(personal.personal(), vec![Scope::Read, Scope::Generate]);
        assert!(personal.app().is_empty());
        assert_eq!(personal.to_string(), "read generate");
        let app = KeyScopes::parse("users:read  credits:write bogus");
        assert_eq!(app.app(), vec![AppScope::UsersRead, AppScope::CreditsWrite]);
        assert_eq!(app.names(), vec!["users:read", "credits:write"]);
        assert_eq!(KeyScopes::parse("").to_string(), "");
    }
}
