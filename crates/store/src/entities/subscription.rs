use penora_domain::SubscriptionStatus;
use sea_orm::entity::prelude::*;

use crate::text::AsText;

/// A plan subscription with the gateway.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub item_id: String,
    pub tier: String,
    pub gateway: String,
    pub gateway_subscription_id: String,
    pub status: AsText<SubscriptionStatus>,
    pub current_start: Option<DateTimeUtc>,
    pub current_end: Option<DateTimeUtc>,
    /// The plan's storage and models apply until then (the paid period, plus a day's grace
    /// for a renewal's webhook; cut short by a halt).
    pub entitled_until: Option<DateTimeUtc>,
    pub cancel_at_period_end: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
