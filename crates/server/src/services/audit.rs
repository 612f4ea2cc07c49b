//! Writing the audit log. A failure to audit is logged loudly but does not fail the action
//! it describes when that action already happened (sign-in failures, for instance).

use penora_domain::UserId;
use penora_store::audit::{self, AuditEntry};
use penora_store::ConnectionTrait;

/// Where an action came from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
}

impl Origin {
    pub fn ip(ip: impl Into<String>) -> Self {
        Self {
            ip: Some(ip.into()),
        }
    }
}

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
