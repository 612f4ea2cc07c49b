//! Typed ids: a `UserId` cannot be passed where another id is expected.

use std::fmt;

use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// A new time-ordered (v7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub fn parse(raw: &str) -> Option<Self> {
                Uuid::try_parse(raw).ok().map(Self)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_id!(
    /// Identifies a Penora account.
    UserId
);
typed_id!(
    /// Identifies one ledger entry (also the id of an app debit).
    LedgerEntryId
);
typed_id!(
    /// Identifies an API key (never the key itself).
    ApiKeyId
);
typed_id!(
    /// Identifies a project in a user's workspace.
    ProjectId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_time_ordered_and_parse_back() {
        let a = UserId::new();
        let b = UserId::new();
        assert!(a < b);
        assert_eq!(UserId::parse(&a.to_string()), Some(a));
        assert_eq!(UserId::parse("not-a-uuid"), None);
    }
}
