//! Settings (contract §3.10): the salon's profile and preferences, the signed-in user's own
//! profile, and the roles page's permission matrix.

pub mod profile;
pub mod roles;
pub mod salon;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().merge(salon::router()).merge(profile::router()).merge(roles::router())
}
