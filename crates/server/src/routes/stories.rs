//! `/api/v1/stories`: create a story, read and change its settings and outline, generate
//! the outline, one chapter, or all chapters in sequence.

use actix_web::{web, HttpRequest, HttpResponse};
use penora_api_types::{
    ChapterEvent, CreateStory, GenerateChapter, GenerateStory, GenerationFailure, Story,
    StoryEndEvent, UpdateStory,
};
use penora_domain::story::{parse_outline, StorySettings};
use penora_domain::{FieldErrors, ProjectContent, ProjectKind, ProjectMeta, ProjectTitle};
use web::Bytes;

use super::generations::{encode, run};
use super::projects::project_id;
use super::projects::views::project_view;
use super::{sse, validated};
use crate::auth::{Generate, Read, Scoped, Write};
use crate::error::ApiError;
use penora_app::generations as generation_service;
use penora_app::stories::{self, planned_chapters};
use penora_app::story_runs::{self, SequenceEvent, StoryEnd, StoryStop};
use penora_app::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/stories").route(web::post().to(create)))
        .service(
            web::resource("/stories/{id}")
                .route(web::get().to(read))
                .route(web::patch().to(update)),
        )
        .service(web::resource("/stories/{id}/outline").route(web::post().to(outline)))
        .service(
            web::resource("/stories/{id}/chapters/{number}/generate")
                .route(web::post().to(chapter)),
        )
        .service(web::resource("/stories/{id}/generate").route(web::post().to(generate_all)));
}

fn story_view(state: &AppState, story: &stories::Story) -> Result<Story, ApiError> {
    Ok(Story {
        project: project_view(state, &story.project)?,
        tone: story.settings.tone.clone(),
        chapter_count: story.settings.chapter_count,
        words_per_chapter: story.settings.words_per_chapter,
        outline: story.settings.outline.clone(),
    })
}

/// Creates a story project: premise, genre, tone, number of chapters and words per chapter.
/// It starts with one empty chapter per planned chapter.
#[utoipa::path(post, path = "/api/v1/stories", tag = "stories", security(("session" = []), ("personal_key" = ["write"])), request_body = CreateStory,
    responses(
        (status = 201, body = Story),
        (status = 413, description = "`quota_exceeded`"),
        (status = 422, description = "`validation_failed`, `unknown_model`, `model_unavailable`"),
    ))]
#[tracing::instrument(name = "routes::stories::create", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        project_id = tracing::field::Empty))]
pub async fn create(
    state: web::Data<AppState>,
    user: Scoped<Write>,
    body: web::Json<CreateStory>,
) -> Result<HttpResponse, ApiError> {
    let model = generation_service::choose_model(&state, user.id, body.model.as_deref())
        .await?
        .id
        .clone();
    let mut errors = FieldErrors::new();
    let title = errors.check(ProjectTitle::parse(&body.title));
    let meta = ProjectMeta::parse(body.genre.as_deref(), body.premise.as_deref(), Some(&model))
        .map_err(|errs| errs.into_iter().for_each(|e| errors.push(e)))
        .ok();
    let settings = StorySettings::parse(
        body.tone.as_deref(),
        body.chapter_count,
        body.words_per_chapter,
    )
    .map_err(|errs| errs.into_iter().for_each(|e| errors.push(e)))
    .ok();
    let ((title, meta), settings) = validated(errors, title.zip(meta).zip(settings))?;
    let chapters = planned_chapters(settings.chapter_count);
    let content = ProjectContent::new(title, ProjectKind::Story, chapters, meta)
        .map_err(|e| ApiError::validation(vec![e]))?;
    let story = stories::create(&state, user.id, &content, &settings).await?;
    crate::telemetry::record("project_id", story.project.id);
    Ok(HttpResponse::Created().json(story_view(&state, &story)?))
}

/// A story: its project (chapters), settings and outline.
#[utoipa::path(get, path = "/api/v1/stories/{id}", tag = "stories", security(("session" = []), ("personal_key" = ["read"])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Story), (status = 404, description = "`project_not_found`")))]
#[tracing::instrument(name = "routes::stories::read", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        project_id = %id))]
pub async fn read(
    state: web::Data<AppState>,
    user: Scoped<Read>,
    id: web::Path<String>,
) -> Result<web::Json<Story>, ApiError> {
    let story = stories::get(&state, user.id, project_id(&id)?).await?;
    Ok(web::Json(story_view(&state, &story)?))
}

/// Edits the outline or settings. A new outline renames the chapters after its
/// "Chapter N: Title" lines (their text is kept).
#[utoipa::path(patch, path = "/api/v1/stories/{id}", tag = "stories", security(("session" = []), ("personal_key" = ["write"])), params(("id" = Uuid, Path)), request_body = UpdateStory,
    responses((status = 200, body = Story), (status = 404, description = "`project_not_found`"), (status = 422, description = "`validation_failed`")))]
#[tracing::instrument(name = "routes::stories::update", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        project_id = %id))]
pub async fn update(
    state: web::Data<AppState>,
    user: Scoped<Write>,
    id: web::Path<String>,
    body: web::Json<UpdateStory>,
) -> Result<web::Json<Story>, ApiError> {
    let id = project_id(&id)?;
    let current = stories::get(&state, user.id, id).await?;
    let changes_settings =
        body.tone.is_some() || body.chapter_count.is_some() || body.words_per_chapter.is_some();
    // Fields left out keep their current values.
    let settings = changes_settings
        .then(|| {
            StorySettings::parse(
                Some(body.tone.as_deref().unwrap_or(&current.settings.tone)),
                Some(
                    body.chapter_count
                        .unwrap_or(current.settings.chapter_count.into()),
                ),
                Some(
                    body.words_per_chapter
                        .unwrap_or(current.settings.words_per_chapter.into()),
                ),
            )
        })
        .transpose()
        .map_err(ApiError::validation)?;
    let outline = body
        .outline
        .as_deref()
        .map(parse_outline)
        .transpose()
        .map_err(|e| ApiError::validation(vec![e]))?;
    let story = stories::update(
        &state,
        user.id,
        &current,
        settings.as_ref(),
        outline.as_deref(),
    )
    .await?;
    Ok(web::Json(story_view(&state, &story)?))
}

/// The model a story is written with: the one it was created with. Named on the handler's
/// span.
async fn story_model<'a>(
    state: &'a AppState,
    story: &stories::Story,
) -> Result<&'a penora_app::catalog::ModelSpec, ApiError> {
    let user = penora_domain::UserId::from_uuid(story.project.user_id);
    let model =
        generation_service::choose_model(state, user, story.project.model.as_deref()).await?;
    crate::telemetry::record("model", &model.id);
    Ok(model)
}

/// Generates (or regenerates) the outline, streamed like any generation; saved into the
/// story when it ends (also when stopped midway), and the chapters are named after it.
#[utoipa::path(post, path = "/api/v1/stories/{id}/outline", tag = "stories", security(("session" = []), ("personal_key" = ["generate"])), params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "`text/event-stream`: `meta`, `delta`, `usage`, `done` (with `saved_to`) or `error`"),
        (status = 201, description = "JSON mode: the finished generation", body = penora_api_types::GenerationResult),
        (status = 402, description = "`insufficient_credits`"),
        (status = 404, description = "`project_not_found`"),
        (status = 429, description = "`too_many_generations`, `rate_limited` (`Retry-After`), `too_many_streams`"),
        (status = 503, description = "`service_unavailable`: as many streams open as the server serves"),
    ))]
#[tracing::instrument(name = "routes::stories::outline", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()), project_id = %id,
        model = tracing::field::Empty, generation_id = tracing::field::Empty))]
pub async fn outline(
    state: web::Data<AppState>,
    user: Scoped<Generate>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let story = stories::get(&state, user.id, project_id(&id)?).await?;
    let job = stories::outline_job(&state, &story, story_model(&state, &story).await?)?;
    run(state, user.account(), &req, job).await
}

/// Writes chapter `number` (1-based) from the outline and summaries of the chapters before
/// it, or continues its text (`continue: true`). Billed on its own; saved when it ends.
#[utoipa::path(post, path = "/api/v1/stories/{id}/chapters/{number}/generate", tag = "stories", security(("session" = []), ("personal_key" = ["generate"])),
    params(("id" = Uuid, Path), ("number" = u32, Path, description = "1-based")), request_body = GenerateChapter,
    responses(
        (status = 200, description = "`text/event-stream`: `meta`, `delta`, `usage`, `done` (with `saved_to`) or `error`"),
        (status = 201, description = "JSON mode: the finished generation", body = penora_api_types::GenerationResult),
        (status = 402, description = "`insufficient_credits`"),
        (status = 404, description = "`project_not_found`, `chapter_not_found`"),
        (status = 429, description = "`too_many_generations`, `rate_limited` (`Retry-After`), `too_many_streams`"),
        (status = 503, description = "`service_unavailable`: as many streams open as the server serves"),
    ))]
#[tracing::instrument(name = "routes::stories::chapter", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()),
        project_id = %path.0, chapter = path.1, model = tracing::field::Empty,
        generation_id = tracing::field::Empty))]
pub async fn chapter(
    state: web::Data<AppState>,
    user: Scoped<Generate>,
    req: HttpRequest,
    path: web::Path<(String, u32)>,
    body: Option<web::Json<GenerateChapter>>,
) -> Result<HttpResponse, ApiError> {
    let (id, number) = path.into_inner();
    let story = stories::get(&state, user.id, project_id(&id)?).await?;
    check_number(&story, number)?;
    let append = body.is_some_and(|b| b.continue_text);
    let job = stories::chapter_job(
        &state,
        &story,
        story_model(&state, &story).await?,
        number,
        append,
    )?;
    run(state, user.account(), &req, job).await
}

/// Chapters 1..=planned count, plus one more (a story may grow by one at a time).
fn check_number(story: &stories::Story, number: u32) -> Result<(), ApiError> {
    let planned = u32::try_from(story.settings.chapter_count).unwrap_or(0);
    let written = u32::try_from(story.project.chapter_count).unwrap_or(0);
    if number == 0 || number > planned.max(written) + 1 {
        let count = usize::try_from(planned.max(written)).unwrap_or(0);
        return Err(penora_app::projects::ProjectError::ChapterNotFound {
            index: usize::try_from(number).unwrap_or(0),
            count,
        }
        .into());
    }
    Ok(())
}

/// Writes the chapters one by one from `from` (default 1) to the planned count. The stream
/// has a `chapter` event before each chapter's own `meta` … `done`, and ends with
/// `story_done`. Each chapter is billed and saved as it completes; a cancel (of the running
/// chapter's generation), a disconnect or running out of credits stops the sequence and
/// keeps what was written. Without `Accept: text/event-stream` the answer is the final
/// `story_done` as JSON.
#[utoipa::path(post, path = "/api/v1/stories/{id}/generate", tag = "stories", security(("session" = []), ("personal_key" = ["generate"])),
    params(("id" = Uuid, Path)), request_body = GenerateStory,
    responses(
        (status = 200, description = "`text/event-stream` (`chapter`, then each chapter's events, then `story_done`), or the final result as JSON", body = StoryEndEvent),
        (status = 404, description = "`project_not_found`"),
        (status = 429, description = "`too_many_streams`"),
        (status = 503, description = "`service_unavailable`: as many streams open as the server serves"),
    ))]
#[tracing::instrument(name = "routes::stories::generate_all", skip_all,
    fields(user_id = %user.id, key_id = crate::telemetry::opt(user.via.key_id()), project_id = %id,
        model = tracing::field::Empty))]
pub async fn generate_all(
    state: web::Data<AppState>,
    user: Scoped<Generate>,
    req: HttpRequest,
    id: web::Path<String>,
    body: Option<web::Json<GenerateStory>>,
) -> Result<HttpResponse, ApiError> {
    let id = project_id(&id)?;
    let story = stories::get(&state, user.id, id).await?;
    let from = body.and_then(|b| b.from).unwrap_or(1).max(1);
    check_number(&story, from)?;
    let model = story_model(&state, &story).await?.clone();
    let permit = sse::wants_stream(&req)
        .then(|| sse::permit(&state, user.id))
        .transpose()?;
    let mut events = story_runs::spawn(state.get_ref().clone(), user.account(), id, model, from);
    if let Some(permit) = permit {
        return Ok(sse::response(events, permit, encode_sequence));
    }
    while let Some(event) = events.recv().await {
        if let SequenceEvent::End(end) = event {
            return Ok(HttpResponse::Ok().json(story_end(*end)));
        }
    }
    Err(ApiError::internal(anyhow::anyhow!(
        "the story run ended without a final event"
    )))
}

fn encode_sequence(event: SequenceEvent) -> Vec<Bytes> {
    match event {
        SequenceEvent::Chapter { number, of, title } => {
            let chapter = ChapterEvent { number, of, title };
            vec![sse::json_frame::<ChapterEvent>(Some("chapter"), &chapter)]
        }
        SequenceEvent::Step(event) => encode(event),
        SequenceEvent::End(end) => vec![sse::json_frame(Some("story_done"), &story_end(*end))],
    }
}

/// The sequence's `story_done`.
fn story_end(end: StoryEnd) -> StoryEndEvent {
    StoryEndEvent {
        project_id: end.project.as_uuid(),
        written: end.written,
        complete: end.complete,
        total_cost_mc: end.total_cost_mc,
        error: end.stop.map(|stop| match stop {
            StoryStop::Story(err) => failure(err.into()),
            StoryStop::Start(err) => failure(err.into()),
            StoryStop::Chapter { code, message } => GenerationFailure { code, message },
        }),
    }
}

/// Why the sequence stopped, with the same stable code and wording the API answers with for
/// that error (the one mapping in `error::from_services`, not a second copy of it).
fn failure(err: ApiError) -> GenerationFailure {
    let problem = err.problem();
    GenerationFailure {
        code: problem.code.as_str().to_owned(),
        message: problem.detail,
    }
}
