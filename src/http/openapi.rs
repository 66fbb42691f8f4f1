use utoipa::{
    Modify, OpenApi,
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
};

use super::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(title = "Adelante API", description = "Multi-tenant backend for beauty salons. \
        Every error answers `{message, code, details?}`; 401 means only a missing, expired or \
        invalid access token. Realtime events are a WebSocket at `/ws` and `/api/v1/ws` \
        (`?token=<access token>`, text frames `{\"type\", \"data\"}`), outside this document."),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    tags((name = "auth", description = "Sign-in, sessions and passwords (snake_case bodies)"),
         (name = "users", description = "Staff accounts of the salon (administrators)"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::builder().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
