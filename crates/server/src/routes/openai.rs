//! The OpenAI-compatible API: `GET /v1/models`, `GET /v1/models/{id}` and
//! `POST /v1/chat/completions`, with a personal API key as the bearer token, billed in
//! credits like any generation. Errors in this scope use OpenAI's shape and statuses (see
//! `http::openai_errors`), so OpenAI's SDKs work against Penora unchanged and raise the
//! exceptions they raise against OpenAI.

use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use penora_api_types::openai::{
    ChatChoice, ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ChatMessage,
    ChunkChoice, ChunkDelta, CompletionUsage, MessageContent, OpenAiModel, OpenAiModelList, Stop,
};
use penora_api_types::EndEvent;
use penora_domain::chat::{ChatRequest, RawChat};
use penora_domain::{GenerationStatus, UserId};
use penora_store::generations::GenerationRow;

use super::generations::{finished, idempotency};
use super::sse;
use crate::auth::{Generate, Scoped, ScopedCaller};
use crate::error::ApiError;
use penora_app::generations::{self as service, Event, GenerationError, Job, Opened};
use penora_app::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .wrap(actix_web::middleware::from_fn(
                crate::http::openai_errors::openai_errors,
            ))
            .service(web::resource("/models").route(web::get().to(models)))
            // Model ids may contain `/` (`meta-llama/...`), as OpenAI's SDKs send them.
            .service(web::resource("/models/{id:.+}").route(web::get().to(retrieve_model)))
            .service(web::resource("/chat/completions").route(web::post().to(chat_completions))),
    );
}

/// Catalog models carry no creation date; a fixed one keeps the answer stable.
const MODELS_CREATED: i64 = 1_735_689_600;

/// The models this key can use now, in OpenAI's shape.
async fn usable(state: &AppState, user_id: UserId) -> Result<Vec<OpenAiModel>, ApiError> {
    let own = penora_app::provider_keys::providers_of(state, user_id).await?;
    let plan = penora_app::billing::plan::of(state, user_id).await?;
    Ok(state
        .catalog
        .models()
        .iter()
        .filter(|m| m.enabled && (m.available || own.contains(&m.provider)))
        .filter(|m| plan.allows(m))
        .map(|m| OpenAiModel {
            id: m.id.clone(),
            object: "model".to_owned(),
            created: MODELS_CREATED,
            owned_by: m.provider.clone(),
        })
        .collect())
}

/// The models this key can use now, in OpenAI's list shape.
#[utoipa::path(get, path = "/v1/models", tag = "openai", security(("session" = []), ("personal_key" = ["generate"])),
    responses((status = 200, body = OpenAiModelList), (status = 401)))]
#[tracing::instrument(name = "routes::openai::models", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id())))]
pub async fn models(
    state: web::Data<AppState>,
    user: Scoped<Generate>,
) -> Result<web::Json<OpenAiModelList>, ApiError> {
    Ok(web::Json(OpenAiModelList {
        object: "list".to_owned(),
        data: usable(&state, user.id).await?,
    }))
}

/// One model this key can use now, in OpenAI's shape.
#[utoipa::path(get, path = "/v1/models/{id}", tag = "openai", security(("session" = []), ("personal_key" = ["generate"])),
    params(("id" = String, Path, description = "A model id from `GET /v1/models`")),
    responses(
        (status = 200, body = OpenAiModel),
        (status = 401),
        (status = 404, description = "`model_not_found`: no such model, or not usable with this key"),
    ))]
#[tracing::instrument(name = "routes::openai::retrieve_model", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id())))]
pub async fn retrieve_model(
    state: web::Data<AppState>,
    user: Scoped<Generate>,
    id: web::Path<String>,
) -> Result<web::Json<OpenAiModel>, ApiError> {
    usable(&state, user.id)
        .await?
        .into_iter()
        .find(|m| m.id == *id)
        .map(web::Json)
        .ok_or_else(|| GenerationError::UnknownModel.into())
}

/// A chat completion, streamed (`stream: true`, OpenAI's `chat.completion.chunk` events
/// ending in `data: [DONE]`; `stream_options.include_usage` adds a last chunk with `usage`
/// and no `choices`, without it the stream carries no usage) or not. Billed like any
/// generation: the most it can cost (from `max_tokens`, or the model's limit) is reserved,
/// the words delivered are charged. Stored in `GET /api/v1/generations` with tool `chat`.
/// Statuses as OpenAI's: 400 for any invalid request (`param` names the field), 404
/// `model_not_found`, 429 `insufficient_quota` when the credits do not cover it.
#[utoipa::path(post, path = "/v1/chat/completions", tag = "openai", security(("session" = []), ("personal_key" = ["generate"])),
    request_body = ChatCompletionRequest,
    responses(
        (status = 200, description = "`application/json`, or `text/event-stream` with `stream: true`", body = ChatCompletion),
        (status = 400, description = "`invalid_request_error`: `validation_failed` (`param` names the field), `malformed_json`"),
        (status = 401),
        (status = 404, description = "`model_not_found`: no such model, or not usable now or with this key (`param: model`)"),
        (status = 429, description = "`insufficient_quota` (type `insufficient_quota`): not enough credits; `too_many_generations` (more running at once than `PENORA_API_KEY_CONCURRENT_GENERATIONS`, 64 by default, or the plan's limit when larger), `rate_limited` (generations a minute per key, `Retry-After`), `too_many_streams` (type `rate_limit_error`)"),
        (status = 502, description = "`upstream_error`: the provider failed; the message is generic and names the request id"),
        (status = 503, description = "`service_unavailable`: the server has as many streams open as it serves (`Retry-After`)"),
    ))]
#[tracing::instrument(name = "routes::openai::chat_completions", skip_all,
    fields(user_id = %user.id(), key_id = crate::telemetry::opt(user.key_id()),
        model = tracing::field::Empty, generation_id = tracing::field::Empty))]
pub async fn chat_completions(
    state: web::Data<AppState>,
    user: ScopedCaller<Generate>,
    req: HttpRequest,
    body: web::Json<ChatCompletionRequest>,
) -> Result<HttpResponse, ApiError> {
    let chat = ChatRequest::parse(RawChat {
        messages: body
            .messages
            .iter()
            .map(|m| (m.role.as_str(), text_of(&m.content)))
            .collect(),
        max_tokens: body.max_completion_tokens.or(body.max_tokens),
        temperature: body.temperature,
        stop: match &body.stop {
            None => Vec::new(),
            Some(Stop::One(stop)) => vec![stop.clone()],
            Some(Stop::Many(stops)) => stops.clone(),
        },
        n: body.n,
        response_format: body.response_format.as_ref().map(|f| f.kind.as_str()),
    })
    .map_err(ApiError::validation)?;
    let user_id = user.id();
    let model = service::choose_model(&state, user_id, Some(&body.model)).await?;
    crate::telemetry::record("model", &model.id);
    let mut job = Job::for_chat(&chat, model);
    job.idempotency = idempotency(&req, user_id, &*body)?;
    let permit = body
        .stream
        .then(|| sse::permit(&state, user_id))
        .transpose()?;
    let started = match service::start(&state, user.account(), job).await? {
        Opened::Replay(row) => {
            crate::telemetry::record("generation_id", row.id);
            return Ok(HttpResponse::Ok().json(completion(&row)));
        }
        Opened::New(started) => started,
    };
    crate::telemetry::record("generation_id", started.row.id);
    let id = completion_id(started.row.id);
    let created = started.row.created_at.timestamp();
    let events = service::spawn(state.get_ref().clone(), *started);
    if let Some(permit) = permit {
        let include_usage = body
            .stream_options
            .as_ref()
            .is_some_and(|o| o.include_usage);
        let chunks = Chunks {
            id,
            created,
            model: body.model.clone(),
            include_usage,
        };
        return Ok(sse::response(events, permit, move |event| {
            chunks.encode(event)
        }));
    }
    let (row, _) = finished(&state, user_id, events).await?;
    Ok(HttpResponse::Ok().json(completion(&row)))
}

/// The text of a message; `None` when it has parts other than text.
fn text_of(content: &MessageContent) -> Option<String> {
    match content {
        MessageContent::Text(text) => Some(text.clone()),
        MessageContent::Parts(parts) => parts
            .iter()
            .map(|part| (part.kind == "text").then(|| part.text.clone()).flatten())
            .collect::<Option<Vec<String>>>()
            .map(|texts| texts.concat()),
    }
}

fn completion_id(generation: uuid::Uuid) -> String {
    format!("chatcmpl-{}", generation.simple())
}

/// OpenAI's finish reasons: `length` when a limit cut the text, else `stop`.
fn finish_reason(reason: Option<&str>) -> String {
    match reason {
        Some("length" | "credit_limit") => "length",
        _ => "stop",
    }
    .to_owned()
}

/// Tokens as reported by the provider, else estimated (about 4 tokens for 3 words).
fn tokens(reported: Option<u32>, words: i64) -> u32 {
    reported
        .unwrap_or_else(|| u32::try_from((words.max(0) as u64 * 4).div_ceil(3)).unwrap_or(u32::MAX))
}

fn usage(
    prompt: Option<u32>,
    completion: Option<u32>,
    input_words: i64,
    words: i64,
) -> CompletionUsage {
    let prompt_tokens = tokens(prompt, input_words);
    let completion_tokens = tokens(completion, words);
    CompletionUsage {
        prompt_tokens,
        completion_tokens,
        total_tokens: prompt_tokens.saturating_add(completion_tokens),
    }
}

fn completion(row: &GenerationRow) -> ChatCompletion {
    let input_words = i64::try_from(penora_domain::count_words(&row.input)).unwrap_or(0);
    ChatCompletion {
        id: completion_id(row.id),
        object: "chat.completion".to_owned(),
        created: row.created_at.timestamp(),
        model: row.model.clone(),
        choices: vec![ChatChoice {
            index: 0,
            message: ChatMessage {
                role: "assistant".to_owned(),
                content: row.output.clone(),
            },
            finish_reason: Some(finish_reason(row.finish_reason.as_deref())),
        }],
        usage: usage(
            row.prompt_tokens.and_then(|t| u32::try_from(t).ok()),
            row.completion_tokens.and_then(|t| u32::try_from(t).ok()),
            input_words,
            row.words,
        ),
    }
}

/// Turns generation events into `chat.completion.chunk` frames.
struct Chunks {
    id: String,
    created: i64,
    model: String,
    include_usage: bool,
}

impl Chunks {
    fn chunk(&self, delta: ChunkDelta, finish: Option<String>) -> ChatCompletionChunk {
        ChatCompletionChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".to_owned(),
            created: self.created,
            model: self.model.clone(),
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                finish_reason: finish,
            }],
            usage: None,
        }
    }

    fn encode(&self, event: Event) -> Vec<Bytes> {
        let data = |value: &ChatCompletionChunk| sse::json_frame(None, value);
        match event {
            Event::Meta(_) => vec![data(&self.chunk(
                ChunkDelta {
                    role: Some("assistant".to_owned()),
                    content: Some(String::new()),
                },
                None,
            ))],
            Event::Delta(text) => vec![data(&self.chunk(
                ChunkDelta {
                    role: None,
                    content: Some(text),
                },
                None,
            ))],
            Event::Usage { .. } => Vec::new(),
            Event::End { settled, kept } => {
                self.end(&super::generation_events::end(&settled, kept.as_deref()))
            }
        }
    }

    fn end(&self, end: &EndEvent) -> Vec<Bytes> {
        if let Some(failure) = end.error.as_ref().filter(|_| {
            end.status == GenerationStatus::Failed.as_str()
                || end.status == GenerationStatus::Interrupted.as_str()
        }) {
            // OpenAI's SDKs raise an APIError for a chunk carrying `error`.
            let error = serde_json::json!({ "error": {
                "message": failure.message,
                "type": "api_error",
                "param": null,
                "code": failure.code,
            }});
            return vec![sse::frame(None, &error.to_string())];
        }
        let mut frames = vec![sse::json_frame(
            None,
            &self.chunk(
                ChunkDelta::default(),
                Some(finish_reason(end.finish_reason.as_deref())),
            ),
        )];
        if self.include_usage {
            let mut last = self.chunk(ChunkDelta::default(), None);
            last.choices.clear();
            // The prompt's size is only known from the provider here.
            last.usage = Some(usage(
                end.prompt_tokens,
                end.completion_tokens,
                0,
                end.words,
            ));
            frames.push(sse::json_frame(None, &last));
        }
        frames.push(sse::frame(None, "[DONE]"));
        frames
    }
}
