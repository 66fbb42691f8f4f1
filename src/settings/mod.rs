//! Settings (contract §3.10): the salon's profile and preferences, the signed-in user's own
//! profile, and the roles page's permission matrix.

mod avatar;
mod cache;
mod check;
mod hours;
pub mod profile;
mod profile_model;
mod profile_store;
pub mod roles;
pub mod salon;
mod salon_model;
mod salon_store;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

pub use salon_model::SalonSettings;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().merge(salon::router()).merge(profile::router()).merge(roles::router())
}
