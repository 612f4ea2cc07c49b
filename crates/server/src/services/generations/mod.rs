//! Generations: choosing the model, reserving credits, streaming, settling on the words
//! actually delivered.
//!
//! `start` opens a generation in one transaction (a concurrency slot, a hold for the most it
//! may cost, the stored row); `run::spawn` streams it in a task of its own that ends by
//! settling — on normal end, cancel, client disconnect, upstream error or timeout alike — so
//! an HTTP client that goes away cannot leave a hold open. A crashed process leaves the
//! hold to expire, and the sweeper bills what was saved.

mod per_minute;
mod registry;
mod run;
mod save;
mod settle;

use std::sync::Arc;

use chrono::Duration;
use penora_ai::{GenerationRequest, Message, Provider, RewriteStyle, Task};
use penora_domain::chat::{ChatRequest, ChatRole};
use penora_domain::{
    billable_words_of_all, cost_mc, input_cost_mc, BilledTo, FieldError, Millicredits, Multiplier,
    ProjectId, Style, Tool, ToolRequest, UserId,
};
use penora_store::generations::{self, Checks, GenerationRow, NewGeneration, Opening};
use penora_store::holds;
use penora_store::ledger::LedgerError;
use penora_store::users::UserRow;
use penora_store::{begin_write, DbErr};
use uuid::Uuid;

use crate::catalog::ModelSpec;
use crate::prompts::Prompts;
use crate::services::provider_keys::{self, ProviderKeyError};
use crate::state::AppState;

pub use registry::Running;
pub use run::{spawn, Event};
pub use save::{save, SaveError};
pub use settle::{failure_of, finish_interrupted, sweep_free, Ended, Ending};

/// The plan every account is on until plans exist (issue: billing).
pub const DEFAULT_PLAN: &str = "free";

#[derive(Debug, thiserror::Error)]
pub enum GenerationError {
    #[error("unknown model")]
    UnknownModel,
    #[error("model {0} is unavailable")]
    ModelUnavailable(String),
    #[error("model not in plan")]
    NotInPlan { plans: Vec<String> },
    #[error("insufficient credits")]
    Insufficient { available: Millicredits },
    #[error("too many generations running")]
    TooMany { limit: u32 },
    /// Over the generations a minute of the user's sessions or of the API key.
    #[error("too many generations started this minute")]
    RateLimited { limit: u32, retry_after: u64 },
    #[error("no such generation")]
    NotFound,
    /// The account is gone or the session ended (found when the generation starts: its
    /// route does not read the account first).
    #[error("signed out")]
    SignedOut,
    #[error("idempotency key reused")]
    KeyReused,
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    OwnKey(#[from] ProviderKeyError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Each refusal of the ledger as the generation's own: a reference applied before is a
/// reused key (`422`, as on every other path), never an internal error.
impl From<LedgerError> for GenerationError {
    fn from(err: LedgerError) -> Self {
        match err {
            LedgerError::Insufficient { available } => Self::Insufficient { available },
            LedgerError::UnknownUser => Self::SignedOut,
            LedgerError::AlreadyApplied(_) => Self::KeyReused,
            LedgerError::Db(e) => Self::Db(e),
        }
    }
}

/// A model of the catalog the user's plan includes. Whether it can run now (the platform's
/// key or the user's own) is decided when the generation starts.
pub fn choose_model<'a>(
    state: &'a AppState,
    requested: Option<&str>,
) -> Result<&'a ModelSpec, GenerationError> {
    let id = requested.unwrap_or(state.catalog.default_model());
    let model = state.catalog.get(id).ok_or(GenerationError::UnknownModel)?;
    if !model.plans.is_empty() && !model.plans.iter().any(|p| p == DEFAULT_PLAN) {
        return Err(GenerationError::NotInPlan {
            plans: model.plans.clone(),
        });
    }
    Ok(model)
}

/// What a generation's words cost: credits at the model's output and input rates, the
/// own-key fee, or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    /// `None`: free.
    multiplier: Option<Multiplier>,
    /// The input rate; `None`: input is free.
    input: Option<Multiplier>,
}

impl Price {
    /// The model's own rates.
    pub fn of(model: &ModelSpec) -> Self {
        Self {
            multiplier: Some(model.multiplier()),
            input: Some(model.input_multiplier()),
        }
    }

    /// With the user's own key: `fee_per_mille` of the usual price (0 makes it free).
    pub fn own_key(model: &ModelSpec, fee_per_mille: u32) -> Self {
        let scaled = |multiplier: Multiplier| {
            let scaled = u64::from(multiplier.get()) * u64::from(fee_per_mille);
            let per_mille = u32::try_from(scaled.div_ceil(1000)).unwrap_or(u32::MAX);
            Multiplier::per_mille(per_mille).ok()
        };
        Self {
            multiplier: scaled(model.multiplier()),
            input: scaled(model.input_multiplier()),
        }
    }

    pub fn cost(self, words: u64) -> Millicredits {
        self.multiplier
            .map_or(Millicredits::ZERO, |m| cost_mc(words, m))
    }

    /// What `input_words` billable words of input cost with `free_words` of them free.
    pub fn input_cost(self, input_words: u64, free_words: u64) -> Millicredits {
        self.input.map_or(Millicredits::ZERO, |m| {
            input_cost_mc(input_words, free_words, m)
        })
    }

    /// The most words `available` pays for.
    pub fn affordable(self, available: Millicredits) -> u64 {
        self.multiplier.map_or(u64::MAX, |m| {
            penora_domain::pricing::words_affordable(available, m)
        })
    }
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

/// An opened generation, ready to stream.
pub struct Started {
    pub row: GenerationRow,
    pub user: UserId,
    /// `None` for a free generation (own key, no fee): nothing to reserve.
    pub hold: Option<Uuid>,
    pub provider: Arc<dyn Provider>,
    pub request: GenerationRequest,
    pub model: ModelSpec,
    /// Billable words the hold pays for: the target, or less when the balance allowed less.
    /// The meter stops there and the charge never exceeds it.
    pub max_words: u64,
    /// True when the balance, not the length asked for, set `max_words`.
    pub credit_limited: bool,
    pub target: Option<Target>,
    pub price: Price,
    /// What the input costs, charged (within the hold) once the upstream accepts the request.
    pub input_cost: Millicredits,
}

/// How `start` went.
pub enum Opened {
    New(Box<Started>),
    /// A retry of a request with the same `Idempotency-Key`: the first generation.
    Replay(Box<GenerationRow>),
}

/// Whose generation it is: the user, and the epoch of the session asking (`None` for a
/// personal key, or when the caller has read the account already).
#[derive(Debug, Clone, Copy)]
pub struct Account {
    pub user: UserId,
    pub session_epoch: Option<i64>,
    /// The personal API key asking; `None` for a session. Generations a minute are counted
    /// per key for a key, per user for sessions.
    pub key: Option<Uuid>,
}

/// Who writes the text and how it is paid for.
struct Billing {
    provider: Arc<dyn Provider>,
    price: Price,
    billed_to: BilledTo,
}

/// How a one-statement opening went.
enum AtOnce {
    Opened(Box<GenerationRow>),
    /// No slot, not enough credit for the whole length, or a check failed: the long way says
    /// which.
    Refused,
    /// A retry that raced its first attempt: the first attempt.
    Answered(Opened),
}

/// Opens a generation: a slot of the user's concurrency limit, a hold for what it may cost
/// (what the balance allows when that is less), and the stored row.
///
/// The common case — the platform's key, a free slot, a balance that pays for the whole
/// length asked for — is one statement with nothing read before it: the statement also
/// checks what authenticating would have read the account for (it exists, a session is
/// current, the user stored no key of their own, which would win over the platform's).
/// Otherwise the long way reads the account: it answers `SignedOut`, or opens with the
/// user's own key, or says why there is no slot or credit, or reserves what the balance
/// allows.
pub async fn start(
    state: &AppState,
    account: Account,
    job: Job,
) -> Result<Opened, GenerationError> {
    let user_id = account.user;
    if let Some((key, fingerprint)) = &job.idempotency {
        if let Some(replay) = replay(state, user_id, key, fingerprint).await? {
            // The first attempt's text goes only to a caller whose account is current.
            current(state, account).await?;
            return Ok(Opened::Replay(Box::new(replay)));
        }
    }
    per_minute::count(state, account).await?;
    let platform = || {
        let provider = state.providers.get(&job.model.provider)?;
        job.model.available.then(|| Billing {
            provider,
            price: Price::of(&job.model),
            billed_to: BilledTo::Credits,
        })
    };
    if let Some(billing) = platform() {
        let checks = Checks {
            session_epoch: account.session_epoch,
            without_own_keys: state.providers.accepts_own_keys(&job.model.provider),
        };
        match open_at_once(state, user_id, &job, &billing, checks).await? {
            AtOnce::Opened(row) => return Ok(started(job, user_id, billing, *row, None)),
            AtOnce::Answered(opened) => return Ok(opened),
            AtOnce::Refused => {}
        }
    }
    let user = current(state, account).await?;
    let billing = match own_key(state, &user, &job).await? {
        Some(billing) => billing,
        None => {
            platform().ok_or_else(|| GenerationError::ModelUnavailable(job.model.id.clone()))?
        }
    };
    // Without the checks, which the read has made: refused now, it is for a slot or credit.
    match open_at_once(state, user_id, &job, &billing, Checks::default()).await? {
        AtOnce::Opened(row) => return Ok(started(job, user_id, billing, *row, None)),
        AtOnce::Answered(opened) => return Ok(opened),
        AtOnce::Refused => {}
    }
    match open_limited(state, user_id, &job, &billing).await {
        Ok(Ok((row, max_words))) => Ok(started(job, user_id, billing, row, Some(max_words))),
        Ok(Err(err)) => raced(state, user_id, &job, err).await,
        Err(refused @ (GenerationError::Insufficient { .. } | GenerationError::TooMany { .. })) => {
            first_attempt_or(state, user_id, &job, refused).await
        }
        Err(err) => Err(err),
    }
}

/// The account, when it exists and a session asking is still current.
async fn current(state: &AppState, account: Account) -> Result<UserRow, GenerationError> {
    penora_store::users::find_current(&state.reads, account.user, account.session_epoch)
        .await?
        .ok_or(GenerationError::SignedOut)
}

/// The user's own key for the model's provider, when they stored one: they chose to pay
/// the provider, so it wins over the platform's.
async fn own_key(
    state: &AppState,
    user: &UserRow,
    job: &Job,
) -> Result<Option<Billing>, GenerationError> {
    let provider = &job.model.provider;
    if user.provider_keys == 0 || !state.providers.accepts_own_keys(provider) {
        return Ok(None);
    }
    let Some(key) = provider_keys::own_key(state, UserId::from_uuid(user.id), provider).await?
    else {
        return Ok(None);
    };
    let provider = state
        .providers
        .with_key(provider, key)
        .ok_or_else(|| GenerationError::ModelUnavailable(job.model.id.clone()))?;
    Ok(Some(Billing {
        provider,
        price: Price::own_key(&job.model, state.config.settings.own_key_fee_per_mille),
        billed_to: BilledTo::OwnKey,
    }))
}

/// What `job`'s input costs with `billing`.
fn input_cost(state: &AppState, job: &Job, billing: &Billing) -> Millicredits {
    billing
        .price
        .input_cost(job.input_words, state.config.settings.free_input_words)
}

fn plus(a: Millicredits, b: Millicredits) -> Millicredits {
    Millicredits::new(a.get().saturating_add(b.get()))
}

/// The row to insert for `job`, reserving `max_cost` (its input's cost included) under
/// `hold`.
fn new_generation<'a>(
    job: &'a Job,
    user: UserId,
    billing: &Billing,
    max_cost: Millicredits,
    input_cost: Millicredits,
    hold: Option<Uuid>,
) -> NewGeneration<'a> {
    let (key, fingerprint) = job
        .idempotency
        .as_ref()
        .map(|(k, f)| (Some(k.as_str()), Some(f.as_str())))
        .unwrap_or((None, None));
    NewGeneration {
        id: Uuid::now_v7(),
        user,
        tool: job.tool.as_str(),
        model: &job.model.id,
        provider: &job.model.provider,
        input: &job.input,
        instructions: &job.instructions,
        params: job.params.clone(),
        max_cost,
        input_words: job.input_words,
        input_cost,
        hold,
        project: job.project,
        billed_to: billing.billed_to,
        idempotency_key: key,
        fingerprint,
    }
}

/// How long a hold lives without progress before the sweeper settles it.
fn grace(state: &AppState) -> Duration {
    // The setting is capped well inside chrono's range.
    Duration::from_std(state.config.settings.generation_hold_grace()).unwrap_or(Duration::days(365))
}

/// The common case in one statement: a free slot and a balance that pays for the input and
/// the whole length asked for, and `checks`.
async fn open_at_once(
    state: &AppState,
    user: UserId,
    job: &Job,
    billing: &Billing,
    checks: Checks,
) -> Result<AtOnce, GenerationError> {
    let input_cost = input_cost(state, job, billing);
    let full_cost = plus(input_cost, billing.price.cost(job.max_words));
    let at = penora_store::now();
    let opening = Opening {
        new: new_generation(
            job,
            user,
            billing,
            full_cost,
            input_cost,
            full_cost.is_positive().then(Uuid::now_v7),
        ),
        slots: state.config.settings.generations_per_user,
        expires_at: at + grace(state),
        at,
        checks,
    };
    match state.generations.open(&opening).await {
        Ok(Some(row)) => Ok(AtOnce::Opened(Box::new(row))),
        Ok(None) => Ok(AtOnce::Refused),
        Err(err) => raced(state, user, job, err).await.map(AtOnce::Answered),
    }
}

/// The opened generation, ready to stream. `max_words` is what the hold pays for when the
/// balance allowed less than the length asked for.
fn started(
    job: Job,
    user: UserId,
    billing: Billing,
    row: GenerationRow,
    max_words: Option<u64>,
) -> Opened {
    let max_words = max_words.unwrap_or(job.max_words);
    // Ask the provider for no more than the caller can afford, not the length asked for.
    let mut request = job.request;
    request.max_tokens = request
        .max_tokens
        .min(max_tokens_for(u32::try_from(max_words).unwrap_or(u32::MAX)));
    let input_cost = Millicredits::new(row.input_cost_mc);
    Opened::New(Box::new(Started {
        user,
        hold: row.hold_id,
        row,
        provider: billing.provider,
        request,
        credit_limited: max_words < job.max_words,
        max_words,
        model: job.model,
        target: job.target,
        price: billing.price,
        input_cost,
    }))
}

/// Opens a generation the long way, in a transaction: says why there is no slot or no
/// credit, and reserves what the balance allows when it is less than the length asked for.
/// The input is paid for first: a balance that cannot pay for it and a word is refused.
/// The inner error is the insert's, for [`raced`].
async fn open_limited(
    state: &AppState,
    user_id: UserId,
    job: &Job,
    billing: &Billing,
) -> Result<Result<(GenerationRow, u64), DbErr>, GenerationError> {
    let settings = &state.config.settings;
    let txn = begin_write(&state.db).await?;
    if !generations::take_slot(&txn, user_id, settings.generations_per_user).await? {
        return Err(GenerationError::TooMany {
            limit: settings.generations_per_user,
        });
    }
    let current = penora_store::users::find_by_id(&txn, user_id)
        .await?
        .ok_or(GenerationError::NotFound)?;
    let available = Millicredits::new(current.balance_mc - current.reserved_mc);
    let input_cost = input_cost(state, job, billing);
    let for_output = Millicredits::new(available.get().saturating_sub(input_cost.get()));
    let max_words = job.max_words.min(billing.price.affordable(for_output));
    if max_words == 0 {
        return Err(GenerationError::Insufficient { available });
    }
    let max_cost = plus(input_cost, billing.price.cost(max_words));
    let hold = if max_cost.is_positive() {
        let hold = holds::reserve(
            &txn,
            user_id,
            max_cost,
            Some(&job.model.id),
            chrono::Utc::now() + grace(state),
        )
        .await?;
        Some(hold.id)
    } else {
        None
    };
    let new = new_generation(job, user_id, billing, max_cost, input_cost, hold);
    let row = match generations::insert(&txn, new).await {
        Ok(row) => row,
        Err(err) => return Ok(Err(err)),
    };
    txn.commit().await?;
    Ok(Ok((row, max_words)))
}

/// After inserting the generation failed: when the same idempotency key raced in from
/// another request, answer with the winner.
async fn raced(
    state: &AppState,
    user: UserId,
    job: &Job,
    err: DbErr,
) -> Result<Opened, GenerationError> {
    if !penora_store::is_unique_violation(&err) || job.idempotency.is_none() {
        return Err(err.into());
    }
    first_attempt_or(state, user, job, GenerationError::KeyReused).await
}

/// The first attempt of a request with an idempotency key, if it opened (after a race with
/// this one, or taking the reservation or slot this one was refused for); else `otherwise`.
async fn first_attempt_or(
    state: &AppState,
    user: UserId,
    job: &Job,
    otherwise: GenerationError,
) -> Result<Opened, GenerationError> {
    let Some((key, fingerprint)) = &job.idempotency else {
        return Err(otherwise);
    };
    match replay(state, user, key, fingerprint).await? {
        Some(row) => Ok(Opened::Replay(Box::new(row))),
        None => Err(otherwise),
    }
}

async fn replay(
    state: &AppState,
    user: UserId,
    key: &str,
    fingerprint: &str,
) -> Result<Option<GenerationRow>, GenerationError> {
    match generations::find_by_key(&state.db, user, key).await? {
        Some(row) if row.fingerprint.as_deref() == Some(fingerprint) => Ok(Some(row)),
        Some(_) => Err(GenerationError::KeyReused),
        None => Ok(None),
    }
}

pub async fn get(
    state: &AppState,
    user: UserId,
    id: Uuid,
) -> Result<GenerationRow, GenerationError> {
    generations::find_owned(&state.db, user, id)
        .await?
        .ok_or(GenerationError::NotFound)
}

/// Stops a running generation (on this replica at once, on another within its save
/// interval) and waits briefly for it to settle, so the answer carries the final cost.
/// Cancelling a finished generation changes nothing and answers the same way.
pub async fn cancel(
    state: &AppState,
    user: UserId,
    id: Uuid,
) -> Result<GenerationRow, GenerationError> {
    let row = generations::request_cancel(&state.db, user, id)
        .await?
        .ok_or(GenerationError::NotFound)?;
    if row.status.is_finished() {
        return Ok(row);
    }
    state.running.cancel(id);
    let wait = state.config.settings.generation_save_interval() * 3;
    let deadline = tokio::time::Instant::now() + wait.max(std::time::Duration::from_millis(150));
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let row = get(state, user, id).await?;
        if row.status.is_finished() || tokio::time::Instant::now() >= deadline {
            return Ok(row);
        }
    }
}
