//! `/api/v1/credits/*` and `/api/v1/models`: balance, history, usage, models, estimates.

use actix_web::web;
use chrono::{DateTime, Utc};
use penora_api_types::{
    Balance, Estimate, EstimateRequest, Model, ModelList, TransactionPage, Usage, UsageRow,
};
use penora_domain::{cost_mc, EntryKind};
use penora_store::ledger::HistoryFilter;
use serde::Deserialize;
use utoipa::IntoParams;

use super::pagination::{cursor, limit};
use super::responses::{balance_of, transaction_view};
use crate::auth::{Read, Scoped};
use crate::error::ApiError;
use penora_app::credits::{self, CostEstimate, EstimateInput, GroupBy, LedgerEntry};
use penora_app::provider_keys;
use penora_app::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/credits/balance").route(web::get().to(balance)))
        .service(web::resource("/credits/transactions").route(web::get().to(transactions)))
        .service(web::resource("/credits/usage").route(web::get().to(usage)))
        .service(web::resource("/credits/estimate").route(web::post().to(estimate)))
        .service(web::resource("/models").route(web::get().to(models)));
}

/// The signed-in user's balance.
#[utoipa::path(get, path = "/api/v1/credits/balance", tag = "credits", security(("session" = []), ("personal_key" = ["read"])),
    responses((status = 200, body = Balance), (status = 401)))]
#[tracing::instrument(name = "routes::credits::balance", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id())))]
pub async fn balance(user: Scoped<Read>) -> web::Json<Balance> {
    web::Json(balance_of(&user.row))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct TransactionQuery {
    /// 1 to 100 (default 20).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only this kind, e.g. `app_debit`.
    pub kind: Option<String>,
    /// From this time (inclusive, RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// The ledger: every change of the balance, newest first.
#[utoipa::path(get, path = "/api/v1/credits/transactions", tag = "credits", security(("session" = []), ("personal_key" = ["read"])), params(TransactionQuery),
    responses((status = 200, body = TransactionPage), (status = 400, description = "`invalid_parameter`")))]
#[tracing::instrument(name = "routes::credits::transactions", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id())))]
pub async fn transactions(
    state: web::Data<AppState>,
    user: Scoped<Read>,
    query: web::Query<TransactionQuery>,
) -> Result<web::Json<TransactionPage>, ApiError> {
    let kind = query
        .kind
        .as_deref()
        .map(|k| k.parse::<EntryKind>())
        .transpose()
        .map_err(super::pagination::bad_parameter)?;
    let filter = HistoryFilter {
        kind,
        from: query.from,
        to: query.to,
        before: cursor(query.cursor.as_deref())?,
    };
    let page = credits::history(&state.db, user.id, filter, limit(query.limit)?).await?;
    Ok(web::Json(TransactionPage {
        items: page
            .items
            .iter()
            .map(LedgerEntry::of)
            .map(transaction_view)
            .collect(),
        next_cursor: page.cursor(|r| r.id.to_string()),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UsageQuery {
    /// `model` or `day`.
    pub group_by: String,
    /// Default: 30 days before `to`.
    pub from: Option<DateTime<Utc>>,
    /// Default: now.
    pub to: Option<DateTime<Utc>>,
}

/// Spending grouped by model or by UTC day (at most a year at a time).
#[utoipa::path(get, path = "/api/v1/credits/usage", tag = "credits", security(("session" = []), ("personal_key" = ["read"])), params(UsageQuery),
    responses((status = 200, body = Usage), (status = 400, description = "`invalid_parameter`")))]
#[tracing::instrument(name = "routes::credits::usage", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id())))]
pub async fn usage(
    state: web::Data<AppState>,
    user: Scoped<Read>,
    query: web::Query<UsageQuery>,
) -> Result<web::Json<Usage>, ApiError> {
    let group_by = match query.group_by.as_str() {
        "model" => GroupBy::Model,
        "day" => GroupBy::Day,
        _ => {
            return Err(super::pagination::bad_parameter(
                "`group_by` is `model` or `day`",
            ))
        }
    };
    let (from, to) =
        credits::usage_window(query.from, query.to).map_err(super::pagination::bad_parameter)?;
    let items = credits::usage(&state.db, user.id, group_by, from, to)
        .await?
        .into_iter()
        .map(|g| UsageRow {
            key: g.key,
            spent_mc: g.spent_mc,
            words: g.words,
            entries: g.entries,
        })
        .collect();
    Ok(web::Json(Usage {
        group_by: query.group_by.clone(),
        from,
        to,
        items,
    }))
}

/// What a generation of so many words would cost with a model: the words generated, and the
/// input (`input` text or `input_words`) beyond the free allowance at the model's input rate.
#[utoipa::path(post, path = "/api/v1/credits/estimate", tag = "credits", request_body = EstimateRequest,
    responses(
        (status = 200, body = Estimate),
        (status = 422, description = "`unknown_model` or `validation_failed`"),
    ))]
#[tracing::instrument(name = "routes::credits::estimate", skip_all)]
pub async fn estimate(
    state: web::Data<AppState>,
    body: web::Json<EstimateRequest>,
) -> Result<web::Json<Estimate>, ApiError> {
    let input = EstimateInput::of(body.input.as_deref(), body.input_words)?;
    let estimate = credits::estimate(
        &state.catalog,
        &body.model,
        body.words,
        input,
        state.config.settings.free_input_words,
    )?;
    Ok(web::Json(estimate_view(estimate)))
}

fn estimate_view(estimate: CostEstimate) -> Estimate {
    Estimate {
        model: estimate.model,
        words: estimate.words,
        multiplier_per_mille: estimate.multiplier_per_mille,
        cost_mc: estimate.cost_mc,
        output_cost_mc: estimate.output_cost_mc,
        input_words: estimate.input_words,
        free_input_words: estimate.free_input_words,
        input_multiplier_per_mille: estimate.input_multiplier_per_mille,
        input_cost_mc: estimate.input_cost_mc,
    }
}

/// The model catalog with prices and availability. No sign-in needed; signed in (session or
/// personal key), models of providers you stored your own key for are available to you.
#[utoipa::path(get, path = "/api/v1/models", tag = "credits", security((), ("session" = []), ("personal_key" = ["read"])), responses((status = 200, body = ModelList)))]
#[tracing::instrument(name = "routes::credits::models", skip_all,
    fields(user_id = user.as_ref().map(|u| tracing::field::display(u.id))))]
pub async fn models(
    state: web::Data<AppState>,
    user: Option<Scoped<Read>>,
) -> Result<web::Json<ModelList>, ApiError> {
    let own = match &user {
        Some(user) => provider_keys::providers_of(&state, user.id).await?,
        None => Default::default(),
    };
    let models = state
        .catalog
        .models()
        .iter()
        .filter(|m| m.enabled)
        .map(|m| {
            let own_key = own.contains(&m.provider);
            Model {
                id: m.id.clone(),
                display_name: m.display_name.clone(),
                provider: m.provider.clone(),
                multiplier_per_mille: m.multiplier_per_mille,
                cost_per_100_words_mc: cost_mc(100, m.multiplier()).get(),
                input_multiplier_per_mille: m.input_multiplier().get(),
                context_tokens: m.context_tokens,
                max_output_words: m.max_output_words,
                plans: m.plans.clone(),
                available: m.available || own_key,
                description: m.description.clone(),
                own_key,
            }
        })
        .collect();
    Ok(web::Json(ModelList {
        models,
        default_model: state.catalog.default_model().to_owned(),
    }))
}
