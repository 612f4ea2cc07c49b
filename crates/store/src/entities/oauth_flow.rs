use sea_orm::entity::prelude::*;

/// An OAuth sign-in under way: kept by a digest of its `state`, taken once by the callback.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_flows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub state_hash: String,
    pub provider: String,
    pub nonce: String,
    /// The PKCE verifier sent with the code; never leaves the server.
    pub code_verifier: String,
    pub return_to: Option<String>,
    /// Set when a signed-in user links the provider to this account.
    pub link_user_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
