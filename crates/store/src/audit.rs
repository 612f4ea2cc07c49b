//! The audit log of sensitive actions: who, what, from where, when.

use chrono::Utc;
use penora_domain::UserId;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use uuid::Uuid;

use crate::entities::audit_log;

pub use crate::entities::audit_log::Model as AuditRow;

/// One audit entry. `action` names are stable strings such as `auth.login_failed`.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub actor: Option<UserId>,
    pub action: &'a str,
    pub subject: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub meta: serde_json::Value,
}

pub async fn record(db: &impl ConnectionTrait, entry: AuditEntry<'_>) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        actor_user_id: Set(entry.actor.map(|id| id.as_uuid())),
        action: Set(entry.action.to_owned()),
        subject: Set(entry.subject.map(str::to_owned)),
        ip: Set(entry.ip.map(str::to_owned)),
        meta: Set(entry.meta),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}
