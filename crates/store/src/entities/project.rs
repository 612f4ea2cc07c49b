use penora_domain::ProjectKind;
use sea_orm::entity::prelude::*;

use crate::text::AsText;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub title: String,
    pub kind: AsText<ProjectKind>,
    /// JSON array of `{title, text}`.
    #[sea_orm(column_type = "Text")]
    pub chapters: String,
    pub chapter_count: i32,
    pub word_count: i64,
    pub genre: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub premise: Option<String>,
    pub model: Option<String>,
    pub size_bytes: i64,
    pub version: i64,
    #[sea_orm(unique)]
    pub share_code: Option<String>,
    pub share_expires_at: Option<DateTimeUtc>,
    pub share_views: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
