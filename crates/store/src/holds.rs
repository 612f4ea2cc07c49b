//! Holds: credits reserved before a generation, settled on what was delivered.
//!
//! `reserve` moves credits from available to reserved; `settle` closes the hold exactly once
//! (a conditional update on its state), releases the reservation and charges the delivered
//! amount as one `generation` ledger entry. Expired holds are settled by a sweeper that may
//! run on every replica at once.

use chrono::{DateTime, Utc};
use penora_domain::{EntryKind, Millicredits, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::entities::hold::{self, Entity as Holds};
use crate::entities::user::{self, Entity as Users};
use crate::ledger::{self, EntryRow, LedgerError, Movement};
use crate::text::AsText;

pub use crate::entities::hold::Model as HoldRow;

pub use penora_domain::HoldState;

const OPEN: AsText<HoldState> = AsText(HoldState::Open);
const SETTLED: AsText<HoldState> = AsText(HoldState::Settled);

/// Reserves `amount` for a new hold (inside the caller's transaction).
pub async fn reserve(
    txn: &impl ConnectionTrait,
    user: UserId,
    amount: Millicredits,
    model: Option<&str>,
    expires_at: DateTime<Utc>,
) -> Result<HoldRow, LedgerError> {
    let x = amount.get();
    let updated = Users::update_many()
        .col_expr(
            user::Column::ReservedMc,
            Expr::col(user::Column::ReservedMc).add(x),
        )
        .filter(user::Column::Id.eq(user.as_uuid()))
        .filter(ledger::available_covers(x))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(match Users::find_by_id(user.as_uuid()).one(txn).await? {
            Some(u) => LedgerError::Insufficient {
                available: Millicredits::new(u.balance_mc - u.reserved_mc),
            },
            None => LedgerError::UnknownUser,
        });
    }
    let now = crate::now();
    Ok(hold::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.as_uuid()),
        amount_mc: Set(x),
        delivered_mc: Set(0),
        state: Set(OPEN),
        model: Set(model.map(str::to_owned)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        settled_at: Set(None),
        charged_mc: Set(None),
    }
    .insert(txn)
    .await?)
}

/// Records what has been delivered so far (never more than reserved: a larger amount leaves
/// the recorded one as it was), so a crash can still be billed correctly by the sweeper.
/// `expires_at` moves the expiry on while the generation is alive, so only a silent one is
/// swept. False when the hold is no longer open: something else settled it.
pub async fn record_delivery(
    db: &impl ConnectionTrait,
    hold: Uuid,
    delivered: Millicredits,
    expires_at: Option<DateTime<Utc>>,
) -> Result<bool, DbErr> {
    // The cap is in the value, not the filter: the update then matches exactly when the hold
    // is open, which is what the caller learns from it.
    let capped = Expr::case(
        Expr::col(hold::Column::AmountMc).gte(delivered.get()),
        delivered.get(),
    )
    .finally(Expr::col(hold::Column::DeliveredMc));
    let mut update = Holds::update_many().col_expr(hold::Column::DeliveredMc, capped.into());
    if let Some(expires_at) = expires_at {
        update = update.col_expr(hold::Column::ExpiresAt, Expr::value(expires_at));
    }
    let updated = update
        .filter(hold::Column::Id.eq(hold))
        .filter(hold::Column::State.eq(OPEN))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// The outcome of settling.
#[derive(Debug, Clone)]
pub enum Settled {
    /// This call closed the hold; `entry` is the charge (none when nothing was charged).
    Now {
        charged: Millicredits,
        entry: Option<Box<EntryRow>>,
    },
    /// Another call closed it first.
    Already { charged: Millicredits },
}

/// Closes a hold, charging `charge` (capped at the reserved amount), in the caller's
/// transaction. Safe to call twice or from two replicas: only one closes it.
pub async fn settle(
    txn: &impl ConnectionTrait,
    hold_id: Uuid,
    charge: Millicredits,
    words: Option<i64>,
    meta: serde_json::Value,
) -> Result<Settled, LedgerError> {
    let Some(hold) = Holds::find_by_id(hold_id).one(txn).await? else {
        return Err(LedgerError::Db(DbErr::RecordNotFound(format!(
            "hold {hold_id}"
        ))));
    };
    let charge = Millicredits::new(charge.get().clamp(0, hold.amount_mc));
    let closed = Holds::update_many()
        .col_expr(hold::Column::State, Expr::value(SETTLED))
        .col_expr(hold::Column::SettledAt, Expr::value(crate::now()))
        .col_expr(hold::Column::ChargedMc, Expr::value(charge.get()))
        .filter(hold::Column::Id.eq(hold_id))
        .filter(hold::Column::State.eq(OPEN))
        .exec(txn)
        .await?;
    if closed.rows_affected == 0 {
        let current = Holds::find_by_id(hold_id).one(txn).await?;
        let charged = current.and_then(|h| h.charged_mc).unwrap_or_default();
        return Ok(Settled::Already {
            charged: Millicredits::new(charged),
        });
    }
    Users::update_many()
        .col_expr(
            user::Column::ReservedMc,
            Expr::col(user::Column::ReservedMc).sub(hold.amount_mc),
        )
        .filter(user::Column::Id.eq(hold.user_id))
        .exec(txn)
        .await?;
    if !charge.is_positive() {
        return Ok(Settled::Now {
            charged: charge,
            entry: None,
        });
    }
    let reference = reference(hold_id);
    let mut movement = Movement::new(
        UserId::from_uuid(hold.user_id),
        EntryKind::Generation,
        Millicredits::new(-charge.get()),
        &reference,
    );
    movement.model = hold.model.as_deref();
    movement.words = words;
    movement.actor = Some("system");
    movement.meta = meta;
    let entry = ledger::apply(txn, movement).await?;
    Ok(Settled::Now {
        charged: charge,
        entry: Some(Box::new(entry)),
    })
}

/// The reference of a hold's charge in the ledger: one charge per hold.
pub fn reference(hold: Uuid) -> String {
    format!("hold:{hold}")
}

/// Open holds past their expiry, oldest first.
pub async fn expired(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<HoldRow>, DbErr> {
    Holds::find()
        .filter(hold::Column::State.eq(OPEN))
        .filter(hold::Column::ExpiresAt.lt(crate::now()))
        .order_by_asc(hold::Column::ExpiresAt)
        .limit(limit)
        .all(db)
        .await
}

/// The hold as it is now, locked for the rest of the transaction, when it is still open and
/// expired; `None` when it was settled or renewed since it was found expired (a read
/// outside the transaction is only a candidate).
pub async fn lock_expired(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<HoldRow>, DbErr> {
    let locked = Holds::update_many()
        .col_expr(hold::Column::ExpiresAt, Expr::col(hold::Column::ExpiresAt))
        .filter(hold::Column::Id.eq(id))
        .filter(hold::Column::State.eq(OPEN))
        .filter(hold::Column::ExpiresAt.lt(crate::now()))
        .exec(db)
        .await?;
    if locked.rows_affected == 0 {
        return Ok(None);
    }
    Holds::find_by_id(id).one(db).await
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<HoldRow>, DbErr> {
    Holds::find_by_id(id).one(db).await
}

/// Sum of a user's open holds: must always equal `users.reserved_mc`.
pub async fn open_total(db: &impl ConnectionTrait, user: UserId) -> Result<i64, DbErr> {
    let rows = Holds::find()
        .filter(hold::Column::UserId.eq(user.as_uuid()))
        .filter(hold::Column::State.eq(OPEN))
        .all(db)
        .await?;
    Ok(rows.iter().map(|h| h.amount_mc).sum())
}

/// The open holds at a moment: how many, what they reserve, how many are past their expiry
/// (left for the sweeper), and when the oldest was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenHolds {
    pub count: i64,
    pub reserved_mc: i64,
    pub expired: i64,
    pub oldest: Option<DateTime<Utc>>,
}

/// [`OpenHolds`] at `now`, in one read (for the metrics scrape).
pub async fn open_summary(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<OpenHolds, DbErr> {
    let row: Option<(i64, i64, i64, Option<DateTime<Utc>>)> = Holds::find()
        .select_only()
        .column_as(Expr::col(hold::Column::Id).count(), "count")
        .column_as(
            Expr::col(hold::Column::AmountMc)
                .sum()
                .if_null(0)
                .cast_as("BIGINT"),
            "reserved",
        )
        .column_as(
            Expr::case(hold::Column::ExpiresAt.lt(now), 1)
                .finally(0)
                .sum()
                .if_null(0)
                .cast_as("BIGINT"),
            "expired",
        )
        .column_as(Expr::col(hold::Column::CreatedAt).min(), "oldest")
        .filter(hold::Column::State.eq(OPEN))
        .into_tuple()
        .one(db)
        .await?;
    Ok(row.map_or_else(
        OpenHolds::default,
        |(count, reserved_mc, expired, oldest)| OpenHolds {
            count,
            reserved_mc,
            expired,
            oldest,
        },
    ))
}
