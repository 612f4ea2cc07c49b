//! A normalised email address: trimmed, NFC, lower-cased, syntactically valid.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use crate::FieldError;

const MAX_LEN: usize = 254;

/// An email address in its canonical form. Two addresses that differ only in case or
/// surrounding space parse to the same `Email`, which is what makes uniqueness
/// case-insensitive in the database.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let normalised: String = raw.trim().nfc().collect::<String>().to_lowercase();
        if normalised.is_empty() {
            return Err(FieldError::new(
                "email",
                "required",
                "Enter an email address.",
            ));
        }
        if normalised.len() > MAX_LEN {
            return Err(FieldError::new(
                "email",
                "too_long",
                format!("An email address has at most {MAX_LEN} characters."),
            ));
        }
        let valid_syntax = email_address::EmailAddress::is_valid(&normalised);
        // Require a dotted domain: `user@localhost` is valid syntax but undeliverable mail here.
        let dotted_domain = normalised
            .rsplit_once('@')
            .is_some_and(|(_, domain)| domain.contains('.') && !domain.starts_with('['));
        if !valid_syntax || !dotted_domain {
            return Err(FieldError::new(
                "email",
                "invalid",
                "That does not look like an email address (name@example.com).",
            ));
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`, used to reject passwords that merely repeat it.
    pub fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or_default()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_space() {
        let email = Email::parse("  Ada.Lovelace@Example.COM ").map(|e| e.0);
        assert_eq!(email, Ok("ada.lovelace@example.com".to_owned()));
    }

    #[test]
    fn rejects_bad_addresses() {
        for bad in [
            "",
            "   ",
            "ada",
            "ada@",
            "@example.com",
            "ada@localhost",
            "a b@example.com",
            "ada@@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn rejects_overlong() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long).map_err(|e| e.code), Err("too_long"));
    }

    #[test]
    fn local_part() {
        assert_eq!(
            Email::parse("ada@example.com").map(|e| e.local_part().to_owned()),
            Ok("ada".to_owned())
        );
    }
}
