//! Deleted accounts become tombstones, and welcome bonuses are remembered per address.
//!
//! The ledger is append-only, so an account's row stays when the account is deleted (its
//! entries keep their foreign key): `deleted_at` marks it, and deletion clears everything
//! personal on it. `welcome_grants` holds one row per email address that ever received the
//! welcome bonus, keyed by an HMAC of the normalised address (the server's key is not
//! visible here; the server fills in existing accounts at start-up, idempotently).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    DeletedAt,
}

#[derive(DeriveIden)]
enum WelcomeGrants {
    Table,
    EmailHmac,
    UserId,
    GrantedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::DeletedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WelcomeGrants::Table)
                    .col(string(WelcomeGrants::EmailHmac).primary_key())
                    // Accounts are never deleted as rows (tombstones), so no cascade.
                    .col(uuid(WelcomeGrants::UserId))
                    .col(timestamp_with_time_zone(WelcomeGrants::GrantedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WelcomeGrants::Table, WelcomeGrants::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_welcome_grants_user")
                    .table(WelcomeGrants::Table)
                    .col(WelcomeGrants::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WelcomeGrants::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::DeletedAt)
                    .to_owned(),
            )
            .await
    }
}
