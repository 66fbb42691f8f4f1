//! The telegram routes, as the composition root (`crate::app`) mounts them: the settings page's
//! under `/api/v1`, the webhook at the root (Telegram calls it, not the web app).

use std::sync::Arc;

use axum::{Router, extract::FromRef, routing::post};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{connect, webhook};
use crate::{auth::Gate, config::Config, messaging::telegram::TelegramApi, tenancy::{AppDb, PlatformDb}};

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<Gate>: FromRef<S>,
    AppDb: FromRef<S>,
    TelegramApi: FromRef<S>,
    Arc<Config>: FromRef<S>,
{
    OpenApiRouter::new().routes(routes!(
        connect::get_telegram,
        connect::connect_telegram,
        connect::disconnect_telegram
    ))
}

/// `POST /telegram/{hook}`: outside the API (no OpenAPI entry, no CORS, no bearer token).
pub fn webhooks<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppDb: FromRef<S>,
    PlatformDb: FromRef<S>,
    TelegramApi: FromRef<S>,
    crate::auth::Parts: FromRef<S>,
{
    Router::new().route("/telegram/{hook}", post(webhook::receive))
}
