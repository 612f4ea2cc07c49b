//! Migrating: every replica migrates when it starts, so several may start at once on a new
//! database.

use futures_util::future::join_all;
use sea_orm::{ConnectionTrait, Database};

use crate::helpers::EmptyDatabase;

#[tokio::test]
async fn replicas_starting_together_on_a_new_database_all_migrate_it_once() {
    let empty = EmptyDatabase::new().await;
    let outcomes = join_all((0..4).map(|_| penora_store::migrate_url(&empty.url))).await;
    for outcome in &outcomes {
        assert!(outcome.is_ok(), "a replica failed to migrate: {outcome:?}");
    }
    let db = Database::connect(&empty.url).await.expect("database");
    assert!(penora_store::pending_migrations(&db)
        .await
        .expect("migrations")
        .is_empty());
    let applied = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) AS n, count(DISTINCT version) AS distinct_n FROM seaql_migrations",
        ))
        .await
        .expect("count")
        .expect("a row");
    let n: i64 = applied.try_get("", "n").expect("n");
    let distinct: i64 = applied.try_get("", "distinct_n").expect("distinct");
    assert_eq!(n, distinct, "a migration was recorded twice");
    db.close().await.ok();
}
