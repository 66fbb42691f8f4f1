//! The catalog routes, as the composition root (`crate::app`) mounts them.

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
        .routes(routes!(http::list_services, http::create_service))
        // A static segment: axum prefers it to `/services/{id}`, so "categories" is never an id.
        .routes(routes!(http::service_categories))
        .routes(routes!(http::get_service, http::update_service, http::delete_service))
}
