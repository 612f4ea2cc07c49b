//! Orders for one-off items.

use chrono::{DateTime, Utc};
use penora_domain::{Currency, OrderStatus, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::entities::payment_order::{self, Column, Entity as Orders};
use crate::text::AsText;

pub use crate::entities::payment_order::Model as OrderRow;

/// An order as created with the gateway.
#[derive(Debug, Clone)]
pub struct NewOrder<'a> {
    pub id: Uuid,
    pub user: UserId,
    pub item_id: &'a str,
    pub credits_mc: i64,
    pub amount_minor: i64,
    pub currency: Currency,
    pub gateway: &'a str,
    pub gateway_order_id: &'a str,
}

pub async fn insert(db: &impl ConnectionTrait, new: &NewOrder<'_>) -> Result<OrderRow, DbErr> {
    let now = crate::now();
    payment_order::ActiveModel {
        id: Set(new.id),
        user_id: Set(new.user.as_uuid()),
        item_id: Set(new.item_id.to_owned()),
        credits_mc: Set(new.credits_mc),
        amount_minor: Set(new.amount_minor),
        currency: Set(AsText(new.currency)),
        gateway: Set(new.gateway.to_owned()),
        gateway_order_id: Set(new.gateway_order_id.to_owned()),
        status: Set(AsText(OrderStatus::Created)),
        gateway_payment_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<OrderRow>, DbErr> {
    Orders::find_by_id(id).one(db).await
}

pub async fn find_by_gateway_id(
    db: &impl ConnectionTrait,
    gateway: &str,
    gateway_order_id: &str,
) -> Result<Option<OrderRow>, DbErr> {
    Orders::find()
        .filter(Column::Gateway.eq(gateway))
        .filter(Column::GatewayOrderId.eq(gateway_order_id))
        .one(db)
        .await
}

/// Moves an open order to `to` for `payment_id`. False when it was not open any more (a
/// concurrent verify or webhook closed it first).
pub async fn close(
    db: &impl ConnectionTrait,
    id: Uuid,
    to: OrderStatus,
    payment_id: &str,
) -> Result<bool, DbErr> {
    let result = Orders::update_many()
        .col_expr(Column::Status, Expr::value(to.as_str()))
        .col_expr(Column::GatewayPaymentId, Expr::value(payment_id))
        .col_expr(Column::UpdatedAt, Expr::value(crate::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(OrderStatus::Created.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Open orders created in `[from, to)`, oldest first: the reconcile job asks the gateway
/// about them.
pub async fn open_between(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<OrderRow>, DbErr> {
    Orders::find()
        .filter(Column::Status.eq(OrderStatus::Created.as_str()))
        .filter(Column::CreatedAt.gte(from))
        .filter(Column::CreatedAt.lt(to))
        .order_by_asc(Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await
}
