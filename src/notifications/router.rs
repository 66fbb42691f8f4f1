//! The notifications routes, as the composition root (`crate::app`) mounts them.

use std::sync::Arc;

use axum::extract::FromRef;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::http;
use crate::auth::Gate;

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<Gate>: FromRef<S>,
{
    // `/notifications/read-all` is a static segment: axum matches it before `{id}`.
    OpenApiRouter::new()
        .routes(routes!(http::list_notifications))
        .routes(routes!(http::read_all_notifications))
        .routes(routes!(http::read_notification))
        .routes(routes!(http::delete_notification))
}
