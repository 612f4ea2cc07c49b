//! `/api/v1/admin/*`: users and balances, adjustments, the audit log, app keys.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use penora_api_types::{
    AdjustmentRequest, AdminUser as AdminUserView, AdminUserDetail, AdminUserPage, ApiKeyList,
    AuditEntry, AuditPage, CreateAppKeyRequest, CreatedApiKey, Transaction,
};
use penora_domain::{Adjustment, FieldError, FieldErrors, UserId};
use penora_store::audit::AuditFilter;
use penora_store::users::UserRow;
use serde::Deserialize;
use utoipa::IntoParams;

use super::pagination::{cursor, limit};
use super::responses::{balance_of, idem, origin, replayable, transaction_view, user_view};
use super::validated;
use crate::auth::AdminUser;
use crate::error::ApiError;
use penora_app::admin;
use penora_app::api_keys::{self, KeyKind, KeySpec};
use penora_app::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .service(web::resource("/users").route(web::get().to(users)))
            .service(web::resource("/users/{id}").route(web::get().to(user)))
            .service(web::resource("/users/{id}/adjustments").route(web::post().to(adjust)))
            .service(web::resource("/audit-log").route(web::get().to(audit_log)))
            .service(
                web::resource("/app-keys")
                    .route(web::post().to(create_app_key))
                    .route(web::get().to(list_app_keys)),
            )
            .service(web::resource("/app-keys/{id}").route(web::delete().to(revoke_app_key)))
            .configure(super::admin_payments::configure),
    );
}

fn admin_view(row: &UserRow) -> AdminUserView {
    AdminUserView {
        user: user_view(row),
        balance: balance_of(row),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UserQuery {
    /// Part of an email address.
    pub q: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Users with their balances, newest first, searchable by email.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", security(("session" = ["admin"])), params(UserQuery),
    responses((status = 200, body = AdminUserPage), (status = 403, description = "`forbidden`")))]
#[tracing::instrument(name = "routes::admin::users", skip_all, fields(admin_id = %admin.0.id))]
pub async fn users(
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<UserQuery>,
) -> Result<web::Json<AdminUserPage>, ApiError> {
    let limit = limit(query.limit)?;
    let page = admin::search_users(
        &state.db,
        query.q.as_deref().unwrap_or(""),
        cursor(query.cursor.as_deref())?,
        limit,
    )
    .await?;
    Ok(web::Json(AdminUserPage {
        items: page.items.iter().map(admin_view).collect(),
        next_cursor: page.cursor(|r| r.id.to_string()),
    }))
}

/// One user with their newest ledger entries.
#[utoipa::path(get, path = "/api/v1/admin/users/{id}", tag = "admin", security(("session" = ["admin"])),
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses((status = 200, body = AdminUserDetail), (status = 404, description = "`user_not_found`")))]
#[tracing::instrument(name = "routes::admin::user", skip_all,
    fields(admin_id = %admin.0.id, user_id = %id))]
pub async fn user(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<uuid::Uuid>,
) -> Result<web::Json<AdminUserDetail>, ApiError> {
    let (row, recent_transactions) =
        admin::user_detail(&state, UserId::from_uuid(id.into_inner())).await?;
    Ok(web::Json(AdminUserDetail {
        user: admin_view(&row),
        recent_transactions: recent_transactions
            .into_iter()
            .map(transaction_view)
            .collect(),
    }))
}

/// Add or remove credits with a reason. Requires `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/adjustments", tag = "admin", security(("session" = ["admin"])), request_body = AdjustmentRequest,
    params(("id" = uuid::Uuid, Path, description = "User id"), ("Idempotency-Key" = String, Header, description = "Unique per adjustment")),
    responses(
        (status = 201, body = Transaction),
        (status = 402, description = "`insufficient_credits`: would go below zero"),
        (status = 422, description = "`validation_failed`"),
    ))]
#[tracing::instrument(name = "routes::admin::adjust", skip_all,
    fields(admin_id = %admin_user.id, user_id = %id))]
pub async fn adjust(
    state: web::Data<AppState>,
    req: HttpRequest,
    AdminUser(admin_user): AdminUser,
    id: web::Path<uuid::Uuid>,
    body: web::Json<AdjustmentRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::new();
    let amount = errors.check(Adjustment::parse(body.amount_mc, "amount_mc"));
    let reason = body.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 500 {
        errors.push(FieldError::new(
            "reason",
            "invalid",
            "Give a reason of 1 to 500 characters.",
        ));
    }
    let amount = validated(errors, amount)?;
    let key = idem(&req, format!("admin:{}", admin_user.id), &body.0)?;
    let user = UserId::from_uuid(id.into_inner());
    let outcome = admin::adjust(
        &state,
        admin_user.id,
        user,
        amount,
        reason,
        &key,
        &origin(&req, &state),
    )
    .await?;
    Ok(replayable(outcome.map(transaction_view)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// e.g. `auth.login_failed`, `app.debit`.
    pub action: Option<String>,
    /// The acting user's id.
    pub actor: Option<uuid::Uuid>,
    /// What it was about (an email, a user id).
    pub subject: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit-log", tag = "admin", security(("session" = ["admin"])), params(AuditQuery),
    responses((status = 200, body = AuditPage)))]
#[tracing::instrument(name = "routes::admin::audit_log", skip_all, fields(admin_id = %admin.0.id))]
pub async fn audit_log(
    state: web::Data<AppState>,
    admin: AdminUser,
    query: web::Query<AuditQuery>,
) -> Result<web::Json<AuditPage>, ApiError> {
    let limit = limit(query.limit)?;
    let filter = AuditFilter {
        action: query.action.clone(),
        actor: query.actor.map(UserId::from_uuid),
        subject: query.subject.clone(),
        from: query.from,
        to: query.to,
        before: cursor(query.cursor.as_deref())?,
    };
    let page = admin::audit_log(&state.db, &filter, limit).await?;
    let next_cursor = page.cursor(|r| r.id.to_string());
    let items = page
        .items
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            actor_user_id: r.actor_user_id,
            action: r.action,
            subject: r.subject,
            ip: r.ip,
            meta: r.meta,
            created_at: r.created_at,
        })
        .collect();
    Ok(web::Json(AuditPage { items, next_cursor }))
}

/// Issue an app key (server to server, e.g. for ImageGene). The secret is shown once.
#[utoipa::path(post, path = "/api/v1/admin/app-keys", tag = "admin", security(("session" = ["admin"])), request_body = CreateAppKeyRequest,
    responses((status = 201, body = CreatedApiKey), (status = 422, description = "`validation_failed`")))]
#[tracing::instrument(name = "routes::admin::create_app_key", skip_all,
    fields(admin_id = %admin_user.id))]
pub async fn create_app_key(
    state: web::Data<AppState>,
    req: HttpRequest,
    AdminUser(admin_user): AdminUser,
    body: web::Json<CreateAppKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let spec = KeySpec::parse(KeyKind::App, &body.name, Some(&body.scopes))
        .map_err(|e| ApiError::validation(vec![e]))?;
    let created = api_keys::issue(
        &state.db,
        &spec,
        None,
        Some(admin_user.id),
        "admin.app_key_created",
        &origin(&req, &state),
    )
    .await?;
    Ok(HttpResponse::Created().json(super::api_keys::created_view(created)))
}

/// Every app key (never the secrets).
#[utoipa::path(get, path = "/api/v1/admin/app-keys", tag = "admin", security(("session" = ["admin"])),
    responses((status = 200, body = ApiKeyList)))]
#[tracing::instrument(name = "routes::admin::list_app_keys", skip_all,
    fields(admin_id = %admin.0.id))]
pub async fn list_app_keys(
    state: web::Data<AppState>,
    admin: AdminUser,
) -> Result<web::Json<ApiKeyList>, ApiError> {
    let rows = admin::app_keys(&state.db).await?;
    Ok(web::Json(ApiKeyList {
        items: rows.iter().map(super::api_keys::view).collect(),
    }))
}

/// Revoke an app key; it stops working at once (within `PENORA_API_KEY_CACHE_MS`, one second
/// by default, on other servers of a multi-server deployment).
#[utoipa::path(delete, path = "/api/v1/admin/app-keys/{id}", tag = "admin", security(("session" = ["admin"])),
    params(("id" = uuid::Uuid, Path, description = "The key's id")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "`not_found`")))]
#[tracing::instrument(name = "routes::admin::revoke_app_key", skip_all,
    fields(admin_id = %admin_user.id, app_key_id = %id))]
pub async fn revoke_app_key(
    state: web::Data<AppState>,
    req: HttpRequest,
    AdminUser(admin_user): AdminUser,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = penora_domain::ApiKeyId::from_uuid(id.into_inner());
    if !penora_app::api_keys::revoke_app(&state, id).await? {
        return Err(ApiError::not_found(
            "There is no live app key with this id.",
        ));
    }
    let origin = origin(&req, &state);
    penora_app::audit::record(
        &state.db,
        Some(admin_user.id),
        "admin.app_key_revoked",
        Some(&id.to_string()),
        &origin,
        serde_json::json!({}),
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}
