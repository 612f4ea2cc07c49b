//! Fixed-window counters in the database, for limits that must hold across replicas (an
//! attacker spreading share-code guesses over several servers still meets one counter).

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, Set};

use crate::entities::rate_limit_hit::{self, Entity as Hits};

/// Counts one hit in `bucket` for the window starting at `window_start` (seconds since the
/// epoch) and returns the hits in that window so far, this one included. One statement:
/// concurrent hits never lose a count.
pub async fn hit(db: &impl ConnectionTrait, bucket: &str, window_start: i64) -> Result<i64, DbErr> {
    let row = rate_limit_hit::ActiveModel {
        bucket: Set(bucket.to_owned()),
        window_start: Set(window_start),
        hits: Set(1),
    };
    let counted = Hits::insert(row)
        .on_conflict(
            OnConflict::columns([
                rate_limit_hit::Column::Bucket,
                rate_limit_hit::Column::WindowStart,
            ])
            .value(
                rate_limit_hit::Column::Hits,
                Expr::col((Hits, rate_limit_hit::Column::Hits)).add(1),
            )
            .to_owned(),
        )
        .exec_with_returning(db)
        .await?;
    Ok(counted.hits)
}

/// The hits counted in `bucket` for the window starting at `window_start` (0 if none).
pub async fn hits(
    db: &impl ConnectionTrait,
    bucket: &str,
    window_start: i64,
) -> Result<i64, DbErr> {
    Ok(Hits::find_by_id((bucket.to_owned(), window_start))
        .one(db)
        .await?
        .map_or(0, |row| row.hits))
}

/// Forgets windows that started before `before`.
pub async fn purge(db: &impl ConnectionTrait, before: i64) -> Result<u64, DbErr> {
    Ok(Hits::delete_many()
        .filter(rate_limit_hit::Column::WindowStart.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}
