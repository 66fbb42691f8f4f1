//! The clients routes, as the composition root (`crate::app`) mounts them.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRef};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{http, import};
use crate::{auth::Gate, realtime::Hub};

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<Gate>: FromRef<S>,
    Hub: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(http::list_clients, http::create_client))
        .routes(routes!(http::get_client, http::update_client, http::delete_client))
        .routes(routes!(http::restore_client))
        .routes(routes!(http::client_history))
        .routes(routes!(import::http::import_status))
        .routes(routes!(http::export_clients))
        .merge(
            // The upload may be the full 10 MB plus the multipart framing around it.
            OpenApiRouter::new()
                .routes(routes!(import::http::import_clients))
                .layer(DefaultBodyLimit::max(import::MAX_UPLOAD + 64 * 1024)),
        )
}
