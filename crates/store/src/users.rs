//! Accounts.

use chrono::Utc;
use penora_domain::{DisplayName, Email, KeyKind, Role, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::entities::user::{self, Entity as Users};
use crate::text::AsText;
use crate::Page;

pub use crate::entities::user::Model as UserRow;

pub struct NewUser<'a> {
    pub email: &'a Email,
    pub password_hash: Option<&'a str>,
    pub display_name: &'a DisplayName,
    pub role: Role,
}

#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    #[error("an account with this email exists")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewUser<'_>,
) -> Result<UserRow, InsertUserError> {
    let now = Utc::now();
    let row = user::ActiveModel {
        id: Set(UserId::new().as_uuid()),
        email: Set(new.email.as_str().to_owned()),
        password_hash: Set(new.password_hash.map(str::to_owned)),
        display_name: Set(new.display_name.as_str().to_owned()),
        role: Set(AsText(new.role)),
        email_verified_at: Set(None),
        session_epoch: Set(0),
        balance_mc: Set(0),
        reserved_mc: Set(0),
        storage_used_bytes: Set(0),
        storage_limit_bytes: Set(None),
        app_storage_bytes: Set(0),
        active_generations: Set(0),
        provider_keys: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
    };
    row.insert(db).await.map_err(|err| {
        if crate::is_unique_violation(&err) {
            InsertUserError::EmailTaken
        } else {
            InsertUserError::Db(err)
        }
    })
}

/// The account, unless it is gone (deleted accounts are tombstones: they exist only for the
/// ledger and are found by nothing else).
pub async fn find_by_id(db: &impl ConnectionTrait, id: UserId) -> Result<Option<UserRow>, DbErr> {
    Users::find_by_id(id.as_uuid())
        .filter(user::Column::DeletedAt.is_null())
        .one(db)
        .await
}

/// The account, unless it is gone or the session asking (`session_epoch`; `None` for an API
/// key) has ended: signed out everywhere, or the password changed.
pub async fn find_current(
    db: &impl ConnectionTrait,
    id: UserId,
    session_epoch: Option<i64>,
) -> Result<Option<UserRow>, DbErr> {
    Ok(find_by_id(db, id)
        .await?
        .filter(|row| session_epoch.is_none_or(|epoch| row.session_epoch == epoch)))
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<UserRow>, DbErr> {
    Users::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .filter(user::Column::DeletedAt.is_null())
        .one(db)
        .await
}

/// Renames; `None` when the account is gone.
pub async fn set_display_name(
    db: &impl ConnectionTrait,
    id: UserId,
    name: &DisplayName,
) -> Result<Option<UserRow>, DbErr> {
    update(db, id, |row| {
        row.display_name = Set(name.as_str().to_owned())
    })
    .await
}

/// Stores a new password hash and ends every access token issued before.
pub async fn set_password_hash(
    db: &impl ConnectionTrait,
    id: UserId,
    hash: &str,
) -> Result<(), DbErr> {
    update(db, id, |row| row.password_hash = Set(Some(hash.to_owned()))).await?;
    bump_session_epoch(db, id).await
}

/// Removes the password and ends every access token issued before (an account claimed by
/// the verified owner of its address: whoever set that password never proved it).
pub async fn clear_password(db: &impl ConnectionTrait, id: UserId) -> Result<(), DbErr> {
    update(db, id, |row| row.password_hash = Set(None)).await?;
    bump_session_epoch(db, id).await
}

/// Takes the user's row lock for the rest of the transaction (a no-op update, so it works
/// alike on both backends); `false` when the account is gone or, given a session's epoch,
/// that session has ended. Writers of sessions and keys lock the user before their tokens,
/// so a refresh or a new key and a sign-out everywhere are ordered, never interleaved.
pub async fn lock(
    db: &impl ConnectionTrait,
    id: UserId,
    session_epoch: Option<i64>,
) -> Result<bool, DbErr> {
    let mut update = Users::update_many()
        .col_expr(
            user::Column::SessionEpoch,
            Expr::col(user::Column::SessionEpoch),
        )
        .filter(user::Column::Id.eq(id.as_uuid()))
        .filter(user::Column::DeletedAt.is_null());
    if let Some(epoch) = session_epoch {
        update = update.filter(user::Column::SessionEpoch.eq(epoch));
    }
    let result = update.exec(db).await?;
    Ok(result.rows_affected == 1)
}

/// Invalidates every access token of the user (they carry the epoch they were issued in).
pub async fn bump_session_epoch(db: &impl ConnectionTrait, id: UserId) -> Result<(), DbErr> {
    Users::update_many()
        .col_expr(
            user::Column::SessionEpoch,
            Expr::col(user::Column::SessionEpoch).add(1),
        )
        .filter(user::Column::Id.eq(id.as_uuid()))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn mark_email_verified(db: &impl ConnectionTrait, id: UserId) -> Result<(), DbErr> {
    update(db, id, |row| row.email_verified_at = Set(Some(Utc::now()))).await?;
    Ok(())
}

/// Gives an existing account a role; false when no account has that email.
pub async fn set_role(db: &impl ConnectionTrait, email: &Email, role: Role) -> Result<bool, DbErr> {
    let result = Users::update_many()
        .col_expr(user::Column::Role, Expr::value(AsText(role)))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Email.eq(email.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Why an account could not be deleted.
#[derive(Debug, thiserror::Error)]
pub enum EraseError {
    #[error("no such account")]
    Gone,
    /// Running generations hold credits and write text; they end first.
    #[error("generations are running")]
    GenerationsRunning,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Deletes an account inside the caller's transaction: everything personal goes (projects
/// with their stories and shares, API keys, own provider keys, sessions, mailed links, the
/// text of its generations, its address in the audit log), and the row becomes an anonymous
/// tombstone that keeps the ledger's entries and the generations' costs. The row is never
/// removed: the ledger is append-only, and its entries keep their foreign key.
///
/// Refused while generations run (they hold credits and still write text); the conditional
/// update decides it under the row's lock, against generations opening at the same moment.
pub async fn erase(db: &impl ConnectionTrait, id: UserId) -> Result<(), EraseError> {
    use crate::entities::{
        api_key, audit_log, email_token, generation, identity, project, provider_key, refresh_token,
    };
    let Some(row) = find_by_id(db, id).await? else {
        return Err(EraseError::Gone);
    };
    let now = Utc::now();
    let tombstoned = Users::update_many()
        .col_expr(user::Column::Email, Expr::value(tombstone_marker(id)))
        .col_expr(user::Column::PasswordHash, Expr::value(None::<String>))
        .col_expr(user::Column::DisplayName, Expr::value(""))
        .col_expr(
            user::Column::EmailVerifiedAt,
            Expr::value(None::<chrono::DateTime<Utc>>),
        )
        .col_expr(
            user::Column::SessionEpoch,
            Expr::col(user::Column::SessionEpoch).add(1),
        )
        .col_expr(user::Column::StorageUsedBytes, Expr::value(0i64))
        .col_expr(user::Column::AppStorageBytes, Expr::value(0i64))
        .col_expr(user::Column::ProviderKeys, Expr::value(0i32))
        .col_expr(user::Column::DeletedAt, Expr::value(now))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(id.as_uuid()))
        .filter(user::Column::DeletedAt.is_null())
        .filter(user::Column::ActiveGenerations.eq(0))
        .exec(db)
        .await?;
    if tombstoned.rows_affected != 1 {
        return Err(EraseError::GenerationsRunning);
    }
    let owner = id.as_uuid();
    project::Entity::delete_many()
        .filter(project::Column::UserId.eq(owner))
        .exec(db)
        .await?;
    api_key::Entity::delete_many()
        .filter(api_key::Column::UserId.eq(owner))
        .filter(api_key::Column::Kind.eq(AsText(KeyKind::Personal)))
        .exec(db)
        .await?;
    provider_key::Entity::delete_many()
        .filter(provider_key::Column::UserId.eq(owner))
        .exec(db)
        .await?;
    refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::UserId.eq(owner))
        .exec(db)
        .await?;
    email_token::Entity::delete_many()
        .filter(email_token::Column::UserId.eq(owner))
        .exec(db)
        .await?;
    identity::Entity::delete_many()
        .filter(identity::Column::UserId.eq(owner))
        .exec(db)
        .await?;
    generation::Entity::update_many()
        .col_expr(generation::Column::Input, Expr::value(""))
        .col_expr(generation::Column::Instructions, Expr::value(""))
        .col_expr(generation::Column::Params, Expr::value("{}"))
        .col_expr(generation::Column::Output, Expr::value(""))
        .col_expr(
            generation::Column::ErrorMessage,
            Expr::value(None::<String>),
        )
        .filter(generation::Column::UserId.eq(owner))
        .exec(db)
        .await?;
    audit_log::Entity::update_many()
        .col_expr(audit_log::Column::Subject, Expr::value(None::<String>))
        .filter(audit_log::Column::Subject.eq(row.email))
        .exec(db)
        .await?;
    Ok(())
}

/// What a tombstone has instead of an address: unique, and no address (it has no `@`).
fn tombstone_marker(id: UserId) -> String {
    format!("deleted:{id}")
}

async fn update(
    db: &impl ConnectionTrait,
    id: UserId,
    change: impl FnOnce(&mut user::ActiveModel),
) -> Result<Option<UserRow>, DbErr> {
    let Some(row) = find_by_id(db, id).await? else {
        return Ok(None);
    };
    let mut active: user::ActiveModel = row.into();
    change(&mut active);
    active.updated_at = Set(Utc::now());
    active.update(db).await.map(Some)
}

/// One page of `limit` accounts whose email contains `query` (all when empty), newest first,
/// older than `before`.
pub async fn search(
    db: &impl ConnectionTrait,
    query: &str,
    before: Option<uuid::Uuid>,
    limit: u64,
) -> Result<Page<UserRow>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    let mut select = Users::find().filter(user::Column::DeletedAt.is_null());
    let needle = query.trim().to_lowercase();
    if !needle.is_empty() {
        select = select.filter(user::Column::Email.contains(&needle));
    }
    if let Some(before) = before {
        select = select.filter(user::Column::Id.lt(before));
    }
    let rows = select
        .order_by_desc(user::Column::Id)
        .limit(Page::<UserRow>::fetch_limit(limit))
        .all(db)
        .await?;
    Ok(Page::of(rows, limit))
}
