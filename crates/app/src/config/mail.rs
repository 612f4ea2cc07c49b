//! [`MailMode`]: how mail leaves the server, decided once from the settings.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use super::{ConfigError, Environment, Settings};

/// How the server sends mail, decided once from the settings.
#[derive(Clone)]
pub enum MailMode {
    Smtp(SecretString),
    /// Development only: mail becomes files in the outbox folder.
    Outbox,
    /// No mail at all: verification resends and password resets are unavailable.
    Disabled,
}

impl MailMode {
    /// SMTP when `smtp_url` is set, nothing when mail is disabled, else the outbox; which
    /// production refuses, as its mail would reach nobody.
    pub fn resolve(settings: &Settings) -> Result<Self, ConfigError> {
        let smtp = settings
            .smtp_url
            .as_ref()
            .filter(|url| !url.expose_secret().trim().is_empty());
        match (smtp, settings.mail_disabled) {
            (Some(_), true) => Err(ConfigError::Invalid(
                "PENORA_SMTP_URL is set and PENORA_MAIL_DISABLED is true; set only one".to_owned(),
            )),
            (Some(url), false) => Ok(MailMode::Smtp(url.clone())),
            (None, true) => Ok(MailMode::Disabled),
            (None, false) if settings.env == Environment::Production => {
                Err(ConfigError::MailNotConfigured)
            }
            (None, false) => Ok(MailMode::Outbox),
        }
    }
}

impl fmt::Debug for MailMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MailMode::Smtp(_) => "Smtp",
            MailMode::Outbox => "Outbox",
            MailMode::Disabled => "Disabled",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(env: Environment, smtp: Option<&str>, disabled: bool) -> Settings {
        Settings {
            env,
            smtp_url: smtp.map(|url| SecretString::from(url.to_owned())),
            mail_disabled: disabled,
            ..Settings::default()
        }
    }

    #[test]
    fn production_needs_smtp_or_mail_explicitly_disabled() {
        use Environment::{Development, Production};
        let mode = |env, smtp, disabled| MailMode::resolve(&settings(env, smtp, disabled));
        assert!(matches!(
            mode(Production, None, false),
            Err(ConfigError::MailNotConfigured)
        ));
        // An empty variable (`PENORA_SMTP_URL=` from a template) is no SMTP server.
        assert!(matches!(
            mode(Production, Some(" "), false),
            Err(ConfigError::MailNotConfigured)
        ));
        assert!(matches!(
            mode(Production, Some("smtp://mailpit:1025"), false),
            Ok(MailMode::Smtp(_))
        ));
        assert!(matches!(
            mode(Production, None, true),
            Ok(MailMode::Disabled)
        ));
        assert!(matches!(
            mode(Production, Some("smtp://mailpit:1025"), true),
            Err(ConfigError::Invalid(_))
        ));
        assert!(matches!(
            mode(Development, None, false),
            Ok(MailMode::Outbox)
        ));
        assert!(matches!(
            mode(Development, None, true),
            Ok(MailMode::Disabled)
        ));
        let message = ConfigError::MailNotConfigured.to_string();
        assert!(
            message.contains("PENORA_SMTP_URL") && message.contains("PENORA_MAIL_DISABLED"),
            "{message}"
        );
    }
}
