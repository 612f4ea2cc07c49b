//! Outgoing mail. With `PENORA_SMTP_URL` it goes out over SMTP; with
//! `PENORA_MAIL_DISABLED=true` nothing is sent (the flows that need mail answer `503
//! mail_unavailable`); otherwise, in development only, each mail is written to the outbox
//! folder in the data dir, so sign-up works on a fresh machine and tests can read what was
//! "sent". Production starts only with SMTP or with mail disabled ([`MailMode::resolve`]).
//!
//! A mail's link and body carry a secret token: they go into the mail (or the outbox file)
//! and nowhere else. Nothing here hands them to a log, and [`Mail`]'s `Debug` leaves them
//! out.

use std::fmt;
use std::path::PathBuf;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use penora_domain::Email;
use secrecy::ExposeSecret;
use serde::Serialize;

use crate::config::{Config, MailMode};

#[derive(Clone, Serialize)]
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

/// Leaves out the body and link: they hold the token.
impl fmt::Debug for Mail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mail")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub enum Mailer {
    Disabled,
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
    #[error("mail is disabled (PENORA_MAIL_DISABLED)")]
    Disabled,
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
        let url = match &config.mail {
            MailMode::Disabled => return Ok(Mailer::Disabled),
            MailMode::Outbox => {
                return Ok(Mailer::Outbox {
                    dir: config.outbox_dir(),
                })
            }
            MailMode::Smtp(url) => url,
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

    /// Whether mail can be sent at all (`false` when `PENORA_MAIL_DISABLED`).
    pub fn is_enabled(&self) -> bool {
        !matches!(self, Mailer::Disabled)
    }

    pub async fn send(&self, mail: Mail) -> Result<(), MailError> {
        match self {
            Mailer::Disabled => Err(MailError::Disabled),
            Mailer::Outbox { dir } => {
                tokio::fs::create_dir_all(dir).await?;
                let path = dir.join(format!("{}.json", uuid::Uuid::now_v7()));
                let json = serde_json::to_vec_pretty(&mail)
                    .map_err(|e| MailError::Build(e.to_string()))?;
                tokio::fs::write(&path, json).await?;
                // The link stays in the file: a log is read by more people than the mail.
                tracing::info!(
                    to = %mail.to,
                    subject = %mail.subject,
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

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Everything written by the `tracing` calls made while `f`'s future runs.
    async fn logs_of<F: std::future::Future>(f: F) -> (F::Output, String) {
        #[derive(Clone)]
        struct Sink(Arc<Mutex<Vec<u8>>>);
        impl Write for Sink {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0
                    .lock()
                    .map_err(|_| std::io::ErrorKind::Other)?
                    .extend(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let sink = Sink(Arc::new(Mutex::new(Vec::new())));
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        let output = f.await;
        drop(guard);
        let logs = String::from_utf8_lossy(&sink.0.lock().expect("log sink")).into_owned();
        (output, logs)
    }

    #[tokio::test]
    async fn the_outbox_keeps_the_link_in_the_file_and_out_of_the_log() {
        let dir = std::env::temp_dir().join(format!("penora-outbox-{}", uuid::Uuid::new_v4()));
        let token = "tok-3n8Qf1ZxLw0pR7";
        let link = format!("http://127.0.0.1:8080/reset-password?token={token}");
        let to = Email::parse("ada@example.com").expect("email");
        let mail = Mail::new(&to, "Reset", format!("Here: {link}"), Some(link));
        assert!(!format!("{mail:?}").contains(token));

        let mailer = Mailer::Outbox { dir: dir.clone() };
        let (sent, logs) = logs_of(mailer.send(mail)).await;
        sent.expect("written");
        assert!(logs.contains("development outbox"), "logged: {logs}");
        assert!(!logs.contains(token), "the token is logged: {logs}");
        let files: Vec<_> = std::fs::read_dir(&dir).expect("outbox").flatten().collect();
        let file = std::fs::read_to_string(files[0].path()).expect("mail file");
        assert!(file.contains(token), "the outbox file keeps the link");
        let _ = std::fs::remove_dir_all(dir);

        let (refused, _) =
            logs_of(Mailer::Disabled.send(Mail::new(&to, "x", String::new(), None))).await;
        assert!(matches!(refused, Err(MailError::Disabled)));
    }
}
