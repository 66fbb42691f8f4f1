//! The calendar routes, as the composition root (`crate::app`) mounts them.

use std::sync::Arc;

use axum::extract::FromRef;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::http;
use crate::{auth::Gate, cache, realtime::Hub};

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<Gate>: FromRef<S>,
    Arc<cache::Answers>: FromRef<S>,
    Hub: FromRef<S>,
{
    // The static `/appointments/availability` route sits beside `/appointments/{id}`; axum
    // prefers the static segment.
    OpenApiRouter::new()
        .routes(routes!(http::list_appointments, http::create_appointment))
        .routes(routes!(http::get_appointment, http::update_appointment, http::delete_appointment))
        .routes(routes!(http::change_status))
        .routes(routes!(http::free_slots))
        .routes(routes!(http::check_slot))
}
