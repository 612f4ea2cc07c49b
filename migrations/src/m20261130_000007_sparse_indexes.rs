//! Two indexes only over the rows that have a value: most ledger entries relate to no other
//! entry, and most audit entries (an app's or the system's) have no acting user, so indexing
//! their NULLs cost a write per debit and was never read. Both databases use a partial index
//! `WHERE c IS NOT NULL` for `c = value`, the only way these columns are searched.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, table, column)
const SPARSE: [(&str, &str, &str); 2] = [
    ("idx_ledger_related", "ledger_entries", "related_entry_id"),
    ("idx_audit_log_actor", "audit_log", "actor_user_id"),
];

/// One string, so that both statements run over one connection: a pooled SQLite connection
/// other than the one that dropped the index may not have seen the drop yet.
async fn recreate(manager: &SchemaManager<'_>, partial: bool) -> Result<(), DbErr> {
    let mut sql = String::new();
    for (index, table, column) in SPARSE {
        let only = if partial {
            format!(" WHERE {column} IS NOT NULL")
        } else {
            String::new()
        };
        sql.push_str(&format!(
            "DROP INDEX {index}; CREATE INDEX {index} ON {table} ({column}){only};\n"
        ));
    }
    manager.get_connection().execute_unprepared(&sql).await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        recreate(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        recreate(manager, false).await
    }
}
