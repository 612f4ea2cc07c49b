//! The OpenAPI document, generated from the route annotations. `penora openapi` prints it;
//! `openapi/openapi.json` is the committed copy and a test fails when the two differ.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{auth, health, me};

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
        health::health, health::detailed, health::metrics,
    ),
    components(schemas(penora_api_types::ErrorCode, penora_api_types::FieldProblem)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-up, sign-in, sessions, email verification, password reset"),
        (name = "account", description = "The signed-in user's own account"),
        (name = "operations", description = "Health and metrics"),
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
    }
}

/// The document as committed: pretty JSON with a final newline.
pub fn document() -> Result<String, serde_json::Error> {
    ApiDoc::openapi().to_pretty_json().map(|json| json + "\n")
}
