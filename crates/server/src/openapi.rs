//! The OpenAPI document, generated from the route annotations. `penora openapi` prints it;
//! `openapi/openapi.json` is the committed copy and a test fails when the two differ.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::projects::{chapters, crud, export, share};
use crate::routes::{
    admin, api_keys, apps, auth, credits, generations, health, me, openai, provider_keys, stories,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Penora API",
        description = "Write with AI. Errors are RFC 9457 `application/problem+json` with a stable `code`; \
every response carries an `X-Request-Id`. Amounts are integer millicredits (`*_mc`).",
        license(name = "Apache-2.0")
    ),
    paths(
        auth::signup, auth::login, auth::refresh, auth::logout, auth::logout_all,
        auth::verify_email, auth::resend_verification, auth::forgot_password, auth::reset_password,
        me::get_me, me::update_me, me::change_password, me::delete_me,
        credits::balance, credits::transactions, credits::usage, credits::estimate, credits::models,
        api_keys::create, api_keys::list, api_keys::revoke,
        provider_keys::set, provider_keys::list, provider_keys::delete,
        apps::resolve, apps::balance, apps::debit, apps::refund, apps::quota, apps::projects, apps::shared,
        crud::list, crud::create, crud::get, crud::update, crud::delete, crud::storage,
        chapters::add_chapter, chapters::update_chapter, chapters::delete_chapter, chapters::reorder_chapters,
        share::share, share::revoke_share, share::open_shared, export::export, export::export_shared,
        generations::create, generations::list, generations::read, generations::cancel, generations::save,
        openai::models, openai::chat_completions,
        stories::create, stories::read, stories::update, stories::outline, stories::chapter, stories::generate_all,
        admin::users, admin::user, admin::adjust, admin::audit_log, admin::create_app_key, admin::list_app_keys, admin::revoke_app_key,
        health::health, health::detailed, health::metrics,
    ),
    components(schemas(
        penora_api_types::ErrorCode, penora_api_types::FieldProblem,
        penora_api_types::MetaEvent, penora_api_types::DeltaEvent, penora_api_types::UsageEvent,
        penora_api_types::EndEvent, penora_api_types::openai::ChatCompletionChunk,
        penora_api_types::ChapterEvent,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-up, sign-in, sessions, email verification, password reset"),
        (name = "account", description = "The signed-in user's own account"),
        (name = "credits", description = "Balance, history, usage, models and cost estimates (amounts in millicredits)"),
        (name = "api keys", description = "Personal API keys: `Authorization: Bearer pk_live_...` acts as you"),
        (name = "apps", description = "For sister apps such as ImageGene, with an app key (`ak_live_...`)"),
        (name = "workspace", description = "Projects and chapters (ETag / If-Match), storage quota, share codes, exports"),
        (name = "generation", description = "Writing tools with billed streaming (server-sent events), history, cancel, save to a project"),
        (name = "stories", description = "Multi-chapter stories: outline and chapters generated and saved step by step"),
        (name = "openai", description = "OpenAI-compatible chat completions and models, with a personal API key; errors in OpenAI's shape"),
        (name = "admin", description = "Users, balances, adjustments, audit log, app keys (admin role)"),
        (name = "operations", description = "Health and metrics. `/metrics` and `/health/detailed` are served on the ops listener (`PENORA_OPS_BIND`), and on the public port only with the ops token"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "ops_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`PENORA_OPS_TOKEN`: opens `/metrics` and `/health/detailed` on the public port",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as committed: pretty JSON with a final newline.
pub fn document() -> Result<String, serde_json::Error> {
    ApiDoc::openapi().to_pretty_json().map(|json| json + "\n")
}
