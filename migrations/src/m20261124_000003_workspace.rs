//! Workspace: projects (chapters stored as one JSON document per project), each user's
//! storage counter and limit, share codes, and fixed-window counters for rate limits that
//! must hold across replicas (share-code look-ups).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    StorageUsedBytes,
    StorageLimitBytes,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
    UserId,
    Title,
    Kind,
    Chapters,
    ChapterCount,
    WordCount,
    Genre,
    Premise,
    Model,
    SizeBytes,
    Version,
    ShareCode,
    ShareExpiresAt,
    ShareViews,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RateLimitHits {
    Table,
    Bucket,
    WindowStart,
    Hits,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The counter is changed by a conditional update in the same transaction as the
        // project write, like balances; the CHECK backs it up.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(
                        big_integer(Users::StorageUsedBytes)
                            .default(0)
                            .check(Expr::col(Users::StorageUsedBytes).gte(0)),
                    )
                    .to_owned(),
            )
            .await?;
        // NULL: the configured default limit (plans set their own later).
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(big_integer_null(Users::StorageLimitBytes))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Projects::Table)
                    .col(pk_uuid(Projects::Id))
                    .col(uuid(Projects::UserId))
                    .col(string(Projects::Title))
                    .col(string(Projects::Kind))
                    .col(text(Projects::Chapters))
                    .col(integer(Projects::ChapterCount))
                    .col(big_integer(Projects::WordCount))
                    .col(string_null(Projects::Genre))
                    .col(text_null(Projects::Premise))
                    .col(string_null(Projects::Model))
                    .col(big_integer(Projects::SizeBytes))
                    .col(big_integer(Projects::Version))
                    // One active code per project by construction; unique across projects.
                    .col(string_null(Projects::ShareCode).unique_key())
                    .col(timestamp_with_time_zone_null(Projects::ShareExpiresAt))
                    .col(big_integer(Projects::ShareViews).default(0))
                    .col(timestamp_with_time_zone(Projects::CreatedAt))
                    .col(timestamp_with_time_zone(Projects::UpdatedAt))
                    .check(Expr::col(Projects::Kind).is_in(["document", "story"]))
                    .check(Expr::col(Projects::SizeBytes).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Projects::Table, Projects::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_projects_user_updated")
                    .table(Projects::Table)
                    .col(Projects::UserId)
                    .col(Projects::UpdatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RateLimitHits::Table)
                    .col(string(RateLimitHits::Bucket))
                    .col(big_integer(RateLimitHits::WindowStart))
                    .col(big_integer(RateLimitHits::Hits))
                    .primary_key(
                        Index::create()
                            .col(RateLimitHits::Bucket)
                            .col(RateLimitHits::WindowStart),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_rate_limit_hits_window")
                    .table(RateLimitHits::Table)
                    .col(RateLimitHits::WindowStart)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RateLimitHits::Table.into_iden(),
            Projects::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [Users::StorageLimitBytes, Users::StorageUsedBytes] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
