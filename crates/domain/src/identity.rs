//! Sign-in methods: a password, or an identity at another site (the main site, SukuSuku, or
//! Google) known by that site's id for the user.

use std::fmt;
use std::str::FromStr;

/// A site that signs users in for Penora.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// The main site, by single sign-on.
    Sukusuku,
    Google,
}

impl Provider {
    pub const ALL: [Provider; 2] = [Provider::Sukusuku, Provider::Google];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Sukusuku => "sukusuku",
            Provider::Google => "google",
        }
    }
}

impl FromStr for Provider {
    type Err = UnknownProvider;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownProvider(s.to_owned()))
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown sign-in provider {0:?}")]
pub struct UnknownProvider(String);

/// A way into an account, as the account page lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    Password,
    Sukusuku,
    Google,
}

impl SignInMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInMethod::Password => "password",
            SignInMethod::Sukusuku => "sukusuku",
            SignInMethod::Google => "google",
        }
    }

    /// The provider behind this method; `None` for the password.
    pub fn provider(self) -> Option<Provider> {
        match self {
            SignInMethod::Password => None,
            SignInMethod::Sukusuku => Some(Provider::Sukusuku),
            SignInMethod::Google => Some(Provider::Google),
        }
    }
}

impl From<Provider> for SignInMethod {
    fn from(provider: Provider) -> Self {
        match provider {
            Provider::Sukusuku => SignInMethod::Sukusuku,
            Provider::Google => SignInMethod::Google,
        }
    }
}

impl FromStr for SignInMethod {
    type Err = UnknownProvider;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "password" => Ok(SignInMethod::Password),
            other => other.parse::<Provider>().map(SignInMethod::from),
        }
    }
}

/// The user's id at a provider: a string, whatever it looks like (the main site's ids are
/// decimal numbers longer than any integer column; Google's are 21 digits). At most
/// [`ExternalSubject::MAX_LEN`] bytes, printable, not blank.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalSubject(String);

impl ExternalSubject {
    pub const MAX_LEN: usize = 255;

    pub fn parse(raw: &str) -> Result<Self, InvalidSubject> {
        if raw.trim().is_empty() {
            return Err(InvalidSubject::Blank);
        }
        if raw.len() > Self::MAX_LEN {
            return Err(InvalidSubject::TooLong);
        }
        if raw.chars().any(char::is_control) {
            return Err(InvalidSubject::ControlCharacter);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExternalSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum InvalidSubject {
    #[error("the subject is blank")]
    Blank,
    #[error("the subject is longer than 255 bytes")]
    TooLong,
    #[error("the subject has a control character")]
    ControlCharacter,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for provider in Provider::ALL {
            assert_eq!(provider.as_str().parse::<Provider>(), Ok(provider));
            let method = SignInMethod::from(provider);
            assert_eq!(method.as_str().parse::<SignInMethod>(), Ok(method));
            assert_eq!(method.provider(), Some(provider));
        }
        assert_eq!("password".parse(), Ok(SignInMethod::Password));
        assert!("facebook".parse::<SignInMethod>().is_err());
    }

    #[test]
    fn subjects_are_strings_of_any_length_up_to_the_limit() {
        let forty_digits = "1".repeat(40);
        assert_eq!(
            ExternalSubject::parse(&forty_digits).unwrap().as_str(),
            forty_digits
        );
        assert_eq!(ExternalSubject::parse(" "), Err(InvalidSubject::Blank));
        assert_eq!(
            ExternalSubject::parse(&"9".repeat(256)),
            Err(InvalidSubject::TooLong)
        );
        assert_eq!(
            ExternalSubject::parse("a\nb"),
            Err(InvalidSubject::ControlCharacter)
        );
    }
}
