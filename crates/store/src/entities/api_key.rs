use penora_domain::{KeyKind, KeyScopes};
use sea_orm::entity::prelude::*;

use crate::text::AsText;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `personal` (acts as its user) or `app` (server to server, e.g. ImageGene).
    pub kind: AsText<KeyKind>,
    pub user_id: Option<Uuid>,
    pub name: String,
    /// The first characters of the key, to recognise it in lists.
    pub prefix: String,
    #[sea_orm(unique)]
    pub key_hash: String,
    /// Space-separated scope names.
    pub scopes: AsText<KeyScopes>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
