//! `/api/v1/generations`: run a writing tool (streamed as server-sent events, or as JSON
//! when it is done), list and read past generations, cancel one, save one into a project.

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use penora_api_types::{
    Balance, CreateGeneration, DeltaEvent, Generation, GenerationPage, GenerationResult, Project,
    SaveGeneration,
};
use penora_domain::generation::RawToolRequest;
use penora_domain::{GenerationStatus, ProjectId, ToolRequest, UserId};
use penora_store::generations::{GenerationRow, ListQuery};
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa::IntoParams;
use uuid::Uuid;

use super::generation_events::{self as events, failure_of_row};
use super::pagination::{bad_parameter, cursor, limit};
use super::projects::views::project_view;
use super::responses::balance_view;
use super::sse;
use crate::auth::{Generate, Read, Scoped, ScopedCaller, Write};
use crate::error::ApiError;
use penora_app::generations::{self as service, Account, Event, Job, Opened, Settled};
use penora_app::idempotency::Idem;
use penora_app::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/generations")
            .route(web::post().to(create))
            .route(web::get().to(list)),
    )
    .service(web::resource("/generations/{id}").route(web::get().to(read)))
    .service(web::resource("/generations/{id}/cancel").route(web::post().to(cancel)))
    .service(web::resource("/generations/{id}/save").route(web::post().to(save)));
}

/// Runs a writing tool. With `Accept: text/event-stream` the answer is a stream of events:
/// `meta` (generation id, model, the most it can cost), `delta` (text), `usage` (words and
/// cost so far), then `done` (final cost and balance) or `error` (code and message; words
/// delivered before it are billed). Otherwise the answer is JSON once the text is complete.
///
/// The most the generation can cost is reserved first; it is settled on the words actually
/// delivered, also when it is cancelled, the client disconnects or the provider fails.
/// With an `Idempotency-Key`, a retry answers with the first generation (as JSON) instead of
/// starting another.
#[utoipa::path(post, path = "/api/v1/generations", tag = "generation", security(("session" = []), ("personal_key" = ["generate"])),
    request_body = CreateGeneration,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried start safe")),
    responses(
        (status = 200, description = "`text/event-stream` (events `meta`, `delta`, `usage`, `done`, `error`); or the first generation, for a repeated `Idempotency-Key`", body = GenerationResult),
        (status = 201, description = "The finished generation (JSON mode)", body = GenerationResult),
        (status = 401, description = "`unauthorized`: no valid access token or API key, or the session has ended (signed out everywhere, password changed)"),
        (status = 402, description = "`insufficient_credits`"),
        (status = 403, description = "`model_not_in_plan`, `insufficient_scope`"),
        (status = 422, description = "`validation_failed`, `unknown_model`, `model_unavailable`, `idempotency_key_reused`"),
        (status = 429, description = "`too_many_generations` (more running at once than the plan allows a session, or `PENORA_API_KEY_CONCURRENT_GENERATIONS` a personal key); `rate_limited` (generations a minute, `Retry-After`); `too_many_streams` (streams open at once)"),
        (status = 502, description = "`upstream_error` (JSON mode): the provider failed; partial text is billed and stored"),
        (status = 503, description = "`service_unavailable`: the server has as many streams open as it serves (`Retry-After`)"),
    ))]
#[tracing::instrument(name = "routes::generations::create", skip_all,
    fields(user_id = %user.id(), key_id = crate::telemetry::opt(user.key_id()),
        model = tracing::field::Empty, generation_id = tracing::field::Empty))]
pub async fn create(
    state: web::Data<AppState>,
    user: ScopedCaller<Generate>,
    req: HttpRequest,
    body: web::Json<CreateGeneration>,
) -> Result<HttpResponse, ApiError> {
    let request = ToolRequest::parse(&RawToolRequest {
        tool: &body.tool,
        input: &body.input,
        instructions: &body.instructions,
        style: body.style.as_deref(),
        custom_style: body.custom_style.as_deref(),
        length: body.length.as_deref(),
        words: body.words,
        tone: body.tone.as_deref(),
    })
    .map_err(ApiError::validation)?;
    let model = service::choose_model(&state, user.id(), body.model.as_deref()).await?;
    crate::telemetry::record("model", &model.id);
    let mut job = Job::for_tool(&state.prompts, &request, model);
    job.idempotency = idempotency(&req, user.id(), &*body)?;
    run(state, user.account(), &req, job).await
}

/// The key and fingerprint of an optional `Idempotency-Key` header.
pub(crate) fn idempotency<T: serde::Serialize>(
    req: &HttpRequest,
    user: UserId,
    body: &T,
) -> Result<Option<(String, String)>, ApiError> {
    let Some(raw) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let body = serde_json::to_value(body).map_err(ApiError::internal)?;
    let idem = Idem::new(
        format!("generation:{user}"),
        Some(raw.to_str().unwrap_or_default()),
        req.method().as_str(),
        req.path(),
        &body,
    )?;
    Ok(Some((idem.key, idem.fingerprint)))
}

/// Starts `job` and answers as the client asked: a stream of events or JSON at the end.
pub(crate) async fn run(
    state: web::Data<AppState>,
    account: Account,
    req: &HttpRequest,
    job: Job,
) -> Result<HttpResponse, ApiError> {
    let permit = sse::wants_stream(req)
        .then(|| sse::permit(&state, account.user))
        .transpose()?;
    let started = match service::start(&state, account, job).await? {
        Opened::Replay(row) => {
            crate::telemetry::record("generation_id", row.id);
            let result = result_of(&state, account.user, &row).await?;
            return Ok(HttpResponse::Ok()
                .insert_header(("Idempotent-Replayed", "true"))
                .json(result));
        }
        Opened::New(started) => started,
    };
    crate::telemetry::record("generation_id", started.row.id);
    let events = service::spawn(state.get_ref().clone(), *started);
    if let Some(permit) = permit {
        return Ok(sse::response(events, permit, encode));
    }
    let (row, balance) = finished(&state, account.user, events).await?;
    Ok(HttpResponse::Created().json(GenerationResult {
        generation: view(&state, &row),
        balance,
    }))
}

/// Waits for the generation to end: the closed generation and the balance after it. A
/// provider failure is a `502 upstream_error` naming the stored (partial, billed)
/// generation.
pub(crate) async fn finished(
    state: &AppState,
    user: UserId,
    events: mpsc::Receiver<Event>,
) -> Result<(GenerationRow, Balance), ApiError> {
    let (row, balance) = match last_event(events).await? {
        Settled::Closed {
            row,
            balance_mc,
            reserved_mc,
        } => (
            *row,
            Balance {
                balance_mc,
                reserved_mc,
                available_mc: balance_mc - reserved_mc,
            },
        ),
        // Not billed yet: the generation as stored, and no balance to tell.
        Settled::Unbilled { id, .. } => (
            service::get(state, user, id).await?,
            Balance {
                balance_mc: 0,
                reserved_mc: 0,
                available_mc: 0,
            },
        ),
    };
    if row.error_code.as_deref() == Some(penora_app::generations::SERVER_RESTARTING) {
        return Err(ApiError::server_restarting().with_extra(serde_json::json!({
            "generation_id": row.id,
            "words": row.words,
            "cost_mc": row.cost_mc,
        })));
    }
    if row.status == GenerationStatus::Failed {
        let failure = failure_of_row(&row);
        let code = failure.as_ref().map(|f| f.code.clone()).unwrap_or_default();
        // The stored message is generic (the provider's text is only logged).
        let message = failure
            .map(|f| f.message)
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "The AI provider failed.".to_owned());
        return Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            penora_api_types::ErrorCode::UpstreamError,
            message,
        )
        .with_extra(serde_json::json!({
            "upstream_code": code,
            "generation_id": row.id,
            "words": row.words,
            "cost_mc": row.cost_mc,
        })));
    }
    Ok((row, balance))
}

/// Waits for the end of a generation.
async fn last_event(mut events: mpsc::Receiver<Event>) -> Result<Settled, ApiError> {
    while let Some(event) = events.recv().await {
        if let Event::End { settled, .. } = event {
            return Ok(*settled);
        }
    }
    Err(ApiError::internal(anyhow::anyhow!(
        "the generation task ended without a final event"
    )))
}

pub(crate) fn encode(event: Event) -> Vec<Bytes> {
    vec![match event {
        Event::Meta(meta) => sse::json_frame(Some("meta"), &events::meta(&meta)),
        Event::Delta(text) => sse::json_frame(Some("delta"), &DeltaEvent { text }),
        Event::Usage { words, cost } => sse::json_frame(Some("usage"), &events::usage(words, cost)),
        Event::End { settled, kept } => {
            let end = events::end(&settled, kept.as_deref());
            let name = if end.error.is_some() { "error" } else { "done" };
            sse::json_frame(Some(name), &end)
        }
    }]
}

async fn result_of(
    state: &AppState,
    user: UserId,
    row: &GenerationRow,
) -> Result<GenerationResult, ApiError> {
    let funds = penora_app::credits::funds(&state.db, user)
        .await?
        .ok_or_else(|| ApiError::unauthorized("This account no longer exists."))?;
    Ok(GenerationResult {
        generation: view(state, row),
        balance: balance_view(funds),
    })
}

pub(crate) fn view(state: &AppState, row: &GenerationRow) -> Generation {
    let model_label = state
        .catalog
        .models()
        .iter()
        .find(|m| m.id == row.model)
        .map_or_else(|| row.model.clone(), |m| m.display_name.clone());
    Generation {
        id: row.id,
        tool: row.tool.clone(),
        model: row.model.clone(),
        model_label,
        status: row.status.as_str().to_owned(),
        input: row.input.clone(),
        instructions: row.instructions.clone(),
        output: row.output.clone(),
        words: row.words,
        cost_mc: row.cost_mc,
        max_cost_mc: row.max_cost_mc,
        input_words: row.input_words,
        input_cost_mc: row.input_cost_mc,
        finish_reason: row.finish_reason.clone(),
        error: failure_of_row(row),
        project_id: row.project_id,
        billed_to: row.billed_to.as_str().to_owned(),
        created_at: row.created_at,
        finished_at: row.finished_at,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// 1 to 100 (default 20).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only this tool, e.g. `rewrite`.
    pub tool: Option<String>,
    /// Only this status, e.g. `completed`.
    pub status: Option<String>,
}

/// The user's generations, newest first.
#[utoipa::path(get, path = "/api/v1/generations", tag = "generation", security(("session" = []), ("personal_key" = ["read"])), params(ListParams),
    responses((status = 200, body = GenerationPage), (status = 400, description = "`invalid_parameter`")))]
#[tracing::instrument(name = "routes::generations::list", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id())))]
pub async fn list(
    state: web::Data<AppState>,
    user: Scoped<Read>,
    params: web::Query<ListParams>,
) -> Result<web::Json<GenerationPage>, ApiError> {
    let status = params
        .status
        .as_deref()
        .map(str::parse::<GenerationStatus>)
        .transpose()
        .map_err(bad_parameter)?;
    let tool = params
        .tool
        .as_deref()
        .map(str::parse::<penora_domain::Tool>)
        .transpose()
        .map_err(bad_parameter)?;
    let query = ListQuery {
        before: cursor(params.cursor.as_deref())?,
        tool: tool.map(|t| t.as_str().to_owned()),
        status,
        limit: limit(params.limit)?,
    };
    let page = service::list(&state, user.id, &query).await?;
    Ok(web::Json(GenerationPage {
        items: page.items.iter().map(|row| view(&state, row)).collect(),
        next_cursor: page.cursor(|r| r.id.to_string()),
    }))
}

fn generation_id(raw: &str) -> Result<Uuid, ApiError> {
    // An id that cannot exist is simply not found, like any other unknown id.
    Uuid::try_parse(raw).map_err(|_| service::GenerationError::NotFound.into())
}

/// One generation, with the text delivered so far while it runs.
#[utoipa::path(get, path = "/api/v1/generations/{id}", tag = "generation", security(("session" = []), ("personal_key" = ["read"])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Generation), (status = 404, description = "`generation_not_found`")))]
#[tracing::instrument(name = "routes::generations::read", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        generation_id = %id))]
pub async fn read(
    state: web::Data<AppState>,
    user: Scoped<Read>,
    id: web::Path<String>,
) -> Result<web::Json<Generation>, ApiError> {
    let row = service::get(&state, user.id, generation_id(&id)?).await?;
    Ok(web::Json(view(&state, &row)))
}

/// Stops a running generation and answers with it once settled (cost for the words
/// delivered). Works from any replica; cancelling a finished generation changes nothing.
#[utoipa::path(post, path = "/api/v1/generations/{id}/cancel", tag = "generation", security(("session" = []), ("personal_key" = ["generate"])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Generation), (status = 404, description = "`generation_not_found`")))]
#[tracing::instrument(name = "routes::generations::cancel", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        generation_id = %id))]
pub async fn cancel(
    state: web::Data<AppState>,
    user: Scoped<Generate>,
    id: web::Path<String>,
) -> Result<web::Json<Generation>, ApiError> {
    let row = service::cancel(&state, user.id, generation_id(&id)?).await?;
    Ok(web::Json(view(&state, &row)))
}

/// Saves the generation's text into a new document (no `project_id`) or appends it to an
/// existing project: a document gets a new paragraph, a story a new last chapter (`title`).
/// The storage quota applies.
#[utoipa::path(post, path = "/api/v1/generations/{id}/save", tag = "generation", security(("session" = []), ("personal_key" = ["write"])),
    params(("id" = Uuid, Path)), request_body = SaveGeneration,
    responses(
        (status = 200, body = Project),
        (status = 404, description = "`generation_not_found`, `project_not_found`"),
        (status = 409, description = "`generation_running`"),
        (status = 413, description = "`quota_exceeded`"),
        (status = 422, description = "`validation_failed`"),
    ))]
#[tracing::instrument(name = "routes::generations::save", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        generation_id = %id, project_id = crate::telemetry::opt(body.project_id)))]
pub async fn save(
    state: web::Data<AppState>,
    user: Scoped<Write>,
    id: web::Path<String>,
    body: web::Json<SaveGeneration>,
) -> Result<web::Json<Project>, ApiError> {
    let project = body.project_id.map(ProjectId::from_uuid);
    let row = service::save(
        &state,
        user.id,
        generation_id(&id)?,
        project,
        body.title.as_deref(),
    )
    .await?;
    Ok(web::Json(project_view(&state, &row)?))
}
