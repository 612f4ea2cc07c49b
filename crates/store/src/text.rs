//! Columns with a fixed set of values, stored as their names (`running`, `app_debit`,
//! `admin` ...) and read as the domain's enums.
//!
//! The enums live in `penora-domain`, which knows nothing of sea-orm, and Rust lets only
//! this crate teach sea-orm a type it owns: [`AsText`] is that type. An entity field
//! `AsText<GenerationStatus>` binds and reads the same text as a `String` column did (no
//! migration), compares with the enum (`row.status == GenerationStatus::Running`) and
//! derefs to it (`row.status.as_str()`, `*row.kind`). A stored name no variant has is a
//! type error when the row is read.

use std::fmt;
use std::ops::Deref;

use penora_domain::{BilledTo, EntryKind, GenerationStatus, KeyKind, KeyScopes, ProjectKind, Role};
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, StringLen, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, QueryResult, TryGetError, TryGetable, Value};

use penora_domain::{
    Currency, HoldState, OrderStatus, PaymentStatus, Provider, SubscriptionStatus,
};

/// A value stored as text.
pub trait TextValue: Sized {
    /// The stored text.
    fn to_text(&self) -> String;
    /// The value stored as `text`; `None` when no value has that text.
    fn from_text(text: &str) -> Option<Self>;
}

/// A domain value in a text column (see the module docs).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AsText<T>(pub T);

impl<T> AsText<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for AsText<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for AsText<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T: PartialEq> PartialEq<T> for AsText<T> {
    fn eq(&self, other: &T) -> bool {
        self.0 == *other
    }
}

impl<T: fmt::Debug> fmt::Debug for AsText<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: TextValue> From<AsText<T>> for Value {
    fn from(value: AsText<T>) -> Self {
        Value::from(value.0.to_text())
    }
}

impl<T: TextValue> TryGetable for AsText<T> {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        let text = String::try_get_by(res, index)?;
        T::from_text(&text).map(AsText).ok_or_else(|| {
            TryGetError::DbErr(sea_orm::DbErr::Type(format!(
                "unexpected stored value {text:?}"
            )))
        })
    }
}

impl<T: TextValue> ValueType for AsText<T> {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        let text = <String as ValueType>::try_from(v)?;
        T::from_text(&text).map(AsText).ok_or(ValueTypeErr)
    }

    fn type_name() -> String {
        "AsText".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::String
    }

    fn column_type() -> ColumnType {
        ColumnType::String(StringLen::None)
    }
}

impl<T: TextValue> Nullable for AsText<T> {
    fn null() -> Value {
        Value::String(None)
    }
}

/// [`TextValue`] for an enum with `as_str` and a parser.
macro_rules! named {
    ($($ty:ty => $parse:expr),* $(,)?) => {$(
        impl TextValue for $ty {
            fn to_text(&self) -> String {
                self.as_str().to_owned()
            }

            fn from_text(text: &str) -> Option<Self> {
                $parse(text)
            }
        }
    )*};
}

named! {
    GenerationStatus => |t: &str| t.parse().ok(),
    EntryKind => |t: &str| t.parse().ok(),
    Role => |t: &str| t.parse().ok(),
    ProjectKind => |t: &str| ProjectKind::parse(t).ok(),
    BilledTo => |t: &str| t.parse().ok(),
    KeyKind => |t: &str| t.parse().ok(),
    HoldState => |t: &str| t.parse().ok(),
    Currency => |t: &str| t.parse().ok(),
    OrderStatus => |t: &str| t.parse().ok(),
    PaymentStatus => |t: &str| t.parse().ok(),
    SubscriptionStatus => |t: &str| t.parse().ok(),
    Provider => |t: &str| t.parse().ok(),
}

/// Space-separated scope names, in the order stored.
impl TextValue for KeyScopes {
    fn to_text(&self) -> String {
        self.to_string()
    }

    fn from_text(text: &str) -> Option<Self> {
        Some(KeyScopes::parse(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: TextValue + PartialEq + fmt::Debug>(values: &[T]) {
        for value in values {
            let text = value.to_text();
            assert_eq!(T::from_text(&text).as_ref(), Some(value), "{text}");
        }
        assert!(T::from_text("no such value").is_none());
    }

    /// The stored names are the ones written before these columns were typed.
    #[test]
    fn stored_names_are_unchanged() {
        let names = |texts: Vec<String>| texts.join(" ");
        assert_eq!(
            names(
                GenerationStatus::ALL
                    .iter()
                    .map(TextValue::to_text)
                    .collect()
            ),
            "running completed cancelled failed interrupted"
        );
        assert_eq!(
            names(EntryKind::ALL.iter().map(TextValue::to_text).collect()),
            "welcome purchase subscription_grant generation refund app_debit app_refund \
             admin_adjustment"
        );
        assert_eq!(Role::User.to_text(), "user");
        assert_eq!(Role::Admin.to_text(), "admin");
        assert_eq!(ProjectKind::Document.to_text(), "document");
        assert_eq!(ProjectKind::Story.to_text(), "story");
        assert_eq!(BilledTo::Credits.to_text(), "credits");
        assert_eq!(BilledTo::OwnKey.to_text(), "own_key");
        assert_eq!(KeyKind::Personal.to_text(), "personal");
        assert_eq!(KeyKind::App.to_text(), "app");
        assert_eq!(HoldState::Open.to_text(), "open");
        assert_eq!(HoldState::Settled.to_text(), "settled");
        round_trips(&GenerationStatus::ALL);
        round_trips(&EntryKind::ALL);
        round_trips(&[Role::User, Role::Admin]);
        round_trips(&[ProjectKind::Document, ProjectKind::Story]);
        round_trips(&[BilledTo::Credits, BilledTo::OwnKey]);
        round_trips(&[KeyKind::Personal, KeyKind::App]);
        round_trips(&[HoldState::Open, HoldState::Settled]);
    }

    #[test]
    fn scopes_keep_their_stored_text() {
        for text in [
            "generate read write",
            "credits:write users:read",
            "read",
            "",
        ] {
            let scopes = KeyScopes::from_text(text).expect("scopes");
            assert_eq!(scopes.to_text(), text);
        }
    }
}
