//! Credits: balances on users, the append-only ledger, holds (reservations), API keys and
//! stored idempotent responses.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    BalanceMc,
    ReservedMc,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
    UserId,
    Kind,
    AmountMc,
    BalanceAfterMc,
    Reference,
    RelatedEntryId,
    Model,
    Words,
    Actor,
    Description,
    Meta,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Holds {
    Table,
    Id,
    UserId,
    AmountMc,
    DeliveredMc,
    State,
    Model,
    CreatedAt,
    ExpiresAt,
    SettledAt,
    ChargedMc,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    Kind,
    UserId,
    Name,
    Prefix,
    KeyHash,
    Scopes,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Id,
    Scope,
    Key,
    Fingerprint,
    Status,
    Response,
    CreatedAt,
    ExpiresAt,
}

fn user_fk(
    from_table: impl IntoIden + 'static,
    from_col: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Column CHECKs back up the conditional updates: a balance can never go negative.
        for (column, check) in [
            (Users::BalanceMc, Expr::col(Users::BalanceMc).gte(0)),
            (Users::ReservedMc, Expr::col(Users::ReservedMc).gte(0)),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(big_integer(column).default(0).check(check))
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(LedgerEntries::Table)
                    .col(pk_uuid(LedgerEntries::Id))
                    .col(uuid(LedgerEntries::UserId))
                    .col(string(LedgerEntries::Kind))
                    .col(big_integer(LedgerEntries::AmountMc))
                    .col(big_integer(LedgerEntries::BalanceAfterMc))
                    // A retried request carries the same reference and is refused here.
                    .col(string_uniq(LedgerEntries::Reference))
                    .col(uuid_null(LedgerEntries::RelatedEntryId))
                    .col(string_null(LedgerEntries::Model))
                    .col(big_integer_null(LedgerEntries::Words))
                    .col(string_null(LedgerEntries::Actor))
                    .col(string_null(LedgerEntries::Description))
                    .col(json(LedgerEntries::Meta))
                    .col(timestamp_with_time_zone(LedgerEntries::CreatedAt))
                    .check(Expr::col(LedgerEntries::BalanceAfterMc).gte(0))
                    .foreign_key(&mut user_fk(LedgerEntries::Table, LedgerEntries::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ledger_user_created")
                    .table(LedgerEntries::Table)
                    .col(LedgerEntries::UserId)
                    .col(LedgerEntries::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ledger_related")
                    .table(LedgerEntries::Table)
                    .col(LedgerEntries::RelatedEntryId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Holds::Table)
                    .col(pk_uuid(Holds::Id))
                    .col(uuid(Holds::UserId))
                    .col(big_integer(Holds::AmountMc).check(Expr::col(Holds::AmountMc).gt(0)))
                    .col(big_integer(Holds::DeliveredMc).default(0))
                    .col(string(Holds::State))
                    .col(string_null(Holds::Model))
                    .col(timestamp_with_time_zone(Holds::CreatedAt))
                    .col(timestamp_with_time_zone(Holds::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Holds::SettledAt))
                    .col(big_integer_null(Holds::ChargedMc))
                    .foreign_key(&mut user_fk(Holds::Table, Holds::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_holds_state_expiry")
                    .table(Holds::Table)
                    .col(Holds::State)
                    .col(Holds::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(pk_uuid(ApiKeys::Id))
                    .col(string(ApiKeys::Kind))
                    .col(uuid_null(ApiKeys::UserId))
                    .col(string(ApiKeys::Name))
                    .col(string(ApiKeys::Prefix))
                    .col(string_uniq(ApiKeys::KeyHash))
                    .col(string(ApiKeys::Scopes))
                    .col(uuid_null(ApiKeys::CreatedBy))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .check(Expr::col(ApiKeys::Kind).is_in(["personal", "app"]))
                    .foreign_key(&mut user_fk(ApiKeys::Table, ApiKeys::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_keys_user")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(pk_uuid(IdempotencyKeys::Id))
                    .col(string(IdempotencyKeys::Scope))
                    .col(string(IdempotencyKeys::Key))
                    .col(string(IdempotencyKeys::Fingerprint))
                    .col(integer(IdempotencyKeys::Status))
                    .col(json(IdempotencyKeys::Response))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .col(timestamp_with_time_zone(IdempotencyKeys::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_idempotency_scope_key")
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::Scope)
                    .col(IdempotencyKeys::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_idempotency_expiry")
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IdempotencyKeys::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Holds::Table.into_iden(),
            LedgerEntries::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [Users::ReservedMc, Users::BalanceMc] {
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
