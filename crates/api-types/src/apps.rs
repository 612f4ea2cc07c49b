//! Endpoints for sister apps (ImageGene), authenticated by an app key.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
/// Exactly one of the four names the user.
pub struct ResolveUserRequest {
    /// The user's address.
    #[serde(default)]
    pub email: Option<String>,
    /// A single sign-on token the main site signed for ImageGene (`aud` = `imagegene`): all
    /// of the hand-off's checks apply, it works once, and it makes or links the account
    /// like a sign-in at Penora would.
    #[serde(default)]
    pub sso_token: Option<String>,
    /// A Penora user id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The main site's id for the user (the tokens' `sub`), as a string.
    #[serde(default)]
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResolvedUser {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub email_verified: bool,
    /// The main site's id for the user, when the account is linked to it.
    pub external_id: Option<String>,
}

/// What ImageGene stores for a user, in bytes (`PUT /apps/users/{id}/storage`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StorageReport {
    /// 0 to 2^53; what ImageGene holds now (not a change).
    pub bytes: i64,
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
