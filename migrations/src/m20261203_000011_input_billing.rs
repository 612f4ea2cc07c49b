//! What a generation's input was billed: its billable words (what the caller supplied,
//! measured by the billable-length rule) and the credits charged for the words beyond the
//! free allowance. Generations from before input was billed have 0 of both.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Generations {
    Table,
    InputWords,
    InputCostMc,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Generations::Table)
                    .add_column(
                        ColumnDef::new(Generations::InputWords)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Generations::Table)
                    .add_column(
                        ColumnDef::new(Generations::InputCostMc)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Generations::InputCostMc, Generations::InputWords] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Generations::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
