//! `/api/v1/apps/*`: what sister apps (ImageGene) do with an app key.

use actix_web::{web, HttpRequest, HttpResponse};
use penora_api_types::{
    Balance, Debit, DebitRequest, ProjectPage, Quota, Refund, RefundRequest, ResolveUserRequest,
    ResolvedUser, SharedProject, StorageQuota, StorageReport,
};
use penora_domain::{
    Email, ExternalSubject, FieldError, FieldErrors, LedgerEntryId, PositiveAmount, UserId,
};

use super::projects::{list_query, page, shared_view, ListParams};
use super::responses::{balance_view, idem, origin, replayable};
use super::validated;
use crate::auth::{App, CreditsRead, CreditsWrite, ProjectsRead, StorageWrite, UsersRead};
use crate::error::ApiError;
use penora_app::apps::{self, Debited, Refunded, UserKey};
use penora_app::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/apps")
            .service(web::resource("/users/resolve").route(web::post().to(resolve)))
            .service(web::resource("/users/{id}/balance").route(web::get().to(balance)))
            .service(web::resource("/users/{id}/debits").route(web::post().to(debit)))
            .service(web::resource("/users/{id}/refunds").route(web::post().to(refund)))
            .service(web::resource("/users/{id}/quota").route(web::get().to(quota)))
            .service(web::resource("/users/{id}/storage").route(web::put().to(report_storage)))
            .service(web::resource("/users/{id}/projects").route(web::get().to(projects)))
            .service(web::resource("/shares/{code}").route(web::get().to(shared))),
    );
}

fn user_id(raw: &str) -> Result<UserId, ApiError> {
    UserId::parse(raw).ok_or_else(|| super::pagination::bad_parameter("the user id is not a UUID"))
}

/// Find a Penora user (scope `users:read`) by exactly one of: `email`, `user_id`,
/// `external_id` (the main site's id), or `sso_token` (a single sign-on token the main site
/// made for ImageGene, `aud` = `imagegene`; it works once, and makes or links the account as
/// Penora's own hand-off does).
#[utoipa::path(post, path = "/api/v1/apps/users/resolve", tag = "apps", security(("app_key" = ["users:read"])), request_body = ResolveUserRequest,
    responses(
        (status = 200, body = ResolvedUser),
        (status = 401, description = "`sign_in_refused` (the token; `extra.reason` says why)"),
        (status = 403, description = "`app_key_required` or `insufficient_scope`"),
        (status = 404, description = "`user_not_found`, or `sign_in_method_unavailable` for a token when single sign-on is not set up"),
        (status = 422, description = "`validation_failed`: not exactly one key, or a malformed one"),
        (status = 503, description = "`identity_provider_unavailable`: the main site's key set cannot be fetched"),
    ))]
#[tracing::instrument(name = "routes::apps::resolve", skip_all,
    fields(app_key_id = %app.caller.key_id))]
pub async fn resolve(
    state: web::Data<AppState>,
    req: HttpRequest,
    app: App<UsersRead>,
    body: web::Json<ResolveUserRequest>,
) -> Result<web::Json<ResolvedUser>, ApiError> {
    let key = user_key(body.into_inner())?;
    let (user, external) = apps::resolve(&state, &app.caller, &key, &origin(&req, &state)).await?;
    Ok(web::Json(ResolvedUser {
        user_id: user.id,
        email: user.email,
        display_name: user.display_name,
        email_verified: user.email_verified_at.is_some(),
        external_id: external.map(|subject| subject.as_str().to_owned()),
    }))
}

/// The one key a resolve names the user by.
fn user_key(body: ResolveUserRequest) -> Result<UserKey, ApiError> {
    let invalid = |field: &'static str, message: &str| {
        ApiError::validation(vec![FieldError::new(field, "invalid", message)])
    };
    match (body.email, body.sso_token, body.user_id, body.external_id) {
        (Some(email), None, None, None) => Email::parse(&email)
            .map(UserKey::Email)
            .map_err(|e| ApiError::validation(vec![e])),
        (None, Some(token), None, None) => Ok(UserKey::SsoToken(token)),
        (None, None, Some(id), None) => UserId::parse(&id)
            .map(UserKey::UserId)
            .ok_or_else(|| invalid("user_id", "Give a Penora user id (a UUID).")),
        (None, None, None, Some(subject)) => ExternalSubject::parse(&subject)
            .map(UserKey::ExternalId)
            .map_err(|e| invalid("external_id", &e.to_string())),
        _ => Err(ApiError::validation(vec![FieldError::new(
            "body",
            "one_of",
            "Give exactly one of email, sso_token, user_id and external_id.",
        )])),
    }
}

/// A user's balance (scope `credits:read`).
#[utoipa::path(get, path = "/api/v1/apps/users/{id}/balance", tag = "apps", security(("app_key" = ["credits:read"])),
    params(("id" = uuid::Uuid, Path, description = "Penora user id")),
    responses((status = 200, body = Balance), (status = 404, description = "`user_not_found`")))]
#[tracing::instrument(name = "routes::apps::balance", skip_all,
    fields(app_key_id = %app.caller.key_id, user_id = %id))]
pub async fn balance(
    state: web::Data<AppState>,
    req: HttpRequest,
    app: App<CreditsRead>,
    id: web::Path<String>,
) -> Result<web::Json<Balance>, ApiError> {
    let funds = apps::balance(&state, &app.caller, user_id(&id)?, &origin(&req, &state)).await?;
    Ok(web::Json(balance_view(funds)))
}

/// Spend a user's credits (scope `credits:write`). Requires `Idempotency-Key`: a retry
/// returns the first response and spends nothing more.
#[utoipa::path(post, path = "/api/v1/apps/users/{id}/debits", tag = "apps", security(("app_key" = ["credits:write"])), request_body = DebitRequest,
    params(("id" = uuid::Uuid, Path, description = "Penora user id"), ("Idempotency-Key" = String, Header, description = "Unique per debit; reuse it to retry")),
    responses(
        (status = 201, body = Debit),
        (status = 400, description = "`idempotency_key_required`"),
        (status = 402, description = "`insufficient_credits` (with `extra.available_mc`)"),
        (status = 404, description = "`user_not_found`"),
        (status = 422, description = "`validation_failed` or `idempotency_key_reused`"),
    ))]
#[tracing::instrument(name = "routes::apps::debit", skip_all,
    fields(app_key_id = %app.caller.key_id, user_id = %id))]
pub async fn debit(
    state: web::Data<AppState>,
    req: HttpRequest,
    app: App<CreditsWrite>,
    id: web::Path<String>,
    body: web::Json<DebitRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = user_id(&id)?;
    let amount = PositiveAmount::parse(body.amount_mc, "amount_mc")
        .map_err(|e| ApiError::validation(vec![e]))?;
    let key = idem(&req, app.caller.idem_scope(), &body.0)?;
    let description = body.into_inner().description;
    let outcome = apps::debit(
        &state,
        &app.caller,
        user,
        amount,
        description,
        &key,
        &origin(&req, &state),
    )
    .await?;
    Ok(replayable(outcome.map(debit_view)))
}

fn debit_view(debit: Debited) -> Debit {
    Debit {
        debit_id: debit.debit_id,
        user_id: debit.user_id,
        amount_mc: debit.amount_mc,
        balance_mc: debit.balance_mc,
        created_at: debit.created_at,
    }
}

/// Give back (part of) a debit (scope `credits:write`). All refunds of a debit together
/// never exceed it. Requires `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/apps/users/{id}/refunds", tag = "apps", security(("app_key" = ["credits:write"])), request_body = RefundRequest,
    params(("id" = uuid::Uuid, Path, description = "Penora user id"), ("Idempotency-Key" = String, Header, description = "Unique per refund")),
    responses(
        (status = 201, body = Refund),
        (status = 404, description = "`debit_not_found` or `user_not_found`"),
        (status = 422, description = "`refund_exceeds_debit`, `validation_failed` or `idempotency_key_reused`"),
    ))]
#[tracing::instrument(name = "routes::apps::refund", skip_all,
    fields(app_key_id = %app.caller.key_id, user_id = %id))]
pub async fn refund(
    state: web::Data<AppState>,
    req: HttpRequest,
    app: App<CreditsWrite>,
    id: web::Path<String>,
    body: web::Json<RefundRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = user_id(&id)?;
    let mut errors = FieldErrors::new();
    let amount = errors.check(PositiveAmount::parse(body.amount_mc, "amount_mc"));
    let amount = validated(errors, amount)?;
    let key = idem(&req, app.caller.idem_scope(), &body.0)?;
    let input = apps::RefundInput {
        user,
        debit_id: LedgerEntryId::from_uuid(body.debit_id),
        amount,
        reason: body.into_inner().reason,
    };
    let outcome = apps::refund(&state, &app.caller, input, &key, &origin(&req, &state)).await?;
    Ok(replayable(outcome.map(refund_view)))
}

fn refund_view(refund: Refunded) -> Refund {
    Refund {
        refund_id: refund.refund_id,
        debit_id: refund.debit_id,
        user_id: refund.user_id,
        amount_mc: refund.amount_mc,
        refunded_total_mc: refund.refunded_total_mc,
        balance_mc: refund.balance_mc,
        created_at: refund.created_at,
    }
}

/// A user's quota across apps (scope `credits:read`): credits and workspace storage.
#[utoipa::path(get, path = "/api/v1/apps/users/{id}/quota", tag = "apps", security(("app_key" = ["credits:read"])),
    params(("id" = uuid::Uuid, Path, description = "Penora user id")),
    responses((status = 200, body = Quota), (status = 404, description = "`user_not_found`")))]
#[tracing::instrument(name = "routes::apps::quota", skip_all,
    fields(app_key_id = %app.caller.key_id, user_id = %id))]
pub async fn quota(
    state: web::Data<AppState>,
    req: HttpRequest,
    app: App<CreditsRead>,
    id: web::Path<String>,
) -> Result<web::Json<Quota>, ApiError> {
    let user = user_id(&id)?;
    let (credits, storage) = apps::quota(&state, &app.caller, user, &origin(&req, &state)).await?;
    Ok(web::Json(Quota {
        user_id: user.as_uuid(),
        credits: balance_view(credits),
        storage: super::projects::quota_view(storage),
    }))
}

/// Report what ImageGene stores for a user (scope `storage:write`): the bytes it holds now,
/// counted with Penora's projects in the quota both apps share.
///
/// The same figure again changes nothing; a smaller one always works; a larger one that
/// would take both apps past the user's limit is refused (`413 quota_exceeded`, nothing
/// changed): ask before storing. Each change is in the audit log.
#[utoipa::path(put, path = "/api/v1/apps/users/{id}/storage", tag = "apps", security(("app_key" = ["storage:write"])),
    params(("id" = uuid::Uuid, Path, description = "Penora user id")),
    request_body = StorageReport,
    responses(
        (status = 200, description = "The shared quota after the report", body = StorageQuota),
        (status = 404, description = "`user_not_found`"),
        (status = 413, description = "`quota_exceeded` (with `extra`): the figure does not fit"),
        (status = 422, description = "`validation_failed`: `bytes` is negative or above 2^53"),
    ))]
#[tracing::instrument(name = "routes::apps::report_storage", skip_all,
    fields(app_key_id = %app.caller.key_id, user_id = %id))]
pub async fn report_storage(
    state: web::Data<AppState>,
    req: HttpRequest,
    app: App<StorageWrite>,
    id: web::Path<String>,
    body: web::Json<StorageReport>,
) -> Result<web::Json<StorageQuota>, ApiError> {
    const MAX_BYTES: i64 = 1 << 53;
    let user = user_id(&id)?;
    if !(0..=MAX_BYTES).contains(&body.bytes) {
        return Err(ApiError::validation(vec![FieldError::new(
            "bytes",
            "out_of_range",
            "Give the bytes stored now: 0 to 2^53.",
        )]));
    }
    let usage =
        apps::report_storage(&state, &app.caller, user, body.bytes, &origin(&req, &state)).await?;
    Ok(web::Json(super::projects::quota_view(usage)))
}

/// A user's projects, without their text (scope `projects:read`). Same paging, search and
/// sort as `GET /api/v1/projects`.
#[utoipa::path(get, path = "/api/v1/apps/users/{id}/projects", tag = "apps", security(("app_key" = ["projects:read"])),
    params(("id" = uuid::Uuid, Path, description = "Penora user id"), ListParams),
    responses((status = 200, body = ProjectPage), (status = 404, description = "`user_not_found`")))]
#[tracing::instrument(name = "routes::apps::projects", skip_all,
    fields(app_key_id = %app.caller.key_id, user_id = %id))]
pub async fn projects(
    state: web::Data<AppState>,
    req: HttpRequest,
    app: App<ProjectsRead>,
    id: web::Path<String>,
    params: web::Query<ListParams>,
) -> Result<web::Json<ProjectPage>, ApiError> {
    let user = user_id(&id)?;
    let query = list_query(&params)?;
    let rows = apps::projects(&state, &app.caller, user, &query, &origin(&req, &state)).await?;
    Ok(web::Json(page(&rows, query.sort)))
}

/// A project by its share code (scope `projects:read`); not counted as a view.
#[utoipa::path(get, path = "/api/v1/apps/shares/{code}", tag = "apps", security(("app_key" = ["projects:read"])),
    params(("code" = String, Path, description = "6 characters of `23456789ABCDEFGHJKMNPQRSTUVWXYZ`, case-insensitive", pattern = "^[2-9A-HJKMNP-Za-hjkmnp-z]{6}$")),
    responses((status = 200, body = SharedProject),
        (status = 400, description = "`invalid_share_code`"),
        (status = 404, description = "`share_not_found`")))]
#[tracing::instrument(name = "routes::apps::shared", skip_all,
    fields(app_key_id = %app.caller.key_id))]
pub async fn shared(
    state: web::Data<AppState>,
    req: HttpRequest,
    app: App<ProjectsRead>,
    code: web::Path<String>,
) -> Result<web::Json<SharedProject>, ApiError> {
    let shared = apps::shared(&state, &app.caller, &code, &origin(&req, &state)).await?;
    Ok(web::Json(shared_view(&shared)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    // A stored debit or refund replays for as long as its key is kept, whichever of the two
    // forms wrote it: the domain result and the response must stay one JSON shape.
    #[test]
    fn debits_and_refunds_are_stored_in_the_shape_they_are_answered_in() {
        let at = chrono::Utc::now();
        let debit = Debited {
            debit_id: uuid::Uuid::new_v4(),
            user_id: uuid::Uuid::new_v4(),
            amount_mc: 1500,
            balance_mc: 48_500,
            created_at: at,
        };
        let stored = serde_json::to_value(&debit).unwrap();
        assert_eq!(serde_json::to_value(debit_view(debit)).unwrap(), stored);
        let refund = Refunded {
            refund_id: uuid::Uuid::new_v4(),
            debit_id: uuid::Uuid::new_v4(),
            user_id: uuid::Uuid::new_v4(),
            amount_mc: 500,
            refunded_total_mc: 700,
            balance_mc: 49_000,
            created_at: at,
        };
        let stored = serde_json::to_value(&refund).unwrap();
        assert_eq!(serde_json::to_value(refund_view(refund)).unwrap(), stored);
    }
}
