use penora_domain::Role;
use sea_orm::entity::prelude::*;

use crate::text::AsText;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub email: String,
    /// `None` for an account without a password (made by single sign-on or Google).
    pub password_hash: Option<String>,
    pub display_name: String,
    pub role: AsText<Role>,
    pub email_verified_at: Option<DateTimeUtc>,
    pub session_epoch: i64,
    pub balance_mc: i64,
    pub reserved_mc: i64,
    pub storage_used_bytes: i64,
    pub storage_limit_bytes: Option<i64>,
    /// What ImageGene last reported it stores for the user; counted in the shared quota.
    pub app_storage_bytes: i64,
    pub active_generations: i32,
    /// How many own provider keys the user stored (kept by `provider_keys`).
    pub provider_keys: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Set when the account was deleted: the row is then an anonymous tombstone that keeps
    /// the ledger's entries (no email, name or password left on it).
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
