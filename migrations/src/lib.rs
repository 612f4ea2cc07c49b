//! Penora's schema, one migration per change. Every migration runs on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_accounts;
mod m20261123_000002_credits;
mod m20261124_000003_workspace;
mod m20261124_000004_generations;
mod m20261124_000005_stories;
mod m20261124_000006_provider_keys;
mod m20261130_000007_sparse_indexes;
mod m20261130_000008_provider_key_count;
mod m20261203_000009_account_tombstones;
mod m20261203_000011_input_billing;
mod m20261204_000013_bounded_reads;
mod m20261204_000014_billing;
mod m20261204_000015_sign_in;
mod m20261204_000016_refund_requests;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_accounts::Migration),
            Box::new(m20261123_000002_credits::Migration),
            Box::new(m20261124_000003_workspace::Migration),
            Box::new(m20261124_000004_generations::Migration),
            Box::new(m20261124_000005_stories::Migration),
            Box::new(m20261124_000006_provider_keys::Migration),
            Box::new(m20261130_000007_sparse_indexes::Migration),
            Box::new(m20261130_000008_provider_key_count::Migration),
            Box::new(m20261203_000009_account_tombstones::Migration),
            Box::new(m20261203_000011_input_billing::Migration),
            Box::new(m20261204_000013_bounded_reads::Migration),
            Box::new(m20261204_000014_billing::Migration),
            Box::new(m20261204_000015_sign_in::Migration),
            Box::new(m20261204_000016_refund_requests::Migration),
        ]
    }
}
