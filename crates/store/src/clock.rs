//! The database's clock, read without a round trip.
//!
//! Replicas decide when holds expire and what the sweeper may settle; if each used its own
//! clock, a replica whose clock runs ahead would settle holds another replica had just
//! extended. So every time the store writes or compares is the database server's time:
//! [`sync`] measures how far this machine's clock is from it (on PostgreSQL; SQLite is this
//! machine's own file and clock) and [`crate::now`] adds that offset to the local clock. The
//! offset is one value for the process: every connection of a process reaches the same
//! database server. It is measured at start-up and again at every sweep, so a clock that
//! drifts or is stepped is followed within one sweep interval.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, TransactionTrait};

use crate::Backend;

/// The database's clock minus this machine's, in microseconds.
static OFFSET_MICROS: AtomicI64 = AtomicI64::new(0);

/// The database's time now, as far as this process knows it.
pub(crate) fn database_now() -> DateTime<Utc> {
    Utc::now() + chrono::Duration::microseconds(OFFSET_MICROS.load(Ordering::Relaxed))
}

/// Measures the database clock's offset from this machine's and uses it from now on;
/// returns it. Each sample is timed on a connection already taken (waiting for one is not
/// part of the round trip), half the round trip is taken as the time the answer took to
/// come back, and the sample with the shortest round trip wins.
pub async fn sync(db: &DatabaseConnection) -> Result<chrono::Duration, DbErr> {
    if Backend::of(db) != Backend::Postgres {
        return Ok(chrono::Duration::zero());
    }
    let txn = db.begin().await?;
    let mut best: Option<(chrono::Duration, chrono::Duration)> = None;
    for _ in 0..SAMPLES {
        let sent = Utc::now();
        let row = txn
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT clock_timestamp() AS now",
            ))
            .await?
            .ok_or_else(|| DbErr::Custom("the database did not tell its time".to_owned()))?;
        let received = Utc::now();
        let theirs: DateTime<Utc> = row.try_get("", "now")?;
        let round_trip = received - sent;
        let offset = theirs - (sent + round_trip / 2);
        if best.is_none_or(|(shortest, _)| round_trip < shortest) {
            best = Some((round_trip, offset));
        }
    }
    txn.commit().await?;
    let offset = best.map_or_else(chrono::Duration::zero, |(_, offset)| offset);
    OFFSET_MICROS.store(offset.num_microseconds().unwrap_or(0), Ordering::Relaxed);
    Ok(offset)
}

/// Round trips timed per measurement.
const SAMPLES: usize = 3;
