//! The inventory routes, as the composition root (`crate::app`) mounts them.

use std::sync::Arc;

use axum::extract::FromRef;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::http;
use crate::{auth::Gate, realtime::Hub};

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<Gate>: FromRef<S>,
    Hub: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(http::list_products, http::create_product))
        .routes(routes!(http::get_product, http::update_product, http::delete_product))
        .routes(routes!(http::list_categories))
        .routes(routes!(http::create_movement))
        .routes(routes!(http::product_history))
        .routes(routes!(http::export_products))
        .routes(routes!(http::import_products))
        .routes(routes!(http::import_status))
}
