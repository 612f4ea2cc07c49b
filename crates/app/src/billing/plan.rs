//! What a user's plan gives them now: storage, models, generations at once and a minute.
//! The free tier's figures are the settings; a plan tier's come from the billing catalog
//! while a subscription entitles the user to it (its paid period, plus a day's grace for the
//! renewal's webhook; a halt ends it at once).

use penora_domain::UserId;
use penora_store::billing::subscriptions;
use penora_store::{ConnectionTrait, DbErr};

use super::catalog::FREE_TIER;
use crate::catalog::ModelSpec;
use crate::AppState;

/// A user's entitlements at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// `free`, or a tier id of the billing catalog.
    pub tier: String,
    pub storage_bytes: i64,
    pub concurrent_generations: u32,
    pub generations_per_minute: u32,
}

impl Plan {
    /// An account without a plan.
    pub fn free(state: &AppState) -> Self {
        let settings = &state.config.settings;
        Self {
            tier: FREE_TIER.to_owned(),
            storage_bytes: settings.storage_quota_bytes,
            concurrent_generations: settings.generations_per_user,
            generations_per_minute: settings.capacity.rate_generations_per_user_per_minute,
        }
    }

    /// Generations the plan lets run at once for a caller: the plan's limit for the app (a
    /// session); for a personal API key, at least the keys' setting.
    pub fn concurrent_for(&self, state: &AppState, by_key: bool) -> u32 {
        let keys = state
            .config
            .settings
            .capacity
            .api_key_concurrent_generations;
        match by_key {
            true => self.concurrent_generations.max(keys),
            false => self.concurrent_generations,
        }
    }

    /// True when the plan may use `model` (a model open to every account, or one whose
    /// `plans` name this tier).
    pub fn allows(&self, model: &ModelSpec) -> bool {
        model.plans.is_empty() || model.plans.contains(&self.tier)
    }
}

/// The plan `user` is on now.
pub async fn of(state: &AppState, user: UserId) -> Result<Plan, DbErr> {
    of_on(state, &state.db, user).await
}

/// [`of`], read over `db` (a transaction, or the readers' pool).
pub async fn of_on(
    state: &AppState,
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<Plan, DbErr> {
    let tiers = subscriptions::entitled_tiers(db, user, penora_store::now()).await?;
    Ok(match state.billing.best(&tiers) {
        Some(tier) => Plan {
            tier: tier.id.clone(),
            storage_bytes: tier.storage_bytes,
            concurrent_generations: tier.concurrent_generations,
            generations_per_minute: tier.generations_per_minute,
        },
        None => Plan::free(state),
    })
}
