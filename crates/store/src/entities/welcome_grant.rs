use sea_orm::entity::prelude::*;

/// One row per email address that ever received the welcome bonus.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "welcome_grants")]
pub struct Model {
    /// HMAC-SHA256 (server key) of the normalised address, hex: no address is stored.
    #[sea_orm(primary_key, auto_increment = false)]
    pub email_hmac: String,
    pub user_id: Uuid,
    pub granted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
