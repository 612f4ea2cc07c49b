use penora_domain::{Currency, PaymentStatus};
use sea_orm::entity::prelude::*;

use crate::text::AsText;

/// Money the gateway captured for a user, as applied here: one row per gateway payment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub gateway: String,
    pub gateway_payment_id: String,
    /// The order it paid (one-off items).
    pub order_id: Option<Uuid>,
    /// The subscription it paid a period of (plans).
    pub subscription_id: Option<Uuid>,
    pub item_id: String,
    /// Credits granted (0 when nothing was, e.g. a mismatch).
    pub credits_mc: i64,
    pub amount_minor: i64,
    pub currency: AsText<Currency>,
    /// What the catalog asked for; differs from the above on a mismatch.
    pub expected_amount_minor: i64,
    pub expected_currency: AsText<Currency>,
    pub status: AsText<PaymentStatus>,
    pub refunded_minor: i64,
    /// Credits refunds have taken back, or recorded as debt.
    pub credits_taken_mc: i64,
    pub receipt_number: String,
    /// The plan period it paid for.
    pub period_start: Option<DateTimeUtc>,
    pub period_end: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
