use utoipa::{
    Modify, OpenApi,
    openapi::{
        Content, Ref, RefOr, Required, ResponseBuilder, Schema,
        path::{Operation, ParameterIn},
        security::{Http, HttpAuthScheme, SecurityScheme},
    },
};

use crate::error::ErrorBody;

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

/// Adds to every operation the error answers it can give that follow from its shape, so no
/// handler has to list them and none can forget one; each error answer (these and the ones the
/// handlers list) carries the envelope [`ErrorBody`]:
/// - a request body: 400 when it cannot be read as its media type (`malformed_json`,
///   `unsupported_media_type`, `not_multipart`), 422 when its fields are wrong;
/// - query parameters: 422 when a value is wrong; an empty value (`?search=`) is ignored as if
///   absent (`AppQuery`), which each query parameter documents as `allowEmptyValue`;
/// - a bearer token: 401 (missing, expired or revoked), 403 (permission, inactive account,
///   suspended salon, a token of another salon than the subdomain) and 404 (no salon at the
///   subdomain);
/// - path parameters: 404 (no such resource in the salon, or an id that is not one).
///
/// A JSON body whose schema requires no property is documented as optional: `AppJson` reads an
/// absent or empty body as `{}`.
///
/// Conflicts (409) and rate limits (429) depend on what an operation does: its handler lists
/// them, as `limits::document` does for the heavy routes.
pub fn document_errors(api: &mut utoipa::openapi::OpenApi) {
    let schemas = api.components.as_ref().map(|c| &c.schemas);
    for item in api.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
        for operation in operations.into_iter().flatten() {
            document_operation(operation);
            if let Some(body) = &mut operation.request_body
                && let Some(json) = body.content.get("application/json")
                && requires_nothing(json.schema.as_ref(), schemas)
            {
                body.required = Some(Required::False);
            }
        }
    }
}

/// Whether a JSON schema is an object with no required property (`{}` satisfies it).
fn requires_nothing(
    schema: Option<&RefOr<Schema>>,
    components: Option<&std::collections::BTreeMap<String, RefOr<Schema>>>,
) -> bool {
    let schema = match schema {
        Some(RefOr::Ref(r)) => {
            let name = r.ref_location.trim_start_matches("#/components/schemas/");
            components.and_then(|c| c.get(name))
        }
        other => other,
    };
    matches!(schema, Some(RefOr::T(Schema::Object(object))) if object.required.is_empty())
}

fn document_operation(operation: &mut Operation) {
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let in_path = parameters.iter().any(|p| p.parameter_in == ParameterIn::Path);
    let in_query = parameters.iter().any(|p| p.parameter_in == ParameterIn::Query);
    let body = operation.request_body.is_some();
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());

    let responses = &mut operation.responses.responses;
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| ResponseBuilder::new().description(description).build().into());
    };
    if body {
        add("400", "The body cannot be read as its media type (`malformed_json`, `unsupported_media_type`, `not_multipart`)");
    }
    if secured {
        add("401", "`not_authenticated`: no access token, or an expired, invalid or revoked one");
        add("403", "Not allowed: a missing permission (`forbidden`), an inactive account, a suspended salon, or a token of another salon than the subdomain's");
    }
    if in_path {
        add("404", "`not_found`: no such resource in this salon");
    } else if secured {
        add("404", "`not_found`: no salon at this subdomain");
    }
    if body || in_query {
        add("422", "`validation_error`: `details` names each wrong field and what is wrong with it");
    }
    for (status, response) in responses.iter_mut() {
        if let (true, RefOr::T(response)) = (status.starts_with('4'), response)
            && response.content.is_empty()
        {
            response.content.insert("application/json".to_owned(), Content::new(Some(Ref::from_schema_name("ErrorBody"))));
        }
    }
    for parameter in operation.parameters.iter_mut().flatten() {
        if parameter.parameter_in == ParameterIn::Query {
            // utoipa has no field for it (the keyword is discouraged, not removed, in OpenAPI 3.1).
            parameter.extensions.get_or_insert_with(Default::default).insert("allowEmptyValue".to_owned(), true.into());
        }
    }
}
