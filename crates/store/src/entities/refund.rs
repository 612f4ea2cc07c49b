use sea_orm::entity::prelude::*;

/// A refund the gateway processed, and the credits it took back.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub payment_id: Uuid,
    pub gateway_refund_id: String,
    pub amount_minor: i64,
    /// Taken from the available balance at once.
    pub taken_mc: i64,
    /// What could not be taken (held by running generations, or spent): a debt.
    pub debt_mc: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
