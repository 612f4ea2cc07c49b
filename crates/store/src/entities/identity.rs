use penora_domain::Provider;
use sea_orm::entity::prelude::*;

use crate::text::AsText;

/// A sign-in method at another site linked to an account: the provider (`sukusuku`,
/// `google`) and the user's id there, as a string. One per provider and account; one account
/// per provider and subject.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "identities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub provider: AsText<Provider>,
    pub subject: String,
    /// The address the provider gave when it was linked.
    pub email: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_used_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
