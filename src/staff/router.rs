//! The staff routes, as the composition root (`crate::app`) mounts them.

use std::sync::Arc;

use axum::extract::FromRef;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::http;
use crate::{auth::Gate, config::Config};

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<Gate>: FromRef<S>,
    Arc<Config>: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(http::list_staff, http::create_staff))
        .routes(routes!(http::get_staff, http::update_staff, http::delete_staff))
        .routes(routes!(http::get_schedule, http::save_schedule))
        .routes(routes!(http::delete_exception))
}
