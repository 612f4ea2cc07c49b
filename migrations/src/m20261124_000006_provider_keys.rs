//! Users' own provider keys, encrypted at rest (AES-256-GCM): one per user and provider.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ProviderKeys {
    Table,
    Id,
    UserId,
    Provider,
    Sealed,
    Hint,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProviderKeys::Table)
                    .col(pk_uuid(ProviderKeys::Id))
                    .col(uuid(ProviderKeys::UserId))
                    .col(string(ProviderKeys::Provider))
                    // base64(nonce || ciphertext || tag), bound to user and provider.
                    .col(text(ProviderKeys::Sealed))
                    // What the user sees: the first and last few characters.
                    .col(string(ProviderKeys::Hint))
                    .col(timestamp_with_time_zone(ProviderKeys::CreatedAt))
                    .col(timestamp_with_time_zone(ProviderKeys::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProviderKeys::Table, ProviderKeys::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_provider_keys_user_provider")
                    .table(ProviderKeys::Table)
                    .col(ProviderKeys::UserId)
                    .col(ProviderKeys::Provider)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProviderKeys::Table).to_owned())
            .await
    }
}
