use penora_domain::EntryKind;
use sea_orm::entity::prelude::*;

use crate::text::AsText;

/// Append-only: rows are inserted, never updated or deleted (except with their user).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: AsText<EntryKind>,
    pub amount_mc: i64,
    pub balance_after_mc: i64,
    #[sea_orm(unique)]
    pub reference: String,
    /// For a refund: the debit it gives back.
    pub related_entry_id: Option<Uuid>,
    pub model: Option<String>,
    pub words: Option<i64>,
    /// Who caused it: `app:<key id>`, `admin:<user id>`, `user:<user id>` or `system`.
    pub actor: Option<String>,
    pub description: Option<String>,
    pub meta: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
