//! How many own provider keys each user stored, on the user's row. Every generation asked
//! the database whether its user had a key for the model's provider; nearly all have none,
//! and that read was a quarter of a billed completion's cost. A zero here skips it, exactly
//! (the count changes in the transaction that stores or deletes a key); the opening of a
//! generation checks it in the same statement.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    ProviderKeys,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(
                        ColumnDef::new(Users::ProviderKeys)
                            .integer()
                            .not_null()
                            .default(0)
                            .check(Expr::col(Users::ProviderKeys).gte(0)),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE users SET provider_keys = \
                 (SELECT COUNT(*) FROM provider_keys WHERE provider_keys.user_id = users.id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::ProviderKeys)
                    .to_owned(),
            )
            .await
    }
}
