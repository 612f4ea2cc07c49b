//! The welcome bonus, once per email address ever: one row per address that received it,
//! keyed by an HMAC of the normalised address (computed by the server, which holds the key).

use chrono::Utc;
use penora_domain::UserId;
use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, FromQueryResult, Set, Statement, TryInsertResult,
};

use crate::entities::welcome_grant::{self, Entity as WelcomeGrants};

/// Records that the address behind `email_hmac` gets its bonus now; false when it had it
/// before (under any account, deleted ones included). Decided by the primary key, so two
/// sign-ups racing for one address cannot both win.
pub async fn claim(
    db: &impl ConnectionTrait,
    email_hmac: &str,
    user: UserId,
) -> Result<bool, DbErr> {
    let row = welcome_grant::ActiveModel {
        email_hmac: Set(email_hmac.to_owned()),
        user_id: Set(user.as_uuid()),
        granted_at: Set(Utc::now()),
    };
    let inserted = WelcomeGrants::insert(row)
        .on_conflict_do_nothing_on([welcome_grant::Column::EmailHmac])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(1)))
}

/// An account that got the welcome bonus before grants were recorded.
#[derive(Debug, FromQueryResult)]
pub struct Ungranted {
    pub id: uuid::Uuid,
    pub email: String,
}

/// Up to `limit` live accounts holding a welcome ledger entry but no grant row: what the
/// start-up backfill still has to record (none once it has run).
pub async fn ungranted(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<Ungranted>, DbErr> {
    let backend = db.get_database_backend();
    Ungranted::find_by_statement(Statement::from_sql_and_values(
        backend,
        match backend {
            sea_orm::DbBackend::Postgres => UNGRANTED_PG,
            _ => UNGRANTED_SQLITE,
        },
        [i64::try_from(limit).unwrap_or(i64::MAX).into()],
    ))
    .all(db)
    .await
}

const UNGRANTED_PG: &str = "SELECT u.id, u.email FROM users u \
    WHERE u.deleted_at IS NULL \
    AND EXISTS (SELECT 1 FROM ledger_entries l WHERE l.user_id = u.id AND l.kind = 'welcome') \
    AND NOT EXISTS (SELECT 1 FROM welcome_grants g WHERE g.user_id = u.id) \
    ORDER BY u.id LIMIT $1";

const UNGRANTED_SQLITE: &str = "SELECT u.id, u.email FROM users u \
    WHERE u.deleted_at IS NULL \
    AND EXISTS (SELECT 1 FROM ledger_entries l WHERE l.user_id = u.id AND l.kind = 'welcome') \
    AND NOT EXISTS (SELECT 1 FROM welcome_grants g WHERE g.user_id = u.id) \
    ORDER BY u.id LIMIT ?";
