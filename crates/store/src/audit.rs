//! The audit log of sensitive actions: who, what, from where, when.

use chrono::Utc;
use penora_domain::UserId;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};
use uuid::Uuid;

use crate::entities::audit_log;
use crate::Page;

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
    let row = audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        actor_user_id: Set(entry.actor.map(|id| id.as_uuid())),
        action: Set(entry.action.to_owned()),
        subject: Set(entry.subject.map(str::to_owned)),
        ip: Set(entry.ip.map(str::to_owned)),
        meta: Set(entry.meta),
        created_at: Set(Utc::now()),
    };
    audit_log::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor: Option<UserId>,
    pub subject: Option<String>,
    pub from: Option<chrono::DateTime<Utc>>,
    pub to: Option<chrono::DateTime<Utc>>,
    pub before: Option<Uuid>,
}

/// One page of `limit` entries, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    limit: u64,
) -> Result<Page<AuditRow>, DbErr> {
    use crate::entities::audit_log::{Column, Entity};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    let mut select = Entity::find();
    if let Some(action) = &filter.action {
        select = select.filter(Column::Action.eq(action.as_str()));
    }
    if let Some(actor) = filter.actor {
        select = select.filter(Column::ActorUserId.eq(actor.as_uuid()));
    }
    if let Some(subject) = &filter.subject {
        select = select.filter(Column::Subject.eq(subject.as_str()));
    }
    if let Some(from) = filter.from {
        select = select.filter(Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(Column::CreatedAt.lt(to));
    }
    if let Some(before) = filter.before {
        select = select.filter(Column::Id.lt(before));
    }
    let rows = select
        .order_by_desc(Column::Id)
        .limit(Page::<AuditRow>::fetch_limit(limit))
        .all(db)
        .await?;
    Ok(Page::of(rows, limit))
}
