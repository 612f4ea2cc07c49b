//! Writing the audit log. A failure to audit is logged loudly but does not fail the action
//! it describes when that action already happened (sign-in failures, for instance).

use penora_domain::{ClientIp, UserId};
use penora_store::audit::{self, AuditEntry};
use penora_store::ConnectionTrait;

/// Where an action came from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// What the audit log records: the client's address, or a tool's name (`cli`).
    pub ip: Option<String>,
    /// The client an HTTP request came from, for limits keyed on it.
    pub client: Option<ClientIp>,
}

impl Origin {
    /// A non-HTTP origin, such as the command line.
    pub fn ip(ip: impl Into<String>) -> Self {
        Self {
            ip: Some(ip.into()),
            client: None,
        }
    }

    pub fn client(client: ClientIp) -> Self {
        Self {
            ip: Some(client.to_string()),
            client: Some(client),
        }
    }

    /// The client limits count this origin under.
    pub fn client_or_unknown(&self) -> ClientIp {
        self.client.unwrap_or(ClientIp::UNKNOWN)
    }
}

#[tracing::instrument(name = "services::audit::record", skip_all,
    fields(user_id = crate::spans::opt(actor), action = action))]
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Option<UserId>,
    action: &str,
    subject: Option<&str>,
    origin: &Origin,
    meta: serde_json::Value,
) {
    let entry = AuditEntry {
        actor,
        action,
        subject,
        ip: origin.ip.as_deref(),
        meta,
    };
    if let Err(err) = audit::record(db, entry).await {
        tracing::error!(action, error = %err, "could not write the audit log");
    }
}

/// Writes an audit entry inside the caller's transaction, so it commits (or not) with the
/// change it records.
#[tracing::instrument(name = "services::audit::record_in", skip_all,
    fields(user_id = crate::spans::opt(actor), action = action))]
pub async fn record_in(
    txn: &impl ConnectionTrait,
    actor: Option<UserId>,
    action: &str,
    subject: Option<&str>,
    origin: &Origin,
    meta: serde_json::Value,
) -> Result<(), penora_store::DbErr> {
    audit::record(
        txn,
        AuditEntry {
            actor,
            action,
            subject,
            ip: origin.ip.as_deref(),
            meta,
        },
    )
    .await
}
