//! Stories: the settings a story project is written to and its outline. The chapters
//! themselves are the project's chapters.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Stories {
    Table,
    ProjectId,
    Tone,
    ChapterCount,
    WordsPerChapter,
    Outline,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Stories::Table)
                    .col(pk_uuid(Stories::ProjectId))
                    .col(string(Stories::Tone))
                    .col(integer(Stories::ChapterCount))
                    .col(integer(Stories::WordsPerChapter))
                    .col(text_null(Stories::Outline))
                    .col(timestamp_with_time_zone(Stories::CreatedAt))
                    .col(timestamp_with_time_zone(Stories::UpdatedAt))
                    .check(Expr::col(Stories::ChapterCount).gte(1))
                    .check(Expr::col(Stories::WordsPerChapter).gte(1))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Stories::Table, Stories::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Stories::Table).to_owned())
            .await
    }
}
