//! The composition root: every domain's routes, the middleware stack, the OpenAPI document and
//! the operators' routes (`/health`, `/ready`, `/metrics`). The only module that names every
//! domain; a new domain adds its `router()` to [`api_routes`] and nothing else changes here.

use std::time::{Duration, Instant};

use axum::{
    Router,
    error_handling::HandleErrorLayer,
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_scalar::{Scalar, Servable};

use tokio::sync::watch;

use crate::{
    error::{AppError, error_response},
    http::{self, limits},
    jobs,
    state::AppState,
};

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Every API route, with its OpenAPI description, before nesting under `/api/v1`.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(crate::auth::router::router())
        .merge(crate::auth::users::router())
        .merge(crate::catalog::router::router())
        .merge(crate::staff::router::router())
        .merge(crate::calendar::router::router())
        .merge(crate::notifications::router::router())
        .merge(crate::clients::router::router())
        .merge(crate::finances::router::router())
        .merge(crate::inventory::router::router())
        .merge(crate::settings::router::router())
        .merge(crate::overview::router::router())
        .merge(crate::telegram::router::router())
}

/// The job kinds this binary runs, each given the parts it needs: the only place that names
/// every kind (see [`crate::jobs`]).
pub fn job_kinds(state: &AppState) -> jobs::worker::Kinds {
    use crate::{auth::links, clients, inventory, messaging};
    let mail = messaging::MailParts { mailer: state.mailer.clone(), config: state.config.clone() };
    jobs::worker::Kinds::new(state.db.clone(), state.platform.clone())
        .kind::<messaging::SendEmail>(state.mailer.clone())
        .kind::<links::LinkMail>(mail.clone())
        .kind::<crate::finances::EmailReceipt>(mail)
        .kind::<clients::ClientImport>(clients::ImportParts {
            versions: state.versions.clone(),
            realtime: state.realtime.clone(),
        })
        .kind::<inventory::InventoryImport>(inventory::InventoryImportParts {
            versions: state.versions.clone(),
            realtime: state.realtime.clone(),
        })
        .kind::<messaging::SendVisitMessage>(messaging::VisitParts {
            mailer: state.mailer.clone(),
            sms: state.sms.clone(),
            telegram: state.telegram.clone(),
        })
        .kind::<messaging::visits::ReplanReminders>(())
        .kind::<messaging::telegram::TelegramPush>(state.telegram.clone())
        .kind::<crate::telegram::HandleUpdate>(crate::telegram::BotParts {
            api: state.telegram.clone(),
            hub: state.realtime.clone(),
            auth: axum::extract::FromRef::from_ref(state),
        })
}

/// The background worker of `serve` and `worker`: the job queue, until `shutdown` turns true.
pub async fn run_worker(state: AppState, shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
    jobs::worker::run(state.config.clone(), job_kinds(&state), shutdown).await
}

/// The API routes and the files route, with the document that describes them.
fn documented_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut doc) = OpenApiRouter::with_openapi(http::openapi::base())
        .nest("/api/v1", api_routes())
        .merge(crate::storage::serve::router())
        .split_for_parts();
    limits::document(&mut doc);
    http::openapi::document_errors(&mut doc);
    (routes, doc)
}

/// The OpenAPI document of the whole API (also `adelante openapi`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented_routes().1
}

/// The complete application: routes and middleware, ready to serve.
pub fn app(state: AppState) -> Router {
    let (api, doc) = documented_routes();
    let config = &state.config;
    // Install the recorder before the first request is counted.
    crate::observability::metrics_handle();

    let routes = Router::new()
        .route("/", get(root))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .route("/ws", get(crate::realtime::socket::socket))
        .route("/api/v1/ws", get(crate::realtime::socket::socket))
        .merge(Scalar::with_url("/docs", doc.clone()))
        .route("/openapi.json", get(move || async move { axum::Json(doc) }))
        .merge(api)
        .merge(crate::telegram::router::webhooks())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.versions.clone(), crate::cache::track_writes))
        .layer(middleware::from_fn_with_state(limits::BodyLimits::of(config), limits::read_body_first))
        .layer(middleware::from_fn(track_metrics))
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .with_state(state.clone());

    let timeout = config.request_timeout;
    routes.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
            .layer(TraceLayer::new_for_http().make_span_with(crate::observability::request_span))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                error_response(StatusCode::GATEWAY_TIMEOUT, "timeout", "Запит виконувався задовго")
            }))
            .layer(tower::timeout::TimeoutLayer::new(timeout))
            .layer(cors(&config.allowed_origins))
            .layer(CompressionLayer::new()),
    )
}

fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| o.parse().ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([REQUEST_ID.clone(), HeaderName::from_static("x-total-count")])
        .max_age(Duration::from_secs(3600))
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    // The panic itself is reported by the panic hook with its location.
    error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "Внутрішня помилка сервера")
}

async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, "not_found", "Не знайдено")
}

async fn method_not_allowed() -> Response {
    error_response(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "Метод не підтримується")
}

async fn root() -> axum::Json<serde_json::Value> {
    axum::Json(json!({ "message": "Adelante CRM API", "version": env!("CARGO_PKG_VERSION") }))
}

/// Alive: the process answers. Says nothing about dependencies (see `/ready`).
async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(json!({ "status": "healthy" }))
}

/// Ready: the database and Redis (when configured) answer.
async fn ready(State(state): State<AppState>) -> Response {
    let database = state.db.ping().await.is_ok() && state.platform.ping().await.is_ok();
    let redis = state.kv.ping().await.is_ok();
    let status = if database && redis { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "status": if status == StatusCode::OK { "ready" } else { "unavailable" },
        "database": database,
        "redis": if state.kv.is_shared() { json!(redis) } else { json!("in-process") },
    });
    (status, axum::Json(body)).into_response()
}

/// `/metrics` on the public port: only with `METRICS_TOKEN` set, and only to requests bearing
/// it (401 otherwise); without a token the route does not exist (404).
async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    use secrecy::ExposeSecret;
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;

    let Some(token) = &state.config.metrics_token else {
        return not_found().await;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .unwrap_or("");
    // Digests have one length, so the comparison takes the same time whatever was sent.
    let matches = Sha256::digest(given.trim().as_bytes()).ct_eq(&Sha256::digest(token.expose_secret().as_bytes()));
    if !bool::from(matches) {
        let mut res = AppError::Unauthenticated.into_response();
        res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return res;
    }
    render_metrics(State(state)).await.into_response()
}

/// The metrics alone, for the private listener on `METRICS_BIND_ADDR` (no token asked there:
/// the address is the protection).
pub fn metrics_app(state: AppState) -> Router {
    crate::observability::metrics_handle();
    Router::new()
        .route("/metrics", get(render_metrics))
        .fallback(not_found)
        .with_state(state)
}

async fn render_metrics(State(state): State<AppState>) -> String {
    let (size, idle) = state.db.stats();
    metrics::gauge!("db_pool_connections").set(size as f64);
    metrics::gauge!("db_pool_idle_connections").set(idle as f64);
    crate::observability::metrics_handle().render()
}

/// Request count and latency per route template (never the raw path: bounded labels).
async fn track_metrics(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
    let method = req.method().clone();
    let started = Instant::now();
    let res = next.run(req).await;
    let labels = [
        ("method", method.to_string()),
        ("route", route.unwrap_or_else(|| "unmatched".into())),
        ("status", res.status().as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    async fn boom() -> &'static str {
        panic!("boom")
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_the_500_envelope() {
        let app = Router::new()
            .route("/boom", get(boom))
            .layer(CatchPanicLayer::custom(panic_response));
        let req = axum::http::Request::get("/boom").body(axum::body::Body::empty()).unwrap();
        let res = app.oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(res.into_body(), 1 << 16).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["code"], "internal_error");
        assert!(json["message"].is_string());
    }
}
