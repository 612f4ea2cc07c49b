//! Completes every operation's responses with the statuses the server's shared machinery
//! can return, so the document lists every status an operation answers with:
//!
//! - a token is required (a security requirement without an anonymous alternative):
//!   `401`, and `403` (a key without the scope, the wrong kind of key, no admin role);
//! - a JSON body: `400 malformed_json`, `413 payload_too_large`,
//!   `415 unsupported_media_type`, `422 validation_failed`;
//! - path or query parameters: `400 invalid_parameter`;
//! - an `If-Match` header: `428 if_match_required`.
//!
//! Route annotations list only the statuses specific to the route, by status and
//! description; every error status of every operation is then a reference to one shared
//! response, `Problem` (`application/problem+json`), or `OpenAiError` for the
//! OpenAI-compatible operations under `/v1/`. The scope a personal or app key needs is the
//! security requirement's scope list and is repeated in the operation's description.

use std::collections::BTreeMap;

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response};
use utoipa::Modify;

pub const PROBLEM: &str = "Problem";
pub const OPENAI_ERROR: &str = "OpenAiError";

pub struct Contract;

impl Modify for Contract {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        add_security_schemes(&mut components.security_schemes);
        add_error_responses(&mut components.responses);
        for (path, item) in openapi.paths.paths.iter_mut() {
            let shared = if path.starts_with("/v1/") {
                OPENAI_ERROR
            } else {
                PROBLEM
            };
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                complete(operation, shared);
            }
        }
    }
}

fn add_security_schemes(schemes: &mut BTreeMap<String, SecurityScheme>) {
    let bearer = |format: &str, description: &str| {
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format(format)
                .description(Some(description))
                .build(),
        )
    };
    schemes.insert(
        "session".to_owned(),
        bearer(
            "JWT",
            "A signed-in session's access token (`POST /api/v1/auth/login`). Holds every \
scope; the requirement's list names a role the account needs (`admin`).",
        ),
    );
    schemes.insert(
        "personal_key".to_owned(),
        bearer(
            "pk_live_...",
            "A personal API key, `Authorization: Bearer pk_live_...`, acting as its user within \
its scopes (`read`, `write`, `generate`); the requirement's list names the scope needed. \
A key without it gets `403 insufficient_scope`.",
        ),
    );
    schemes.insert(
        "app_key".to_owned(),
        bearer(
            "ak_live_...",
            "An app key for sister apps, `Authorization: Bearer ak_live_...`; the requirement's \
list names the scope needed (`users:read`, `credits:read`, `credits:write`, \
`projects:read`, `storage:write`).",
        ),
    );
    schemes.insert(
        "ops_token".to_owned(),
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

fn add_error_responses(responses: &mut BTreeMap<String, RefOr<Response>>) {
    let response = |description: &str, content_type: &str, schema: &str| {
        let mut response = Response::new(description);
        response.content.insert(
            content_type.to_owned(),
            Content::new(Some(Ref::from_schema_name(schema))),
        );
        RefOr::T(response)
    };
    responses.insert(
        PROBLEM.to_owned(),
        response(
            "An RFC 9457 problem with a stable `code`",
            crate::error::PROBLEM_JSON,
            "Problem",
        ),
    );
    responses.insert(
        OPENAI_ERROR.to_owned(),
        response(
            "An error in OpenAI's shape; `error.code` is Penora's stable code",
            "application/json",
            "OpenAiError",
        ),
    );
}

/// Who may call an operation, from its security requirements.
#[derive(Default)]
struct Callers {
    anonymous: bool,
    session_role: Option<String>,
    session: bool,
    personal_scope: Option<String>,
    app_scope: Option<String>,
}

fn callers(operation: &Operation) -> Callers {
    let mut callers = Callers::default();
    let Some(requirements) = &operation.security else {
        callers.anonymous = true;
        return callers;
    };
    for requirement in requirements {
        let Ok(serde_json::Value::Object(schemes)) = serde_json::to_value(requirement) else {
            continue;
        };
        if schemes.is_empty() {
            callers.anonymous = true;
        }
        for (scheme, scopes) in schemes {
            let first = scopes
                .as_array()
                .and_then(|s| s.first())
                .and_then(|s| s.as_str())
                .map(str::to_owned);
            match scheme.as_str() {
                "session" => {
                    callers.session = true;
                    callers.session_role = first;
                }
                "personal_key" => callers.personal_scope = first,
                "app_key" => callers.app_scope = first,
                _ => {}
            }
        }
    }
    callers
}

fn complete(operation: &mut Operation, shared: &str) {
    let callers = callers(operation);
    let mut generic: Vec<(&str, String)> = Vec::new();
    if !callers.anonymous {
        generic.push((
            "401",
            "`unauthorized` (no, unknown or revoked token; the session ended) or \
`token_expired`"
                .to_owned(),
        ));
        generic.push(("403", forbidden(&callers)));
    }
    let params = operation.parameters.iter().flatten();
    let has_params = params
        .clone()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path | ParameterIn::Query));
    if has_params {
        generic.push((
            "400",
            "`invalid_parameter`: a path or query parameter is malformed".to_owned(),
        ));
    }
    let conditional = params
        .clone()
        .any(|p| p.parameter_in == ParameterIn::Header && p.name.eq_ignore_ascii_case("if-match"));
    if conditional {
        generic.push((
            "428",
            "`if_match_required`: send the `ETag` as `If-Match`".to_owned(),
        ));
    }
    if operation.request_body.is_some() {
        generic.push(("400", "`malformed_json`: the body is not JSON".to_owned()));
        generic.push((
            "413",
            "`payload_too_large`: the body exceeds the limit".to_owned(),
        ));
        generic.push((
            "415",
            "`unsupported_media_type`: send `Content-Type: application/json`".to_owned(),
        ));
        generic.push((
            "422",
            "`validation_failed`: a field is missing, of the wrong type or invalid".to_owned(),
        ));
    }
    let responses = &mut operation.responses.responses;
    for (status, description) in generic {
        let entry = responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(Response::new("")));
        let current = match entry {
            RefOr::T(response) => &mut response.description,
            RefOr::Ref(reference) => &mut reference.description,
        };
        let code = description.split('`').nth(1).unwrap_or_default();
        if current.is_empty() {
            *current = description;
        } else if !current.contains(code) {
            current.push_str("; or ");
            current.push_str(&description);
        }
    }
    for (status, response) in responses.iter_mut() {
        let is_error = status.starts_with('4') || status.starts_with('5');
        // An error response with a body of its own (`/health/detailed`'s report) stays.
        let bodiless = |inline: &Response| {
            inline.content.is_empty() || inline.content.contains_key(crate::error::PROBLEM_JSON)
        };
        if let (true, RefOr::T(inline)) = (is_error, &*response) {
            if !bodiless(inline) {
                continue;
            }
            let mut reference = Ref::new(format!("#/components/responses/{shared}"));
            reference.description = inline.description.clone();
            *response = RefOr::Ref(reference);
        }
    }
    if let Some(note) = scope_note(&callers) {
        let description = operation.description.get_or_insert_with(String::new);
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&note);
    }
}

fn forbidden(callers: &Callers) -> String {
    if let Some(scope) = &callers.app_scope {
        return format!(
            "`app_key_required` (not an app key) or `insufficient_scope` (the key lacks \
`{scope}`)"
        );
    }
    match (&callers.personal_scope, &callers.session_role) {
        (Some(scope), _) => format!(
            "`insufficient_scope`: the personal key lacks `{scope}`; or `forbidden`: an app \
key acts for no user"
        ),
        (None, Some(role)) => {
            format!("`session_required`: API keys cannot do this; or `forbidden`: needs the `{role}` role")
        }
        (None, None) => "`session_required`: API keys cannot do this".to_owned(),
    }
}

fn scope_note(callers: &Callers) -> Option<String> {
    if let Some(scope) = &callers.app_scope {
        return Some(format!("**App key scope:** `{scope}`."));
    }
    if callers.anonymous && callers.personal_scope.is_none() {
        return None;
    }
    Some(match (&callers.personal_scope, &callers.session_role) {
        (Some(scope), _) => format!("**Personal key scope:** `{scope}`."),
        (None, Some(role)) => {
            format!("**Session only** (the `{role}` role); API keys get `403 session_required`.")
        }
        (None, None) => "**Session only**: API keys get `403 session_required`.".to_owned(),
    })
}
