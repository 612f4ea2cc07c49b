//! Admins' refund requests, keyed by their `Idempotency-Key` (see the entity).

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;

use crate::entities::refund_request::{self, Column, Entity};
use crate::WriteError;

pub use crate::entities::refund_request::Model as RefundRequestRow;

/// A request about to be sent to the gateway.
#[derive(Debug, Clone)]
pub struct NewRefundRequest<'a> {
    pub scope: &'a str,
    pub idem_key: &'a str,
    pub fingerprint: &'a str,
    pub payment: Uuid,
    pub amount_minor: i64,
}

/// Records a request; `Taken` when its key was recorded before.
pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewRefundRequest<'_>,
) -> Result<RefundRequestRow, WriteError> {
    refund_request::ActiveModel {
        id: Set(Uuid::now_v7()),
        scope: Set(new.scope.to_owned()),
        idem_key: Set(new.idem_key.to_owned()),
        fingerprint: Set(new.fingerprint.to_owned()),
        payment_id: Set(new.payment),
        amount_minor: Set(new.amount_minor),
        gateway_refund_id: Set(None),
        created_at: Set(crate::now()),
    }
    .insert(db)
    .await
    .map_err(WriteError::of)
}

/// The request recorded under this key.
pub async fn find(
    db: &impl ConnectionTrait,
    scope: &str,
    idem_key: &str,
) -> Result<Option<RefundRequestRow>, DbErr> {
    Entity::find()
        .filter(Column::Scope.eq(scope))
        .filter(Column::IdemKey.eq(idem_key))
        .one(db)
        .await
}

/// Notes the gateway's refund for a request.
pub async fn answered(
    db: &impl ConnectionTrait,
    id: Uuid,
    gateway_refund_id: &str,
) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::GatewayRefundId, Expr::value(gateway_refund_id))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}
