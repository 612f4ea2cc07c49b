//! The OpenAPI document, generated from the route annotations. `penora openapi` prints it;
//! `openapi/openapi.json` is the committed copy and a test fails when the two differ.

use utoipa::OpenApi;

mod contract;

use contract::Contract;

use crate::routes::projects::{chapters, crud, export, share};
use crate::routes::{
    admin, admin_payments, api_keys, apps, auth, billing, billing_sandbox, credits, generations,
    health, me, openai, provider_keys, sign_in, stories,
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
        sign_in::sso_form, sign_in::sso_link, sign_in::providers,
        sign_in::google_start, sign_in::google_callback, sign_in::link_google,
        me::get_me, me::update_me, me::change_password, me::delete_me,
        me::sign_in_methods, me::unlink_method, me::set_password,
        credits::balance, credits::transactions, credits::usage, credits::estimate, credits::models,
        api_keys::create, api_keys::list, api_keys::revoke,
        provider_keys::set, provider_keys::list, provider_keys::delete,
        apps::resolve, apps::balance, apps::debit, apps::refund, apps::quota, apps::report_storage, apps::projects, apps::shared,
        crud::list, crud::create, crud::get, crud::update, crud::delete, crud::storage,
        chapters::add_chapter, chapters::update_chapter, chapters::delete_chapter, chapters::reorder_chapters,
        share::share, share::revoke_share, share::open_shared, export::export, export::export_shared,
        generations::create, generations::list, generations::read, generations::cancel, generations::save,
        openai::models, openai::retrieve_model, openai::chat_completions,
        stories::create, stories::read, stories::update, stories::outline, stories::chapter, stories::generate_all,
        admin::users, admin::user, admin::adjust, admin::audit_log, admin::create_app_key, admin::list_app_keys, admin::revoke_app_key,
        billing::catalog, billing::create_order, billing::verify_order, billing::webhook,
        billing::subscribe, billing::current_plan, billing::cancel, billing::verify_subscription, billing::payments, billing::receipt,
        billing_sandbox::page, billing_sandbox::choose, billing_sandbox::renew, billing_sandbox::halt,
        admin_payments::list, admin_payments::refund,
        health::health, health::detailed, health::metrics,
    ),
    components(schemas(
        penora_api_types::Problem, penora_api_types::openai::OpenAiError,
        penora_api_types::ErrorCode, penora_api_types::FieldProblem,
        penora_api_types::MetaEvent, penora_api_types::DeltaEvent, penora_api_types::UsageEvent,
        penora_api_types::EndEvent, penora_api_types::openai::ChatCompletionChunk,
        penora_api_types::ChapterEvent,
    )),
    modifiers(&Contract),
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
        (name = "billing", description = "Top-ups, packs and plans: the catalog, orders verified by signature, Razorpay webhooks, subscriptions, payments and receipts (money in `*_minor` units with its `currency`); the sandbox's TEST MODE checkout"),
        (name = "admin", description = "Users, balances, adjustments, audit log, app keys (admin role)"),
        (name = "operations", description = "Health and metrics. `/metrics` and `/health/detailed` are served on the ops listener (`PENORA_OPS_BIND`), and on the public port only with the ops token"),
    )
)]
pub struct ApiDoc;

/// The document as committed: pretty JSON with a final newline.
pub fn document() -> Result<String, serde_json::Error> {
    ApiDoc::openapi().to_pretty_json().map(|json| json + "\n")
}

#[cfg(test)]
mod tests {
    use penora_domain::{credits, display_name, generation, password, project, story};
    use serde_json::Value;

    use super::*;

    fn schema(doc: &Value, name: &str, field: &str) -> Value {
        doc["components"]["schemas"][name]["properties"][field].clone()
    }

    /// The constraints written on the request types (which clients share without the
    /// domain crate) are the domain's rules.
    #[test]
    fn documented_constraints_are_the_domains() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let checks: &[(&str, &str, &str, i64)] = &[
            (
                "SignupRequest",
                "password",
                "minLength",
                password::MIN_CHARS as i64,
            ),
            (
                "SignupRequest",
                "password",
                "maxLength",
                password::MAX_CHARS as i64,
            ),
            (
                "ResetPasswordRequest",
                "new_password",
                "minLength",
                password::MIN_CHARS as i64,
            ),
            (
                "ChangePasswordRequest",
                "new_password",
                "maxLength",
                password::MAX_CHARS as i64,
            ),
            (
                "UpdateMeRequest",
                "display_name",
                "maxLength",
                display_name::MAX_CHARS as i64,
            ),
            (
                "CreateProjectRequest",
                "title",
                "maxLength",
                project::TITLE_MAX_CHARS as i64,
            ),
            (
                "CreateProjectRequest",
                "chapters",
                "maxItems",
                project::MAX_CHAPTERS as i64,
            ),
            (
                "CreateProjectRequest",
                "genre",
                "maxLength",
                project::GENRE_MAX_CHARS as i64,
            ),
            (
                "CreateProjectRequest",
                "premise",
                "maxLength",
                project::PREMISE_MAX_CHARS as i64,
            ),
            (
                "CreateProjectRequest",
                "model",
                "maxLength",
                project::MODEL_MAX_CHARS as i64,
            ),
            (
                "CreateStory",
                "chapter_count",
                "maximum",
                i64::from(story::MAX_STORY_CHAPTERS),
            ),
            (
                "CreateStory",
                "words_per_chapter",
                "minimum",
                i64::from(story::MIN_WORDS_PER_CHAPTER),
            ),
            (
                "CreateStory",
                "words_per_chapter",
                "maximum",
                i64::from(story::MAX_WORDS_PER_CHAPTER),
            ),
            (
                "UpdateStory",
                "outline",
                "maxLength",
                story::MAX_OUTLINE_CHARS as i64,
            ),
            (
                "CreateGeneration",
                "input",
                "maxLength",
                generation::MAX_INPUT_CHARS as i64,
            ),
            (
                "CreateGeneration",
                "instructions",
                "maxLength",
                generation::MAX_INSTRUCTION_CHARS as i64,
            ),
            (
                "CreateGeneration",
                "tone",
                "maxLength",
                generation::MAX_TONE_CHARS as i64,
            ),
            (
                "CreateGeneration",
                "words",
                "maximum",
                generation::MAX_REQUESTED_WORDS,
            ),
            (
                "DebitRequest",
                "amount_mc",
                "maximum",
                credits::MAX_AMOUNT.get(),
            ),
        ];
        for (name, field, keyword, expected) in checks {
            let value = &schema(&doc, name, field)[*keyword];
            assert_eq!(value.as_i64(), Some(*expected), "{name}.{field} {keyword}");
        }
        let tools = schema(&doc, "CreateGeneration", "tool")["pattern"].clone();
        for tool in generation::Tool::USER_TOOLS {
            assert!(tools.as_str().unwrap().contains(tool.as_str()), "{tool:?}");
        }
    }

    /// The share-code pattern accepts exactly the domain's alphabet.
    #[test]
    fn share_code_pattern_is_the_domains_alphabet() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let pattern = doc["paths"]["/api/v1/shared/{code}"]["get"]["parameters"][0]["schema"]
            ["pattern"]
            .as_str()
            .unwrap()
            .to_owned();
        let length = penora_domain::share_code::LENGTH;
        assert!(pattern.ends_with(&format!("{{{length}}}$")), "{pattern}");
        for byte in b'0'..=b'Z' {
            let c = char::from(byte);
            let in_class = class_contains(&pattern, c);
            let valid = penora_domain::share_code::ALPHABET.contains(&byte);
            assert_eq!(in_class, valid, "{c:?} in {pattern}");
        }
    }

    /// Whether `^[...]{n}$`'s character class holds `c` (ranges and single characters).
    fn class_contains(pattern: &str, c: char) -> bool {
        let class: Vec<char> = pattern[2..pattern.find(']').unwrap()].chars().collect();
        let mut i = 0;
        while i < class.len() {
            if i + 2 < class.len() && class[i + 1] == '-' {
                if (class[i]..=class[i + 2]).contains(&c) {
                    return true;
                }
                i += 3;
            } else {
                if class[i] == c {
                    return true;
                }
                i += 1;
            }
        }
        false
    }
}
