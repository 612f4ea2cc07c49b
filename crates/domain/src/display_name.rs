//! The name a user shows: 1 to 80 characters of printable text, nothing invisible (see
//! [`crate::name_text`]).

use crate::{check_name_text, strip_name_text, FieldError};

pub const MAX_CHARS: usize = 80;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new("display_name", "required", "Enter a name."));
        }
        if trimmed.chars().count() > MAX_CHARS {
            return Err(FieldError::new(
                "display_name",
                "too_long",
                format!("A name has at most {MAX_CHARS} characters."),
            ));
        }
        check_name_text("display_name", trimmed)?;
        Ok(Self(trimmed.to_owned()))
    }

    /// A default name for a new account: the address's local part without what a name may
    /// not hold, cut to fit (`user` when nothing is left).
    pub fn from_email(email: &crate::Email) -> Self {
        let local: String = strip_name_text(email.local_part())
            .trim()
            .chars()
            .take(MAX_CHARS)
            .collect();
        if local.is_empty() {
            return Self("user".to_owned());
        }
        Self(local)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_limits() {
        assert_eq!(
            DisplayName::parse("  Ada  ").map(DisplayName::into_inner),
            Ok("Ada".into())
        );
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(81)).is_err());
        assert!(DisplayName::parse("a\u{0007}b").is_err());
        assert!(DisplayName::parse(&"é".repeat(80)).is_ok());
    }

    #[test]
    fn invisible_and_direction_characters_are_refused() {
        let err = DisplayName::parse("Ada\u{202E}ecalevoL").unwrap_err();
        assert_eq!(
            (err.field.as_ref(), err.code),
            ("display_name", "invisible_character")
        );
        assert_eq!(
            DisplayName::parse("Ada\u{200B}").unwrap_err().code,
            "invisible_character"
        );
        assert!(DisplayName::parse("Ada 👩\u{200D}💻").is_ok());
    }

    #[test]
    fn default_from_email() {
        let email = crate::Email::parse("grace@example.com").ok();
        assert_eq!(
            email.map(|e| DisplayName::from_email(&e).into_inner()),
            Some("grace".into())
        );
    }
}
