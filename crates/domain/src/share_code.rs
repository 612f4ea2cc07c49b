//! Share codes: 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L), so a
//! code read aloud or copied by hand still works. 31^6 ≈ 887 million codes; look-ups are
//! rate limited, so guessing one is impractical.

use std::fmt;

use rand::Rng;

use crate::FieldError;

pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
pub const LENGTH: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShareCode(String);

impl ShareCode {
    /// Reads a code as a person typed it: case-insensitive, surrounding spaces ignored.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.chars().count() != LENGTH {
            return Err(FieldError::new(
                "code",
                "invalid_share_code",
                format!("A share code has {LENGTH} characters."),
            ));
        }
        if !code.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(FieldError::new(
                "code",
                "invalid_share_code",
                "A share code uses the letters A-Z and digits 2-9, without I, L and O.",
            ));
        }
        Ok(Self(code))
    }

    /// A uniformly random code; pass the operating system's RNG.
    pub fn generate(rng: &mut impl Rng) -> Self {
        let code = (0..LENGTH)
            .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
            .collect();
        Self(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShareCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_has_no_look_alikes() {
        for c in b"01OIL" {
            assert!(!ALPHABET.contains(c));
        }
        let mut sorted = ALPHABET.to_vec();
        sorted.dedup();
        assert_eq!(sorted.len(), 31);
    }

    #[test]
    fn parses_case_insensitively() {
        assert_eq!(ShareCode::parse(" abc234 ").unwrap().as_str(), "ABC234");
    }

    #[test]
    fn refuses_wrong_length_and_ambiguous_characters() {
        for bad in [
            "ABC23", "ABC2345", "ABCO23", "ABC123", "ABCI23", "abcl23", "AB€234", "",
        ] {
            assert_eq!(
                ShareCode::parse(bad).unwrap_err().code,
                "invalid_share_code",
                "{bad}"
            );
        }
    }

    #[test]
    fn generated_codes_parse_and_spread_over_the_alphabet() {
        let mut rng = rand::rngs::OsRng;
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2_000 {
            let code = ShareCode::generate(&mut rng);
            assert_eq!(ShareCode::parse(code.as_str()).unwrap(), code);
            seen.extend(code.as_str().bytes());
        }
        assert_eq!(seen.len(), ALPHABET.len());
    }
}
