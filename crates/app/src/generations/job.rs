//! What to run: the model, the upstream request and what is stored and billed for it, built
//! by the tools endpoint, the chat endpoint or a story step.

use penora_ai::{GenerationRequest, Message, RewriteStyle, Task};
use penora_domain::chat::{ChatRequest, ChatRole};
use penora_domain::{billable_words_of_all, ProjectId, Style, Tool, ToolRequest, UserId};
use uuid::Uuid;

use super::GenerationError;
use crate::catalog::ModelSpec;
use crate::prompts::Prompts;
use crate::AppState;

/// A model of the catalog the user's plan includes. Whether it can run now (the platform's
/// key or the user's own) is decided when the generation starts. The plan is read only for
/// a model some plans are limited to.
pub async fn choose_model<'a>(
    state: &'a AppState,
    user: UserId,
    requested: Option<&str>,
) -> Result<&'a ModelSpec, GenerationError> {
    let id = requested.unwrap_or(state.catalog.default_model());
    let model = state.catalog.get(id).ok_or(GenerationError::UnknownModel)?;
    if model.plans.is_empty() || crate::billing::plan::of(state, user).await?.allows(model) {
        return Ok(model);
    }
    Err(GenerationError::NotInPlan {
        plans: model.plans.clone(),
    })
}

/// What to run: everything `start` needs, built by the tools endpoint or the chat endpoint.
#[derive(Debug, Clone)]
pub struct Job {
    pub tool: Tool,
    pub model: ModelSpec,
    pub request: GenerationRequest,
    /// The most words to deliver (the length asked for, capped by the model).
    pub max_words: u64,
    pub input: String,
    pub instructions: String,
    /// The billable words of what the caller supplied (billed past the free allowance); our
    /// own prompt templates and the context a story adds are not in it.
    pub input_words: u64,
    pub params: serde_json::Value,
    pub project: Option<Uuid>,
    /// `Idempotency-Key` and the request's fingerprint, when the client sent a key.
    pub idempotency: Option<(String, String)>,
    /// Where the text goes when the generation ends (story steps).
    pub target: Option<Target>,
}

/// Where a story step's text is saved when its generation ends, however it ends: text
/// delivered before a cancel or a fault is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Outline {
        project: ProjectId,
    },
    Chapter {
        project: ProjectId,
        index: usize,
        append: bool,
    },
}

impl Job {
    /// A writing-tool request, its prompt rendered from the templates.
    pub fn for_tool(prompts: &Prompts, request: &ToolRequest, model: &ModelSpec) -> Self {
        let words = request.length.words(model.max_output_words);
        let rendered = prompts.render(request, words);
        let input = if request.input.trim().is_empty() {
            request.instructions.clone()
        } else {
            request.input.clone()
        };
        let seed = seed_of(&[request.tool.as_str(), &request.input, &request.instructions]);
        let generation = prompted(model, rendered, words, task_for(request), input, seed);
        let custom_style = match &request.style {
            Some(Style::Custom(text)) => text.as_str(),
            _ => "",
        };
        let input_words = billable_words_of_all([
            request.input.as_str(),
            request.instructions.as_str(),
            request.tone.as_str(),
            custom_style,
        ]);
        Self {
            tool: request.tool,
            model: model.clone(),
            request: generation,
            max_words: u64::from(words),
            input: request.input.clone(),
            instructions: request.instructions.clone(),
            input_words,
            params: serde_json::json!({
                "length_words": words,
                "tone": request.tone,
                "style": request.style.as_ref().map(Style::name),
                "custom_style": match &request.style {
                    Some(Style::Custom(text)) => Some(text.as_str()),
                    _ => None,
                },
            }),
            project: None,
            idempotency: None,
            target: None,
        }
    }
}

impl Job {
    /// A chat completion: the conversation goes upstream as it is. `max_tokens` (or the
    /// model's limit) sets the most words delivered and so the most it can cost.
    pub fn for_chat(chat: &ChatRequest, model: &ModelSpec) -> Self {
        let max_words = chat
            .max_tokens
            .map_or(model.max_output_words, |tokens| {
                u32::try_from(u64::from(tokens) * 3 / 4)
                    .unwrap_or(u32::MAX)
                    .max(1)
            })
            .min(model.max_output_words);
        let messages = chat
            .messages
            .iter()
            .map(|(role, text)| match role {
                ChatRole::System => Message::system(text.as_str()),
                ChatRole::User => Message::user(text.as_str()),
                ChatRole::Assistant => Message::assistant(text.as_str()),
            })
            .collect();
        let texts: Vec<&str> = chat
            .messages
            .iter()
            .map(|(_, text)| text.as_str())
            .collect();
        let input = chat.last_user_message().to_owned();
        let request = GenerationRequest {
            model: model.upstream.clone(),
            messages,
            max_tokens: chat
                .max_tokens
                .unwrap_or_else(|| max_tokens_for(max_words))
                .min(max_tokens_for(model.max_output_words)),
            temperature: chat.temperature,
            stop: chat.stop.clone(),
            task: Task::Chat,
            input: input.clone(),
            seed: seed_of(&texts),
            target_words: None,
        };
        Self {
            tool: Tool::Chat,
            model: model.clone(),
            request,
            max_words: u64::from(max_words),
            input,
            instructions: String::new(),
            input_words: billable_words_of_all(texts.iter().copied()),
            params: serde_json::json!({
                "messages": chat.messages.len(),
                "max_tokens": chat.max_tokens,
                "temperature": chat.temperature,
                "stop": chat.stop,
            }),
            project: None,
            idempotency: None,
            target: None,
        }
    }
}

/// A request from a rendered template: system and user message, room for `words`.
pub fn prompted(
    model: &ModelSpec,
    rendered: crate::prompts::Rendered,
    words: u32,
    task: Task,
    input: String,
    seed: u64,
) -> GenerationRequest {
    GenerationRequest {
        model: model.upstream.clone(),
        messages: vec![
            Message::system(rendered.system),
            Message::user(rendered.user),
        ],
        max_tokens: max_tokens_for(words),
        temperature: None,
        stop: Vec::new(),
        task,
        input,
        seed,
        target_words: Some(words),
    }
}

fn task_for(request: &ToolRequest) -> Task {
    match request.tool {
        Tool::Continue => Task::Continue,
        Tool::Rewrite => Task::Rewrite {
            style: match &request.style {
                Some(Style::MoreVivid) => RewriteStyle::MoreVivid,
                Some(Style::Shorter) => RewriteStyle::Shorter,
                Some(Style::Longer) => RewriteStyle::Longer,
                Some(Style::Custom(text)) => RewriteStyle::Custom(text.clone()),
                Some(Style::Clearer) | None => RewriteStyle::Clearer,
            },
        },
        Tool::Describe => Task::Describe,
        Tool::Brainstorm => Task::Brainstorm,
        Tool::Chat => Task::Chat,
        Tool::Write | Tool::Outline | Tool::Chapter => Task::Write,
    }
}

/// Tokens to ask the model for so that `words` fit: English needs about 4/3 tokens a word,
/// other scripts more. Text past the billable-word limit is cut by Penora, never billed.
pub fn max_tokens_for(words: u32) -> u32 {
    words.saturating_mul(2).saturating_add(64).min(32_768)
}

/// A stable seed from the request, so the offline model answers the same request the same
/// way (tests and the demo are repeatable).
pub fn seed_of(parts: &[&str]) -> u64 {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for part in parts {
        context.update(part.as_bytes());
        context.update(&[0]);
    }
    let digest = context.finish();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest.as_ref()[..8]);
    u64::from_le_bytes(bytes)
}
