//! Endpoints for sister apps (ImageGene), authenticated by an app key.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResolveUserRequest {
    pub email: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResolvedUser {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub email_verified: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DebitRequest {
    /// Millicredits to spend, 1 to 10^12. An integer: strings and fractions are refused.
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 1_000_000_000_000_i64)
    )]
    pub amount_mc: i64,
    /// What it paid for, shown in the user's history.
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Debit {
    /// Name this id to refund (part of) the debit.
    pub debit_id: Uuid,
    pub user_id: Uuid,
    pub amount_mc: i64,
    pub balance_mc: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundRequest {
    pub debit_id: Uuid,
    /// Millicredits to give back; all refunds of a debit together never exceed it.
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 1_000_000_000_000_i64)
    )]
    pub amount_mc: i64,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refund {
    pub refund_id: Uuid,
    pub debit_id: Uuid,
    pub user_id: Uuid,
    pub amount_mc: i64,
    /// Everything refunded of the debit so far, this refund included.
    pub refunded_total_mc: i64,
    pub balance_mc: i64,
    pub created_at: DateTime<Utc>,
}

/// A user's combined quota across apps.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quota {
    pub user_id: Uuid,
    pub credits: crate::Balance,
    /// The workspace both apps store into.
    pub storage: crate::StorageQuota,
}
