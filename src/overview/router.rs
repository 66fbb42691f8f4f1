//! The overview routes, as the composition root (`crate::app`) mounts them.

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
    OpenApiRouter::new()
        .routes(routes!(http::list_records))
        .routes(routes!(http::list_reviews, http::create_review))
        .routes(routes!(http::list_changes))
}
