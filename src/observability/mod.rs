//! Logs, request spans and metrics.

use std::sync::OnceLock;

use axum::{extract::MatchedPath, http::Request};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing::{Span, field::Empty};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::LogFormat;

/// Installs the global subscriber: `RUST_LOG` filters (default `info`), text or JSON lines.
pub fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Json => registry.with(fmt::layer().json().flatten_event(true).with_current_span(true)).try_init(),
        LogFormat::Text => registry.with(fmt::layer()).try_init(),
    };
}

/// One span per request with the route template; extractors fill in salon and user.
pub fn request_span<B>(req: &Request<B>) -> Span {
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
    let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
    tracing::info_span!(
        "request",
        method = %req.method(),
        route = route.as_deref().unwrap_or("unmatched"),
        request_id,
        salon.id = Empty,
        user.id = Empty,
    )
}

/// The process-wide Prometheus recorder (installed on first use).
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .install_recorder()
            .expect("the Prometheus recorder is installed once per process")
    })
}
