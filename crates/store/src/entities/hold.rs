use sea_orm::entity::prelude::*;

use crate::text::AsText;
use penora_domain::HoldState;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "holds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// Reserved: the most this hold can charge.
    pub amount_mc: i64,
    /// What has been delivered so far (saved as text arrives), charged if the hold expires.
    pub delivered_mc: i64,
    /// `open` or `settled`.
    pub state: AsText<HoldState>,
    pub model: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub settled_at: Option<DateTimeUtc>,
    pub charged_mc: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
