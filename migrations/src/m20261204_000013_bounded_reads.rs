//! Indexes for the bounded reports: a usage report reads one user's ledger entries in a
//! time window (`user_id = ? AND created_at >= ? AND created_at < ?`), and the storage
//! report pages through one user's projects by size (`ORDER BY size_bytes DESC, id`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, table, columns)
const INDEXES: [(&str, &str, [&str; 2]); 2] = [
    (
        "idx_ledger_user_time",
        "ledger_entries",
        ["user_id", "created_at"],
    ),
    (
        "idx_projects_user_size",
        "projects",
        ["user_id", "size_bytes"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, [first, second]) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Alias::new(table))
                        .col(Alias::new(first))
                        .col(Alias::new(second))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
