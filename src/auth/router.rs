//! The auth routes, as the composition root (`crate::app`) mounts them.

use axum::extract::FromRef;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{Parts, http};

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Parts: FromRef<S>,
    std::sync::Arc<super::Gate>: FromRef<S>,
    std::sync::Arc<crate::tenancy::Hosts>: FromRef<S>,
    crate::realtime::Hub: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(http::register))
        .routes(routes!(http::login))
        .routes(routes!(http::refresh))
        .routes(routes!(http::logout))
        .routes(routes!(http::me))
        .routes(routes!(http::setup))
        .routes(routes!(http::open_invitation))
        .routes(routes!(http::confirm_email_change))
        .routes(routes!(http::forgot_password))
        .routes(routes!(http::reset_password))
        .routes(routes!(http::change_password))
        .routes(routes!(super::telegram::link, super::telegram::unlink))
        .routes(routes!(super::telegram::init))
        .routes(routes!(super::telegram::status))
}
