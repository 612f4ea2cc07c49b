//! A password that meets Penora's rules. It is never printed.

use std::fmt;

use crate::{Email, FieldError};

pub const MIN_CHARS: usize = 10;
pub const MAX_CHARS: usize = 128;

/// Passwords people pick first; refused however long they are.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password123",
    "1234567890",
    "12345678910",
    "qwertyuiop",
    "iloveyou123",
    "letmein123",
    "welcome123",
    "penora1234",
    "abcdefghij",
    "0123456789",
    "qwerty12345",
    "passw0rd123",
    "administrator",
];

/// A plain-text password that passed the rules. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Checks the rules. `email`, when known, stops a password that just repeats it.
    pub fn parse(raw: &str, email: Option<&Email>) -> Result<Self, FieldError> {
        Self::parse_field(raw, email, "password")
    }

    /// Like [`Password::parse`], reporting failures under another field name
    /// (e.g. `new_password`).
    pub fn parse_field(
        raw: &str,
        email: Option<&Email>,
        field: &'static str,
    ) -> Result<Self, FieldError> {
        let chars = raw.chars().count();
        if chars < MIN_CHARS {
            return Err(FieldError::new(
                field,
                "too_short",
                format!("Use at least {MIN_CHARS} characters."),
            ));
        }
        if chars > MAX_CHARS {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("Use at most {MAX_CHARS} characters."),
            ));
        }
        if raw.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                "invalid_characters",
                "Control characters are not allowed.",
            ));
        }
        let has_letter = raw.chars().any(char::is_alphabetic);
        let has_other = raw.chars().any(|c| !c.is_alphabetic());
        if !has_letter || !has_other {
            return Err(FieldError::new(
                field,
                "too_simple",
                "Mix letters with at least one digit, space or symbol.",
            ));
        }
        let lowered = raw.to_lowercase();
        if COMMON.contains(&lowered.as_str()) {
            return Err(FieldError::new(
                field,
                "too_common",
                "That password is too common.",
            ));
        }
        if let Some(email) = email {
            let local = email.local_part();
            if lowered == email.as_str() || (local.len() >= 4 && lowered.contains(local)) {
                return Err(FieldError::new(
                    field,
                    "contains_email",
                    "Do not use your email address in your password.",
                ));
            }
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(**redacted**)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str, email: Option<&Email>) -> Result<(), &'static str> {
        Password::parse(raw, email).map(|_| ()).map_err(|e| e.code)
    }

    #[test]
    fn accepts_a_decent_password() {
        assert_eq!(code("correct horse 7", None), Ok(()));
        assert_eq!(code("ünïcødé-pass-9", None), Ok(()));
    }

    #[test]
    fn each_rule_has_its_code() {
        assert_eq!(code("short1", None), Err("too_short"));
        assert_eq!(code(&"a1".repeat(65), None), Err("too_long"));
        assert_eq!(code("onlyletterslong", None), Err("too_simple"));
        assert_eq!(code("12345678901234", None), Err("too_simple"));
        assert_eq!(code("Password123", None), Err("too_common"));
        assert_eq!(code("tab\there1234", None), Err("invalid_characters"));
        let email = Email::parse("margaret@example.com").ok();
        assert_eq!(code("margaret2024!", email.as_ref()), Err("contains_email"));
    }

    #[test]
    fn counts_characters_not_bytes() {
        // 9 characters but 18 bytes: still too short.
        assert_eq!(code("ééééééé1é", None), Err("too_short"));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let pw = Password::parse("correct horse 7", None).map(|p| format!("{p:?}"));
        assert_eq!(pw, Ok("Password(**redacted**)".to_owned()));
    }
}
