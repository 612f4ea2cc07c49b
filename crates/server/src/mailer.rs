//! Outgoing mail. With `PENORA_SMTP_URL` it goes out over SMTP; otherwise each mail is
//! written to the outbox folder in the data dir (and its link logged), so sign-up works on a
//! fresh machine and tests can read what was "sent".

use std::path::PathBuf;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use penora_domain::Email;
use secrecy::ExposeSecret;
use serde::Serialize;

use crate::config::Config;

#[derive(Debug, Clone, Serialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// The one action link in the mail, kept apart so the outbox is easy to read.
    pub link: Option<String>,
}

impl Mail {
    pub fn new(to: &Email, subject: &str, body: String, link: Option<String>) -> Self {
        Self {
            to: to.as_str().to_owned(),
            subject: subject.to_owned(),
            body,
            link,
        }
    }
}

#[derive(Clone)]
pub enum Mailer {
    Outbox {
        dir: PathBuf,
    },
    // Boxed: the SMTP transport is large and the outbox is the common case in development.
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Box<Mailbox>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail settings are invalid: {0}")]
    Config(String),
    #[error("writing to the outbox failed: {0}")]
    Outbox(#[from] std::io::Error),
    #[error("building the message failed: {0}")]
    Build(String),
    #[error("the SMTP server refused or failed: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

impl Mailer {
    pub fn from_config(config: &Config) -> Result<Self, MailError> {
        let Some(url) = &config.settings.smtp_url else {
            return Ok(Mailer::Outbox {
                dir: config.outbox_dir(),
            });
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|e| MailError::Config(e.to_string()))?
            .build();
        let from = config
            .settings
            .mail_from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailError::Config(e.to_string()))?;
        Ok(Mailer::Smtp {
            transport: Box::new(transport),
            from: Box::new(from),
        })
    }

    pub async fn send(&self, mail: Mail) -> Result<(), MailError> {
        match self {
            Mailer::Outbox { dir } => {
                tokio::fs::create_dir_all(dir).await?;
                let path = dir.join(format!("{}.json", uuid::Uuid::now_v7()));
                let json = serde_json::to_vec_pretty(&mail)
                    .map_err(|e| MailError::Build(e.to_string()))?;
                tokio::fs::write(&path, json).await?;
                tracing::info!(
                    to = %mail.to,
                    subject = %mail.subject,
                    link = mail.link.as_deref().unwrap_or("-"),
                    path = %path.display(),
                    "mail written to the development outbox"
                );
                Ok(())
            }
            Mailer::Smtp { transport, from } => {
                let to: Mailbox = mail
                    .to
                    .parse()
                    .map_err(|e: lettre::address::AddressError| MailError::Build(e.to_string()))?;
                let message = Message::builder()
                    .from((**from).clone())
                    .to(to)
                    .subject(mail.subject)
                    .body(mail.body)
                    .map_err(|e| MailError::Build(e.to_string()))?;
                transport.send(message).await?;
                Ok(())
            }
        }
    }
}
