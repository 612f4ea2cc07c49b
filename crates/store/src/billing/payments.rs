//! Payments received, one row per gateway payment: the row is written in the transaction
//! that credits it, so its unique gateway id is one of the guards against crediting twice.

use chrono::{DateTime, Utc};
use penora_domain::{Currency, PaymentStatus, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::entities::payment::{self, Column, Entity as Payments};
use crate::text::AsText;
use crate::{Page, WriteError};

pub use crate::entities::payment::Model as PaymentRow;

/// A payment to record.
#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    pub id: Uuid,
    pub user: UserId,
    pub gateway: &'a str,
    pub gateway_payment_id: &'a str,
    pub order_id: Option<Uuid>,
    pub subscription_id: Option<Uuid>,
    pub item_id: &'a str,
    pub credits_mc: i64,
    pub amount_minor: i64,
    pub currency: Currency,
    pub expected_amount_minor: i64,
    pub expected_currency: Currency,
    pub status: PaymentStatus,
    pub receipt_number: &'a str,
    pub period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub at: DateTime<Utc>,
}

/// `Taken` when this gateway payment was recorded before.
pub async fn insert(
    db: &impl ConnectionTrait,
    new: &NewPayment<'_>,
) -> Result<PaymentRow, WriteError> {
    payment::ActiveModel {
        id: Set(new.id),
        user_id: Set(new.user.as_uuid()),
        gateway: Set(new.gateway.to_owned()),
        gateway_payment_id: Set(new.gateway_payment_id.to_owned()),
        order_id: Set(new.order_id),
        subscription_id: Set(new.subscription_id),
        item_id: Set(new.item_id.to_owned()),
        credits_mc: Set(new.credits_mc),
        amount_minor: Set(new.amount_minor),
        currency: Set(AsText(new.currency)),
        expected_amount_minor: Set(new.expected_amount_minor),
        expected_currency: Set(AsText(new.expected_currency)),
        status: Set(AsText(new.status)),
        refunded_minor: Set(0),
        credits_taken_mc: Set(0),
        receipt_number: Set(new.receipt_number.to_owned()),
        period_start: Set(new.period.map(|p| p.0)),
        period_end: Set(new.period.map(|p| p.1)),
        created_at: Set(new.at),
        updated_at: Set(new.at),
    }
    .insert(db)
    .await
    .map_err(WriteError::of)
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<PaymentRow>, DbErr> {
    Payments::find_by_id(id).one(db).await
}

pub async fn find_by_gateway_id(
    db: &impl ConnectionTrait,
    gateway: &str,
    gateway_payment_id: &str,
) -> Result<Option<PaymentRow>, DbErr> {
    Payments::find()
        .filter(Column::Gateway.eq(gateway))
        .filter(Column::GatewayPaymentId.eq(gateway_payment_id))
        .one(db)
        .await
}

/// Records a refund's effect: the total refunded so far, the credits taken (or owed) so far
/// and the resulting status. Conditional on the previous total, so two refunds applied at
/// once cannot both count from the same starting point.
pub async fn refunded(
    db: &impl ConnectionTrait,
    row: &PaymentRow,
    refunded_minor: i64,
    credits_taken_mc: i64,
    status: PaymentStatus,
) -> Result<bool, DbErr> {
    let result = Payments::update_many()
        .col_expr(Column::RefundedMinor, Expr::value(refunded_minor))
        .col_expr(Column::CreditsTakenMc, Expr::value(credits_taken_mc))
        .col_expr(Column::Status, Expr::value(status.as_str()))
        .col_expr(Column::UpdatedAt, Expr::value(crate::now()))
        .filter(Column::Id.eq(row.id))
        .filter(Column::RefundedMinor.eq(row.refunded_minor))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Filters for the admin's list.
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub user: Option<UserId>,
    pub status: Option<PaymentStatus>,
    /// Only payments whose amount or currency differ from what was ordered.
    pub mismatched: bool,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Payments older than this id (ids are time-ordered UUIDv7s).
    pub before: Option<Uuid>,
}

/// One page of payments, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &PaymentFilter,
    limit: u64,
) -> Result<Page<PaymentRow>, DbErr> {
    let mut query = Payments::find();
    if let Some(user) = filter.user {
        query = query.filter(Column::UserId.eq(user.as_uuid()));
    }
    if let Some(status) = filter.status {
        query = query.filter(Column::Status.eq(status.as_str()));
    }
    if filter.mismatched {
        query = query.filter(
            Condition::any()
                .add(Expr::col(Column::AmountMinor).ne(Expr::col(Column::ExpectedAmountMinor)))
                .add(Expr::col(Column::Currency).ne(Expr::col(Column::ExpectedCurrency))),
        );
    }
    if let Some(from) = filter.from {
        query = query.filter(Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(Column::CreatedAt.lt(to));
    }
    if let Some(before) = filter.before {
        query = query.filter(Column::Id.lt(before));
    }
    let rows = query
        .order_by_desc(Column::Id)
        .limit(Page::<PaymentRow>::fetch_limit(limit))
        .all(db)
        .await?;
    Ok(Page::of(rows, limit))
}
