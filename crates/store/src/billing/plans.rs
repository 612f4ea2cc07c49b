//! The gateway's plan id for each catalog plan item at its price (created on first use).

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::entities::gateway_plan::{self, Column, Entity as Plans};

pub use crate::entities::gateway_plan::Model as PlanRow;

/// A plan item at a price with one gateway.
#[derive(Debug, Clone, Copy)]
pub struct PlanKey<'a> {
    pub gateway: &'a str,
    pub item_id: &'a str,
    pub amount_minor: i64,
    pub currency: &'a str,
}

pub async fn find(db: &impl ConnectionTrait, key: PlanKey<'_>) -> Result<Option<String>, DbErr> {
    Ok(Plans::find()
        .filter(Column::Gateway.eq(key.gateway))
        .filter(Column::ItemId.eq(key.item_id))
        .filter(Column::AmountMinor.eq(key.amount_minor))
        .filter(Column::Currency.eq(key.currency))
        .one(db)
        .await?
        .map(|row| row.gateway_plan_id))
}

/// The gateway plan `plan_id` of `gateway`: its item and the price it charges.
pub async fn by_gateway_id(
    db: &impl ConnectionTrait,
    gateway: &str,
    plan_id: &str,
) -> Result<Option<PlanRow>, DbErr> {
    Plans::find()
        .filter(Column::Gateway.eq(gateway))
        .filter(Column::GatewayPlanId.eq(plan_id))
        .one(db)
        .await
}

/// Remembers `plan_id` for `key` unless another replica remembered one first; returns the
/// one kept.
pub async fn remember(
    db: &impl ConnectionTrait,
    key: PlanKey<'_>,
    plan_id: &str,
) -> Result<String, DbErr> {
    let row = gateway_plan::ActiveModel {
        id: Set(Uuid::now_v7()),
        gateway: Set(key.gateway.to_owned()),
        item_id: Set(key.item_id.to_owned()),
        amount_minor: Set(key.amount_minor),
        currency: Set(key.currency.to_owned()),
        gateway_plan_id: Set(plan_id.to_owned()),
        created_at: Set(crate::now()),
    };
    Plans::insert(row)
        .on_conflict(
            OnConflict::columns([
                Column::Gateway,
                Column::ItemId,
                Column::AmountMinor,
                Column::Currency,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    find(db, key)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("gateway plan for {}", key.item_id)))
}
