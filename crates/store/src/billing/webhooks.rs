//! Webhook events as received, by event id: a delivery seen before is not applied again,
//! and one that could not be applied yet is retried later.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::entities::webhook_event::{self, Column, Entity as Events};
use crate::WriteError;

pub use crate::entities::webhook_event::Model as EventRow;

/// Stores a delivery claimed by its receiver until `claimed_until`: no retry takes it before
/// then, so the request that stored it is the one that applies it (unless it dies first).
/// `Taken` when this event id was received before.
pub async fn insert(
    db: &impl ConnectionTrait,
    event_id: &str,
    event: &str,
    body: &str,
    claimed_until: DateTime<Utc>,
) -> Result<EventRow, WriteError> {
    let now = crate::now();
    webhook_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        event_id: Set(event_id.to_owned()),
        event: Set(event.to_owned()),
        body: Set(body.to_owned()),
        received_at: Set(now),
        processed_at: Set(None),
        outcome: Set(None),
        attempts: Set(0),
        next_attempt_at: Set(Some(claimed_until)),
        last_error: Set(None),
    }
    .insert(db)
    .await
    .map_err(WriteError::of)
}

pub async fn processed(db: &impl ConnectionTrait, id: Uuid, outcome: &str) -> Result<(), DbErr> {
    Events::update_many()
        .col_expr(Column::ProcessedAt, Expr::value(crate::now()))
        .col_expr(Column::Outcome, Expr::value(outcome))
        .col_expr(
            Column::NextAttemptAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Not applied this time: try again at `next` (`None`: give up, kept for an admin).
pub async fn deferred(
    db: &impl ConnectionTrait,
    id: Uuid,
    error: &str,
    next: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    Events::update_many()
        .col_expr(Column::LastError, Expr::value(error))
        .col_expr(Column::NextAttemptAt, Expr::value(next))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Events waiting for another attempt whose time has come, oldest first.
pub async fn due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<EventRow>, DbErr> {
    Events::find()
        .filter(Column::ProcessedAt.is_null())
        .filter(Column::NextAttemptAt.lte(now))
        .order_by_asc(Column::ReceivedAt)
        .limit(limit)
        .all(db)
        .await
}

/// Takes an event for one attempt: pushes its next attempt to `until` unless another
/// replica took it first (false).
pub async fn claim(
    db: &impl ConnectionTrait,
    row: &EventRow,
    until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Events::update_many()
        .col_expr(Column::NextAttemptAt, Expr::value(until))
        .filter(Column::Id.eq(row.id))
        .filter(Column::ProcessedAt.is_null())
        .filter(Column::NextAttemptAt.eq(row.next_attempt_at))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Forgets events applied (or given up) that were received before `before`; the number
/// forgotten. Their effects stay: each payment, refund and period is kept by its own unique
/// id, so a delivery of a forgotten event applies nothing again.
pub async fn purge(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let result = Events::delete_many()
        .filter(Column::ReceivedAt.lt(before))
        .filter(
            sea_orm::Condition::any()
                .add(Column::ProcessedAt.is_not_null())
                .add(Column::NextAttemptAt.is_null()),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[tokio::test]
    async fn a_delivery_is_not_retried_while_its_receiver_holds_it() -> Result<(), DbErr> {
        let (db, path) = crate::tests::fresh_sqlite().await?;
        let now = crate::now();
        let lease = now + Duration::seconds(60);
        let row = insert(&db, "evt_1", "payment.captured", "{}", lease)
            .await
            .map_err(|e| DbErr::Custom(format!("{e:?}")))?;
        // The retry job of any replica, running while the receiver applies it.
        assert!(due(&db, now + Duration::seconds(1), 10).await?.is_empty());
        // The receiver died without an outcome: retried once the lease is over.
        let later = due(&db, lease, 10).await?;
        assert_eq!(later.len(), 1);
        assert!(claim(&db, &row, lease + Duration::seconds(60)).await?);
        crate::tests::remove_sqlite(db, &path).await
    }
}
