//! Generations: every run of a writing tool, story step or chat completion, with its output
//! saved as it streams, what it cost and how it ended; and each user's count of running
//! generations, kept in the database so the per-user limit holds across replicas.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    ActiveGenerations,
}

#[derive(DeriveIden)]
enum Generations {
    Table,
    Id,
    UserId,
    Tool,
    Model,
    Provider,
    Input,
    Instructions,
    Params,
    Output,
    Words,
    CostMc,
    MaxCostMc,
    Status,
    FinishReason,
    ErrorCode,
    ErrorMessage,
    HoldId,
    CancelRequested,
    PromptTokens,
    CompletionTokens,
    ProjectId,
    BilledTo,
    IdempotencyKey,
    Fingerprint,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Moved by conditional updates in the same transactions that open and settle a
        // generation's hold; the CHECK backs them up.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(
                        integer(Users::ActiveGenerations)
                            .default(0)
                            .check(Expr::col(Users::ActiveGenerations).gte(0)),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Generations::Table)
                    .col(pk_uuid(Generations::Id))
                    .col(uuid(Generations::UserId))
                    .col(string(Generations::Tool))
                    .col(string(Generations::Model))
                    .col(string(Generations::Provider))
                    .col(text(Generations::Input))
                    .col(text(Generations::Instructions))
                    // The rest of the request (length, tone, style ...), as JSON.
                    .col(text(Generations::Params))
                    .col(text(Generations::Output))
                    .col(big_integer(Generations::Words))
                    .col(big_integer(Generations::CostMc))
                    .col(big_integer(Generations::MaxCostMc))
                    .col(string(Generations::Status))
                    .col(string_null(Generations::FinishReason))
                    .col(string_null(Generations::ErrorCode))
                    .col(text_null(Generations::ErrorMessage))
                    .col(uuid_null(Generations::HoldId))
                    .col(boolean(Generations::CancelRequested).default(false))
                    .col(integer_null(Generations::PromptTokens))
                    .col(integer_null(Generations::CompletionTokens))
                    .col(uuid_null(Generations::ProjectId))
                    // `credits`, or `own_key` when the user's own provider key paid for it.
                    .col(string(Generations::BilledTo).default("credits"))
                    .col(string_null(Generations::IdempotencyKey))
                    .col(string_null(Generations::Fingerprint))
                    .col(timestamp_with_time_zone(Generations::CreatedAt))
                    .col(timestamp_with_time_zone(Generations::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Generations::FinishedAt))
                    .check(Expr::col(Generations::Status).is_in([
                        "running",
                        "completed",
                        "cancelled",
                        "failed",
                        "interrupted",
                    ]))
                    .check(Expr::col(Generations::CostMc).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Generations::Table, Generations::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            (
                "idx_generations_user_id",
                vec![Generations::UserId, Generations::Id],
                false,
            ),
            ("idx_generations_hold", vec![Generations::HoldId], false),
            // A retried start with the same key finds the first generation.
            (
                "idx_generations_user_key",
                vec![Generations::UserId, Generations::IdempotencyKey],
                true,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Generations::Table);
            for column in columns {
                index.col(column);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Generations::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::ActiveGenerations)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
