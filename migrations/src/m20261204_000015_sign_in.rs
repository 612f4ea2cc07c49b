//! Sign-in methods beyond the password: identities at the main site (SukuSuku) and Google,
//! the single-use records that make a sign-in token or an OAuth `state` work once, and the
//! storage ImageGene reports for a user.
//!
//! `users.password_hash` becomes nullable (an account made by single sign-on has no
//! password). SQLite cannot drop a NOT NULL constraint in place and rebuilding `users` would
//! cascade through every foreign key to it, so the column is replaced: a nullable copy is
//! added, filled, the old one dropped and the copy renamed. Both backends take that path.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    PasswordHash,
    PasswordHashNullable,
    AppStorageBytes,
}

#[derive(DeriveIden)]
enum Identities {
    Table,
    Id,
    UserId,
    Provider,
    Subject,
    Email,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum UsedTokens {
    Table,
    Key,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum OauthFlows {
    Table,
    StateHash,
    Provider,
    Nonce,
    CodeVerifier,
    ReturnTo,
    LinkUserId,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let alter = |statement: &mut TableAlterStatement| statement.table(Users::Table).to_owned();
        manager
            .alter_table(alter(
                Table::alter().add_column(string_null(Users::PasswordHashNullable)),
            ))
            .await?;
        // Tombstones kept an empty hash: no password at all is what they have.
        manager
            .exec_stmt(
                Query::update()
                    .table(Users::Table)
                    .value(
                        Users::PasswordHashNullable,
                        Expr::cust("NULLIF(password_hash, '')"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(alter(Table::alter().drop_column(Users::PasswordHash)))
            .await?;
        manager
            .alter_table(alter(
                Table::alter().rename_column(Users::PasswordHashNullable, Users::PasswordHash),
            ))
            .await?;
        manager
            .alter_table(alter(
                Table::alter().add_column(
                    big_integer(Users::AppStorageBytes)
                        .default(0)
                        .check(Expr::col(Users::AppStorageBytes).gte(0)),
                ),
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Identities::Table)
                    .col(pk_uuid(Identities::Id))
                    .col(uuid(Identities::UserId))
                    .col(string(Identities::Provider))
                    .col(string(Identities::Subject))
                    .col(string_null(Identities::Email))
                    .col(timestamp_with_time_zone(Identities::CreatedAt))
                    .col(timestamp_with_time_zone(Identities::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Identities::Table, Identities::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_identities_provider_subject",
                [Identities::Provider, Identities::Subject],
            ),
            (
                "idx_identities_user_provider",
                [Identities::UserId, Identities::Provider],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Identities::Table).unique();
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(UsedTokens::Table)
                    .col(string(UsedTokens::Key).primary_key())
                    .col(timestamp_with_time_zone(UsedTokens::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_used_tokens_expires_at")
                    .table(UsedTokens::Table)
                    .col(UsedTokens::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OauthFlows::Table)
                    .col(string(OauthFlows::StateHash).primary_key())
                    .col(string(OauthFlows::Provider))
                    .col(string(OauthFlows::Nonce))
                    .col(string(OauthFlows::CodeVerifier))
                    .col(string_null(OauthFlows::ReturnTo))
                    .col(uuid_null(OauthFlows::LinkUserId))
                    .col(timestamp_with_time_zone(OauthFlows::CreatedAt))
                    .col(timestamp_with_time_zone(OauthFlows::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_oauth_flows_expires_at")
                    .table(OauthFlows::Table)
                    .col(OauthFlows::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OauthFlows::Table.into_iden(),
            UsedTokens::Table.into_iden(),
            Identities::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::AppStorageBytes)
                    .to_owned(),
            )
            .await?;
        // A password-less account gets an empty hash again, which no password matches.
        manager
            .exec_stmt(
                Query::update()
                    .table(Users::Table)
                    .value(Users::PasswordHash, "")
                    .and_where(Expr::col(Users::PasswordHash).is_null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
