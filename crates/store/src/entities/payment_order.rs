use penora_domain::{Currency, OrderStatus};
use sea_orm::entity::prelude::*;

use crate::text::AsText;

/// An order for a one-off item, created with the gateway at the catalog's price.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub item_id: String,
    /// What paying it grants, fixed when it was created.
    pub credits_mc: i64,
    pub amount_minor: i64,
    pub currency: AsText<Currency>,
    pub gateway: String,
    pub gateway_order_id: String,
    pub status: AsText<OrderStatus>,
    /// The payment that paid it (or did not match it).
    pub gateway_payment_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
