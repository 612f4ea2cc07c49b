//! Credits a refund could not take back at once, owed until the next purchase or grant.

use penora_domain::UserId;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use crate::entities::credit_debt::{self, Column, Entity as Debts};
use crate::WriteError;

pub use crate::entities::credit_debt::Model as DebtRow;

/// `Taken` when the reference was recorded before.
pub async fn insert(
    db: &impl ConnectionTrait,
    user: UserId,
    amount_mc: i64,
    reference: &str,
) -> Result<DebtRow, WriteError> {
    credit_debt::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.as_uuid()),
        amount_mc: Set(amount_mc),
        remaining_mc: Set(amount_mc),
        reference: Set(reference.to_owned()),
        created_at: Set(crate::now()),
        settled_at: Set(None),
    }
    .insert(db)
    .await
    .map_err(WriteError::of)
}

/// The user's debts not yet paid off, oldest first.
pub async fn open(db: &impl ConnectionTrait, user: UserId) -> Result<Vec<DebtRow>, DbErr> {
    Debts::find()
        .filter(Column::UserId.eq(user.as_uuid()))
        .filter(Column::RemainingMc.gt(0))
        .order_by_asc(Column::Id)
        .all(db)
        .await
}

/// Pays `amount_mc` off the debt; false when less than that remained (a concurrent
/// settlement got there first).
pub async fn pay_off(db: &impl ConnectionTrait, id: Uuid, amount_mc: i64) -> Result<bool, DbErr> {
    let now = crate::now();
    let result = Debts::update_many()
        .col_expr(
            Column::RemainingMc,
            Expr::col(Column::RemainingMc).sub(amount_mc),
        )
        .col_expr(
            Column::SettledAt,
            Expr::case(
                Expr::col(Column::RemainingMc).eq(amount_mc),
                Expr::value(now),
            )
            .finally(Expr::col(Column::SettledAt))
            .into(),
        )
        .filter(Column::Id.eq(id))
        .filter(Column::RemainingMc.gte(amount_mc))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
