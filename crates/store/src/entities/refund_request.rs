use sea_orm::entity::prelude::*;

/// An admin's refund request: recorded before the gateway is asked, so a retry with the
/// same `Idempotency-Key` asks again for the same amount instead of refunding twice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refund_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// With `idem_key`, unique: whose key it is (`admin:<id>`).
    pub scope: String,
    pub idem_key: String,
    /// Of the request (method, path, body): the same key with another request is refused.
    pub fingerprint: String,
    pub payment_id: Uuid,
    /// What the request resolved to ("the rest" becomes a number when first recorded).
    pub amount_minor: i64,
    /// Set once the gateway answered.
    pub gateway_refund_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
