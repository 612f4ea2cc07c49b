//! Refunds the gateway processed.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;

use crate::entities::refund;
use crate::WriteError;

pub use crate::entities::refund::Model as RefundRow;

/// `Taken` when this gateway refund was applied before.
pub async fn insert(
    db: &impl ConnectionTrait,
    payment: Uuid,
    gateway_refund_id: &str,
    amount_minor: i64,
    taken_mc: i64,
    debt_mc: i64,
) -> Result<RefundRow, WriteError> {
    refund::ActiveModel {
        id: Set(Uuid::now_v7()),
        payment_id: Set(payment),
        gateway_refund_id: Set(gateway_refund_id.to_owned()),
        amount_minor: Set(amount_minor),
        taken_mc: Set(taken_mc),
        debt_mc: Set(debt_mc),
        created_at: Set(crate::now()),
    }
    .insert(db)
    .await
    .map_err(WriteError::of)
}

/// The refund applied for this gateway refund, if any.
pub async fn find_by_gateway_id(
    db: &impl ConnectionTrait,
    gateway_refund_id: &str,
) -> Result<Option<RefundRow>, DbErr> {
    refund::Entity::find()
        .filter(refund::Column::GatewayRefundId.eq(gateway_refund_id))
        .one(db)
        .await
}
