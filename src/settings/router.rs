//! The settings routes, as the composition root (`crate::app`) mounts them.

use std::sync::Arc;

use axum::extract::FromRef;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{http, profile};
use crate::{auth::Gate, config::Config, kv::Kv, storage::FileStore};

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<Gate>: FromRef<S>,
    Arc<Config>: FromRef<S>,
    Kv: FromRef<S>,
    FileStore: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(http::get_salon_settings, http::update_salon_settings))
        .routes(routes!(profile::http::get_profile, profile::http::update_profile))
        .routes(routes!(profile::http::change_profile_password))
        .routes(routes!(profile::http::upload_avatar, profile::http::delete_avatar))
        .routes(routes!(http::list_roles))
        .routes(routes!(http::update_role))
}
