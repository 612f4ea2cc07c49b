//! Plan subscriptions and what they entitle their users to.

use chrono::{DateTime, Utc};
use penora_domain::{SubscriptionStatus, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::entities::subscription::{self, Column, Entity as Subscriptions};
use crate::text::AsText;
use crate::WriteError;

pub use crate::entities::subscription::Model as SubscriptionRow;

/// A subscription as created with the gateway.
#[derive(Debug, Clone)]
pub struct NewSubscription<'a> {
    pub user: UserId,
    pub item_id: &'a str,
    pub tier: &'a str,
    pub gateway: &'a str,
    pub gateway_subscription_id: &'a str,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: &NewSubscription<'_>,
) -> Result<SubscriptionRow, WriteError> {
    let now = crate::now();
    subscription::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(new.user.as_uuid()),
        item_id: Set(new.item_id.to_owned()),
        tier: Set(new.tier.to_owned()),
        gateway: Set(new.gateway.to_owned()),
        gateway_subscription_id: Set(new.gateway_subscription_id.to_owned()),
        status: Set(AsText(SubscriptionStatus::Created)),
        current_start: Set(None),
        current_end: Set(None),
        entitled_until: Set(None),
        cancel_at_period_end: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(WriteError::of)
}

pub async fn find_by_gateway_id(
    db: &impl ConnectionTrait,
    gateway: &str,
    gateway_subscription_id: &str,
) -> Result<Option<SubscriptionRow>, DbErr> {
    Subscriptions::find()
        .filter(Column::Gateway.eq(gateway))
        .filter(Column::GatewaySubscriptionId.eq(gateway_subscription_id))
        .one(db)
        .await
}

/// The user's most recent subscription, live or not.
pub async fn latest(
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<Option<SubscriptionRow>, DbErr> {
    Subscriptions::find()
        .filter(Column::UserId.eq(user.as_uuid()))
        .order_by_desc(Column::Id)
        .one(db)
        .await
}

/// The user's subscriptions that may still renew or be paid (see
/// [`SubscriptionStatus::is_live`]).
pub async fn live(db: &impl ConnectionTrait, user: UserId) -> Result<Vec<SubscriptionRow>, DbErr> {
    let live: Vec<&str> = SubscriptionStatus::ALL
        .iter()
        .filter(|s| s.is_live())
        .map(|s| s.as_str())
        .collect();
    Subscriptions::find()
        .filter(Column::UserId.eq(user.as_uuid()))
        .filter(Column::Status.is_in(live))
        .all(db)
        .await
}

/// The tiers the user is entitled to at `now` (usually one).
pub async fn entitled_tiers(
    db: &impl ConnectionTrait,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<Vec<String>, DbErr> {
    Subscriptions::find()
        .select_only()
        .column(Column::Tier)
        .filter(Column::UserId.eq(user.as_uuid()))
        .filter(Column::EntitledUntil.gt(now))
        .into_tuple::<String>()
        .all(db)
        .await
}

/// What the gateway says of a subscription now.
#[derive(Debug, Clone)]
pub struct Change {
    pub status: SubscriptionStatus,
    pub current_start: Option<DateTime<Utc>>,
    pub current_end: Option<DateTime<Utc>>,
    pub entitled_until: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
}

pub async fn update(db: &impl ConnectionTrait, id: Uuid, change: &Change) -> Result<(), DbErr> {
    Subscriptions::update_many()
        .col_expr(Column::Status, Expr::value(change.status.as_str()))
        .col_expr(Column::CurrentStart, Expr::value(change.current_start))
        .col_expr(Column::CurrentEnd, Expr::value(change.current_end))
        .col_expr(Column::EntitledUntil, Expr::value(change.entitled_until))
        .col_expr(
            Column::CancelAtPeriodEnd,
            Expr::value(change.cancel_at_period_end),
        )
        .col_expr(Column::UpdatedAt, Expr::value(crate::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// [`update`], only while the row is still as `read` (by its `updated_at`): false when
/// another writer changed it since.
pub async fn update_unchanged(
    db: &impl ConnectionTrait,
    read: &SubscriptionRow,
    change: &Change,
) -> Result<bool, DbErr> {
    let result = Subscriptions::update_many()
        .col_expr(Column::Status, Expr::value(change.status.as_str()))
        .col_expr(Column::CurrentStart, Expr::value(change.current_start))
        .col_expr(Column::CurrentEnd, Expr::value(change.current_end))
        .col_expr(Column::EntitledUntil, Expr::value(change.entitled_until))
        .col_expr(
            Column::CancelAtPeriodEnd,
            Expr::value(change.cancel_at_period_end),
        )
        .col_expr(Column::UpdatedAt, Expr::value(crate::now()))
        .filter(Column::Id.eq(read.id))
        .filter(Column::UpdatedAt.eq(read.updated_at))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Ends the entitlement a fully refunded payment paid for, at `now`: when the payment's
/// period (`period_start`) is the subscription's current one or later, or it has none. A
/// refund of an earlier period leaves the current one alone. True when it ended one.
pub async fn end_refunded_period(
    db: &impl ConnectionTrait,
    id: Uuid,
    period_start: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut update = Subscriptions::update_many()
        .col_expr(Column::EntitledUntil, Expr::value(Some(now)))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::EntitledUntil.gt(now));
    if let Some(start) = period_start {
        update = update.filter(
            Condition::any()
                .add(Column::CurrentStart.is_null())
                .add(Column::CurrentStart.lte(start)),
        );
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// Subscriptions the reconcile job asks the gateway about: live ones whose paid period ended
/// before `now` (a renewal's webhook may not have come), and ones never activated that were
/// created in `[since, stale)` (older ones were abandoned at checkout).
pub async fn due_for_reconcile(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    since: DateTime<Utc>,
    stale: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<SubscriptionRow>, DbErr> {
    let ended = Condition::all()
        .add(Column::Status.is_in([
            SubscriptionStatus::Active.as_str(),
            SubscriptionStatus::Pending.as_str(),
        ]))
        .add(Column::CurrentEnd.lt(now));
    let unpaid = Condition::all()
        .add(Column::Status.is_in([
            SubscriptionStatus::Created.as_str(),
            SubscriptionStatus::Authenticated.as_str(),
        ]))
        .add(Column::CreatedAt.lt(stale))
        .add(Column::CreatedAt.gte(since));
    Subscriptions::find()
        .filter(Condition::any().add(ended).add(unpaid))
        .order_by_asc(Column::UpdatedAt)
        .limit(limit)
        .all(db)
        .await
}
