//! The sandbox gateway's state: Razorpay-shaped objects as JSON, and its webhook outbox.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::entities::sandbox_delivery::{self, Entity as Deliveries};
use crate::entities::sandbox_object::{self, Entity as Objects};

pub use crate::entities::sandbox_delivery::Model as DeliveryRow;

/// Inserts or replaces object `id`.
pub async fn put(
    db: &impl ConnectionTrait,
    kind: &str,
    id: &str,
    parent: Option<&str>,
    body: &str,
) -> Result<(), DbErr> {
    use sandbox_object::Column;
    let now = crate::now();
    let row = sandbox_object::ActiveModel {
        id: Set(id.to_owned()),
        kind: Set(kind.to_owned()),
        parent: Set(parent.map(str::to_owned)),
        body: Set(body.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    Objects::insert(row)
        .on_conflict(
            OnConflict::column(Column::Id)
                .update_columns([Column::Body, Column::Parent, Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn get(db: &impl ConnectionTrait, kind: &str, id: &str) -> Result<Option<String>, DbErr> {
    use sandbox_object::Column;
    Ok(Objects::find_by_id(id.to_owned())
        .filter(Column::Kind.eq(kind))
        .one(db)
        .await?
        .map(|row| row.body))
}

/// Objects of `kind` under `parent`, oldest first.
pub async fn children(
    db: &impl ConnectionTrait,
    kind: &str,
    parent: &str,
) -> Result<Vec<String>, DbErr> {
    use sandbox_object::Column;
    Ok(Objects::find()
        .filter(Column::Parent.eq(parent))
        .filter(Column::Kind.eq(kind))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.body)
        .collect())
}

/// A webhook to deliver.
#[derive(Debug, Clone)]
pub struct NewDelivery<'a> {
    pub event_id: &'a str,
    pub event: &'a str,
    pub body: &'a str,
    pub signature: &'a str,
    pub deliver_after: DateTime<Utc>,
}

pub async fn enqueue(db: &impl ConnectionTrait, new: &NewDelivery<'_>) -> Result<(), DbErr> {
    Deliveries::insert(sandbox_delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        event_id: Set(new.event_id.to_owned()),
        event: Set(new.event.to_owned()),
        body: Set(new.body.to_owned()),
        signature: Set(new.signature.to_owned()),
        deliver_after: Set(new.deliver_after),
        attempts: Set(0),
        delivered_at: Set(None),
        last_error: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Deliveries whose time has come, in the order they are due.
pub async fn due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<DeliveryRow>, DbErr> {
    use sandbox_delivery::Column;
    Deliveries::find()
        .filter(Column::DeliveredAt.is_null())
        .filter(Column::DeliverAfter.lte(now))
        .order_by_asc(Column::DeliverAfter)
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Takes a delivery for one attempt, pushing its time to `until` (when a lost attempt is
/// retried); false when another replica took it first.
pub async fn claim(
    db: &impl ConnectionTrait,
    row: &DeliveryRow,
    until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use sandbox_delivery::Column;
    let result = Deliveries::update_many()
        .col_expr(Column::DeliverAfter, Expr::value(until))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .filter(Column::Id.eq(row.id))
        .filter(Column::DeliveredAt.is_null())
        .filter(Column::DeliverAfter.eq(row.deliver_after))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn delivered(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    use sandbox_delivery::Column;
    Deliveries::update_many()
        .col_expr(Column::DeliveredAt, Expr::value(crate::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A failed attempt: try again at `next`.
pub async fn failed(
    db: &impl ConnectionTrait,
    id: Uuid,
    error: &str,
    next: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sandbox_delivery::Column;
    Deliveries::update_many()
        .col_expr(Column::LastError, Expr::value(error))
        .col_expr(Column::DeliverAfter, Expr::value(next))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets deliveries made before `before`; the number forgotten.
pub async fn purge_delivered(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    use sandbox_delivery::Column;
    let result = Deliveries::delete_many()
        .filter(Column::DeliveredAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
